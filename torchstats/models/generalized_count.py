"""Count models with a power parameter ``p``: :class:`NegativeBinomialP` and
:class:`GeneralizedPoisson`, as statsmodels'.

Both have the mean ``mu = exp(X b + offset + log(exposure))`` and a dispersion ``alpha``,
the last parameter; ``p`` is fixed when the model is made:

- NB-P (Greene): variance ``mu + alpha mu^p`` (``p = 2``: NB2, ``p = 1``: NB1), ``alpha > 0``;
- generalised Poisson (Famoye): variance ``mu (1 + alpha mu^(p-1))^2``; ``alpha`` may be
  negative (underdispersion) while the probabilities stay positive.

The log-probabilities are :mod:`torchstats.families.count_distributions`' and every
derivative is autograd's. Newton steps in ``log(alpha)`` for NB-P (``alpha`` stays
positive) and in ``alpha`` for the generalised Poisson; statsmodels' scipy methods step in
``alpha`` itself, from statsmodels' start (a Poisson fit and a moment estimate of ``alpha``),
so that ``fit(method="bfgs")`` (statsmodels' default: 35 BFGS steps) takes statsmodels' path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from torchstats.errors import InvalidOptionError
from torchstats.families.count_distributions import generalized_poisson_logpmf, negbin_p_logpmf
from torchstats.models.base import caller_context
from torchstats.models.count import (
    _COUNT_PARAMETERS,
    LogAlphaParameters,
    Poisson,
    _Count,
    warn_if_no_overdispersion,
    warn_if_zeros_separated,
)
from torchstats.models.discrete import _AUXILIARY_MAXITER
from torchstats.models.discrete_fit import solve_newton
from torchstats.results.generalized_count import (
    GeneralizedPoissonResults,
    NegativeBinomialPResults,
)
from torchstats.solvers.result import SolverResult

__all__ = ["GeneralizedPoisson", "NegativeBinomialP", "LogAlphaNewton"]

# statsmodels' floors on the moment estimate of alpha used as start value.
_MIN_START_ALPHA_NBP = 0.05
_MIN_START_ALPHA_GP = -0.1

_P_PARAMETER = """
    p : float
        The power parameter, fixed (statsmodels' ``p``).
"""


class LogAlphaNewton(LogAlphaParameters):
    """Newton in ``log(alpha)``, ``alpha`` the last parameter, with autograd's derivatives.

    A mixin for likelihood models whose dispersion must stay positive (NB-P and the
    zero-inflated NB-P): torch's Newton steps in ``log(alpha)``; statsmodels' scipy methods
    step in ``alpha`` (its ``_transparams`` is off for these models).
    """

    loglike: Callable[[torch.Tensor], torch.Tensor]

    def _internal_objective(self, theta: torch.Tensor) -> torch.Tensor:
        return -self.loglike(self._from_internal(theta))

    def _internal_value_grad(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.enable_grad():
            gradient, value = torch.func.grad_and_value(self._internal_objective)(theta.detach())
        return value.detach(), gradient.detach()

    def _internal_derivatives(
        self, theta: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        value, gradient = self._internal_value_grad(theta)
        with torch.enable_grad():
            hessian = torch.func.hessian(self._internal_objective)(theta.detach())
        return value, gradient, hessian.detach()

    def _steps_internally(self, method: str) -> bool:
        return False


class _PowerCount(_Count):
    """Shared parts of NB-P and the generalised Poisson; not public."""

    k_extra = 1
    _min_start_alpha: float

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        p: float = 2,
        offset: Any = None,
        exposure: Any = None,
        missing: str | None = None,
        *,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        self.p = _check_power(p)
        self._setup(
            endog,
            exog,
            offset=offset,
            exposure=exposure,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
        )

    def _options(self) -> dict[str, Any]:
        return {"p": self.p}

    def _extra_names(self) -> tuple[str, ...]:
        return ("alpha",)

    def _split(self, params: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, alpha)`` at ``params``."""
        params = self._params_tensor(params)
        return torch.exp(self._linear(params[: self.design.k_exog])), params[-1]

    def loglikeobs(self, params: Any) -> torch.Tensor:
        """Per-observation log-likelihood, shape (n,)."""
        mu, alpha = self._split(params)
        return self.logpmf(self.design.endog, mu, alpha)

    def logpmf(self, y: torch.Tensor, mu: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        """``log P(Y = y)`` at means ``mu`` and dispersion ``alpha`` (broadcast)."""
        raise NotImplementedError

    def _start_params(self) -> torch.Tensor:
        """statsmodels' start: a Poisson fit and the moment estimate of ``alpha``
        (``_estimate_dispersion`` with the Poisson fit's ``df_resid``), floored."""
        poisson = self._sibling(Poisson, self.design.exog, self.design.output.param_names)
        found, _ = solve_newton(poisson, poisson._beta_start(), _AUXILIARY_MAXITER)
        mu = poisson.predict(found.params)
        resid = self.design.endog - mu
        df_resid = max(self.design.nobs - poisson.rank, 1)
        alpha = (self._dispersion_moment(resid, mu) * mu ** (1 - self.p)).sum() / df_resid
        return torch.cat([found.params, alpha.clamp(min=self._min_start_alpha)[None]])

    def _dispersion_moment(self, resid: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class NegativeBinomialP(LogAlphaNewton, _PowerCount):
    __doc__ = (
        """Generalised negative binomial (NB-P), statsmodels' ``NegativeBinomialP``.

    ``y`` is negative binomial with mean ``mu`` and variance ``mu + alpha mu^p``; the
    parameters are the coefficients followed by ``alpha``.
    """
        + _COUNT_PARAMETERS
        + _P_PARAMETER
        + """
    Notes
    -----
    ``fit()`` is Newton to full precision, stepping in ``log(alpha)``; statsmodels' default
    is 35 BFGS steps in ``alpha`` (``fit(method="bfgs")`` here takes that path).
    """
    )

    model_name = "NegativeBinomialP"
    _results_class = NegativeBinomialPResults
    _min_start_alpha = _MIN_START_ALPHA_NBP

    @property
    def parameterization(self) -> float:
        """statsmodels' ``parameterization``: ``p``."""
        return self.p

    def logpmf(self, y: torch.Tensor, mu: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        return negbin_p_logpmf(y, mu, alpha, self.p)

    def _dispersion_moment(self, resid: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        return resid**2 / mu - 1

    def variance(self, mean: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return mean * (1 + params[-1] * mean ** (self.p - 1))

    def _check_fit(self, params: torch.Tensor, found: SolverResult) -> None:
        """Warn when zeros are predicted exactly while the estimates diverge, or ``alpha``
        went to the boundary (:func:`warn_if_no_overdispersion`)."""
        warn_if_zeros_separated(self, params, found)
        mu, alpha = self._split(params)
        warn_if_no_overdispersion(self.model_name, alpha, (mu ** (self.p - 1)).max())


class GeneralizedPoisson(_PowerCount):
    __doc__ = (
        """Generalised Poisson regression, statsmodels' ``GeneralizedPoisson``.

    ``y`` has mean ``mu`` and variance ``mu (1 + alpha mu^(p-1))^2``; ``p = 1`` (default)
    is Consul's GP-1, ``p = 2`` GP-2. ``alpha`` (last parameter) below 0 is underdispersion.
    """
        + _COUNT_PARAMETERS
        + _P_PARAMETER
        + """
    Notes
    -----
    Newton steps in ``alpha`` itself, which may be negative; where ``1 + alpha mu^(p-1)``
    or ``mu + alpha mu^(p-1) y`` would be non-positive, statsmodels' floor of 1e-20 is kept.
    """
    )

    model_name = "GeneralizedPoisson"
    _results_class = GeneralizedPoissonResults

    def _check_fit(self, params: torch.Tensor, found: SolverResult) -> None:
        """Warn when zeros are predicted exactly while the estimates diverge."""
        warn_if_zeros_separated(self, params, found)
    _min_start_alpha = _MIN_START_ALPHA_GP

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        p: float = 1,
        offset: Any = None,
        exposure: Any = None,
        missing: str | None = None,
        *,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        super().__init__(
            endog,
            exog,
            p,
            offset,
            exposure,
            missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
        )

    @property
    def parameterization(self) -> float:
        """statsmodels' ``parameterization``: ``p - 1``."""
        return self.p - 1

    def _default_start(self, method: str) -> torch.Tensor:
        """statsmodels' start (the Poisson fit and the moment estimate of ``alpha``, at
        least -0.1); for Newton, ``alpha = 0`` (the Poisson fit is the model's own point
        there) where that estimate lies more than half-way from 0 to the edge of the
        domain (``1 + alpha mu^(p-1)`` below 1/2, or ``mu + alpha mu^(p-1) y`` below
        ``mu / 2``, in some row), past which statsmodels' floor of 1e-20 makes the
        log-likelihood a cliff. Newton's steps, cut back at the cliff, crawled along it:
        GP-2 on 60 Poisson counts stopped at ``maxiter`` with alpha -0.09999 and a
        log-likelihood of -202.0, the maximum's -102.7."""
        start = self._start_params()
        if method == "newton":
            mu, alpha = self._split(start)
            spread = alpha * mu ** (self.p - 1)
            inside = (1 + spread >= 0.5) & (mu + spread * self.design.endog >= 0.5 * mu)
            if not bool(inside.all()):
                start = torch.cat([start[:-1], torch.zeros_like(start[-1:])])
        return self._to_internal(start)

    def logpmf(self, y: torch.Tensor, mu: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        return generalized_poisson_logpmf(y, mu, alpha, self.p)

    def _dispersion_moment(self, resid: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        return resid.abs() / mu.sqrt() - 1

    def variance(self, mean: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return mean * (1 + params[-1] * mean ** (self.p - 1)) ** 2


def _check_power(p: Any) -> float:
    """``p`` as a float; refuse what is not a positive finite number."""
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise InvalidOptionError(f"p must be a number, got {p!r}") from None
    if not (value > 0 and value < float("inf")):
        raise InvalidOptionError(f"p must be a positive finite number, got {p!r}")
    return value
