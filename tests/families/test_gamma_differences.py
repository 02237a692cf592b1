"""Gamma-function differences of the negative binomial against 50-digit mpmath, on both
sides of the size where the series take over, and their autograd derivative."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch

from torchstats.families.gamma_differences import (
    ASYMPTOTIC_SIZE,
    digamma_difference,
    log_gamma_ratio,
    trigamma_difference,
)

mpmath.mp.dps = 50

SIZES = [1e-3, 0.5, 7.0, 99.5, ASYMPTOTIC_SIZE, 150.0, 1e3, 1e6, 1e10, 1e15]
COUNTS = [0.0, 1.0, 2.0, 5.0, 17.0, 300.0, 1e4]


def _grid() -> tuple[torch.Tensor, torch.Tensor]:
    y, s = np.meshgrid(COUNTS, SIZES)
    return torch.tensor(y.ravel()), torch.tensor(s.ravel())


def _exact(function, y: torch.Tensor, s: torch.Tensor) -> np.ndarray:
    pairs = zip(y.tolist(), s.tolist())
    return np.array([float(function(mpmath.mpf(a), mpmath.mpf(b))) for a, b in pairs])


def _log_gamma_ratio(y, s):
    return mpmath.loggamma(y + s) - mpmath.loggamma(s) - y * mpmath.log(s)


def _digamma_difference(y, s):
    return mpmath.digamma(y + s) - mpmath.digamma(s)


def _trigamma_difference(y, s):
    return mpmath.polygamma(1, y + s) - mpmath.polygamma(1, s)


def _rounding_scale(y: torch.Tensor, s: torch.Tensor) -> np.ndarray:
    """The size of the terms a log-probability sums: ``y log(2 + y)``, and below the
    series' size the log-gamma values the direct difference takes."""
    yy, ss = y.numpy(), s.numpy()
    direct = np.where(ss < ASYMPTOTIC_SIZE, (yy + ss + 2) * np.log(yy + ss + 2), 0.0)
    return 1 + yy * np.log(2 + yy) + direct


def test_log_gamma_ratio_to_rounding_of_its_terms():
    y, s = _grid()
    error = np.abs(log_gamma_ratio(y, s).numpy() - _exact(_log_gamma_ratio, y, s))
    assert (error <= 8 * np.finfo(float).eps * _rounding_scale(y, s)).all()


def test_digamma_and_trigamma_differences_to_relative_precision():
    y, s = _grid()
    series = s.numpy() >= ASYMPTOTIC_SIZE
    np.testing.assert_allclose(
        digamma_difference(y, s).numpy(), _exact(_digamma_difference, y, s), rtol=1e-13, atol=0
    )
    expected = _exact(_trigamma_difference, y, s)
    found = trigamma_difference(y, s).numpy()
    np.testing.assert_allclose(found[series], expected[series], rtol=1e-13, atol=0)
    # below the series' size: torch's own trigamma, which errs by up to ~5e-10 relative
    # between 0.1 and 20 (docs/discrete.md)
    np.testing.assert_allclose(found[~series], expected[~series], rtol=2e-9, atol=0)


def test_one_size_or_sizes_on_either_side_of_the_switch():
    # NB2's single size (a 0-d tensor or a number) takes one branch; per-row sizes (NB1,
    # NB-P) mixing both sides give each row its own, as when taken one at a time
    y = torch.tensor([0.0, 3.0, 40.0], dtype=torch.float64)
    mixed = torch.tensor([50.0, 5e3, ASYMPTOTIC_SIZE], dtype=torch.float64)
    for function in (log_gamma_ratio, digamma_difference, trigamma_difference):
        each = torch.stack([function(y[i : i + 1], mixed[i : i + 1])[0] for i in range(3)])
        torch.testing.assert_close(function(y, mixed), each, rtol=0, atol=0)
        torch.testing.assert_close(
            function(y, torch.tensor(5e3, dtype=torch.float64)),
            function(y, torch.full((3,), 5e3, dtype=torch.float64)),
            rtol=0,
            atol=0,
        )


@pytest.mark.parametrize("size", [3.0, 250.0, 1e8])
def test_autograd_derivative_in_the_size(size):
    """d/ds [lgamma(y + s) - lgamma(s) - y log s] = digamma difference - y / s, in both
    branches; its error is that of the terms (``eps y / s``), not of the small result."""
    y = torch.tensor(COUNTS[:-1], dtype=torch.float64)
    s = torch.full_like(y, size, requires_grad=True)
    (gradient,) = torch.autograd.grad(log_gamma_ratio(y, s).sum(), s)
    expected = np.array(
        [
            float(_digamma_difference(mpmath.mpf(a), mpmath.mpf(size)) - mpmath.mpf(a) / size)
            for a in COUNTS[:-1]
        ]
    )
    scale = 1 + y.numpy() / size + (size < ASYMPTOTIC_SIZE) * math.log(size + 400)
    assert (np.abs(gradient.numpy() - expected) <= 64 * np.finfo(float).eps * scale).all()
