"""Where the meats of robust covariances come from: per-observation scores.

A :class:`ScoreSource` computes the three kinds of meat the estimators need. In memory the
scores are one ``(n, k)`` tensor (:class:`TensorScores`); a fit streamed from disk computes
the same sums in a pass over the chunks instead, without ever holding all scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import torch

from torchstats.covariance.meats import (
    cluster_meat,
    group_codes,
    hac_meat,
    intersect_groups,
    panel_hac_meat,
    white_meat,
)

__all__ = [
    "ScoreSource",
    "PanelScoreSource",
    "JackknifeScoreSource",
    "TensorScores",
    "Intersection",
    "cluster_codes",
]


@dataclass(frozen=True)
class Intersection:
    """The clusters formed by two clusterings together (for two-way clustering)."""

    first: Any
    second: Any


def cluster_codes(groups: Any, nobs: int, device: torch.device) -> tuple[torch.Tensor, int]:
    """Cluster codes ``0..G-1`` of labels, or of the intersection of two clusterings."""
    if isinstance(groups, Intersection):
        first, _ = cluster_codes(groups.first, nobs, device)
        second, _ = cluster_codes(groups.second, nobs, device)
        return intersect_groups(first, second)
    return group_codes(groups, nobs, device)


class ScoreSource(Protocol):
    """Sums over observations of products of scores (``n``: rows, ``k``: parameters)."""

    nobs: int
    k_params: int

    def white_meat(self, leverage_power: int) -> torch.Tensor:
        """``sum_i s_i s_i' / (1 - h_i)^p`` with ``p`` 0 (HC0/HC1), 1 (HC2) or 2 (HC3)."""
        ...

    def cluster_meat(self, groups: Any) -> tuple[torch.Tensor, int]:
        """``sum_g (sum_{i in g} s_i)(...)'`` and the number of clusters."""
        ...

    def hac_meat(self, weights: torch.Tensor) -> torch.Tensor:
        """Newey-West meat with kernel ``weights`` for lags ``0..L``."""
        ...


@runtime_checkable
class PanelScoreSource(ScoreSource, Protocol):
    """Scores held in memory, which the panel covariances (``hac-panel``, ``hac-groupsum``)
    and the cluster jackknife also need (a streamed fit has no such source)."""

    def group_sums(self, codes: torch.Tensor, n_groups: int) -> torch.Tensor:
        """``sum_{i in g} s_i`` for each group code ``g``, shape ``(n_groups, k)``."""
        ...

    def panel_hac_meat(self, weights: torch.Tensor, segments: torch.Tensor) -> torch.Tensor:
        """Newey-West meat with lags only within segments (see ``meats.panel_hac_meat``)."""
        ...


@runtime_checkable
class JackknifeScoreSource(PanelScoreSource, Protocol):
    """In-memory least-squares scores that also give per-cluster Gram matrices."""

    def cluster_grams(self, codes: torch.Tensor, n_groups: int) -> torch.Tensor:
        """``X_g' W_g X_g`` for each cluster ``g``, shape ``(n_groups, k, k)``."""
        ...


class TensorScores:
    """Scores held in memory as one tensor (likelihood models; no leverages, so no HC2/HC3).

    Parameters
    ----------
    scores : Tensor, shape (n, k)
    """

    def __init__(self, scores: torch.Tensor) -> None:
        self.scores = scores
        self.nobs, self.k_params = (int(v) for v in scores.shape)

    def white_meat(self, leverage_power: int) -> torch.Tensor:
        if leverage_power:
            raise ValueError("leverage is not available for these scores")
        return white_meat(self.scores)

    def cluster_meat(self, groups: Any) -> tuple[torch.Tensor, int]:
        codes, n_groups = cluster_codes(groups, self.nobs, self.scores.device)
        return cluster_meat(self.scores, codes, n_groups), n_groups

    def hac_meat(self, weights: torch.Tensor) -> torch.Tensor:
        return hac_meat(self.scores, weights)

    def group_sums(self, codes: torch.Tensor, n_groups: int) -> torch.Tensor:
        sums = torch.zeros(
            n_groups, self.k_params, dtype=self.scores.dtype, device=self.scores.device
        )
        return sums.index_add_(0, codes.to(self.scores.device), self.scores)

    def panel_hac_meat(self, weights: torch.Tensor, segments: torch.Tensor) -> torch.Tensor:
        return panel_hac_meat(self.scores, weights, segments.to(self.scores.device))
