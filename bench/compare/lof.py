#!/usr/bin/python3
"""Local Outlier Factor, osprey vs scikit-learn, on the same generated data in one run.

    cmake --preset bench && cmake --build build/bench -j2 --target compare_lof
    /usr/bin/python3 bench/compare/lof.py [--build-dir build/bench] [--rows 100000] [--pairs 3]
        [--cols 16] [--k 20] [--threads 2] [--calls 2]

Workload (issue 19): rows x 16 float64 (standard normal, 1% uniform outliers in [-6, 6]),
n_neighbors = 20, outlier-detection fit (which scores every training row). scikit-learn runs
with n_jobs=2 and its default algorithm ('auto': brute force above 15 features), osprey with
n_threads=2. The two sides alternate, `--pairs` times, and the table gives each pair's times and
ratio and their medians; the machine's load matters, so quote medians. Every osprey output is
checked against scikit-learn's: negative_outlier_factor_ to 1e-10 (relative) and the labels of
fit_predict exactly. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment
before anything is imported (set, they slow OpenBLAS down).

Then the first-call table (`--calls` 0 skips it): the same fit in one more fresh process per
side, scikit-learn's in a spawned interpreter and compare_lof's, the data read from the file
first, then `--calls` fits (default 2: scikit-learn's fit takes tens of seconds at 100k rows).
It gives the first fit, the warm fit (median of the second half), the minor page faults of each
and the process's peak RSS.
"""
import argparse
import os

os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.neighbors import LocalOutlierFactor  # noqa: E402

import callstats  # noqa: E402


def peer_calls(data, rows, cols, k, threads, repeats):
    """scikit-learn's outlier-detection fit on the data file in a fresh process."""
    X = np.fromfile(data, dtype="<f8").reshape(rows, cols)

    def call():
        return LocalOutlierFactor(n_neighbors=k, n_jobs=threads).fit_predict(X)[0]

    st = callstats.measure(call, repeats)
    st.pop("result")
    return st


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--cols", type=int, default=16)
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=3, help="alternating scikit-learn/osprey runs")
    ap.add_argument("--calls", type=int, default=2,
                    help="fits per fresh process in the first-call table (0 skips it)")
    args = ap.parse_args()

    rng = np.random.default_rng(2026)
    n_out = args.rows // 100
    X = rng.normal(size=(args.rows, args.cols))
    X[-n_out:] = rng.uniform(-6.0, 6.0, size=(n_out, args.cols))
    X = np.ascontiguousarray(X[rng.permutation(args.rows)])

    exe = os.path.join(args.build_dir, "bench", "compare_lof")
    if not os.path.exists(exe):
        raise SystemExit(f"{exe} not found: build it with cmake --build {args.build_dir} "
                         "--target compare_lof")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "X.f64")
        scores = os.path.join(tmp, "nof.f64")
        X.astype("<f8").tofile(data)
        for _ in range(args.pairs):
            t0 = time.perf_counter()
            lof = LocalOutlierFactor(n_neighbors=args.k, n_jobs=args.threads)
            labels = lof.fit_predict(X)
            peer = time.perf_counter() - t0
            out = subprocess.run([exe, data, str(args.rows), str(args.cols), str(args.k),
                                  str(args.threads), "1", scores],
                                 check=True, capture_output=True, text=True).stdout
            fields = dict(kv.split("=") for kv in out.splitlines()[0].split())
            ours = float(fields["fit_s"])
            nof = np.fromfile(scores, dtype="<f8")
            ref = lof.negative_outlier_factor_
            rel = float(np.max(np.abs(nof - ref) / np.abs(ref)))
            ours_labels = np.where(nof < float(fields["offset"]), -1, 1)
            if rel > 1e-10 or not np.array_equal(ours_labels, labels):
                raise SystemExit(f"outputs differ: max relative difference {rel:.3g}, "
                                 f"{int(np.sum(ours_labels != labels))} labels")
            rows.append((peer, ours, peer / ours, rel))
        fresh = None
        if args.calls > 0:
            peer_st = callstats.in_fresh_process(peer_calls, data, args.rows, args.cols, args.k,
                                                 args.threads, args.calls)
            out = subprocess.run([exe, data, str(args.rows), str(args.cols), str(args.k),
                                  str(args.threads), str(max(args.calls, 2)), scores],
                                 check=True, capture_output=True, text=True).stdout
            fresh = (peer_st, callstats.parse_calls(out)["lof"])

    print(f"LocalOutlierFactor fit, {args.rows} x {args.cols} float64, n_neighbors {args.k}, "
          f"{args.threads} threads (scikit-learn algorithm: {lof._fit_method})")
    print("| pair | scikit-learn (s) | osprey (s) | speed-up | max rel. diff of scores |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for i, (peer, ours, ratio, rel) in enumerate(rows):
        print(f"| {i + 1} | {peer:.3f} | {ours:.3f} | {ratio:.1f}x | {rel:.1e} |")
    med = [statistics.median(r[j] for r in rows) for j in range(3)]
    print(f"| median | {med[0]:.3f} | {med[1]:.3f} | {med[2]:.1f}x | |")
    if fresh is not None:
        peer_st, ours_st = fresh
        print()
        print(f"fit in fresh processes, {max(args.calls, 2)} fits each (data read from file "
              "first): the first fit, the warm fit (median of the second half), minor page "
              "faults during each, the process's peak RSS")
        print()
        print(callstats.HEADER)
        print(callstats.row(f"scikit-learn LocalOutlierFactor(n_jobs={args.threads})", peer_st))
        print(callstats.row(f"osprey LocalOutlierFactor<double>(n_threads={args.threads})",
                            ours_st, peer_st))


if __name__ == "__main__":
    main()
