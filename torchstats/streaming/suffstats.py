"""Mergeable sufficient statistics of (weighted) least squares.

One pass over the data accumulates, per chunk and then across chunks and processes, the
sums that determine the least-squares estimate: ``n``, ``X'WX``, ``X'Wy``, ``y'Wy`` and a few
more for the mean of the residuals and the constant check. Merging is addition, so chunks
and processes can be combined in any order.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch

from torchstats.streaming.distributed import Reducer
from torchstats.structured.blas import gram_matrix

__all__ = ["SufficientStats"]


@dataclass(frozen=True, slots=True)
class SufficientStats:
    """Sums over observations (``W = diag(w)``; ``w = 1`` for OLS).

    Attributes
    ----------
    nobs : Tensor, 0-d
    gram : Tensor, (k, k)
        ``X'WX``.
    xty : Tensor, (k,)
        ``X'Wy``.
    yty : Tensor, 0-d
        ``y'Wy`` (the uncentered total sum of squares).
    xt_w : Tensor, (k,)
        ``X' W 1``, for the constant check.
    xt_sqrt_w : Tensor, (k,)
        ``X' W^(1/2) 1``, for the mean of the whitened residuals.
    sum_sqrt_w_y : Tensor, 0-d
        ``1' W^(1/2) y``.
    sum_w, sum_wy : Tensor, 0-d
        ``sum w`` and ``sum w y``, for the weighted mean of y.
    sum_log_w : Tensor, 0-d
        ``sum log w``, for the WLS log-likelihood.
    """

    nobs: torch.Tensor
    gram: torch.Tensor
    xty: torch.Tensor
    yty: torch.Tensor
    xt_w: torch.Tensor
    xt_sqrt_w: torch.Tensor
    sum_sqrt_w_y: torch.Tensor
    sum_w: torch.Tensor
    sum_wy: torch.Tensor
    sum_log_w: torch.Tensor

    @classmethod
    def of_chunk(
        cls, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None
    ) -> SufficientStats:
        """The statistics of one chunk."""
        if w is None:
            sqrt_w = torch.ones_like(y)
            Xw, yw = X, y
        else:
            sqrt_w = torch.sqrt(w)
            Xw, yw = X * sqrt_w[:, None], y * sqrt_w
        weights = sqrt_w * sqrt_w
        return cls(
            nobs=torch.tensor(float(y.shape[0]), dtype=y.dtype, device=y.device),
            gram=gram_matrix(Xw),
            xty=Xw.T @ yw,
            yty=yw @ yw,
            xt_w=Xw.T @ sqrt_w,
            xt_sqrt_w=X.T @ sqrt_w,
            sum_sqrt_w_y=yw.sum(),
            sum_w=weights.sum(),
            sum_wy=(weights * y).sum(),
            sum_log_w=torch.log(weights).sum() if w is not None else torch.zeros_like(y.sum()),
        )

    def __add__(self, other: SufficientStats) -> SufficientStats:
        return SufficientStats(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def reduced(self, reducer: Reducer) -> SufficientStats:
        """The sums over all processes (one all-reduce of a flat buffer)."""
        if reducer.world_size == 1:
            return self
        parts = [getattr(self, f.name).reshape(-1) for f in fields(self)]
        total = reducer.sum(torch.cat(parts))
        values, start = {}, 0
        for f, part in zip(fields(self), parts):
            shape = getattr(self, f.name).shape
            values[f.name] = total[start : start + part.numel()].reshape(shape)
            start += part.numel()
        return SufficientStats(**values)
