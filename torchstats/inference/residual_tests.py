"""Residual diagnostics of the OLS summary footer: omnibus, Jarque-Bera, Durbin-Watson.

numpy/scipy versions of ``statsmodels.stats.stattools.omni_normtest``, ``jarque_bera`` and
``durbin_watson`` for a 1-d residual vector, with the same values and edge cases. The
residuals may be a torch tensor (on any device), a pandas Series, a numpy array or a list;
these statistics run once per summary, so they are computed on the host in float64.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from torchstats.errors import TorchstatsWarning

__all__ = ["omni_normtest", "jarque_bera", "durbin_watson"]

# scipy's skewness test, inside the omnibus test, needs at least this many observations.
_OMNIBUS_MIN_NOBS = 8


def _residual_array(resid: Any) -> np.ndarray:
    """The residuals as a 1-d float64 numpy array."""
    if isinstance(resid, torch.Tensor):
        resid = resid.detach().cpu().numpy()
    elif isinstance(resid, (pd.Series, pd.DataFrame)):
        resid = resid.to_numpy()
    array = np.asarray(resid, dtype=np.float64)
    if array.ndim == 2 and 1 in array.shape:  # a column or row vector
        array = array.reshape(-1)
    if array.ndim != 1:
        raise ValueError(f"residuals must be 1-d, got shape {array.shape}")
    return array


def omni_normtest(resid: Any) -> tuple[float, float]:
    """D'Agostino-Pearson omnibus test of normality.

    Parameters
    ----------
    resid : array_like or Tensor, shape (n,)
        Residuals.

    Returns
    -------
    statistic : float
        ``K^2 = Z_skew^2 + Z_kurtosis^2``, chi-squared with 2 degrees of freedom under
        normality.
    pvalue : float

    Warns
    -----
    TorchstatsWarning
        With fewer than 8 residuals, where both values are NaN (the summary then prints
        ``nan``).

    Notes
    -----
    ``scipy.stats.normaltest``, wrapped as ``statsmodels.stats.stattools.omni_normtest``
    (which warns and returns NaN for n < 8). scipy itself warns when n < 20.
    """
    values = _residual_array(resid)
    if values.size < _OMNIBUS_MIN_NOBS:
        warnings.warn(
            f"omni_normtest is not valid with less than {_OMNIBUS_MIN_NOBS} observations; "
            f"{values.size:d} samples were given.",
            TorchstatsWarning,
            stacklevel=2,
        )
        return float("nan"), float("nan")
    statistic, pvalue = stats.normaltest(values)
    return float(statistic), float(pvalue)


def jarque_bera(resid: Any) -> tuple[float, float, float, float]:
    """Jarque-Bera test of normality.

    Parameters
    ----------
    resid : array_like or Tensor, shape (n,)
        Residuals (usually of mean zero).

    Returns
    -------
    jb : float
        ``n / 6 * (S^2 + (K - 3)^2 / 4)``.
    pvalue : float
        Chi-squared (2 degrees of freedom) upper tail of ``jb``.
    skew : float
        Sample skewness ``S`` (biased, ``scipy.stats.skew``).
    kurtosis : float
        Sample kurtosis ``K`` (not excess; 3 for normal data).

    Raises
    ------
    ValueError
        With fewer than 2 residuals.

    Notes
    -----
    ``statsmodels.stats.stattools.jarque_bera``.
    """
    values = _residual_array(resid)
    if values.size < 2:
        raise ValueError("resids must contain at least 2 elements")
    skew = stats.skew(values)
    kurtosis = 3 + stats.kurtosis(values)
    jb = (values.size / 6.0) * (skew**2 + (1 / 4.0) * (kurtosis - 3) ** 2)
    pvalue = stats.chi2.sf(jb, 2)
    return float(jb), float(pvalue), float(skew), float(kurtosis)


def durbin_watson(resid: Any) -> float:
    """Durbin-Watson statistic of serial correlation.

    Parameters
    ----------
    resid : array_like or Tensor, shape (n,)
        Residuals in time order.

    Returns
    -------
    float
        ``sum_{t>=2} (e_t - e_{t-1})^2 / sum_t e_t^2``: about ``2 * (1 - r)`` for lag-1
        autocorrelation ``r``; 2 means no serial correlation.

    Notes
    -----
    ``statsmodels.stats.stattools.durbin_watson``.
    """
    values = _residual_array(resid)
    return float(np.sum(np.diff(values) ** 2) / np.sum(values**2))
