"""Properties every least-squares fit must have, whatever the data (scikit-learn style)."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest

import torchstats as ts
from torchstats.errors import CollinearityWarning

FORMULA = "y ~ x1 * C(g) + np.log(x2) + x3"
METHODS = ["qr", "cholesky", "pinv", "gd"]


def test_unit_weights_equal_ols(frame):
    ols = ts.ols(FORMULA, frame).fit()
    wls = ts.wls(FORMULA, frame, weights=np.ones(len(frame))).fit()
    np.testing.assert_allclose(wls.params, ols.params, rtol=1e-12)
    np.testing.assert_allclose(wls.bse, ols.bse, rtol=1e-12)
    np.testing.assert_allclose(wls.llf, ols.llf, rtol=1e-12)


def test_zero_weight_is_dropping_the_row_for_the_estimates(frame):
    weights = frame["w"].to_numpy().copy()
    weights[[4, 11]] = 0.0
    zero = ts.wls(FORMULA, frame, weights=weights).fit()
    kept = frame.drop(frame.index[[4, 11]])
    dropped = ts.wls(FORMULA, kept, weights=weights[weights > 0]).fit()
    np.testing.assert_allclose(zero.params, dropped.params, rtol=1e-11)
    np.testing.assert_allclose(zero.ssr, dropped.ssr, rtol=1e-11)
    # statsmodels counts zero-weight rows in nobs (and so in df_resid); so do we
    assert zero.nobs == dropped.nobs + 2


def test_integer_weight_is_repeating_the_row(frame):
    weights = np.ones(len(frame))
    weights[[1, 5, 8]] = [2.0, 3.0, 2.0]
    weighted = ts.wls(FORMULA, frame, weights=weights).fit()
    repeated = frame.loc[frame.index.repeat(weights.astype(int))]
    ols = ts.ols(FORMULA, repeated.reset_index(drop=True)).fit()
    np.testing.assert_allclose(weighted.params, ols.params, rtol=1e-11)
    np.testing.assert_allclose(weighted.ssr, ols.ssr, rtol=1e-11)


@pytest.mark.parametrize("method", METHODS)
def test_all_solvers_agree(frame, method):
    reference = ts.ols(FORMULA, frame).fit(method="qr")
    res = ts.ols(FORMULA, frame).fit(method=method)
    np.testing.assert_allclose(res.params, reference.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.bse, reference.bse, rtol=1e-8)


def test_rescaling_a_column_rescales_its_coefficient_only(frame):
    base = ts.ols("y ~ x1 + x3 + C(g)", frame).fit()
    scaled = ts.ols("y ~ x1 + x3 + C(g)", frame.assign(x3=frame["x3"] * 1000.0)).fit()
    np.testing.assert_allclose(scaled.params["x3"] * 1000.0, base.params["x3"], rtol=1e-11)
    np.testing.assert_allclose(scaled.tvalues, base.tvalues, rtol=1e-10)
    np.testing.assert_allclose(scaled.fittedvalues, base.fittedvalues, rtol=1e-11)


def test_row_order_does_not_matter(frame):
    shuffled = frame.sample(frac=1.0, random_state=4)
    base = ts.ols(FORMULA, frame).fit()
    other = ts.ols(FORMULA, shuffled).fit()
    np.testing.assert_allclose(other.params, base.params, rtol=1e-11)
    np.testing.assert_allclose(other.bse, base.bse, rtol=1e-11)
    pd.testing.assert_series_equal(other.resid.loc[frame.index], base.resid, rtol=1e-9)


@pytest.mark.parametrize("method", ["qr", "cholesky", "pinv"])
def test_duplicated_column_warns_and_keeps_fitted_values(frame, method):
    data = frame.assign(x1_copy=frame["x1"])
    base = ts.ols("y ~ x1 + x3", data).fit()
    handover = (
        pytest.warns(CollinearityWarning, match="too ill-conditioned for a Cholesky")
        if method == "cholesky"
        else contextlib.nullcontext()
    )
    with handover, pytest.warns(CollinearityWarning, match=r"rank deficient \(rank 3 < 4"):
        dup = ts.ols("y ~ x1 + x1_copy + x3", data).fit(method=method)
    assert dup.rank == 3 and dup.df_resid == base.df_resid and dup.df_model == base.df_model
    np.testing.assert_allclose(dup.fittedvalues, base.fittedvalues, rtol=1e-10)
    # the minimum-norm solution splits the coefficient evenly, as statsmodels' pinv does
    np.testing.assert_allclose(dup.params["x1"], base.params["x1"] / 2, rtol=1e-9)
    np.testing.assert_allclose(dup.params["x1_copy"], base.params["x1"] / 2, rtol=1e-9)
    assert any("rank deficient" in note for note in dup._summary_notes())


def test_rank_deficient_matches_statsmodels_pinv(frame):
    import statsmodels.formula.api as smf

    data = frame.assign(x13=frame["x1"] + 2 * frame["x3"])
    with pytest.warns(CollinearityWarning):
        ours = ts.ols("y ~ x1 + x3 + x13", data).fit()
    with pytest.warns(UserWarning, match="rank-deficient"):  # statsmodels warns too
        theirs = smf.ols("y ~ x1 + x3 + x13", data).fit()
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-8)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-7)
    assert ours.df_resid == theirs.df_resid


def test_intercept_only_model(frame):
    res = ts.ols("y ~ 1", frame).fit()
    np.testing.assert_allclose(res.params["Intercept"], frame["y"].mean(), rtol=1e-13)
    np.testing.assert_allclose(
        res.bse["Intercept"], frame["y"].std(ddof=1) / np.sqrt(len(frame)), rtol=1e-12
    )
    assert np.isnan(res.fvalue) and res.df_model == 0


def test_wls_fit_and_robust_covariances_keep_no_whitened_copy():
    """Large enough for the weighted Gram route, which reads X and w, never sqrt(w) X."""
    rng = np.random.default_rng(11)
    n, k = 40_000, 10
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = X @ np.ones(k) + rng.normal(size=n)
    model = ts.WLS(y, X, weights=rng.uniform(0.5, 2.0, n))
    for cov_type in ("nonrobust", "HC0", "HC3"):
        assert np.isfinite(model.fit(cov_type=cov_type).bse).all()
    assert "wexog" not in vars(model)  # the cached sqrt(w) X copy was never made
    expected = model.fit(cov_type="HC3").bse
    assert model.wexog.shape == (n, k)  # forming it changes nothing
    np.testing.assert_allclose(model.fit(cov_type="HC3").bse, expected, rtol=1e-13)


def test_rsquared_of_a_float32_fit_with_a_large_mean() -> None:
    """The constant-response check, a bound of (n eps)^2 times the uncentered sum of
    squares, judged an ordinary float32 response constant (sd / mean below 0.12 at 1e6
    rows; here a mean of 2e4 at 1 000 rows): R-squared, adjusted R-squared and F were NaN."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    y = 2e4 + 5 * x + rng.normal(scale=5, size=1000)
    X = np.column_stack([np.ones(1000), x])
    full = ts.OLS(y, X).fit()
    single = ts.OLS(y, X, dtype="float32").fit()
    for name in ("rsquared", "rsquared_adj", "fvalue"):
        assert getattr(single, name) == pytest.approx(getattr(full, name), rel=1e-3), name
