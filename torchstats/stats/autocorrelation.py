"""Tests of residual autocorrelation: Ljung-Box / Box-Pierce and Breusch-Godfrey.

``statsmodels.stats.diagnostic.acorr_ljungbox`` and ``acorr_breusch_godfrey`` with the
same signatures, defaults and return values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from torchstats.errors import InvalidOptionError, ShapeMismatchError
from torchstats.stats._inputs import as_float_array, auxiliary_ols, host_array
from torchstats.stats._store import LMTestResult, ResultsStore

__all__ = ["acf", "acorr_ljungbox", "acorr_breusch_godfrey"]

# Escanciano & Lobato (2009): the constant q of the automatic lag selection's threshold.
_AUTO_LAG_Q = 2.4


def acf(x: Any, nlags: int) -> np.ndarray:
    """Sample autocorrelations ``r_0 = 1, r_1, ..., r_nlags`` (divisor ``n``, demeaned).

    statsmodels' ``acf(x, nlags, fft=False)`` (``adjusted=False``).
    """
    values = as_float_array(x, "x", ndim=1)
    centred = values - values.mean()
    n = centred.shape[0]
    acov = np.correlate(centred, centred, "full")[n - 1 :] / n
    return acov[: nlags + 1] / acov[0]


def _auto_lags(x: np.ndarray, boxpierce: bool) -> np.ndarray:
    """Escanciano & Lobato's data-driven number of lags, as statsmodels' ``auto_lag``."""
    nobs = x.shape[0]
    maxlag = nobs - 1
    sacf = acf(x, maxlag)
    lags = np.arange(1, maxlag + 1)
    if boxpierce:
        q_sacf = nobs * np.cumsum(sacf[1:] ** 2)
    else:
        q_sacf = nobs * (nobs + 2) * np.cumsum(sacf[1:] ** 2 / (nobs - lags))
    threshold = np.sqrt(_AUTO_LAG_Q * np.log(nobs))
    if np.abs(sacf).max() * np.sqrt(nobs) <= threshold:
        q_sacf = q_sacf - lags * np.log(nobs)
    else:
        q_sacf = q_sacf - 2 * lags
    return np.arange(1, max(1, int(np.argmax(q_sacf))) + 1)


def _lag_list(
    x: np.ndarray, lags: int | Iterable[int] | None, period: int | None, boxpierce: bool, auto: bool
) -> np.ndarray:
    nobs = x.shape[0]
    if auto:
        return _auto_lags(x, boxpierce)
    if period is not None:
        return np.arange(1, min(nobs // 5, 2 * period) + 1, dtype=int)
    if lags is None:
        return np.arange(1, min(nobs // 5, 10) + 1, dtype=int)
    if not isinstance(lags, Iterable):
        return np.arange(1, int(lags) + 1)
    return np.asarray(list(lags), dtype=int)


def acorr_ljungbox(
    x: Any,
    lags: int | Iterable[int] | None = None,
    boxpierce: bool = False,
    model_df: int = 0,
    period: int | None = None,
    return_df: bool = True,
    auto_lag: bool = False,
) -> pd.DataFrame:
    """Ljung-Box (and Box-Pierce) tests of autocorrelation up to each lag.

    Parameters
    ----------
    x : array_like or Tensor, shape (n,)
        The series (demeaned before the autocorrelations are formed), e.g. residuals.
    lags : int or sequence of int, optional
        An int: every lag ``1..lags``; a sequence: those lags. Default ``min(10, n // 5)``
        (``min(2 period, n // 5)`` with ``period``).
    boxpierce : bool
        Also report the Box-Pierce statistic.
    model_df : int
        Degrees of freedom used by the model (``p + q`` for ARMA residuals), subtracted
        from each lag's; p-values are NaN where none remain.
    period : int, optional
        Seasonal period (at least 2) for the default number of lags.
    return_df : bool
        Kept for compatibility: a DataFrame is always returned (as statsmodels).
    auto_lag : bool
        Choose the number of lags from the data (Escanciano & Lobato, 2009).

    Returns
    -------
    DataFrame
        Indexed by lag, with ``lb_stat, lb_pvalue`` (and ``bp_stat, bp_pvalue``).

    Notes
    -----
    ``statsmodels.stats.diagnostic.acorr_ljungbox``; R's ``Box.test``.
    """
    values = as_float_array(x, "x", ndim=1)
    if period is not None and int(period) <= 1:
        raise InvalidOptionError("period must be >= 2")
    if int(model_df) < 0:
        raise InvalidOptionError("model_df must be >= 0")
    nobs = values.shape[0]
    lag_list = _lag_list(values, lags, period, boxpierce, auto_lag)
    maxlag = int(lag_list.max())
    sacf = acf(values, maxlag)
    squared = sacf[1 : maxlag + 1] ** 2
    q_lb = nobs * (nobs + 2) * np.cumsum(squared / (nobs - np.arange(1, maxlag + 1)))[lag_list - 1]
    dof = lag_list - int(model_df)
    usable = dof > 0
    p_lb = np.full_like(q_lb, np.nan)
    p_lb[usable] = stats.chi2.sf(q_lb[usable], dof[usable])
    columns = {"lb_stat": q_lb, "lb_pvalue": p_lb}
    if boxpierce:
        q_bp = nobs * np.cumsum(squared)[lag_list - 1]
        p_bp = np.full_like(q_lb, np.nan)
        p_bp[usable] = stats.chi2.sf(q_bp[usable], dof[usable])
        columns |= {"bp_stat": q_bp, "bp_pvalue": p_bp}
    return pd.DataFrame(columns, index=lag_list)


def _lagged_columns(x: np.ndarray, nlags: int) -> np.ndarray:
    """Columns ``x_{t-1}, ..., x_{t-nlags}`` with zeros before the start (statsmodels)."""
    nobs = x.shape[0]
    padded = np.concatenate((np.zeros(nlags), x))
    return np.column_stack([padded[nlags - j : nlags - j + nobs] for j in range(1, nlags + 1)])


def acorr_breusch_godfrey(
    res: Any, nlags: int | None = None, store: bool = False, *, result_object: bool | None = None
) -> tuple[float, float, float, float] | LMTestResult:
    """Breusch-Godfrey Lagrange multiplier test of residual autocorrelation.

    Parameters
    ----------
    res : RegressionResults
        A fitted torchstats (or statsmodels) regression.
    nlags : int, optional
        Highest lag of the residuals in the auxiliary regression; default
        ``min(10, n // 5)``.
    store : bool
        Also return a :class:`ResultsStore` with the auxiliary fit (``resols``) and
        ``usedlag``.
    result_object : bool, optional
        Return an :class:`LMTestResult` named tuple (always so with ``store``).

    Returns
    -------
    lm, lmpval, fval, fpval : float
        ``n R^2`` of the regression of the residuals on the design and their lags, with
        its chi-squared(nlags) p-value, and the F test of the lags.

    Notes
    -----
    ``statsmodels.stats.diagnostic.acorr_breusch_godfrey``; R's ``lmtest::bgtest`` (whose
    lagged residuals are also zero before the sample starts).
    """
    resid = np.squeeze(host_array(res.resid))
    if resid.ndim != 1:
        raise ShapeMismatchError(
            "Model resid must be a 1d array. Cannot be used on multivariate models."
        )
    nobs = resid.shape[0]
    nlags = min(10, nobs // 5) if nlags is None else int(nlags)
    lagged = _lagged_columns(resid, nlags)
    if not bool(res.k_constant):
        lagged = np.column_stack([np.ones(nobs), lagged])
    exog_old = getattr(res.model, "exog", None)
    if exog_old is None:
        exog = lagged
    else:
        exog = np.column_stack([as_float_array(exog_old, "exog", ndim=2), lagged])
    k_vars = exog.shape[1]
    aux = auxiliary_ols(resid, exog)
    ftest = aux.f_test(np.eye(nlags, k_vars, k_vars - nlags))
    fval = float(np.squeeze(ftest.fvalue))
    fpval = float(np.squeeze(ftest.pvalue))
    lm = float(nobs * aux.rsquared)
    lmpval = float(stats.chi2.sf(lm, nlags))
    if not (store or result_object):
        return lm, lmpval, fval, fpval
    res_store = None
    if store:
        res_store = ResultsStore()
        res_store.resols = aux
        res_store.usedlag = nlags
    return LMTestResult(lm, lmpval, fval, fpval, res_store)
