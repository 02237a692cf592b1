"""Design matrices with a dense block and a sparse block (dummies of many-level factors).

A 1000-level factor at a million rows would be an 8 GB dense matrix of which 99.9% is zero,
and statsmodels decomposes it as such. A :class:`BlockMatrix` keeps the numeric columns
dense and the dummy columns as a torch sparse (COO) matrix, in statsmodels' column order,
and offers what the least-squares path needs — ``X @ b``, ``X' v``, ``X'WX``, row scaling,
group sums and dense row blocks — at the cost of the non-zeros. The dummy blocks of the
Gram matrix are then sums over the levels (``S'S`` is diagonal for one factor), as the
group sums they are.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import torch

from torchstats.errors import DesignError
from torchstats.structured.blas import gram_matrix

__all__ = [
    "DENSE_LIMIT_BYTES",
    "BlockMatrix",
    "dense_within_limit",
    "densify",
    "gram",
    "group_sums",
    "row_blocks",
    "row_quadratic",
    "scale_rows",
    "select_rows",
]

# Rows handled at once when a computation needs dense rows (leverages, scores for cluster
# and HAC meats): 2^14 rows x 1000 columns is 128 MB in float64.
_ROW_BLOCK = 1 << 14
# Dense row blocks are views, and the temporaries made from them (a block's scores, or
# X A) stay near this size, mostly in cache. Measured on 1e6 x 50 against forming the
# (n, k) temporaries at once: leverages 0.30 s against 0.48, cluster sums 0.13 against
# 0.35, HAC (two lags) 0.92 against 0.78; 64 MB blocks: 0.55, 0.32 and 0.89.
_DENSE_BLOCK_BYTES = 16 << 20
#: Largest dense copy of a design with sparse dummies that code needing all its rows at once
#: (autograd through per-row work, per-group padding, ``(n, k)`` influence measures) may
#: make: 2 GiB, sixteen times the 128 MB of dense dummies above which a formula keeps them
#: sparse (e.g. 1000 dummy columns at 268,000 rows in float64). Larger designs raise
#: ``DesignError`` naming the fix.
DENSE_LIMIT_BYTES = 1 << 31


class BlockMatrix:
    """``X`` with columns ``dense_index`` held densely and ``sparse_index`` sparsely.

    Parameters
    ----------
    dense : Tensor, shape (n, p)
        The dense columns.
    sparse : Tensor (sparse COO, coalesced), shape (n, q)
        The sparse columns.
    dense_index, sparse_index : Tensor of int64
        Positions of the two blocks' columns in ``X`` (together a permutation of ``0..k-1``).
    """

    def __init__(
        self,
        dense: torch.Tensor,
        sparse: torch.Tensor,
        dense_index: torch.Tensor,
        sparse_index: torch.Tensor,
    ) -> None:
        self.dense = dense
        self.sparse = sparse.coalesce()
        self.dense_index = dense_index.to(dense.device)
        self.sparse_index = sparse_index.to(dense.device)
        self._sparse_t = self.sparse.t().coalesce()
        n = dense.shape[0]
        self.shape = torch.Size((n, dense.shape[1] + self.sparse.shape[1]))

    @property
    def dtype(self) -> torch.dtype:
        return self.dense.dtype

    @property
    def device(self) -> torch.device:
        return self.dense.device

    @property
    def T(self) -> _Transposed:  # noqa: N802 - mirrors Tensor.T
        return _Transposed(self)

    def __matmul__(self, other: torch.Tensor) -> torch.Tensor:
        """``X @ b`` for ``b`` of shape (k,) or (k, m)."""
        vector = other.ndim == 1
        rhs = other[:, None] if vector else other
        out = self.dense @ rhs[self.dense_index]
        out = out + torch.sparse.mm(self.sparse, rhs[self.sparse_index])
        return out[:, 0] if vector else out

    def rmatmul(self, values: torch.Tensor) -> torch.Tensor:
        """``X' v`` for ``v`` of shape (n,) or (n, m)."""
        vector = values.ndim == 1
        rhs = values[:, None] if vector else values
        out = torch.empty(self.shape[1], rhs.shape[1], dtype=self.dtype, device=self.device)
        out[self.dense_index] = self.dense.T @ rhs
        out[self.sparse_index] = torch.sparse.mm(self._sparse_t, rhs)
        return out[:, 0] if vector else out

    def gram(self, weights: torch.Tensor | None = None) -> torch.Tensor:
        """``X' diag(w) X`` (``w = 1`` by default), shape (k, k), in column order."""
        scaled = self if weights is None else self.scale_rows(weights)
        k = self.shape[1]
        out = torch.empty(k, k, dtype=self.dtype, device=self.device)
        d, s = self.dense_index, self.sparse_index
        out[d[:, None], d[None, :]] = gram_matrix(self.dense, weights)
        cross = torch.sparse.mm(scaled._sparse_t, self.dense)
        out[s[:, None], d[None, :]] = cross
        out[d[:, None], s[None, :]] = cross.T
        with warnings.catch_warnings():  # torch routes sparse @ sparse through "beta" CSR
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            dummies = torch.sparse.mm(scaled._sparse_t, self.sparse).to_dense()
        out[s[:, None], s[None, :]] = dummies
        return out

    def scale_rows(self, factors: torch.Tensor) -> BlockMatrix:
        """``diag(f) X``."""
        rows = self.sparse.indices()[0]
        sparse = torch.sparse_coo_tensor(
            self.sparse.indices(),
            self.sparse.values() * factors[rows],
            self.sparse.shape,
            check_invariants=False,
            is_coalesced=True,
        )
        return BlockMatrix(
            self.dense * factors[:, None], sparse, self.dense_index, self.sparse_index
        )

    def select_rows(self, positions: torch.Tensor) -> BlockMatrix:
        """The rows ``positions`` (int64, shape (m,)), still with sparse dummies."""
        positions = positions.to(self.device)
        return BlockMatrix(
            self.dense[positions],
            self.sparse.index_select(0, positions),
            self.dense_index,
            self.sparse_index,
        )

    def sum(self, dim: int = 0) -> torch.Tensor:
        """Column sums (``dim=0`` only)."""
        if dim != 0:
            raise ValueError("BlockMatrix.sum supports dim=0 only")
        return self.rmatmul(torch.ones(self.shape[0], dtype=self.dtype, device=self.device))

    def nonfinite_columns(self) -> torch.Tensor:
        """Boolean mask of the columns holding NaN or inf."""
        mask = torch.zeros(self.shape[1], dtype=torch.bool, device=self.device)
        mask[self.dense_index] = (~torch.isfinite(self.dense)).any(dim=0)
        bad = ~torch.isfinite(self.sparse.values())
        if bool(bad.any()):
            mask[self.sparse_index[self.sparse.indices()[1][bad]]] = True
        return mask

    def row_blocks(self, size: int = _ROW_BLOCK) -> Iterator[tuple[int, torch.Tensor]]:
        """Dense row blocks ``(start, X[start:start+size])`` in column order."""
        rows, cols = self.sparse.indices()
        values = self.sparse.values()
        for start in range(0, self.shape[0], size):
            stop = min(start + size, self.shape[0])
            block = torch.zeros(stop - start, self.shape[1], dtype=self.dtype, device=self.device)
            block[:, self.dense_index] = self.dense[start:stop]
            inside = (rows >= start) & (rows < stop)
            block[rows[inside] - start, self.sparse_index[cols[inside]]] = values[inside]
            yield start, block

    def group_sums(self, codes: torch.Tensor, n_groups: int, weights: torch.Tensor) -> torch.Tensor:
        """``sum_{i in g} w_i x_i`` for each group ``g``, shape (G, k)."""
        out = torch.zeros(n_groups, self.shape[1], dtype=self.dtype, device=self.device)
        out[:, self.dense_index] = torch.zeros(
            n_groups, self.dense.shape[1], dtype=self.dtype, device=self.device
        ).index_add_(0, codes, self.dense * weights[:, None])
        rows, cols = self.sparse.indices()
        flat = torch.zeros(n_groups * self.sparse.shape[1], dtype=self.dtype, device=self.device)
        flat.index_add_(
            0, codes[rows] * self.sparse.shape[1] + cols, self.sparse.values() * weights[rows]
        )
        out[:, self.sparse_index] = flat.reshape(n_groups, self.sparse.shape[1])
        return out

    def to_dense(self) -> torch.Tensor:
        """The full ``(n, k)`` matrix (what this class exists to avoid)."""
        out = torch.empty(self.shape[1], self.shape[0], dtype=self.dtype, device=self.device).T
        out[:, self.dense_index] = self.dense
        out[:, self.sparse_index] = self.sparse.to_dense()
        return out


class _Transposed:
    """``X.T`` of a :class:`BlockMatrix`, enough for ``X.T @ v`` and ``X.T @ X``."""

    def __init__(self, matrix: BlockMatrix) -> None:
        self._matrix = matrix

    def __matmul__(self, other: Any) -> torch.Tensor:
        if other is self._matrix:
            return self._matrix.gram()
        return self._matrix.rmatmul(other)


def gram(X: torch.Tensor | BlockMatrix, weights: torch.Tensor | None = None) -> torch.Tensor:
    """``X' diag(w) X`` (``w = 1`` by default) for a dense tensor or a :class:`BlockMatrix`."""
    return X.gram(weights) if isinstance(X, BlockMatrix) else gram_matrix(X, weights)


def scale_rows(X: torch.Tensor | BlockMatrix, factors: torch.Tensor) -> torch.Tensor | BlockMatrix:
    """``diag(f) X``."""
    return X.scale_rows(factors) if isinstance(X, BlockMatrix) else factors[:, None] * X


def row_blocks(X: torch.Tensor | BlockMatrix) -> Iterator[tuple[int, torch.Tensor]]:
    """Dense row blocks ``(start, X[start:start+size])``: views of a dense tensor."""
    if isinstance(X, BlockMatrix):
        yield from X.row_blocks()
        return
    rows = max(_ROW_BLOCK, _DENSE_BLOCK_BYTES // max(1, X.shape[1] * X.element_size()))
    for start in range(0, X.shape[0], rows):
        yield start, X[start : start + rows]


def row_quadratic(X: torch.Tensor | BlockMatrix, A: torch.Tensor) -> torch.Tensor:
    """``diag(X A X')`` by row blocks: neither the ``n x n`` nor an ``n x k`` temporary."""
    out = torch.empty(X.shape[0], dtype=X.dtype, device=X.device)
    for start, block in row_blocks(X):
        out[start : start + block.shape[0]] = ((block @ A) * block).sum(dim=1)
    return out


def group_sums(
    X: torch.Tensor | BlockMatrix, codes: torch.Tensor, n_groups: int, weights: torch.Tensor
) -> torch.Tensor:
    """``sum_{i in g} w_i x_i`` for each group ``g``, shape (G, k), by row blocks."""
    if isinstance(X, BlockMatrix):
        return X.group_sums(codes, n_groups, weights)
    out = torch.zeros(n_groups, X.shape[1], dtype=X.dtype, device=X.device)
    for start, block in row_blocks(X):
        stop = start + block.shape[0]
        out.index_add_(0, codes[start:stop], block * weights[start:stop, None])
    return out


def select_rows(
    X: torch.Tensor | BlockMatrix, positions: torch.Tensor
) -> torch.Tensor | BlockMatrix:
    """The rows ``positions`` (int64, shape (m,)) of a dense tensor or a :class:`BlockMatrix`."""
    return X.select_rows(positions) if isinstance(X, BlockMatrix) else X[positions]


def dense_within_limit(X: torch.Tensor | BlockMatrix, what: str) -> torch.Tensor:
    """``X`` as a dense tensor for ``what``, which needs one, if that stays within
    :data:`DENSE_LIMIT_BYTES`.

    Raises
    ------
    DesignError
        ``X`` is a :class:`BlockMatrix` whose dense copy would exceed the limit.
    """
    if not isinstance(X, BlockMatrix):
        return X
    n, k = X.shape
    size = n * k * X.dense.element_size()
    if size > DENSE_LIMIT_BYTES:
        raise DesignError(
            f"{what} needs the design as a dense matrix, but its {n} x {k} design (dummies "
            f"of a many-level factor, kept sparse) would take {size / 2**30:.3g} GiB, above "
            f"the limit of {DENSE_LIMIT_BYTES / 2**30:.3g} GiB; use a model that keeps the "
            "dummies sparse (ols, wls, glm, logit, probit, poisson, negativebinomial), fewer "
            "rows or levels, or raise torchstats.structured.block_matrix.DENSE_LIMIT_BYTES"
        )
    return X.to_dense()


def densify(X: torch.Tensor | BlockMatrix) -> torch.Tensor:
    """A dense tensor for code paths that need one (QR, SVD)."""
    return X.to_dense() if isinstance(X, BlockMatrix) else X
