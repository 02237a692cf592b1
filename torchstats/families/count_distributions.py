"""Log-probabilities of the count distributions behind the count models, in torch.

Each takes the counts ``y``, the means ``mu`` and the dispersion as statsmodels
parametrises it, and returns ``log P(Y = y)`` elementwise, differentiable in ``mu`` and the
dispersion (the models take their derivatives by autograd). The zero-inflated, truncated and
hurdle models are built from these.

References
----------
statsmodels ``discrete.discrete_model``: ``Poisson.loglikeobs``,
``NegativeBinomialP.loglikeobs`` (Greene's NB-P), ``GeneralizedPoisson.loglikeobs``
(Consul and Famoye's generalised Poisson, with Famoye's ``p``).
"""

from __future__ import annotations

import torch

from torchstats.families.gamma_differences import log_gamma_ratio

__all__ = ["poisson_logpmf", "negbin_p_logpmf", "generalized_poisson_logpmf"]


def poisson_logpmf(y: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
    """``y log(mu) - mu - log(y!)``."""
    return torch.special.xlogy(y, mu) - mu - torch.lgamma(y + 1)


def negbin_p_logpmf(
    y: torch.Tensor, mu: torch.Tensor, alpha: torch.Tensor, p: float | torch.Tensor
) -> torch.Tensor:
    """NB-P: variance ``mu + alpha mu^p`` (``p = 2``: NB2, ``p = 1``: NB1).

    With ``a = mu^(2 - p) / alpha``: ``lgamma(y + a) - lgamma(y + 1) - lgamma(a)
    + a log(a) + y log(mu) - (y + a) log(mu + a)`` (statsmodels' form), evaluated as
    ``G(y, a) - lgamma(y + 1) + y log(mu) - (y + a) log1p(mu / a)`` with ``G = lgamma(y + a)
    - lgamma(a) - y log(a)`` (:func:`~torchstats.families.gamma_differences.log_gamma_ratio`):
    the same value, without the cancellation of terms of order ``a log(a)`` that leaves
    noise of order one a row as ``alpha`` tends to 0.
    """
    a1 = mu ** (2 - p) / alpha
    return (
        log_gamma_ratio(y, a1)
        - torch.lgamma(y + 1)
        + torch.special.xlogy(y, mu)
        - (y + a1) * torch.log1p(mu / a1)
    )


def generalized_poisson_logpmf(
    y: torch.Tensor, mu: torch.Tensor, alpha: torch.Tensor, p: float | torch.Tensor
) -> torch.Tensor:
    """Generalised Poisson with mean ``mu`` and variance ``mu (1 + alpha mu^(p-1))^2``.

    With ``a1 = 1 + alpha mu^(p-1)`` and ``a2 = mu + (a1 - 1) y``:
    ``log(mu) + (y - 1) log(a2) - y log(a1) - log(y!) - a2 / a1``. ``alpha`` may be
    negative (underdispersion) as long as ``a1`` and ``a2`` stay positive; statsmodels
    clips them at 1e-20, which is kept here for the same values.
    """
    a1 = 1 + alpha * mu ** (p - 1)
    a2 = mu + (a1 - 1) * y
    a1 = torch.clamp(a1, min=1e-20)
    a2 = torch.clamp(a2, min=1e-20)
    return (
        torch.log(mu) + (y - 1) * torch.log(a2) - y * torch.log(a1) - torch.lgamma(y + 1) - a2 / a1
    )
