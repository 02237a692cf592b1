"""Scores of least squares on a :class:`BlockMatrix` design, for robust covariances.

The scores ``x_i e_i`` are never formed: HC meats are weighted Gram matrices of the block
design, cluster meats come from its group sums, and HAC meats from dense row blocks.
"""

from __future__ import annotations

from typing import Any

import torch

from torchstats.covariance.meats import hac_meat_blocks
from torchstats.covariance.scores import cluster_codes
from torchstats.structured.block_matrix import BlockMatrix, row_quadratic

__all__ = ["BlockScores"]


class BlockScores:
    """Meats of the scores ``x_i r_i`` of a (whitened) block design and residuals.

    Parameters
    ----------
    X : BlockMatrix, shape (n, k)
    resid : Tensor, shape (n,)
    bread : Tensor, shape (k, k)
        ``(X'X)^{-1}``, for the leverages of HC2/HC3.
    """

    def __init__(self, X: BlockMatrix, resid: torch.Tensor, bread: torch.Tensor) -> None:
        self._X, self._resid, self._bread = X, resid, bread
        self.nobs, self.k_params = int(X.shape[0]), int(X.shape[1])

    def white_meat(self, leverage_power: int) -> torch.Tensor:
        weights = self._resid**2
        if leverage_power:
            weights = weights / (1 - row_quadratic(self._X, self._bread)) ** leverage_power
        return self._X.gram(weights)

    def cluster_meat(self, groups: Any) -> tuple[torch.Tensor, int]:
        codes, n_groups = cluster_codes(groups, self.nobs, self._X.device)
        sums = self._X.group_sums(codes, n_groups, self._resid)
        return sums.T @ sums, n_groups

    def hac_meat(self, weights: torch.Tensor) -> torch.Tensor:
        blocks = (
            block * self._resid[start : start + block.shape[0], None]
            for start, block in self._X.row_blocks()
        )
        return hac_meat_blocks(blocks, weights)
