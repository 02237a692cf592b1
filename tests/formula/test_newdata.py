"""Predictions for new data: through the formula, or an array used as the design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import torchstats as ts


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 80
    frame = pd.DataFrame(
        {"x1": rng.normal(size=n), "x2": rng.uniform(0, 1, size=n), "g": rng.choice(list("abc"), n)}
    )
    frame["y"] = 0.3 + 0.5 * frame.x1 - frame.x2 + (frame.g == "c") + rng.normal(size=n) * 0.5
    frame["k"] = rng.poisson(np.exp(0.2 + 0.3 * frame.x1))
    frame["b"] = (frame.y > frame.y.median()).astype(float)
    return frame


CASES = [
    ("ols", lambda f, d: ts.ols(f, d), lambda f, d: smf.ols(f, d), "y"),
    (
        "glm",
        lambda f, d: ts.glm(f, d, family=ts.families.Poisson()),
        lambda f, d: smf.glm(f, d, family=sm.families.Poisson()),
        "k",
    ),
    ("logit", lambda f, d: ts.logit(f, d), lambda f, d: smf.logit(f, d), "b"),
]


@pytest.mark.parametrize(("name", "ours", "theirs", "response"), CASES, ids=[c[0] for c in CASES])
def test_array_as_the_design_with_transform_false(data, name, ours, theirs, response):
    formula = f"{response} ~ x1 + x2 + g"
    res = ours(formula, data).fit()
    ref = theirs(formula, data).fit(disp=0) if name == "logit" else theirs(formula, data).fit()
    X = ref.model.exog[:7] * 1.5
    got, want = res.predict(X, transform=False), ref.predict(X, transform=False)
    assert isinstance(got, np.ndarray) and isinstance(want, np.ndarray)
    np.testing.assert_allclose(got, want, rtol=1e-8)
    frame = pd.DataFrame(X, index=list("abcdefg"))
    got, want = res.predict(frame, transform=False), ref.predict(frame, transform=False)
    pd.testing.assert_series_equal(got, want, rtol=1e-8, check_names=False)


def test_array_of_the_wrong_width_is_refused(data):
    res = ts.ols("y ~ x1 + g", data).fit()
    with pytest.raises(ts.errors.ShapeMismatchError, match="4 columns"):
        res.predict(np.ones((3, 2)), transform=False)


# --- new data whose columns differ from the fit's -------------------------------------------


@pytest.mark.parametrize("formula", ["y ~ x1 + g", "y ~ x1:g", "y ~ x1 * g"])
@pytest.mark.parametrize("codes", [[1, 2, 3], [0.0, 1.0, 1.0]])
def test_numbers_for_a_text_factor_are_unseen_levels(data, formula, codes):
    """The codes 1, 2, 3 of a text factor were put into every dummy column (a prediction of
    0.004 + 4.956 g + 9.994 g); statsmodels' patsy refuses them as unseen levels."""
    res = ts.ols(formula, data).fit()
    new = pd.DataFrame({"x1": [0.0, 0.5, 1.0], "x2": 0.5, "g": codes})
    with pytest.raises(ts.errors.UnseenLevelError, match="not seen when fitting"):
        res.predict(new)


def test_a_refused_prediction_leaves_the_model_as_fitted(data):
    """formulaic wrote the refused data's factor kinds into the fitted ModelSpec: every later
    prediction, on good data too, raised NonNumericDataError."""
    frame = data.assign(flag=data["x2"] > 0.5)
    res = ts.ols("y ~ x1 + g + flag", frame).fit()
    expected = np.asarray(res.fittedvalues)
    for bad in (frame.assign(g=1.0), frame.assign(flag="yes"), frame.assign(x1="a")):
        with pytest.raises(ts.errors.DesignError):
            res.predict(bad)
        np.testing.assert_allclose(np.asarray(res.predict(frame)), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "formula", ["y ~ x1.fillna(0) + x2", "y ~ np.nan_to_num(x1) + x2", "y ~ I(x1 > 0) + x2"]
)
def test_rows_the_formula_completes_are_predicted_as_fitted(data, formula):
    """The fit keeps rows whose missing value the formula turns into a number (statsmodels
    too); predict() gave them NaN because missing raw values were dropped before the formula
    was evaluated."""
    frame = data.copy()
    frame.loc[[2, 5, 7], "x1"] = np.nan
    res, ref = ts.ols(formula, frame).fit(), smf.ols(formula, frame).fit()
    assert res.nobs == ref.nobs == len(frame)
    np.testing.assert_allclose(np.asarray(res.predict(frame)), np.asarray(res.fittedvalues))
    np.testing.assert_allclose(np.asarray(res.predict(frame)), np.asarray(ref.predict(frame)))


def test_missing_values_still_predict_nan(data):
    res = ts.ols("y ~ np.log(x2) + g", data).fit()
    new = pd.DataFrame({"x2": [np.nan, 0.5, 0.5], "g": ["a", None, "b"]})
    predicted = np.asarray(res.predict(new))
    assert np.isnan(predicted[:2]).all() and np.isfinite(predicted[2])


def test_pandas_string_columns_are_categorical(data):
    """A ``"string"`` extension column was refused as not numeric (statsmodels reads text)."""
    frame = data.assign(g=data["g"].astype("string"))
    res, ref = ts.ols("y ~ x1 + g", frame).fit(), smf.ols("y ~ x1 + g", frame).fit()
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-12)
    assert list(res.params.index) == list(ref.params.index)
    new = pd.DataFrame({"x1": [0.0, 1.0], "g": pd.array(["a", "c"], dtype="string")})
    fitted_on_objects = ts.ols("y ~ x1 + g", data.assign(g=data["g"].astype(object))).fit()
    for fit in (res, fitted_on_objects):
        np.testing.assert_allclose(np.asarray(fit.predict(new)), np.asarray(ref.predict(new)))


def test_wls_prediction_weights_as_a_series(data):
    """get_prediction(new, weights=Series) raised (torch read the Series by its labels);
    statsmodels takes it by position."""
    frame = data.assign(w=np.linspace(0.5, 2.0, len(data)))
    ours = ts.wls("y ~ x1", frame, weights=frame["w"]).fit()
    theirs = smf.wls("y ~ x1", frame, weights=frame["w"]).fit()
    new = frame.iloc[[4, 1, 7]]
    np.testing.assert_allclose(
        ours.get_prediction(new, weights=new["w"]).summary_frame().to_numpy(),
        theirs.get_prediction(new, weights=new["w"]).summary_frame().to_numpy(),
        rtol=1e-10,
    )
