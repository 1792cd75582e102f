#!/usr/bin/python3
"""Single-row latency, osprey vs scikit-learn, per call, 1 thread, in one run.

    cmake --preset bench && cmake --build build/bench -j2 --target bench_latency compare_latency
    /usr/bin/python3 bench/compare/latency.py [--build-dir build/bench] [--calls 2000]
        [--knn-calls 500] [--warmup 50] [--min-time 2.0] [--fresh-calls 100]

Workloads (issue 17, part 3), the same shapes and distributions on both sides:
  - StandardScaler then IsolationForest (100 trees, max_samples 256) fitted on 100k x 10
    normal values; one row scored (score_samples);
  - KNeighborsClassifier (k = 5) predict_proba of one query against 100k x 64 uniform float32
    values (algorithm brute) and 1M x 3 (algorithm kd_tree).
osprey: bench_latency (Google Benchmark), each call timed alone with steady_clock, p50/p99 of
the calls of one run. scikit-learn: after `--warmup` calls, each of `--calls` calls timed alone
with time.perf_counter_ns (one request of shape (1, d), as a service receives it). Both run on
one thread: OMP_NUM_THREADS=1 and threadpoolctl for scikit-learn, ThreadLimit(1) for osprey.
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment before any import.
Prints a markdown table: p50 and p99 of each side and the ratio (scikit-learn / osprey).

Then the first request against warm ones (`--fresh-calls` 0 skips it): each workload in a fresh
process per side, scikit-learn in a spawned interpreter (one thread) and compare_latency (the
same data as bench_latency), which fits the model and then serves `--fresh-calls` one-row
requests, a new row each: the first request after the fit (what a service that has just loaded
its model pays), the warm request (median of the second half; 100 calls by default, since a few
calls of microseconds do not yet reach the steady state), the minor page faults of each and the
process's peak RSS. Times in microseconds.
"""
import argparse
import itertools
import json
import os

os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import callstats  # noqa: E402

try:
    from threadpoolctl import threadpool_limits  # noqa: E402
except ImportError:  # OMP_NUM_THREADS above already limits the pools
    threadpool_limits = None

WORKLOADS = [
    ("BM_ScalerIsolationForestOneRow", "StandardScaler + IsolationForest (100 trees), one row"),
    ("BM_KnnBruteOneQuery", "KNN predict_proba, one query vs 100k x 64 (brute, float32)"),
    ("BM_KnnKdTreeOneQuery", "KNN predict_proba, one query vs 1M x 3 (kd-tree, float32)"),
]


def percentiles(ns):
    ns = np.sort(np.asarray(ns, dtype=np.float64))
    at = lambda q: ns[min(len(ns) - 1, int(q * len(ns)))]  # noqa: E731 (as bench_latency)
    return at(0.50) / 1e3, at(0.99) / 1e3


def time_calls(call, queries, warmup, calls):
    for i in range(warmup):
        call(queries[i % len(queries)])
    ns = []
    for i in range(calls):
        q = queries[i % len(queries)]
        t0 = time.perf_counter_ns()
        call(q)
        ns.append(time.perf_counter_ns() - t0)
    return percentiles(ns)


def sklearn_latencies(args):
    rng = np.random.default_rng(2026)
    out = {}
    X = rng.normal(size=(100_000, 10))
    Q = rng.normal(size=(4096, 10))
    scaler = StandardScaler().fit(X)
    forest = IsolationForest(n_estimators=100, max_samples=256, random_state=3).fit(
        scaler.transform(X))
    rows = [Q[i:i + 1] for i in range(len(Q))]
    out["BM_ScalerIsolationForestOneRow"] = time_calls(
        lambda q: forest.score_samples(scaler.transform(q)), rows, args.warmup, args.calls)

    for name, n, d, algorithm, calls in [
        ("BM_KnnBruteOneQuery", 100_000, 64, "brute", args.knn_calls),
        ("BM_KnnKdTreeOneQuery", 1_000_000, 3, "kd_tree", args.calls),
    ]:
        X = rng.uniform(size=(n, d)).astype(np.float32)
        y = (rng.uniform(size=n) < 0.1).astype(np.int32)
        knn = KNeighborsClassifier(n_neighbors=5, algorithm=algorithm).fit(X, y)
        Q = rng.uniform(size=(4096, d)).astype(np.float32)
        rows = [Q[i:i + 1] for i in range(len(Q))]
        out[name] = time_calls(knn.predict_proba, rows, min(args.warmup, calls), calls)
    return out


def peer_first_calls(key, calls):
    """One workload in a fresh process, one thread: fit on seeded data of the table's shapes and
    distributions, then `calls` one-row requests, a new row each, timed by callstats.measure."""
    rng = np.random.default_rng(2026)
    if key == "BM_ScalerIsolationForestOneRow":
        X = rng.normal(size=(100_000, 10))
        Q = rng.normal(size=(4096, 10))
        scaler = StandardScaler().fit(X)
        forest = IsolationForest(n_estimators=100, max_samples=256, random_state=3).fit(
            scaler.transform(X))
        predict = lambda q: forest.score_samples(scaler.transform(q))  # noqa: E731
    else:
        n, d, algorithm = ((100_000, 64, "brute") if key == "BM_KnnBruteOneQuery"
                           else (1_000_000, 3, "kd_tree"))
        X = rng.uniform(size=(n, d)).astype(np.float32)
        y = (rng.uniform(size=n) < 0.1).astype(np.int32)
        knn = KNeighborsClassifier(n_neighbors=5, algorithm=algorithm).fit(X, y)
        Q = rng.uniform(size=(4096, d)).astype(np.float32)
        predict = knn.predict_proba
    rows = [Q[i:i + 1] for i in range(len(Q))]
    served = itertools.count()

    def call():
        return predict(rows[next(served) % len(rows)])

    if threadpool_limits is not None:
        with threadpool_limits(limits=1):
            st = callstats.measure(call, calls)
    else:
        st = callstats.measure(call, calls)
    st.pop("result")
    return st


def first_calls(args):
    """Each workload's first and warm request in fresh processes: (label, osprey, peer) rows."""
    exe = os.path.join(args.build_dir, "bench", "compare_latency")
    if not os.path.exists(exe):
        raise SystemExit(f"{exe} not found: build it with cmake --build {args.build_dir} "
                         "--target compare_latency")
    rows = []
    for key, label in WORKLOADS:
        peer = callstats.in_fresh_process(peer_first_calls, key, args.fresh_calls)
        out = subprocess.run([exe, key, str(args.fresh_calls)], check=True, capture_output=True,
                             text=True).stdout
        rows.append((label, callstats.parse_calls(out)[key], peer))
    return rows


def osprey_latencies(args):
    exe = os.path.join(args.build_dir, "bench", "bench_latency")
    if not os.path.exists(exe):
        raise SystemExit(f"{exe} not found: build it with cmake --build {args.build_dir} "
                         "--target bench_latency")
    names = "|".join(w[0] for w in WORKLOADS)
    run = subprocess.run([exe, f"--benchmark_filter=^({names})$", "--benchmark_format=json",
                          f"--benchmark_min_time={args.min_time}"],
                         check=True, capture_output=True, text=True)
    out = {}
    for b in json.loads(run.stdout)["benchmarks"]:
        out[b["name"]] = (b["p50_us"], b["p99_us"])
    return out


def fmt(us):
    return f"{us / 1e3:.2f} ms" if us >= 1000 else f"{us:.2f} us"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--calls", type=int, default=2000, help="timed scikit-learn calls")
    ap.add_argument("--knn-calls", type=int, default=500,
                    help="timed scikit-learn calls of the brute-force KNN (each takes ms)")
    ap.add_argument("--warmup", type=int, default=50, help="untimed scikit-learn calls first")
    ap.add_argument("--min-time", type=float, default=2.0, help="seconds per osprey benchmark")
    ap.add_argument("--fresh-calls", type=int, default=100,
                    help="one-row requests per fresh process in the first-request table "
                         "(0 skips it)")
    args = ap.parse_args()

    ours = osprey_latencies(args)
    if threadpool_limits is not None:
        with threadpool_limits(limits=1):
            peer = sklearn_latencies(args)
    else:
        peer = sklearn_latencies(args)

    print("| workload, 1 thread | osprey p50 | osprey p99 | scikit-learn p50 | scikit-learn p99 "
          "| ratio p50 | ratio p99 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for key, label in WORKLOADS:
        o50, o99 = ours[key]
        s50, s99 = peer[key]
        print(f"| {label} | {fmt(o50)} | {fmt(o99)} | {fmt(s50)} | {fmt(s99)} "
              f"| {s50 / o50:.0f}x | {s99 / o99:.0f}x |")

    if args.fresh_calls > 0:
        fresh = first_calls(args)
        print()
        print(f"First request after the fit against warm requests, fresh processes, "
              f"{max(args.fresh_calls, 2)} one-row requests each, 1 thread: the first request, the "
              "warm request (median of the second half), minor page faults during each, the "
              "process's peak RSS")
        print()
        print(callstats.header("us"))
        for label, ours_st, peer_st in fresh:
            print(callstats.row(f"scikit-learn: {label}", peer_st, unit="us"))
            print(callstats.row(f"osprey: {label}", ours_st, peer_st, unit="us"))


if __name__ == "__main__":
    main()
