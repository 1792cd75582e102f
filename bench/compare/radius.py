#!/usr/bin/python3
"""Side-by-side timing of radius queries and cosine k-NN: osprey vs scikit-learn and faiss.

Run from the repository root after building the bench preset:
    cmake --preset bench && cmake --build build/bench -j2 --target compare_radius
    /usr/bin/python3 bench/compare/radius.py [--build-dir build/bench] [--quick]

Workloads (float32):
  1. Velocity counts, 3-D: 1,000,000 uniform points, 100,000 queries, a radius that holds about
     20 points: osprey kd_tree radius_neighbors_count vs scikit-learn KDTree.query_radius
     (count_only=True, single-threaded, leaf_size 40), both 1 thread; osprey also on --threads.
  2. The same radius, materialised: osprey radius_neighbors (sorted) vs scikit-learn
     NearestNeighbors(algorithm="kd_tree", n_jobs=--threads).radius_neighbors(sort_results=True).
  3. Embeddings, 100,000 x 64 clustered (64 Gaussian blobs), 10,000 queries, brute force:
     Euclidean radius_neighbors (a radius that holds about 10 rows) vs scikit-learn brute
     (n_jobs=--threads), and Cosine kneighbors (k = 10) vs faiss IndexFlatIP on normalised rows
     (one OpenMP thread) and scikit-learn brute "cosine".
The neighbour counts (and the cosine indices, against faiss) are checked against the peers'.
Every timing is the best of --repeat runs; ratios are peer time / osprey time from this run.
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment before numpy loads.
"""
import os

os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def write_matrix(path, a):
    a = np.ascontiguousarray(a, dtype=np.float32)
    with open(path, "wb") as f:
        np.array(a.shape, dtype=np.int64).tofile(f)
        a.tofile(f)


def osprey_run(binary, mode, metric, algorithm, xp, qp, param, threads, repeat, out="-"):
    cmd = [binary, mode, metric, algorithm, xp, qp, repr(param), str(threads), str(repeat), out]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    values = dict(kv.split("=") for kv in proc.stdout.splitlines()[0].split())
    return {k: float(v) for k, v in values.items()}


def best_of(repeat, fn):
    best, result = float("inf"), None
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
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    args = ap.parse_args()

    import faiss
    import sklearn
    from sklearn.neighbors import KDTree, NearestNeighbors

    binary = os.path.join(args.build_dir, "bench", "compare_radius")
    if not os.path.exists(binary):
        sys.exit(f"missing {binary}: build the bench preset first (see the docstring)")
    n3, m3 = (1_000_000, 100_000) if not args.quick else (100_000, 10_000)
    n, m, d, k = (100_000, 10_000, 64, 10) if not args.quick else (20_000, 2_000, 64, 10)
    rng = np.random.default_rng(21)
    tmp = tempfile.mkdtemp(prefix="osprey_radius_")
    rows = []
    print(f"faiss {faiss.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}; "
          f"threads={args.threads}, best of {args.repeat}; load {os.getloadavg()[0]:.2f}")

    # 1-2. Velocity counts in 3-D.
    X3 = rng.random((n3, 3), dtype=np.float32)
    Q3 = rng.random((m3, 3), dtype=np.float32)
    r3 = float((20.0 / (n3 * 4.0 / 3.0 * np.pi)) ** (1.0 / 3.0))
    x3, q3 = os.path.join(tmp, "X3.bin"), os.path.join(tmp, "Q3.bin")
    write_matrix(x3, X3)
    write_matrix(q3, Q3)
    out = os.path.join(tmp, "counts.bin")
    c1 = osprey_run(binary, "count", "euclidean", "kd_tree", x3, q3, r3, 1, args.repeat, out)
    got_counts = np.fromfile(out, dtype=np.int64)
    cT = osprey_run(binary, "count", "euclidean", "kd_tree", x3, q3, r3, args.threads, args.repeat)
    t_skl_count, skl_counts = best_of(args.repeat, lambda: KDTree(X3).query_radius(
        Q3, r3, count_only=True))
    agree = np.mean(got_counts == skl_counts)
    rT = osprey_run(binary, "radius", "euclidean", "kd_tree", x3, q3, r3, args.threads,
                    args.repeat)
    t_skl_rad, _ = best_of(args.repeat, lambda: NearestNeighbors(
        algorithm="kd_tree", n_jobs=args.threads).fit(X3).radius_neighbors(
        Q3, r3, sort_results=True))
    print(f"\n[3-D {n3} points, {m3} queries, r={r3:.5f}, {c1['found'] / m3:.1f} per query] "
          f"osprey count 1 thr {c1['total_s']:.3f} s (build {c1['fit_s']:.3f}), "
          f"{args.threads} thr {cT['total_s']:.3f} s; sklearn KDTree count {t_skl_count:.3f} s; "
          f"counts equal: {agree:.4%}. Materialised: osprey {rT['total_s']:.3f} s, sklearn "
          f"{t_skl_rad:.3f} s")
    rows += [("3-D count, build + query", "sklearn KDTree count_only (1 thr) vs osprey 1 thr",
              t_skl_count, c1["total_s"]),
             ("3-D count, build + query", f"same, osprey {args.threads} thr", t_skl_count,
              cT["total_s"]),
             ("3-D radius_neighbors, sorted", f"sklearn kd_tree n_jobs={args.threads}", t_skl_rad,
              rT["total_s"])]

    # 3. Embedding-like clustered rows.
    centres = rng.standard_normal((64, d), dtype=np.float32) * 4.0
    X = (centres[rng.integers(0, 64, n)] + rng.standard_normal((n, d), dtype=np.float32))
    Q = (centres[rng.integers(0, 64, m)] + rng.standard_normal((m, d), dtype=np.float32))
    xp, qp = os.path.join(tmp, "X.bin"), os.path.join(tmp, "Q.bin")
    write_matrix(xp, X)
    write_matrix(qp, Q)
    sample = Q[:200]
    d2 = ((sample[:, None, :] - X[None, :20000, :]) ** 2).sum(-1)
    r = float(np.median(np.sqrt(np.sort(d2, axis=1)[:, 1]))) * 1.02  # ~10 of 100k rows
    rE = osprey_run(binary, "radius", "euclidean", "brute", xp, qp, r, args.threads, args.repeat,
                    out)
    got_counts = np.fromfile(out, dtype=np.int64)
    t_skl_e, (_, skl_idx) = best_of(1, lambda: NearestNeighbors(
        algorithm="brute", n_jobs=args.threads).fit(X).radius_neighbors(Q, r, sort_results=True))
    agree = np.mean(got_counts == np.array([len(i) for i in skl_idx]))
    print(f"\n[euclidean radius {n}x{d}, {m} queries, r={r:.3f}, {rE['found'] / m:.1f} per query] "
          f"osprey {rE['total_s']:.3f} s, sklearn brute {t_skl_e:.3f} s; counts equal: {agree:.4%}")
    rows.append(("Euclidean radius 100k x 64", f"sklearn brute n_jobs={args.threads}", t_skl_e,
                 rE["total_s"]))

    out_i = os.path.join(tmp, "idx.bin")
    cC = osprey_run(binary, "knn", "cosine", "brute", xp, qp, k, args.threads, args.repeat, out_i)
    c1C = osprey_run(binary, "knn", "cosine", "brute", xp, qp, k, 1, args.repeat)
    faiss.omp_set_num_threads(1)

    def faiss_ip():
        Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
        Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
        index = faiss.IndexFlatIP(d)
        index.add(Xn)
        return index.search(Qn, k)

    t_faiss, (_, I_faiss) = best_of(args.repeat, faiss_ip)
    t_skl_c, _ = best_of(1, lambda: NearestNeighbors(
        n_neighbors=k, algorithm="brute", metric="cosine", n_jobs=args.threads).fit(X).kneighbors(Q))
    got = np.fromfile(out_i, dtype=np.int32).reshape(m, k)
    agree = np.mean(got == I_faiss)
    print(f"\n[cosine kNN {n}x{d}, {m} queries, k={k}] osprey {cC['total_s']:.3f} s "
          f"({args.threads} thr), {c1C['total_s']:.3f} s (1 thr); faiss IndexFlatIP (1 thr, "
          f"normalising included) {t_faiss:.3f} s; sklearn brute cosine {t_skl_c:.3f} s; indices "
          f"equal to faiss: {agree:.4%}")
    rows += [("Cosine kNN 100k x 64", "faiss IndexFlatIP (1 thr)", t_faiss, cC["total_s"]),
             ("Cosine kNN, per core (info)", "faiss 1 thr vs osprey 1 thr", t_faiss,
              c1C["total_s"]),
             ("Cosine kNN 100k x 64", f"sklearn brute n_jobs={args.threads}", t_skl_c,
              cC["total_s"])]

    print("\n| workload | peer | peer s | osprey s | ratio (peer / osprey) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for work, peer, tp, to in rows:
        print(f"| {work} | {peer} | {tp:.3f} | {to:.3f} | {tp / to:.2f}x |")


if __name__ == "__main__":
    main()
