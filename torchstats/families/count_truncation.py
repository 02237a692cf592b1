"""Truncation and censoring of the Poisson and NB-P count distributions, in torch.

The truncated and hurdle count models (statsmodels' ``discrete.truncated_model``) need,
besides the log-probabilities of :mod:`~torchstats.families.count_distributions`, the
probability that a count lies at or below a truncation point, its complement on the log
scale, and the mean and variance of the distribution truncated there. Everything is
elementwise in the means ``mu`` and differentiable, so the models take their scores and
Hessians by autograd.

A dispersion ``alpha`` of None means the Poisson distribution, else NB-P with variance
``mu + alpha mu^p`` (statsmodels' ``NegativeBinomialP``).
"""

from __future__ import annotations

import math

import torch

from torchstats.families.count_distributions import negbin_p_logpmf, poisson_logpmf

__all__ = [
    "count_logpmf",
    "count_variance",
    "log1mexp",
    "log_prob_at_most",
    "log_prob_zero",
    "truncated_moments",
]

_LOG_HALF = -math.log(2.0)


def count_logpmf(
    y: torch.Tensor, mu: torch.Tensor, alpha: torch.Tensor | None, p: float
) -> torch.Tensor:
    """``log P(Y = y)``: Poisson (``alpha`` None) or NB-P."""
    if alpha is None:
        return poisson_logpmf(y, mu)
    return negbin_p_logpmf(y, mu, alpha, p)


def count_variance(mu: torch.Tensor, alpha: torch.Tensor | None, p: float) -> torch.Tensor:
    """``mu`` (Poisson) or ``mu + alpha mu^p`` (NB-P)."""
    return mu if alpha is None else mu + alpha * mu**p


def log_prob_zero(mu: torch.Tensor, alpha: torch.Tensor | None, p: float) -> torch.Tensor:
    """``log P(Y = 0)``: ``-mu``, or ``-a log(1 + mu / a)`` with ``a = mu^(2-p) / alpha``.

    The NB-P form with ``log1p`` keeps its digits when ``mu`` is small next to ``a``
    (:func:`count_logpmf` at zero subtracts two nearly equal logarithms there).
    """
    if alpha is None:
        return -mu
    size = mu ** (2 - p) / alpha
    return -size * torch.log1p(mu / size)


def log1mexp(x: torch.Tensor) -> torch.Tensor:
    """``log(1 - exp(x))`` for ``x <= 0``, accurate at both ends (Maechler 2012).

    ``log(-expm1(x))`` near zero, ``log1p(-exp(x))`` below ``-log 2``; each branch is fed
    only arguments where it is finite, so autograd sees no NaN from the other.
    """
    near = x > _LOG_HALF
    small = torch.log(-torch.expm1(torch.where(near, x, torch.full_like(x, _LOG_HALF))))
    large = torch.log1p(-torch.exp(torch.where(near, torch.full_like(x, _LOG_HALF), x)))
    return torch.where(near, small, large)


def log_prob_at_most(
    truncation: int, mu: torch.Tensor, alpha: torch.Tensor | None, p: float
) -> torch.Tensor:
    """``log P(Y <= truncation)``, shape of ``mu`` (``-inf`` for a truncation below 0)."""
    if truncation < 0:
        return torch.full_like(mu, -math.inf)
    terms = [log_prob_zero(mu, alpha, p)]
    for count in range(1, truncation + 1):
        terms.append(count_logpmf(torch.full_like(mu, float(count)), mu, alpha, p))
    return torch.logsumexp(torch.stack(terms), dim=0) if len(terms) > 1 else terms[0]


def truncated_moments(
    truncation: int, mu: torch.Tensor, alpha: torch.Tensor | None, p: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of ``Y | Y > truncation``.

    With ``P``, ``M1`` and ``M2`` the probability, first and second moments of the counts
    ``0..truncation``: mean ``(mu - M1) / (1 - P)`` and variance
    ``(mu^2 + var(Y) - M2) / (1 - P) - mean^2`` (statsmodels'
    ``TruncatedLFGeneric.predict(which="mean"/"var")``). A truncation below 0 leaves the
    distribution as it is.
    """
    variance = count_variance(mu, alpha, p)
    if truncation < 0:
        return mu, variance
    survival = -torch.expm1(log_prob_at_most(truncation, mu, alpha, p))
    first = torch.zeros_like(mu)
    second = torch.zeros_like(mu)
    for count in range(1, truncation + 1):
        prob = torch.exp(count_logpmf(torch.full_like(mu, float(count)), mu, alpha, p))
        first = first + count * prob
        second = second + count**2 * prob
    mean = (mu - first) / survival
    return mean, (mu**2 + variance - second) / survival - mean**2
