"""Leverages and orthonormal bases: every route against the exactly rounded small route."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import torchstats.solvers.leverage as leverage
import torchstats.structured.block_matrix as block_matrix
from tests.structured.test_block_matrix import _matrix
from torchstats.solvers.least_squares import solve_least_squares
from torchstats.solvers.leverage import (
    describe_leverage_one,
    hat_diagonal,
    leverage_one,
    orthonormal_basis,
)
from torchstats.structured.block_matrix import densify


def _design(n: int, k: int, collinearity: float | None, seed: int = 0) -> torch.Tensor:
    """An intercept and ``k - 1`` normal columns on scales 1e-3..1e3 (which equilibration
    removes); with ``collinearity``, column 2 nearly a multiple of column 1, so that
    ``cond(X_s)`` is about ``430 / collinearity``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k)) * np.logspace(-3, 3, k)
    X[:, 0] = 1.0
    if collinearity is not None:
        X[:, 2] = X[:, 1] * 1e3 + collinearity * X[:, 2]
    return torch.tensor(X)


def _exact(X, weights=None) -> torch.Tensor:
    """The small route (double-double basis), forced whatever the size."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(leverage, "_SMALL_BELOW_WORK", 1 << 62)
        return hat_diagonal(X, weights)


# n k (k + 1) = 4.4e6 > 2^22: the large route
LARGE = (40_000, 10)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    ("collinearity", "rtol"),
    [(None, 1e-13), (1.0, 1e-12), (1e-3, 1e-10), (1e-6, 2e-7)],
    ids=["one pass", "two passes", "ill-conditioned", "householder"],
)
def test_large_route_matches_the_exact_route(collinearity, rtol, weighted):
    """Errors about cond(X_s) eps / h (n = 40 000: h down to 3e-5). Measured (unweighted,
    weighted): 7e-16 and 1e-15, 2e-14 and 3e-14, 2e-11 and 4e-11, 3e-8 and 4e-8; the rows
    of Householder's own Q: 1e-14, 1e-11, 1e-8, 2e-6."""
    X = _design(*LARGE, collinearity)
    weights = torch.tensor(np.random.default_rng(3).uniform(0.2, 3.0, X.shape[0]))
    weights = weights if weighted else None
    h = hat_diagonal(X, weights)
    exact = _exact(X, weights)
    torch.testing.assert_close(h, exact, rtol=rtol, atol=0)
    torch.testing.assert_close(h.sum(), torch.tensor(10.0, dtype=torch.float64))


def test_a_solver_factor_gives_the_same_leverages():
    X = _design(*LARGE, 1e-3)
    d = torch.exp2(torch.round(torch.log2(torch.linalg.vector_norm(X, dim=0))))
    R = torch.linalg.qr(X / d, mode="r")[1]
    h = hat_diagonal(X, factor=R, column_scale=d)
    torch.testing.assert_close(h, _exact(X), rtol=1e-10, atol=0)


def test_block_matrix_designs(monkeypatch):
    monkeypatch.setattr(block_matrix, "_ROW_BLOCK", 7)  # many row blocks
    X, full = _matrix(seed=1)
    weights = torch.tensor(np.random.default_rng(4).uniform(0.5, 2.0, full.shape[0]))
    monkeypatch.setattr(leverage, "_SMALL_BELOW_WORK", 0)  # the block-wise route
    h = hat_diagonal(X, weights)
    whitened = torch.sqrt(weights)[:, None] * densify(X)
    expected = torch.diagonal(whitened @ torch.linalg.pinv(whitened))
    torch.testing.assert_close(h, expected, rtol=1e-12, atol=1e-14)


def test_basis_is_orthonormal_and_inverts_the_gram_matrix():
    X = _design(200, 5, 1e-4)
    basis = orthonormal_basis(X)
    assert basis is not None and basis.rows is not None
    eye = torch.eye(5, dtype=torch.float64)
    torch.testing.assert_close(basis.rows.T @ basis.rows, eye, rtol=0, atol=1e-15)
    inverse = solve_least_squares(X, torch.ones(200, dtype=torch.float64)).normalized_cov
    M = basis.transform
    torch.testing.assert_close(M @ M.T, inverse, rtol=1e-10, atol=0)


def test_rank_deficient_designs_take_the_singular_vectors():
    X = _design(50, 4, 1.0)
    X = torch.cat([X, X[:, 1:2] + X[:, 3:4]], dim=1)  # rank 4 of 5
    assert orthonormal_basis(X) is None
    h = hat_diagonal(X)
    torch.testing.assert_close(h.sum(), torch.tensor(4.0, dtype=torch.float64))
    expected = torch.diagonal(X @ torch.linalg.pinv(X))
    torch.testing.assert_close(h, expected, rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(hat_diagonal(X, rank=4), h)


def test_leverage_one_is_found_and_named():
    X = _design(30, 3, 1.0)
    dummy = torch.zeros(30, 1, dtype=torch.float64)
    dummy[7] = 1.0
    h = hat_diagonal(torch.cat([X, dummy], dim=1))
    one = leverage_one(h)
    assert one.tolist() == [i == 7 for i in range(30)]
    labels = pd.Index([f"r{i}" for i in range(30)])
    assert describe_leverage_one(one, labels) == "observation 'r7' has leverage one"
    many = torch.arange(30) < 8
    assert describe_leverage_one(many, None) == (
        "8 observations (0, 1, 2, 3, 4, ... (3 more)) have leverage one"
    )
