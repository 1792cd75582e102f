#!/usr/bin/python3
"""Standard versus Extended Isolation Forest (Hariri, Kind & Brunner, IEEE TKDE 2021): ROC AUC
of osprey's IsolationForest at extension_level 0 (axis-parallel cuts), 1, and d - 1 (fully
extended) on every labelled outlier set od_<name>/<name>.csv (features, then a `label`
column) of a data folder, mean and standard deviation over seeds.

    cmake --preset bench && cmake --build build/bench -j2 --target compare_eif
    /usr/bin/python3 bench/compare/eif_auc.py DATA_DIR [--build-dir build/bench]

(or any build of bench/compare/eif.cpp passed with --exe). 100 trees, max_samples 256,
contamination auto, seeds 0..9, score = anomaly score, AUC rank-based (Mann-Whitney, ties
halved). Prints a Markdown table; a difference is flagged when it exceeds twice the larger
standard deviation.
"""
import argparse
import glob
import os
import subprocess

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("data_dir", help="folder holding od_<name>/<name>.csv")
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--exe", default="", help="compare_eif executable (default: in --build-dir)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated set names (default: all od_*)")
    args = ap.parse_args()

    exe = args.exe or os.path.join(args.build_dir, "bench", "compare_eif")
    if not os.path.exists(exe):
        raise SystemExit(f"{exe} not found: build it with cmake --build {args.build_dir} "
                         "--target compare_eif")
    files = sorted(glob.glob(os.path.join(args.data_dir, "od_*", "*.csv")))
    if args.only:
        keep = set(args.only.split(","))
        files = [f for f in files if os.path.basename(os.path.dirname(f))[3:] in keep]
    if not files:
        raise SystemExit(f"no od_*/*.csv under {args.data_dir}")

    print(f"ROC AUC, {args.trees} trees, max_samples 256, seeds 0..{args.seeds - 1} "
          "(mean ± standard deviation); L = extension_level")
    print("| data set | rows | d | outliers | L = 0 (standard) | L = 1 | L = d - 1 (full) "
          "| full - standard | verdict |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for path in files:
        name = os.path.basename(os.path.dirname(path))[3:]
        with open(path) as f:
            d = len(f.readline().split(",")) - 1
        y = np.loadtxt(path, delimiter=",", skiprows=1, usecols=d)
        levels = [0, 1, d - 1] if d > 2 else [0, d - 1]
        out = subprocess.run([exe, "auc", path, str(args.seeds), str(args.trees),
                              str(args.threads)] + [str(v) for v in levels],
                             check=True, capture_output=True, text=True).stdout
        auc = {}
        for line in out.splitlines():
            level, _, value = line.split()
            auc.setdefault(int(level), []).append(float(value))
        cell = {v: f"{np.mean(a):.4f} ± {np.std(a):.4f}" for v, a in auc.items()}
        std, full = np.array(auc[0]), np.array(auc[d - 1])
        diff = full.mean() - std.mean()
        band = 2 * max(std.std(), full.std())
        verdict = "helps" if diff > band else ("hurts" if diff < -band else "no clear change")
        print(f"| {name} | {len(y)} | {d} | {int(y.sum())} ({100 * y.mean():.2f}%) "
              f"| {cell[0]} | {cell.get(1, '(= full)')} | {cell[d - 1]} | {diff:+.4f} "
              f"| {verdict} |", flush=True)


if __name__ == "__main__":
    main()
