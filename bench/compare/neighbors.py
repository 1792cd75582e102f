#!/usr/bin/python3
"""Side-by-side timing of exact k-nearest-neighbour search: osprey vs faiss, scikit-learn, nanoflann.

Run from the repository root after building the bench preset:
    cmake --preset bench && cmake --build build/bench -j2 --target compare_neighbors compare_knn_nanoflann
    /usr/bin/python3 bench/compare/neighbors.py [--build-dir build/bench] [--quick]

Workloads (float32, the issue's acceptance sizes):
  1. Euclidean, 100,000 x 64 train, 10,000 queries, k = 10: osprey brute vs faiss IndexFlatL2
     (one OpenMP thread: faiss.omp_set_num_threads(1), its fastest setting on 2 cores) and
     scikit-learn NearestNeighbors(algorithm="brute"); osprey's peak RSS is checked against
     1.5 x inputs + 256 MiB.
  2. Manhattan, same sizes: osprey brute vs faiss IndexFlat(METRIC_L1) and scikit-learn brute
     "manhattan". The peers take 13-16 s for all 10,000 queries, so they are timed on the first
     --l1-peer-queries queries (default 1,000) and scaled linearly to 10,000 (search cost is
     linear in the number of queries); osprey is timed on all 10,000.
  3. 3-D, 1,000,000 points, 100,000 queries, k = 10, build + query: osprey kd_tree vs nanoflann
     (compare_knn_nanoflann, same thread count, leaf size 10 = nanoflann's default) and
     scikit-learn KDTree (single-threaded, leaf_size 40 = its default).

Every timing is the best of --repeat runs (default 3). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are
removed from this script's environment before numpy/faiss load (set, they halve OpenBLAS's GEMM
speed), so the peers run at full speed; osprey does not use BLAS. Ratios are peer time / osprey
time from this one run (> 1 means osprey is faster).
"""
import os

os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import argparse  # noqa: E402
import subprocess  # noqa: E402

import callstats  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def write_matrix(path, a):
    a = np.ascontiguousarray(a, dtype=np.float32)
    with open(path, "wb") as f:
        np.array(a.shape, dtype=np.int64).tofile(f)
        a.tofile(f)


def run_program(cmd):
    """Runs cmd, returns (parsed key=value output, peak RSS in MiB of that child only)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err}")
    calls = callstats.parse_calls(out)
    values = dict(kv.split("=") for kv in out.splitlines()[0].split())
    values = {k: float(v) for k, v in values.items()}
    values["calls"] = calls.get("knn")
    return values, calls["knn"]["rss_mib"] if "knn" in calls else float("nan")


def faiss_calls(xp, qp, k, repeats):
    """faiss IndexFlatL2 (1 thread) add + search on the files, in a fresh process."""
    import faiss

    def read(path):
        with open(path, "rb") as f:
            rows, cols = np.fromfile(f, dtype=np.int64, count=2)
            return np.fromfile(f, dtype=np.float32).reshape(rows, cols)

    X, Q = read(xp), read(qp)
    faiss.omp_set_num_threads(1)

    def call():
        index = faiss.IndexFlatL2(X.shape[1])
        index.add(X)
        return index.search(Q, k)[1][0, 0]

    st = callstats.measure(call, repeats)
    st.pop("result")
    return st


def blas_library():
    """The libblas / libopenblas this process actually loaded (from /proc/self/maps)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line}
        return ", ".join(sorted(libs)) or "none loaded"
    except OSError:
        return "unknown"


def best_of(repeat, fn):
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--l1-peer-queries", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    ap.add_argument("--only", choices=["euclidean", "manhattan", "kdtree"], action="append")
    ap.add_argument("--blas-dir", default="",
                    help="folder holding an optimised libblas.so.3 (e.g. an unpacked\n"
                         "libopenblas0-pthread) for the peers, when the system one is the\n"
                         "reference BLAS; the script re-executes itself with LD_LIBRARY_PATH")
    args = ap.parse_args()
    if args.blas_dir and os.environ.get("OSPREY_BLAS_REEXEC") != "1":
        env = dict(os.environ, OSPREY_BLAS_REEXEC="1",
                   LD_LIBRARY_PATH=args.blas_dir + ":" + os.environ.get("LD_LIBRARY_PATH", ""))
        os.execve(sys.executable, [sys.executable] + sys.argv, env)

    import faiss
    import sklearn
    from sklearn.neighbors import KDTree, NearestNeighbors

    osprey_bin = os.path.join(args.build_dir, "bench", "compare_neighbors")
    nanoflann_bin = os.path.join(args.build_dir, "bench", "compare_knn_nanoflann")
    for b in (osprey_bin, nanoflann_bin):
        if not os.path.exists(b):
            sys.exit(f"missing {b}: build the bench preset first (see the docstring)")

    n, m, d, k = (100_000, 10_000, 64, 10) if not args.quick else (20_000, 2_000, 64, 10)
    n3, m3 = (1_000_000, 100_000) if not args.quick else (100_000, 10_000)
    rng = np.random.default_rng(42)
    rows = []
    tmp = tempfile.mkdtemp(prefix="osprey_knn_")
    print(f"faiss {faiss.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}; "
          f"threads={args.threads}, best of {args.repeat}; BLAS: {blas_library()}")
    only = set(args.only or ["euclidean", "manhattan", "kdtree"])

    X = rng.standard_normal((n, d), dtype=np.float32)
    Q = rng.standard_normal((m, d), dtype=np.float32)
    xp, qp = os.path.join(tmp, "X.bin"), os.path.join(tmp, "Q.bin")
    write_matrix(xp, X)
    write_matrix(qp, Q)

    if "euclidean" in only:
        out = os.path.join(tmp, "idx_l2.bin")
        res, rss = run_program([osprey_bin, "euclidean", "brute", xp, qp, str(k), str(args.threads),
                                str(args.repeat), out])
        t_osprey = res["total_s"]
        res1, _ = run_program([osprey_bin, "euclidean", "brute", xp, qp, str(k), "1",
                               str(args.repeat), "-"])
        t_osprey1 = res1["total_s"]
        faiss.omp_set_num_threads(1)

        def faiss_l2():
            index = faiss.IndexFlatL2(d)
            index.add(X)
            return index.search(Q, k)

        t_faiss, (_, I_faiss) = best_of(args.repeat, faiss_l2)
        t_skl, _ = best_of(args.repeat, lambda: NearestNeighbors(
            n_neighbors=k, algorithm="brute", n_jobs=args.threads).fit(X).kneighbors(Q))
        got = np.fromfile(out, dtype=np.int32).reshape(m, k)
        agree = np.mean(got == I_faiss)
        inputs_mib = (X.nbytes + Q.nbytes) / 2**20
        limit = 1.5 * inputs_mib + 256
        print(f"\n[euclidean {n}x{d}, {m} queries, k={k}] osprey {t_osprey:.3f} s, "
              f"faiss IndexFlatL2 (1 thread) {t_faiss:.3f} s, sklearn brute {t_skl:.3f} s; "
              f"indices equal to faiss: {agree:.4%}; osprey peak RSS {rss:.0f} MiB "
              f"(limit 1.5 x {inputs_mib:.1f} + 256 = {limit:.0f} MiB)")
        peer_st = callstats.in_fresh_process(faiss_calls, xp, qp, k, max(args.repeat, 4))
        fresh = [("faiss IndexFlatL2 (1 thread)", peer_st, None),
                 (f"osprey brute, {args.threads} threads", res["calls"], peer_st),
                 ("osprey brute, 1 thread", res1["calls"], peer_st)]
        rows += [("euclidean", "faiss IndexFlatL2 (1 thr)", t_faiss, t_osprey),
                 ("euclidean", "sklearn brute", t_skl, t_osprey),
                 ("euclidean, per core (info)", "faiss 1 thr vs osprey 1 thr", t_faiss, t_osprey1)]

    if "manhattan" in only:
        res, _ = run_program([osprey_bin, "manhattan", "brute", xp, qp, str(k), str(args.threads),
                              str(args.repeat), "-"])
        t_osprey = res["total_s"]
        mq = min(args.l1_peer_queries, m)
        Qs = Q[:mq]
        scale = m / mq
        faiss.omp_set_num_threads(1)

        def faiss_l1():
            index = faiss.IndexFlat(d, faiss.METRIC_L1)
            index.add(X)
            return index.search(Qs, k)

        t_faiss, _ = best_of(1, faiss_l1)
        t_skl, _ = best_of(1, lambda: NearestNeighbors(
            n_neighbors=k, algorithm="brute", metric="manhattan", n_jobs=args.threads)
            .fit(X).kneighbors(Qs))
        t_faiss *= scale
        t_skl *= scale
        print(f"\n[manhattan {n}x{d}, {m} queries, k={k}] osprey {t_osprey:.3f} s; peers timed on "
              f"{mq} queries x {scale:.0f}: faiss METRIC_L1 {t_faiss:.2f} s, sklearn brute "
              f"{t_skl:.2f} s")
        rows += [("manhattan", "faiss METRIC_L1 (1 thr, scaled)", t_faiss, t_osprey),
                 ("manhattan", "sklearn brute (scaled)", t_skl, t_osprey)]

    if "kdtree" in only:
        X3 = rng.random((n3, 3), dtype=np.float32)
        Q3 = rng.random((m3, 3), dtype=np.float32)
        x3, q3 = os.path.join(tmp, "X3.bin"), os.path.join(tmp, "Q3.bin")
        write_matrix(x3, X3)
        write_matrix(q3, Q3)
        res, _ = run_program([osprey_bin, "euclidean", "kd_tree", x3, q3, str(k),
                              str(args.threads), str(args.repeat), "-"])
        t_osprey = res["total_s"]
        nres, _ = run_program([nanoflann_bin, x3, q3, str(k), str(args.threads), str(args.repeat),
                               "10"])
        t_nano = nres["total_s"]
        t_skl, _ = best_of(1, lambda: KDTree(X3).query(Q3, k=k))
        print(f"\n[kd-tree 3-D {n3} points, {m3} queries, k={k}, build+query] osprey "
              f"{t_osprey:.3f} s (build {res['fit_s']:.3f}), nanoflann {t_nano:.3f} s "
              f"(build {nres['fit_s']:.3f}), sklearn KDTree {t_skl:.3f} s")
        rows += [("kd-tree 3-D", f"nanoflann ({args.threads} thr)", t_nano, t_osprey),
                 ("kd-tree 3-D", "sklearn KDTree", t_skl, t_osprey)]

    print(f"\n| workload | peer | peer s | osprey s | ratio (peer / osprey) |")
    print(f"| --- | --- | ---: | ---: | ---: |")
    for work, peer, tp, to in rows:
        print(f"| {work} | {peer} | {tp:.3f} | {to:.3f} | {tp / to:.2f}x |")
    if "euclidean" in only:
        print(f"\nEuclidean fit + kneighbors in fresh processes ({max(args.repeat, 4)} calls for "
              f"faiss, {args.repeat} for osprey; data read from file first): the first call, the "
              "warm call (median of the second half), minor page faults during each, the "
              "process's peak RSS\n")
        print(callstats.HEADER)
        for name, st, peer_st in fresh:
            print(callstats.row(name, st, peer_st))


if __name__ == "__main__":
    main()
