"""Formula text read as statsmodels (patsy) reads it: errors, quoted names, ``**``, ``.``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import torchstats as ts
from torchstats.errors import DesignError, NonNumericDataError, NumbersAsTextWarning
from torchstats.formula.parsing import formula_variables, parse_formula


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 60
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "x3": rng.uniform(1, 2, size=n),
            "g": rng.choice(list("abc"), n),
            "h": rng.choice(list("uv"), n),
        }
    )
    frame["y"] = frame.x1 - 0.5 * frame.x2 + (frame.g == "b") + rng.normal(size=n)
    return frame


def _same_fit(res: object, ref: object) -> None:
    pd.testing.assert_index_equal(res.params.index, ref.params.index)  # type: ignore[attr-defined]
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-10, atol=1e-12)  # type: ignore[attr-defined]
    np.testing.assert_allclose(res.bse, ref.bse, rtol=1e-10)  # type: ignore[attr-defined]


# --- clear errors --------------------------------------------------------------------------


@pytest.mark.parametrize("formula", ["y ~ 0", "y ~ -1", "y ~ x1 - x1 - 1"])
def test_no_regressors_is_a_clear_error(data, formula):
    with pytest.raises(ValueError):  # statsmodels fails too, with an obscure message
        smf.ols(formula, data).fit()
    with pytest.raises(DesignError, match="no regressors.*'y ~ 1'"):
        ts.ols(formula, data)


def test_a_fixed_effects_part_is_absorbed_by_least_squares(data):
    absorbed = ts.ols("y ~ x1 | g", data).fit()
    dummies = ts.ols("y ~ x1 + C(g)", data).fit()
    assert absorbed.params["x1"] == pytest.approx(dummies.params["x1"], rel=1e-10)
    with pytest.raises(DesignError, match=r"does not absorb fixed effects.*C\(fe\)"):
        ts.mnlogit("g ~ x1 | h", data)


def test_power_needs_a_positive_integer(data):
    with pytest.raises(DesignError, match="positive integer"):
        ts.ols("y ~ (x1 + x2)**x3", data)


def test_numbers_as_text_warn_naming_the_column(data):
    frame = data.assign(xs=data.x1.round(3).astype(str).astype(object))
    with pytest.warns(NumbersAsTextWarning, match=r"'xs' holds numbers stored as text.*to_numeric"):
        res = ts.ols("y ~ x2 + xs", frame).fit()
    ref = smf.ols("y ~ x2 + xs", frame).fit()  # statsmodels: a factor, silently
    assert list(res.params.index) == list(ref.params.index)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumbersAsTextWarning)
        ts.ols("y ~ x2 + C(xs)", frame)  # the factor asked for: no warning
        ts.ols("y ~ x2 + g", frame)  # real text: no warning


def test_numbers_in_an_object_column_warn_naming_the_column(data):
    frame = data.assign(xo=data.x1.round(3).astype(object))
    with pytest.warns(NumbersAsTextWarning, match=r"'xo' holds numbers stored as objects"):
        res = ts.ols("y ~ x2 + xo", frame).fit()
    ref = smf.ols("y ~ x2 + xo", frame).fit()  # statsmodels: a factor, silently
    assert list(res.params.index) == list(ref.params.index)
    mixed = data.assign(xo=["a", 1.0] * (len(data) // 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumbersAsTextWarning)
        ts.ols("y ~ x2 + xo", mixed)  # not all numbers: a real factor, no warning


def test_numbers_as_text_in_new_data_name_the_column(data):
    res = ts.ols("y ~ x1 + g", data).fit()
    new = data.head(4).assign(x1=data.x1.head(4).astype(str))
    with pytest.raises(
        NonNumericDataError,
        match=r"column 'x1' of the new data.*numbers stored as text.*to_numeric",
    ):
        res.predict(new)
    glm = ts.glm("y ~ x1 + g", data).fit()
    with pytest.raises(NonNumericDataError, match="'x1'"):
        glm.predict(new)


# --- quoted names --------------------------------------------------------------------------


def test_q_quoted_name_as_statsmodels(data):
    frame = data.assign(**{"x.a": data.x2, "my var": data.x3})
    formula = "y ~ x1 + Q('x.a') + Q('my var')"
    res, ref = ts.ols(formula, frame).fit(), smf.ols(formula, frame).fit()
    _same_fit(res, ref)
    new = frame.tail(6)
    np.testing.assert_allclose(res.predict(new), ref.predict(new), rtol=1e-10)
    with pytest.raises(ts.errors.UnknownColumnError, match="'x.a'"):
        res.predict(new.drop(columns="x.a"))


def test_backtick_quoted_name(data):
    frame = data.assign(**{"Sepal.Length": data.x2, "a b": data.x3})
    res = ts.ols("y ~ x1 + `Sepal.Length` + `a b`", frame).fit()
    ref = smf.ols("y ~ x1 + Q('Sepal.Length') + Q('a b')", frame).fit()
    assert list(res.params.index) == ["Intercept", "x1", "Sepal.Length", "a b"]
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-10)
    np.testing.assert_allclose(res.predict(frame.head(5)), ref.predict(frame.head(5)), rtol=1e-10)


def test_quoted_missing_values_are_dropped(data):
    frame = data.assign(**{"x.a": data.x2})
    frame.loc[3, "x.a"] = np.nan
    with pytest.raises(ts.errors.MissingDataError, match="'x.a'"):
        ts.ols("y ~ Q('x.a')", frame, missing="raise")
    assert ts.ols("y ~ `x.a`", frame).fit().nobs == len(frame) - 1


def test_formula_variables_read_whole_quoted_names():
    parsed = parse_formula("y ~ np.log(x) + Q('x.a') + `S.L` + center(z) + C(g, Sum)")
    assert formula_variables(parsed.rhs) == {"np", "x", "x.a", "S.L", "z", "g", "Sum"}


# --- term order ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ (x1 + x2 + g)**2",
        "y ~ (x1 + x2 + x3)**3",
        "y ~ (x1 + g + h)**2 + x3",
        "y ~ (g + h + x1)**3",
        "y ~ x3 + (x1 + x2)**2",
    ],
)
def test_power_in_statsmodels_column_order(data, formula):
    _same_fit(ts.ols(formula, data).fit(), smf.ols(formula, data).fit())


# --- all other columns ---------------------------------------------------------------------


def test_dot_means_every_other_column_in_frame_order(data):
    res = ts.ols("y ~ .", data).fit()
    ref = smf.ols("y ~ x1 + x2 + x3 + g + h", data).fit()
    _same_fit(res, ref)
    less = ts.ols("y ~ . - x3", data).fit()
    _same_fit(less, smf.ols("y ~ x1 + x2 + g + h", data).fit())


def test_dot_follows_each_frame(data):
    ts.ols("y ~ .", data)
    res = ts.ols("y ~ .", data[["y", "x2", "x1"]]).fit()
    assert list(res.params.index) == ["Intercept", "x2", "x1"]


def test_numbers_as_text_in_a_streamed_chunk_name_the_column(data):
    chunks = [data.iloc[:30], data.iloc[30:].assign(x1=data.x1.iloc[30:].astype(str))]
    with pytest.raises(NonNumericDataError, match=r"column 'x1' of chunk 1 .*to_numeric"):
        ts.ols("y ~ x1 + g", chunks).fit()
    chunks.reverse()  # text first: the column is a factor whose levels mix str and float
    with (
        pytest.warns(NumbersAsTextWarning),
        pytest.raises(
            NonNumericDataError, match=r"column 'x1' holds values of different types.*to_numeric"
        ),
    ):
        ts.ols("y ~ x1 + g", chunks).fit()


def test_numbers_as_text_in_the_first_streamed_chunk_warn(data):
    frame = data.assign(xs=data.x1.round(1).astype(str))
    with pytest.warns(NumbersAsTextWarning, match="'xs'"):
        ts.ols("y ~ xs", [frame.iloc[:30], frame.iloc[30:]])
