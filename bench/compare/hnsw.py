#!/usr/bin/python3
"""Approximate k-NN, osprey HnswIndex vs hnswlib: build time and the recall@10 / QPS curve of an
ef sweep, on the three sets of bench/compare/ann_sets.py, with the same M and ef_construction.

Run from the repository root after building the bench preset:
    cmake --preset bench && cmake --build build/bench -j2 --target compare_hnsw
    /usr/bin/python3 bench/compare/hnsw.py [--build-dir build/bench] [--n-scale 0.1]

For each set: the exact neighbours (k = 10) by osprey's NearestNeighbors (brute force, written
once); osprey (compare_hnsw, its own process) and hnswlib (this process) each build with 1
thread, sweep ef over --efs on 1 and 2 query threads (best of --repeat passes over all queries),
then build again with 2 threads (time only). Both use M = 16, ef_construction = 200 and L2.
Printed: build seconds, and the QPS at recall@10 = 0.95 and 0.99 interpolated on each curve
(log QPS linear in recall between the two sweep points around the target), with the ratio
osprey / hnswlib (> 1: osprey faster). A gnuplot recall-QPS plot per set goes to --plot-dir.
Before each timed phase the 1-minute load average is read; above --max-load the script waits
(at most --max-wait seconds) and prints the load it ran at.
"""
import argparse
import math
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ann_sets  # noqa: E402

M, EFC, K = 16, 200, 10


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def quiet(args, what):
    t0 = time.time()
    while load1() > args.max_load and time.time() - t0 < args.max_wait:
        time.sleep(5)
    load = load1()
    print(f"  [{what}: load {load:.2f}{' (above --max-load)' if load > args.max_load else ''}]",
          flush=True)
    return load


def read_matrix(path):
    with open(path, "rb") as f:
        rows, cols = np.fromfile(f, dtype=np.int64, count=2)
        return np.fromfile(f, dtype=np.float32).reshape(rows, cols)


def run_osprey(binary, train, query, truth, build_threads, query_threads, repeat, efs):
    cmd = [binary, "sweep", train, query, truth, str(M), str(EFC), str(build_threads),
           ",".join(map(str, query_threads)) or "-", str(repeat)] + [str(e) for e in efs]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    build, curves = None, {}
    for line in out.splitlines():
        kv = dict(item.split("=") for item in line.split())
        if "build_s" in kv:
            build = float(kv["build_s"])
        else:
            curves.setdefault(int(kv["threads"]), []).append(
                (int(kv["ef"]), float(kv["recall"]), float(kv["qps"])))
    return build, curves


def recall_of(labels, truth):
    hits = sum(len(set(a) & set(b)) for a, b in zip(labels.tolist(), truth.tolist()))
    return hits / truth.size


def run_hnswlib(X, Q, truth, build_threads, query_threads, repeat, efs):
    import hnswlib
    index = hnswlib.Index(space="l2", dim=X.shape[1])
    t0 = time.perf_counter()
    index.init_index(max_elements=X.shape[0], ef_construction=EFC, M=M, random_seed=42)
    index.add_items(X, num_threads=build_threads)
    build = time.perf_counter() - t0
    curves = {}
    for t in query_threads:
        for ef in efs:
            index.set_ef(ef)
            best = float("inf")
            for _ in range(repeat):
                t1 = time.perf_counter()
                labels, _ = index.knn_query(Q, k=K, num_threads=t)
                best = min(best, time.perf_counter() - t1)
            curves.setdefault(t, []).append((ef, recall_of(labels, truth), Q.shape[0] / best))
    return build, curves


def qps_at(curve, target):
    """QPS at recall `target` on a sweep [(ef, recall, qps)] in ef order, None if not reached."""
    pts = sorted(curve)
    if pts[0][1] >= target:
        return pts[0][2]
    for (_, r0, q0), (_, r1, q1) in zip(pts, pts[1:]):
        if r0 < target <= r1:
            w = (target - r0) / (r1 - r0)
            return math.exp((1 - w) * math.log(q0) + w * math.log(q1))
    return None


def fmt(v):
    return "-" if v is None else f"{v:,.0f}"


def ratio(a, b):
    return "-" if a is None or b is None else f"{a / b:.2f}"


def plot(name, title, curves, out_dir, data_dir):
    os.makedirs(out_dir, exist_ok=True)
    series = []
    for lib in ("osprey", "hnswlib"):
        for t in sorted(curves[lib]):
            path = os.path.join(data_dir, f"{name}_{lib}_{t}.dat")
            with open(path, "w") as f:
                for ef, r, q in sorted(curves[lib][t]):
                    f.write(f"{r} {q} {ef}\n")
            series.append((path, f"{lib}, {t} thread{'s' if t > 1 else ''}"))
    svg = os.path.join(out_dir, f"hnsw_{name}.svg")
    script = [
        "set terminal svg size 720,460 dynamic font 'sans,11'",
        f"set output '{svg}'",
        f"set title '{title}'",
        "set xlabel 'recall@10'", "set ylabel 'queries per second'", "set logscale y",
        "set grid", "set key bottom left", "set xrange [*:1.0]",
    ]
    plots = [f"'{p}' using 1:2 with linespoints title '{label}'" for p, label in series]
    script.append("plot " + ", ".join(plots))
    subprocess.run(["gnuplot"], input="\n".join(script), text=True, check=True)
    return svg


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--n-scale", type=float, default=1.0,
                    help="multiplies each set's size (1M, 1M, 100k); 0.1 for a shorter run")
    ap.add_argument("--sizes", default="",
                    help="training rows per set, e.g. blobs64=200000,sift128=200000 (overrides\n"
                         "--n-scale for those sets)")
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--sets", default="blobs64,sift128,embed300")
    ap.add_argument("--efs", default="10,16,24,32,48,64,96,128,192,256,400")
    ap.add_argument("--plot-dir", default="docs/img")
    ap.add_argument("--max-load", type=float, default=1.0)
    ap.add_argument("--max-wait", type=float, default=120.0)
    args = ap.parse_args()
    import hnswlib  # noqa: F401  (fail early)

    binary = os.path.join(args.build_dir, "bench", "compare_hnsw")
    if not os.path.exists(binary):
        sys.exit(f"missing {binary}: build the bench preset first (see the docstring)")
    data_dir = os.path.join(args.build_dir, "ann")
    os.makedirs(data_dir, exist_ok=True)
    efs = [int(e) for e in args.efs.split(",")]
    rows = []
    for name in args.sets.split(","):
        sizes = dict(kv.split("=") for kv in args.sizes.split(",") if kv)
        train, query = ann_sets.write_set(data_dir, name, args.n_scale, args.queries,
                                          n=int(sizes[name]) if name in sizes else None)
        X, Q = read_matrix(train), read_matrix(query)
        truth_path = query.replace(".f32", f".truth{K}.i32")
        quiet(args, "exact search")
        exact = subprocess.run([binary, "truth", train, query, str(K), truth_path], check=True,
                               capture_output=True, text=True).stdout
        exact_s = float(exact.split("exact_s=")[1].split()[0])
        truth = np.fromfile(truth_path, dtype=np.int32).reshape(Q.shape[0], K)
        print(f"== {name}: {X.shape[0]:,} x {X.shape[1]}, {Q.shape[0]:,} queries, M={M}, "
              f"ef_construction={EFC}; exact brute force (fit + queries, 1 thread) "
              f"{exact_s:.2f} s = {Q.shape[0] / exact_s:,.0f} QPS, recall 1", flush=True)
        res = {}
        loads = [quiet(args, "osprey build 1 thread + sweep")]
        b1, c = run_osprey(binary, train, query, truth_path, 1, [1, 2], args.repeat, efs)
        loads.append(quiet(args, "osprey build 2 threads"))
        b2, _ = run_osprey(binary, train, query, truth_path, 2, [], 1, [64])
        res["osprey"] = (b1, b2, c)
        loads.append(quiet(args, "hnswlib build 1 thread + sweep"))
        hb1, hc = run_hnswlib(X, Q, truth, 1, [1, 2], args.repeat, efs)
        loads.append(quiet(args, "hnswlib build 2 threads"))
        hb2, _ = run_hnswlib(X, Q, truth, 2, [], 1, [])
        res["hnswlib"] = (hb1, hb2, hc)
        for lib in ("osprey", "hnswlib"):
            b1_, b2_, cur = res[lib]
            print(f"  {lib:8s} build 1 thread {b1_:8.2f} s, 2 threads {b2_:8.2f} s")
            for t in sorted(cur):
                print(f"    {t} thread(s): " + "  ".join(
                    f"ef{ef}:{r:.4f}/{q:,.0f}" for ef, r, q in cur[t]))
        for t in (1, 2):
            line = [name, str(t)]
            for target in (0.95, 0.99):
                o, h = qps_at(res["osprey"][2][t], target), qps_at(res["hnswlib"][2][t], target)
                line += [fmt(o), fmt(h), ratio(o, h)]
            rows.append(line)
        rows.append([name, "build s", f"{res['osprey'][0]:.1f} / {res['osprey'][1]:.1f}",
                     f"{res['hnswlib'][0]:.1f} / {res['hnswlib'][1]:.1f}",
                     ratio(res['hnswlib'][0], res['osprey'][0]), "", "", "", f"load {max(loads):.2f}"])
        title = f"{name}: {X.shape[0]:,} x {X.shape[1]}, M=16, ef_construction=200"
        svg = plot(name, title, {"osprey": res["osprey"][2], "hnswlib": res["hnswlib"][2]},
                   args.plot_dir, data_dir)
        print(f"  plot: {svg}", flush=True)
    print("\n| set | threads | osprey QPS @0.95 | hnswlib QPS @0.95 | ratio | osprey QPS @0.99 "
          "| hnswlib QPS @0.99 | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if r[1] == "build s":
            print(f"| {r[0]} | build s (1 / 2 threads) | {r[2]} | {r[3]} | hnswlib/osprey "
                  f"{r[4]} (1 thread) | | | {r[8]} |")
        else:
            print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
