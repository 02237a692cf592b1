"""Standard errors for a model already fitted in torch (an ``nn.Module`` trained with Adam...).

    net = nn.Linear(3, 1).double()          # ... trained by any optimiser ...
    res = module_inference(net, residuals=lambda: net(X).squeeze(-1) - y)
    res.params, res.bse, res.summary()      # names like "weight[0,1]", "bias[0]"

Give either the residuals of a Gaussian loss (mean squared error) — the error variance is
then estimated by ``scale``: ``"df_resid"`` (``SSR / (n - k)``, as R's ``lm()`` and
statsmodels' OLS, with t inference), ``"mle"`` (``SSR / n``) or a known number — or the
per-observation negative log-likelihoods of any model (cross-entropy with
``reduction="none"``, a Poisson NLL, ...). Standard errors come from the exact Hessian at the
module's current parameters (its trainable ones only); robust covariances from exact
per-observation scores. Nothing is re-fitted and the module is left exactly as it was.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from torchstats._device import OutputFormat
from torchstats.autodiff.parameters import BoxTransform, flatten_parameters
from torchstats.errors import ConvergenceWarning, InvalidOptionError, warn
from torchstats.models.likelihood_engine import (
    EngineModel,
    LikelihoodEngine,
    check_fit_options,
    information_rank,
)
from torchstats.results.likelihood import MaximumLikelihoodResults
from torchstats.solvers.result import SolverResult

__all__ = ["module_inference", "ModuleLikelihood"]

# Distance to the maximum, in standard errors (the Newton decrement sqrt(g' (-H)^-1 g)),
# above which the module's parameters are reported as not converged: beyond a thousandth of
# a standard error the optimiser's leftover error starts to show in the printed digits.
OPTIMUM_TOLERANCE = 1e-3


def module_inference(
    module: nn.Module,
    residuals: Callable[[], torch.Tensor] | None = None,
    *,
    nll: Callable[[], torch.Tensor] | None = None,
    scale: str | float | None = None,
    cov_type: str = "nonrobust",
    cov_kwds: Mapping[str, Any] | None = None,
    use_t: bool | None = None,
) -> MaximumLikelihoodResults:
    """Inference for the trainable parameters of a fitted ``module``.

    Parameters
    ----------
    module : nn.Module
        The fitted model; its trainable parameters (``requires_grad=True``) are the
        estimates. Frozen parameters are treated as known constants.
    residuals : callable, optional
        ``residuals()`` returns the residuals ``y - f(x)`` (or ``f(x) - y``), shape ``(n,)``
        (or ``(n, m)``, flattened), of a Gaussian (mean-squared-error) loss.
    nll : callable, optional
        ``nll()`` returns per-observation negative log-likelihoods ``(n,)``
        (``reduction="none"``; a sum or mean is refused: it hides ``n``, and a mean would
        scale the standard errors by ``sqrt(n)``). Exactly one of ``residuals`` and ``nll``.
    scale : {"df_resid", "mle"} or float, optional
        Error variance for ``residuals``: ``SSR / (n - k)`` (default, as ``lm()``),
        ``SSR / n``, or a known value.
    cov_type : {"nonrobust", "opg", "sandwich", "HC0", "HC1", "cluster", "HAC"}
        Covariance of the estimates (``cov_kwds`` as for OLS). For ``residuals``, HC1 is
        statsmodels' OLS HC1 (``n / (n - k)`` times HC0).
    use_t : bool, optional
        Default True for ``residuals`` with ``scale="df_resid"``, else False.

    Returns
    -------
    MaximumLikelihoodResults
        ``params`` named after the module's parameters (``weight[0,1]``, ``0.bias[2]``).

    Warns
    -----
    ConvergenceWarning
        When the parameters are more than ``OPTIMUM_TOLERANCE`` standard errors from the
        maximum (the optimiser stopped early): the standard errors assume an optimum.
    HessianWarning
        When the Hessian is not negative definite (over-parametrised networks): NaN
        standard errors for the parameters on flat directions.

    Notes
    -----
    The closures are called with the module's parameters temporarily replaced by tensors
    that autograd differentiates twice (``torch.func``), so they must use the module, not
    cached outputs. A float32 module is differentiated in float32; call ``.double()`` on it
    (and its data) for statistics with more than about 6 correct digits.
    """
    model = ModuleLikelihood(module, residuals=residuals, nll=nll, scale=scale)
    return model.fit(cov_type=cov_type, cov_kwds=cov_kwds, use_t=use_t)


class ModuleLikelihood(EngineModel):
    """The likelihood of a fitted module's loss, for :func:`module_inference`."""

    def __init__(
        self,
        module: nn.Module,
        *,
        residuals: Callable[[], torch.Tensor] | None,
        nll: Callable[[], torch.Tensor] | None,
        scale: str | float | None = None,
    ) -> None:
        if (residuals is None) == (nll is None):
            raise InvalidOptionError("give exactly one of residuals= or nll=")
        if nll is not None and scale is not None:
            raise InvalidOptionError("scale= applies to residuals=, not to nll=")
        if not isinstance(module, nn.Module):
            raise InvalidOptionError(f"module must be an nn.Module, not {type(module).__name__}")
        self._flat = flat = flatten_parameters(module)
        self._gaussian = residuals is not None
        self._scale_rule = scale or "df_resid"
        self._rank = int(flat.vector.shape[0])
        if residuals is not None:
            loglikeobs, nobs = self._gaussian_loglikeobs(residuals, self._scale_rule)
            self._default_use_t = self._scale_rule == "df_resid"
        else:
            assert nll is not None

            def loglikeobs(theta: torch.Tensor) -> torch.Tensor:
                return -flat.call(nll, theta).reshape(-1)

            with torch.no_grad():
                nobs = int(_per_observation(flat.call(nll, flat.vector), "nll").shape[0])
            self._default_use_t = False
        infinite = torch.full_like(flat.vector, math.inf)
        self.engine = LikelihoodEngine(
            loglikeobs,
            flat.names,
            transform=BoxTransform(-infinite, infinite),
            nobs=nobs,
            name=type(module).__name__,
        )
        self.output = OutputFormat("pandas", tuple(flat.names))
        self.hc1_correction = self._gaussian

    def _gaussian_loglikeobs(
        self, residuals: Callable[[], torch.Tensor], scale: str | float
    ) -> tuple[Callable[[torch.Tensor], torch.Tensor], int]:
        flat = self._flat
        self._residuals = residuals
        with torch.no_grad():
            resid = flat.call(residuals, flat.vector)
        if resid.ndim == 0:
            _per_observation(resid, "residuals")  # raises: a single number
        resid = resid.reshape(-1)
        n, k = resid.shape[0], flat.vector.shape[0]
        self._ssr = float(resid @ resid)
        self.scale = _variance(scale, self._ssr, n, k)

        def loglikeobs(theta: torch.Tensor) -> torch.Tensor:
            r = flat.call(residuals, theta).reshape(-1)
            return -0.5 * math.log(2 * math.pi * self.scale) - 0.5 * r * r / self.scale

        return loglikeobs, n

    def loglike_at(self, params: torch.Tensor) -> torch.Tensor:
        """Log-likelihood; for residuals the Gaussian one with the variance concentrated
        out, ``-n/2 (log(2 pi SSR / n) + 1)`` (statsmodels' OLS ``llf``)."""
        if self._gaussian:
            with torch.no_grad():
                r = self._flat.call(self._residuals, params).reshape(-1)
            n = r.numel()
            ssr = float(r @ r)
            value = -n / 2 * (math.log(2 * math.pi * ssr / n) + 1)
            return torch.tensor(value, dtype=torch.float64)
        return self.engine.loglike_at(params)

    def _hessian(self, theta: torch.Tensor) -> torch.Tensor:
        """The Hessian at ``theta``; with ``scale="df_resid"``, the variance uses the rank.

        For an over-parametrised module (``w2 * (w1 x)``) the residual degrees of freedom
        are ``n - rank``, as R's ``lm()`` with aliased coefficients: the Hessian is
        rescaled, not recomputed (it is proportional to ``1 / scale``).
        """
        hessian = self.engine.hessian_at(theta)
        self._rank = information_rank(-hessian)
        if self._gaussian and self._scale_rule == "df_resid":
            scale = self._ssr / (self.nobs - self._rank)
            hessian = hessian * (self.scale / scale)
            self.scale = scale
        return hessian

    def degrees_of_freedom(self, k_free: int) -> tuple[float, float, float]:
        """``(rank, nobs - rank, rank)``: a module has no separate constant."""
        return float(self._rank), float(self.nobs - self._rank), float(self._rank)

    def fit(
        self,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
    ) -> MaximumLikelihoodResults:
        """Inference at the module's current parameters (no optimisation)."""
        check_fit_options("newton", cov_type)
        theta = self._flat.vector
        free = torch.ones_like(theta, dtype=torch.bool)
        with torch.enable_grad():
            gradient = torch.func.grad(self.engine.loglike_at)(theta).detach()
        normalized_cov = self.engine.inverse_information(theta, free, self._hessian(theta))
        decrement = gradient @ torch.nan_to_num(normalized_cov) @ gradient
        distance = math.sqrt(abs(float(decrement)))
        converged = distance <= OPTIMUM_TOLERANCE
        grad_norm = float(gradient.abs().max())
        if not converged:
            warn(
                f"the module's parameters are {distance:.3g} standard errors from the maximum "
                f"of the likelihood (gradient norm {grad_norm:.3g}); the standard errors "
                "assume the estimate maximises it: train to convergence first (e.g. finish "
                "with torch.optim.LBFGS)",
                ConvergenceWarning,
            )
        fit = SolverResult(
            params=theta,
            method="given",
            converged=converged,
            grad_norm=grad_norm,
            message=f"parameters of the fitted module ({distance:.3g} standard errors from "
            "the maximum)",
            rank=int(theta.shape[0]),
            normalized_cov=normalized_cov,
        )
        retvals = {
            "converged": converged,
            "iterations": 0,
            "grad_norm": grad_norm,
            "message": fit.message,
            "method": "given",
        }
        use_t = self._default_use_t if use_t is None else use_t
        return self._report(fit, cov_type, cov_kwds, use_t, retvals=retvals)


def _variance(scale: str | float, ssr: float, n: int, k: int) -> float:
    """The Gaussian error variance by ``scale``'s rule."""
    if scale == "df_resid":
        if n <= k:
            raise InvalidOptionError(
                f"scale='df_resid' needs more observations ({n}) than parameters ({k})"
            )
        return ssr / (n - k)
    if scale == "mle":
        return ssr / n
    if isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale > 0:
        return float(scale)
    raise InvalidOptionError(
        f"unknown scale {scale!r}; choose 'df_resid', 'mle' or a positive number"
    )


def _per_observation(values: torch.Tensor, name: str) -> torch.Tensor:
    """``values`` as one number per observation (a vector, or an ``(n, 1)`` column).

    Raises
    ------
    InvalidOptionError
        A scalar (a sum or a mean hides the number of observations, and a mean scales
        the standard errors by ``sqrt(n)``) or a matrix (e.g. an ``(n, 1)`` output against
        an ``(n,)`` target broadcast to ``(n, n)``).
    """
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise InvalidOptionError(
            f"{name}() must return one value per observation, a vector of shape (n,) (e.g. "
            f"reduction='none'); got shape {tuple(values.shape)}. A sum or mean hides the "
            "number of observations (nobs, df_resid, BIC) and a mean scales the standard "
            "errors by sqrt(n); an (n, 1) output against an (n,) target broadcasts to (n, n)"
        )
    return values
