"""Lower-case formula entry points equal the class forms and capture the caller's namespace."""

from __future__ import annotations

import numpy as np
import pytest

import torchstats as ts


@pytest.fixture
def counts_frame(frame):
    rng = np.random.default_rng(5)
    mean = np.exp(0.8 + 0.3 * frame["x1"])
    size = 2.0  # overdispersed counts (alpha = 0.5), so NB's alpha is interior
    return frame.assign(
        b=(frame["y"] > frame["y"].median()).astype(float),
        n=rng.negative_binomial(size, size / (size + mean)),
    )


@pytest.mark.parametrize(
    ("function", "cls", "formula"),
    [
        (ts.ols, ts.OLS, "y ~ x1 + C(g)"),
        (ts.logit, ts.Logit, "b ~ x1 + C(g)"),
        (ts.probit, ts.Probit, "b ~ x1 + C(g)"),
        (ts.poisson, ts.Poisson, "n ~ x1 + C(g)"),
        (ts.negativebinomial, ts.NegativeBinomial, "n ~ x1"),
        (ts.negativebinomialp, ts.NegativeBinomialP, "n ~ x1"),
        (ts.generalizedpoisson, ts.GeneralizedPoisson, "n ~ x1"),
    ],
)
def test_function_equals_class_form(counts_frame, function, cls, formula):
    by_function = function(formula, counts_frame).fit()
    by_class = cls.from_formula(formula, counts_frame).fit()
    np.testing.assert_array_equal(by_function.params, by_class.params)
    np.testing.assert_array_equal(by_function.bse, by_class.bse)


@pytest.mark.parametrize("function", [ts.ols, ts.logit, ts.probit, ts.poisson])
def test_caller_namespace(counts_frame, function):
    shift = 0.5  # noqa: F841  (used by the formula)
    response = "y" if function is ts.ols else ("n" if function is ts.poisson else "b")
    model = function(f"{response} ~ I(x1 + shift)", counts_frame)
    assert "I(x1 + shift)" in model.exog_names


def test_wls_function_takes_weights(frame):
    res = ts.wls("y ~ x1", frame, weights=frame["w"]).fit()
    assert res.model.__class__ is ts.WLS
