"""Leverages (the diagonal of the hat matrix) from an orthonormal basis of the design.

``h_i = x_i' (X'X)^{-1} x_i`` formed with the inverse cancels: its terms are up to
``cond(X)^2`` times the result, and on Longley (``cond(X) = 5e9``) the leverages keep 8
digits (statsmodels' pseudo-inverse route 11); every measure that divides by ``1 - h_i``
inherits the error, and so do HC sandwiches formed as ``bread @ meat @ bread``. Here
``h_i = ||z_i||^2``, the squared row norms of an orthonormal basis ``Z = sqrt(w) X M`` of the
column space of the (weighted) design: a sum of squares, with no cancellation. ``M`` also
gives ``(X'WX)^{-1} = M M'``, so the HC covariances and the columns ``(X'WX)^{-1} x_i`` of the
pseudo-inverse are formed in the same basis (:mod:`torchstats.covariance.least_squares`,
:mod:`torchstats.results.influence`).

``M = D^{-1} R^{-1}`` from a triangular factor ``R`` of the column-equilibrated design
``X_s = sqrt(w) X / D`` (the solver's, or one computed here), then, unless ``Z`` is already
orthonormal to 2e-13 (``cond(R)^2 eps`` below that: one pass), one more Cholesky QR pass
``M <- M R_2^{-1}`` with ``R_2`` the Cholesky factor of ``Z'Z`` (CholeskyQR2). Since any
nonsingular ``M`` spans the column space exactly, the error is that of forming ``Z``:

- small designs (``n k (k + 1)`` below ``2^22``) beyond ``cond(X_s) = 1e3`` form
  ``Z = X_s R^{-1}`` in double-double, so it is exactly rounded: the leverages are exact to
  a few ulps (Longley: 2e-16 against exact rational arithmetic);
- otherwise ``Z`` is formed in float64 by row blocks (one GEMM each, no copy of ``X``), with
  an error of about ``cond(X_s) eps`` relative to ``||z_i||``; Householder QR's own ``Q`` is
  no better (measured: 10 to 100 times worse). ``R`` is the solver's factor, or the
  Cholesky factor of the equilibrated Gram matrix while that is below 1e12 (CholeskyQR2
  needs ``cond(X_s)^2 eps`` well below one), else Householder's.
- rank-deficient designs take the left singular vectors of the detected rank (the hat
  matrix is the projector onto the column space, which statsmodels forms with ``pinv``).

An observation with leverage one is reproduced exactly by the fit (a dummy column that is
one on that row only): ``1 - h_i = 0`` and everything divided by it is undefined.
:func:`leverage_one` finds such rows, as R's ``lm.influence`` does (``h > 1 - 10 eps``), and
:func:`describe_leverage_one` names them for the warnings.

Reference: Yamamoto, Nakatsukasa, Yanagisawa & Fukaya (2015), "Roundoff error analysis of
the CholeskyQR2 algorithm", *Electronic Transactions on Numerical Analysis* 44.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import torch

from torchstats.solvers.extended import dd_matmul
from torchstats.solvers.scaling import column_scale as equilibrating_scale
from torchstats.solvers.scaling import gram_scale, numerical_rank
from torchstats.structured.blas import gram_matrix, product, squared_row_norms
from torchstats.structured.block_matrix import BlockMatrix, densify, gram, row_blocks

__all__ = [
    "OrthonormalBasis",
    "orthonormal_basis",
    "hat_diagonal",
    "leverage_one",
    "describe_leverage_one",
]

# Below this many multiply-adds (n k (k + 1)) a design is small: its factor comes from
# Householder QR and, ill-conditioned, its basis is formed in double-double (the solvers
# refine in double-double below the same bound).
_SMALL_BELOW_WORK = 1 << 22
# Beyond this condition number of a small equilibrated design, Z = X_s R^{-1} is formed in
# double-double (exact, then rounded), since float64 products would err by cond * eps
# (the solvers refine in double-double beyond the same bound).
_EXTENDED_ABOVE_COND = 1e3
# One pass of Cholesky QR leaves Z orthonormal to about cond(X_s'X_s) * eps: up to 1e3 that
# is 2.2e-13 and h keeps 12 digits; beyond, the second pass (CholeskyQR2) reads the data
# once more (a GEMM and a Gram per row block).
_ONE_PASS_MAX_GRAM_COND = 1e3
# CholeskyQR2 needs cond(X_s)^2 eps well below one (the Cholesky factor of Z'Z must exist and
# be accurate); beyond cond(X_s'X_s) = 1e12 the large route takes Householder QR instead.
_CHOLESKY_QR_MAX_GRAM_COND = 1e12
# R's lm.influence: "hat[hat > 1 - 10 * .Machine$double.eps] <- 1".
_LEVERAGE_ONE_EPS = 10


@dataclass(frozen=True, slots=True)
class OrthonormalBasis:
    """An orthonormal basis ``Z = sqrt(w) X M`` of the column space of a weighted design.

    Attributes
    ----------
    transform : Tensor, shape (k, k)
        ``M``; ``(X'WX)^{-1} = M M'``.
    rows : Tensor or None, shape (n, k)
        ``Z`` itself when it was formed (in double-double, for a small ill-conditioned
        design); None when its rows are formed by blocks as ``sqrt(w) X M``.
    well_conditioned : bool
        ``cond(X_s)^2 eps`` is below 2.2e-13, so that formulas through ``(X'WX)^{-1}`` (a
        sandwich ``bread @ meat @ bread``) keep 12 digits too and may be used instead.
    """

    transform: torch.Tensor
    rows: torch.Tensor | None = None
    well_conditioned: bool = False

    def blocks(
        self, X: torch.Tensor | BlockMatrix, weights: torch.Tensor | None
    ) -> Iterator[tuple[int, torch.Tensor, torch.Tensor | None]]:
        """Row blocks ``(start, U, w)`` of the basis of ``X`` with ``Z = sqrt(w) U``.

        ``U = Z[start:start + m]`` and ``w`` None when ``Z`` is held; otherwise
        ``U = X[start:start + m] M`` and ``w`` the weights of those rows (None unweighted):
        the weights are applied to row vectors, never to a block. ``U`` is overwritten by
        the next block: use it before asking for the next.
        """
        if self.rows is not None:
            yield 0, self.rows, None
            return
        buffer: torch.Tensor | None = None  # U of each block in turn (valid until the next)
        M = self.transform.contiguous()  # row-major: numpy's GEMM is a third faster
        for start, block in row_blocks(X):
            m = block.shape[0]
            if buffer is None or buffer.shape[0] < m:
                buffer = torch.empty(m, M.shape[1], dtype=M.dtype, device=M.device)
            U = product(block, M, out=buffer[:m])
            yield start, U, None if weights is None else weights[start : start + m]

    def pseudo_inverse_rows(
        self, X: torch.Tensor | BlockMatrix, weights: torch.Tensor | None
    ) -> torch.Tensor:
        """Rows ``b_i' = z_i M'``, shape (n, k): ``b_i = (X'WX)^{-1} sqrt(w_i) x_i`` is column
        ``i`` of ``pinv(sqrt(w) X)``, without the cancellation of ``x_i' (X'WX)^{-1}``."""
        M = self.transform
        out = torch.empty(X.shape[0], M.shape[0], dtype=M.dtype, device=M.device)
        for start, U, w in self.blocks(X, weights):
            rows = product(U, M.T)
            out[start : start + U.shape[0]] = rows if w is None else torch.sqrt(w)[:, None] * rows
        return out


def orthonormal_basis(
    X: torch.Tensor | BlockMatrix,
    weights: torch.Tensor | None = None,
    *,
    factor: torch.Tensor | None = None,
    column_scale: torch.Tensor | None = None,
) -> OrthonormalBasis | None:
    """An orthonormal basis of ``sqrt(w) X`` (see the module docstring for the routes).

    Parameters
    ----------
    X : Tensor or BlockMatrix, shape (n, k)
        The design, not whitened.
    weights : Tensor, shape (n,), optional
        Non-negative weights ``w``.
    factor, column_scale : Tensor, shapes (k, k) and (k,), optional
        An upper-triangular ``R`` with ``sqrt(w) X / column_scale = Q R`` (a solver's QR or
        Cholesky factor); computed when not given.

    Returns
    -------
    OrthonormalBasis or None
        None when the design is rank deficient (numpy's ``matrix_rank`` rule).
    """
    n, k = X.shape
    small = n * k * (k + 1) < _SMALL_BELOW_WORK
    if factor is None or column_scale is None:
        factor, column_scale = (None, None) if small else _gram_factor(X, weights)
        if factor is None or column_scale is None:
            factor, column_scale = _householder_factor(X, weights)
    singular = torch.linalg.svdvals(factor)
    if numerical_rank(singular, (n, k)) < k:
        return None
    eye = torch.eye(k, dtype=factor.dtype, device=factor.device)
    inverse = torch.linalg.solve_triangular(factor, eye, upper=True)
    cond = float(singular[0] / singular[-1])
    if cond**2 <= _ONE_PASS_MAX_GRAM_COND:
        return OrthonormalBasis(inverse / column_scale[:, None], well_conditioned=True)
    if small and cond > _EXTENDED_ABOVE_COND:  # Z = X_s R^{-1} exactly rounded
        scaled = _whitened_dense(X, weights) / column_scale
        high, low = dd_matmul(scaled, inverse)
        first = high + low
        correction = _second_factor_inverse(gram_matrix(first))
        assert correction is not None  # first is orthonormal to about cond(X_s) eps
        return OrthonormalBasis(inverse @ correction / column_scale[:, None], first @ correction)
    once = OrthonormalBasis(inverse / column_scale[:, None])
    second = torch.zeros(k, k, dtype=factor.dtype, device=factor.device)
    for _, U, w in once.blocks(X, weights):
        second += gram_matrix(U, w)
    correction = _second_factor_inverse(second)
    if correction is None:  # a Gram-derived R too ill-conditioned for CholeskyQR2
        R, d = _householder_factor(X, weights)
        return orthonormal_basis(X, weights, factor=R, column_scale=d)
    return OrthonormalBasis(once.transform @ correction)


def _second_factor_inverse(gram: torch.Tensor) -> torch.Tensor | None:
    """``R_2^{-1}`` with ``R_2`` the Cholesky factor of ``Z'Z``; None if it does not exist."""
    L, info = torch.linalg.cholesky_ex(gram)
    if int(info) != 0:
        return None
    eye = torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device)
    return torch.linalg.solve_triangular(L.T, eye, upper=True)


def hat_diagonal(
    X: torch.Tensor | BlockMatrix,
    weights: torch.Tensor | None = None,
    *,
    rank: int | None = None,
    factor: torch.Tensor | None = None,
    column_scale: torch.Tensor | None = None,
    basis: OrthonormalBasis | None = None,
) -> torch.Tensor:
    """Leverages ``h_i`` of the design ``sqrt(w) X``: squared row norms of an orthonormal
    basis (the left singular vectors of the numerical rank when rank deficient).

    Parameters
    ----------
    X : Tensor or BlockMatrix, shape (n, k)
        The design, not whitened.
    weights : Tensor, shape (n,), optional
        Non-negative weights ``w`` (WLS weights, IRLS working weights).
    rank : int, optional
        The numerical rank if known (a solver's); detected otherwise.
    factor, column_scale : Tensor, shapes (k, k) and (k,), optional
        As for :func:`orthonormal_basis`.
    basis : OrthonormalBasis, optional
        :func:`orthonormal_basis`'s result, if already computed.

    Returns
    -------
    Tensor, shape (n,)
        In ``[0, 1]`` up to rounding; ``sum(h) = rank``.
    """
    n, k = X.shape
    if basis is None and (rank is None or rank == k):
        basis = orthonormal_basis(X, weights, factor=factor, column_scale=column_scale)
    if basis is None:
        return _singular_vector_leverage(X, weights, rank)
    out = torch.empty(n, dtype=basis.transform.dtype, device=basis.transform.device)
    for start, U, _ in basis.blocks(X, weights):
        squared_row_norms(U, out=out[start : start + U.shape[0]])
    return out if weights is None or basis.rows is not None else weights * out


def _whitened_dense(X: torch.Tensor | BlockMatrix, weights: torch.Tensor | None) -> torch.Tensor:
    dense = densify(X)
    return dense if weights is None else torch.sqrt(weights)[:, None] * dense


def _householder_factor(
    X: torch.Tensor | BlockMatrix, weights: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``R`` (Householder) and ``d`` with ``sqrt(w) X / d = Q R``."""
    dense = _whitened_dense(X, weights)
    d = equilibrating_scale(dense)
    return torch.linalg.qr(dense / d, mode="r")[1], d


def _gram_factor(
    X: torch.Tensor | BlockMatrix, weights: torch.Tensor | None
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """The Cholesky factor ``R`` and scales ``d`` of the equilibrated Gram matrix; None
    where it is too ill-conditioned for Cholesky QR."""
    weighted = gram(X, weights)
    d = gram_scale(weighted)
    scaled = weighted / d[:, None] / d[None, :]
    eigenvalues = torch.linalg.eigvalsh(scaled)
    L, info = torch.linalg.cholesky_ex(scaled)
    if int(info) != 0 or not float(eigenvalues[-1] / eigenvalues[0]) <= _CHOLESKY_QR_MAX_GRAM_COND:
        return None, None
    return L.T, d


def _singular_vector_leverage(
    X: torch.Tensor | BlockMatrix, weights: torch.Tensor | None, rank: int | None
) -> torch.Tensor:
    """Row sums of ``U_r**2``, ``U_r`` the left singular vectors of the numerical rank."""
    dense = _whitened_dense(X, weights)
    dense = dense / equilibrating_scale(dense)
    U, singular, _ = torch.linalg.svd(dense, full_matrices=False)
    if rank is None:
        rank = numerical_rank(singular, (dense.shape[0], dense.shape[1]))
    return (U[:, :rank] ** 2).sum(dim=1)


def leverage_one(h: torch.Tensor) -> torch.Tensor:
    """Mask of the observations with leverage one to rounding (``h > 1 - 10 eps``, R's rule)."""
    return h > 1 - _LEVERAGE_ONE_EPS * torch.finfo(h.dtype).eps


def describe_leverage_one(mask: torch.Tensor, row_labels: pd.Index | None, limit: int = 5) -> str:
    """``"observation 'r5' has leverage one"``, or ``"3 observations (2, 7, 9) have ..."``.

    Rows are named by their labels in the data (positions when the input had none); labels
    of a :class:`pandas.MultiIndex` with named levels read ``(chunk 0, row 3)``.
    """
    positions = torch.nonzero(mask).reshape(-1).tolist()
    labels = list(row_labels[positions]) if row_labels is not None else positions
    if isinstance(row_labels, pd.MultiIndex) and all(row_labels.names):
        names = list(row_labels.names)
        texts = [
            "(" + ", ".join(f"{n} {v}" for n, v in zip(names, label)) + ")" for label in labels
        ]
    else:
        texts = [repr(label) for label in labels]
    shown = ", ".join(texts[:limit])
    if len(texts) > limit:
        shown += f", ... ({len(texts) - limit} more)"
    if len(texts) == 1:
        return f"observation {shown} has leverage one"
    return f"{len(texts)} observations ({shown}) have leverage one"
