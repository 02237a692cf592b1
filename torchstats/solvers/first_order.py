"""Gradient-based fitting: L-BFGS with backtracking, and least squares by it (``method="gd"``).

Plain gradient descent with a fixed learning rate fails on badly scaled designs: with columns
around 3000 the largest curvature is ~1e7 times the smallest, so any stable step is far too
short for the flat directions and the iterates stop, apparently converged, far from the
solution. Two things make the gradient path reliable here:

1. *Equilibration*: parameters are rescaled so every column of the design has unit norm (a
   diagonal preconditioner), which removes the conditioning that is only due to units.
2. *Curvature from history* (L-BFGS): the quasi-Newton direction handles the conditioning that
   remains (collinearity), and a backtracking line search guarantees descent.

Convergence is declared only when the infinity norm of the gradient falls below ``gtol``
times a scale: the initial gradient for general objectives (scikit-learn's lbfgs test), the
residual norm for least squares (LSQR's backward-error test, which unlike a test relative to
the start cannot be met early on an ill-conditioned problem). Non-convergence always warns
with the gradient norm reached.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from torchstats.errors import ConvergenceWarning, warn
from torchstats.solvers.result import SolverResult
from torchstats.solvers.scaling import column_scale

__all__ = [
    "minimize_lbfgs",
    "solve_least_squares_gd",
    "default_gtol",
    "default_least_squares_gtol",
]

Objective = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]

_HISTORY = 20
_ARMIJO = 1e-4
_MAX_BACKTRACKS = 50
_APPROX_WOLFE_EPS = 1e-10
_APPROX_WOLFE_DELTA = 0.1
_WOLFE_SIGMA = 0.9


def default_gtol(dtype: torch.dtype) -> float:
    """Gradient tolerance relative to the initial gradient: 1e-10 (float64), 1e-5 (float32)."""
    return 1e-10 if dtype == torch.float64 else 1e-5


def default_least_squares_gtol(dtype: torch.dtype) -> float:
    """Backward-error tolerance for least squares: 1e-13 in float64, 1e-6 in float32.

    The test ``||X_s' r||_inf <= gtol * ||r||`` (X_s with unit-norm columns) is LSQR's
    stopping rule; the forward error is then about ``cond(X_s'X_s) * gtol``. Set by
    measurement on the badly scaled case of the tests (``cond(X'X) ~ 1e5``): 1e-13 gives
    3e-12 relative agreement with QR in float64 within 20 iterations; 1e-6 is about eight
    float32 ulps, the smallest reliably reached, giving 1e-3 there.
    """
    return 1e-13 if dtype == torch.float64 else 1e-6


def minimize_lbfgs(
    objective: Objective,
    x0: torch.Tensor,
    *,
    max_iter: int = 1000,
    gtol: float | None = None,
    history: int = _HISTORY,
    gradient_scale: Callable[[torch.Tensor], float] | None = None,
) -> SolverResult:
    """Minimise a smooth function by L-BFGS with an Armijo backtracking line search.

    Parameters
    ----------
    objective : callable
        ``objective(x) -> (value, gradient)`` as tensors.
    x0 : Tensor, shape (k,)
        Starting point.
    max_iter : int
        Iteration limit.
    gtol : float, optional
        Converged when ``||g||_inf <= gtol * scale``; default :func:`default_gtol`.
    history : int
        Number of curvature pairs kept.
    gradient_scale : callable, optional
        ``scale = gradient_scale(value)`` at each iteration; default the initial gradient
        norm ``||g_0||_inf`` (a scale-free test, as scikit-learn's lbfgs uses).

    Returns
    -------
    SolverResult
        ``converged``, ``n_iter`` and ``grad_norm`` report how it ended; the caller warns.

    Notes
    -----
    Order of calls per iteration: two-loop recursion for the direction; backtracking from
    step 1 (the quasi-Newton step is well scaled after the first iteration, whose step is
    normalised) until the Armijo condition holds; curvature pair stored only if ``s'y > 0``
    so the implicit Hessian stays positive definite. One host sync per iteration (the
    convergence test) plus one per backtrack.
    """
    gtol = default_gtol(x0.dtype) if gtol is None else gtol
    tiny = torch.finfo(x0.dtype).tiny
    x = x0.clone()
    f, g = objective(x)
    initial = max(float(g.abs().max()), tiny)

    def target() -> float:
        return gtol * (initial if gradient_scale is None else max(gradient_scale(f), tiny))

    s_hist: list[torch.Tensor] = []
    y_hist: list[torch.Tensor] = []
    message = "maximum number of iterations reached"
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        if float(g.abs().max()) <= target():
            converged, message = True, "gradient norm below tolerance"
            n_iter -= 1
            break
        direction = -_two_loop(g, s_hist, y_hist)
        step = 1.0 if s_hist else 1.0 / max(float(g.abs().max()), tiny)
        slope = float(g @ direction)
        if slope >= 0:  # lost descent (numerical noise in the history): restart
            s_hist.clear()
            y_hist.clear()
            direction, slope = -g, -float(g @ g)
            step = 1.0 / max(float(g.abs().max()), tiny)
        for _ in range(_MAX_BACKTRACKS):
            x_new = x + step * direction
            f_new, g_new = objective(x_new)
            if _acceptable(f, f_new, g_new @ direction, step, slope):
                break
            step *= 0.5
        else:
            converged = float(g.abs().max()) <= target()
            message = "line search could not decrease the objective (precision limit reached)"
            break
        s, yk = x_new - x, g_new - g
        curvature = float(s @ yk)
        if curvature > 0:
            s_hist.append(s)
            y_hist.append(yk)
            if len(s_hist) > history:
                s_hist.pop(0)
                y_hist.pop(0)
        x, f, g = x_new, f_new, g_new
    else:
        converged = float(g.abs().max()) <= target()
        if converged:
            message = "gradient norm below tolerance"
    return SolverResult(
        params=x,
        method="lbfgs",
        converged=converged,
        n_iter=n_iter,
        grad_norm=float(g.abs().max()),
        message=message,
        rank=int(x.shape[0]),
    )


def _acceptable(
    value: torch.Tensor,
    new_value: torch.Tensor,
    new_slope: torch.Tensor,
    step: float,
    slope: float,
) -> bool:
    """Armijo's sufficient decrease, or Hager-Zhang's approximate Wolfe conditions.

    Near the optimum the decrease Armijo asks for falls below the rounding error of the
    objective and every step would be rejected; the approximate Wolfe test (Hager & Zhang
    2005) then accepts a step that keeps the value within ``1e-10 |f|`` and shrinks the
    directional derivative, which is measured accurately.
    """
    if not bool(torch.isfinite(new_value)):
        return False
    f, f_new = float(value), float(new_value)
    if f_new <= f + _ARMIJO * step * slope:
        return True
    phi_prime = float(new_slope)
    flat = f_new <= f + _APPROX_WOLFE_EPS * abs(f)
    return flat and (2 * _APPROX_WOLFE_DELTA - 1) * slope >= phi_prime >= _WOLFE_SIGMA * slope


def _two_loop(
    g: torch.Tensor, s_hist: list[torch.Tensor], y_hist: list[torch.Tensor]
) -> torch.Tensor:
    """L-BFGS two-loop recursion: the inverse-Hessian approximation applied to ``g``."""
    q = g.clone()
    alphas = []
    for s, y in zip(reversed(s_hist), reversed(y_hist)):
        rho = 1.0 / (y @ s)
        alpha = rho * (s @ q)
        q = q - alpha * y
        alphas.append((rho, alpha))
    if s_hist:
        q = q * ((s_hist[-1] @ y_hist[-1]) / (y_hist[-1] @ y_hist[-1]))
    for (s, y), (rho, alpha) in zip(zip(s_hist, y_hist), reversed(alphas)):
        beta = rho * (y @ q)
        q = q + s * (alpha - beta)
    return q


def solve_least_squares_gd(
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    max_iter: int = 1000,
    gtol: float | None = None,
) -> SolverResult:
    """Least squares by L-BFGS on the equilibrated problem (``method="gd"``).

    Parameters
    ----------
    X : Tensor, shape (n, k)
    y : Tensor, shape (n,)
    max_iter : int
        Iteration limit.
    gtol : float, optional
        Backward-error tolerance, default :func:`default_least_squares_gtol`.

    Returns
    -------
    SolverResult
        ``params`` in the original scale; ``grad_norm`` is the infinity norm of the gradient
        of ``0.5 * ||y - X b||^2`` with respect to the *equilibrated* parameters. Warns with
        :class:`ConvergenceWarning` when not converged.
    """

    with torch.no_grad():
        d = column_scale(X)
        Xs = X / d

        def objective(theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            resid = y - Xs @ theta
            return 0.5 * (resid @ resid), -(Xs.T @ resid)

        start = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
        gtol = default_least_squares_gtol(X.dtype) if gtol is None else gtol
        # Rounding in r = y - X_s b alone perturbs each gradient entry (a dot product with a
        # unit-norm column) by up to about eps * ||y||: no smaller gradient can be asked
        # for, however small the residual (exact fits).
        eps = torch.finfo(X.dtype).eps
        reachable = float(4 * eps * torch.linalg.vector_norm(y)) / gtol

        def residual_norm(value: torch.Tensor) -> float:
            return max(float(torch.sqrt(2 * value)), reachable)

        found = minimize_lbfgs(
            objective,
            start,
            max_iter=max_iter,
            gtol=gtol,
            gradient_scale=residual_norm,
        )
    converged, message = found.converged, found.message
    if not converged:
        warn(
            f"gradient-based least squares did not converge after {found.n_iter} iterations "
            f"({found.message}; gradient norm {found.grad_norm:.3g}). Increase max_iter, "
            "or use method='qr'.",
            ConvergenceWarning,
        )
    else:
        bound = _forward_error_bound(Xs, y, found.params)
        if not bound <= _FORWARD_ERROR_LIMIT[X.dtype == torch.float64]:
            converged = False
            amount = (
                f"{bound:.2g} relative (the error bound ||(X'X)^-1 X'r|| / ||b||)"
                if math.isfinite(bound)
                else "any amount (X'X is numerically singular)"
            )
            message = f"{found.message}, but the coefficients may be off by {amount}"
            warn(
                "gradient-based least squares reached its gradient tolerance, but the design "
                "is so ill-conditioned that the coefficients may still be off the "
                f"least-squares solution by {amount}; use method='qr', or rescale or drop "
                "nearly collinear columns.",
                ConvergenceWarning,
            )
    return SolverResult(
        params=found.params / d,
        method="gd",
        converged=converged,
        n_iter=found.n_iter,
        grad_norm=found.grad_norm,
        message=f"L-BFGS on the equilibrated problem: {message}",
        rank=X.shape[1],
    )


#: Largest relative error bound of the coefficients that a converged gradient-based fit
#: may carry (float32, float64): beyond it the fit is reported as not converged. float32
#: cannot promise better than ``cond(X_s'X_s) * 1e-6`` (0.01 on the tests' badly scaled
#: design, cond 1e5); float64 fits are expected to agree with QR to eight digits.
_FORWARD_ERROR_LIMIT = {False: 5e-2, True: 1e-8}


def _forward_error_bound(Xs: torch.Tensor, y: torch.Tensor, theta: torch.Tensor) -> float:
    """``||(X_s'X_s)^{-1} g|| / ||theta||`` bounded by ``||g|| / (lambda_min ||theta||)``,
    with ``g = X_s'(y - X_s theta)``: how far ``theta`` may lie from the least-squares
    solution, whatever the gradient tolerance (a small gradient is a small backward error;
    the forward error is that times ``cond(X_s'X_s)``). inf for a numerically singular
    design."""
    with torch.no_grad():
        gram = (Xs.T @ Xs).to(torch.float64)
        gradient = (Xs.T @ (y - Xs @ theta)).to(torch.float64)
        smallest = float(torch.linalg.eigvalsh(gram)[0])
        size = float(torch.linalg.vector_norm(theta.to(torch.float64)))
    if smallest <= 0 or size == 0:
        return 0.0 if float(torch.linalg.vector_norm(gradient)) == 0 else float("inf")
    return float(torch.linalg.vector_norm(gradient)) / (smallest * size)
