"""Constraint strings, dicts and arrays read as statsmodels (patsy) reads them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.formula._manager import FormulaManager

import torchstats as ts
from tests.parity import assert_matches
from torchstats.errors import ConstraintError
from torchstats.inference.constraints import linear_constraint
from torchstats.inference.wald import wald_test

NAMES = ["Intercept", "C(g)[T.b]", "C(g)[T.c]", "x1", "x2", "x3", "np.log(x2)", "a[1,1]", "x10"]
STRINGS = [
    "x2 = x3 = 0",
    "x1 = x2 = x3",
    "x1 = x2 = x3 = 1",
    "2*x1 = 1",
    "x1 + x2 = 1",
    "x1 = 0, x2 = 0",
    "x1 - 2",
    "2 * (x1 + x2/3) + x2 + 2*3/4 = 1 + 2*3",
    "+2 * -x1",
    "x1 - x2, x1 + x2 = 2",
    "x1 = 1, x1 = x2 = x3",
    "x1 = (1 = x2)",
    "x1 = 1 = x2",
    "C(g)[T.b] = C(g)[T.c]",
    "C(g)[T.b] = C(g)[T.c] = 0",
    "Intercept = 1",
    "np.log(x2) = 2 * x1",
    "a[1,1] = x10",
    "x10 = x1",
    "(x1 = x2), (x3 = 2), (x10/1829 = 1)",
    "-x1 = 1",
    "(2 + x1 - x1) * x2",
    "x1*2",
    "1e-3*x1 = 2.5E2",
    "x1 = .5, x2 = -0.5",
    "x1 -x2 = +3",
]
OTHER_FORMS = [
    ["x1 = 0", "x2 = x3 = 1"],
    {"x1": 0},
    {"x1": 0.5, 2: 1},
    (np.eye(9)[:2], [1.0, 2.0]),
    np.eye(9)[3],
    np.eye(9)[[3, 5]],
]


def _statsmodels(spec, names=NAMES):
    lc = FormulaManager().get_linear_constraints(spec, names)
    return np.asarray(lc.constraint_matrix, float), np.asarray(lc.constraint_values).ravel()


@pytest.mark.parametrize("spec", STRINGS + OTHER_FORMS, ids=str)
def test_matrix_equals_statsmodels(spec):
    R, q = linear_constraint(spec, NAMES)
    R_sm, q_sm = _statsmodels(spec)
    np.testing.assert_array_equal(R, R_sm)
    np.testing.assert_array_equal(q, q_sm)


def test_chained_equality_is_two_restrictions():
    R, q = linear_constraint("x2 = x3 = 0", ["const", "x2", "x3"])
    np.testing.assert_array_equal(R, [[0, 1, -1], [0, 0, 1]])
    np.testing.assert_array_equal(q, [0, 0])


def _notebook_fit():
    """statsmodels' OLS example notebook, "Multicollinearity"-free dummy-variable model."""
    rng = np.random.default_rng(9876789)
    groups = np.repeat([0, 1, 2], [20, 20, 10])
    dummy = pd.get_dummies(groups).to_numpy(float)
    x = np.linspace(0, 20, 50)
    X = sm.add_constant(np.column_stack((x, dummy[:, 1:])), prepend=False)
    y = X @ [1.0, 3, -3, 10] + rng.normal(size=50)
    return ts.OLS(y, X).fit(), sm.OLS(y, X).fit()


@pytest.mark.parametrize("spec", ["x2 = x3 = 0", "x1 = x2 = x3", "x2 = x3", {"x2": 0, "x3": 1}])
def test_f_test_of_a_chain_equals_statsmodels(spec):
    ours, theirs = (res.f_test(spec) for res in _notebook_fit())
    np.testing.assert_allclose(ours.fvalue, theirs.fvalue, rtol=1e-10)
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue, rtol=1e-9)
    assert (ours.df_num, ours.df_denom) == (theirs.df_num, theirs.df_denom)


CHAINS = ["x1 = x3 = 0", "C(g)[T.b] = C(g)[T.c] = 0", "x1 = 2*x3 = 1, Intercept = 1"]


@pytest.mark.parametrize("spec", CHAINS + [{"x1": 0}, {"x1": 0, "C(g)[T.b]": 0.5}], ids=str)
def test_results_tests_equal_statsmodels(frame, spec):
    ours = ts.ols("y ~ x1 + x3 + C(g)", frame).fit(cov_type="HC1")
    theirs = smf.ols("y ~ x1 + x3 + C(g)", frame).fit(cov_type="HC1")
    for use_f in (True, False):
        a = ours.wald_test(spec, use_f=use_f)
        b = theirs.wald_test(spec, use_f=use_f, scalar=True)
        np.testing.assert_allclose(a.statistic, b.statistic, rtol=1e-10)
        np.testing.assert_allclose(a.pvalue, b.pvalue, rtol=1e-9)
    a, b = ours.t_test(spec), theirs.t_test(spec)
    np.testing.assert_allclose(a.tvalue, b.tvalue, rtol=1e-10)
    np.testing.assert_allclose(a.effect, b.effect, rtol=1e-10)


def test_free_function_and_likelihood_results_read_chains():
    fit, sm_fit = _notebook_fit()
    theirs = sm_fit.wald_test("x2 = x3 = 0", use_f=False, scalar=True)
    names = sm_fit.model.exog_names
    ours = wald_test(fit.params, fit.cov_params(), "x2 = x3 = 0", names=names)
    np.testing.assert_allclose(ours.statistic, theirs.statistic, rtol=1e-10)
    assert ours.df == 2


BAD = {
    "x1 * x2 = 0": "multiply one parameter by another",
    "x1 / x2": "divide by a parameter",
    "1 = 2": "no parameters appear",
    "3": "constant, with no parameters",
    "x9 = 0": "unknown parameter 'x9'",
    "x12 = 0": "unknown parameter 'x12'",
    r"C(g)[T.z] = 0": r"unknown parameter 'C\(g\)\[T.z\]'",
    "x1 = ": "ends with an operator",
    "(x1 = 0": r"unmatched '\('",
    "x1 = 0)": r"extra '\)'",
    "x1 x2": "expected an operator",
    "x1 = (x2, x3)": "cannot appear inside an expression",
    "x1 == 0": "expected a parameter or a number",
}


@pytest.mark.parametrize("spec", list(BAD), ids=str)
def test_bad_strings_raise_where_statsmodels_does(spec):
    with pytest.raises(Exception):  # noqa: B017, PT011 - patsy raises PatsyError/ValueError
        _statsmodels(spec)
    with pytest.raises(ConstraintError, match=BAD[spec]):
        linear_constraint(spec, NAMES)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"x9": 0}, "unknown parameter 'x9'"),
        ({"x1": 0, 3: 1}, "constrained twice"),
        ({"x1": "a"}, "must be a number"),
        ({}, "dict is empty"),
        (["x1 = 0", {"x2": 0}], "strings only"),
        ((np.eye(9)[:2], [1.0, 2.0, 3.0]), "2 rows but q has 3"),
        (np.eye(3), "3 columns but there are 9"),
        (object(), "constraints must be a string"),
    ],
)
def test_bad_other_forms(spec, message):
    with pytest.raises(ConstraintError, match=message):
        linear_constraint(spec, NAMES)


# --- shapes of t tests and the options of wald_test -----------------------------------------


@pytest.mark.parametrize("spec", ["x1 = 0", "x1 = x3, C(g)[T.b] = 0.5", np.eye(5)[1]], ids=str)
@pytest.mark.parametrize("use_t", [True, False])
def test_t_test_shapes_equal_statsmodels(frame, spec, use_t):
    ours = ts.ols("y ~ x1 + x3 + C(g)", frame).fit().t_test(spec, use_t=use_t)
    theirs = smf.ols("y ~ x1 + x3 + C(g)", frame).fit().t_test(spec, use_t=use_t)
    for name in ("effect", "sd", "tvalue", "pvalue", "statistic"):
        a, b = np.asarray(getattr(ours, name)), np.asarray(getattr(theirs, name))
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-10)
    assert ours.conf_int().shape == theirs.conf_int().shape
    np.testing.assert_allclose(ours.conf_int(), theirs.conf_int(), rtol=1e-10)
    assert str(ours.summary()) == str(theirs.summary())


@pytest.mark.parametrize("use_f", [True, False])
@pytest.mark.parametrize("scalar", [True, False])
def test_wald_test_scalar_equals_statsmodels(frame, use_f, scalar):
    ours = ts.ols("y ~ x1 + x3 + C(g)", frame).fit()
    theirs = smf.ols("y ~ x1 + x3 + C(g)", frame).fit()
    a = ours.wald_test("x1 = x3 = 0", use_f=use_f, scalar=scalar)
    b = theirs.wald_test("x1 = x3 = 0", use_f=use_f, scalar=scalar)
    for name in ("statistic", "pvalue"):
        assert np.shape(getattr(a, name)) == np.shape(getattr(b, name))
        assert isinstance(getattr(a, name), np.ndarray) == isinstance(getattr(b, name), np.ndarray)
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-10)
    terms = ours.wald_test_terms(scalar=scalar).table
    sm_terms = theirs.wald_test_terms(scalar=scalar).table
    for ours_value, their_value in zip(terms["statistic"], sm_terms["statistic"]):
        assert np.shape(ours_value) == np.shape(their_value)
        np.testing.assert_allclose(ours_value, their_value, rtol=1e-9)


def test_invcov_equals_statsmodels(frame):
    ours = ts.ols("y ~ x1 + x3 + C(g)", frame).fit()
    theirs = smf.ols("y ~ x1 + x3 + C(g)", frame).fit()
    spec = "x1 = 0, x3 = 0, C(g)[T.b] = 0"
    invcov = np.diag([2.0, 0.5, 1.0]) + 0.1
    a, b = ours.f_test(spec, invcov=invcov), theirs.f_test(spec, invcov=invcov)
    np.testing.assert_allclose(a.fvalue, b.fvalue, rtol=1e-10)
    np.testing.assert_allclose(a.pvalue, b.pvalue, rtol=1e-10)
    assert a.df_num == b.df_num
    for use_f in (True, False):
        a = ours.wald_test(spec, invcov=invcov, use_f=use_f, df_constraints=2)
        b = theirs.wald_test(spec, invcov=invcov, use_f=use_f, df_constraints=2, scalar=True)
        np.testing.assert_allclose(a.statistic, b.statistic, rtol=1e-10)
        np.testing.assert_allclose(a.pvalue, b.pvalue, rtol=1e-10)
    with pytest.raises(ConstraintError, match=r"invcov has shape \(2, 2\) but there are 3"):
        ours.f_test(spec, invcov=np.eye(2))


def test_t_test_summary_options_equal_statsmodels(frame):
    ours = ts.ols("y ~ x1 + x3", frame).fit().t_test("x1 = 0, x3 = 0")
    theirs = smf.ols("y ~ x1 + x3", frame).fit().t_test("x1 = 0, x3 = 0")
    kwargs = {"xname": ["p", "q"], "alpha": 0.1}
    assert str(ours.summary(title="T", **kwargs)) == str(theirs.summary(title="T", **kwargs))
    assert_matches(ours.summary_frame(**kwargs), theirs.summary_frame(**kwargs), rtol=1e-10)
