#!/usr/bin/python3
"""Isolation Forest, osprey vs scikit-learn, on the same generated data in one run.

    cmake --preset bench && cmake --build build/bench -j2 --target compare_iforest
    /usr/bin/python3 bench/compare/iforest.py [--build-dir build/bench] [--rows 1000000]

Workload (the acceptance item of issue 6): rows x 10 float64, 1% outliers, 100 trees,
max_samples 256, fit + score_samples on every row. scikit-learn runs with n_jobs=2, osprey with
n_threads=2. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment before
anything is imported (set, they slow OpenBLAS down; scikit-learn's forest barely uses BLAS, but
the rule is the same for every comparison). Prints a table with the times, the ratio and each
side's ROC AUC on the outlier labels (a check that both did the same job).
"""
import argparse
import os

os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

import callstats  # noqa: E402


def peer_calls(data, rows, cols, trees, threads, repeats):
    """scikit-learn's fit + score_samples on the data file in a fresh process."""
    X = np.fromfile(data, dtype="<f8").reshape(rows, cols)

    def call():
        forest = IsolationForest(n_estimators=trees, max_samples=256, n_jobs=threads,
                                 random_state=0).fit(X)
        return forest.score_samples(X)[0]

    st = callstats.measure(call, repeats)
    st.pop("result")
    return st


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=10)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="osprey runs (best is kept)")
    ap.add_argument("--peer-repeat", type=int, default=1, help="scikit-learn runs (best is kept)")
    ap.add_argument("--calls", type=int, default=2,
                    help="scikit-learn calls in the fresh-process table (0 skips it); osprey "
                         "makes max(--repeat, 4)")
    args = ap.parse_args()

    rng = np.random.default_rng(2026)
    n_out = args.rows // 100
    X = rng.normal(size=(args.rows, args.cols))
    X[-n_out:] = rng.uniform(-6.0, 6.0, size=(n_out, args.cols))
    y = np.zeros(args.rows, dtype=np.int32)
    y[-n_out:] = 1
    perm = rng.permutation(args.rows)
    X = np.ascontiguousarray(X[perm])
    y = np.ascontiguousarray(y[perm])

    exe = os.path.join(args.build_dir, "bench", "compare_iforest")
    if not os.path.exists(exe):
        raise SystemExit(f"{exe} not found: build it with cmake --build {args.build_dir} "
                         "--target compare_iforest")

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "X.f64")
        labels = os.path.join(tmp, "y.i32")
        X.astype("<f8").tofile(data)
        y.astype("<i4").tofile(labels)

        peer_best = None
        for r in range(args.peer_repeat):
            t0 = time.perf_counter()
            forest = IsolationForest(n_estimators=args.trees, max_samples=256, n_jobs=args.threads,
                                     random_state=r).fit(X)
            t1 = time.perf_counter()
            scores = forest.score_samples(X)
            t2 = time.perf_counter()
            if peer_best is None or t2 - t0 < peer_best[2]:
                peer_best = (t1 - t0, t2 - t1, t2 - t0, roc_auc_score(y, -scores))

        out = subprocess.run([exe, "time", data, str(args.rows), str(args.cols), str(args.trees),
                              str(args.threads), str(max(args.repeat, 4)), labels],
                             check=True, capture_output=True, text=True).stdout
        fields = dict(kv.split("=") for kv in out.splitlines()[0].split())
        fresh = None
        if args.calls > 0:
            fresh = (callstats.in_fresh_process(peer_calls, data, args.rows, args.cols,
                                                args.trees, args.threads, args.calls),
                     callstats.parse_calls(out)["iforest"])
        ours = (float(fields["fit_s"]), float(fields["score_s"]), float(fields["total_s"]),
                float(fields["auc"]))

    print(f"IsolationForest fit + score_samples, {args.rows} x {args.cols} float64, "
          f"{args.trees} trees, max_samples 256, {args.threads} threads")
    print(f"| library | fit (s) | score_samples (s) | total (s) | ROC AUC | speed-up |")
    print(f"| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| scikit-learn IsolationForest(n_jobs={args.threads}) | {peer_best[0]:.3f} | "
          f"{peer_best[1]:.3f} | {peer_best[2]:.3f} | {peer_best[3]:.4f} | 1.0x |")
    print(f"| osprey IsolationForest<double>(n_threads={args.threads}) | {ours[0]:.3f} | "
          f"{ours[1]:.3f} | {ours[2]:.3f} | {ours[3]:.4f} | {peer_best[2] / ours[2]:.1f}x |")
    if fresh is not None:
        peer_st, ours_st = fresh
        print()
        print("fit + score_samples in fresh processes (data read from file first): the first "
              "call, the warm call (median of the second half), minor page faults during each, "
              "the process's peak RSS")
        print()
        print(callstats.HEADER)
        print(callstats.row(f"scikit-learn IsolationForest(n_jobs={args.threads})", peer_st))
        print(callstats.row(f"osprey IsolationForest<double>(n_threads={args.threads})", ours_st,
                            peer_st))


if __name__ == "__main__":
    main()
