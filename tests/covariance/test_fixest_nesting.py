"""Which absorbed effects are nested in a cluster dimension (fixest's ``fixef_K="nested"``):
the two-pass check against counting distinct (level, cluster) pairs."""

from __future__ import annotations

import numpy as np
import pytest

from torchstats.covariance.fixest import EffectCounts, _nested


def _pairs_rule(fe: np.ndarray, size: int, clusters: np.ndarray) -> bool:
    """Every level occurs and the distinct (level, cluster) pairs are as many as levels."""
    present = np.unique(fe).shape[0] == size
    return (
        present
        and np.unique(fe.astype(np.int64) * (clusters.max() + 1) + clusters).shape[0] == size
    )


@pytest.mark.parametrize("seed", range(6))
def test_nesting_agrees_with_counting_pairs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, size = 5_000, int(rng.integers(20, 400))
    fe = rng.permutation(np.arange(n) % size).astype(np.int32)
    nested = (fe // int(rng.integers(2, 9))).astype(np.int32)  # each level in one cluster
    crossed = rng.integers(0, 30, n).astype(np.int32)
    almost = nested.copy()
    almost[int(rng.integers(0, n))] = nested.max() + 1  # one row of one level moves
    # the same codes as slopes, "f[x]": never nested (fixest drops only effects' levels)
    effects = EffectCounts((size, size), np.column_stack([fe, fe]), ("f", "f[x]"))
    for clusters, expected in ((nested, True), (crossed, False), (almost, False)):
        assert _pairs_rule(fe, size, clusters) is expected
        levels, count = _nested(effects, [(1, clusters)])
        assert (levels, count) == ((size, 1) if expected else (0, 0))
    # the first dimension that nests it counts, once
    assert _nested(effects, [(1, crossed), (1, nested), (1, nested)]) == (size, 1)
