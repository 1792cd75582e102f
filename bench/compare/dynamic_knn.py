#!/usr/bin/python3
"""Dynamic exact k-NN (issue 21): osprey NearestNeighbors::add / remove vs its static k-d tree and
nanoflann's static (KDTreeSingleIndexAdaptor) and dynamic (KDTreeSingleIndexDynamicAdaptor) trees.

Run from the repository root after building the bench preset:
    cmake --preset bench && cmake --build build/bench -j2 --target compare_dynamic_knn
    /usr/bin/python3 bench/compare/dynamic_knn.py [--build-dir build/bench] [--quick]

Workloads (3-D float points, uniform in the unit cube, leaf size 10 = nanoflann's default, k = 10;
both libraries in one process, compare_dynamic_knn, on the same points):
  1. insert: 1,000,000 points added in 1,000 batches of 1,000, then 100,000 queries; the static
     trees build once on all the points.
  2. mixed: from 100,000 points, 200 rounds of (add 1,000, remove 500 random live points,
     1,000 queries); osprey also rebuilding its static tree on the live rows every round.
on 1 and 2 threads (the queries; builds and inserts are serial in nanoflann). Times are the best
of --repeat runs. Ratios are nanoflann time / osprey time (> 1: osprey is faster).
"""
import argparse
import os
import subprocess
import sys


def run(exe, args):
    out = subprocess.run([exe] + [str(a) for a in args], check=True, capture_output=True,
                         text=True).stdout
    values = {}
    for line in out.splitlines():
        for kv in line.split()[1:]:
            key, value = kv.split("=")
            values[line.split()[0] + "." + key] = float(value)
    return values


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="100,000 points, 10,000 queries")
    a = ap.parse_args()
    exe = os.path.join(a.build_dir, "bench", "compare_dynamic_knn")
    if not os.path.exists(exe):
        exe = os.path.join(a.build_dir, "compare_dynamic_knn")
    if not os.path.exists(exe):
        sys.exit(f"build compare_dynamic_knn first (looked in {a.build_dir})")
    n, queries, rounds = (100_000, 10_000, 50) if a.quick else (1_000_000, 100_000, 200)
    for threads in (1, 2):
        best = {}
        for _ in range(a.repeat):
            for key, value in run(exe, [n, 1000, queries, 10, threads, 10, rounds]).items():
                best[key] = min(best.get(key, value), value)
        if best["insert.mismatch"] != 0:
            sys.exit("osprey's dynamic and static results differ")
        print(f"\n{threads} thread(s): {n:,} points in batches of 1,000, {queries:,} queries, k = 10")
        print(f"{'index':<26}{'build/insert s':>15}{'query s':>10}{'total s':>10}")
        rows = [("osprey dynamic (add)", "osprey_dyn"), ("osprey static (fit)", "osprey_static"),
                ("nanoflann static", "nano_static"), ("nanoflann dynamic", "nano_dyn")]
        for name, key in rows:
            b, q = best[f"insert.{key}_build_s"], best[f"insert.{key}_query_s"]
            print(f"{name:<26}{b:>15.3f}{q:>10.3f}{b + q:>10.3f}")
        dyn = best["insert.osprey_dyn_build_s"] + best["insert.osprey_dyn_query_s"]
        ndyn = best["insert.nano_dyn_build_s"] + best["insert.nano_dyn_query_s"]
        print(f"nanoflann dynamic / osprey dynamic (insert + query): {ndyn / dyn:.2f}")
        print(f"mixed ({rounds} rounds of +1,000 / -500 / {queries // 100:,} queries): "
              f"osprey dynamic {best['mixed.osprey_dyn_s']:.3f} s, osprey rebuild "
              f"{best['mixed.osprey_rebuild_s']:.3f} s, nanoflann dynamic "
              f"{best['mixed.nano_dyn_s']:.3f} s (ratio nanoflann / osprey "
              f"{best['mixed.nano_dyn_s'] / best['mixed.osprey_dyn_s']:.2f})")


if __name__ == "__main__":
    main()
