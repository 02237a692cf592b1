"""Elastic-net and L1 penalised minimisation, solved to the KKT conditions.

The problem is

    minimise  F(b) = f(b) + sum_j l2_j b_j^2 / 2 + sum_j l1_j |b_j|

for a smooth ``f`` (a negative log-likelihood, divided by ``n`` or not) with its gradient
and Hessian. statsmodels solves it by coordinate descent (``base/elastic_net.py``, stopping
when no coefficient moves by ``cnvrg_tol``) or by SLSQP on a reformulated problem
(``base/l1_slsqp.py``, ``acc=1e-10``); both leave errors of about 1e-6. Here:

1. **proximal Newton**: at ``b`` the smooth part is replaced by its quadratic model (the
   Hessian shifted to positive definite where it is not) and the L1 problem of the model is
   solved *exactly* by :func:`_quadratic_lasso` (coordinate descent finds the support and
   the signs, then the stationarity equations on the support are solved by a linear solve
   and the inactive conditions verified); a backtracking line search on ``F`` accepts the
   step;
2. the loop stops when the KKT conditions of ``F`` hold: ``G_j + l1_j sign(b_j) = 0`` for
   ``b_j != 0`` and ``|G_j| <= l1_j`` for ``b_j = 0`` (``G`` the gradient of the smooth part
   with the ridge term), each within ``tol`` relative to the problem's gradient scale.
   Once the support is found a step is a Newton step on it, so the last iterations converge
   quadratically to the exact solution.

The quadratic subproblem has ``k`` unknowns and runs on the host (numpy): one transfer of
the ``(k, k)`` Hessian per outer iteration, as the convergence check of the other solvers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from torchstats.errors import NumericalError
from torchstats.solvers.result import SolverResult

__all__ = ["PenalizedSolution", "kkt_residual", "solve_penalized"]

Derivatives = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]
"""``b -> (f(b), grad f(b), hess f(b))`` of the smooth part (0-d, (k,), (k, k))."""

#: Relative KKT tolerance of the outer loop: the solutions are exact to about this many
#: units of the gradient scale (1e-9 is what the tests verify; float64 reaches ~1e-13).
KKT_TOL = 1e-11

# The quadratic subproblem: coordinate-descent sweeps between tries of the exact solve on
# the current support (a try costs one k x k solve, a sweep k updates), and the most sweeps
# (reached only where the support keeps changing; the outer line search then takes the
# coordinate-descent point).
_SWEEPS_PER_TRY = 5
_MAX_SWEEPS = 10_000
# The largest rounding error of the gradient, relative to the gradient scale, up to which
# the KKT test allows for it: a gradient known to about four digits (the sqrt-lasso at a
# near-exact fit, |e| ~ 1e-7 |y|, has ~1e-6); beyond that it cannot tell a solution.
_GRADIENT_ERROR_LIMIT = 1e-4
# Slack of the inactive conditions of the exact subproblem solution, relative to its
# gradient scale: rounding of an (k, k) solve in float64.
_SUPPORT_SLACK = 1e-12


@dataclass(frozen=True, slots=True)
class PenalizedSolution:
    """A penalised fit: the solver's record and the KKT residuals of the estimate.

    Attributes
    ----------
    result : SolverResult
        ``params``, ``converged``, ``n_iter``, ``grad_norm`` (the largest absolute KKT
        residual) and ``message``.
    gradient : Tensor, shape (k,)
        Gradient of the smooth part with the ridge term at ``params``.
    kkt : Tensor, shape (k,)
        KKT residuals (see :func:`kkt_residual`).
    scale : float
        The gradient scale the tolerance is relative to.
    """

    result: SolverResult
    gradient: torch.Tensor
    kkt: torch.Tensor
    scale: float


def kkt_residual(gradient: torch.Tensor, params: torch.Tensor, l1: torch.Tensor) -> torch.Tensor:
    """Violation of the KKT conditions of ``F`` per coefficient, shape (k,).

    Parameters
    ----------
    gradient : Tensor, shape (k,)
        Gradient of the smooth part (with the ridge term) at ``params``.
    params : Tensor, shape (k,)
    l1 : Tensor, shape (k,)
        L1 weights.

    Returns
    -------
    Tensor, shape (k,)
        ``|G_j + l1_j sign(b_j)|`` where ``b_j != 0``, ``max(|G_j| - l1_j, 0)`` where
        ``b_j = 0``: zero exactly at a minimiser of a convex ``F``.
    """
    active = params != 0
    stationary = torch.abs(gradient + l1 * torch.sign(params))
    slack = torch.clamp(torch.abs(gradient) - l1, min=0.0)
    return torch.where(active, stationary, slack)


def solve_penalized(
    derivatives: Derivatives,
    l1: torch.Tensor,
    l2: torch.Tensor,
    start: torch.Tensor,
    *,
    maxiter: int = 100,
    tol: float | None = None,
    gradient_error: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> PenalizedSolution:
    """Minimise ``f(b) + sum l2 b^2 / 2 + sum l1 |b|`` to the KKT conditions.

    Parameters
    ----------
    derivatives : callable
        ``b -> (f, grad f, hess f)`` of the smooth part; ``f`` may be non-finite outside
        its domain (the line search backs off).
    l1, l2 : Tensor, shape (k,)
        Non-negative L1 and ridge weights.
    start : Tensor, shape (k,)
        Start values (finite ``f``).
    maxiter : int
        Proximal Newton iterations.
    tol : float, optional
        KKT tolerance relative to the gradient scale (:func:`_gradient_scale`); default
        :data:`KKT_TOL` in float64, ``64 eps`` in a lower precision.
    gradient_error : callable, optional
        ``b -> (k,)`` bound on the rounding error of the gradient at ``b``, added to the
        tolerance of each coefficient; for a gradient that loses precision near the
        solution (the sqrt-lasso's ``X'e / |e|`` at a near-exact fit). Default: none.

    Returns
    -------
    PenalizedSolution
        ``result.converged`` is False when ``maxiter`` ran out or the line search stalled
        before the KKT conditions held (the caller warns).

    Raises
    ------
    NumericalError
        The objective or its gradient is not finite at ``start``, or the Hessian is not
        finite where a step is needed. (Steps are only accepted where the objective and
        the gradient are finite.)
    """
    if tol is None:
        eps = torch.finfo(start.dtype).eps
        tol = KKT_TOL if start.dtype == torch.float64 else 64 * eps
    with torch.no_grad():
        b = start.clone()
        value, grad, hess = _penalised(derivatives, b, l2)
        if not (bool(torch.isfinite(value)) and bool(torch.isfinite(grad).all())):
            raise NumericalError(
                "the penalised objective or its gradient is not finite at the start values "
                f"(objective {float(value):.3g}); they lie outside the model's domain: give "
                "start_params where the mean is finite (for example the unpenalised fit)"
            )
        scale = _gradient_scale(l1, grad, hess, b)
        residual = kkt_residual(grad, b, l1)
        n_iter, message = 0, "KKT conditions hold at the start values"
        # written so that a NaN residual keeps iterating (and never reads as converged)
        while not _kkt_hold(residual, tol, scale, gradient_error, b):
            if n_iter >= maxiter:
                message = f"maximum number of iterations ({maxiter}) reached"
                break
            n_iter += 1
            # the quadratic model around b: curvature C (the Hessian, or shifted), so the
            # subproblem's linear term is grad - C b and its fixed point is a KKT point
            curvature = _positive_definite(hess)
            target = _quadratic_lasso(curvature, grad - curvature @ b, l1, b)
            moved = _line_search(derivatives, b, target - b, value, grad, l1, l2)
            if moved is None:
                message = "the line search found no decrease: at the precision limit"
                break
            b, value, grad, hess = moved
            residual = kkt_residual(grad, b, l1)
        else:
            message = "KKT conditions hold"
        converged = _kkt_hold(residual, tol, scale, gradient_error, b)
        result = SolverResult(
            params=b,
            method="proximal-newton",
            converged=converged,
            n_iter=n_iter,
            grad_norm=float(residual.max()),
            message=message,
            rank=int(b.shape[0]),
        )
        return PenalizedSolution(result, grad, residual, scale)


def _kkt_hold(
    residual: torch.Tensor,
    tol: float,
    scale: float,
    gradient_error: Callable[[torch.Tensor], torch.Tensor] | None,
    b: torch.Tensor,
) -> bool:
    """Whether every KKT residual is within ``tol * scale``, or within that plus the
    gradient's rounding error where that error is below :data:`_GRADIENT_ERROR_LIMIT` of
    the scale (a gradient with fewer correct digits certifies nothing); False for NaN."""
    if float(residual.max()) <= tol * scale:
        return True
    if gradient_error is None or not bool(torch.isfinite(residual).all()):
        return False
    error = gradient_error(b)
    if not float(error.max()) <= _GRADIENT_ERROR_LIMIT * scale:
        return False
    return bool((residual <= tol * scale + error).all())


def _gradient_scale(
    l1: torch.Tensor, grad: torch.Tensor, hess: torch.Tensor, start: torch.Tensor
) -> float:
    """The size of the gradients of the problem, which the KKT tolerance is relative to:
    ``max(max l1, |G(start)|_inf, |H start|_inf)`` (``H start`` stands for the gradient
    between 0 and a start near the solution, where ``G`` itself is already small)."""
    sizes = [float(grad.abs().max()), float((hess @ start).abs().max()), 1e-300]
    if l1.numel():
        sizes.append(float(l1.max()))
    return max(sizes)


def _penalised(
    derivatives: Derivatives, b: torch.Tensor, l2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Value, gradient and Hessian of the smooth part with the ridge term."""
    value, grad, hess = derivatives(b)
    return (
        value + 0.5 * torch.sum(l2 * b * b),
        grad + l2 * b,
        hess + torch.diag(l2),
    )


def _positive_definite(hess: torch.Tensor) -> torch.Tensor:
    """``hess``, or shifted by a multiple of the identity to be positive definite (a
    non-convex smooth part, such as statsmodels' profile likelihood of OLS).

    Raises
    ------
    NumericalError
        ``hess`` has non-finite entries (the model's curvature overflowed).
    """
    if not bool(torch.isfinite(hess).all()):
        raise NumericalError(
            "the Hessian of the penalised objective is not finite at the current estimate "
            "(the model's curvature overflowed, e.g. fitted means at the edge of their "
            "range); rescale the regressors or increase alpha"
        )
    sym = 0.5 * (hess + hess.T)
    _, info = torch.linalg.cholesky_ex(sym)
    if int(info) == 0:
        return sym
    smallest = float(torch.linalg.eigvalsh(sym)[0])
    size = max(float(torch.diagonal(sym).abs().max()), 1e-300)
    eye = torch.eye(sym.shape[0], dtype=sym.dtype, device=sym.device)
    return sym + (abs(smallest) + 1e-8 * size) * eye


def _line_search(
    derivatives: Derivatives,
    b: torch.Tensor,
    direction: torch.Tensor,
    value: torch.Tensor,
    grad: torch.Tensor,
    l1: torch.Tensor,
    l2: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """Backtracking (Armijo) on ``F`` along ``direction``; the full step first.

    The predicted decrease is ``grad'd + l1|b + d| - l1|b|`` (Tseng and Yun 2009); a change
    of ``F`` within rounding of ``F`` is accepted, as near the solution ``F`` no longer
    resolves the decrease (the KKT test, not ``F``, ends the iterations).
    """
    penalty = torch.sum(l1 * torch.abs(b))
    total = float(value + penalty)
    predicted = float(grad @ direction + torch.sum(l1 * torch.abs(b + direction)) - penalty)
    rounding = 64 * np.finfo(np.float64).eps * max(abs(total), 1e-300)
    step = 1.0
    for _ in range(60):
        trial = b + step * direction
        new_value, new_grad, new_hess = _penalised(derivatives, trial, l2)
        new_total = float(new_value + torch.sum(l1 * torch.abs(trial)))
        allowed = total + 1e-4 * step * min(predicted, 0.0) + rounding
        finite = np.isfinite(new_total) and bool(torch.isfinite(new_grad).all())
        if finite and new_total <= allowed:
            return trial, new_value, new_grad, new_hess
        step /= 2
    return None


def _quadratic_lasso(
    hess: torch.Tensor, linear: torch.Tensor, l1: torch.Tensor, start: torch.Tensor
) -> torch.Tensor:
    """Exact minimiser of ``z'Hz / 2 + c'z + sum l1 |z|`` for a positive definite ``H``.

    Coordinate descent from ``start`` finds the support and the signs; the stationarity
    equations ``H_AA z_A = -(c_A + l1_A s_A)`` on the support ``A`` are then solved
    directly and accepted when the signs hold and ``|c_j + H_jA z_A| <= l1_j`` off the
    support; otherwise the sweeps go on from the coordinate-descent point.
    """
    H = hess.detach().cpu().numpy()
    c = linear.detach().cpu().numpy()
    lam = l1.detach().cpu().numpy()
    z = start.detach().cpu().numpy().copy()
    diag = np.diag(H)
    Hz = H @ z
    for sweep in range(1, _MAX_SWEEPS + 1):
        biggest = 0.0
        for j in range(z.shape[0]):
            r = c[j] + Hz[j] - diag[j] * z[j]
            new = -np.sign(r) * max(abs(r) - lam[j], 0.0) / diag[j]
            change = new - z[j]
            if change != 0.0:
                Hz += change * H[:, j]
                z[j] = new
                biggest = max(biggest, abs(change))
        if sweep % _SWEEPS_PER_TRY == 0 or biggest == 0.0:
            exact = _solve_on_support(H, c, lam, z)
            if exact is not None:
                z = exact
                break
            if biggest == 0.0:  # a fixed point of the sweeps: nothing more to find
                break
            Hz = H @ z
    return torch.as_tensor(z, dtype=hess.dtype, device=hess.device)


def _solve_on_support(
    H: np.ndarray, c: np.ndarray, lam: np.ndarray, z: np.ndarray
) -> np.ndarray | None:
    """The stationary point on the support and signs of ``z``, if it satisfies the KKT
    conditions of the quadratic problem (to rounding), else None."""
    support = (z != 0) | (lam == 0)
    signs = np.sign(z)
    exact = np.zeros_like(z)
    if support.any():
        H_aa = H[np.ix_(support, support)]
        rhs = -(c[support] + lam[support] * signs[support])
        try:
            exact[support] = np.linalg.solve(H_aa, rhs)
        except np.linalg.LinAlgError:
            return None
    penalised = support & (lam > 0)
    if np.any(np.sign(exact[penalised]) != signs[penalised]):
        return None
    gradient = c + H @ exact
    size = max(np.abs(c).max(initial=0.0), lam.max(initial=0.0), 1e-300)
    slack = np.abs(gradient[~support]) - lam[~support]
    if np.any(slack > _SUPPORT_SLACK * size):
        return None
    return exact
