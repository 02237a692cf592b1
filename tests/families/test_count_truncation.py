"""Truncation helpers of the count distributions against scipy and statsmodels."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import torch
from statsmodels.distributions.discrete import truncatednegbin, truncatedpoisson

from torchstats.families.count_truncation import (
    count_logpmf,
    count_variance,
    log1mexp,
    log_prob_at_most,
    log_prob_zero,
    truncated_moments,
)

MU = np.array([1e-6, 0.01, 0.3, 1.0, 2.5, 7.0, 30.0])
DISTRIBUTIONS = [(None, 2.0), (0.7, 2.0), (0.7, 1.0), (2.5, 1.5)]
mpmath.mp.dps = 50


def _exact_pmf(y: int, mu: float, alpha: float | None, p: float) -> mpmath.mpf:
    """``P(Y = y)`` in 50-digit arithmetic."""
    m = mpmath.mpf(mu)
    if alpha is None:
        return mpmath.exp(-m) * m**y / mpmath.factorial(y)
    size = m ** (2 - mpmath.mpf(p)) / mpmath.mpf(alpha)
    log_pmf = (
        mpmath.loggamma(y + size)
        - mpmath.loggamma(y + 1)
        - mpmath.loggamma(size)
        + size * mpmath.log(size / (size + m))
        + y * mpmath.log(m / (size + m))
    )
    return mpmath.exp(log_pmf)


def _exact(truncation: int, alpha: float | None, p: float) -> dict[str, np.ndarray]:
    """``log P(Y <= t)``, mean and variance of ``Y | Y > t``, exact, one per ``MU``."""
    out: dict[str, list[float]] = {"log_cdf": [], "mean": [], "var": [], "tail": []}
    for mu in MU:
        probs = [_exact_pmf(k, mu, alpha, p) for k in range(truncation + 1)]
        cdf = mpmath.fsum(probs)
        m = mpmath.mpf(mu)
        variance = m if alpha is None else m + mpmath.mpf(alpha) * m ** mpmath.mpf(p)
        first = mpmath.fsum(k * q for k, q in enumerate(probs))
        second = mpmath.fsum(k * k * q for k, q in enumerate(probs))
        mean = (m - first) / (1 - cdf)
        out["log_cdf"].append(float(mpmath.log(cdf)) if truncation >= 0 else -np.inf)
        out["tail"].append(float(1 - cdf))
        out["mean"].append(float(mean))
        out["var"].append(float((m * m + variance - second) / (1 - cdf) - mean**2))
    return {key: np.array(values) for key, values in out.items()}


def _tensors(alpha: float | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    mu = torch.tensor(MU, dtype=torch.float64)
    return mu, None if alpha is None else torch.tensor(alpha, dtype=torch.float64)


@pytest.mark.parametrize("alpha,p", DISTRIBUTIONS)
@pytest.mark.parametrize("truncation", [-1, 0, 1, 4])
def test_log_prob_at_most_is_exact(alpha, p, truncation):
    mu, a = _tensors(alpha)
    got = log_prob_at_most(truncation, mu, a, p).numpy()
    # beyond 0 the log-cdf is a sum of probabilities: exact to rounding in absolute terms
    atol = 0 if truncation <= 0 else 4e-16
    np.testing.assert_allclose(got, _exact(truncation, alpha, p)["log_cdf"], rtol=1e-13, atol=atol)


@pytest.mark.parametrize("alpha,p", DISTRIBUTIONS)
def test_log_prob_positive_is_exact_for_tiny_means(alpha, p):
    """``log P(Y > 0)``, the zero-truncated models' normaliser, keeps its relative digits
    where it is tiny (statsmodels' ``log(1 - pmf)`` loses them)."""
    mu, a = _tensors(alpha)
    got = log1mexp(log_prob_at_most(0, mu, a, p)).numpy()
    exact = [float(mpmath.log(1 - _exact_pmf(0, m, alpha, p))) for m in MU]
    np.testing.assert_allclose(got, exact, rtol=1e-14)


@pytest.mark.parametrize("alpha,p", DISTRIBUTIONS)
def test_log_prob_zero_keeps_digits_for_small_means(alpha, p):
    mu, a = _tensors(alpha)
    got = log_prob_zero(mu, a, p).numpy()
    np.testing.assert_allclose(got, _exact(0, alpha, p)["log_cdf"], rtol=1e-14)
    # the general log-pmf at zero loses digits where mu is small next to the NB size
    np.testing.assert_allclose(count_logpmf(torch.zeros_like(mu), mu, a, p).numpy(), got, rtol=1e-9)


def test_log1mexp_is_accurate_and_differentiable_at_both_ends():
    points = [-1e-20, -1e-8, -0.5, -np.log(2), -1.0, -40.0, -800.0]
    x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    value = log1mexp(x)
    expected = [float(mpmath.log(1 - mpmath.exp(mpmath.mpf(v)))) for v in points]
    np.testing.assert_allclose(value.detach().numpy(), expected, rtol=1e-14)
    (grad,) = torch.autograd.grad(value.sum(), x)
    expected_grad = [float(-1 / mpmath.expm1(-mpmath.mpf(v))) for v in points]
    np.testing.assert_allclose(grad.numpy(), expected_grad, rtol=1e-12)


@pytest.mark.parametrize("alpha,p", DISTRIBUTIONS)
@pytest.mark.parametrize("truncation", [-1, 0, 2])
def test_truncated_moments_are_exact(alpha, p, truncation):
    mu, a = _tensors(alpha)
    mean, var = truncated_moments(truncation, mu, a, p)
    exact = _exact(truncation, alpha, p)
    # beyond a cut at 0 the normaliser 1 - P(Y <= t) has absolute accuracy; the variance
    # formula subtracts nearly equal numbers where mu is tiny (statsmodels' does too)
    tiny = (exact["tail"] < 1e-3) & (truncation > 0)
    np.testing.assert_allclose(mean.numpy()[~tiny], exact["mean"][~tiny], rtol=1e-12)
    np.testing.assert_allclose(var.numpy()[~tiny], exact["var"][~tiny], rtol=1e-8)
    if truncation < 0:
        np.testing.assert_array_equal(var.numpy(), count_variance(mu, a, p).numpy())


@pytest.mark.parametrize("truncation", [0, 3])
def test_truncated_pmf_equals_statsmodels_distributions(truncation):
    mu, alpha = _tensors(0.7)
    counts = torch.arange(truncation + 1, 12, dtype=torch.float64)[:, None]
    log_tail = log1mexp(log_prob_at_most(truncation, mu, alpha, 2.0))
    got = torch.exp(count_logpmf(counts, mu, alpha, 2.0) - log_tail).numpy()
    expected = truncatednegbin.pmf(counts.numpy(), MU, 0.7, 2, truncation)
    # both lose digits of 1 - P(Y <= t) where it is tiny (the first means)
    np.testing.assert_allclose(got[:, 2:], expected[:, 2:], rtol=1e-9)
    got = torch.exp(
        count_logpmf(counts, mu, None, 2.0) - log1mexp(log_prob_at_most(truncation, mu, None, 2))
    )
    expected = truncatedpoisson.pmf(counts.numpy(), MU, truncation)
    np.testing.assert_allclose(got.numpy()[:, 2:], expected[:, 2:], rtol=1e-9)
