#!/usr/bin/python3
"""PageRank side by side: osprey vs SuiteSparse:GraphBLAS, igraph (PRPACK), scipy and networkx.

Run with Debian's interpreter (python3-igraph, python3-networkx, python3-scipy):

    cmake --preset bench && cmake --build build/bench -j2 --target compare_pagerank
    /usr/bin/python3 bench/compare/pagerank.py [--build-dir build/bench] [--scale 20]

The graph is R-MAT with Graph500 parameters (a = 0.57, b = 0.19, c = 0.19, edge factor 16),
vertex ids scrambled by a seeded permutation as the Graph500 generator does, duplicate edges
removed (self-loops kept), so every peer sees the same simple directed graph with no weights.
Every solver runs damping 0.85, uniform teleport, dangling mass spread uniformly, and stops when
the L1 change of the scores is below --tol (networkx: tol = --tol / n, its own scaling). igraph's
PRPACK solves to its own tolerance (it takes none). The GraphBLAS program is compiled here with
g++ -O3 -march=native -lgraphblas (the CMake glob does not link GraphBLAS). OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE are removed from the environment before anything runs. Times are the best of
--repeats runs of the iteration alone (graph construction is reported separately for osprey).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(var, None)

import numpy as np  # noqa: E402

import callstats  # noqa: E402
import scipy.sparse as sp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def rmat_edges(scale, edge_factor, seed, a=0.57, b=0.19, c=0.19):
    rng = np.random.default_rng(seed)
    m = edge_factor << scale
    src = np.zeros(m, dtype=np.int64)
    dst = np.zeros(m, dtype=np.int64)
    for bit in range(scale):
        r = rng.random(m)
        # quadrant: a -> (0,0), b -> (0,1), c -> (1,0), d -> (1,1)
        src_bit = r >= a + b
        dst_bit = ((r >= a) & (r < a + b)) | (r >= a + b + c)
        src |= src_bit.astype(np.int64) << bit
        dst |= dst_bit.astype(np.int64) << bit
    n = 1 << scale
    perm = rng.permutation(n)
    src, dst = perm[src], perm[dst]
    key = np.unique(src * n + dst)
    return n, (key // n).astype(np.int32), (key % n).astype(np.int32)


def write_edges(path, n, src, dst):
    with open(path, "wb") as f:
        np.array([n, len(src)], dtype=np.int64).tofile(f)
        src.astype(np.int32).tofile(f)
        dst.astype(np.int32).tofile(f)


def parse(out):
    vals = {}
    for line in out.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            vals[k.strip()] = v.strip()
    return vals


def run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("command failed: %s\n%s%s" % (" ".join(cmd), res.stdout, res.stderr))
    return parse(res.stdout)


def scipy_pagerank(n, src, dst, tol, damping=0.85, max_iter=1000):
    """Power iteration as networkx's pagerank_scipy, on a CSR transition matrix (one thread)."""
    A = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    S = np.asarray(A.sum(axis=1)).ravel()
    inv = np.zeros(n)
    nz = S != 0
    inv[nz] = 1.0 / S[nz]
    M = (sp.diags(inv) @ A).tocsr()
    MT = M.T.tocsr()  # pull layout: x_new = MT @ x
    dangling = ~nz
    t0 = time.perf_counter()
    x = np.full(n, 1.0 / n)
    it = 0
    err = 0.0
    for it in range(1, max_iter + 1):
        xlast = x
        x = damping * (MT @ xlast + xlast[dangling].sum() / n) + (1.0 - damping) / n
        err = np.abs(x - xlast).sum()
        if err < tol:
            break
    return time.perf_counter() - t0, it, err, x


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--scale", type=int, default=20)
    ap.add_argument("--edge-factor", type=int, default=16)
    ap.add_argument("--nx-scale", type=int, default=16, help="scale of the networkx comparison")
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="osprey threads (0 = all)")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--bandwidth", type=float, default=0.0,
                    help="triad bandwidth in GB/s for the bound (0: measure it here with "
                         "compare_triad, 40M doubles, best of 20)")
    ap.add_argument("--skip", default="", help="comma list of peers to skip: graphblas,igraph,scipy,networkx")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    osprey_bin = os.path.join(args.build_dir, "bench", "compare_pagerank")
    if not os.path.exists(osprey_bin):
        sys.exit("missing %s: cmake --build %s --target compare_pagerank" % (osprey_bin, args.build_dir))
    tmp = tempfile.mkdtemp(prefix="osprey_pagerank_")
    gb_bin = os.path.join(tmp, "pagerank_graphblas")
    if "graphblas" not in skip:
        subprocess.run(["g++", "-O3", "-march=native", "-std=c++20", "-DOSPREY_WITH_GRAPHBLAS",
                        os.path.join(HERE, "pagerank_graphblas.cpp"), "-lgraphblas", "-o", gb_bin],
                       check=True)

    t0 = time.perf_counter()
    n, src, dst = rmat_edges(args.scale, args.edge_factor, args.seed)
    path = os.path.join(tmp, "rmat.bin")
    write_edges(path, n, src, dst)
    print("R-MAT scale %d, edge factor %d: %d nodes, %d distinct edges (generated in %.1f s)"
          % (args.scale, args.edge_factor, n, len(src), time.perf_counter() - t0))
    rep = str(args.repeats)
    rows = []
    osp_scores = os.path.join(tmp, "osprey.bin")
    o = run([osprey_bin, path, "--tol", str(args.tol), "--threads", str(args.threads),
             "--repeats", rep, "--scores", osp_scores])
    osprey_s = float(o["fit_s"])
    x_osp = np.fromfile(osp_scores, dtype=np.float64)
    print("osprey: %s nodes, %s dangling, graph %.1f MiB built in %s s, %s threads"
          % (o["nodes"], o["dangling"], float(o["memory_mib"]), o["build_s"], o["threads"]))
    rows.append(("osprey PageRank<double> (nodes by in-degree)", osprey_s, int(o["iterations"]), float(o["residual"]), 0.0))
    if "calls" in o:  # fresh process: the first fit against the warm one (call_stats.hpp)
        c = callstats.parse_calls("calls " + o["calls"])["pagerank_fit"]
        print("osprey fit in a fresh process (graph built first): first %.4f s (%d faults), warm "
              "%.4f s (%d faults), first / warm %.2f, peak RSS %.0f MiB"
              % (c["first_s"], c["first_faults"], c["warm_s"], c["warm_faults"],
                 c["first_s"] / c["warm_s"], c["rss_mib"]))
    for order, label in (("out", "osprey, nodes by out-degree"), ("none", "osprey, input order")):
        o2 = run([osprey_bin, path, "--tol", str(args.tol), "--threads", str(args.threads),
                  "--repeats", rep, "--order", order])
        rows.append((label, float(o2["fit_s"]), int(o2["iterations"]), float(o2["residual"]),
                     float("nan")))

    if "graphblas" not in skip:
        gb_scores = os.path.join(tmp, "gb.bin")
        g = run([gb_bin, path, "--tol", str(args.tol), "--repeats", rep, "--scores", gb_scores])
        x = np.fromfile(gb_scores, dtype=np.float64)
        rows.append(("GraphBLAS %s threads (AT +.second)" % g["threads"], float(g["fit_s"]),
                     int(g["iterations"]), float(g["residual"]), np.abs(x - x_osp).max()))
    if "scipy" not in skip:
        best = None
        for _ in range(max(1, args.repeats - 1)):
            r = scipy_pagerank(n, src, dst, args.tol)
            best = r if best is None or r[0] < best[0] else best
        rows.append(("scipy CSR power iteration", best[0], best[1], best[2],
                     np.abs(best[3] - x_osp).max()))
    if "igraph" not in skip:
        import igraph as ig
        G = ig.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=True)
        best = 1e300
        for _ in range(max(1, args.repeats - 1)):
            t = time.perf_counter()
            pr = G.pagerank(damping=0.85, directed=True, implementation="prpack")
            best = min(best, time.perf_counter() - t)
        rows.append(("igraph PRPACK", best, 0, float("nan"), np.abs(np.array(pr) - x_osp).max()))
        del G

    print()
    print("| solver | time (s) | iterations | ms / iter | final L1 change | max abs diff vs osprey | osprey speed-up |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, s, it, res, diff in rows:
        per = "%.2f" % (1e3 * s / it) if it else "-"
        print("| %s | %.3f | %s | %s | %.1e | %.1e | %.2fx |"
              % (name, s, it if it else "-", per, res, diff, s / osprey_s))

    # Bytes one iteration must move: 4 B per edge id, 4 B per offset, 8 B to read and 8 B to
    # write each score, and 8 B for the out-weight normaliser of each node that has out-edges
    # (a dangling node's normaliser is 1, and osprey's iteration does not read it).
    m_stored = int(o["edges"])
    n_active = n - int(o["dangling"])
    need = 4.0 * m_stored + 4.0 * (n + 1) + 16.0 * n + 8.0 * n_active
    if args.bandwidth <= 0:  # this machine's triad, measured now, not a constant from elsewhere
        triad = run([os.path.join(args.build_dir, "bench", "compare_triad")])
        args.bandwidth = float(triad["triad_gb_s"])
        print("triad (compare_triad, 2 x 40M doubles read, 1 written, best of 20): %.1f GB/s"
              % args.bandwidth)
    bound_ms = need / (args.bandwidth * 1e9) * 1e3
    per_iter = 1e3 * osprey_s / int(o["iterations"])
    print()
    print("bandwidth bound: (4 x %d + 4 x %d + 16 x %d + 8 x %d) B = %.1f MB per iteration / "
          "%.0f GB/s = %.2f ms; osprey %.2f ms per iteration = %.2fx the bound"
          % (m_stored, n + 1, n, n_active, need / 1e6, args.bandwidth, bound_ms, per_iter,
             per_iter / bound_ms))

    if "networkx" not in skip and args.nx_scale > 0:
        import networkx as nx
        n2, s2, d2 = rmat_edges(args.nx_scale, args.edge_factor, args.seed + 1)
        p2 = os.path.join(tmp, "rmat_small.bin")
        write_edges(p2, n2, s2, d2)
        o = run([osprey_bin, p2, "--tol", str(args.tol), "--threads", str(args.threads), "--repeats", rep])
        G = nx.DiGraph()
        G.add_nodes_from(range(n2))
        G.add_edges_from(zip(s2.tolist(), d2.tolist()))
        t = time.perf_counter()
        nx.pagerank(G, alpha=0.85, tol=args.tol / n2, max_iter=1000)
        nx_s = time.perf_counter() - t
        print()
        print("networkx at scale %d (%d nodes, %d edges): networkx.pagerank %.3f s, osprey %.4f s "
              "(%s iterations): osprey %.1fx faster" % (args.nx_scale, n2, len(s2), nx_s,
                                                        float(o["fit_s"]), o["iterations"],
                                                        nx_s / float(o["fit_s"])))


if __name__ == "__main__":
    main()
