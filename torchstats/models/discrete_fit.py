"""The solvers behind ``fit`` of the discrete models: torch's Newton and statsmodels' scipy
optimizers, both with the models' closed-form derivatives.

Each driver takes a model of :mod:`~torchstats.models.discrete` (its ``_internal_*`` hooks
give the negative log-likelihood, gradient and Hessian in the internal parametrisation,
``log(alpha)`` for the negative binomial) and returns a
:class:`~torchstats.solvers.result.SolverResult` with ``params`` in the reported
parametrisation, together with statsmodels' ``mle_retvals`` of the method.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import torch

from torchstats.errors import HessianWarning, NumericalError
from torchstats.solvers.newton import minimize_newton
from torchstats.solvers.optimizers import TorchObjective, minimize_scipy
from torchstats.solvers.result import SolverResult

__all__ = ["fit_newton", "fit_scipy", "inverse_information", "solve_newton"]


def solve_newton(
    model: Any, start: torch.Tensor, maxiter: int, ftol: float | None = None
) -> tuple[SolverResult, list[float]]:
    """Damped Newton from ``start`` (internal parametrisation).

    Returns
    -------
    SolverResult
        ``params`` in the internal parametrisation.
    list of float
        The log-likelihood wherever Newton asked for derivatives (``fit_history``).

    Raises
    ------
    NumericalError
        The log-likelihood or its gradient became non-finite at an iterate, or along the
        Newton direction in iteration after iteration.
    """
    values: list[torch.Tensor] = []

    def derivatives(theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        value, grad, hess = model._internal_derivatives(theta)
        values.append(value)
        return value, grad, hess

    with torch.no_grad():
        found = minimize_newton(
            model._internal_objective,
            start,
            derivatives=derivatives,
            max_iter=maxiter,
            ftol=ftol,
        )
    if "not finite" in found.message:
        raise NumericalError(
            f"{model.model_name}: the log-likelihood or its gradient became non-finite "
            f"({found.message}; after {found.n_iter} iterations); overflow of the linear "
            "predictor? Rescale the regressors or pass start_params"
        )
    history = [-v for v in torch.stack(values).tolist()] if values else []
    return found, history


def fit_newton(
    model: Any, start: torch.Tensor, maxiter: int, options: Mapping[str, Any]
) -> tuple[SolverResult, dict[str, Any], torch.Tensor]:
    """``fit(method="newton")``: the record (``params`` reported), statsmodels'
    ``mle_retvals`` of Newton (``score`` and ``Hessian`` of ``-loglike / nobs``) and the
    Hessian of the log-likelihood at the estimate."""
    found, history = solve_newton(model, start, maxiter, options["ftol"])
    params = model._from_internal(found.params)
    nobs = model.design.nobs
    hessian = model.hessian(params)
    retvals = {
        "fopt": float(-model.loglike(params)) / nobs,
        "iterations": found.n_iter,
        "score": (-model.score(params) / nobs).cpu().numpy(),
        "Hessian": (-hessian / nobs).cpu().numpy(),
        "warnflag": 0 if found.converged else 1,
        "converged": found.converged,
        "fit_history": {"iteration": found.n_iter, "llf": history},
    }
    return replace(found, params=params), retvals, hessian


def fit_scipy(
    model: Any,
    start: torch.Tensor,
    method: str,
    maxiter: int,
    disp: bool,
    options: Mapping[str, Any],
) -> tuple[SolverResult, dict[str, Any]]:
    """statsmodels' scipy optimizer ``method`` on ``-loglike / nobs`` with the closed-form
    gradient and Hessian, in the parametrisation statsmodels steps in for that method.

    Raises
    ------
    NumericalError
        Non-finite values stopped the fit, or it ended where the log-likelihood or its
        gradient is not finite.
    """
    internal = model._steps_internally(method)
    x0 = start if internal else model._from_internal(start)
    if internal:
        objective = TorchObjective(
            model._internal_objective,
            model._internal_value_grad,
            lambda theta: model._internal_derivatives(theta)[2],
            like=x0,
            nobs=model.design.nobs,
        )
    else:
        objective = TorchObjective(
            lambda p: -model.loglike(p),
            lambda p: (-model.loglike(p), -model.score(p)),
            lambda p: -model.hessian(p),
            like=x0,
            nobs=model.design.nobs,
        )
    with torch.no_grad():
        found = minimize_scipy(
            objective,
            x0.cpu().numpy(),
            method,
            maxiter=maxiter,
            disp=disp,
            options=options,
            name=model.model_name,
        )
        theta = objective.theta(found.params)
        params = model._from_internal(theta) if internal else theta
        value, gradient = model._internal_value_grad(model._to_internal(params))
    if not (bool(torch.isfinite(value)) and bool(torch.isfinite(gradient).all())):
        raise NumericalError(
            f"{model.model_name}: {method!r} stopped where the log-likelihood or its "
            f"gradient is not finite (after {found.iterations} iterations); rescale the "
            "regressors or pass start_params"
        )
    solution = SolverResult(
        params=params,
        method=method,
        converged=found.converged,
        n_iter=found.iterations,
        grad_norm=float(gradient.abs().max()),
        message=found.message,
        rank=int(params.shape[0]),
        nonfinite=found.nonfinite,
    )
    return solution, found.retvals


def inverse_information(hessian: torch.Tensor, name: str, *, singular: bool) -> torch.Tensor:
    """``(-H)^{-1}`` by Cholesky; NaN with a :class:`HessianWarning` when not positive definite.

    ``singular`` (a rank-deficient design) forces the NaN result: rounding can leave an
    exactly singular information matrix with a Cholesky factor, whose inverse is noise.
    """
    information = -hessian
    information = (information + information.T) / 2
    factor, info = torch.linalg.cholesky_ex(information)
    if singular or int(info) != 0 or not bool(torch.isfinite(hessian).all()):
        warnings.warn(
            f"{name}: the Hessian of the log-likelihood is not negative definite at the "
            "estimate, so the covariance (bse, pvalues, conf_int) is NaN. Remedies: check "
            "convergence (mle_retvals), drop collinear or constant columns, rescale the "
            "regressors, or look for (quasi-)separation",
            HessianWarning,
            stacklevel=4,
        )
        return torch.full_like(hessian, float("nan"))
    eye = torch.eye(hessian.shape[0], dtype=hessian.dtype, device=hessian.device)
    return torch.cholesky_solve(eye, factor)
