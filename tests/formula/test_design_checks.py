"""Shared design checks: the numerical rank is numpy's matrix_rank of the column-equilibrated
design on both routes, so that it does not depend on the columns' units."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchstats.formula import design_checks
from torchstats.formula.design_checks import matrix_rank


def _design(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 5))])
    if kind == "collinear":  # exact linear dependence
        X = np.column_stack([X, X[:, 1] + 2 * X[:, 2]])
    elif kind == "near_collinear":  # dependent up to 1e-9: numpy calls it full rank
        X = np.column_stack([X, X[:, 1] + 1e-9 * rng.normal(size=n)])
    elif kind == "tiny_column":  # full rank, but below numpy's tolerance unscaled
        X = np.column_stack([X, 1e-15 * rng.normal(size=n)])
    elif kind == "scaled":  # full rank with column scales over 8 orders of magnitude
        X = X * np.logspace(-4, 4, X.shape[1])
    elif kind == "dummies":  # a full set of dummies beside the intercept
        groups = rng.integers(0, 3, n)
        X = np.column_stack([X, *(groups == g for g in range(3))]).astype(float)
    return X


KINDS = ["random", "collinear", "near_collinear", "tiny_column", "scaled", "dummies"]


def _equilibrated(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=0)
    return X / np.where(norms > 0, norms, 1.0)


@pytest.mark.parametrize("n", [5, 40, 2000])
@pytest.mark.parametrize("kind", KINDS)
def test_rank_equals_numpy_on_the_equilibrated_design(kind, n):
    for seed in range(3):
        X = _design(kind, n, seed)
        expected = np.linalg.matrix_rank(_equilibrated(X))
        assert matrix_rank(torch.as_tensor(X)) == expected, (kind, n, seed)


@pytest.mark.parametrize("scale", [1e-15, 1e-300, 1e300])
def test_rank_does_not_depend_on_a_columns_units(scale):
    """numpy's (and statsmodels') unscaled rank cuts such a column off; ours keeps it."""
    X = _design("random", 2000, 0)
    X[:, 3] *= scale
    assert matrix_rank(torch.as_tensor(X)) == 6
    if scale == 1e-15:
        assert np.linalg.matrix_rank(X) == 5


def test_gram_route_decides_only_clear_cases():
    rng = np.random.default_rng(0)
    well = torch.as_tensor(np.column_stack([np.ones(500), rng.normal(size=(500, 4))]))
    assert design_checks._gram_shows_full_rank(well)
    for kind in ("collinear", "near_collinear"):
        X = torch.as_tensor(_design(kind, 2000, 1))
        assert not design_checks._gram_shows_full_rank(X), kind
