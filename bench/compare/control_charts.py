#!/usr/bin/python3
"""Side-by-side: osprey's Ewma/Cusum against pandas' ewm(alpha).mean() on the same series.

Generates a seeded N(0, 1) series with a one-sigma shift in its second half, writes it as raw
float64, times pandas (best of --repeats) and runs build/bench/bench/compare_control_charts on the
same file in the same run (both timed in process CPU time, best of --repeats, because the
machine is shared and wall time counts other jobs), checks that osprey's EWMA statistic matches
pandas' adjust=False output to 1e-9 (the same recurrence, started at the series' first value;
equal up to rounding, since pandas divides by (1 - alpha) + alpha and does not fuse the
multiply-add), and prints a table with the ratios. Peers run with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE removed from the environment (pandas does not use BLAS here; removed for
uniformity with the other comparisons).

Then the first-call table: each side in fresh processes (the series read from the file first,
then `--calls` calls; 0 skips it): pandas' ewm(alpha).mean() and ewm(alpha, adjust=False).mean()
in a spawned interpreter, and compare_control_charts timing one variant per process
(Ewma<double>::detect_into, the row docs/benchmarks.md quotes, Ewma<double>::detect,
Ewma<float>::detect_into, Cusum<double>::detect_into). It gives the first call and the warm call
(median of the second half) in wall time, the minor page faults of each and the process's peak
RSS; the ratio columns compare each osprey row with pandas' default ewm(alpha).mean().

    /usr/bin/python3 bench/compare/control_charts.py [--build-dir build/bench] [--n 10000000]
        [--lam 0.2] [--repeats 5] [--calls 8]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

import callstats

os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

# The osprey variants of the first-call table: the driver's name and the table's label.
FRESH_VARIANTS = [
    ("ewma_detect_into_f64", "osprey Ewma<double>::detect_into"),
    ("ewma_detect_f64", "osprey Ewma<double>::detect"),
    ("ewma_detect_into_f32", "osprey Ewma<float>::detect_into"),
    ("cusum_detect_into_f64", "osprey Cusum<double>::detect_into"),
]


def best_of(repeats, fn):
    best = float("inf")
    out = None
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t0)
    return best, out


def peer_calls(path, lam, adjust, repeats):
    """pandas' ewm(alpha).mean() on the series file, in a fresh process: first and warm call."""
    s = pd.Series(np.fromfile(path, dtype="<f8"))
    st = callstats.measure(lambda: s.ewm(alpha=lam, adjust=adjust).mean(), repeats)
    st.pop("result")
    return st


def fresh_rows(exe, path, lam, calls):
    """pandas and each osprey variant in fresh processes: the cost of a process that calls once.
    Returns (label, stats, peer stats for the ratio columns or None) per row."""
    rows = []
    peer = None
    for adjust, label in ((True, "pandas ewm(alpha).mean()  [adjust=True, default]"),
                          (False, "pandas ewm(alpha, adjust=False).mean()")):
        st = callstats.in_fresh_process(peer_calls, path, lam, adjust, calls)
        peer = peer or st
        rows.append((label, st, None))
    for variant, label in FRESH_VARIANTS:
        out = subprocess.run([exe, path, str(lam), str(calls), "-", variant], check=True,
                             capture_output=True, text=True).stdout
        rows.append((label, callstats.parse_calls(out)[variant], peer))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--lam", type=float, default=0.2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--calls", type=int, default=8,
                    help="calls per fresh process in the first-call table (0 skips it)")
    args = ap.parse_args()

    exe = os.path.join(args.build_dir, "bench", "compare_control_charts")
    if not os.path.exists(exe):
        sys.exit(f"{exe} not found: cmake --preset bench && "
                 f"cmake --build {args.build_dir} --target compare_control_charts")

    rng = np.random.default_rng(2024)
    x = rng.standard_normal(args.n)
    x[args.n // 2:] += 1.0
    s = pd.Series(x)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "series.bin")
        zpath = os.path.join(tmp, "z.bin")
        x.astype("<f8").tofile(path)

        t_adj, _ = best_of(args.repeats, lambda: s.ewm(alpha=args.lam).mean())
        t_rec, z_pd = best_of(args.repeats,
                              lambda: s.ewm(alpha=args.lam, adjust=False).mean())

        res = subprocess.run([exe, path, str(args.lam), str(args.repeats), zpath],
                             check=True, capture_output=True, text=True)
        times = {}
        for line in res.stdout.splitlines():
            name, sec = line.split()
            times[name] = float(sec)
        z = np.fromfile(zpath, dtype="<f8")
        fresh = fresh_rows(exe, path, args.lam, args.calls) if args.calls > 0 else []

    diff = float(np.max(np.abs(z - z_pd.to_numpy())))
    print(f"series: {args.n:,} float64 samples, lambda = {args.lam}, best of {args.repeats}")
    print(f"max |osprey z_t - pandas ewm(adjust=False).mean()| = {diff:.3g}")
    if diff > 1e-9:
        sys.exit("statistics differ")
    n = args.n
    rows = [
        ("pandas ewm(alpha).mean()  [adjust=True, default]", t_adj),
        ("pandas ewm(alpha, adjust=False).mean()", t_rec),
        ("osprey Ewma<double>::update loop, z_t stored", times["ewma_update_statistics_f64"]),
        ("osprey Ewma<double>::detect(x, z) (alarms + z_t)",
         times["ewma_detect_statistics_f64"]),
        ("osprey Ewma<double>::detect (alarms)", times["ewma_detect_f64"]),
        ("osprey Ewma<float>::detect (alarms)", times["ewma_detect_f32"]),
        ("osprey Ewma<double>::detect_into (reused buffer)", times["ewma_detect_into_f64"]),
        ("osprey Ewma<float>::detect_into (reused buffer)", times["ewma_detect_into_f32"]),
        ("osprey Cusum<double>::detect (alarms)", times["cusum_detect_f64"]),
        ("osprey Cusum<double>::detect_into (reused buffer)", times["cusum_detect_into_f64"]),
    ]
    print(f"| {'implementation':<52} | {'seconds':>9} | {'M samples/s':>11} | "
          f"{'vs pandas default':>17} |")
    print(f"|{'-' * 54}|{'-' * 11}:|{'-' * 13}:|{'-' * 19}:|")
    for name, t in rows:
        print(f"| {name:<52} | {t:9.4f} | {n / t / 1e6:11.1f} | {t_adj / t:16.1f}x |")
    if fresh:
        callstats.print_table(
            f"Fresh processes, {max(args.calls, 2)} calls each (series read from file first): "
            "the first call, the warm call (median of the second half), in wall time, minor "
            "page faults during each, the process's peak RSS; ratios against pandas' default "
            "ewm(alpha).mean()", fresh)


if __name__ == "__main__":
    main()
