"""Least squares through the Gram matrix: Cholesky of the equilibrated ``X'WX``.

The route of ``"cholesky"`` and of ``"auto"`` on large designs (see
:mod:`torchstats.solvers.least_squares`), in two steps that an outer loop (IRLS) can take
apart:

1. :func:`factor_gram`: ``X'WX`` (no copy of ``X``) and ``X'Wy``, power-of-two
   equilibration, its eigenvalues (the condition number that decides whether
   this route is accurate enough) and Cholesky factor, and the first solution;
2. :func:`complete_gram`: one refinement step on the semi-normal equations (Björck's
   corrected semi-normal equations: two passes, 2-3 more digits), the residuals of an
   unweighted problem, ``(X'WX)^{-1}`` and the singular values.

The first step alone solves to about ``cond(X_s'WX_s) * eps``: IRLS takes it for its
intermediate iterates and completes the last one from the same factor, so the estimate is
the full solver's and no iteration pays for a refinement it does not need.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from torchstats.solvers.result import SolverResult
from torchstats.solvers.scaling import gram_in_range, gram_scale
from torchstats.structured.blas import gram_matrix, matvec, rmatvec
from torchstats.structured.block_matrix import BlockMatrix
from torchstats.structured.block_matrix import gram as block_gram

__all__ = ["GramFactor", "complete_gram", "factor_gram"]


@dataclass(frozen=True)
class GramFactor:
    """The factored (weighted) Gram matrix of one least-squares problem and its first
    solution.

    Attributes
    ----------
    gram : Tensor, shape (k, k)
        ``X'WX`` (``X'X`` without weights).
    scale : Tensor, shape (k,)
        Power-of-two column scales ``d`` of the equilibrated ``D^-1 X'WX D^-1``.
    cholesky : Tensor, shape (k, k)
        Its lower Cholesky factor (meaningful only when ``positive_definite``).
    positive_definite : bool
        Whether the Cholesky factorisation succeeded.
    cond : float
        The equilibrated Gram matrix's condition number (from its eigenvalues).
    scaled_params : Tensor, shape (k,)
        The solution from the factor before refinement, in the equilibrated units
        (``params * scale``; when ``positive_definite``).
    """

    gram: torch.Tensor
    scale: torch.Tensor
    cholesky: torch.Tensor
    positive_definite: bool
    cond: float
    scaled_params: torch.Tensor

    @property
    def params(self) -> torch.Tensor:
        """The solution before refinement, shape (k,)."""
        return self.scaled_params / self.scale


def factor_gram(
    X: torch.Tensor | BlockMatrix, y: torch.Tensor, weights: torch.Tensor | None
) -> GramFactor | None:
    """Step 1 (see the module): None when a Gram diagonal left float64's safe range (a
    zero column, or columns near the limits), where only QR of the columns will do."""
    if weights is None:
        gram = block_gram(X)
    else:
        gram = X.gram(weights) if isinstance(X, BlockMatrix) else gram_matrix(X, weights)
    if not gram_in_range(gram):
        return None
    moment = rmatvec(X, y if weights is None else weights * y)
    d = gram_scale(gram, in_range=True)
    scaled = gram / d[:, None] / d[None, :]
    eigenvalues = torch.linalg.eigvalsh(scaled)
    L, info = torch.linalg.cholesky_ex(scaled)
    cond = float(eigenvalues[-1] / eigenvalues[0].clamp(min=torch.finfo(X.dtype).tiny))
    theta = torch.cholesky_solve((moment / d)[:, None], L)[:, 0]
    return GramFactor(gram, d, L, int(info) == 0, cond, theta)


def complete_gram(
    X: torch.Tensor | BlockMatrix,
    y: torch.Tensor,
    weights: torch.Tensor | None,
    factor: GramFactor,
    method: str,
) -> SolverResult:
    """Step 2 (see the module) from a positive definite ``factor`` of the same problem.

    ``resid`` is set for unweighted problems only (weighted callers, IRLS, do not use it).
    """
    k = X.shape[1]
    d, L = factor.scale, factor.cholesky
    theta = factor.scaled_params

    def weighted(v: torch.Tensor) -> torch.Tensor:
        return v if weights is None else weights * v

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
        message=f"Cholesky of the equilibrated X'X (condition number {factor.cond:.1e}), "
        "one refinement step",
        rank=k,
        normalized_cov=inverse / d[:, None] / d[None, :],
        singular_values=torch.sqrt(torch.linalg.eigvalsh(factor.gram).clamp(min=0)).flip(0),
        resid=resid,
        factor=L.T,
        column_scale=d,
        scaled_normalized_cov=inverse,
    )
