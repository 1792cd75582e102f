#!/usr/bin/env python3
"""Writes contacts.txt: a seeded, e-mail-like directed graph in SNAP's edge-list format.

1,200 accounts with sparse six-digit ids in 40 departments. 15% of the accounts never send
(dangling nodes); the others write to a heavy-tailed number of contacts, 60% of them in their
own department, half of the time copying the target of an earlier message (so popular accounts
attract more, as on real mail graphs), and 2% of the accounts also mail themselves (self-loops).
Duplicate pairs are dropped, as SNAP's e-mail graphs have none. Only random.Random(seed).random()
is used, whose sequence is the same on every Python 3, so the file is reproducible:

    python3 generate.py > contacts.txt
"""
import random

SEED, N, DEPARTMENTS = 20260103, 1200, 40


def main():
    r = random.Random(SEED)
    ids = set()
    while len(ids) < N:
        ids.add(100000 + int(r.random() * 900000))
    ids = sorted(ids)
    order = list(range(N))
    for i in range(N - 1, 0, -1):  # Fisher-Yates with random() only
        j = int(r.random() * (i + 1))
        order[i], order[j] = order[j], order[i]
    dept = [order[i] % DEPARTMENTS for i in range(N)]
    members = [[i for i in range(N) if dept[i] == d] for d in range(DEPARTMENTS)]
    edges, seen, targets = [], set(), []
    for s in range(N):
        if r.random() < 0.15:
            continue
        k = min(400, int(9 / max(r.random(), 1e-9) ** 0.6))
        for _ in range(k):
            if targets and r.random() < 0.5:
                t = targets[int(r.random() * len(targets))]
            elif r.random() < 0.6:
                group = members[dept[s]]
                t = group[int(r.random() * len(group))]
            else:
                t = int(r.random() * N)
            if t == s:
                continue
            if (s, t) not in seen:
                seen.add((s, t))
                edges.append((s, t))
                targets.append(t)
        if r.random() < 0.02 and (s, s) not in seen:
            seen.add((s, s))
            edges.append((s, s))
    print("# Directed graph (generated, see data/README.md): contacts.txt")
    print("# Nodes: %d Edges: %d" % (len({v for e in edges for v in e}), len(edges)))
    print("# FromNodeId\tToNodeId")
    for s, t in edges:
        print("%d\t%d" % (ids[s], ids[t]))


if __name__ == "__main__":
    main()
