#!/usr/bin/python3
"""Streaming detectors against the batch forest: ROC AUC and average precision on every labelled
outlier set (od_<name>/<name>.csv, features then a `label` column) of a data folder, each
shuffled and played as a stream (mean and standard deviation over seeds). The default folder is
the repository's data/; pass --data-dir for a folder with all 14 od_* sets.

    cmake --preset bench && cmake --build build/bench -j2 --target compare_stream_auc
    /usr/bin/python3 bench/compare/stream_auc.py [--build-dir build/bench] [--data-dir DIR]
        [--seeds 10] [--threads 2] [--only a,b] [--calls 8] [--calls-set NAME]

compare_stream_auc does the work (its header comment gives the protocol: shuffle per seed,
score-then-learn for the streaming detectors, the batch IsolationForest fitted on the whole set,
the first 250 rows of each stream left out of every detector's evaluation). This script only
gathers its output into a Markdown table. Detectors: hst (HalfSpaceTrees, defaults, limits from
the first window), hst_range (limits from the whole set's ranges), sif (StreamingIsolationForest,
defaults, first forest on the first 250 rows), iforest (IsolationForest, 100
trees, 256 samples, fitted on the whole set); a detector added to the driver appears here as a
column without changes.

Then the cost of one pass (`--calls` 0 skips it): on one set (`--calls-set`, default the largest
file of those run), each detector in a fresh compare_stream_auc process that reads and shuffles
the set (seed 0), then makes `--calls` passes over the stream (construct, then score and learn
every row; the batch forest: fit and score every row): the first pass, the warm pass (median of
the second half), the minor page faults of each and the process's peak RSS. osprey only: the
script has no peer.
"""
import argparse
import collections
import glob
import os
import subprocess

import numpy as np

import callstats

LABELS = {"hst": "HST", "hst_range": "HST, known ranges", "sif": "streaming IForest",
          "iforest": "batch IForest"}


def run(exe, path, seeds, threads):
    out = subprocess.run([exe, path, str(seeds), str(threads)], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    head = out[0].split()
    info = dict(zip(head[0::2], (int(v) for v in head[1::2])))
    res = collections.OrderedDict()
    for line in out[1:]:
        name, _seed, auc, ap = line.split()
        res.setdefault(name, ([], []))
        res[name][0].append(float(auc))
        res[name][1].append(float(ap))
    return info, res


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.abspath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build-dir", default="build/bench")
    ap.add_argument("--data-dir", default=os.path.join(repo, "data"))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated set names (default: all od_*)")
    ap.add_argument("--calls", type=int, default=8,
                    help="passes per fresh process in the first-call table (0 skips it)")
    ap.add_argument("--calls-set", default="",
                    help="the set of the first-call table (default: the largest file run)")
    args = ap.parse_args()

    exe = os.path.join(args.build_dir, "bench", "compare_stream_auc")
    if not os.path.exists(exe):
        raise SystemExit(f"{exe} not found: build it with cmake --build {args.build_dir} "
                         "--target compare_stream_auc")
    files = sorted(glob.glob(os.path.join(args.data_dir, "od_*", "*.csv")))
    if args.only:
        keep = set(args.only.split(","))
        files = [f for f in files if os.path.basename(os.path.dirname(f))[3:] in keep]
    if not files:
        raise SystemExit(f"no od_*/*.csv under {args.data_dir}")

    rows = []
    for path in files:
        name = os.path.basename(os.path.dirname(path))[3:]
        info, res = run(exe, path, args.seeds, args.threads)
        rows.append((name, info, res))
    names = list(rows[0][2].keys())
    cols = [LABELS.get(n, n) for n in names]
    print(f"Shuffled streams, seeds 0..{args.seeds - 1}, the first 250 rows of each stream not "
          "evaluated (mean ± standard deviation)\n")
    for metric, k in (("ROC AUC", 0), ("average precision", 1)):
        print(f"{metric}:\n")
        print("| data set | rows | features | outliers | " + " | ".join(cols) +
              " | HST - batch |")
        print("| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in cols) + " | ---: |")
        for name, info, res in rows:
            cells = [f"{np.mean(res[n][k]):.3f} ± {np.std(res[n][k]):.3f}" for n in names]
            diff = np.mean(res["hst"][k]) - np.mean(res["iforest"][k])
            print(f"| {name} | {info['rows']} | {info['features']} | {info['outliers']} "
                  f"({100 * info['outliers'] / info['rows']:.2f}%) | " + " | ".join(cells) +
                  f" | {diff:+.3f} |", flush=True)
        print()

    if args.calls > 0:
        by_name = {os.path.basename(os.path.dirname(f))[3:]: f for f in files}
        name = args.calls_set or max(by_name, key=lambda k: os.path.getsize(by_name[k]))
        if name not in by_name:
            raise SystemExit(f"--calls-set {name}: not among the sets run ({', '.join(by_name)})")
        info = next(i for n, i, _ in rows if n == name)
        print(f"One pass over the stream of {name} ({info['rows']} rows x {info['features']} "
              f"features, seed 0), each detector in a fresh process, {max(args.calls, 2)} passes: "
              "the first pass, the warm pass (median of the second half), minor page faults "
              "during each, the process's peak RSS\n")
        print(callstats.HEADER)
        for det in names:
            out = subprocess.run([exe, by_name[name], "0", str(args.threads), str(args.calls), det],
                                 check=True, capture_output=True, text=True).stdout
            print(callstats.row(f"osprey {LABELS.get(det, det)}", callstats.parse_calls(out)[det]),
                  flush=True)


if __name__ == "__main__":
    main()
