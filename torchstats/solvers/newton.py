"""Damped Newton's method for smooth convex objectives (negative log-likelihoods).

The workhorse of the likelihood models: with the exact Hessian (closed form or autograd) it
converges quadratically near the optimum, so a tight tolerance costs one or two extra
iterations and the estimates match statsmodels' to many digits.

Order of calls per iteration:

1. value, gradient and Hessian at the current point (one call of ``derivatives``);
2. stop if the Newton decrement ``g' H^{-1} g / 2`` is below ``ftol * (1 + |f|)``: it bounds
   the distance to the optimum in the objective (Boyd & Vandenberghe, sec. 9.5.1), is
   invariant to the parameters' units, and in float64 cannot go much below ``eps * |f|``;
   the final (tiny) Newton step is still taken, which squares the remaining error;
3. Cholesky of ``H`` with ``cholesky_ex``; if not positive definite (far from the optimum, or
   a flat direction), add ``lambda * I`` with ``lambda`` growing tenfold until it is
   (Levenberg); no exceptions, no host sync beyond the ``info`` flag;
4. backtracking line search from the full step until the Armijo condition holds and the
   value is finite. When ``_MAX_NONFINITE_STREAK`` line searches in a row had to reject
   points where the objective is not finite, Newton stops with the message "objective not
   finite along the Newton direction": the minimum lies where the objective is not defined
   (a NaN region) and the iterates only crawl towards its edge. When
   ``_MAX_STALLED_STEPS`` accepted steps in a row leave the objective exactly unchanged,
   Newton stops as well ("the objective did not change"), converged if the Newton
   decrement is within 1000 times the tolerance: a supremum at infinity (a parameter
   heading to the boundary of its range) is approached but never reached.

Non-convergence is reported in the result (``converged=False``), with the number of points
rejected because the objective was not finite there (``nonfinite``): the calling model
warns, or raises :class:`~torchstats.errors.NumericalError` when non-finite values stopped
the fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from torchstats.solvers.result import SolverResult

__all__ = ["minimize_newton", "autograd_derivatives"]

Derivatives = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]

_ARMIJO = 1e-4
_MAX_BACKTRACKS = 60
_MAX_DAMPING_TRIES = 30
# Line searches in a row that met a non-finite objective before Newton gives up. Near a
# finite minimum Newton takes full steps (quadratic convergence), so such a streak does not
# happen on the way to one; a few non-finite trials far from it (an overflowing exp) do.
_MAX_NONFINITE_STREAK = 10
# Accepted steps in a row that left the objective exactly where it was before Newton stops
# at the precision limit: the iterates still move (a supremum at infinity, such as a
# negative binomial's log(alpha) heading to -inf on data without overdispersion) but the
# objective no longer tells the points apart in float64.
_MAX_STALLED_STEPS = 3


def autograd_derivatives(objective: Callable[[torch.Tensor], torch.Tensor]) -> Derivatives:
    """Value, gradient and Hessian of a scalar torch function by ``torch.func``."""

    def derivatives(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        with torch.enable_grad():
            value = objective(x)
            grad = torch.func.grad(objective)(x)
            hess = torch.func.hessian(objective)(x)
        return value.detach(), grad.detach(), hess.detach()

    return derivatives


def minimize_newton(
    objective: Callable[[torch.Tensor], torch.Tensor],
    x0: torch.Tensor,
    *,
    derivatives: Derivatives | None = None,
    max_iter: int = 100,
    ftol: float | None = None,
) -> SolverResult:
    """Minimise ``objective`` by damped Newton steps.

    Parameters
    ----------
    objective : callable
        ``objective(x) -> 0-d tensor``; used by the line search.
    x0 : Tensor, shape (k,)
        Starting values.
    derivatives : callable, optional
        ``derivatives(x) -> (value, gradient, Hessian)``; closed forms are faster. Default:
        autograd of ``objective`` (:func:`autograd_derivatives`).
    max_iter : int
        Iteration limit.
    ftol : float, optional
        Relative tolerance on the Newton decrement; default ``64 * eps`` of the dtype.

    Returns
    -------
    SolverResult
        ``grad_norm`` is the infinity norm of the gradient at the returned point;
        ``nonfinite`` counts the trial points rejected because the objective was not finite.
    """
    derivatives = derivatives or autograd_derivatives(objective)
    ftol = 64 * torch.finfo(x0.dtype).eps if ftol is None else ftol
    x = x0.detach().clone()
    value, grad, hess = derivatives(x)
    converged = False
    message = "maximum number of iterations reached"
    n_iter = 0
    nonfinite = streak = stalled = rejected = 0
    previous: float | None = None
    for n_iter in range(max_iter + 1):
        current = float(value)  # one host sync for the checks below
        # an accepted step that left the objective where it was (steps cut short by
        # non-finite points are the non-finite streak's to judge)
        stalled = stalled + 1 if current == previous and not rejected else 0
        if not math.isfinite(current) or not bool(torch.isfinite(grad).all()):
            message = "objective or gradient is not finite"
            break
        step, decrement = _newton_step(grad, hess)
        if decrement <= ftol * (1.0 + abs(current)):
            converged, message = True, "Newton decrement below tolerance"
            # The last full step is tiny but still halves the digits missing; take it when
            # it does not increase the objective.
            candidate = x + step
            polished = derivatives(candidate)
            if bool(torch.isfinite(polished[0])) and float(polished[0]) <= current + ftol * (
                1.0 + abs(current)
            ):
                x = candidate
                value, grad, hess = polished
            break
        if stalled >= _MAX_STALLED_STEPS:
            converged = decrement <= 1e3 * ftol * (1.0 + abs(current))
            message = (
                f"the objective did not change in {stalled} steps in a row (precision limit "
                "reached)"
            )
            break
        if n_iter == max_iter:
            break
        accepted, rejected = _line_search(objective, x, current, grad, step)
        nonfinite += rejected
        streak = streak + 1 if rejected else 0
        if streak >= _MAX_NONFINITE_STREAK:
            message = (
                f"objective not finite along the Newton direction in {streak} iterations in a "
                "row (the minimum seems to lie where the objective is not defined)"
            )
            break
        if accepted is None:
            converged = decrement <= 1e3 * ftol * (1.0 + abs(current))
            message = "line search failed to decrease the objective (precision limit reached)"
            break
        x = accepted
        previous = current
        value, grad, hess = derivatives(x)
    return SolverResult(
        params=x,
        method="newton",
        converged=converged,
        n_iter=n_iter,
        grad_norm=float(grad.abs().max()) if grad.numel() else 0.0,
        message=message,
        rank=int(x.shape[0]),
        nonfinite=nonfinite,
    )


def _newton_step(grad: torch.Tensor, hess: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Solve ``(H + lambda I) d = -g`` with the smallest ``lambda >= 0`` that is PD."""
    k = grad.shape[0]
    damping = 0.0
    # undamped first (the usual case): no identity, no scale, bitwise the same factor
    factor, info = torch.linalg.cholesky_ex(hess)
    if int(info) == 0:
        step = torch.cholesky_solve(-grad[:, None], factor)[:, 0]
        return step, float(-(grad @ step)) / 2
    eye = torch.eye(k, dtype=hess.dtype, device=hess.device)
    scale = float(hess.diagonal().abs().max()) if k else 1.0
    for _ in range(_MAX_DAMPING_TRIES - 1):
        damping = max(10 * damping, 1e-8 * max(scale, 1e-300))
        factor, info = torch.linalg.cholesky_ex(hess + damping * eye)
        if int(info) == 0:
            step = torch.cholesky_solve(-grad[:, None], factor)[:, 0]
            return step, float(-(grad @ step)) / 2
    return -grad, float(grad @ grad) / 2


def _line_search(
    objective: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    value: float,
    grad: torch.Tensor,
    step: torch.Tensor,
) -> tuple[torch.Tensor | None, int]:
    """The first point ``x + size * step`` (``size`` halving from 1) meeting Armijo's
    condition, or None; and how many points tried had a non-finite objective."""
    slope = float(grad @ step)
    size = 1.0
    nonfinite = 0
    for _ in range(_MAX_BACKTRACKS):
        candidate = x + step if size == 1.0 else x + size * step
        with torch.no_grad():
            new_value = float(objective(candidate))
        finite = math.isfinite(new_value)
        nonfinite += not finite
        if finite and new_value <= value + _ARMIJO * size * slope:
            return candidate, nonfinite
        size *= 0.5
    return None, nonfinite
