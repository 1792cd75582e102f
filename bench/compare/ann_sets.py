#!/usr/bin/python3
"""Deterministic approximate-search benchmark sets for bench/compare/hnsw.py (osprey HnswIndex vs
hnswlib). Each set is written as <name>.train.f32 and <name>.query.f32 (int64 rows, int64 cols,
float32 values row-major, as the compare drivers read them); queries are drawn from the same
distribution as the training rows and held out.

Sets (n = training rows, --n-scale multiplies every n):
  blobs64   1,000,000 x 64: isotropic Gaussian blobs (100 centres with sd 4 per coordinate,
            points sd 1 around them).
  sift128   1,000,000 x 128, SIFT-like: SIFT descriptors are gradient-orientation histograms
            (4 x 4 cells x 8 bins), non-negative, mostly small with a heavy tail, quantised to
            integers in 0..255 (Lowe 2004 clips normalised bins at 0.2 and scales by 512). Here:
            1,000 centres whose bins are exponential with a per-cell random scale (some cells
            flat, some strong), each point = centre x lognormal(0, 0.5) per bin + exponential(4)
            noise, rounded and clipped to 0..255; about a quarter of the values are 0.
  embed300  100,000 x 300, embedding-like: 200 anisotropic Gaussian clusters; all share a
            decaying spectrum (sd of principal axis j = 1 / sqrt(1 + j / 10)) in a random
            rotation, each cluster with its own random axis permutation and centre (sd 1.5).

    /usr/bin/python3 bench/compare/ann_sets.py OUT_DIR [--n-scale 0.1] [--queries 2000]
"""
import argparse
import os

import numpy as np


def write_matrix(path, a):
    a = np.ascontiguousarray(a, dtype=np.float32)
    with open(path, "wb") as f:
        np.array(a.shape, dtype=np.int64).tofile(f)
        a.tofile(f)


def blobs64(rng):
    centres = rng.normal(0.0, 4.0, size=(100, 64))

    def sample(n):
        return centres[rng.integers(0, 100, size=n)] + rng.normal(size=(n, 64))
    return sample


def sift128(rng):
    cell_scale = rng.gamma(1.5, 20.0, size=(1000, 16))
    centres = rng.exponential(1.0, size=(1000, 128)) * np.repeat(cell_scale, 8, axis=1)

    def sample(n):
        x = centres[rng.integers(0, 1000, size=n)] * rng.lognormal(0.0, 0.5, size=(n, 128))
        x += rng.exponential(4.0, size=(n, 128))
        x -= 6.0  # a floor so that weak bins quantise to 0, as SIFT's do
        return np.clip(np.rint(x), 0, 255)
    return sample


def embed300(rng):
    d, k = 300, 200
    rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
    spectrum = 1.0 / np.sqrt(1.0 + np.arange(d) / 10.0)
    centres = rng.normal(0.0, 1.5, size=(k, d))
    perms = np.array([rng.permutation(d) for _ in range(k)])

    def sample(n):
        labels = rng.integers(0, k, size=n)
        z = rng.normal(size=(n, d)) * spectrum[perms[labels]]
        return centres[labels] + z @ rotation.T
    return sample


SETS = {"blobs64": (blobs64, 1_000_000), "sift128": (sift128, 1_000_000),
        "embed300": (embed300, 100_000)}


def write_set(out_dir, name, n_scale, queries, seed=2026, n=None):
    """Writes one set (training rows then queries from one stream) unless present; returns the
    (train, query) paths. `n` (training rows) overrides the set's size times n_scale."""
    make, full = SETS[name]
    n = n or max(1000, int(full * n_scale))
    train = os.path.join(out_dir, f"{name}_{n}.train.f32")
    query = os.path.join(out_dir, f"{name}_{n}.query{queries}.f32")
    if not (os.path.exists(train) and os.path.exists(query)):
        rng = np.random.default_rng([seed, list(SETS).index(name)])
        sample = make(rng)
        rows = []
        left = n + queries
        while left > 0:  # in blocks, to bound memory
            b = min(left, 100_000)
            rows.append(sample(b).astype(np.float32))
            left -= b
        allx = np.concatenate(rows)
        write_matrix(train, allx[:n])
        write_matrix(query, allx[n:])
    return train, query


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--n-scale", type=float, default=1.0)
    ap.add_argument("--queries", type=int, default=2000)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for name in SETS:
        print(write_set(args.out_dir, name, args.n_scale, args.queries))


if __name__ == "__main__":
    main()
