"""Predictive distributions of the count models: probabilities of each count and scipy's
frozen distributions, as statsmodels' ``predict(which="prob")`` and ``get_distribution()``.

The probabilities are torch expressions of the mean and the dispersion, so the delta method
of ``get_prediction(which="prob")`` differentiates them exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy import stats

__all__ = ["count_distribution", "count_pmf", "count_y_values", "integer_pmf"]


def count_y_values(y_values: Any, endog: torch.Tensor) -> torch.Tensor:
    """The counts to evaluate: ``y_values`` (one-dimensional), else ``0..max(endog)``."""
    if y_values is None:
        return torch.arange(0, int(endog.max()) + 1, dtype=endog.dtype, device=endog.device)
    values = torch.as_tensor(np.asarray(y_values, dtype=float), dtype=endog.dtype)
    return values.reshape(-1).to(endog.device)


def _nb_size_prob(
    mean: torch.Tensor, alpha: torch.Tensor, loglike_method: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """statsmodels' ``convert_params``: ``size = mu^(2-p) / alpha``, ``prob = size/(size+mu)``
    with ``p = 2`` (nb2) or ``1`` (nb1)."""
    size = mean**0 / alpha if loglike_method == "nb2" else mean / alpha
    return size, size / (size + mean)


def count_pmf(
    mean: torch.Tensor,
    y_values: torch.Tensor,
    *,
    loglike_method: str | None,
    alpha: torch.Tensor | None,
) -> torch.Tensor:
    """``P(y = k | x_i)``, shape ``(m, K)``, for means ``(m,)`` and counts ``(K,)``.

    Parameters
    ----------
    mean : Tensor, shape (m,)
    y_values : Tensor, shape (K,)
    loglike_method : None (Poisson), "nb2", "nb1" or "geometric"
    alpha : Tensor or None
        The negative binomial's dispersion (``nb2``, ``nb1``).

    Notes
    -----
    Poisson ``exp(k log mu - mu - log k!)`` (scipy's ``poisson.pmf``); negative binomial
    ``nbinom.pmf(k, size, prob)``; geometric ``(1 - p)^k p`` with ``p = 1 / (1 + mu)``
    (scipy's ``geom(p, loc=-1)``). Non-integer counts have probability 0, as in scipy.
    """
    mu, k = mean[:, None], y_values[None, :]
    lfact = torch.lgamma(k + 1)
    if loglike_method is None:
        logp = torch.xlogy(k, mu) - mu - lfact
    elif loglike_method == "geometric":
        logp = -torch.log1p(mu) + torch.xlogy(k, mu / (1 + mu))
    else:
        assert alpha is not None
        size, prob = _nb_size_prob(mean, alpha, loglike_method)
        size, prob = size[:, None], prob[:, None]
        logp = (
            torch.lgamma(k + size)
            - torch.lgamma(size)
            - lfact
            + size * torch.log(prob)
            + torch.xlogy(k, 1 - prob)
        )
    return integer_pmf(logp, y_values)


def integer_pmf(logp: torch.Tensor, y_values: torch.Tensor) -> torch.Tensor:
    """``exp(logp)`` where the counts ``y_values`` (the last axis) are non-negative
    integers, 0 elsewhere (scipy's ``pmf`` off the support)."""
    valid = (y_values >= 0) & (y_values == torch.floor(y_values))
    return torch.where(valid, torch.exp(logp), torch.zeros_like(logp))


def count_distribution(mean: np.ndarray, *, loglike_method: str | None, alpha: float | None) -> Any:
    """scipy's frozen distribution with these means (statsmodels' ``get_distribution``):
    ``poisson(mu)``, ``nbinom(size, prob)`` or ``geom(1 / (1 + mu), loc=-1)``."""
    if loglike_method is None:
        return stats.poisson(mean)
    if loglike_method == "geometric":
        return stats.geom(1 / (1 + mean), loc=-1)
    assert alpha is not None
    size = 1.0 / alpha * (mean**0 if loglike_method == "nb2" else mean)
    return stats.nbinom(size, size / (size + mean))
