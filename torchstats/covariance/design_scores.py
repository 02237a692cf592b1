"""Scores of single-index models (least squares, GLMs, Logit, Probit, Poisson, and the
negative binomial with its ``alpha`` column), unformed.

The scores ``x_i e_i`` of a dense or :class:`BlockMatrix` design are never held as an
``(n, k)`` tensor (which would double the memory of a large fit): HC meats are weighted
Gram matrices of the design, leverages and cluster sums come by row blocks, and HAC meats
from the scores of one row block at a time. A few further score columns (``extra``, such as
the negative binomial's ``alpha``) are held densely and bordered onto those sums.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import torch

from torchstats.covariance.meats import (
    hac_meat_blocks,
    leverage_factors,
    panel_hac_meat,
    warn_leverage_one,
)
from torchstats.covariance.scores import cluster_codes
from torchstats.solvers.leverage import leverage_one
from torchstats.structured.block_matrix import (
    BlockMatrix,
    densify,
    gram,
    group_sums,
    row_blocks,
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
        The design (not whitened: WLS weights come as ``weights``).
    resid : Tensor, shape (n,)
        The factors: least-squares residuals, or a model's ``score_factor``.
    weights : Tensor, shape (n,), optional
        WLS weights, for the per-cluster Gram matrices of the cluster jackknife.
    leverage : callable, optional
        Returns the leverages ``h_i`` (see :func:`~torchstats.solvers.leverage.hat_diagonal`)
        that HC2/HC3 divide by; called only for those. None: HC2/HC3 are unavailable.
    row_labels : pandas.Index, optional
        Labels of the rows, to name an observation of leverage one in the warning.
    extra : Tensor, shape (n, m), optional
        Further score columns after the design's (the negative binomial's ``alpha``): the
        scores are ``[x_i r_i, extra_i]``.
    """

    def __init__(
        self,
        X: torch.Tensor | BlockMatrix,
        resid: torch.Tensor,
        *,
        weights: torch.Tensor | None = None,
        leverage: Callable[[], torch.Tensor] | None = None,
        row_labels: pd.Index | None = None,
        extra: torch.Tensor | None = None,
    ) -> None:
        self._X, self._resid, self._weights = X, resid, weights
        self._leverage, self._row_labels = leverage, row_labels
        self._extra = extra
        self.nobs = int(X.shape[0])
        self.k_params = int(X.shape[1]) + (0 if extra is None else int(extra.shape[1]))

    def white_meat(self, leverage_power: int) -> torch.Tensor:
        weights = self._resid**2
        if leverage_power:
            if self._leverage is None:
                raise ValueError("leverage is not available for these scores")
            h = self._leverage()
            weights = weights * leverage_factors(h, leverage_power)
            warn_leverage_one(leverage_one(h), leverage_power, self._row_labels)
        design_block = gram(self._X, weights)
        extra = self._extra
        if extra is None:
            return design_block
        # [[X' diag(r^2) X, X' diag(r) E], [E' diag(r) X, E'E]] with E the extra columns
        cross = self._X.T @ (extra * self._resid[:, None])
        top = torch.cat([design_block, cross], dim=1)
        return torch.cat([top, torch.cat([cross.T, extra.T @ extra], dim=1)], dim=0)

    def cluster_meat(self, groups: Any) -> tuple[torch.Tensor, int]:
        codes, n_groups = cluster_codes(groups, self.nobs, self._X.device)
        sums = self.group_sums(codes, n_groups)
        return sums.T @ sums, n_groups

    def hac_meat(self, weights: torch.Tensor) -> torch.Tensor:
        blocks = (self._block_scores(start, block) for start, block in row_blocks(self._X))
        return hac_meat_blocks(blocks, weights)

    def _block_scores(self, start: int, block: torch.Tensor) -> torch.Tensor:
        """The scores of the rows ``start : start + len(block)`` of the design's ``block``."""
        rows = slice(start, start + block.shape[0])
        scores = block * self._resid[rows, None]
        return scores if self._extra is None else torch.cat([scores, self._extra[rows]], dim=1)

    def group_sums(self, codes: torch.Tensor, n_groups: int) -> torch.Tensor:
        codes = codes.to(self._X.device)
        sums = group_sums(self._X, codes, n_groups, self._resid)
        if self._extra is None:
            return sums
        extra = self._extra.new_zeros(n_groups, self._extra.shape[1])
        return torch.cat([sums, extra.index_add_(0, codes, self._extra)], dim=1)

    def panel_hac_meat(self, weights: torch.Tensor, segments: torch.Tensor) -> torch.Tensor:
        # the panel covariances are rare: the (n, k) scores are formed once here
        scores = self._block_scores(0, densify(self._X))
        return panel_hac_meat(scores, weights, segments.to(self._X.device))

    def cluster_grams(self, codes: torch.Tensor, n_groups: int) -> torch.Tensor:
        """``X_g' W_g X_g`` for each cluster ``g``, shape ``(G, k, k)`` (``W``: the WLS
        weights), for the leave-one-cluster-out fits of the cluster jackknife."""
        if self._extra is not None:
            raise ValueError("the cluster jackknife is for least-squares scores only")
        k = self.k_params
        out = torch.zeros(n_groups, k, k, dtype=self._resid.dtype, device=self._X.device)
        codes = codes.to(self._X.device)
        weights = self._weights
        rows = max(1, _OUTER_ELEMENTS // (k * k))
        for start, block in row_blocks(self._X):
            for first in range(0, block.shape[0], rows):
                part = block[first : first + rows]
                at = slice(start + first, start + first + part.shape[0])
                left = part if weights is None else part * weights[at, None]
                out.index_add_(0, codes[at], left[:, :, None] * part[:, None, :])
        return out
