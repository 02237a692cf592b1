"""Tests of constant error variance: Breusch-Pagan, White and Goldfeld-Quandt.

The functions of ``statsmodels.stats.diagnostic`` with the same signatures, defaults and
return values; each auxiliary regression is a torchstats OLS fit.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import numpy as np
from scipy import stats

from torchstats.errors import DegreesOfFreedomWarning, InvalidOptionError, ShapeMismatchError
from torchstats.stats._inputs import as_float_array, auxiliary_ols
from torchstats.stats._store import GoldfeldQuandtResult, ResultsStore

__all__ = ["het_breuschpagan", "het_white", "het_goldfeldquandt"]

Alternative = Literal["increasing", "decreasing", "two-sided"]


def _check_het_exog(x: np.ndarray, test_name: str) -> None:
    """statsmodels' requirement: at least two columns, one of them a non-zero constant."""
    x_max = x.max(axis=0)
    has_constant = np.any(((x_max - x.min(axis=0)) == 0) & (x_max != 0))
    if not has_constant or x.shape[1] < 2:
        raise ShapeMismatchError(
            f"{test_name} test requires exog to have at least two columns where one is a "
            "constant; add a column of ones (ts.add_constant or sm.add_constant)."
        )


def _check_rows(resid: np.ndarray, exog: np.ndarray) -> None:
    if resid.shape[0] != exog.shape[0]:
        raise ShapeMismatchError(
            f"resid has {resid.shape[0]} observations but exog has {exog.shape[0]} rows"
        )


def _constant_squares(squares: np.ndarray, test_name: str) -> bool:
    """Whether the squared residuals are all equal up to rounding (all zero included): the
    auxiliary regression's R-squared is then ``0 / 0`` and the test undefined, and a
    warning says so (statsmodels returns numbers of rounding noise, e.g. LM = -226)."""
    spread = float(np.ptp(squares)) if squares.size else 0.0
    if spread > 16 * np.finfo(np.float64).eps * float(np.max(np.abs(squares), initial=0.0)):
        return False
    warnings.warn(
        f"{test_name}: the squared residuals are all equal, so their regression on the "
        "regressors has no variance to explain and the test is undefined (NaN). A perfect "
        "fit or residuals of one size (e.g. a response of two values fitted by their mean) "
        "give this",
        DegreesOfFreedomWarning,
        stacklevel=3,
    )
    return True


_UNDEFINED = (math.nan, math.nan, math.nan, math.nan)


def het_breuschpagan(
    resid: Any, exog_het: Any, robust: bool = True
) -> tuple[float, float, float, float]:
    """Breusch-Pagan Lagrange multiplier test for heteroskedasticity.

    Parameters
    ----------
    resid : array_like or Tensor, shape (n,)
        Residuals of a fitted regression.
    exog_het : array_like or Tensor, shape (n, m)
        Variables suspected of driving the variance, including a constant.
    robust : bool
        Koenker's studentized version (default, R's ``lmtest::bptest``); False gives the
        original test assuming normal errors (``bptest(studentize=FALSE)``).

    Returns
    -------
    lm, lm_pvalue, fvalue, f_pvalue : float
        The LM statistic (``n R^2``, or ``ESS / 2`` of the scaled squared residuals when
        not robust) with its chi-squared(m - 1) p-value, and the F test of the auxiliary
        regression.

    Notes
    -----
    ``statsmodels.stats.diagnostic.het_breuschpagan``; the degrees of freedom assume
    ``exog_het`` has full column rank.
    """
    x = as_float_array(exog_het, "exog_het", ndim=2)
    _check_het_exog(x, "The Breusch-Pagan")
    y = as_float_array(resid, "resid", ndim=1) ** 2
    _check_rows(y, x)
    if _constant_squares(y, "het_breuschpagan"):
        return _UNDEFINED
    if not robust:
        y = y / np.mean(y)
    nobs, nvars = x.shape
    aux = auxiliary_ols(y, x)
    lm = nobs * aux.rsquared if robust else aux.ess / 2
    return float(lm), float(stats.chi2.sf(lm, nvars - 1)), float(aux.fvalue), float(aux.f_pvalue)


def het_white(
    resid: Any, exog: Any, interaction_terms: bool = True
) -> tuple[float, float, float, float]:
    """White's Lagrange multiplier test for heteroskedasticity.

    Parameters
    ----------
    resid : array_like or Tensor, shape (n,)
        Residuals; their squares are regressed on the cross products of ``exog``.
    exog : array_like or Tensor, shape (n, k)
        Regressors including a constant.
    interaction_terms : bool
        Include the products ``x_i x_j`` (default) besides the squares.

    Returns
    -------
    lm, lm_pvalue, fvalue, f_pvalue : float
        ``n R^2`` of the auxiliary regression with its chi-squared(df_model) p-value, and
        that regression's F test.

    Notes
    -----
    ``statsmodels.stats.diagnostic.het_white``: duplicated columns (a dummy and its square)
    reduce the auxiliary rank and so the degrees of freedom.
    """
    x = as_float_array(exog, "exog", ndim=2)
    y = as_float_array(resid, "resid", ndim=1)
    _check_rows(y, x)
    _check_het_exog(x, "White's heteroskedasticity")
    nobs, nvars = x.shape
    if interaction_terms:
        i0, i1 = np.triu_indices(nvars)
        products = x[:, i0] * x[:, i1]
    else:
        products = x**2
    if _constant_squares(y**2, "het_white"):
        return _UNDEFINED
    aux = auxiliary_ols(y**2, products)
    lm = nobs * aux.rsquared
    return (
        float(lm),
        float(stats.chi2.sf(lm, aux.df_model)),
        float(aux.fvalue),
        float(aux.f_pvalue),
    )


def _fits_exactly(fit: Any) -> bool:
    """Whether a regression's residuals are of rounding size: its sum of squares at most
    ``(n eps)^2`` of the response's (a constant or exactly linear response)."""
    bound = (fit.nobs * np.finfo(np.float64).eps) ** 2 * fit.uncentered_tss
    return bool(fit.ssr <= bound)


_RETIRED_ALTERNATIVES = {
    "i": "increasing",
    "inc": "increasing",
    "d": "decreasing",
    "dec": "decreasing",
    "2": "two-sided",
    "2-sided": "two-sided",
}


def _split_points(nobs: int, split: float | None, drop: float | None) -> tuple[int, int]:
    """End of the first subsample and start of the second, as statsmodels reads them."""
    if split is None:
        end1 = nobs // 2
    elif 0 < split < 1:
        end1 = int(nobs * split)
    else:
        end1 = int(split)
    if drop is None:
        return end1, end1
    if 0 < drop < 1:
        return end1, end1 + int(nobs * drop)
    return end1, end1 + int(drop)


def het_goldfeldquandt(
    y: Any,
    x: Any,
    idx: int | None = None,
    split: float | None = None,
    drop: float | None = None,
    alternative: Alternative = "increasing",
    store: bool = False,
    *,
    result_object: bool | None = None,
) -> tuple[float, float, str] | GoldfeldQuandtResult:
    """Goldfeld-Quandt test that the error variance is the same in two subsamples.

    Parameters
    ----------
    y : array_like or Tensor, shape (n,)
        Response.
    x : array_like or Tensor, shape (n, k)
        Regressors.
    idx : int, optional
        Sort the observations by column ``idx`` of ``x`` first.
    split : int or float, optional
        End of the first subsample: an index, or a fraction of ``n`` in (0, 1);
        default ``n // 2``.
    drop : int or float, optional
        Observations (or a fraction of ``n``) left out after ``split``.
    alternative : {"increasing", "decreasing", "two-sided"}
        The variance of the second subsample is larger, smaller, or different.
    store : bool
        Also return a :class:`ResultsStore` with both subsample fits.
    result_object : bool, optional
        Return a :class:`GoldfeldQuandtResult` named tuple (always so with ``store``).

    Returns
    -------
    fval : float
        ``mse_resid`` of the second subsample over that of the first.
    pval : float
    ordering : str
        The alternative.
    res_store : ResultsStore
        Only with ``store=True``.

    Notes
    -----
    ``statsmodels.stats.diagnostic.het_goldfeldquandt`` and R's ``lmtest::gqtest``. The
    p-values of ``"increasing"`` and ``"decreasing"`` come from ``F(df_resid_2, df_resid_1)``,
    the distribution of the statistic, as in R; statsmodels swaps the degrees of freedom
    there, which changes the p-value when the subsamples differ in size (its
    ``"two-sided"`` p-value is R's).
    """
    if isinstance(alternative, str):
        # statsmodels lower-cases it and maps its retired abbreviations (with a warning)
        spelled = alternative.lower()
        if spelled in _RETIRED_ALTERNATIVES:
            spelled = _RETIRED_ALTERNATIVES[spelled]
            warnings.warn(
                f"alternative {alternative!r} is deprecated; use {spelled!r}",
                FutureWarning,
                stacklevel=2,
            )
        alternative = spelled  # type: ignore[assignment]
    if alternative not in ("increasing", "decreasing", "two-sided"):
        raise InvalidOptionError(
            f"alternative {alternative!r} is not recognized; use 'increasing', 'decreasing' "
            "or 'two-sided'"
        )
    xa = as_float_array(x, "x", ndim=2)
    ya = as_float_array(y, "y", ndim=1)
    _check_rows(ya, xa)
    end1, start2 = _split_points(xa.shape[0], split, drop)
    if idx is not None:
        order = np.argsort(xa[:, idx])
        ya, xa = ya[order], xa[order, :]
    first = auxiliary_ols(ya[:end1], xa[:end1])
    second = auxiliary_ols(ya[start2:], xa[start2:])
    if _fits_exactly(first) or _fits_exactly(second):
        warnings.warn(
            "het_goldfeldquandt: a subsample's regression fits its data exactly (residuals of "
            "rounding size), so the ratio of residual variances is undefined (NaN)",
            DegreesOfFreedomWarning,
            stacklevel=2,
        )
        fval = pval = math.nan
    else:
        fval = float(second.mse_resid / first.mse_resid)
        if alternative == "increasing":
            # F(df_2, df_1), the distribution of mse_2 / mse_1, as R's gqtest; statsmodels
            # swaps the two degrees of freedom here and below (the same for equal subsamples)
            pval = stats.f.sf(fval, second.df_resid, first.df_resid)
        elif alternative == "decreasing":
            pval = stats.f.sf(1.0 / fval, first.df_resid, second.df_resid)
        else:
            lower = stats.f.cdf(fval, second.df_resid, first.df_resid)
            upper = stats.f.sf(fval, second.df_resid, first.df_resid)
            pval = 2 * min(lower, upper)
        pval = float(pval)
    if not (store or result_object):
        return fval, pval, alternative
    res_store = None
    if store:
        res_store = ResultsStore()
        res_store.fval = fval
        res_store.fpval = pval
        res_store.df_fval = (second.df_resid, first.df_resid)
        res_store.resols1 = first
        res_store.resols2 = second
        res_store.ordering = alternative
        res_store.split = end1
        res_store._str = (
            "The Goldfeld-Quandt test for null hypothesis that the variance in the second\n"
            f"subsample is {alternative} than in the first subsample:\n"
            f"F-statistic ={fval:8.4f} and p-value ={pval:8.4f}"
        )
    return GoldfeldQuandtResult(fval, pval, alternative, res_store)
