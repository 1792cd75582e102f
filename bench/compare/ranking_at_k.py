#!/usr/bin/python3
"""ndcg_score: osprey against scikit-learn on the same data.

Generates q queries x d documents (default 10,000 x 1,000 = 10M scores) with graded relevance
0..4 and scores that favour relevant documents, writes them to a binary file, times
scikit-learn's ndcg_score in this process (median of the repeats) and osprey's
compare_ranking_at_k program in fresh processes (median of the first call of each process, so
every timed run pays its page faults), for no cut and for k = 10. Checks the values agree to
1e-12 and prints a table with the ratio of the medians (scikit-learn / osprey).

Then the first-call table (`--calls` 0 skips it), for no cut and for k = 10: scikit-learn's
ndcg_score in a spawned interpreter (the file read first, then `--peer-calls` calls: each takes
seconds) and compare_ranking_at_k timing the float64 ndcg_score alone (`--calls` calls). It
gives the first call, the warm call (median of the second half), the minor page faults of each
and the process's peak RSS.

    /usr/bin/python3 bench/compare/ranking_at_k.py [--build-dir build/bench] [--q 10000] [--d 1000]
        [--repeats 3] [--runs 5] [--seed 7] [--calls 8] [--peer-calls 2]
"""
import argparse
import os

os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.metrics import ndcg_score  # noqa: E402

import callstats  # noqa: E402


def sklearn_median(rel, s, k, repeats):
    times, value = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = ndcg_score(rel, s, k=k)
        times.append(time.perf_counter() - t0)
    return value, statistics.median(times)


def osprey_median(exe, path, q, d, k, runs):
    firsts = {}
    for _ in range(runs):
        out = subprocess.run([exe, path, str(q), str(d), "none" if k is None else str(k), "1"],
                             check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("calls "):
                continue
            name, value, first, _ = line.split()
            firsts.setdefault(name, (float(value), []))[1].append(float(first))
    return {name: (v, statistics.median(t)) for name, (v, t) in firsts.items()}


def peer_calls(path, q, d, k, repeats):
    """scikit-learn's ndcg_score on the data file, in a fresh process: first and warm call."""
    data = np.fromfile(path, dtype=np.float64)
    rel, s = data[:q * d].reshape(q, d), data[q * d:].reshape(q, d)
    st = callstats.measure(lambda: ndcg_score(rel, s, k=k), repeats)
    st.pop("result")
    return st


def fresh_rows(exe, path, q, d, calls, peer_calls_n):
    """ndcg_score in fresh processes on both sides, for no cut and k = 10."""
    rows = []
    for k in (None, 10):
        cut = "all" if k is None else f"k = {k}"
        peer = callstats.in_fresh_process(peer_calls, path, q, d, k, peer_calls_n)
        out = subprocess.run([exe, path, str(q), str(d), "none" if k is None else str(k),
                              str(max(calls, 2)), "ndcg_score"],
                             check=True, capture_output=True, text=True).stdout
        rows.append((f"scikit-learn ndcg_score, {cut}", peer, None))
        ours = callstats.parse_calls(out)["ndcg_score"]
        rows.append((f"osprey ndcg_score (float64), {cut}", ours, peer))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--q", type=int, default=10_000, help="queries")
    ap.add_argument("--d", type=int, default=1_000, help="documents per query")
    ap.add_argument("--repeats", type=int, default=3, help="scikit-learn repeats")
    ap.add_argument("--runs", type=int, default=5, help="osprey processes")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--calls", type=int, default=8,
                    help="osprey calls per fresh process in the first-call table (0 skips it)")
    ap.add_argument("--peer-calls", type=int, default=2,
                    help="scikit-learn calls per fresh process in the first-call table")
    args = ap.parse_args()

    exe = os.path.join(args.build_dir, "bench", "compare_ranking_at_k")
    if not os.path.exists(exe):
        sys.exit(f"{exe} not found: cmake --preset bench && cmake --build {args.build_dir} "
                 "--target compare_ranking_at_k")
    rng = np.random.default_rng(args.seed)
    rel = rng.integers(0, 5, size=(args.q, args.d)).astype(np.float64)
    s = rng.normal(size=(args.q, args.d)) + 0.3 * rel
    print(f"# {platform.node()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
          f"scikit-learn {sklearn.__version__}, {args.q:,} queries x {args.d:,} documents "
          f"= {args.q * args.d:,} scores, relevance 0..4")
    print("| k | scikit-learn median (s) | osprey median (s) | ratio | osprey float32 median (s) "
          "| |value difference| |")
    print("|---|---:|---:|---:|---:|---:|")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ndcg.bin")
        with open(path, "wb") as f:
            f.write(np.ascontiguousarray(rel).tobytes())
            f.write(np.ascontiguousarray(s).tobytes())
        for k in (None, 10):
            value, peer = sklearn_median(rel, s, k, args.repeats)
            ours = osprey_median(exe, path, args.q, args.d, k, args.runs)
            v, med = ours["ndcg_score"]
            diff = abs(v - value)
            ok = ok and diff <= 1e-12
            print(f"| {'all' if k is None else k} | {peer:.3f} | {med:.4f} | {peer / med:.1f}x | "
                  f"{ours['ndcg_score_float'][1]:.4f} | {diff:.1e} |")
        if not ok:
            sys.exit("values differ from scikit-learn by more than 1e-12")
        fresh = []
        if args.calls > 0:
            fresh = fresh_rows(exe, path, args.q, args.d, args.calls, args.peer_calls)
    if fresh:
        callstats.print_table(
            f"Fresh processes (data read from file first), scikit-learn "
            f"{max(args.peer_calls, 2)} calls, osprey {max(args.calls, 2)}: the first call, the "
            "warm call (median of the second half), minor page faults during each, the "
            "process's peak RSS", fresh)


if __name__ == "__main__":
    main()
