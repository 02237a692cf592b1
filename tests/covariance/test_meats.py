"""Vectorised meats against naive loops written here (oracle tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from torchstats.covariance.kernels import bartlett, default_maxlags, uniform
from torchstats.covariance.meats import (
    cluster_meat,
    group_codes,
    hac_meat,
    intersect_groups,
    white_meat,
)
from torchstats.errors import MissingDataError

CPU = torch.device("cpu")


def _scores(seed: int, n: int = 57, k: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, k))


@pytest.mark.parametrize("seed", [0, 1])
def test_white_meat_is_a_sum_of_outer_products(seed):
    s = _scores(seed)
    w = np.random.default_rng(seed + 10).uniform(1, 2, size=len(s))
    expected = sum(w[i] * np.outer(s[i], s[i]) for i in range(len(s)))
    got = white_meat(torch.tensor(s), torch.tensor(w)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(
        white_meat(torch.tensor(s)).numpy(), sum(np.outer(r, r) for r in s), rtol=1e-12
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cluster_meat_loops_over_unbalanced_clusters(seed):
    rng = np.random.default_rng(seed)
    s = _scores(seed)
    labels = rng.choice(["a", "b", "c", "d", "e"], size=len(s), p=[0.5, 0.2, 0.15, 0.1, 0.05])
    expected = np.zeros((s.shape[1], s.shape[1]))
    for label in np.unique(labels):
        total = s[labels == label].sum(axis=0)
        expected += np.outer(total, total)
    codes, n_groups = group_codes(labels, len(s), CPU)
    assert n_groups == len(np.unique(labels))
    np.testing.assert_allclose(cluster_meat(torch.tensor(s), codes, n_groups).numpy(), expected)


@pytest.mark.parametrize("maxlags", [0, 1, 3, 8])
@pytest.mark.parametrize("kernel", [bartlett, uniform])
def test_hac_meat_double_loop(maxlags, kernel):
    s = _scores(3)
    n = len(s)
    w = kernel(maxlags, torch.float64, CPU).numpy()
    expected = np.zeros((s.shape[1], s.shape[1]))
    for t in range(n):
        for u in range(n):
            lag = abs(t - u)
            if lag <= maxlags:
                expected += w[lag] * np.outer(s[t], s[u])
    got = hac_meat(torch.tensor(s), torch.tensor(w)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-12)


def test_bartlett_weights_match_statsmodels():
    from statsmodels.stats.sandwich_covariance import weights_bartlett, weights_uniform

    for lags in (0, 2, 7):
        np.testing.assert_allclose(
            bartlett(lags, torch.float64, CPU).numpy(), weights_bartlett(lags)
        )
        np.testing.assert_allclose(uniform(lags, torch.float64, CPU).numpy(), weights_uniform(lags))


def test_default_maxlags_rule():
    assert [default_maxlags(n) for n in (50, 100, 1000, 100000)] == [3, 4, 6, 18]


def test_two_way_intersection_codes():
    first = torch.tensor([0, 0, 1, 1, 0, 1])
    second = torch.tensor([0, 1, 0, 1, 0, 0])
    codes, n_groups = intersect_groups(first, second)
    pairs = {(int(a), int(b)) for a, b in zip(first, second)}
    assert n_groups == len(pairs) == 4
    for i in range(6):
        for j in range(6):
            same = (first[i], second[i]) == (first[j], second[j])
            assert same == bool(codes[i] == codes[j])


def test_group_codes_accept_pandas_and_reject_missing():
    codes, n = group_codes(pd.Series([3.0, 1.0, 3.0]), 3, CPU)
    assert n == 2 and codes.tolist() == [1, 0, 1]
    with pytest.raises(MissingDataError, match=r"1 missing label\(s\) \(NaN or None\)"):
        group_codes(pd.Series(["a", None, "b"]), 3, CPU)
    with pytest.raises(ValueError, match="groups has 2 labels but the model has 3"):
        group_codes([1, 2], 3, CPU)


@pytest.mark.parametrize("maxlags", [0, 2, 9])
@pytest.mark.parametrize("block", [1, 4, 20])
def test_hac_meat_over_blocks_equals_all_at_once(maxlags, block):
    from torchstats.covariance.meats import hac_meat_blocks

    s = torch.tensor(_scores(5))
    w = bartlett(maxlags, torch.float64, CPU)
    blocks = (s[i : i + block] for i in range(0, s.shape[0], block))
    torch.testing.assert_close(hac_meat_blocks(blocks, w), hac_meat(s, w), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("maxlags", [1, 3, 6])
def test_hac_meat_over_uneven_blocks_equals_all_at_once(maxlags):
    from torchstats.covariance.meats import hac_meat_blocks

    s = torch.tensor(_scores(5))
    w = bartlett(maxlags, torch.float64, CPU)
    cuts = [0, 1, 3, 4, 11, 12, 13, s.shape[0]]  # blocks of 1, 2, 1, 7, 1, 1 and the rest
    blocks = (s[a:b] for a, b in zip(cuts[:-1], cuts[1:]))
    torch.testing.assert_close(hac_meat_blocks(blocks, w), hac_meat(s, w), rtol=1e-12, atol=1e-12)
