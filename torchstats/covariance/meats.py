"""Meats of sandwich covariances: outer products of per-observation scores.

Every function takes the scores ``s_i`` (the per-observation gradients of the objective at
the estimate, ``x_i * e_i`` for least squares) as an ``(n, k)`` tensor and returns a
``(k, k)`` meat, in a few passes over the data and never an ``n x n`` matrix. They run on any
device; group codes must be on the scores' device.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import torch

from torchstats.errors import LeverageWarning, MissingDataError, warn
from torchstats.solvers.leverage import describe_leverage_one, leverage_one
from torchstats.structured.blas import cross_product, gram_matrix

__all__ = [
    "white_meat",
    "leverage_factors",
    "warn_leverage_one",
    "cluster_meat",
    "hac_meat",
    "hac_meat_blocks",
    "panel_hac_meat",
    "segment_codes",
    "group_codes",
    "intersect_groups",
    "missing_cluster_labels",
]


def white_meat(scores: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """``sum_i w_i s_i s_i'``: the HC meat (``w = 1`` for HC0/HC1).

    Parameters
    ----------
    scores : Tensor, shape (n, k)
    weights : Tensor, shape (n,), optional
        Per-observation factors, ``1/(1-h_i)`` (HC2) or ``1/(1-h_i)^2`` (HC3).
    """
    return gram_matrix(scores, weights)


def leverage_factors(h: torch.Tensor, power: int) -> torch.Tensor:
    """HC2 (``power=1``) or HC3 (``power=2``) factors ``1 / (1 - h_i)^power`` of the meat.

    An observation with leverage one (:func:`~torchstats.solvers.leverage.leverage_one`)
    makes them undefined: its factor is NaN, so the covariance is NaN, as R's
    ``sandwich::vcovHC`` gives (statsmodels reports a finite, meaningless number: a
    residual of about ``eps`` over ``1 - h`` of about ``eps``). Pair with
    :func:`warn_leverage_one`.
    """
    factors = 1 / (1 - h) ** power
    return torch.where(leverage_one(h), torch.full_like(factors, float("nan")), factors)


def warn_leverage_one(one: torch.Tensor, power: int, row_labels: pd.Index | None) -> None:
    """The :class:`~torchstats.errors.LeverageWarning` of HC2/HC3, naming the observations
    of leverage one (mask ``one``) by their labels in ``row_labels`` (else positions)."""
    if not bool(one.any()):
        return
    kind = f"HC{power + 1}"
    warn(
        f"{describe_leverage_one(one, row_labels)} (the fit reproduces it exactly, e.g. "
        f"through a dummy column that is one on that row only): {kind} divides the squared "
        f"residual by (1 - h)^{power} = 0, so the {kind} covariance is undefined and reported "
        "as NaN. Drop the observation or the column that isolates it, or use cov_type='HC0' "
        "or 'HC1'.",
        LeverageWarning,
    )


def cluster_meat(scores: torch.Tensor, codes: torch.Tensor, n_groups: int) -> torch.Tensor:
    """Sum over clusters of the outer product of within-cluster score sums.

    Parameters
    ----------
    scores : Tensor, shape (n, k)
        Per-observation scores at the estimate.
    codes : Tensor of int64, shape (n,)
        Cluster codes in ``0..n_groups-1``.
    n_groups : int
        Number of clusters G.

    Returns
    -------
    Tensor, shape (k, k)

    Notes
    -----
    The CRV1 meat of statsmodels ``cov_type="cluster"`` (``S_crosssection``), before the
    small-sample factor ``G/(G-1) * (n-1)/(n-k)`` is applied.
    """
    sums = torch.zeros(n_groups, scores.shape[1], dtype=scores.dtype, device=scores.device)
    sums.index_add_(0, codes, scores)
    return sums.T @ sums


def hac_meat(scores: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``w_0 G_0 + sum_l w_l (G_l + G_l')`` with ``G_l = sum_t s_t s_{t-l}'`` (Newey-West).

    Parameters
    ----------
    scores : Tensor, shape (n, k)
        Scores in time order.
    weights : Tensor, shape (maxlags + 1,)
        Kernel weights for lags ``0..maxlags`` (see :mod:`.kernels`).

    Notes
    -----
    statsmodels ``sandwich_covariance.S_hac_simple``.
    """
    meat = weights[0] * gram_matrix(scores)
    for lag in range(1, weights.shape[0]):
        if lag >= scores.shape[0]:
            break
        gamma = cross_product(scores[lag:], scores[:-lag])
        meat = meat + weights[lag] * (gamma + gamma.T)
    return meat


def panel_hac_meat(
    scores: torch.Tensor, weights: torch.Tensor, segments: torch.Tensor
) -> torch.Tensor:
    """:func:`hac_meat` with lags taken only within consecutive segments (panel units).

    Parameters
    ----------
    scores : Tensor, shape (n, k)
        Scores, each panel unit's rows consecutive and in time order.
    weights : Tensor, shape (maxlags + 1,)
        Kernel weights for lags ``0..maxlags``.
    segments : Tensor of int64, shape (n,)
        The segment (panel unit) of each row; rows ``t`` and ``t - l`` form a lag-``l`` pair
        when they lie in the same segment.

    Raises
    ------
    ValueError
        If a lag leaves no pair in any segment (every unit is shorter than the lag).

    Notes
    -----
    statsmodels ``sandwich_covariance.S_nw_panel`` (with ``lagged_groups``).
    """
    meat = weights[0] * gram_matrix(scores)
    for lag in range(1, weights.shape[0]):
        same = segments[lag:] == segments[:-lag] if lag < scores.shape[0] else None
        if same is None or not bool(same.any()):
            raise ValueError(
                f"no panel unit has more than {lag} observations, so there are no pairs at "
                f"lag {lag}; lower maxlags"
            )
        current = scores[lag:] * same[:, None].to(scores.dtype)
        gamma = cross_product(current, scores[:-lag])
        meat = meat + weights[lag] * (gamma + gamma.T)
    return meat


def segment_codes(breaks: np.ndarray) -> tuple[torch.Tensor, int]:
    """Codes ``0..S-1`` of consecutive segments, and their number ``S``.

    Parameters
    ----------
    breaks : ndarray of bool, shape (n - 1,)
        ``breaks[i]`` is True where row ``i + 1`` starts a new segment (statsmodels'
        ``hac-panel``: where ``groups`` changes, or where ``time`` decreases).
    """
    codes = np.concatenate([[0], np.cumsum(np.asarray(breaks, dtype=bool))])
    return torch.as_tensor(codes, dtype=torch.int64), int(codes[-1]) + 1


def hac_meat_blocks(blocks: Iterable[torch.Tensor], weights: torch.Tensor) -> torch.Tensor:
    """:func:`hac_meat` over scores that arrive in consecutive row blocks.

    The last ``maxlags`` rows of each block are kept so lags that cross block boundaries
    are counted, which makes the result equal to :func:`hac_meat` on all rows at once.
    Only those few rows are copied: the products within a block read the block itself.
    """
    maxlags = weights.shape[0] - 1
    meat: torch.Tensor | None = None
    tail: torch.Tensor | None = None  # the last (up to) maxlags rows before this block
    for scores in blocks:
        part = weights[0] * gram_matrix(scores)
        offset = 0 if tail is None else tail.shape[0]
        head = scores[:maxlags] if tail is None else torch.cat([tail, scores[:maxlags]])
        for lag in range(1, maxlags + 1):
            gamma = None
            if lag < scores.shape[0]:  # pairs (t, t - lag) inside the block
                gamma = cross_product(scores[lag:], scores[:-lag])
            start, stop = max(offset, lag), min(offset + lag, head.shape[0])
            if start < stop:  # pairs whose t - lag lies in an earlier block
                crossing = head[start:stop].T @ head[start - lag : stop - lag]
                gamma = crossing if gamma is None else gamma + crossing
            if gamma is not None:
                part = part + weights[lag] * (gamma + gamma.T)
        meat = part if meat is None else meat + part
        if maxlags:
            recent = scores if tail is None else torch.cat([tail, scores[-maxlags:]])
            tail = recent[-maxlags:]
    if meat is None:
        raise ValueError("no scores to build a HAC meat from")
    return meat


def group_codes(groups: object, nobs: int, device: torch.device) -> tuple[torch.Tensor, int]:
    """Integer codes ``0..G-1`` for any cluster labels (numbers, strings, categoricals).

    Raises
    ------
    ValueError
        If there is not one label per observation.
    MissingDataError
        If a label is missing (NaN or None).
    """
    values = groups.detach().cpu().numpy() if isinstance(groups, torch.Tensor) else groups
    if not isinstance(values, pd.Series):
        values = pd.Series(np.asarray(values).reshape(-1))
    labels = values
    if len(labels) != nobs:
        raise ValueError(f"groups has {len(labels)} labels but the model has {nobs} observations")
    codes, uniques = pd.factorize(labels, sort=True)
    if (codes < 0).any():
        raise missing_cluster_labels(int((codes < 0).sum()), f"among the {nobs} observations")
    return torch.as_tensor(codes, dtype=torch.int64, device=device), len(uniques)


def missing_cluster_labels(count: int, where: str) -> MissingDataError:
    """The error for cluster labels with missing values, the same in memory and streamed.

    statsmodels puts the rows with a missing label together in one cluster of their own
    (``np.unique`` treats NaN as one value); a missing label more likely means data to fix.
    """
    return MissingDataError(
        f"cluster groups hold {count} missing label(s) (NaN or None) {where}; every "
        "observation needs a cluster: fill them (e.g. give each such row a label of its own) "
        "or drop those rows before fitting"
    )


def intersect_groups(first: torch.Tensor, second: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Codes of the intersection clusters of two clusterings (for two-way clustering)."""
    combined = first * (int(second.max()) + 1) + second
    _, codes = torch.unique(combined, return_inverse=True)
    return codes, int(codes.max()) + 1
