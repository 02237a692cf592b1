"""OLS and WLS against statsmodels: one test per statistic, over many formulas and data sets."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import torchstats as ts
from tests.conftest import make_frame
from tests.parity import assert_matches

FORMULAS = [
    "y ~ x1",
    "y ~ x1 * C(g) + np.log(x2) + I(x3**2)",
    "y ~ x1 + C(g, Treatment('c')) + h",
    "y ~ x1:C(h) + x1",
    "y ~ C(g) * C(h)",
    "y ~ C(g):C(h) + C(g)",
    "y ~ C(k) * x1 + x2:x3",
    "y ~ x1 + x2 + x3 - 1",
    "y ~ C(g) - 1",
    "y ~ C(g) + x1 - 1",
    "y ~ flag + x1 + center(x3)",
    "y ~ x1 * x2 * x3",
    "y ~ np.exp(x1 / 3) + np.sqrt(x2) + C(k, Sum)",
    "y ~ 1",
]
SEEDS = [0, 1, 2]


def _case_id(case: tuple) -> str:
    return f"{case[0]}|{case[1]}|data{case[2]}"


CASES = [(kind, f, s) for kind in ("ols", "wls") for f in FORMULAS for s in SEEDS]


@functools.cache
def _fits(kind: str, formula: str, seed: int, missing: bool = False) -> tuple:
    frame = make_frame(seed, with_missing=missing)
    if kind == "ols":
        return ts.ols(formula, frame).fit(), smf.ols(formula, frame).fit()
    return (
        ts.wls(formula, frame, weights=frame["w"]).fit(),
        smf.wls(formula, frame, weights=frame["w"]).fit(),
    )


@pytest.fixture(params=CASES, ids=_case_id)
def fits(request: pytest.FixtureRequest) -> tuple:
    return _fits(*request.param)


@pytest.fixture(params=[("ols", "y ~ x1 * C(g) + np.log(x2)"), ("wls", "y ~ C(g) + x1")], ids=str)
def fits_missing(request: pytest.FixtureRequest) -> tuple:
    return _fits(*request.param, 7, True)


def test_param_names_and_order(fits):
    ours, theirs = fits
    assert list(ours.params.index) == list(theirs.params.index)
    assert ours.model.exog_names == theirs.model.exog_names
    assert ours.model.endog_names == theirs.model.endog_names


def test_params(fits):
    assert_matches(fits[0].params, fits[1].params, rtol=1e-10)


def test_bse(fits):
    assert_matches(fits[0].bse, fits[1].bse, rtol=1e-10)


def test_tvalues(fits):
    assert_matches(fits[0].tvalues, fits[1].tvalues, rtol=1e-9, atol_scale=1e-10)


def test_pvalues(fits):
    assert_matches(fits[0].pvalues, fits[1].pvalues, rtol=1e-8, atol_scale=1e-12)


def test_conf_int(fits):
    assert_matches(fits[0].conf_int(), fits[1].conf_int(), rtol=1e-10)
    assert_matches(fits[0].conf_int(alpha=0.1), fits[1].conf_int(alpha=0.1), rtol=1e-10)


def test_cov_params(fits):
    assert_matches(fits[0].cov_params(), fits[1].cov_params(), rtol=1e-9, atol_scale=1e-11)


def test_normalized_cov_params(fits):
    assert_matches(
        fits[0].normalized_cov_params, fits[1].normalized_cov_params, rtol=1e-9, atol_scale=1e-11
    )


@pytest.mark.parametrize(
    "name",
    [
        "nobs",
        "df_model",
        "df_resid",
        "k_constant",
        "rank",
    ],
)
def test_degrees_of_freedom(fits, name):
    ours, theirs = fits
    source = theirs.model if name in ("k_constant", "rank") else theirs
    assert getattr(ours, name) == getattr(source, name)


@pytest.mark.parametrize(
    "name",
    [
        "ssr",
        "ess",
        "centered_tss",
        "uncentered_tss",
        "mse_model",
        "mse_resid",
        "mse_total",
        "scale",
    ],
)
def test_sums_of_squares(fits, name):
    ours, theirs = fits
    expected = getattr(theirs, name)
    # ess of an intercept-only model is zero up to rounding: compare it on the scale of tss.
    scale = max(abs(expected), theirs.uncentered_tss) if np.isfinite(expected) else 1.0
    np.testing.assert_allclose(getattr(ours, name), expected, rtol=1e-10, atol=1e-13 * scale)


def test_rsquared(fits):
    # R-squared lies in [0, 1]; intercept-only models give 0 up to rounding.
    np.testing.assert_allclose(fits[0].rsquared, fits[1].rsquared, rtol=1e-10, atol=1e-13)


def test_rsquared_adj(fits):
    np.testing.assert_allclose(fits[0].rsquared_adj, fits[1].rsquared_adj, rtol=1e-10, atol=1e-13)


def test_fvalue(fits):
    assert_matches(fits[0].fvalue, fits[1].fvalue, rtol=1e-9)


def test_f_pvalue(fits):
    assert_matches(fits[0].f_pvalue, fits[1].f_pvalue, rtol=1e-8, atol_scale=1e-14)


def test_llf(fits):
    assert_matches(fits[0].llf, fits[1].llf, rtol=1e-12)


@pytest.mark.parametrize("name", ["aic", "bic"])
def test_information_criteria(fits, name):
    assert_matches(getattr(fits[0], name), getattr(fits[1], name), rtol=1e-12)


def test_resid(fits):
    assert_matches(fits[0].resid, fits[1].resid, rtol=1e-9, atol_scale=1e-10)


def test_wresid(fits):
    assert_matches(fits[0].wresid, fits[1].wresid, rtol=1e-9, atol_scale=1e-10)


def test_fittedvalues(fits):
    assert_matches(fits[0].fittedvalues, fits[1].fittedvalues, rtol=1e-11)


def test_eigenvals_and_condition_number(fits):
    ours, theirs = fits
    # statsmodels takes eigvalsh(X'X), whose small eigenvalues carry an absolute error of
    # about eps * max eigenvalue; ours are squared singular values, accurate relatively.
    assert_matches(ours.eigenvals, theirs.eigenvals, rtol=1e-7, atol_scale=1e-13)
    assert_matches(ours.condition_number, theirs.condition_number, rtol=1e-6)


def test_use_t(fits):
    assert fits[0].use_t is True and fits[1].use_t is True


def test_predict_new_data(fits):
    ours, theirs = fits
    new = make_frame(99, n=15)
    assert_matches(ours.predict(new), theirs.predict(new), rtol=1e-10, atol_scale=1e-12)


def test_missing_rows_dropped_with_labels(fits_missing):
    ours, theirs = fits_missing
    assert ours.nobs == theirs.nobs
    assert_matches(ours.params, theirs.params, rtol=1e-10)
    assert_matches(ours.resid, theirs.resid, rtol=1e-9, atol_scale=1e-10)
    assert_matches(ours.fittedvalues, theirs.fittedvalues, rtol=1e-11)


def test_predict_with_missing_rows_gives_nan():
    ours, theirs = _fits("ols", "y ~ x1 * C(g) + np.log(x2)", 0)
    new = make_frame(5, n=6)
    new.loc[new.index[1], "x1"] = np.nan
    new.loc[new.index[3], "g"] = None
    predicted = ours.predict(new)
    assert_matches(predicted, theirs.predict(new), rtol=1e-10)
    assert predicted.isna().tolist() == [False, True, False, True, False, False]


def test_output_types_are_pandas(fits):
    ours = fits[0]
    assert isinstance(ours.params, pd.Series)
    assert isinstance(ours.cov_params(), pd.DataFrame)
    assert isinstance(ours.conf_int(), pd.DataFrame)
    assert list(ours.conf_int().columns) == [0, 1]
    assert isinstance(ours.resid, pd.Series)
    assert isinstance(ours.eigenvals, np.ndarray)
    assert isinstance(ours.nobs, float) and isinstance(ours.rsquared, float)
