"""``statsmodels.stats.stattools``: the residual statistics of a regression summary.

Durbin-Watson, Jarque-Bera and the omnibus normality test with statsmodels' signatures
(``resids``, ``axis``; 2-d input column by column), each series computed as the summaries
compute it (:mod:`torchstats.inference.residual_tests`: scale-safe, tensors accepted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch

from torchstats.inference import residual_tests

__all__ = ["NormaltestResult", "durbin_watson", "jarque_bera", "omni_normtest"]


class NormaltestResult(NamedTuple):
    """scipy's ``normaltest`` result, which statsmodels' ``omni_normtest`` returns."""

    statistic: Any
    pvalue: Any


def _array(resids: Any) -> np.ndarray:
    if isinstance(resids, torch.Tensor):
        return resids.detach().cpu().numpy().astype(np.float64)
    if isinstance(resids, (pd.Series, pd.DataFrame)):
        return resids.to_numpy(dtype=np.float64)
    return np.asarray(resids, dtype=np.float64)


def _along(
    resids: Any, axis: int, statistic: Callable[[np.ndarray], tuple[float, ...]]
) -> tuple[Any, ...]:
    """``statistic`` of each series along ``axis``: numpy scalars for one series, arrays of
    the other axes' shape otherwise."""
    values = _array(resids)
    if values.ndim <= 1:
        return tuple(np.float64(v) for v in statistic(np.atleast_1d(values)))
    moved = np.moveaxis(values, axis, -1)
    rows = [statistic(series) for series in moved.reshape(-1, moved.shape[-1])]
    return tuple(np.array(column).reshape(moved.shape[:-1]) for column in zip(*rows, strict=True))


def durbin_watson(resids: Any, axis: int = 0) -> Any:
    """Durbin-Watson statistic of serial correlation (statsmodels' signature).

    Parameters
    ----------
    resids : array_like or Tensor
        Residuals in time order; 2-d input gives one statistic per series along ``axis``.
    axis : int

    Returns
    -------
    float or ndarray
        ``sum (e_t - e_{t-1})^2 / sum e_t^2``.
    """
    return _along(resids, axis, lambda e: (residual_tests.durbin_watson(e),))[0]


def jarque_bera(resids: Any, axis: int = 0) -> tuple[Any, Any, Any, Any]:
    """Jarque-Bera test of normality (statsmodels' signature).

    Returns
    -------
    jb, pvalue, skew, kurtosis : float or ndarray
        See :func:`torchstats.inference.residual_tests.jarque_bera`.
    """
    jb, pvalue, skew, kurtosis = _along(resids, axis, residual_tests.jarque_bera)
    return jb, pvalue, skew, kurtosis


def omni_normtest(resids: Any, axis: int = 0) -> Any:
    """D'Agostino-Pearson omnibus test of normality (statsmodels' signature).

    Returns
    -------
    NormaltestResult or tuple
        ``statistic`` and ``pvalue`` (unpacks as a pair, as scipy's); ``(nan, nan)`` with a
        warning for fewer than 8 observations, as statsmodels.
    """
    values = _array(resids)
    if values.ndim > 1 and values.shape[axis] < 8:
        return residual_tests.omni_normtest(values.take([], axis=axis).reshape(-1))
    statistic, pvalue = _along(values, axis, residual_tests.omni_normtest)
    if np.all(np.isnan(statistic)):
        return statistic, pvalue
    return NormaltestResult(statistic, pvalue)
