#!/usr/bin/python3
"""Weighted roc_auc_score and average_precision_score: osprey against scikit-learn.

Generates n scores with a given positive rate (default 10M, 1 %) and log-normal sample weights
(transaction amounts; a tenth of them 0), writes them to a binary file, and times each metric
in fresh processes on both sides: every timed call is the first of its process (osprey's
compare_weighted_metrics program, or a fresh python3 that loads numpy and scikit-learn and reads
the file before the clock starts). Prints the medians over --processes runs, the ratio
(scikit-learn / osprey), osprey's warm median beside it, and checks that the values agree to
1e-12. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment first.

Then the first-call table (`--calls` 0 skips it): each metric in one more fresh process per side,
scikit-learn in a spawned interpreter (the file read first, then `--peer-calls` calls: each takes
seconds) and compare_weighted_metrics (`--calls` calls). It gives the first call, the warm call
(median of the second half), the minor page faults of each and the process's peak RSS.

    /usr/bin/python3 bench/compare/weighted_metrics.py [--build-dir build/bench] [--n 10000000]
        [--rate 0.01] [--ties 0] [--processes 3] [--osprey-repeats 5] [--seed 7] [--calls 8]
        [--peer-calls 2]
"""
import argparse
import os

os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import callstats


def read(path, n):
    with open(path, "rb") as f:
        y = np.frombuffer(f.read(4 * n), dtype=np.int32)
        s = np.frombuffer(f.read(8 * n), dtype=np.float64)
        w = np.frombuffer(f.read(8 * n), dtype=np.float64)
    return y, s, w


def worker(path, n, metric):
    """One fresh scikit-learn process: import, read, then time the first call."""
    import sklearn.metrics as m
    y, s, w = read(path, n)
    f = m.roc_auc_score if metric == "auc" else m.average_precision_score
    t0 = time.perf_counter()
    value = f(y, s, sample_weight=w)
    print(f"{value!r} {time.perf_counter() - t0:.6f}")


def peer_calls(path, n, metric, repeats):
    """scikit-learn's weighted metric on the data file, in a fresh process: first and warm call."""
    import sklearn.metrics as m
    y, s, w = read(path, n)
    f = m.roc_auc_score if metric == "auc" else m.average_precision_score
    st = callstats.measure(lambda: f(y, s, sample_weight=w), repeats)
    st.pop("result")
    return st


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--rate", type=float, default=0.01, help="fraction of positives")
    ap.add_argument("--ties", type=int, default=0,
                    help="round scores to this many decimals (0 = continuous scores)")
    ap.add_argument("--processes", type=int, default=3, help="fresh processes per side and metric")
    ap.add_argument("--osprey-repeats", type=int, default=5, help="warm calls after the first")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--calls", type=int, default=8,
                    help="osprey calls per fresh process in the first-call table (0 skips it)")
    ap.add_argument("--peer-calls", type=int, default=2,
                    help="scikit-learn calls per fresh process in the first-call table")
    ap.add_argument("--worker", nargs=3, metavar=("PATH", "N", "METRIC"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), args.worker[2])
        return

    exe = os.path.join(args.build_dir, "bench", "compare_weighted_metrics")
    if not os.path.exists(exe):
        sys.exit(f"{exe} not found: cmake --preset bench && cmake --build {args.build_dir} "
                 "--target compare_weighted_metrics")
    import sklearn

    rng = np.random.default_rng(args.seed)
    y = (rng.random(args.n) < args.rate).astype(np.int32)
    s = rng.normal(size=args.n) + 1.0 * y
    if args.ties > 0:
        s = np.round(s, args.ties)
    w = np.exp(rng.normal(size=args.n))
    w[rng.random(args.n) < 0.1] = 0.0
    rows = []
    fresh = []
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "weighted_metrics.bin")
        with open(path, "wb") as f:
            f.write(y.tobytes())
            f.write(s.astype(np.float64).tobytes())
            f.write(w.tobytes())
        del y, s, w
        for metric, name in (("auc", "roc_auc_score"), ("ap", "average_precision_score")):
            ours, peer = [], []
            for _ in range(args.processes):
                out = subprocess.run([exe, path, str(args.n), str(args.osprey_repeats), metric],
                                     check=True, capture_output=True,
                                     text=True).stdout.splitlines()[0].split()
                ours.append((float(out[1]), float(out[2]), float(out[4])))
                out = subprocess.run([sys.executable, __file__, "--worker", path, str(args.n),
                                      metric], check=True, capture_output=True,
                                     text=True).stdout.split()
                peer.append((float(out[0]), float(out[1])))
            first = statistics.median(t for _, t, _ in ours)
            warm = statistics.median(t for _, _, t in ours)
            theirs = statistics.median(t for _, t in peer)
            diff = abs(ours[0][0] - peer[0][0])
            ok = ok and diff <= 1e-12
            rows.append(f"| weighted {name} | {theirs:.3f} | {first:.4f} | {theirs / first:.1f}x | "
                        f"{warm:.4f} | {theirs / warm:.1f}x | {diff:.1e} |")
            if args.calls > 0:
                peer_st = callstats.in_fresh_process(peer_calls, path, args.n, metric,
                                                     args.peer_calls)
                out = subprocess.run([exe, path, str(args.n), str(max(args.calls, 2) - 1), metric],
                                     check=True, capture_output=True, text=True).stdout
                fresh.append((f"scikit-learn weighted {name}", peer_st, None))
                fresh.append((f"osprey weighted {name}", callstats.parse_calls(out)[name], peer_st))
    print(f"# {platform.node()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
          f"scikit-learn {sklearn.__version__}, n = {args.n:,}, positives {args.rate:.2%}, "
          f"log-normal weights (10 % zero), ties: "
          f"{'rounded to %d decimals' % args.ties if args.ties else 'none'}; "
          f"medians over {args.processes} fresh processes per side")
    print("| metric | scikit-learn first call (s) | osprey first call (s) | ratio | "
          "osprey warm (s) | warm ratio | |value difference| |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    if fresh:
        callstats.print_table(
            f"Fresh processes (data read from file first), scikit-learn "
            f"{max(args.peer_calls, 2)} calls, osprey {max(args.calls, 2)}: the first call, the "
            "warm call (median of the second half), minor page faults during each, the "
            "process's peak RSS", fresh)
    if not ok:
        sys.exit("values differ from scikit-learn by more than 1e-12")


if __name__ == "__main__":
    main()
