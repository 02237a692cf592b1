"""The solvers behind ``fit`` of the discrete models: torch's Newton and statsmodels' scipy
optimizers, both with the models' closed-form derivatives.

Each driver takes a model of :mod:`~torchstats.models.discrete` (its ``_internal_*`` hooks
give the negative log-likelihood, gradient and Hessian in the internal parametrisation,
``log(alpha)`` for the negative binomial; ``_from_internal`` maps the parameters back and
``_reported_derivatives`` the derivatives, or says it cannot) and returns a
:class:`~torchstats.solvers.result.SolverResult` with ``params`` in the reported
parametrisation, together with statsmodels' ``mle_retvals`` of the method.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import torch

from torchstats.errors import HessianWarning
from torchstats.solvers.maximum_likelihood import (
    Minimum,
    NegativeLogLikelihood,
    minimize_negative_loglike,
)
from torchstats.solvers.result import SolverResult

__all__ = [
    "derivatives_in_alpha",
    "fit_newton",
    "fit_scipy",
    "inverse_information",
    "solve_newton",
]


_REMEDY = "overflow of the linear predictor? Rescale the regressors or pass start_params"


def _negative_loglike(model: Any, internal: bool) -> NegativeLogLikelihood:
    """The model's ``-loglike`` with its closed-form derivatives, in the internal
    parametrisation (``log(alpha)``) or the reported one."""
    if internal:
        return NegativeLogLikelihood(
            model._internal_objective,
            model._internal_value_grad,
            lambda theta: model._internal_derivatives(theta)[2],
            nobs=model.nobs,
            name=model.model_name,
            remedy=_REMEDY,
            all_derivatives=model._internal_derivatives,
        )
    return NegativeLogLikelihood(
        lambda p: -model.loglike(p),
        lambda p: (-model.loglike(p), -model.score(p)),
        lambda p: -model.hessian(p),
        nobs=model.nobs,
        name=model.model_name,
        remedy=_REMEDY,
    )


def solve_newton(
    model: Any, start: torch.Tensor, maxiter: int, ftol: float | None = None
) -> tuple[SolverResult, list[float]]:
    """Damped Newton from ``start`` (internal parametrisation): the record (``params``
    internal) and the log-likelihood wherever Newton asked for derivatives."""
    minimum = _minimize_newton(model, start, maxiter, ftol)
    return minimum.found, minimum.loglike_history


def _minimize_newton(model: Any, start: torch.Tensor, maxiter: int, ftol: float | None) -> Minimum:
    return minimize_negative_loglike(
        _negative_loglike(model, True),
        start,
        "newton",
        maxiter=maxiter,
        disp=False,
        options={"ftol": ftol},
    )


def fit_newton(
    model: Any, start: torch.Tensor, maxiter: int, options: Mapping[str, Any]
) -> tuple[SolverResult, dict[str, Any], torch.Tensor]:
    """``fit(method="newton")``: the record (``params`` reported), statsmodels'
    ``mle_retvals`` of Newton (``score`` and ``Hessian`` of ``-loglike / nobs``) and the
    Hessian of the log-likelihood at the estimate."""
    minimum = _minimize_newton(model, start, maxiter, options["ftol"])
    found, history = minimum.found, minimum.loglike_history
    params = model._from_internal(found.params)
    nobs = model.nobs
    # Newton's last derivatives were taken at the estimate: in the reported parametrisation
    # they need not be computed again (the Hessian is a pass over the data)
    reported = None
    if minimum.derivatives is not None:
        reported = model._reported_derivatives(found.params, minimum.derivatives)
    if reported is None:
        reported = model.loglike(params), model.score(params), model.hessian(params)
    loglike, score, hessian = reported
    retvals = {
        "fopt": float(-loglike) / nobs,
        "iterations": found.n_iter,
        "score": (-score / nobs).cpu().numpy(),
        "Hessian": (-hessian / nobs).cpu().numpy(),
        "warnflag": 0 if found.converged else 1,
        "converged": found.converged,
        "fit_history": {"iteration": found.n_iter, "llf": history},
    }
    return replace(found, params=params), retvals, hessian


def derivatives_in_alpha(
    theta: torch.Tensor, derivatives: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The log-likelihood, score and Hessian in the reported ``(b, alpha)`` from the value,
    gradient and Hessian of the negative log-likelihood in the internal
    ``theta = (b, log alpha)`` (``alpha`` the last parameter), by the chain rule: with
    ``lambda = log alpha``, ``l_alpha = l_lambda / alpha``, ``l_b,alpha = l_b,lambda /
    alpha``, ``l_alpha,alpha = (l_lambda,lambda - l_lambda) / alpha^2``; the ``b`` block is
    the same in both."""
    value, gradient, hessian = derivatives
    alpha = torch.exp(theta[-1])
    score = torch.cat([-gradient[:-1], -gradient[-1:] / alpha])
    cross = -hessian[:-1, -1] / alpha
    curvature = (-hessian[-1, -1] + gradient[-1]) / alpha**2
    top = torch.cat([-hessian[:-1, :-1], cross[:, None]], dim=1)
    bottom = torch.cat([cross, curvature[None]])[None, :]
    return -value, score, torch.cat([top, bottom], dim=0)


def fit_scipy(
    model: Any,
    start: torch.Tensor,
    method: str,
    maxiter: int,
    disp: bool,
    options: Mapping[str, Any],
) -> tuple[SolverResult, dict[str, Any]]:
    """statsmodels' scipy optimizer ``method`` on ``-loglike / nobs`` with the closed-form
    gradient and Hessian, in the parametrisation statsmodels steps in for that method."""
    internal = model._steps_internally(method)
    x0 = start if internal else model._from_internal(start)
    minimum = minimize_negative_loglike(
        _negative_loglike(model, internal),
        x0,
        method,
        maxiter=maxiter,
        disp=disp,
        options=options,
    )
    theta = minimum.found.params
    params = model._from_internal(theta) if internal else theta
    return replace(minimum.found, params=params), minimum.retvals


def inverse_information(hessian: torch.Tensor, name: str, *, singular: bool) -> torch.Tensor:
    """``(-H)^{-1}`` by Cholesky; NaN with a :class:`HessianWarning` when not positive definite.

    ``singular`` (a rank-deficient design) forces the NaN result: rounding can leave an
    exactly singular information matrix with a Cholesky factor, whose inverse is noise. So
    does a pivot of the factor at rounding level relative to its diagonal entry (the
    factor of the unit-diagonal information, ``<= k eps``): parameters that the likelihood
    does not identify although the design has full rank (an ordinal model's thresholds
    and a full set of dummies: standard errors of 5e6 instead of NaN).
    """
    information = -hessian
    information = (information + information.T) / 2
    factor, info = torch.linalg.cholesky_ex(information)
    factored, k = int(info) == 0, hessian.shape[0]
    if factored and k and not singular:
        pivots = torch.diagonal(factor) ** 2 / torch.diagonal(information)  # ~10 us at k = 10
        singular = float(pivots.min()) <= k * torch.finfo(hessian.dtype).eps
    if singular or not factored or not bool(torch.isfinite(hessian).all()):
        warnings.warn(
            f"{name}: the Hessian of the log-likelihood is not negative definite at the "
            "estimate (or singular to rounding: some parameters are not identified), so "
            "the covariance (bse, pvalues, conf_int) is NaN. Remedies: check convergence "
            "(mle_retvals), drop collinear or constant columns (a full set of dummies "
            "beside an ordinal model's thresholds), rescale the regressors, or look for "
            "(quasi-)separation",
            HessianWarning,
            stacklevel=4,
        )
        return torch.full_like(hessian, float("nan"))
    eye = torch.eye(hessian.shape[0], dtype=hessian.dtype, device=hessian.device)
    return torch.cholesky_solve(eye, factor)
