"""DesignScores: meats of least-squares scores without forming them, by row blocks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchstats.structured.block_matrix as block_matrix
from tests.structured.test_block_matrix import _matrix
from torchstats.covariance.design_scores import DesignScores
from torchstats.covariance.kernels import bartlett
from torchstats.covariance.meats import white_meat
from torchstats.covariance.scores import TensorScores


def _dense(n: int = 257, k: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = torch.tensor(rng.normal(size=(n, k)))
    resid = torch.tensor(rng.normal(size=n))
    bread = torch.linalg.inv(X.T @ X)
    return X, resid, bread


@pytest.fixture(params=["one block", "many blocks"])
def blocks(request, monkeypatch):
    """One block, or blocks of a few rows: the meats must not depend on the blocking."""
    if request.param == "many blocks":
        monkeypatch.setattr(block_matrix, "_ROW_BLOCK", 7)
        monkeypatch.setattr(block_matrix, "_DENSE_BLOCK_BYTES", 1)
    return request.param


@pytest.mark.parametrize("structured", [False, True], ids=["dense", "block"])
def test_meats_equal_those_of_formed_scores(blocks, structured: bool) -> None:
    if structured:
        X, full = _matrix(seed=1)
        resid = torch.tensor(np.random.default_rng(5).normal(size=full.shape[0]))
        bread = torch.linalg.inv(full.T @ full)
    else:
        X, resid, bread = _dense()
        full = X
    leverage = ((full @ bread) * full).sum(dim=1)
    ours = DesignScores(X, resid, leverage=lambda: leverage)
    formed = TensorScores(full * resid[:, None])
    for power in (0, 1, 2):
        expected = white_meat(formed.scores, 1 / (1 - leverage) ** power)
        torch.testing.assert_close(ours.white_meat(power), expected)
    groups = np.random.default_rng(2).integers(0, 9, full.shape[0])
    meat, n_groups = ours.cluster_meat(groups)
    expected, expected_groups = formed.cluster_meat(groups)
    assert n_groups == expected_groups
    torch.testing.assert_close(meat, expected)
    for maxlags in (0, 1, 3, 10):
        weights = bartlett(maxlags, torch.float64, torch.device("cpu"))
        torch.testing.assert_close(ours.hac_meat(weights), formed.hac_meat(weights))


def test_dense_row_blocks_are_views_that_cover_every_row(blocks) -> None:
    X, _, _ = _dense()
    seen = []
    for start, block in block_matrix.row_blocks(X):
        assert block.data_ptr() == X[start].data_ptr()  # a view, not a copy
        seen.extend(range(start, start + block.shape[0]))
    assert seen == list(range(X.shape[0]))


def test_weighted_scores_equal_those_of_the_whitened_design(blocks) -> None:
    """WLS: x_i * sqrt(w_i) e~_i with the leverages of sqrt(w) X, never forming it."""
    X, wresid, _ = _dense()
    w = torch.tensor(np.random.default_rng(8).uniform(0.2, 3.0, X.shape[0]))
    root = torch.sqrt(w)
    whitened = root[:, None] * X
    bread = torch.linalg.inv(whitened.T @ whitened)
    leverage = ((whitened @ bread) * whitened).sum(dim=1)
    ours = DesignScores(X, root * wresid, weights=w, leverage=lambda: leverage)
    formed = whitened * wresid[:, None]
    for power in (0, 1, 2):
        expected = white_meat(formed, 1 / (1 - leverage) ** power)
        torch.testing.assert_close(ours.white_meat(power), expected)


@pytest.mark.parametrize("structured", [False, True], ids=["dense", "block"])
def test_extra_score_columns_are_bordered_onto_the_meats(blocks, structured: bool) -> None:
    """``[x_i r_i, e_i]`` (the negative binomial's alpha column): every meat equals that of
    the formed ``(n, k + m)`` scores."""
    if structured:
        X, full = _matrix(seed=1)
    else:
        X, _, _ = _dense()
        full = X
    rng = np.random.default_rng(7)
    resid = torch.tensor(rng.normal(size=full.shape[0]))
    extra = torch.tensor(rng.normal(size=(full.shape[0], 2)))
    ours = DesignScores(X, resid, extra=extra)
    formed = TensorScores(torch.cat([full * resid[:, None], extra], dim=1))
    assert ours.k_params == full.shape[1] + 2
    torch.testing.assert_close(ours.white_meat(0), white_meat(formed.scores, None))
    groups = rng.integers(0, 9, full.shape[0])
    torch.testing.assert_close(ours.cluster_meat(groups)[0], formed.cluster_meat(groups)[0])
    codes = torch.as_tensor(groups)
    torch.testing.assert_close(ours.group_sums(codes, 9), formed.group_sums(codes, 9))
    for maxlags in (0, 2):
        weights = bartlett(maxlags, torch.float64, torch.device("cpu"))
        torch.testing.assert_close(ours.hac_meat(weights), formed.hac_meat(weights))
    with pytest.raises(ValueError, match="least-squares scores only"):
        ours.cluster_grams(codes, 9)
