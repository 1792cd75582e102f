#!/usr/bin/python3
"""roc_auc_score and average_precision_score: osprey against scikit-learn on the same data.

Generates n scores with a given positive rate (default 10M, 1 %), writes them to a binary file,
times scikit-learn in this process and osprey's compare_metrics program on the same file, checks
the values agree, and prints a table with the ratio (scikit-learn time / osprey time, best of
the repeats). Then each metric again in fresh processes on both sides (the data read from the
file, then `--calls` calls): first call against warm call, with page faults and peak RSS. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment first.

    /usr/bin/python3 bench/compare/metrics.py [--build-dir build/bench] [--n 10000000]
"""
import argparse
import os

os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, roc_auc_score

import callstats


def best_of(f, repeats):
    times, value = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = f()
        times.append(time.perf_counter() - t0)
    times.sort()
    return value, times[0], times[len(times) // 2]


def peer_calls(path, n, metric, repeats):
    """scikit-learn's `metric` on the data file, in a fresh process: first and warm call."""
    import sklearn.metrics as skm
    y = np.fromfile(path, dtype=np.int32, count=n)
    s = np.fromfile(path, dtype=np.float64, count=n, offset=4 * n)
    fn = getattr(skm, metric)
    st = callstats.measure(lambda: fn(y, s), repeats)
    st.pop("result")
    return st


def first_call_table(exe, path, n, repeats):
    """Each metric in a fresh process on both sides: the cost of a process that calls it once."""
    print()
    print(f"Each metric in a fresh process, {max(repeats, 2)} calls: the first call, the warm call "
          "(median of the second half), minor page faults during each, the process's peak RSS")
    print()
    print(callstats.HEADER)
    for metric in ("roc_auc_score", "average_precision_score"):
        peer = peer_calls_fresh(path, n, metric, repeats)
        print(callstats.row(f"scikit-learn {metric}", peer))
        out = subprocess.run([exe, path, str(n), str(repeats), metric], check=True,
                             capture_output=True, text=True).stdout
        ours = callstats.parse_calls(out)[metric]
        print(callstats.row(f"osprey {metric}", ours, peer))


def peer_calls_fresh(path, n, metric, repeats):
    return callstats.in_fresh_process(peer_calls, path, n, metric, repeats)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--rate", type=float, default=0.01, help="fraction of positives")
    ap.add_argument("--ties", type=int, default=0,
                    help="round scores to this many decimals (0 = continuous scores)")
    ap.add_argument("--repeats", type=int, default=3, help="scikit-learn repeats")
    ap.add_argument("--osprey-repeats", type=int, default=7)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--calls", type=int, default=6,
                    help="calls per fresh process in the first-call table (0 skips it)")
    args = ap.parse_args()

    exe = os.path.join(args.build_dir, "bench", "compare_metrics")
    if not os.path.exists(exe):
        sys.exit(f"{exe} not found: cmake --preset bench && cmake --build {args.build_dir} "
                 "--target compare_metrics")

    rng = np.random.default_rng(args.seed)
    y = (rng.random(args.n) < args.rate).astype(np.int32)
    s = rng.normal(size=args.n) + 1.0 * y  # a score that ranks positives higher, as a model would
    if args.ties > 0:
        s = np.round(s, args.ties)
    tmp = tempfile.TemporaryDirectory()
    path = os.path.join(tmp.name, "metrics.bin")
    with open(path, "wb") as f:
        f.write(y.tobytes())
        f.write(s.astype(np.float64).tobytes())
    out = subprocess.run([exe, path, str(args.n), str(args.osprey_repeats)], check=True,
                         capture_output=True, text=True).stdout
    ours = {}
    for line in out.splitlines():
        if line.startswith("calls "):
            continue
        name, value, best, median = line.split()
        ours[name] = (float(value), float(best), float(median))

    peers = {
        "roc_auc_score": best_of(lambda: roc_auc_score(y, s), args.repeats),
        "average_precision_score": best_of(lambda: average_precision_score(y, s), args.repeats),
    }
    print(f"# {platform.node()}, {os.cpu_count()} CPUs, scikit-learn {sklearn.__version__}, "
          f"n = {args.n:,}, positives = {int(y.sum()):,} ({args.rate:.2%}), "
          f"ties: {'rounded to %d decimals' % args.ties if args.ties else 'none'}")
    print("| metric | scikit-learn best (s) | osprey best (s) | osprey median (s) | ratio | "
          "osprey float32 best (s) | |value difference| |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    ok = True
    for name, (value, best, _) in peers.items():
        v, ob, om = ours[name]
        fb = ours[name + "_float"][1]
        diff = abs(v - value)
        ok = ok and diff <= 1e-12
        print(f"| {name} | {best:.3f} | {ob:.4f} | {om:.4f} | {best / ob:.1f}x | {fb:.4f} | "
              f"{diff:.1e} |")
    if not ok:
        sys.exit("values differ from scikit-learn by more than 1e-12")
    if args.calls > 0:
        first_call_table(exe, path, args.n, args.calls)
    tmp.cleanup()


if __name__ == "__main__":
    main()
