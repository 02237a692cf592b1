"""Direct least-squares solvers: Householder QR with refinement, Cholesky, and SVD pseudo-inverse.

All three solve ``min ||y - X b||`` for a (weighted, already whitened) design and return a
:class:`SolverResult` carrying ``(X'X)^{-1}`` as well, which the linear models use as the
inverse of the closed-form Hessian. Choose by how well posed the problem is:

``"auto"`` (default)
    Designs of fewer than 4 096 numbers (NIST-sized: 400 x 10, 100 x 40) by ``"qr"``, exact
    to float64 for the data as stored at a cost below a millisecond; larger ones by
    Cholesky of the equilibrated Gram matrix — one GEMM over the data, no copy of ``X`` —
    as long as its condition number stays below 1e8, else by ``"qr"``. Accurate to 12+
    digits either way.
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
    hands over to QR rather than return a solution with fewer than six digits.
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
from dataclasses import replace

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
from torchstats.solvers.result import SolverResult
from torchstats.structured.blas import gram_matrix, matvec, rmatvec
from torchstats.structured.block_matrix import BlockMatrix, densify, scale_rows
from torchstats.structured.block_matrix import gram as block_gram

__all__ = [
    "solve_least_squares",
    "solve_weighted_least_squares",
    "draft_weighted_least_squares",
    "column_scale",
    "gram_scale",
    "gram_in_range",
    "numerical_rank",
    "response_scale",
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
# (NIST Filip, cond(X'X) ~ 5e19, would get none). Longley (1.4e9) still uses Cholesky.
_CHOLESKY_MAX_GRAM_COND = 1e10
# "auto" keeps the Gram path only while it is as accurate as QR would be: up to 1e8 the
# refined Cholesky solution has 12+ digits (measured on random designs with collinearity
# dialled in); beyond, QR with double-double refinement is worth its extra passes.
_AUTO_MAX_GRAM_COND = 1e8


# Norms (and Gram diagonals, squared) outside [2^-480, 2^480] may have over- or underflowed
# in their sum of squares: such columns are measured again, scaled by their largest entry.
_SAFE_NORM_EXPONENT = 480
# Exponents of the powers of two that float64 represents exactly (subnormals included).
_EXPONENT_RANGE = (-1074, 1023)


def column_scale(X: torch.Tensor) -> torch.Tensor:
    """Power-of-two column scales ``d`` with ``X / d`` having column norms in [0.7, 1.4).

    Powers of two make the scaling exact, so the equilibrated problem has exactly the
    solution of the original one (rescaled); zero columns get scale 1. Columns of any
    finite scale are measured without overflow (1e300) or underflow (1e-300).
    """
    norms = torch.linalg.vector_norm(X, dim=0)
    low, high = 2.0**-_SAFE_NORM_EXPONENT, 2.0**_SAFE_NORM_EXPONENT
    if all(low < value < high for value in norms.tolist()):  # one host sync
        return torch.exp2(torch.round(torch.log2(norms)))
    exponents = _round_log2(norms)
    suspect = ~((norms > 2.0**-_SAFE_NORM_EXPONENT) & (norms < 2.0**_SAFE_NORM_EXPONENT))
    columns = X[:, suspect]
    peak = torch.exp2(torch.floor(_log2(columns.abs().amax(dim=0))))
    exponents[suspect] = _round_log2(torch.linalg.vector_norm(columns / peak, dim=0))
    exponents[suspect] += torch.log2(peak)
    return torch.exp2(exponents.clamp(*_EXPONENT_RANGE))


def response_scale(y: torch.Tensor) -> float:
    """A power of two ``c`` that brings ``y / c`` near one, or 1 when ``y`` is already there.

    Only a response beyond ``2^±480`` in absolute value is scaled: its sums of squares would
    leave float64's range (and the double-double refinement's splitting overflows at 1e300).
    """
    if not y.numel():
        return 1.0
    extremes = torch.aminmax(y)
    peak = max(-float(extremes.min), float(extremes.max))
    if peak == 0 or 2.0**-_SAFE_NORM_EXPONENT < peak < 2.0**_SAFE_NORM_EXPONENT:
        return 1.0
    return 2.0 ** max(_EXPONENT_RANGE[0], min(_EXPONENT_RANGE[1], math.floor(math.log2(peak))))


def _log2(values: torch.Tensor) -> torch.Tensor:
    """``log2`` with zeros (empty or zero columns) mapped to 0."""
    return torch.log2(torch.where(values > 0, values, torch.ones_like(values)))


def _round_log2(values: torch.Tensor) -> torch.Tensor:
    return torch.round(_log2(values))


def numerical_rank(singular_values: torch.Tensor, shape: tuple[int, int]) -> int:
    """Rank by numpy's ``matrix_rank`` rule: ``s > s.max() * max(n, k) * eps``."""
    if singular_values.numel() == 0:
        return 0
    eps = torch.finfo(singular_values.dtype).eps
    tol = singular_values.max() * max(shape) * eps
    return int((singular_values > tol).sum())


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
    return _solve_gram(X, y, max_cond=_CHOLESKY_MAX_GRAM_COND, method="cholesky", announce=True)


def _auto_takes_qr(n: int, k: int) -> bool:
    """Whether ``"auto"`` solves an ``n x k`` design by QR first (see the module)."""
    return n * k < _AUTO_QR_BELOW_NUMBERS


def _solve_auto(X: torch.Tensor | BlockMatrix, y: torch.Tensor) -> SolverResult:
    n, k = X.shape
    if _auto_takes_qr(n, k):
        return _solve_qr(densify(X), y)
    return _solve_gram(X, y, max_cond=_AUTO_MAX_GRAM_COND, method="auto", announce=False)


def solve_weighted_least_squares(
    X: torch.Tensor | BlockMatrix, y: torch.Tensor, weights: torch.Tensor, method: str = "qr"
) -> SolverResult:
    """Solve ``min_b ||sqrt(w) (y - X b)||_2`` (``w >= 0``) and compute ``(X'WX)^{-1}``.

    ``"cholesky"``, and ``"auto"`` on large problems, never form ``sqrt(w) X``: the
    weighted Gram matrix is built in row chunks and the other passes weight vectors only.
    The rest whiten and call :func:`solve_least_squares`. ``resid`` is None on the Gram
    path (the whitened residuals otherwise).
    """
    n, k = X.shape
    with torch.no_grad():
        if method == "cholesky" or (method == "auto" and not _auto_takes_qr(n, k)):
            max_cond = _AUTO_MAX_GRAM_COND if method == "auto" else _CHOLESKY_MAX_GRAM_COND
            return _solve_gram(
                X,
                y,
                max_cond=max_cond,
                method=method,
                announce=method == "cholesky",
                weights=weights,
            )
    root = torch.sqrt(weights)
    return solve_least_squares(scale_rows(X, root), y * root, method)


def draft_weighted_least_squares(
    X: torch.Tensor | BlockMatrix, y: torch.Tensor, weights: torch.Tensor, method: str
) -> torch.Tensor | None:
    """The solution of :func:`solve_weighted_least_squares` for an intermediate iterate of
    an outer loop (IRLS), to about ``cond * eps``; None where only the full solve will do.

    Where ``method`` would take Householder QR of a small design (``"qr"``, ``"auto"``
    below its size bound) and the equilibrated design is well conditioned
    (``cond(X_s) <= 1e3``) and of full rank, the solution takes one float64 refinement
    step: 13+ digits, without the double-double residuals, the inverse and the singular
    values of the full solve (100 x 10: about a quarter of its cost). Everywhere else
    (large, ill-conditioned or rank-deficient designs, other methods) it returns None and
    the caller takes :func:`solve_weighted_least_squares`; the loop re-solves its last
    step with it, so the estimate and its covariance are the full solver's.
    """
    n, k = X.shape
    takes_qr = method == "qr" or (method == "auto" and _auto_takes_qr(n, k))
    if isinstance(X, BlockMatrix) or not k or not takes_qr:
        return None
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
) -> SolverResult:
    """Cholesky of the equilibrated (weighted) Gram matrix; Householder QR beyond ``max_cond``.

    ``X`` is read, never copied: ``X'WX`` (one GEMM or SYRK), then ``X'Wy``, ``X b`` and
    ``X'Wr`` (GEMVs) for the solution and one refinement step, and for unweighted
    problems ``X b`` again for the residuals (weighted callers, IRLS, do not use them).
    """
    k = X.shape[1]
    gram = block_gram(X) if weights is None else _weighted_gram(X, weights)
    if not gram_in_range(gram):  # columns near float64's limits (or zero): from the columns
        return _solve_qr_of(X, y, weights)
    d = gram_scale(gram)
    gram_scaled = gram / d[:, None] / d[None, :]
    eigenvalues = torch.linalg.eigvalsh(gram_scaled)
    L, info = torch.linalg.cholesky_ex(gram_scaled)
    cond = float(eigenvalues[-1] / eigenvalues[0].clamp(min=torch.finfo(X.dtype).tiny))
    if not cond <= max_cond or int(info) != 0:
        if announce:
            warn(
                "the Gram matrix X'X is too ill-conditioned for a Cholesky solve (condition "
                f"number about {cond:.1e} after equilibration, which would leave fewer than 6 "
                "correct digits); solving by Householder QR instead",
                CollinearityWarning,
            )
        return _solve_qr_of(X, y, weights)

    def weighted(v: torch.Tensor) -> torch.Tensor:
        return v if weights is None else weights * v

    theta = torch.cholesky_solve((rmatvec(X, weighted(y)) / d)[:, None], L)[:, 0]
    # One refinement step on the semi-normal equations (Björck's corrected semi-normal
    # equations): two GEMV passes, about a third of the Gram's cost, for 2-3 more digits.
    # y - X b as -(X b) + y: the same numbers, one (n,) temporary instead of two
    step = torch.neg_(matvec(X, theta / d)).add_(y)
    theta = theta + torch.cholesky_solve((rmatvec(X, weighted(step)) / d)[:, None], L)[:, 0]
    resid = torch.neg_(matvec(X, theta / d)).add_(y) if weights is None else None
    eye = torch.eye(k, dtype=X.dtype, device=X.device)
    inverse = torch.cholesky_solve(eye, L)
    return SolverResult(
        params=theta / d,
        method=method,
        n_iter=1,
        message=f"Cholesky of the equilibrated X'X (condition number {cond:.1e}), "
        "one refinement step",
        rank=k,
        normalized_cov=inverse / d[:, None] / d[None, :],
        singular_values=torch.sqrt(torch.linalg.eigvalsh(gram).clamp(min=0)).flip(0),
        resid=resid,
        factor=L.T,
        column_scale=d,
        scaled_normalized_cov=inverse,
    )


def _solve_qr_of(
    X: torch.Tensor | BlockMatrix, y: torch.Tensor, weights: torch.Tensor | None
) -> SolverResult:
    """Householder QR of the (whitened) dense design."""
    if weights is None:
        return _solve_qr(densify(X), y)
    root = torch.sqrt(weights)
    return _solve_qr(densify(scale_rows(X, root)), y * root)


def _weighted_gram(X: torch.Tensor | BlockMatrix, weights: torch.Tensor) -> torch.Tensor:
    if isinstance(X, BlockMatrix):
        return X.gram(weights)
    return gram_matrix(X, weights)


def gram_scale(gram: torch.Tensor) -> torch.Tensor:
    """Power-of-two scales from the Gram diagonal, as :func:`column_scale` from the columns."""
    return torch.exp2(_round_log2(torch.sqrt(torch.diagonal(gram))))


def gram_in_range(gram: torch.Tensor) -> bool:
    """Whether no diagonal entry of ``X'X`` over- or underflowed (nor a column is zero):
    else the design is equilibrated from its columns (:func:`column_scale`) instead."""
    diagonal = torch.diagonal(gram)
    low, high = 2.0 ** (-2 * _SAFE_NORM_EXPONENT), 2.0 ** (2 * _SAFE_NORM_EXPONENT)
    return bool(((diagonal > low) & (diagonal < high)).all())


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
