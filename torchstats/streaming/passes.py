"""Passes over streamed data after the estimate: residual statistics and score meats.

The first pass gives sufficient statistics and the estimate. A second pass at the estimate
gives what needs residuals: the sum of squared residuals computed from the residuals
themselves (not ``y'y - b'X'y``, which cancels catastrophically when R-squared is near 1),
``X'r`` for a refinement step, the centered total sum of squares, the residual moments of
the summary's diagnostics, and — on demand — the meats of robust covariances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.covariance.meats import (
    hac_meat_blocks,
    leverage_factors,
    missing_cluster_labels,
    warn_leverage_one,
)
from torchstats.covariance.scores import Intersection
from torchstats.solvers.leverage import leverage_one
from torchstats.streaming.chunks import Chunk, ChunkDesigner
from torchstats.streaming.distributed import Reducer

__all__ = ["ResidualStats", "residual_pass", "StreamedScores", "progress", "whitened"]


def progress(chunks: Iterable[Chunk], enabled: bool, description: str) -> Iterator[Chunk]:
    """Chunks, with a tqdm progress bar when ``enabled`` and tqdm is installed."""
    if enabled:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # pragma: no cover - tqdm is optional
            enabled = False
    if not enabled:
        yield from chunks
        return
    with tqdm(desc=description, unit=" chunks") as bar:
        for chunk in chunks:
            yield chunk
            bar.update(1)


def whitened(chunk: Chunk, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(W^(1/2) X, W^(1/2) (y - X b))`` of a chunk."""
    resid = chunk.endog - chunk.exog @ params
    if chunk.weights is None:
        return chunk.exog, resid
    sqrt_w = torch.sqrt(chunk.weights)
    return chunk.exog * sqrt_w[:, None], resid * sqrt_w


@dataclass(frozen=True, slots=True)
class ResidualStats:
    """Residual sums at one estimate (``r`` the whitened residuals).

    Attributes
    ----------
    xtr : Tensor, (k,)
        ``X'W (y - X b)``: zero at the exact least-squares solution; drives refinement.
    ssr : Tensor, 0-d
        ``sum r^2``.
    centered_tss : Tensor, 0-d
        ``sum w (y - ybar_w)^2``.
    central : Tensor, (3,)
        ``sum (r - rbar)^p`` for p = 2, 3, 4 (``rbar`` from the sufficient statistics).
    squared_differences : Tensor, 0-d
        ``sum (r_t - r_{t-1})^2`` in data order (Durbin-Watson).
    """

    xtr: torch.Tensor
    ssr: torch.Tensor
    centered_tss: torch.Tensor
    central: torch.Tensor
    squared_differences: torch.Tensor


def residual_pass(
    designer: ChunkDesigner,
    params: torch.Tensor,
    *,
    y_mean: torch.Tensor,
    resid_mean: torch.Tensor,
    reducer: Reducer,
    show_progress: bool,
) -> ResidualStats:
    """One pass computing :class:`ResidualStats` at ``params``."""
    k = params.shape[0]
    zero = torch.zeros((), dtype=params.dtype, device=params.device)
    xtr = torch.zeros(k, dtype=params.dtype, device=params.device)
    ssr, tss, differences = zero.clone(), zero.clone(), zero.clone()
    central = torch.zeros(3, dtype=params.dtype, device=params.device)
    first: torch.Tensor | None = None
    last: torch.Tensor | None = None
    for chunk in progress(designer.chunks(), show_progress, "residuals"):
        Xw, r = whitened(chunk, params)
        xtr = xtr + Xw.T @ r
        ssr = ssr + r @ r
        weights = torch.ones_like(r) if chunk.weights is None else chunk.weights
        tss = tss + weights @ (chunk.endog - y_mean) ** 2
        shifted = r - resid_mean
        central = central + torch.stack([(shifted**p).sum() for p in (2, 3, 4)])
        differences = differences + (torch.diff(r) ** 2).sum()
        if last is not None:
            differences = differences + (r[0] - last) ** 2
        first = r[0] if first is None else first
        last = r[-1]
    differences = differences + _rank_boundaries(first, last, reducer, zero)
    summed = reducer.sum(torch.cat([xtr, torch.stack([ssr, tss, differences]), central]))
    return ResidualStats(
        xtr=summed[:k],
        ssr=summed[k],
        centered_tss=summed[k + 1],
        squared_differences=summed[k + 2],
        central=summed[k + 3 :],
    )


def _rank_boundaries(
    first: torch.Tensor | None, last: torch.Tensor | None, reducer: Reducer, zero: torch.Tensor
) -> torch.Tensor:
    """Durbin-Watson terms across processes: rank r's last residual to rank r+1's first."""
    if reducer.world_size == 1:
        return zero
    ends = reducer.union(
        [
            (
                reducer.rank,
                None if first is None else float(first),
                None if last is None else float(last),
            )
        ]
    )
    ordered = sorted(ends)
    total = 0.0
    for (_, _, end), (_, start, _) in zip(ordered, ordered[1:]):
        if end is not None and start is not None:
            total += (start - end) ** 2
    # every rank adds the same total; only rank 0 contributes it to the sum
    return zero + (total if reducer.rank == 0 else 0.0)


class StreamedScores:
    """Meats of robust covariances computed in passes over streamed data.

    Each meat is one more pass: the model gives each chunk's scores (least squares:
    ``x_i w_i e_i``, the whitened design times the whitened residuals; a GLM: ``x_i f_i``)
    and, for HC2/HC3, its leverages. Cluster labels and HAC's time order come from the
    chunks as they are read.

    Parameters
    ----------
    designer : ChunkDesigner
    scores_of : callable
        ``chunk -> (m, k)`` scores at the estimate.
    k_params : int
    nobs : int
    reducer : Reducer
    show_progress : bool
    leverage_of : callable, optional
        ``chunk -> (m,)`` leverages (HC2/HC3); None when the model has none.
    """

    def __init__(
        self,
        designer: ChunkDesigner,
        scores_of: Callable[[Chunk], torch.Tensor],
        *,
        k_params: int,
        nobs: int,
        reducer: Reducer,
        show_progress: bool,
        leverage_of: Callable[[Chunk], torch.Tensor] | None = None,
    ) -> None:
        self._designer = designer
        self._scores_of = scores_of
        self._leverage_of = leverage_of
        self._reducer = reducer
        self._progress = show_progress
        self.nobs = nobs
        self.k_params = k_params

    def _scores(self, extra: list[str] | None = None) -> Iterator[tuple[torch.Tensor, Chunk]]:
        chunks = self._designer.chunks(extra_columns=extra)
        for chunk in progress(chunks, self._progress, "scores"):
            yield self._scores_of(chunk), chunk

    def white_meat(self, leverage_power: int) -> torch.Tensor:
        with self._reducer.guard():
            k, designer = self.k_params, self._designer
            meat = torch.zeros((k, k), dtype=designer.dtype, device=designer.device)
            flagged: list[tuple[int, Any]] = []  # (chunk, row as read) of rows of leverage one
            for number, (scores, chunk) in enumerate(self._scores()):
                if leverage_power:
                    if self._leverage_of is None:
                        raise ValueError(
                            "HC2 and HC3 need leverages, which this streamed model does not "
                            "give; use HC0 or HC1, or fit in memory"
                        )
                    h = self._leverage_of(chunk)
                    factors = leverage_factors(h, leverage_power)
                    rows = chunk.frame.index[leverage_one(h).cpu().numpy()]
                    flagged += [(number, row) for row in rows]
                    meat = meat + (scores * factors[:, None]).T @ scores
                else:
                    meat = meat + scores.T @ scores
            if flagged:
                labels = pd.MultiIndex.from_tuples(flagged, names=["chunk", "row"])
                one = torch.ones(len(flagged), dtype=torch.bool)
                warn_leverage_one(one, leverage_power, labels)
            return self._reducer.sum(meat)

    def cluster_meat(self, groups: Any) -> tuple[torch.Tensor, int]:
        with self._reducer.guard():
            columns = _cluster_columns(groups)
            index: dict[Any, int] = {}
            k, designer = self.k_params, self._designer
            # one row of score sums per cluster seen so far (capacity doubled as clusters
            # appear): the only state of this pass that grows with the data, 8 k bytes a cluster
            sums = torch.zeros((0, k), dtype=designer.dtype, device=designer.device)
            for scores, chunk in self._scores(extra=columns):
                missing = int(chunk.frame[columns].isna().any(axis=1).sum())
                if missing:
                    source = self._designer.source.description
                    where = f"in column(s) {columns} of a chunk of {source}"
                    raise missing_cluster_labels(missing, where)
                labels = _labels(chunk.frame, columns)
                codes, uniques = pd.factorize(labels)
                for label in uniques:
                    if label not in index:
                        index[label] = len(index)
                if len(index) > sums.shape[0]:
                    grown = sums.new_zeros(max(len(index), 2 * sums.shape[0]), k)
                    grown[: sums.shape[0]] = sums
                    sums = grown
                global_codes = np.array([index[label] for label in uniques])[codes]
                sums.index_add_(0, torch.as_tensor(global_codes, device=sums.device), scores)
            totals = self._merge_clusters(list(index), sums[: len(index)])
            return totals.T @ totals, totals.shape[0]

    def _merge_clusters(self, seen: list[Any], sums: torch.Tensor) -> torch.Tensor:
        """Cluster sums (rows in the order of ``seen``) in one global label order, added up
        across processes."""
        labels = self._reducer.union(seen)
        order = {label: position for position, label in enumerate(labels)}
        rows = torch.as_tensor([order[label] for label in seen], dtype=torch.long)
        totals = sums.new_zeros(len(labels), self.k_params)
        totals.index_add_(0, rows.to(sums.device), sums)
        return self._reducer.sum(totals)

    def hac_meat(self, weights: torch.Tensor) -> torch.Tensor:
        with self._reducer.guard():
            if self._reducer.world_size > 1:
                raise ValueError(
                    "HAC covariances need the whole series in one process; fit on one process"
                )
            return hac_meat_blocks((scores for scores, _ in self._scores()), weights)


def _cluster_columns(groups: Any) -> list[str]:
    if isinstance(groups, Intersection):
        return _cluster_columns(groups.first) + _cluster_columns(groups.second)
    if isinstance(groups, str):
        return [groups]
    raise ValueError(
        "for streamed data, cluster groups are given by column name(s), e.g. "
        "cov_kwds={'groups': 'firm'} or {'groups': ['firm', 'year']}"
    )


def _labels(frame: pd.DataFrame, columns: list[str]) -> pd.Series | pd.Index:
    if len(columns) == 1:
        return frame[columns[0]].reset_index(drop=True)
    return pd.MultiIndex.from_frame(frame[columns].reset_index(drop=True)).to_flat_index()
