#!/usr/bin/env python3
"""The SGD benchmark of benches/sgd.rs in NumPy: online SGD on the two-layer ReLU
net with identity mapping, d = 100, batch 200, eta = 1e-3, W* and W0 Gaussian of
spectral norm 0.6. Buffers are preallocated and products written in place (out=),
as a careful NumPy user would; prints `numpy: <steps/s> steps/s`.

Usage: python3 benches/sgd_numpy.py [STEPS]
"""
import sys
import time

import numpy as np


def gaussian_with_norm(rng, d, norm):
    g = rng.standard_normal((d, d))
    return g * (norm / np.linalg.norm(g, 2))


def train(steps, d=100, batch=200, lr=1e-3, seed=0):
    rng = np.random.default_rng(seed)
    eye = np.eye(d)
    ustar = eye + gaussian_with_norm(rng, d, 0.6)
    u = eye + gaussian_with_norm(rng, d, 0.6)
    x = np.empty((batch, d))
    z = np.empty((batch, d))
    zs = np.empty((batch, d))
    grad = np.empty((d, d))
    for _ in range(steps):
        rng.standard_normal(out=x)
        np.matmul(x, u, out=z)
        np.matmul(x, ustar, out=zs)
        r = np.maximum(z, 0.0).sum(axis=1) - np.maximum(zs, 0.0).sum(axis=1)
        # z <- 1[z > 0] * r, the masked residual.
        np.multiply(z > 0.0, r[:, None], out=z)
        np.matmul(x.T, z, out=grad)
        u -= (lr * 2.0 / batch) * grad
    return np.linalg.norm(u - ustar)


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    train(50)
    start = time.perf_counter()
    dist = train(steps)
    secs = time.perf_counter() - start
    print(f"numpy: {steps / secs:.1f} steps/s ({steps} steps in {secs:.2f} s, d=100, batch 200; numpy {np.__version__})")
    print(f"numpy: final distance {dist:.4f}")


if __name__ == "__main__":
    main()
