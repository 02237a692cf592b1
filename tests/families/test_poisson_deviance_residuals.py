"""Poisson deviance residuals against 50-digit mpmath, where ``y`` is close to ``mu``."""

from __future__ import annotations

import mpmath
import numpy as np
import torch

import torchstats as ts

mpmath.mp.dps = 50

PAIRS = [
    (846295658.0, 846295290.42),  # 2.4e-4 relative error before (statsmodels the same)
    (1.5e12, 1.5e12 - 1.0),
    (1e6, 1e6 + 0.5),
    (10.0, 10.000001),
    (3.0, 2.9),
    (5.0, 9.0),  # far apart: the direct formula
    (0.0, 0.7),
    (2.0, 1.95),
]


def _exact(y: float, mu: float) -> float:
    Y, M = mpmath.mpf(y), mpmath.mpf(mu)
    unit = 2 * ((Y * mpmath.log(Y / M) if y > 0 else 0) - (Y - M))
    return float(mpmath.sign(Y - M) * mpmath.sqrt(unit))


def test_deviance_residuals_to_rounding_where_y_is_close_to_mu():
    y = torch.tensor([p[0] for p in PAIRS], dtype=torch.float64)
    mu = torch.tensor([p[1] for p in PAIRS], dtype=torch.float64)
    found = ts.families.Poisson().resid_dev(y, mu).numpy()
    expected = np.array([_exact(*p) for p in PAIRS])
    np.testing.assert_allclose(found, expected, rtol=4e-16, atol=0)


def test_the_fit_s_deviance_keeps_the_direct_sum():
    # the deviance (a sum, rounded as its total) is the direct formula's, bitwise
    y = torch.tensor([p[0] for p in PAIRS], dtype=torch.float64)
    mu = torch.tensor([p[1] for p in PAIRS], dtype=torch.float64)
    family = ts.families.Poisson()
    direct = 2 * (torch.special.xlogy(y, y / mu) - (y - mu))
    np.testing.assert_allclose(family.deviance(y, mu), direct.sum(), rtol=1e-15)
