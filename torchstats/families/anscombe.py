"""Anscombe residuals: the response and the mean through the transformation ``A`` that makes
the family's residuals nearly normal, ``A(y) - A(mu)`` over its standard deviation
``A'(mu) sqrt(V(mu) scale / var_weights)``, with ``A(x) = integral V(t)^(-1/3) dt``.

statsmodels' formulas (``Family.resid_anscombe``) for every family; the binomial (incomplete
beta function) and negative binomial (hypergeometric function) need scipy special
functions that torch lacks and are evaluated on the host.

Reference: McCullagh & Nelder (1989), *Generalized Linear Models*, 2nd ed., section 2.4.2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchstats.families import families as F

__all__ = ["anscombe_residuals"]


def anscombe_residuals(
    family: F.Family,
    endog: torch.Tensor,
    mu: torch.Tensor,
    var_weights: Any = 1.0,
    scale: float = 1.0,
    n_trials: Any = 1.0,
) -> torch.Tensor:
    """Anscombe residuals of ``endog`` around ``mu`` for ``family``.

    Parameters
    ----------
    family : Family
    endog, mu : Tensor, shape (n,)
        Response and fitted means (proportions for the binomial).
    var_weights : Tensor or float
    scale : float
        The dispersion (1 for statsmodels' ``resid_anscombe_unscaled``).
    n_trials : Tensor or float
        Binomial trials per row.
    """
    root_weights = torch.sqrt(torch.as_tensor(var_weights, dtype=mu.dtype, device=mu.device))
    if isinstance(family, F.Gaussian):
        resid = (endog - mu) / scale**0.5
    elif isinstance(family, F.Poisson):
        resid = 1.5 * (endog ** (2 / 3) - mu ** (2 / 3)) / (mu ** (1 / 6) * scale**0.5)
    elif isinstance(family, F.Gamma):
        resid = 3 * (endog ** (1 / 3) - mu ** (1 / 3)) / mu ** (1 / 3) / scale**0.5
    elif isinstance(family, F.InverseGaussian):
        resid = torch.log(endog / mu) / torch.sqrt(mu * scale)
    elif isinstance(family, F.Tweedie):
        resid = _tweedie(endog, mu, family.var_power, scale)
    elif isinstance(family, F.Binomial):
        resid = _binomial(endog, mu, n_trials, scale)
    elif isinstance(family, F.NegativeBinomial):
        resid = _negative_binomial(endog, mu, family.alpha, scale)
    else:
        raise NotImplementedError(f"no Anscombe residuals for {type(family).__name__}")
    return resid * root_weights


def _tweedie(endog: torch.Tensor, mu: torch.Tensor, power: float, scale: float) -> torch.Tensor:
    if power == 3:
        return torch.log(endog / mu) / torch.sqrt(mu * scale)
    c = (3 - power) / 3
    return (endog**c - mu**c) / c / mu ** (power / 6) / scale**0.5


def _host(values: Any) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=float)


def _binomial(endog: torch.Tensor, mu: torch.Tensor, n_trials: Any, scale: float) -> torch.Tensor:
    from scipy import special

    n = _host(n_trials)
    y, m = _host(endog), _host(mu)

    def cox_snell(x: np.ndarray) -> np.ndarray:
        return special.betainc(2 / 3, 2 / 3, x) * special.beta(2 / 3, 2 / 3)

    successes = m * n
    value = (
        n ** (2 / 3) * (cox_snell(y) - cox_snell(m)) / (successes * (1 - m) * scale**3) ** (1 / 6)
    )
    return torch.as_tensor(value, dtype=mu.dtype, device=mu.device)


def _negative_binomial(
    endog: torch.Tensor, mu: torch.Tensor, alpha: float, scale: float
) -> torch.Tensor:
    from scipy import special

    y, m = _host(endog), _host(mu)

    def hyp2f1(x: np.ndarray) -> np.ndarray:
        return special.hyp2f1(2 / 3, 1 / 3, 5 / 3, x)

    value = (
        1.5
        * (y ** (2 / 3) * hyp2f1(-alpha * y) - m ** (2 / 3) * hyp2f1(-alpha * m))
        / (m * (1 + alpha * m) * scale**3) ** (1 / 6)
    )
    return torch.as_tensor(value, dtype=mu.dtype, device=mu.device)
