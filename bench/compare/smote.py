#!/usr/bin/python3
"""SMOTE side by side: imbalanced-learn vs osprey::Smote on the same data, in one run.

    /usr/bin/python3 bench/compare/smote.py [--build-dir build/bench] [--n 100000] [--d 20]
        [--minority 0.05] [--repeats 15] [--threads 2]

Generates n x d Gaussian data with a `minority` share of class 1 (shifted by 0.5 in every
feature), writes it to a temporary binary file, times imbalanced-learn's SMOTE(k_neighbors=5,
sampling_strategy='auto').fit_resample and then build-dir/bench/compare_smote on that file
(double and float), and prints the median and best times with the ratio imbalanced-learn
(float64) / osprey, and against imbalanced-learn run on the same data in float32 (it keeps the
dtype) for osprey's float: the like-for-like column. Both sides are timed end to end on in-memory data (input already loaded; output
allocated and filled). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment
before numpy loads (set, they slow OpenBLAS down), so the peer runs at its best.
"""
import os

os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import argparse  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

import callstats  # noqa: E402

warnings.simplefilter("ignore")


def peer_calls(xpath, ypath, n, d, dtype, repeats):
    """imbalanced-learn's SMOTE on the data files in a fresh process: first and warm call."""
    from imblearn.over_sampling import SMOTE
    X = np.fromfile(xpath, dtype=np.float64).reshape(n, d).astype(dtype)
    y = np.fromfile(ypath, dtype=np.int32)

    def call():
        out = SMOTE(k_neighbors=5, random_state=0).fit_resample(X, y)
        del out

    st = callstats.measure(call, repeats)
    st.pop("result")
    return st


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--d", type=int, default=20)
    ap.add_argument("--minority", type=float, default=0.05)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--calls", type=int, default=8,
                    help="calls per fresh process in the first-call table (0 skips it)")
    args = ap.parse_args()

    from imblearn import __version__ as imblearn_version
    from imblearn.over_sampling import SMOTE

    rng = np.random.default_rng(2026)
    n_min = int(round(args.n * args.minority))
    X = rng.normal(size=(args.n, args.d))
    y = np.zeros(args.n, dtype=np.int32)
    pick = rng.choice(args.n, size=n_min, replace=False)
    y[pick] = 1
    X[pick] += 0.5

    exe = os.path.join(args.build_dir, "bench", "compare_smote")
    if not os.path.exists(exe):
        raise SystemExit(f"{exe} not found: cmake --preset bench && cmake --build {args.build_dir} "
                         "--target compare_smote")

    times = []
    for _ in range(args.repeats):
        sm = SMOTE(k_neighbors=5, random_state=0)
        t0 = time.perf_counter()
        Xr, yr = sm.fit_resample(X, y)
        times.append(time.perf_counter() - t0)
    peer = (np.median(times), min(times))
    peer_counts = np.bincount(yr)

    # imbalanced-learn on float32 input (it keeps the dtype): the like-for-like peer of
    # osprey::Smote<float>.
    X32 = X.astype(np.float32)
    times32 = []
    for _ in range(args.repeats):
        sm = SMOTE(k_neighbors=5, random_state=0)
        t0 = time.perf_counter()
        sm.fit_resample(X32, y)
        times32.append(time.perf_counter() - t0)
    peer32 = (np.median(times32), min(times32))

    rows = []
    fresh = []
    with tempfile.TemporaryDirectory() as tmp:
        xpath = os.path.join(tmp, "X.bin")
        ypath = os.path.join(tmp, "y.bin")
        np.ascontiguousarray(X, dtype=np.float64).tofile(xpath)
        y.astype(np.int32).tofile(ypath)
        for scalar in ("double", "float"):
            out = subprocess.run([exe, xpath, ypath, str(args.n), str(args.d), str(args.repeats),
                                  str(args.threads), scalar], check=True, capture_output=True,
                                 text=True).stdout.split()
            med, best, c0, c1 = float(out[0]), float(out[1]), int(out[2]), int(out[3])
            if [c0, c1] != peer_counts.tolist():
                raise SystemExit(f"class counts differ: osprey {[c0, c1]}, imbalanced-learn "
                                 f"{peer_counts.tolist()}")
            rows.append((scalar, med, best))
        if args.calls > 0:
            for scalar, dtype in (("double", "float64"), ("float", "float32")):
                peer_st = callstats.in_fresh_process(peer_calls, xpath, ypath, args.n, args.d,
                                                     dtype, args.calls)
                out = subprocess.run([exe, xpath, ypath, str(args.n), str(args.d),
                                      str(args.calls), str(args.threads), scalar], check=True,
                                     capture_output=True, text=True).stdout
                ours = callstats.parse_calls(out)[f"smote_{scalar}"]
                fresh.append((f"imbalanced-learn SMOTE ({dtype})", peer_st, None))
                fresh.append((f"osprey::Smote<{scalar}>", ours, peer_st))

    print(f"SMOTE, {args.n:,} x {args.d}, minority {args.minority:.0%} ({n_min:,} rows), k = 5, "
          f"auto strategy -> {len(yr):,} rows; {args.repeats} repeats, osprey n_threads = "
          f"{args.threads}; imbalanced-learn {imblearn_version}")
    print(f"{'implementation':38s} {'median ms':>10s} {'best ms':>10s} {'ratio (median)':>15s} "
          f"{'vs same dtype':>14s}")
    print(f"{'imbalanced-learn SMOTE (float64)':38s} {peer[0] * 1e3:10.2f} {peer[1] * 1e3:10.2f} "
          f"{'1.00x':>15s} {'1.00x':>14s}")
    print(f"{'imbalanced-learn SMOTE (float32)':38s} {peer32[0] * 1e3:10.2f} "
          f"{peer32[1] * 1e3:10.2f} {peer[0] / peer32[0]:14.2f}x {'1.00x':>14s}")
    for scalar, med, best in rows:
        name = f"osprey::Smote<{scalar}>"
        same = peer if scalar == "double" else peer32
        print(f"{name:38s} {med * 1e3:10.2f} {best * 1e3:10.2f} {peer[0] / med:14.2f}x "
              f"{same[0] / med:13.2f}x")
    if fresh:
        print()
        print(f"Fresh processes, {max(args.calls, 2)} calls each (data read from file first): the "
              "first call, the warm call (median of the second half), minor page faults during "
              "each, the process's peak RSS")
        print()
        print(callstats.HEADER)
        for name, st, peer_st in fresh:
            print(callstats.row(name, st, peer_st))


if __name__ == "__main__":
    main()
