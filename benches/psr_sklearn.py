"""The PSR benchmark's scikit-learn side (driven by benches/psr.sh).

Usage: psr_sklearn.py FILE ALPHA LIMIT_GB

Reads the problem written by `psr gen`, builds the dense parity features the way
the reference code does (PolynomialFeatures(3, interaction_only=True) without the
bias, whose column order is Harmonica's), times Lasso.fit alone, and prints one
JSON line: fit seconds, this process's peak RSS, the top-5 monomials. Skips (and
says how many GB it would take) when the dense matrix exceeds LIMIT_GB.
"""

import json
import resource
import sys
import time

import numpy as np
from sklearn.linear_model import Lasso
from sklearn.preprocessing import PolynomialFeatures

DEGREE = 3
TOP = 5


def read(path):
    with open(path) as f:
        n, t = (int(v) for v in f.readline().split())
        rows, y = [], []
        for line in f:
            bits, value = line.split()
            rows.append([1.0 if b == "1" else -1.0 for b in bits])
            y.append(float(value))
    return n, np.array(rows), np.array(y)


def columns(n):
    total = 0
    for k in range(1, DEGREE + 1):
        c = 1
        for i in range(k):
            c = c * (n - i) // (i + 1)
        total += c
    return total


def main():
    path, alpha, limit_gb = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    n, x, y = read(path)
    gb = x.shape[0] * columns(n) * 8 / 1e9
    if gb > limit_gb:
        print(json.dumps({"solver": "sklearn", "skipped_gb": round(gb, 1)}))
        return
    start = time.perf_counter()
    poly = PolynomialFeatures(DEGREE, interaction_only=True, include_bias=False, order="F")
    features = poly.fit_transform(x)
    design_s = time.perf_counter() - start
    # order="F" above and copy_X=False: Lasso centres the Fortran-ordered matrix in
    # place, so the peak is one dense matrix, not two.
    model = Lasso(alpha=alpha, fit_intercept=True, tol=1e-4, max_iter=1000, copy_X=False)
    start, cpu_start = time.perf_counter(), time.process_time()
    model.fit(features, y)
    fit_s = time.perf_counter() - start
    fit_cpu_s = time.process_time() - cpu_start
    coef = model.coef_
    nonzero = np.flatnonzero(coef)
    # Largest |coefficient| first, ties to the lower column: Harmonica's rule.
    order = sorted(nonzero, key=lambda j: (-abs(coef[j]), j))[:TOP]
    top = [[int(v) for v in np.flatnonzero(poly.powers_[j])] for j in order]
    # The objective with the best intercept for these coefficients: removing the
    # residual's mean works whether or not Lasso centred `features` in place.
    r = y - features @ coef
    r -= r.mean()
    objective = 0.5 * (r @ r) / len(y) + alpha * np.abs(coef).sum()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({
        "solver": "sklearn",
        "fit_s": round(fit_s, 6),
        "design_s": round(design_s, 6),
        "fit_cpu_s": round(fit_cpu_s, 6),
        "maxrss_mb": round(peak_mb, 1),
        "objective": round(float(objective), 6),
        "top": top,
        "nonzeros": int(nonzero.size),
        "n_iter": int(model.n_iter_),
    }))


if __name__ == "__main__":
    main()
