"""Direct least-squares solvers: Householder QR with refinement, Cholesky, and SVD pseudo-inverse.

All three solve ``min ||y - X b||`` for a (weighted, already whitened) design and return a
:class:`SolverResult` carrying ``(X'X)^{-1}`` as well, which the linear models use as the
inverse of the closed-form Hessian. Choose by how well posed the problem is:

``"auto"`` (default)
    Designs of fewer than 4 096 numbers (NIST-sized: 400 x 10, 100 x 40) by ``"qr"``, exact
    to float64 for the data as stored at a cost below a millisecond; larger ones by
    Cholesky of the equilibrated Gram matrix — one GEMM over the data, no copy of ``X`` —
    as long as its condition number stays below 1e8, else by ``"qr"``. Accurate to 12+
    digits either way. In float32 the Gram route ends at 840 (``cond * eps = 1e-4``).
``"qr"``
    Householder QR of the column-equilibrated design, then iterative refinement of the
    augmented system ``[I X; X' 0]`` (Björck) with residuals in double-double precision. The
    error is about ``cond(X) * eps`` whatever the residual size; on the NIST StRD suite it
    reaches 13-15 digits, and 7-8 on Filip, whose float64 design alone limits it. Costs
    two to four passes over ``X`` more than plain QR when the design is ill-conditioned.
``"cholesky"``
    Cholesky of the Gram matrix ``X'X`` (equilibrated) and one refinement step. Fastest, one
    pass over the data, but the error grows like ``cond(X)^2 * eps``: fine for standardised
    data, about 7 digits at ``cond(X) = 1e5``. Beyond ``cond(X'X) = 1e10`` it warns and
    hands over to QR rather than return a solution with fewer than six digits (float32:
    beyond 8.4e3, fewer than three).
``"pinv"``
    statsmodels' default, SVD pseudo-inverse, applied to the column-equilibrated design
    when it has full rank (then the solution is unique; statsmodels' ``rcond=1e-15`` on the
    unscaled design drops a real singular value of NIST Filip, ``cond(X) ~ 1e15``, and
    keeps no digit; here about 8), else to the unscaled one with ``rcond=1e-15``:
    statsmodels' minimum-norm solution of a rank-deficient design.

Every method detects rank deficiency (numerical rank of the equilibrated design, with
numpy's ``matrix_rank`` tolerance) and then returns statsmodels' minimum-norm solution with
a :class:`~torchstats.errors.CollinearityWarning`, never a silently wrong one. Columns are
equilibrated by powers of two measured without overflow, so columns of any finite scale
(1e300, 1e-300) are solved as well as unit ones; the models scale a response beyond
``2^±480`` the same way (:func:`response_scale`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from torchstats.errors import CollinearityWarning, warn
from torchstats.solvers.extended import (
    accurate_sum,
    dd_matmul,
    dd_matmul_t,
    split,
    two_prod,
    two_sum,
)
from torchstats.solvers.gram_route import GramFactor, complete_gram, factor_gram
from torchstats.solvers.result import SolverResult
from torchstats.solvers.scaling import column_scale, numerical_rank
from torchstats.structured.block_matrix import BlockMatrix, densify, scale_rows

__all__ = [
    "DraftStep",
    "solve_least_squares",
    "solve_weighted_least_squares",
    "draft_weighted_least_squares",
]

# Scaled condition number above which QR refines with double-double residuals rather than
# float64 ones. Below 1e3 one float64 step already gives 13+ digits on every NIST set;
# above it (Longley, Wampler, Filip) only extended residuals recover the lost digits.
_EXTENDED_REFINEMENT_ABOVE_COND = 1e3
# Below this many multiply-adds (n * k * (k + 1)) the solution is refined with double-double
# residuals whatever the conditioning, so that it is exact to float64 for the data as stored
# (measured on Norris: 14.1 digits against 13.5). The inverse (X'X)^{-1} is refined too only
# for small problems beyond the condition number above. From R alone it keeps every
# certified digit of the well-conditioned NIST sets' standard errors (refining its k columns
# would triple a 100 x 10 fit: 4.4 ms against 1.8 ms), and errs by about cond(X_s) * eps
# otherwise; refining it in double-double costs ~30 elementwise operations per product of
# an n x k x k pass, minutes on large designs (200 000 x 50: 113 s; 2 s without).
_EXTENDED_REFINEMENT_BELOW_WORK = 1 << 22
# "auto" takes QR (with the double-double refinement above) only for designs of fewer
# numbers (n * k) than this, and the Gram route beyond unless the Gram matrix is too
# ill-conditioned. The refinement's elementwise passes cost ~60 operations per number of
# the design, the Gram route one GEMM: a bound on work (n k^2) kept QR for designs of few
# columns and many rows, where it was 5-40x slower than the Gram route and statsmodels
# (1e5 x 4: 133 ms against 3 ms and statsmodels' 20 ms; 1e4 x 10: 17 ms, 1.4 ms, 3.9 ms),
# with the same solution to 1e-16 on well-conditioned data. Below this bound the
# refinement costs under a millisecond and keeps every NIST digit.
_AUTO_QR_BELOW_NUMBERS = 1 << 12
# Up to this many rows the extended residuals are sums of every exact product term at once
# (accurate_sum: about 60 elementwise operations a residual, 0.4 ms -> 0.1 ms at 100 x 10);
# beyond, the double-double matmuls, whose row chunks bound the temporaries. The bound keeps
# accurate_sum's ``L^4 u^3`` term (L = 2n + 1 terms) below 1e-26 of the largest product in
# float64; float32 (u = 2^-24, where that term would reach u) keeps the double-double path.
_ACCURATE_SUM_MAX_ROWS = 1 << 12
# Refinement steps: each gains about -log10(cond * eps) digits; three reach float64 limits
# for any problem with cond * eps < 1e-3.
_MAX_REFINEMENT_STEPS = 4

# Condition number of the equilibrated Gram matrix above which Cholesky hands over to QR:
# Cholesky's error grows like cond(X'X) * eps, so beyond 1e10 fewer than six digits remain
# in float64 (NIST Filip, cond(X'X) ~ 5e19, would get none). Longley (1.4e9) still uses
# Cholesky. In a dtype of larger eps the bound is where cond * eps reaches 1e-3, fewer than
# three digits (float32: 8.4e3; see _max_gram_cond).
_CHOLESKY_MAX_GRAM_COND = 1e10
_CHOLESKY_MAX_GRAM_ERROR = 1e-3
# "auto" keeps the Gram path only while it is as accurate as QR would be: up to 1e8 the
# refined Cholesky solution has 12+ digits in float64 (measured on random designs with
# collinearity dialled in); beyond, QR with double-double refinement is worth its extra
# passes. In a dtype of larger eps, up to cond * eps = 1e-4 (float32: 840; at 4e4 a float32
# Gram solve was 30% off with no warning where QR keeps float32's digits).
_AUTO_MAX_GRAM_COND = 1e8
_AUTO_MAX_GRAM_ERROR = 1e-4
# Intermediate IRLS steps on the Gram route skip the refinement while the equilibrated Gram
# matrix's condition number times the dtype's eps stays below this (float64: cond <= 1e4;
# float32 never): the Cholesky solution then errs by about cond * eps, 12+ digits, and the
# iteration damps what it moves the next iterate.
_GRAM_DRAFT_MAX_ERROR = 1e4 * 2.0**-52


def solve_least_squares(
    X: torch.Tensor | BlockMatrix,
    y: torch.Tensor,
    method: str = "qr",
) -> SolverResult:
    """Solve ``min_b ||y - X b||_2`` and compute ``(X'X)^{-1}``.

    Parameters
    ----------
    X : Tensor or BlockMatrix, shape (n, k)
        Design (already multiplied by ``sqrt(w)`` for weighted problems). A
        :class:`~torchstats.structured.block_matrix.BlockMatrix` (sparse dummies) is solved
        through its Gram matrix; QR and pinv make it dense.
    y : Tensor, shape (n,)
        Response (likewise whitened).
    method : {"auto", "qr", "cholesky", "pinv"}
        See the module docstring.

    Returns
    -------
    SolverResult
        With ``normalized_cov``, ``singular_values`` and ``rank`` set.
    """
    with torch.no_grad():
        if method == "auto":
            return _solve_auto(X, y)
        if method == "qr":
            return _solve_qr(densify(X), y)
        if method == "cholesky":
            return _solve_cholesky(X, y)
        if method == "pinv":
            return _solve_pinv(densify(X), y)
    raise ValueError(f"unknown least-squares method {method!r}")


def _warn_rank_deficient(rank: int, k: int, *, equilibrated: bool = False) -> None:
    solution = "the minimum-norm solution (as statsmodels' pinv)"
    if equilibrated:
        solution = (
            "the minimum-norm solution in the columns' equilibrated units (the columns' "
            "scales differ so much that the unscaled one, statsmodels' pinv, would be "
            "rounding error)"
        )
    warn(
        f"the design matrix is rank deficient (rank {rank} < {k} columns): some parameters are "
        f"not identified; returning {solution}. Drop or combine collinear columns to identify "
        "them.",
        CollinearityWarning,
    )


# --- QR ----------------------------------------------------------------------------------


def _solve_qr(X: torch.Tensor, y: torch.Tensor) -> SolverResult:
    n, k = X.shape
    d = column_scale(X)
    Xs = X / d
    Q, R = torch.linalg.qr(Xs)
    scaled_sv = torch.linalg.svdvals(R)
    rank = numerical_rank(scaled_sv, (n, k))
    if rank < k:
        return _rank_deficient(X, y, method="qr", rank=rank)

    cond = float(scaled_sv[0] / scaled_sv[-1])
    ill_conditioned = cond > _EXTENDED_REFINEMENT_ABOVE_COND
    small = n * k * (k + 1) < _EXTENDED_REFINEMENT_BELOW_WORK
    extended = ill_conditioned or small
    refine_inverse = ill_conditioned and small
    eye = torch.eye(k, dtype=X.dtype, device=X.device)
    if refine_inverse:
        # One system for the solution and for the inverse: [0; e_j] right-hand sides give
        # -(X'X)^{-1} e_j in the lower block (see _refine_augmented).
        top = torch.cat([y[:, None], torch.zeros(n, k, dtype=X.dtype, device=X.device)], dim=1)
        bottom = torch.cat([torch.zeros(k, 1, dtype=X.dtype, device=X.device), eye], dim=1)
    else:
        top, bottom = y[:, None], torch.zeros(k, 1, dtype=X.dtype, device=X.device)
    solution, resid, steps = _refine_augmented(
        Q, R, Xs, top, bottom, extended=extended, zero_bottom=not refine_inverse
    )
    theta = solution[:, 0]
    if refine_inverse:
        inverse = -solution[:, 1:]
        inverse = 0.5 * (inverse + inverse.T)
    else:
        r_inv = torch.linalg.solve_triangular(R, eye, upper=True)
        inverse = r_inv @ r_inv.T
    return SolverResult(
        params=theta / d,
        method="qr",
        n_iter=steps,
        message=f"Householder QR, {steps} refinement step(s) "
        f"({'double-double' if extended else 'float64'} residuals)",
        rank=k,
        normalized_cov=inverse / d[:, None] / d[None, :],
        singular_values=torch.linalg.svdvals(R * d[None, :]),
        resid=resid[:, 0],
        factor=R,
        column_scale=d,
        scaled_normalized_cov=inverse,
    )


def _refine_augmented(
    Q: torch.Tensor,
    R: torch.Tensor,
    X: torch.Tensor,
    top: torch.Tensor,
    bottom: torch.Tensor,
    *,
    extended: bool,
    zero_bottom: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Solve ``[I X; X' 0] [r; x] = [top; bottom]`` by QR with iterative refinement.

    With ``bottom = 0`` this is least squares (``r`` the residual, ``x`` the solution); with
    ``top = 0, bottom = e_j`` it gives ``x = -(X'X)^{-1} e_j``. Residuals of the augmented
    system are computed in double-double when ``extended``, else in float64.
    ``zero_bottom`` declares ``bottom`` zero, which makes the first solve plain QR.

    Returns
    -------
    x : Tensor, shape (k, m)
    r : Tensor, shape (n, m)
    steps : int
        Refinement steps after the initial solve.
    """
    eps = torch.finfo(X.dtype).eps
    x = torch.zeros(X.shape[1], top.shape[1], dtype=X.dtype, device=X.device)
    r = torch.zeros_like(top)
    f, g = top, bottom
    steps = 0
    max_steps = _MAX_REFINEMENT_STEPS if extended else 1
    for step in range(max_steps + 1):
        c = Q.T @ f
        if step == 0 and zero_bottom:  # h = R'^{-1} 0 = 0 exactly: skip its operations
            dx = torch.linalg.solve_triangular(R, c, upper=True)
            dr = f - Q @ c
        else:
            h = torch.linalg.solve_triangular(R.T, g, upper=False)
            dx = torch.linalg.solve_triangular(R, c - h, upper=True)
            dr = Q @ h + (f - Q @ c)
        x = x + dx
        r = r + dr
        steps = step
        if step == max_steps:
            break
        if step > 0:
            small = torch.linalg.vector_norm(
                dx, ord=float("inf"), dim=0
            ) <= 4 * eps * torch.linalg.vector_norm(x, ord=float("inf"), dim=0)
            if bool(small.all()):
                break
        f, g = _augmented_residual(X, top, bottom, x, r, extended=extended)
    return x, r, steps


def _augmented_residual(
    X: torch.Tensor,
    top: torch.Tensor,
    bottom: torch.Tensor,
    x: torch.Tensor,
    r: torch.Tensor,
    *,
    extended: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``f = top - r - X x`` and ``g = bottom - X' r``, optionally in double-double."""
    if not extended:
        return top - r - X @ x, bottom - X.T @ r
    if X.shape[0] <= _ACCURATE_SUM_MAX_ROWS and X.dtype == torch.float64:
        # every product exact as p + e (n, k, m); f sums 2k + 2 terms a row, g 2n + 1
        columns = X[:, :, None]
        parts = split(columns)
        p, e = two_prod(columns, -x[None, :, :], parts)
        f = accurate_sum(torch.cat([top[:, None, :], -r[:, None, :], p, e], dim=1), dim=1)
        p, e = two_prod(columns, -r[:, None, :], parts)
        g = accurate_sum(torch.cat([bottom[None], p, e], dim=0), dim=0)
        return f, g
    xh, xl = dd_matmul(X, x)
    s, e1 = two_sum(top, -r)
    s, e2 = two_sum(s, -xh)
    f = s + ((e1 + e2) - xl)
    gh, gl = dd_matmul_t(X, r)
    s, e = two_sum(bottom, -gh)
    g = s + (e - gl)
    return f, g


# --- Gram (Cholesky) ---------------------------------------------------------------------


def _solve_cholesky(X: torch.Tensor | BlockMatrix, y: torch.Tensor) -> SolverResult:
    return _solve_gram(
        X, y, max_cond=_max_gram_cond("cholesky", X.dtype), method="cholesky", announce=True
    )


def _max_gram_cond(method: str, dtype: torch.dtype) -> float:
    """The largest condition number of the equilibrated Gram matrix that ``method``
    ("auto" or "cholesky") solves by Cholesky in ``dtype``: the float64 bound, or the one
    where ``cond * eps`` reaches the method's error budget if that is smaller."""
    bound, budget = (
        (_AUTO_MAX_GRAM_COND, _AUTO_MAX_GRAM_ERROR)
        if method == "auto"
        else (_CHOLESKY_MAX_GRAM_COND, _CHOLESKY_MAX_GRAM_ERROR)
    )
    return min(bound, budget / torch.finfo(dtype).eps)


def _auto_takes_qr(n: int, k: int) -> bool:
    """Whether ``"auto"`` solves an ``n x k`` design by QR first (see the module)."""
    return n * k < _AUTO_QR_BELOW_NUMBERS


def _solve_auto(X: torch.Tensor | BlockMatrix, y: torch.Tensor) -> SolverResult:
    n, k = X.shape
    if _auto_takes_qr(n, k):
        return _solve_qr(densify(X), y)
    return _solve_gram(
        X, y, max_cond=_max_gram_cond("auto", X.dtype), method="auto", announce=False
    )


def solve_weighted_least_squares(
    X: torch.Tensor | BlockMatrix,
    y: torch.Tensor,
    weights: torch.Tensor,
    method: str = "qr",
    factor: GramFactor | None = None,
) -> SolverResult:
    """Solve ``min_b ||sqrt(w) (y - X b)||_2`` (``w >= 0``) and compute ``(X'WX)^{-1}``.

    ``"cholesky"``, and ``"auto"`` on large problems, never form ``sqrt(w) X``: the
    weighted Gram matrix is built in row chunks and the other passes weight vectors only
    (:mod:`torchstats.solvers.gram_route`); ``factor``, that route's factorisation of this
    same problem (a :class:`DraftStep`'s), is completed instead of computed again. The rest
    whiten and call :func:`solve_least_squares`. ``resid`` is None on the Gram path (the
    whitened residuals otherwise).
    """
    n, k = X.shape
    with torch.no_grad():
        if method == "cholesky" or (method == "auto" and not _auto_takes_qr(n, k)):
            max_cond = _max_gram_cond(method, X.dtype)
            return _solve_gram(
                X,
                y,
                max_cond=max_cond,
                method=method,
                announce=method == "cholesky",
                weights=weights,
                factor=factor,
            )
    root = torch.sqrt(weights)
    return solve_least_squares(scale_rows(X, root), y * root, method)


@dataclass(frozen=True)
class DraftStep:
    """An intermediate step of an outer loop (IRLS), from
    :func:`draft_weighted_least_squares`.

    Attributes
    ----------
    params : Tensor or None, shape (k,)
        The solution to about ``cond * eps``; None where only the full solve will do.
    factor : GramFactor or None
        The Gram route's factorisation of the problem, which
        :func:`solve_weighted_least_squares` completes instead of computing it again.
    """

    params: torch.Tensor | None
    factor: GramFactor | None = None


def draft_weighted_least_squares(
    X: torch.Tensor | BlockMatrix, y: torch.Tensor, weights: torch.Tensor, method: str
) -> DraftStep:
    """The solution of :func:`solve_weighted_least_squares` for an intermediate iterate of
    an outer loop (IRLS), to about ``cond * eps``, where it costs less than the full solve.

    - Householder QR of a small design (``"qr"``, ``"auto"`` below its size bound) with a
      well-conditioned (``cond(X_s) <= 1e3``) equilibrated design of full rank: one
      float64 refinement step, 13+ digits, without the double-double residuals, the
      inverse and the singular values of the full solve (100 x 10: about a quarter of its
      cost).
    - The Gram route of ``"auto"`` on a large float64 design with ``cond(X_s'WX_s) <= 1e4``:
      the Cholesky solution without the refinement step's two passes over the data (12+
      digits); the factor comes with it, so the full solve of the last step only refines.

    Elsewhere (ill-conditioned or rank-deficient designs, ``"cholesky"``, ``"pinv"``) the
    step's ``params`` is None and the caller takes :func:`solve_weighted_least_squares`;
    the loop re-solves its last step with it, so the estimate and its covariance are the
    full solver's.
    """
    n, k = X.shape
    if method == "auto" and not _auto_takes_qr(n, k):
        with torch.no_grad():
            factor = factor_gram(X, y, weights)
        eps = torch.finfo(X.dtype).eps
        if (
            factor is None
            or not factor.positive_definite
            or factor.cond * eps > _GRAM_DRAFT_MAX_ERROR
        ):
            return DraftStep(None, factor)  # the full solve decides (refinement, or QR)
        return DraftStep(factor.params, factor)
    takes_qr = method == "qr" or method == "auto"
    if isinstance(X, BlockMatrix) or not k or not takes_qr:
        return DraftStep(None)
    return DraftStep(_draft_by_qr(X, y, weights))


def _draft_by_qr(X: torch.Tensor, y: torch.Tensor, weights: torch.Tensor) -> torch.Tensor | None:
    """The QR draft of :func:`draft_weighted_least_squares`, or None."""
    n, k = X.shape
    with torch.no_grad():
        root = torch.sqrt(weights)
        Xw = X * root[:, None]
        Q, R = torch.linalg.qr(Xw)
        # The equilibrated design's singular values from R: X_s = X / d has the factor
        # R / d (d the column norms, which R's columns share), no pass over the data. A
        # zero (or non-finite) column becomes a zero one: rank deficient, the full solve's.
        norms = torch.linalg.vector_norm(R, dim=0).clamp(min=torch.finfo(X.dtype).tiny)
        scaled_sv = torch.linalg.svdvals(torch.nan_to_num(R / norms, nan=0.0))
        largest, smallest = scaled_sv[[0, -1]].tolist()  # descending; one host sync
        full_rank = smallest > largest * max(n, k) * torch.finfo(X.dtype).eps  # rank's rule
        if not (full_rank and largest <= _EXTENDED_REFINEMENT_ABOVE_COND * smallest):
            return None
        # the QR solution and one float64 refinement step: at this conditioning the
        # augmented system's refinement would add nothing but operations
        wy = (y * root)[:, None]
        theta = torch.linalg.solve_triangular(R, Q.T @ wy, upper=True)
        step = torch.linalg.solve_triangular(R, Q.T @ (wy - Xw @ theta), upper=True)
        return (theta + step)[:, 0]


def _solve_gram(
    X: torch.Tensor | BlockMatrix,
    y: torch.Tensor,
    *,
    max_cond: float,
    method: str,
    announce: bool,
    weights: torch.Tensor | None = None,
    factor: GramFactor | None = None,
) -> SolverResult:
    """Cholesky of the equilibrated (weighted) Gram matrix (``factor``, when the caller
    has it); Householder QR beyond ``max_cond`` or where a Gram diagonal left float64's
    safe range (columns near its limits, or zero)."""
    factor = factor_gram(X, y, weights) if factor is None else factor
    if factor is None:
        return _solve_qr_of(X, y, weights)
    if not factor.cond <= max_cond or not factor.positive_definite:
        if announce:
            digits = round(-math.log10(max_cond * torch.finfo(y.dtype).eps))
            warn(
                "the Gram matrix X'X is too ill-conditioned for a Cholesky solve (condition "
                f"number about {factor.cond:.1e} after equilibration, which would leave fewer "
                f"than {digits} correct digits in {str(y.dtype).removeprefix('torch.')}); "
                "solving by Householder QR instead",
                CollinearityWarning,
            )
        return _solve_qr_of(X, y, weights)
    return complete_gram(X, y, weights, factor, method)


def _solve_qr_of(
    X: torch.Tensor | BlockMatrix, y: torch.Tensor, weights: torch.Tensor | None
) -> SolverResult:
    """Householder QR of the (whitened) dense design."""
    if weights is None:
        return _solve_qr(densify(X), y)
    root = torch.sqrt(weights)
    return _solve_qr(densify(scale_rows(X, root)), y * root)


# --- pseudo-inverse ------------------------------------------------------------------------

# statsmodels' pinv cutoff: numpy.linalg.pinv's default rcond.
_PINV_RCOND = 1e-15


def _solve_pinv(X: torch.Tensor, y: torch.Tensor) -> SolverResult:
    """SVD of the equilibrated design when it has full rank (the unique solution, without
    the digits unequal column scales cost: NIST Filip 8 against statsmodels' 0); statsmodels'
    minimum-norm ``pinv(X, rcond=1e-15) y`` of the unscaled design otherwise."""
    n, k = X.shape
    d = column_scale(X)
    U, s, Vh = torch.linalg.svd(X / d, full_matrices=False)
    rank = numerical_rank(s, (n, k))
    if rank < k:
        return _rank_deficient(X, y, method="pinv", rank=rank, rcond=_PINV_RCOND)
    V, scaled = Vh.T, X / d
    theta = V @ ((U.T @ y) / s)
    theta = theta + V @ ((U.T @ (y - scaled @ theta)) / s)  # one refinement step
    scaled_inverse = (V / s**2) @ Vh
    params = theta / d
    return SolverResult(
        params=params,
        method="pinv",
        message=f"SVD of the equilibrated design (rank {rank} of {k})",
        rank=rank,
        normalized_cov=scaled_inverse / d[:, None] / d[None, :],
        singular_values=torch.linalg.svdvals(X),
        resid=y - X @ params,
        column_scale=d,
        scaled_normalized_cov=scaled_inverse,
    )


def _rank_deficient(
    X: torch.Tensor, y: torch.Tensor, *, method: str, rank: int, rcond: float | None = None
) -> SolverResult:
    """statsmodels' minimum-norm solution, where the unscaled design's SVD resolves the rank
    found on the equilibrated one; otherwise (columns scaled apart by about 1e8 or more,
    whose unscaled SVD mistakes rounding for a direction of the design) the minimum-norm
    solution of the equilibrated design, scaled back. Warns either way."""
    U, s, Vh = torch.linalg.svd(X, full_matrices=False)
    if numerical_rank(s, (X.shape[0], X.shape[1])) == rank:
        _warn_rank_deficient(rank, X.shape[1])
        return _minimum_norm(X, y, (U, s, Vh), method=method, rank=rank, rcond=rcond)
    _warn_rank_deficient(rank, X.shape[1], equilibrated=True)
    d = column_scale(X)
    scaled = X / d
    found = _minimum_norm(
        scaled, y, torch.linalg.svd(scaled, full_matrices=False), method=method, rank=rank
    )
    assert found.normalized_cov is not None
    return replace(
        found,
        params=found.params / d,
        normalized_cov=found.normalized_cov / d[:, None] / d[None, :],
        singular_values=s,
    )


def _minimum_norm(
    X: torch.Tensor,
    y: torch.Tensor,
    svd: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    *,
    method: str,
    rank: int,
    rcond: float | None = None,
) -> SolverResult:
    """statsmodels' pinv solution: ``pinv(X) y`` and ``pinv(X) pinv(X)'`` from the SVD of X.

    With ``rcond=None`` the singular values beyond the detected ``rank`` are dropped;
    otherwise those below ``rcond * s.max()`` are (numpy's rule).
    """
    U, s, Vh = svd
    if rcond is None:
        keep = torch.arange(s.shape[0], device=s.device) < rank
    else:
        keep = s > rcond * s.max()
    s_inv = torch.where(keep, 1.0 / torch.where(keep, s, torch.ones_like(s)), torch.zeros_like(s))
    pinv = (Vh.T * s_inv) @ U.T
    params = pinv @ y
    return SolverResult(
        params=params,
        method=method,
        message=f"SVD pseudo-inverse (rank {rank} of {X.shape[1]})",
        rank=rank,
        normalized_cov=pinv @ pinv.T,
        singular_values=s,
        resid=y - X @ params,
    )
