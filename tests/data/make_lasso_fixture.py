"""Writes lasso_sklearn.json: a small fixed Lasso problem over parity features and
scikit-learn's solution, the reference the Rust tests compare against.

    python3 -m venv .venv && .venv/bin/pip install numpy scikit-learn
    .venv/bin/python tests/data/make_lasso_fixture.py > tests/data/lasso_sklearn.json
"""
import json

import numpy as np
import sklearn
from sklearn.linear_model import Lasso
from sklearn.preprocessing import PolynomialFeatures


def lcg(seed):
    state = seed
    while True:
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        yield state >> 33


def main():
    n, d, t = 6, 2, 40
    gen = lcg(42)
    x = np.array([[1 if next(gen) & 1 else -1 for _ in range(n)] for _ in range(t)], dtype=float)
    noise = np.array([(next(gen) % 1000) / 1000.0 - 0.5 for _ in range(t)])
    y = 3.0 * x[:, 0] * x[:, 1] - 2.0 * x[:, 4] + 0.5 * x[:, 2] * x[:, 5] + 1.5 + noise
    feats = PolynomialFeatures(d, interaction_only=True, include_bias=False).fit_transform(x)
    problems = []
    for alpha in (0.01, 0.1, 1.0, 10.0):
        model = Lasso(alpha=alpha, fit_intercept=True, tol=1e-10, max_iter=100000).fit(feats, y)
        problems.append({"alpha": alpha, "coef": model.coef_.tolist(), "intercept": float(model.intercept_)})
    json.dump(
        {"sklearn": sklearn.__version__, "n": n, "degree": d, "x": x.astype(int).tolist(), "y": y.tolist(),
         "problems": problems},
        __import__("sys").stdout,
        indent=1,
    )


main()
