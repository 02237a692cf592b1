"""BlockMatrix operations against the same matrix held densely."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchstats.structured.block_matrix as block_matrix
from torchstats.errors import DesignError
from torchstats.structured.blas import gram_matrix
from torchstats.structured.block_matrix import (
    BlockMatrix,
    dense_within_limit,
    densify,
    row_quadratic,
    select_rows,
)


def _matrix(seed: int = 0, n: int = 300, levels: int = 12):
    rng = np.random.default_rng(seed)
    dense = torch.tensor(rng.normal(size=(n, 3)))
    codes = rng.integers(0, levels, size=n)
    rows = np.flatnonzero(codes > 0)
    values = rng.normal(size=rows.size) * (seed % 2) + 1.0  # 0/1 dummies, or scaled ones
    sparse = torch.sparse_coo_tensor(
        torch.tensor(np.vstack([rows, codes[rows] - 1])),
        torch.tensor(values),
        (n, levels - 1),
        check_invariants=False,
    )
    order = rng.permutation(3 + levels - 1)
    block = BlockMatrix(dense, sparse, torch.tensor(order[:3]), torch.tensor(order[3:]))
    full = torch.empty(n, 3 + levels - 1, dtype=torch.float64)
    full[:, order[:3]] = dense
    full[:, order[3:]] = sparse.to_dense()
    return block, full


@pytest.mark.parametrize("seed", [0, 1])
def test_products(seed):
    block, full = _matrix(seed)
    b = torch.randn(full.shape[1], dtype=torch.float64)
    v = torch.randn(full.shape[0], 2, dtype=torch.float64)
    torch.testing.assert_close(block @ b, full @ b)
    torch.testing.assert_close(block.T @ v, full.T @ v)
    torch.testing.assert_close(block.T @ v[:, 0], full.T @ v[:, 0])
    torch.testing.assert_close(block.T @ block, full.T @ full)


@pytest.mark.parametrize("seed", [0, 1])
def test_weighted_gram_and_row_scaling(seed):
    block, full = _matrix(seed)
    w = torch.rand(full.shape[0], dtype=torch.float64) + 0.5
    torch.testing.assert_close(block.gram(w), full.T @ (w[:, None] * full))
    torch.testing.assert_close(block.scale_rows(w).to_dense(), w[:, None] * full)
    torch.testing.assert_close(block.sum(dim=0), full.sum(dim=0))


def test_row_blocks_and_quadratic_forms():
    block, full = _matrix(0)
    rebuilt = torch.cat([rows for _, rows in block.row_blocks(size=37)])
    torch.testing.assert_close(rebuilt, full)
    A = torch.randn(full.shape[1], full.shape[1], dtype=torch.float64)
    torch.testing.assert_close(row_quadratic(block, A), ((full @ A) * full).sum(dim=1))
    torch.testing.assert_close(densify(block), full)


def test_group_sums():
    block, full = _matrix(1)
    codes = torch.tensor(np.random.default_rng(3).integers(0, 5, full.shape[0]))
    w = torch.rand(full.shape[0], dtype=torch.float64)
    expected = torch.zeros(5, full.shape[1], dtype=torch.float64).index_add_(
        0, codes, full * w[:, None]
    )
    torch.testing.assert_close(block.group_sums(codes, 5, w), expected)


def test_nonfinite_columns():
    block, full = _matrix(0)
    block.dense[4, 1] = float("nan")
    assert block.nonfinite_columns().tolist() == [
        j == int(block.dense_index[1]) for j in range(full.shape[1])
    ]


@pytest.mark.parametrize("seed", [0, 1])
def test_row_selection_and_gram_dispatch(seed):
    block, full = _matrix(seed)
    positions = torch.tensor([5, 0, 17, 17, 299, 42])
    chosen = select_rows(block, positions)
    assert isinstance(chosen, BlockMatrix)
    torch.testing.assert_close(chosen.to_dense(), full[positions])
    torch.testing.assert_close(select_rows(full, positions), full[positions])
    w = torch.randn(full.shape[0], dtype=torch.float64)  # both signs, as Hessian weights
    torch.testing.assert_close(gram_matrix(block, w), full.T @ (w[:, None] * full))


def test_dense_copies_only_within_the_limit(monkeypatch):
    block, full = _matrix(0)
    torch.testing.assert_close(dense_within_limit(block, "this"), full)
    assert dense_within_limit(full, "this") is full  # dense designs pass through
    monkeypatch.setattr(block_matrix, "DENSE_LIMIT_BYTES", full.numel() * 8 - 1)
    with pytest.raises(DesignError, match=r"this needs the design as a dense matrix.*300 x 14"):
        dense_within_limit(block, "this")
    assert dense_within_limit(full, "this") is full
