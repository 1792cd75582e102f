#!/usr/bin/env python3
"""The communication model of one dist::PageRank iteration (docs/scaling.md), evaluated.

    python3 bench/dist/scaling_model.py [n m]     (default: a Twitter-sized graph)

1-D partition, random placement: a node outside rank r's block is a ghost of r when one of
its d distinct out-neighbours lies in r's block (probability 1/p each). With the mean degree
d = m / n in place of each node's (an upper bound, by Jensen's inequality, since 1 - q^d is
concave in d), the ghosts per rank are

    G1(p) = n (1 - 1/p) (1 - (1 - 1/p)^d)

and each is one 8-byte score received (and, by symmetry on average, one sent) per iteration,
plus 24 (p - 1) bytes for the L1 change, dangling mass and stop flag. Time per iteration:
alpha (p - 1) + bytes / beta for a direct all_to_allv (p - 1 messages per rank).

2-D partition (sqrt(p) x sqrt(p) blocks of the adjacency matrix, each rank owning n/p scores):
a rank gathers the scores of its column block that its edges need and sends the partial sums
of its row block's rows that have an edge in the block, each over sqrt(p) ranks:

    G2(p) = 2 (n / sqrt(p)) (1 - 1/sqrt(p)) (1 - (1 - 1/sqrt(p))^d)

with 2 (sqrt(p) - 1) messages. Compute per iteration is assumed at 1 ns per edge per rank
(about 12 bytes per edge at 12 GB/s, one core's share of memory bandwidth).
"""
import math
import sys

ALPHA = {10: 30e-6, 100: 5e-6}  # seconds per message: 10 Gb/s TCP, 100 Gb/s RDMA


def ghosts_1d(n, d, p):
    return n * (1 - 1 / p) * (1 - (1 - 1 / p) ** d)


def ghosts_2d(n, d, p):
    s = math.sqrt(p)
    return 2 * (n / s) * (1 - 1 / s) * (1 - (1 - 1 / s) ** d)


def main():
    n, m = (float(sys.argv[1]), float(sys.argv[2])) if len(sys.argv) > 2 else (41.7e6, 1.47e9)
    d = m / n
    print("n = %.4g, m = %.4g, mean degree %.2f" % (n, m, d))
    print("| p | link | ghosts / rank (1-D) | MB / rank / iteration | comm. s | compute s | "
          "2-D MB / rank | 2-D comm. s |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for p in (16, 64, 256):
        for gbit in (10, 100):
            beta = gbit * 1e9 / 8
            g1 = ghosts_1d(n, d, p)
            bytes1 = 8 * g1 + 24 * (p - 1)
            t1 = ALPHA[gbit] * (p - 1) + bytes1 / beta
            g2 = ghosts_2d(n, d, p)
            t2 = ALPHA[gbit] * 2 * (math.sqrt(p) - 1) + 8 * g2 / beta
            print("| %d | %d Gb/s | %.2f M | %.1f | %.4f | %.4f | %.1f | %.4f |" %
                  (p, gbit, g1 / 1e6, bytes1 / 1e6, t1, m / p * 1e-9, 8 * g2 / 1e6, t2))
    lower = [p * p for p in range(2, 200) if ghosts_2d(n, d, p * p) < ghosts_1d(n, d, p * p)]
    if lower:
        print("2-D moves fewer bytes than 1-D for square p from %d to %d" % (lower[0], lower[-1]))


if __name__ == "__main__":
    main()
