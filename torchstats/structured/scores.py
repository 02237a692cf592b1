"""Scores of single-index models (least squares, GLMs, Logit, Probit, Poisson), unformed.

The scores ``x_i e_i`` of a dense or :class:`BlockMatrix` design are never held as an
``(n, k)`` tensor (which would double the memory of a large fit): HC meats are weighted
Gram matrices of the design, leverages and cluster sums come by row blocks, and HAC meats
from the scores of one row block at a time.
"""

from __future__ import annotations

from typing import Any

import torch

from torchstats.covariance.meats import hac_meat_blocks, panel_hac_meat
from torchstats.covariance.scores import cluster_codes
from torchstats.structured.block_matrix import (
    BlockMatrix,
    densify,
    gram,
    group_sums,
    row_blocks,
    row_quadratic,
)

__all__ = ["DesignScores"]

# rows per batch of outer products in ``cluster_grams``: 2**22 elements (32 MiB in float64)
# bounds the temporary whatever k is
_OUTER_ELEMENTS = 2**22


class DesignScores:
    """Meats of scores ``x_i r_i``: a design's rows times one factor per row.

    Parameters
    ----------
    X : Tensor or BlockMatrix, shape (n, k)
        The design (not whitened: WLS weights come as ``leverage_weights``).
    resid : Tensor, shape (n,)
        The factors: least-squares residuals, or a model's ``score_factor``.
    bread : Tensor, shape (k, k)
        ``(X'WX)^{-1}``, for the leverages of HC2/HC3.
    leverage_weights : Tensor, shape (n,), optional
        Weights ``w`` (WLS weights; a GLM's working weights): the leverages are
        ``w_i x_i' bread x_i``, those of the whitened design ``sqrt(w) X`` (which need not
        be formed).
    """

    def __init__(
        self,
        X: torch.Tensor | BlockMatrix,
        resid: torch.Tensor,
        bread: torch.Tensor,
        leverage_weights: torch.Tensor | None = None,
    ) -> None:
        self._X, self._resid, self._bread = X, resid, bread
        self._leverage_weights = leverage_weights
        self.nobs, self.k_params = int(X.shape[0]), int(X.shape[1])

    def white_meat(self, leverage_power: int) -> torch.Tensor:
        weights = self._resid**2
        if leverage_power:
            leverage = row_quadratic(self._X, self._bread)
            if self._leverage_weights is not None:
                leverage = self._leverage_weights * leverage
            weights = weights / (1 - leverage) ** leverage_power
        return gram(self._X, weights)

    def cluster_meat(self, groups: Any) -> tuple[torch.Tensor, int]:
        codes, n_groups = cluster_codes(groups, self.nobs, self._X.device)
        sums = group_sums(self._X, codes, n_groups, self._resid)
        return sums.T @ sums, n_groups

    def hac_meat(self, weights: torch.Tensor) -> torch.Tensor:
        blocks = (
            block * self._resid[start : start + block.shape[0], None]
            for start, block in row_blocks(self._X)
        )
        return hac_meat_blocks(blocks, weights)

    def group_sums(self, codes: torch.Tensor, n_groups: int) -> torch.Tensor:
        return group_sums(self._X, codes.to(self._X.device), n_groups, self._resid)

    def panel_hac_meat(self, weights: torch.Tensor, segments: torch.Tensor) -> torch.Tensor:
        # the panel covariances are rare: the (n, k) scores are formed once here
        scores = densify(self._X) * self._resid[:, None]
        return panel_hac_meat(scores, weights, segments.to(self._X.device))

    def cluster_grams(self, codes: torch.Tensor, n_groups: int) -> torch.Tensor:
        """``X_g' W_g X_g`` for each cluster ``g``, shape ``(G, k, k)`` (``W``: the WLS
        weights), for the leave-one-cluster-out fits of the cluster jackknife."""
        k = self.k_params
        out = torch.zeros(n_groups, k, k, dtype=self._resid.dtype, device=self._X.device)
        codes = codes.to(self._X.device)
        weights = self._leverage_weights
        rows = max(1, _OUTER_ELEMENTS // (k * k))
        for start, block in row_blocks(self._X):
            for first in range(0, block.shape[0], rows):
                part = block[first : first + rows]
                at = slice(start + first, start + first + part.shape[0])
                left = part if weights is None else part * weights[at, None]
                out.index_add_(0, codes[at], left[:, :, None] * part[:, None, :])
        return out
