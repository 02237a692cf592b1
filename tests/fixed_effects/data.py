"""Data sets for the fixed-effects tests: pyfixest's generator and a simulated panel."""

from __future__ import annotations

import numpy as np
import pandas as pd


def pyfixest_data(seed: int, n: int = 1000) -> pd.DataFrame:
    """pyfixest's ``get_data`` (Y, Y2, X1, X2, f1, f2, f3, Z1, Z2, weights; some NaN)."""
    import pyfixest as pf

    return pf.get_data(N=n, seed=seed)


def panel(seed: int, n: int = 3000, workers: int | None = None) -> pd.DataFrame:
    """Workers, firms and years with effects on the response and on the regressors, so that
    the regressors are correlated with the effects (the case that needs absorbing)."""
    rng = np.random.default_rng(seed)
    workers = workers or n // 10
    worker = rng.integers(0, workers, n)
    firm = rng.integers(0, 40, n)
    year = rng.integers(0, 8, n)
    worker_effect = rng.normal(size=workers)[worker]
    firm_effect = rng.normal(size=40)[firm]
    x1 = rng.normal(size=n) + 0.5 * worker_effect
    x2 = rng.normal(size=n) + 0.3 * firm_effect + 0.1 * year
    y = 1.0 + 0.7 * x1 - 0.4 * x2 + worker_effect + firm_effect + 0.2 * year
    y = y + rng.normal(scale=1 + 0.5 * np.abs(x1), size=n)
    return pd.DataFrame(
        {
            "y": y,
            "x1": x1,
            "x2": x2,
            "worker": worker,
            "firm": [f"firm{i}" for i in firm],
            "year": year,
            "state": firm % 7,
            "w": rng.uniform(0.3, 3.0, n),
        }
    )


def singletons_left_by_clusters(seed: int, n: int = 300) -> pd.DataFrame:
    """150 levels of ``f1`` over 300 rows in 10 clusters ``g``: dozens of singletons, and
    dozens of two-row levels that leaving a cluster out turns into singletons."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "f1": rng.integers(0, 150, n),
            "f2": rng.integers(0, 8, n),
            "g": rng.integers(0, 10, n),
        }
    )
    eta = 0.3 * data.x1 - 0.2 * data.x2 + 0.3 * rng.normal(size=150)[data.f1]
    data["y"] = eta + rng.normal(size=n)
    data["yc"] = rng.poisson(np.exp(eta)).astype(float)
    return data
