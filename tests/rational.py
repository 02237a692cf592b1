"""Weighted least squares in exact rational arithmetic: the reference of the accuracy tests.

float64 data are exact rationals (``fractions.Fraction(x)`` is exact), so the fit of the
stored data, its leverages, influence measures and HC covariances can be computed with no
rounding at all; only the final square roots are rounded (correctly, by ``math.sqrt`` of the
correctly rounded rational, within an ulp). With weights that are squares of binary
fractions (1/4, 1, 9/4, 4, ...) the whitened design ``sqrt(w) X`` is exact in float64 too.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np


def _inverse(matrix: list[list[Fraction]]) -> list[list[Fraction]]:
    """Gauss-Jordan elimination, exactly."""
    k = len(matrix)
    rows = [row[:] + [Fraction(int(i == j)) for j in range(k)] for i, row in enumerate(matrix)]
    for col in range(k):
        pivot = next(r for r in range(col, k) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        lead = rows[col][col]
        rows[col] = [value / lead for value in rows[col]]
        for r in range(k):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col])]
    return [row[k:] for row in rows]


def _signed_sqrt(square: Fraction, sign: Fraction) -> float:
    return math.copysign(math.sqrt(float(square)), float(sign))


def exact_fit(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> dict:
    """statsmodels' OLS/WLS influence measures and HC standard errors, exactly.

    Returns
    -------
    dict of float arrays
        ``hat``, ``resid_studentized_internal``, ``resid_studentized_external``, ``cooks``,
        ``dffits``, ``dffits_internal``, ``resid_press``, ``sigma2_not_obsi``, ``dfbeta``
        (n, k), ``dfbetas`` (n, k), and ``HC0``-``HC3`` standard errors; the influence
        measures of the whitened problem (what torchstats reports for WLS).
    """
    n, k = X.shape
    x = [[Fraction(float(v)) for v in row] for row in X]
    w = [Fraction(1)] * n if weights is None else [Fraction(float(v)) for v in weights]
    yy = [Fraction(float(v)) for v in y]
    root = [Fraction(math.sqrt(v)) for v in w]
    if any(r * r != v for r, v in zip(root, w)):
        raise ValueError("weights must be squares of floats for sqrt(w) to be exact")
    A = _inverse(
        [[sum(w[i] * x[i][a] * x[i][b] for i in range(n)) for b in range(k)] for a in range(k)]
    )
    xty = [sum(w[i] * x[i][a] * yy[i] for i in range(n)) for a in range(k)]
    beta = [sum(A[a][c] * xty[c] for c in range(k)) for a in range(k)]
    resid = [yy[i] - sum(x[i][a] * beta[a] for a in range(k)) for i in range(n)]
    # b_i = A x_i w_i: the change of the estimate per unit residual (dfbeta = b_i e_i / (1-h))
    b = [[sum(A[a][c] * x[i][c] for c in range(k)) * w[i] for a in range(k)] for i in range(n)]
    h = [sum(x[i][a] * b[i][a] for a in range(k)) for i in range(n)]
    squared = [w[i] * resid[i] ** 2 for i in range(n)]  # squared whitened residuals
    ssr = sum(squared)
    scale = ssr / (n - k)
    internal2 = [squared[i] / (scale * (1 - h[i])) for i in range(n)]
    leave_out = [(ssr - squared[i] / (1 - h[i])) / (n - k - 1) for i in range(n)]
    external2 = [squared[i] / (leave_out[i] * (1 - h[i])) for i in range(n)]
    dfbeta = [[b[i][a] * resid[i] / (1 - h[i]) for a in range(k)] for i in range(n)]
    out = {
        "hat": np.array([float(v) for v in h]),
        "resid_studentized_internal": np.array(
            [_signed_sqrt(internal2[i], resid[i]) for i in range(n)]
        ),
        "resid_studentized_external": np.array(
            [_signed_sqrt(external2[i], resid[i]) for i in range(n)]
        ),
        "cooks": np.array([float(internal2[i] * h[i] / (k * (1 - h[i]))) for i in range(n)]),
        "dffits": np.array(
            [_signed_sqrt(external2[i] * h[i] / (1 - h[i]), resid[i]) for i in range(n)]
        ),
        "dffits_internal": np.array(
            [_signed_sqrt(internal2[i] * h[i] / (1 - h[i]), resid[i]) for i in range(n)]
        ),
        "resid_press": np.array([float(root[i] * resid[i] / (1 - h[i])) for i in range(n)]),
        "sigma2_not_obsi": np.array([float(v) for v in leave_out]),
        "dfbeta": np.array([[float(v) for v in row] for row in dfbeta]),
        "dfbetas": np.array(
            [
                [
                    _signed_sqrt(dfbeta[i][a] ** 2 / (leave_out[i] * A[a][a]), dfbeta[i][a])
                    for a in range(k)
                ]
                for i in range(n)
            ]
        ),
    }
    for name, power, correction in (
        ("HC0", 0, Fraction(1)),
        ("HC1", 0, Fraction(n, n - k)),
        ("HC2", 1, Fraction(1)),
        ("HC3", 2, Fraction(1)),
    ):
        # sum_i e_i^2 / (1 - h_i)^p b_i b_i', statsmodels' sandwich of the whitened problem
        factors = [resid[i] ** 2 / (1 - h[i]) ** power for i in range(n)]
        diagonal = [correction * sum(factors[i] * b[i][a] ** 2 for i in range(n)) for a in range(k)]
        out[name] = np.array([math.sqrt(float(v)) for v in diagonal])
    return out
