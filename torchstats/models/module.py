"""Standard errors for a model already fitted in torch (an ``nn.Module`` trained with Adam...).

    net = nn.Linear(3, 1).double()          # ... trained by any optimiser ...
    res = ts.module_inference(net, residuals=lambda: net(X).squeeze(-1) - y)
    res.params, res.bse, res.summary()      # names like "weight[0,1]", "bias[0]"

Give either the residuals of a Gaussian loss (mean squared error) — the variance is then
estimated by ``scale``: ``"df_resid"`` (``SSR / (n - k)``, R's ``lm()`` and statsmodels'
OLS, with t tests), ``"mle"`` (``SSR / n``) or a known number — or the per-observation
negative log-likelihoods of any model. Standard errors come from the exact Hessian at the
module's current parameters (trainable ones only); robust covariances from per-observation
scores.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from torchstats.autodiff.parameters import flatten_parameters
from torchstats.errors import ConvergenceWarning, InvalidOptionError, warn
from torchstats.models.generic import _check_fit_options, _EngineModel
from torchstats.models.likelihood_engine import LikelihoodEngine
from torchstats.results.likelihood import MaximumLikelihoodResults
from torchstats.solvers.result import SolverResult

__all__ = ["module_inference", "ModuleLikelihood"]

# Distance to the maximum, in standard errors (the Newton decrement sqrt(g' (-H)^-1 g)),
# above which the module's parameters are not treated as the estimate: beyond a thousandth
# of a standard error the optimiser's leftover error starts to show in the reported digits.
_OPTIMUM_TOL = 1e-3


def module_inference(
    module: nn.Module,
    residuals: Callable[[], torch.Tensor] | None = None,
    *,
    nll: Callable[[], torch.Tensor] | None = None,
    scale: str | float = "df_resid",
    cov_type: str = "nonrobust",
    cov_kwds: Mapping[str, Any] | None = None,
    use_t: bool | None = None,
) -> MaximumLikelihoodResults:
    """Inference for the trainable parameters of a fitted ``module``.

    Parameters
    ----------
    module : nn.Module
        The fitted model; its parameters are the estimates (left untouched).
    residuals : callable, optional
        ``residuals()`` returns the per-observation residuals ``(n,)`` of a Gaussian loss.
    nll : callable, optional
        ``nll()`` returns per-observation negative log-likelihoods ``(n,)`` (or their sum).
    scale : {"df_resid", "mle"} or float
        Error variance for ``residuals``: ``SSR / (n - k)`` (default, as ``lm()``),
        ``SSR / n``, or a known value.
    cov_type : {"nonrobust", "opg", "sandwich", "HC0", "cluster", "HAC"}
        Covariance of the estimates.
    use_t : bool, optional
        Default True for ``residuals`` with ``scale="df_resid"``, else False.

    Returns
    -------
    MaximumLikelihoodResults
    """
    model = ModuleLikelihood(module, residuals=residuals, nll=nll, scale=scale)
    return model.fit(cov_type=cov_type, cov_kwds=cov_kwds, use_t=use_t)


class ModuleLikelihood(_EngineModel):
    """The likelihood of a fitted module's loss, for :func:`module_inference`."""

    _model_name = "Module"

    def __init__(
        self,
        module: nn.Module,
        *,
        residuals: Callable[[], torch.Tensor] | None,
        nll: Callable[[], torch.Tensor] | None,
        scale: str | float,
    ) -> None:
        if (residuals is None) == (nll is None):
            raise InvalidOptionError("give exactly one of residuals= or nll=")
        self._model_name = type(module).__name__
        self._flat = flatten_parameters(module)
        theta = self._flat.vector
        self._gaussian = residuals is not None
        self.least_squares = self._gaussian
        if residuals is not None:
            resid = self._flat.call(residuals, theta).detach().reshape(-1)
            n, k = resid.shape[0], theta.shape[0]
            self._ssr = float(resid @ resid)
            self._sigma2 = _variance(scale, self._ssr, n, k)
            sigma2 = self._sigma2

            def loglikeobs(t: torch.Tensor) -> torch.Tensor:
                r = self._flat.call(residuals, t).reshape(-1)
                return -0.5 * math.log(2 * math.pi * sigma2) - 0.5 * r * r / sigma2

            nobs = n
            self._default_use_t = scale == "df_resid"
        else:
            assert nll is not None
            values = self._flat.call(nll, theta).detach()

            def loglikeobs(t: torch.Tensor) -> torch.Tensor:
                return -self._flat.call(nll, t)

            nobs = int(values.numel())
            self._default_use_t = False
        self.engine = LikelihoodEngine(
            loglikeobs,
            self._flat.names,
            lower=torch.full_like(theta, -math.inf),
            upper=torch.full_like(theta, math.inf),
            nobs=nobs,
        )

    def loglike_at(self, params: torch.Tensor) -> torch.Tensor:
        """Log-likelihood; for residuals, the Gaussian one with the variance concentrated out
        (statsmodels' OLS ``llf``)."""
        if self._gaussian:
            n = self.nobs
            value = -n / 2 * (math.log(2 * math.pi * self._ssr / n) + 1)
            return torch.tensor(value, dtype=torch.float64)
        return self.engine.loglike_at(params)

    def fit(
        self,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
    ) -> MaximumLikelihoodResults:
        """Inference at the module's current parameters (no optimisation)."""
        _check_fit_options("newton", cov_type)
        theta = self._flat.vector
        free = torch.ones_like(theta, dtype=torch.bool)
        with torch.enable_grad():
            gradient = torch.func.grad(self.engine.loglike_at)(theta).detach()
        normalized_cov = self.engine.inverse_information(theta, free, self._model_name)
        distance = float(torch.sqrt((gradient @ torch.nan_to_num(normalized_cov) @ gradient).abs()))
        converged = distance <= _OPTIMUM_TOL
        if not converged:
            warn(
                f"the module's parameters are {distance:.3g} standard errors from the maximum "
                "of the likelihood (gradient norm "
                f"{float(gradient.abs().max()):.3g}); the standard errors assume the "
                "estimate maximises it — train to convergence first",
                ConvergenceWarning,
            )
        fit = SolverResult(
            params=theta,
            method="given",
            converged=converged,
            grad_norm=float(gradient.abs().max()),
            message="parameters of the fitted module",
            rank=int(theta.shape[0]),
            normalized_cov=normalized_cov,
        )
        retvals: dict[str, Any] = {"converged": converged, "iterations": 0}
        retvals["grad_norm"] = fit.grad_norm
        retvals["message"] = fit.message
        use_t = self._default_use_t if use_t is None else use_t
        return self._results(fit, retvals, free, cov_type, cov_kwds, use_t)


def _variance(scale: str | float, ssr: float, n: int, k: int) -> float:
    if scale == "df_resid":
        if n <= k:
            raise InvalidOptionError(
                f"scale='df_resid' needs more observations ({n}) than parameters ({k})"
            )
        return ssr / (n - k)
    if scale == "mle":
        return ssr / n
    if isinstance(scale, (int, float)) and scale > 0:
        return float(scale)
    raise InvalidOptionError(
        f"unknown scale {scale!r}; choose 'df_resid', 'mle' or a positive number"
    )
