#!/usr/bin/env python3
"""Logistic regression on the bundled breast-cancer data, trained with mini-batch
SGD (momentum, L2), standard library only. A Harmonica `command` objective:

    python3 logreg.py --lr 0.1 --batch 32 --epochs 9 --l2 0.001 --momentum 0.9 \
        --scale standard --seed 1

prints one `epoch=k loss=...` line per epoch and finally a JSON line
{"loss": <validation log-loss>, "accuracy": ...}; Harmonica reads the last `loss`.
"""
import argparse
import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    with open(path) as f:
        lines = f.read().split()
    rows = [list(map(float, line.split(","))) for line in lines[1:]]
    return [r[:-1] for r in rows], [int(r[-1]) for r in rows]


def scale(train, other, how):
    n = len(train[0])
    if how == "none":
        return train, other
    cols = list(zip(*train))
    if how == "standard":
        mu = [sum(c) / len(c) for c in cols]
        sd = [math.sqrt(sum((x - m) ** 2 for x in c) / len(c)) or 1.0 for c, m in zip(cols, mu)]
        f = lambda r: [(r[j] - mu[j]) / sd[j] for j in range(n)]
    else:  # minmax
        lo = [min(c) for c in cols]
        hi = [max(c) for c in cols]
        f = lambda r: [(r[j] - lo[j]) / ((hi[j] - lo[j]) or 1.0) for j in range(n)]
    return [f(r) for r in train], [f(r) for r in other]


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def log_loss(w, b, xs, ys):
    total = 0.0
    for x, y in zip(xs, ys):
        p = min(max(sigmoid(b + sum(wi * xi for wi, xi in zip(w, x))), 1e-12), 1 - 1e-12)
        total -= y * math.log(p) + (1 - y) * math.log(1 - p)
    return total / len(xs)


def accuracy(w, b, xs, ys):
    right = sum((b + sum(wi * xi for wi, xi in zip(w, x)) > 0) == (y == 1) for x, y in zip(xs, ys))
    return right / len(xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--l2", type=float, default=0.0)
    ap.add_argument("--momentum", type=float, default=0.0)
    ap.add_argument("--scale", choices=["none", "standard", "minmax"], default="standard")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    xs, ys = load(os.path.join(HERE, "data", "breast_cancer.csv"))
    split = random.Random(12345)  # the same validation split for every trial
    order = list(range(len(xs)))
    split.shuffle(order)
    cut = int(0.7 * len(order))
    tr, va = order[:cut], order[cut:]
    xtr, xva = scale([xs[i] for i in tr], [xs[i] for i in va], a.scale)
    ytr, yva = [ys[i] for i in tr], [ys[i] for i in va]

    rng = random.Random(a.seed)
    n = len(xtr[0])
    w, b = [0.0] * n, 0.0
    vw, vb = [0.0] * n, 0.0
    idx = list(range(len(xtr)))
    for epoch in range(1, a.epochs + 1):
        rng.shuffle(idx)
        for s in range(0, len(idx), a.batch):
            batch = idx[s : s + a.batch]
            gw, gb = [a.l2 * wi for wi in w], 0.0
            for i in batch:
                x = xtr[i]
                err = sigmoid(b + sum(wi * xi for wi, xi in zip(w, x))) - ytr[i]
                for j in range(n):
                    gw[j] += err * x[j] / len(batch)
                gb += err / len(batch)
            vw = [a.momentum * v - a.lr * g for v, g in zip(vw, gw)]
            vb = a.momentum * vb - a.lr * gb
            w = [wi + v for wi, v in zip(w, vw)]
            b += vb
        loss = log_loss(w, b, xva, yva)
        if not math.isfinite(loss):
            print(f"epoch={epoch} diverged", flush=True)
            break
        print(f"epoch={epoch} loss={loss:.6f}", flush=True)
    print(json.dumps({"loss": log_loss(w, b, xva, yva), "accuracy": accuracy(w, b, xva, yva)}))


if __name__ == "__main__":
    main()
