"""Residual diagnostics of the OLS summary footer: omnibus, Jarque-Bera, Durbin-Watson.

numpy/scipy versions of ``statsmodels.stats.stattools.omni_normtest``, ``jarque_bera`` and
``durbin_watson`` for a 1-d residual vector, with the same values and edge cases. The
residuals may be a torch tensor (on any device), a pandas Series, a numpy array or a list;
these statistics run once per summary, so they are computed on the host in float64.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from torchstats.errors import TorchstatsWarning

__all__ = [
    "omni_normtest",
    "jarque_bera",
    "durbin_watson",
    "ResidualMoments",
    "diagnostics_from_moments",
]

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
    return _unit_scaled(array)


# The statistics here are scale invariant; residuals beyond 2^±256 in size (a response
# scaled by 1e300) are divided by a power of two, exactly, so that their fourth powers stay
# within float64.
_SCALE_EXPONENT = 256


def _unit_scaled(values: np.ndarray) -> np.ndarray:
    finite = np.abs(values[np.isfinite(values)])
    peak = float(finite.max()) if finite.size else 0.0
    if peak == 0 or 2.0**-_SCALE_EXPONENT < peak < 2.0**_SCALE_EXPONENT:
        return values
    return values / 2.0 ** math.floor(math.log2(peak))


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


@dataclass(frozen=True, slots=True)
class ResidualMoments:
    """Sums that determine the OLS footer's diagnostics, mergeable across chunks.

    Attributes
    ----------
    nobs : int
        Number of residuals.
    m2, m3, m4 : float
        Central moments ``mean((e - mean(e))^p)`` (biased, as scipy's ``skew``/``kurtosis``).
    sum_squares : float
        ``sum e^2`` (Durbin-Watson's denominator).
    sum_squared_differences : float
        ``sum (e_t - e_{t-1})^2`` (Durbin-Watson's numerator).
    """

    nobs: int
    m2: float
    m3: float
    m4: float
    sum_squares: float
    sum_squared_differences: float


def diagnostics_from_moments(moments: ResidualMoments) -> dict[str, float]:
    """Omnibus, Jarque-Bera, skew, kurtosis and Durbin-Watson from :class:`ResidualMoments`.

    The same numbers as :func:`omni_normtest`, :func:`jarque_bera` and
    :func:`durbin_watson` on the residuals themselves (scipy's ``skewtest`` and
    ``kurtosistest`` formulas, D'Agostino 1990), for fits whose residuals are never held in
    memory.
    """
    n = float(moments.nobs)
    skew = moments.m3 / moments.m2**1.5
    kurtosis = moments.m4 / moments.m2**2
    jb = n / 6.0 * (skew**2 + (kurtosis - 3) ** 2 / 4.0)
    if moments.nobs < _OMNIBUS_MIN_NOBS:
        omnibus = omnibus_pvalue = float("nan")
    else:
        z_skew, z_kurtosis = _skewtest_z(skew, n), _kurtosistest_z(kurtosis, n)
        omnibus = z_skew**2 + z_kurtosis**2
        omnibus_pvalue = float(stats.chi2.sf(omnibus, 2))
    return {
        "omnibus": float(omnibus),
        "omnibus_pvalue": omnibus_pvalue,
        "jarque_bera": float(jb),
        "jarque_bera_pvalue": float(stats.chi2.sf(jb, 2)),
        "skew": float(skew),
        "kurtosis": float(kurtosis),
        "durbin_watson": moments.sum_squared_differences / moments.sum_squares,
    }


def _skewtest_z(skew: float, n: float) -> float:
    """scipy.stats.skewtest's normal approximation of the sample skewness."""
    y = skew * math.sqrt(((n + 1) * (n + 3)) / (6.0 * (n - 2)))
    beta2 = (
        3.0 * (n**2 + 27 * n - 70) * (n + 1) * (n + 3) / ((n - 2.0) * (n + 5) * (n + 7) * (n + 9))
    )
    w2 = -1 + math.sqrt(2 * (beta2 - 1))
    delta = 1 / math.sqrt(0.5 * math.log(w2))
    alpha = math.sqrt(2.0 / (w2 - 1))
    y = 1.0 if y == 0 else y
    return delta * math.log(y / alpha + math.sqrt((y / alpha) ** 2 + 1))


def _kurtosistest_z(kurtosis: float, n: float) -> float:
    """scipy.stats.kurtosistest's normal approximation (Anscombe & Glynn 1983)."""
    expected = 3.0 * (n - 1) / (n + 1)
    variance = 24.0 * n * (n - 2) * (n - 3) / ((n + 1) * (n + 1.0) * (n + 3) * (n + 5))
    x = (kurtosis - expected) / math.sqrt(variance)
    sqrt_beta1 = (
        6.0
        * (n * n - 5 * n + 2)
        / ((n + 7) * (n + 9))
        * math.sqrt((6.0 * (n + 3) * (n + 5)) / (n * (n - 2) * (n - 3)))
    )
    a = 6.0 + 8.0 / sqrt_beta1 * (2.0 / sqrt_beta1 + math.sqrt(1 + 4.0 / sqrt_beta1**2))
    term1 = 1 - 2 / (9.0 * a)
    denom = 1 + x * math.sqrt(2 / (a - 4.0))
    if denom == 0:
        return float("nan")
    term2 = math.copysign(((1 - 2.0 / a) / abs(denom)) ** (1 / 3), denom)
    return (term1 - term2) / math.sqrt(2 / (9.0 * a))
