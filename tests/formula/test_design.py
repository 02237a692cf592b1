"""The formula and array doors: missing data, row labels, extras, namespaces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from torchstats.formula.arrays import design_from_arrays
from torchstats.formula.design import design_from_formula

CPU = {"device": torch.device("cpu"), "dtype": torch.float64}


def test_missing_drop_keeps_original_labels(frame_with_missing):
    design = design_from_formula("y ~ x1 + C(g)", frame_with_missing, **CPU)
    dropped = frame_with_missing.index[[2, 5, 9, 17]]
    assert design.nobs == len(frame_with_missing) - 4
    assert not set(dropped) & set(design.row_index)
    assert list(design.row_index) == [i for i in frame_with_missing.index if i not in dropped]


def test_missing_drop_only_considers_used_columns(frame_with_missing):
    design = design_from_formula("y ~ x2", frame_with_missing, **CPU)
    assert design.nobs == len(frame_with_missing) - 1


def test_missing_none_keeps_nan(frame_with_missing):
    design = design_from_formula("y ~ x1", frame_with_missing, missing="none", **CPU)
    assert design.nobs == len(frame_with_missing)
    assert torch.isnan(design.exog).any()


def test_transform_producing_nan_is_dropped():
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0], "x": [1.0, -1.0, 2.0, 3.0, 4.0]})
    with np.errstate(invalid="ignore"):
        design = design_from_formula("y ~ np.log(x)", data, **CPU)
    assert list(design.row_index) == [0, 2, 3, 4]


def test_extras_follow_the_dropped_rows(frame_with_missing):
    weights = np.arange(len(frame_with_missing), dtype=float)
    design = design_from_formula("y ~ x1", frame_with_missing, extras={"weights": weights}, **CPU)
    positions = [frame_with_missing.index.get_loc(i) for i in design.row_index]
    np.testing.assert_array_equal(design.extras["weights"].numpy(), weights[positions])


def test_duplicate_row_labels_are_kept():
    data = pd.DataFrame(
        {"y": [1.0, 2.0, 4.0, 3.0], "x": [0.0, 1.0, 2.0, np.nan]}, index=list("aaba")
    )
    res = ts.ols("y ~ x", data).fit()
    assert list(res.resid.index) == ["a", "a", "b"]


def test_boolean_regressor_is_categorical_like_patsy(frame):
    design = design_from_formula("y ~ flag", frame, **CPU)
    assert design.exog_names == ("Intercept", "flag[T.True]")


def test_boolean_response_is_numeric():
    data = pd.DataFrame({"y": [True, False, True, True], "x": [1.0, 2.0, 3.0, 5.0]})
    design = design_from_formula("y ~ x", data, **CPU)
    np.testing.assert_array_equal(design.endog.numpy(), [1.0, 0.0, 1.0, 1.0])


def test_mapping_data_is_accepted():
    data = {"y": [1.0, 2.0, 4.0], "x": [0.0, 1.0, 3.0]}
    assert ts.ols("y ~ x", data).exog_names == ["Intercept", "x"]


def test_terms_record_column_indices(frame):
    design = design_from_formula("y ~ x1 * C(g)", frame, **CPU)
    assert dict(design.terms) == {
        "Intercept": (0,),
        "C(g)": (1, 2),
        "x1": (3,),
        "x1:C(g)": (4, 5),
    }


def _fit_in_a_function(frame):
    local_scale = 10.0  # noqa: F841  (used by the formula)
    return ts.ols("y ~ I(x1 * local_scale)", frame).fit()


def test_names_from_the_callers_namespace(frame):
    res = _fit_in_a_function(frame)
    assert "I(x1 * local_scale)" in res.params.index


def test_names_from_the_callers_namespace_in_every_entry_point(frame):
    factor = 3.0  # noqa: F841  (used by the formulas)
    for model in (
        ts.ols("y ~ I(x1 * factor)", frame),
        ts.OLS("y ~ I(x1 * factor)", frame),
        ts.OLS.from_formula("y ~ I(x1 * factor)", frame),
        ts.wls("y ~ I(x1 * factor)", frame, weights=frame["w"]),
        ts.WLS("y ~ I(x1 * factor)", frame, weights=frame["w"]),
    ):
        assert model.exog_names == ["Intercept", "I(x1 * factor)"]


def test_explicit_context_mapping(frame):
    model = ts.ols("y ~ I(x1 * c)", frame, context={"c": 2.0})
    np.testing.assert_allclose(model.exog[:, 1], 2.0 * frame["x1"].to_numpy())


def test_predict_uses_the_stateful_transforms_of_the_fit(frame):
    res = ts.ols("y ~ center(x3)", frame).fit()
    new = pd.DataFrame({"x3": [frame["x3"].mean(), frame["x3"].mean() + 1.0]})
    predicted = res.predict(new)
    np.testing.assert_allclose(predicted.iloc[0], res.params["Intercept"], rtol=1e-12)
    np.testing.assert_allclose(
        predicted.iloc[1] - predicted.iloc[0], res.params["center(x3)"], rtol=1e-12
    )


@pytest.mark.parametrize(
    "term", ["scale(x3)", "scale(x3, ddof=1)", "standardize(x3)", "center(x3)"]
)
def test_scaling_transforms_are_patsys(frame, term):
    """patsy's scale is its standardize (the n standard deviation); formulaic's own scale
    divides by the n - 1 one, which gave coefficients sqrt(n / (n - 1)) apart."""
    formula = f"y ~ {term}"
    ours, theirs = ts.ols(formula, frame).fit(), smf.ols(formula, frame).fit()
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-12)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-12)
    new = pd.DataFrame({"x3": [0.0, 1.0, 2.5]})
    np.testing.assert_allclose(ours.predict(new), theirs.predict(new), rtol=1e-12)


BOOLEAN_FORMULAS = [
    "y ~ I(x1 > 0):x2",  # without the main effect: two slopes, patsy's model
    "y ~ I(x1 > 0)",
    "y ~ I(x1 > 0) * C(g)",  # patsy's order of the terms
    "y ~ flag + I(flag * x1)",  # the column stays boolean inside an expression
    "y ~ I(1 * flag)",
    "y ~ flag:x2",
]


@pytest.mark.parametrize("formula", BOOLEAN_FORMULAS)
def test_boolean_columns_and_expressions_are_patsys_categories(formula):
    """patsy treats every boolean factor as categorical (levels False, True). Expressions
    such as ``I(x1 > 0)`` were numeric 0/1 here (one slope for ``I(x1 > 0):x2`` where
    statsmodels fits two, other names), and a boolean column inside an expression failed
    (the column had been made categorical)."""
    rng = np.random.default_rng(0)
    n = 400
    data = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "g": rng.choice(list("abc"), n),
        }
    )
    data["flag"] = data["x1"] > 0.3
    data["y"] = data["x1"] + data["x2"] * (data["x1"] > 0) + rng.normal(size=n)
    ours, theirs = ts.ols(formula, data).fit(), smf.ols(formula, data).fit()
    assert list(ours.params.index) == list(theirs.params.index)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-10)
    new = data.iloc[::37]
    np.testing.assert_allclose(ours.predict(new), theirs.predict(new), rtol=1e-10, atol=1e-12)


def test_a_boolean_response_expression_stays_numeric():
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"x1": rng.normal(size=300)})
    data["y"] = data["x1"] + rng.normal(size=300)
    expression = ts.logit("I(y > 0) ~ x1", data).fit(disp=0)
    column = ts.logit("yb ~ x1", data.assign(yb=data["y"] > 0)).fit(disp=0)
    np.testing.assert_allclose(expression.params, column.params, rtol=1e-13)


def test_array_door_names_and_types():
    design = design_from_arrays(
        pd.Series([1.0, 2.0, 3.0], name="resp"),
        pd.DataFrame({"a": [1.0, 2.0, 3.5], "b": [0.0, 1.0, 0.0]}),
        **CPU,
    )
    assert design.endog_name == "resp" and design.exog_names == ("a", "b")
    assert design.output.kind == "pandas"


def test_array_door_one_dimensional_exog():
    design = design_from_arrays(np.arange(4.0), np.array([1.0, 3.0, 2.0, 5.0]), **CPU)
    assert design.exog.shape == (4, 1) and design.exog_names == ("x1",)


def test_parsed_formulas_are_shared_without_leaking_between_data():
    """Parsing is cached by formula text; kinds and term order still come from each frame."""
    from torchstats.formula.design import _parsed

    rng = np.random.default_rng(3)
    numeric = pd.DataFrame({"y": rng.normal(size=12), "x": rng.normal(size=12)})
    numeric["z"] = np.tile(["a", "b", "c"], 4)
    text = numeric.assign(x=np.tile(["u", "v"], 6))
    first = design_from_formula("y ~ z + x", numeric, **CPU)
    hits = _parsed.cache_info().hits
    second = design_from_formula("y ~ z + x", text, **CPU)
    assert _parsed.cache_info().hits > hits
    assert first.exog_names == ("Intercept", "z[T.b]", "z[T.c]", "x")
    assert second.exog_names == ("Intercept", "z[T.b]", "z[T.c]", "x[T.v]")
    again = design_from_formula("y ~ z + x", numeric, **CPU)
    assert again.exog_names == first.exog_names
    torch.testing.assert_close(again.exog, first.exog)


def test_missing_categories_are_refused_with_missing_none():
    """formulaic coded a missing category as the reference level (statsmodels raises)."""
    frame = pd.DataFrame(
        {"y": [1.0, 2, 3, 4, 5, 6], "x": [1.0, 2, 3, 4, 5, 7], "g": ["a", "b", None, "b", "a", "b"]}
    )
    with pytest.raises(ts.errors.MissingDataError, match="categorical column.*'g'"):
        ts.ols("y ~ x + g", frame, missing="none")
    assert ts.ols("y ~ x + g", frame).fit().nobs == 5  # missing="drop" drops the row


def test_values_outside_the_given_levels_are_refused():
    """C(g, levels=[...]) coded the data's other levels as the reference level, with only
    formulaic's DataMismatchWarning (statsmodels raises)."""
    frame = pd.DataFrame({"y": [1.0, 2, 3, 10, 11, 12, 20, 21, 22], "g": list("aaabbbccc")})
    for missing in ("drop", "raise", "none"):
        with pytest.raises(ts.errors.UnseenLevelError, match=r"\{'c'\} outside the levels"):
            ts.ols("y ~ C(g, levels=['a', 'b'])", frame, missing=missing)
    assert ts.ols("y ~ C(g, levels=['c', 'b', 'a'])", frame).fit().df_model == 2
