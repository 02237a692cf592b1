"""``fit_regularized``: statsmodels' penalised fits, solved exactly.

Objectives (``n`` the number of rows, ``P(b) = sum_j alpha_j ((1 - L1_wt) b_j^2 / 2 +
L1_wt |b_j|)``), as statsmodels defines them:

* OLS/WLS ``"elastic_net"``: ``sum w e^2 / (2n) + P(b)`` with ``alpha`` multiplied by
  ``mean(w)`` (``WLS.fit_regularized``), or with ``profile_scale=True`` the profile
  negative log-likelihood ``log(SSR) / 2 + P(b)``;
* OLS/WLS ``"sqrt_lasso"``: ``sqrt(SSR / n) + sum alpha_j |b_j| / n``;
* GLM ``"elastic_net"``: ``-loglike(b, scale=1) / n + P(b)`` (frequency and variance
  weights, offset and exposure inside the log-likelihood);
* discrete ``"l1"``: ``-loglike(b) + sum alpha_j |b_j|`` (solved divided by ``n``, as
  statsmodels, which gives the same minimiser).

Each is minimised by :func:`~torchstats.solvers.penalized.solve_penalized` to the KKT
conditions; statsmodels' post-processing (``zero_tol``, the refit, trimming and its QC
check) is then applied as statsmodels applies it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from torchstats.errors import ConvergenceWarning, InvalidOptionError, warn
from torchstats.models.discrete_fit import inverse_information
from torchstats.results.regularized import (
    L1_RESULTS,
    RegularizedGLMRefitResults,
    RegularizedRefitResults,
    RegularizedResults,
)
from torchstats.solvers.least_squares import solve_least_squares
from torchstats.solvers.optimizers import print_newton_report
from torchstats.solvers.penalized import KKT_TOL, PenalizedSolution, solve_penalized
from torchstats.solvers.result import SolverResult
from torchstats.structured.block_matrix import densify

__all__ = [
    "GLM_METHODS",
    "L1_METHODS",
    "LEAST_SQUARES_METHODS",
    "fit_glm_regularized",
    "fit_l1",
    "fit_least_squares_regularized",
    "penalty_weights",
]

LEAST_SQUARES_METHODS = ("elastic_net", "sqrt_lasso")
GLM_METHODS = ("elastic_net", "l1_slsqp")
L1_METHODS = ("l1", "l1_cvxopt_cp")

Derivatives = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]

# statsmodels' defaults (regression/linear_model.py, genmod/generalized_linear_model.py)
_ZERO_TOL = {"least_squares": 1e-8, "glm": 1e-10}
_ELASTIC_NET_OPTIONS = ("maxiter", "cnvrg_tol", "zero_tol", "check_step")


def penalty_weights(alpha: Any, like: torch.Tensor, names: list[str]) -> torch.Tensor:
    """``alpha`` as one non-negative weight per parameter, on ``like``'s device.

    Parameters
    ----------
    alpha : float or array-like
        A scalar for every parameter, or one value per parameter (a Series is read in the
        parameters' order when it is labelled by their names, where statsmodels reads it by
        position; a ``(K, J - 1)`` table of MNLogit column by column, as its parameters).
    like : Tensor
        Gives the dtype and device.
    names : list of str
        The parameter names.

    Raises
    ------
    InvalidOptionError
        Negative or non-finite values, or the wrong number of them.
    """
    if hasattr(alpha, "index") and hasattr(alpha, "reindex") and set(alpha.index) == set(names):
        alpha = alpha.reindex(names)
    if isinstance(alpha, torch.Tensor):
        alpha = alpha.detach().cpu().numpy()
    # a copy: pandas hands out read-only views (torch warns on them), and the weights are
    # written to below (the negative binomial's dispersion)
    values = np.array(alpha, dtype=float).reshape(-1, order="F")  # (K, J - 1): by column
    k = len(names)
    if values.size == 1:
        values = np.full(k, values[0])
    if values.size != k:
        raise InvalidOptionError(
            f"alpha has {values.size} values; give a scalar or one per parameter ({k}: {names})"
        )
    if not np.isfinite(values).all() or (values < 0).any():
        raise InvalidOptionError(f"alpha must be finite and non-negative, got {values}")
    return torch.as_tensor(values, dtype=like.dtype, device=like.device)


def _check_l1_wt(l1_wt: float) -> float:
    value = float(l1_wt)
    if not 0.0 <= value <= 1.0:
        raise InvalidOptionError(f"L1_wt must lie in [0, 1], got {l1_wt!r}")
    return value


def _elastic_net_options(
    kwargs: Mapping[str, Any], maxiter: int, zero_tol: float
) -> tuple[int, float]:
    """statsmodels' coordinate-descent options: ``maxiter`` and ``zero_tol`` are used;
    ``cnvrg_tol`` and ``check_step`` are accepted (the KKT test replaces them)."""
    unknown = sorted(set(kwargs) - set(_ELASTIC_NET_OPTIONS))
    if unknown:
        raise InvalidOptionError(
            f"unknown fit_regularized options {unknown}; accepted: {list(_ELASTIC_NET_OPTIONS)}"
        )
    iterations = int(kwargs.get("maxiter", maxiter))
    if iterations < 1:
        raise InvalidOptionError(f"maxiter must be a positive integer, got {iterations}")
    return iterations, float(kwargs.get("zero_tol", zero_tol))


def _start(start_params: Any, like: torch.Tensor, k: int) -> torch.Tensor:
    if start_params is None:
        return torch.zeros(k, dtype=like.dtype, device=like.device)
    if isinstance(start_params, torch.Tensor):
        values = start_params.detach().reshape(-1)
    else:
        values = torch.as_tensor(np.asarray(start_params, dtype=float).reshape(-1))
    if values.shape[0] != k:
        raise InvalidOptionError(f"start_params has {values.shape[0]} values; the model has {k}")
    return values.to(dtype=like.dtype, device=like.device)


def _warn_unconverged(what: str, solution: PenalizedSolution) -> None:
    found = solution.result
    warn(
        f"{what}: the penalised fit did not converge ({found.message}; largest KKT "
        f"residual {found.grad_norm:.3g} of a gradient scale {solution.scale:.3g}); increase "
        "maxiter or rescale the regressors",
        ConvergenceWarning,
    )


def _solve_elastic_net(
    derivatives: Derivatives,
    l1: torch.Tensor,
    l2: torch.Tensor,
    start: torch.Tensor,
    maxiter: int,
    zero_tol: float,
) -> PenalizedSolution:
    """The minimiser with the coefficients that fall below ``zero_tol`` fixed at zero.

    statsmodels' coordinate descent (``base/elastic_net.py::fit_elasticnet``) sets a
    coefficient below ``zero_tol`` to zero after the first sweep and never moves it again,
    so its other coefficients are the minimiser with those held at zero. Here: solve,
    fix the nonzero coefficients below ``zero_tol`` at zero, re-solve on the others, and
    repeat until no free coefficient is below ``zero_tol`` (each round fixes at least one
    more, so at most ``k`` rounds). ``n_iter`` adds up the rounds' iterations; the KKT
    residuals are those of the free coefficients.
    """
    solution = solve_penalized(derivatives, l1, l2, start, maxiter=maxiter)
    k = start.shape[0]
    free = torch.ones(k, dtype=torch.bool, device=start.device)
    n_iter = solution.result.n_iter
    while True:
        params = solution.result.params
        small = free & (params != 0) & (params.abs() < zero_tol)
        if not bool(small.any()):
            return solution
        free = free & ~small
        index = torch.nonzero(free)[:, 0]
        full = torch.zeros_like(params)
        if index.numel() == 0:  # every coefficient fixed at zero
            result = replace(solution.result, params=full, n_iter=n_iter, grad_norm=0.0)
            return replace(solution, result=result, kkt=torch.zeros_like(params))
        sub = solve_penalized(
            _restricted(derivatives, index, k), l1[index], l2[index], params[index], maxiter=maxiter
        )
        n_iter += sub.result.n_iter
        full[index] = sub.result.params
        gradient, kkt = torch.zeros_like(params), torch.zeros_like(params)
        gradient[index], kkt[index] = sub.gradient, sub.kkt
        result = replace(sub.result, params=full, n_iter=n_iter, rank=k)
        solution = PenalizedSolution(result, gradient, kkt, sub.scale)


def _restricted(derivatives: Derivatives, index: torch.Tensor, k: int) -> Derivatives:
    """``derivatives`` of the coefficients ``index``, the others fixed at zero."""

    def restricted(b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        full = torch.zeros(k, dtype=b.dtype, device=b.device)
        full[index] = b
        value, gradient, hessian = derivatives(full)
        return value, gradient[index], hessian[index[:, None], index[None, :]]

    return restricted


# --- least squares ---------------------------------------------------------------------------


def _least_squares_derivatives(X: torch.Tensor, y: torch.Tensor, kind: str) -> Derivatives:
    """The smooth part of OLS's objectives on the whitened data ``X``, ``y``."""
    n = X.shape[0]
    gram = X.T @ X

    def derivatives(b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        e = y - X @ b
        ssr = e @ e
        xe = X.T @ e
        if kind == "ssr":  # statsmodels: -loglike(scale=1) / n
            return ssr / (2 * n), -xe / n, gram / n
        if kind == "profile":  # -loglike / n with the scale profiled out
            return (
                0.5 * torch.log(ssr / n),
                -xe / ssr,
                gram / ssr - 2 * torch.outer(xe, xe) / ssr**2,
            )
        root = torch.sqrt(ssr)  # sqrt_lasso: sqrt(SSR / n)
        return (
            root / math.sqrt(n),
            -xe / (root * math.sqrt(n)),
            gram / (root * math.sqrt(n)) - torch.outer(xe, xe) / (root**3 * math.sqrt(n)),
        )

    return derivatives


def _residual_rounding(X: torch.Tensor, y: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Bound on the rounding error of ``e = y - X b`` per row: ``(k + 1) eps (|y| + |X||b|)``
    (the error bound of a length-``k + 1`` dot product)."""
    eps = torch.finfo(X.dtype).eps
    return (X.shape[1] + 1) * eps * (y.abs() + X.abs() @ b.abs())


def _sqrt_lasso_gradient_error(
    X: torch.Tensor, y: torch.Tensor
) -> Callable[[torch.Tensor], torch.Tensor]:
    """Rounding bound of the sqrt-lasso gradient ``-X'e / (sqrt(n) |e|)``: the error ``d``
    of ``e`` (:func:`_residual_rounding`) gives ``|X|'d / (sqrt(n) |e|) + |G| |d| / |e|``.

    At a near-exact fit ``|e|`` is a few orders above ``eps |y|``, and the gradient is no
    more precise than ``eps |y| / |e|`` relative: the KKT conditions can hold only to that.
    """
    n = X.shape[0]

    def error(b: torch.Tensor) -> torch.Tensor:
        e = y - X @ b
        norm = torch.linalg.vector_norm(e)
        rounding = _residual_rounding(X, y, b)
        gradient = (X.T @ e).abs() / (norm * math.sqrt(n))
        spread = X.abs().T @ rounding / (norm * math.sqrt(n))
        return spread + gradient * torch.linalg.vector_norm(rounding) / norm

    return error


def _sqrt_lasso_exact_fit(
    X: torch.Tensor, y: torch.Tensor, l1: torch.Tensor
) -> PenalizedSolution | None:
    """The exact fit ``b = X^+ y`` where it is the sqrt-lasso's minimiser, else None.

    ``sqrt(SSR / n)`` is not differentiable at a zero residual, where Newton steps cannot
    settle (the Hessian grows as ``1 / |e|``). When ``y`` lies in the column space of a
    full-rank ``X`` to rounding, ``b`` is the only exact fit (coefficients within their
    rounding of zero set to zero), and it is a minimiser iff some ``u`` with ``|u| <= 1``
    has ``X_j'u / sqrt(n) = l1_j sign(b_j)`` on the support and ``|X_j'u| / sqrt(n) <=
    l1_j`` off it (the subgradient of ``|e| / sqrt(n)`` at ``e = 0``). The certificate is
    the smallest ``u`` of the support's equations; where it fails, the iterations decide
    (and warn if they cannot settle).
    """
    fit = solve_least_squares(X, y, "auto")
    if fit.rank < X.shape[1] or fit.normalized_cov is None:
        return None
    b = fit.params
    rounding = torch.linalg.vector_norm(_residual_rounding(X, y, b))
    if float(torch.linalg.vector_norm(y - X @ b)) > float(rounding):
        return None  # not an exact fit
    spread = torch.sqrt(torch.diagonal(fit.normalized_cov)) * rounding  # |X^+ d|_j
    b = torch.where(b.abs() <= spread, torch.zeros_like(b), b)
    n = X.shape[0]
    support = b != 0
    u = torch.zeros_like(y)
    if bool(support.any()):
        X_a = X[:, support]
        target = math.sqrt(n) * l1[support] * torch.sign(b[support])
        u = X_a @ torch.linalg.solve(X_a.T @ X_a, target)
    subgradient = X.T @ u / math.sqrt(n)
    kkt = torch.where(support, torch.zeros_like(l1), torch.clamp(subgradient.abs() - l1, min=0.0))
    scale = max(float(l1.max()), float(subgradient.abs().max()), 1e-300)
    violation = float(kkt.max())
    if float(torch.linalg.vector_norm(u)) > 1.0 + KKT_TOL or violation > KKT_TOL * scale:
        return None
    result = SolverResult(
        params=b,
        method="proximal-newton",
        converged=True,
        n_iter=0,
        grad_norm=violation,
        message="KKT conditions hold at the exact fit (zero residuals: the subgradient of "
        "the square-root loss)",
        rank=int(b.shape[0]),
    )
    return PenalizedSolution(result, -subgradient, kkt, scale)


def fit_least_squares_regularized(
    model: Any,
    method: str,
    alpha: Any,
    l1_wt: float,
    start_params: Any,
    profile_scale: bool,
    refit: bool,
    kwargs: Mapping[str, Any],
) -> RegularizedResults | RegularizedRefitResults:
    """``OLS/WLS.fit_regularized`` (see the module docstring for the objectives).

    statsmodels' paths are kept: ``L1_wt=0`` is ridge regression (``profile_scale`` and
    ``refit`` ignored, no ``converged`` attribute); ``refit=True`` refits OLS on the
    nonzero coefficients, returned as least-squares results for OLS and as
    :class:`RegularizedResults` of the refit coefficients for WLS.
    """
    if method not in LEAST_SQUARES_METHODS:
        raise InvalidOptionError(
            f"unknown method {method!r}; choose one of {LEAST_SQUARES_METHODS}"
        )
    l1_wt = _check_l1_wt(l1_wt)
    maxiter, zero_tol = _elastic_net_options(kwargs, 50, _ZERO_TOL["least_squares"])
    X = densify(model.whitened_exog)
    y = model.whitened_endog
    n, k = X.shape
    weights = penalty_weights(alpha, y, model.exog_names)
    if model.row_weights is not None:  # WLS: statsmodels scales alpha by the mean weight
        weights = weights * float(model.row_weights.sum()) / n
    if method == "sqrt_lasso":
        l1, l2, kind = weights / n, torch.zeros_like(weights), "sqrt"
    elif l1_wt == 0.0:
        l1, l2, kind = torch.zeros_like(weights), weights, "ssr"
    else:
        l1, l2 = weights * l1_wt, weights * (1 - l1_wt)
        kind = "profile" if profile_scale else "ssr"
    derivatives = _least_squares_derivatives(X, y, kind)
    start = _start(start_params, y, k)
    if method == "sqrt_lasso":  # zero_tol selects the refit only
        exact = _sqrt_lasso_exact_fit(X, y, l1)
        if exact is not None:
            solution = exact
        else:
            error = _sqrt_lasso_gradient_error(X, y)
            solution = solve_penalized(
                derivatives, l1, l2, start, maxiter=maxiter, gradient_error=error
            )
    elif l1_wt == 0.0:  # ridge: no zero_tol
        solution = solve_penalized(derivatives, l1, l2, start, maxiter=maxiter)
    else:
        solution = _solve_elastic_net(derivatives, l1, l2, start, maxiter, zero_tol)
    if not solution.result.converged:
        _warn_unconverged(model.model_name, solution)
    params = solution.result.params
    if method == "sqrt_lasso":  # statsmodels' _sqrt_lasso: zero_tol only selects the refit
        if not refit:
            return RegularizedResults(model, solution.result, None)
        selected = torch.nonzero(params.abs() > zero_tol)[:, 0]
        refitted = _refit_least_squares(X, y, selected, k)
        return RegularizedResults(model, replace(solution.result, params=refitted.params), None)
    if l1_wt == 0.0:
        return RegularizedResults(model, solution.result, None)
    fit = solution.result
    if not refit:
        return RegularizedResults(model, fit, fit.converged)
    selected = torch.nonzero(params)[:, 0]
    refitted = _refit_least_squares(X, y, selected, k)
    if model.row_weights is not None:
        return RegularizedResults(model, replace(fit, params=refitted.params), None)
    results = RegularizedRefitResults(model, refitted, model.classical_covariance(refitted, None))
    object.__setattr__(results, "_unlabelled", True)  # statsmodels' refit is unwrapped
    return results


def _refit_least_squares(
    X: torch.Tensor, y: torch.Tensor, selected: torch.Tensor, k: int
) -> SolverResult:
    """OLS of the ``selected`` columns, embedded in ``k`` parameters (0 and zero covariance
    elsewhere; statsmodels' ``fit_elasticnet(refit=True)``)."""
    params = torch.zeros(k, dtype=X.dtype, device=X.device)
    cov = torch.zeros((k, k), dtype=X.dtype, device=X.device)
    # the full design's (statsmodels' eigenvals and condition number are the model's)
    singular_values = torch.linalg.svdvals(X)
    if selected.numel() == 0:
        return SolverResult(
            params=params,
            method="refit",
            rank=0,
            normalized_cov=cov,
            resid=y,
            singular_values=singular_values,
        )
    sub = solve_least_squares(X[:, selected], y, "auto")
    params[selected] = sub.params
    assert sub.normalized_cov is not None
    cov[selected[:, None], selected[None, :]] = sub.normalized_cov
    resid = y - X[:, selected] @ sub.params if sub.resid is None else sub.resid
    return SolverResult(
        params=params,
        method="refit",
        rank=int(selected.numel()),
        normalized_cov=cov,
        resid=resid,
        singular_values=singular_values,
    )


# --- GLM -----------------------------------------------------------------------------------


def fit_glm_regularized(
    model: Any,
    method: str,
    alpha: Any,
    start_params: Any,
    refit: bool,
    opt_method: str,
    kwargs: Mapping[str, Any],
) -> RegularizedResults | RegularizedGLMRefitResults:
    """``GLM.fit_regularized``: ``-loglike(b, scale=1) / n + P(b)``.

    ``opt_method`` (statsmodels' scipy method of the ridge path) is accepted; the ridge
    path is solved as the others. ``method="l1_slsqp"`` is the same problem with
    ``L1_wt=1``.
    """
    if method not in GLM_METHODS:
        raise InvalidOptionError(f"unknown method {method!r}; choose one of {GLM_METHODS}")
    if refit and getattr(model, "_n_trials", None) is not None:
        raise NotImplementedError(
            "GLM.fit_regularized(refit=True) of a binomial (successes, failures) response "
            "is not available; fit the GLM on the nonzero coefficients' columns instead"
        )
    options = dict(kwargs)
    l1_wt = _check_l1_wt(options.pop("L1_wt", 1.0))
    if method == "l1_slsqp" and l1_wt != 1.0:
        raise InvalidOptionError("L1_wt must be 1 when method is 'l1_slsqp'")
    for ignored in ("loglike_kwds", "score_kwds", "hess_kwds"):
        options.pop(ignored, None)
    maxiter, zero_tol = _elastic_net_options(
        options, 50 if method == "elastic_net" else 1000, _ZERO_TOL["glm"]
    )
    like = model.design.endog
    k = model.design.k_exog
    weights = penalty_weights(alpha, like, model.exog_names)
    l1, l2 = weights * l1_wt, weights * (1 - l1_wt)
    start = _start(start_params, like, k)
    if start_params is None and not _inside_domain(model, start):
        # zeros outside the link's domain (an inverse link): start from the unpenalised fit
        start = model.fit().fit_result.params
    if l1_wt == 0.0:
        solution = _glm_ridge(model, l2, start, maxiter)
    else:
        derivatives = _glm_derivatives(model, 1.0)
        solution = _solve_elastic_net(derivatives, l1, l2, start, maxiter, zero_tol)
    if not solution.result.converged:
        _warn_unconverged("GLM", solution)
    if l1_wt == 0.0:  # statsmodels' ridge path: no zero_tol, no converged attribute
        return RegularizedResults(model, solution.result, None)
    fit = solution.result
    if refit:
        return _refit_glm(model, fit)
    return RegularizedResults(model, fit, fit.converged)


def _inside_domain(model: Any, params: torch.Tensor) -> bool:
    """Whether the fitted means, the objective and its gradient are finite at ``params``
    (zeros give ``mu = inf`` for an inverse link, where the family's log-likelihood may
    still be finite but the gradient is NaN)."""
    value, gradient, _ = _glm_derivatives(model, 1.0)(params)
    finite = torch.isfinite(model.predict(params)).all() & torch.isfinite(gradient).all()
    return bool(finite & torch.isfinite(value))


def _refit_glm(model: Any, penalised: SolverResult) -> RegularizedGLMRefitResults:
    """The GLM of the nonzero coefficients' columns, embedded in every parameter (0 and
    zero covariance elsewhere), with the same family, offset, exposure and weights."""
    params = penalised.params
    k = params.shape[0]
    selected = torch.nonzero(params)[:, 0]
    cov = torch.zeros((k, k), dtype=params.dtype, device=params.device)
    refitted = torch.zeros_like(params)
    scale = 1.0
    if selected.numel():
        sub = model._restricted_model(model.design.exog[:, selected]).fit()
        refitted[selected] = sub.fit_result.params
        assert sub.fit_result.normalized_cov is not None
        cov[selected[:, None], selected[None, :]] = sub.fit_result.normalized_cov
        scale = sub.fit_result.scale
    fit = SolverResult(
        params=refitted,
        method="elastic_net",
        converged=penalised.converged,
        n_iter=penalised.n_iter,
        rank=int(selected.numel()),
        normalized_cov=cov,
        scale=scale,
    )
    history = {"method": "elastic_net", "iteration": penalised.n_iter, "settings": {}}
    covariance = model.classical_covariance(fit, None)
    results = RegularizedGLMRefitResults(model, fit, covariance, scaletype=None, history=history)
    object.__setattr__(results, "_unlabelled", True)  # statsmodels' refit is unwrapped
    return results


def _glm_derivatives(model: Any, scale: float) -> Derivatives:
    """``-loglike(b, scale) / n`` with its gradient and a curvature for the Newton steps.

    The curvature is the observed Hessian where it is finite and positive definite, else
    the expected information ``X' W X / n`` (glmnet's IRLS weights), which is finite and
    positive semi-definite wherever the mean is finite. For a canonical link the two are
    equal, but the observed one is formed with ``(y - mu) / V(mu)`` terms that are NaN once
    fitted probabilities round to 0 or 1 (separated data). The curvature only shapes the
    steps: the KKT conditions, hence the solution, use the gradient alone.
    """
    n = model.nobs

    def derivatives(b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        observed = -model.hessian(b, scale=scale) / n
        curvature = observed
        if not bool(torch.isfinite(observed).all()) or int(_cholesky_info(observed)) != 0:
            curvature = -model.hessian(b, scale=scale, observed=False) / n
        return -model.loglike(b, scale=scale) / n, -model.score(b, scale=scale) / n, curvature

    return derivatives


def _cholesky_info(matrix: torch.Tensor) -> torch.Tensor:
    """``info`` of the Cholesky factorisation of the symmetric part (0: positive definite)."""
    return torch.linalg.cholesky_ex(0.5 * (matrix + matrix.T))[1]


def _glm_ridge(
    model: Any, l2: torch.Tensor, start: torch.Tensor, maxiter: int
) -> PenalizedSolution:
    """statsmodels' GLM ridge path (``_fit_ridge``): the stationary point of
    ``-loglike(b, scale) / n + sum l2 b^2 / 2`` at ``scale = estimate_scale(mu(b))``.

    statsmodels minimises by BFGS with ``loglike(b)`` and ``score(b)`` at the scale
    estimated at ``b``, so it stops where ``score(b, scale(b)) / n = l2 b``; for a family
    with an estimated scale (Gaussian, Gamma, inverse Gaussian) that is this fixed point,
    found here by alternating exact solves with the scale fixed and scale updates (the
    scale of a family with a fixed scale is 1: one solve).
    """
    zeros = torch.zeros_like(l2)
    scale = 1.0
    solution = solve_penalized(_glm_derivatives(model, scale), zeros, l2, start, maxiter=maxiter)
    for _ in range(maxiter):
        updated = float(model.estimate_scale(model.predict(solution.result.params)))
        if abs(updated - scale) <= 1e-15 * abs(scale):
            break
        scale = updated
        solution = solve_penalized(
            _glm_derivatives(model, scale), zeros, l2, solution.result.params, maxiter=maxiter
        )
    else:
        message = f"the scale did not settle in {maxiter} updates"
        unsettled = replace(solution.result, converged=False, message=message)
        return replace(solution, result=unsettled)
    return solution


# --- discrete models: L1 ---------------------------------------------------------------------


def _l1_alpha(model: Any, alpha: Any, like: torch.Tensor) -> torch.Tensor:
    """statsmodels' ``alpha`` of the discrete models: a nonzero scalar leaves the negative
    binomial's dispersion unpenalised; a penalised dispersion is refused (its internal
    parametrisation, ``log(alpha)``, keeps it positive)."""
    names = model.param_names
    weights = penalty_weights(alpha, like, names)
    k_extra = int(getattr(model, "k_extra", 0))
    if k_extra and np.size(alpha) == 1:
        weights[-k_extra:] = 0.0
    if k_extra and bool((weights[-k_extra:] != 0).any()):
        raise InvalidOptionError(
            f"{model.model_name}: alpha penalises the dispersion parameter {names[-1]!r}; "
            "torchstats leaves it unpenalised (give alpha 0 for it, or a scalar alpha)"
        )
    return weights


def _trim(
    params: torch.Tensor,
    alpha: np.ndarray,
    gradient: np.ndarray,
    options: Mapping[str, Any],
) -> tuple[torch.Tensor, np.ndarray]:
    """statsmodels' ``l1_solvers_common``: the QC check and trimming.

    ``alpha`` and ``gradient`` (of ``-loglike / n``) are rescaled by ``1 / n``.
    """
    k = alpha.shape[0]
    values = params.detach().cpu().numpy().copy()
    penalised = alpha > 0
    failed = np.zeros(k, dtype=bool)
    failed[penalised] = (np.abs(gradient[penalised]) - alpha[penalised]) / alpha[
        penalised
    ] > options["qc_tol"]
    passed = not failed.any()
    if not passed:
        warn(
            f"QC check did not pass for {int(failed.sum()):d} out of {k:d} parameters\n"
            "Try increasing solver accuracy or number of iterations, decreasing alpha, or "
            "switch solvers",
            ConvergenceWarning,
        )
    mode = options["trim_mode"]
    trimmed = np.zeros(k, dtype=bool)
    nonzero = alpha != 0
    if mode == "auto" and not passed:
        warn(
            "Could not trim params automatically due to failed QC check. Trimming using "
            "trim_mode == 'size' will still work.",
            ConvergenceWarning,
        )
    elif mode == "auto":
        trimmed[nonzero] = (alpha[nonzero] - np.abs(gradient[nonzero])) / alpha[nonzero] > options[
            "auto_trim_tol"
        ]
    elif mode == "size":
        trimmed[nonzero] = np.abs(values[nonzero]) < options["size_trim_tol"]
    values[trimmed] = 0.0
    return torch.as_tensor(values, dtype=params.dtype, device=params.device), trimmed


def fit_l1(
    model: Any,
    start_params: Any,
    method: str,
    maxiter: Any,
    full_output: bool,
    disp: bool,
    alpha: Any,
    options: Mapping[str, Any],
) -> Any:
    """``fit_regularized(method="l1")`` of a discrete model: ``-loglike + sum alpha |b|``.

    The minimum is found in the model's internal parametrisation (``log(alpha)`` for the
    negative binomial, whose dispersion is unpenalised); the QC check and trimming follow
    statsmodels' rules on the exact solution, and the covariance is the inverse negative
    Hessian of the coefficients not trimmed (NaN elsewhere).
    """
    results_class = _l1_results_class(model)  # refuse a model without them before solving
    if method not in L1_METHODS:
        raise InvalidOptionError(f"unknown method {method!r}; choose one of {L1_METHODS}")
    if options["trim_mode"] not in ("auto", "size", "off"):
        raise InvalidOptionError(
            f"unknown trim_mode {options['trim_mode']!r}; choose one of 'auto', 'size', 'off'"
        )
    if maxiter == "defined_by_method":  # statsmodels' defaults of its two solvers
        iterations = 1000 if method == "l1" else 70
    else:
        iterations = int(maxiter)
    like = model.design.endog
    weights = _l1_alpha(model, alpha, like)
    n = float(model.design.nobs)
    start = model._start_tensor(start_params, "newton")
    model._check_start(start)

    def derivatives(theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        value, gradient, hessian = model._internal_derivatives(theta)
        return value / n, gradient / n, hessian / n

    solution = solve_penalized(
        derivatives, weights / n, torch.zeros_like(weights), start, maxiter=max(iterations, 1)
    )
    found = solution.result
    if not found.converged:
        _warn_unconverged(model.model_name, solution)
    raw = model._from_internal(found.params)
    gradient = (-model.score(raw) / n).detach().cpu().numpy()
    rescaled = (weights / n).detach().cpu().numpy()
    params, trimmed = _trim(raw, rescaled, gradient, options)
    model._check_fit(params, found)
    fopt = float(-model.loglike(params)) / n + float(
        np.sum(rescaled * np.abs(params.cpu().numpy()))
    )
    if disp:
        print_newton_report(found.converged, fopt, found.n_iter)
    cov = _restricted_covariance(model, params, trimmed)
    fit = replace(found, params=params, normalized_cov=cov, rank=int((~trimmed).sum()))
    retvals = {
        "fopt": fopt,
        "converged": found.converged,
        "iterations": found.n_iter,
        "gopt": float("nan"),
        "hopt": float("nan"),
        "trimmed": trimmed,
        "warnflag": f"{0 if found.converged else 9} {found.message}",
        "kkt_residual": found.grad_norm,
    }
    settings = {
        "optimizer": method,
        "start_params": model.output.plain(model._from_internal(start)),
        "maxiter": iterations,
        "full_output": full_output,
        "disp": disp,
        "alpha": model.output.plain(weights),
        "alpha_rescaled": rescaled,
        **options,
    }
    covariance = model.covariance(fit)
    return results_class(model, fit, covariance, retvals=retvals, settings=settings)


def _l1_results_class(model: Any) -> type:
    """The ``L1*Results`` class of ``model`` (by its results class).

    Raises
    ------
    NotImplementedError
        The model has no L1 results here.
    """
    klass = L1_RESULTS.get(model._results_class)
    if klass is None:
        raise NotImplementedError(
            f"{model.model_name}.fit_regularized(method='l1') is not available in "
            "torchstats; Logit, Probit, Poisson, NegativeBinomial and MNLogit have it"
        )
    return klass


def _restricted_covariance(model: Any, params: torch.Tensor, trimmed: np.ndarray) -> torch.Tensor:
    """statsmodels' ``cov_params_func_l1``: ``(-H_rr)^{-1}`` of the coefficients not
    trimmed, NaN in the rows and columns of the trimmed ones."""
    hessian = model.hessian(params)
    keep = torch.as_tensor(np.flatnonzero(~trimmed), device=params.device)
    cov = torch.full_like(hessian, float("nan"))
    if keep.numel():
        restricted = hessian[keep[:, None], keep[None, :]]
        cov[keep[:, None], keep[None, :]] = inverse_information(
            restricted, model.model_name, singular=False
        )
    return cov
