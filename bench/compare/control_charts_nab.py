#!/usr/bin/python3
"""Evaluates osprey's default Ewma and Cusum, and HalfSpaceTrees, on the labelled Numenta Anomaly
Benchmark series.

For every series in NAB's labels/combined_windows.json: fit on the first 15% of the samples
(NAB's probationary period), detect on the rest (compare_control_charts_nab does both;
HalfSpaceTrees takes its limits from, and learns, the same period, then scores and learns each
later sample, alarming above 0.9), then count, per detector, how many labelled anomaly windows contain at least one alarm and how many
alarms fall outside every window (as flagged samples, and as alarm onsets: a flagged sample whose
predecessor was not flagged). Prints markdown tables: totals per NAB group and one row per file.

    /usr/bin/python3 bench/compare/control_charts_nab.py --nab NAB_DIR [--build-dir build/bench]

NAB_DIR is a clone of https://github.com/numenta/NAB (its data/ and labels/ folders).
"""
import argparse
import collections
import json
import os
import subprocess
import sys

import pandas as pd

CHARTS = ("ewma", "cusum", "hst", "sif")


def run_chart(exe, path):
    out = subprocess.run([exe, path], check=True, capture_output=True, text=True).stdout
    res = {chart: [] for chart in CHARTS}
    for line in out.splitlines():
        key, _, rest = line.partition(" ")
        if key in ("n", "fit"):
            res[key] = int(rest)
        elif key == "skip":
            res["skip"] = rest
        else:
            res[key] = [int(v) for v in rest.split()]
    return res


def score(alarms, windows, n_fit):
    flagged = set(alarms)
    onsets = [i for i in alarms if i - 1 not in flagged or i - 1 < n_fit]

    def inside(i):
        return any(lo <= i <= hi for lo, hi in windows)

    hit = sum(1 for lo, hi in windows if any(lo <= i <= hi for i in alarms))
    return {
        "hit": hit,
        "out_samples": sum(1 for i in alarms if not inside(i)),
        "out_onsets": sum(1 for i in onsets if not inside(i)),
        "alarms": len(alarms),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nab", required=True, help="a clone of numenta/NAB (data/, labels/)")
    ap.add_argument("--build-dir", default="build/bench")
    args = ap.parse_args()
    exe = os.path.join(args.build_dir, "bench", "compare_control_charts_nab")
    if not os.path.exists(exe):
        sys.exit(f"{exe} not found: cmake --build {args.build_dir} "
                 f"--target compare_control_charts_nab")
    with open(os.path.join(args.nab, "labels", "combined_windows.json")) as f:
        labels = json.load(f)

    rows = []
    for name in sorted(labels):
        path = os.path.join(args.nab, "data", name)
        ts = pd.to_datetime(pd.read_csv(path)["timestamp"])
        windows = []
        for start, end in labels[name]:
            idx = ts.index[(ts >= pd.Timestamp(start)) & (ts <= pd.Timestamp(end))]
            if len(idx):
                windows.append((int(idx[0]), int(idx[-1])))
        res = run_chart(exe, path)
        n_fit = res["fit"]
        live = [(lo, hi) for lo, hi in windows if hi >= n_fit]
        row = {"file": name, "group": name.split("/")[0], "n": res["n"], "windows": len(live),
               "monitored": res["n"] - n_fit,
               "skip": res.get("skip")}
        for chart in CHARTS:
            row[chart] = score(res[chart], live, n_fit)
        rows.append(row)

    print("Per group (fit on the first 15%, detect on the rest; default charts and "
          "HalfSpaceTrees; StreamingIsolationForest alarming above its highest probationary "
          "score):\n")
    print("| group | files | monitored samples | windows | EWMA windows hit | "
          "EWMA alarm onsets outside | EWMA flagged samples outside | CUSUM windows hit | "
          "CUSUM alarms outside | HST windows hit | HST alarm onsets outside | "
          "HST flagged samples outside | SIF windows hit | SIF alarm onsets outside | "
          "SIF flagged samples outside |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    groups = collections.OrderedDict()
    for r in rows:
        groups.setdefault(r["group"], []).append(r)
    groups["all"] = rows
    for g, rs in groups.items():
        tot = lambda c, k: sum(r[c][k] for r in rs)
        print(f"| {g} | {len(rs)} | {sum(r['monitored'] for r in rs)} | "
              f"{sum(r['windows'] for r in rs)} | {tot('ewma', 'hit')} | "
              f"{tot('ewma', 'out_onsets')} | {tot('ewma', 'out_samples')} | "
              f"{tot('cusum', 'hit')} | {tot('cusum', 'out_samples')} | {tot('hst', 'hit')} | "
              f"{tot('hst', 'out_onsets')} | {tot('hst', 'out_samples')} | {tot('sif', 'hit')} | "
              f"{tot('sif', 'out_onsets')} | {tot('sif', 'out_samples')} |")
    print("\nPer file:\n")
    print("| file | samples | windows | EWMA hit | EWMA onsets outside | EWMA flagged outside | "
          "CUSUM hit | CUSUM alarms outside | HST hit | HST onsets outside | "
          "HST flagged outside | SIF hit | SIF onsets outside | SIF flagged outside |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        note = f" (skipped: {r['skip']})" if r["skip"] else ""
        e, c, h, f = r["ewma"], r["cusum"], r["hst"], r["sif"]
        print(f"| {r['file']}{note} | {r['n']} | {r['windows']} | {e['hit']} | "
              f"{e['out_onsets']} | {e['out_samples']} | {c['hit']} | {c['out_samples']} | "
              f"{h['hit']} | {h['out_onsets']} | {h['out_samples']} | {f['hit']} | "
              f"{f['out_onsets']} | {f['out_samples']} |")


if __name__ == "__main__":
    main()
