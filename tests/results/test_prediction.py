"""get_prediction(...).summary_frame() for OLS and WLS against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import torchstats as ts
from tests.conftest import make_frame
from tests.parity import assert_matches

FORMULAS = ["y ~ x1 * C(g) + np.log(x2)", "y ~ C(k) + x3 - 1"]
COVS = [("nonrobust", {}), ("HC3", {}), ("cluster", {"groups": "k"})]


def _pair(kind, formula, frame, cov_type, kwds):
    ours_kwds = {k: frame[v] for k, v in kwds.items()}
    theirs_kwds = {k: frame[v].to_numpy() for k, v in kwds.items()}
    if kind == "ols":
        ours = ts.ols(formula, frame).fit(cov_type=cov_type, cov_kwds=ours_kwds)
        theirs = smf.ols(formula, frame).fit(cov_type=cov_type, cov_kwds=theirs_kwds)
    else:
        ours = ts.wls(formula, frame, weights=frame["w"]).fit(cov_type=cov_type, cov_kwds=ours_kwds)
        theirs = smf.wls(formula, frame, weights=frame["w"]).fit(
            cov_type=cov_type, cov_kwds=theirs_kwds
        )
    return ours, theirs


@pytest.mark.parametrize("kind", ["ols", "wls"])
@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize(("cov_type", "kwds"), COVS)
@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_summary_frame_new_data(frame, kind, formula, cov_type, kwds, alpha):
    ours, theirs = _pair(kind, formula, frame, cov_type, kwds)
    new = make_frame(11, n=9)
    got = ours.get_prediction(new).summary_frame(alpha)
    expected = theirs.get_prediction(new).summary_frame(alpha)
    assert list(got.columns) == list(expected.columns)
    assert_matches(got, expected, rtol=1e-9)


@pytest.mark.parametrize("kind", ["ols", "wls"])
def test_summary_frame_fitted_data(frame, kind):
    ours, theirs = _pair(kind, FORMULAS[0], frame, "nonrobust", {})
    assert_matches(
        ours.get_prediction().summary_frame(), theirs.get_prediction().summary_frame(), rtol=1e-9
    )


def test_weights_for_new_observations(frame):
    ours, theirs = _pair("wls", FORMULAS[0], frame, "nonrobust", {})
    new = make_frame(12, n=5)
    w = np.linspace(0.5, 2.0, 5)
    assert_matches(
        ours.get_prediction(new, weights=w).summary_frame(),
        theirs.get_prediction(new, weights=w).summary_frame(),
        rtol=1e-9,
    )


def test_attributes_and_arrays():
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(40), rng.normal(size=(40, 2))])
    y = X @ [1.0, 2.0, -1.0] + rng.normal(size=40)
    import statsmodels.api as sm

    ours = ts.OLS(y, X).fit().get_prediction(X[:4])
    theirs = sm.OLS(y, X).fit().get_prediction(X[:4])
    for name in ("predicted_mean", "se_mean", "var_pred_mean", "se_obs"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-10)
    np.testing.assert_allclose(ours.conf_int(obs=True), theirs.conf_int(obs=True), rtol=1e-10)
    assert ours.summary_frame().index.equals(pd.RangeIndex(4))


def test_a_mapping_of_series_keeps_its_labels_as_statsmodels() -> None:
    """``predict(dict(frame))`` labels the predictions by the Series' index (was 0..n-1)."""
    import statsmodels.formula.api as smf

    data = ts.datasets.longley()
    new = data.iloc[:4].copy()
    new.index = list("abcd")
    ours = ts.ols("TOTEMP ~ GNP + UNEMP", data).fit().predict(dict(new))
    theirs = smf.ols("TOTEMP ~ GNP + UNEMP", data).fit().predict(dict(new))
    pd.testing.assert_index_equal(ours.index, theirs.index)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    plain = ts.ols("TOTEMP ~ GNP + UNEMP", data).fit().predict({"GNP": [300.0], "UNEMP": [200.0]})
    assert list(plain.index) == [0]
