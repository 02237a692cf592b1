"""wald_test_terms and t_test_pairwise find each term's parameters by name: the count terms
of zero-inflated and hurdle models come after their inflation (zero-model) parameters, and
without a formula every parameter is a term (statsmodels)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import torchstats as ts


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"x1": rng.normal(size=n), "g": rng.choice(list("abc"), n)})
    eta = 0.3 + 0.4 * frame.x1 + frame.g.map({"a": 0.0, "b": 0.8, "c": -0.7})
    frame["y"] = rng.poisson(np.exp(eta)) * (rng.random(n) < 0.7)
    return frame


FITS = {
    "zip": lambda d: ts.zeroinflatedpoisson("y ~ x1 + C(g)", d).fit(disp=0),
    "zinb": lambda d: ts.zeroinflatednegativebinomialp("y ~ x1 + C(g)", d).fit(disp=0),
    "hurdle": lambda d: ts.hurdlecountmodel("y ~ x1 + C(g)", d).fit(disp=0),
}


@pytest.mark.parametrize("name", list(FITS))
def test_each_terms_row_tests_that_terms_parameters(counts, name) -> None:
    """The rows tested the first parameters (the inflation's) under the count terms'
    names: x1's chi2 was 2.72 where its own Wald test gives 55.8."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = FITS[name](counts)
    table = res.wald_test_terms().table
    for term, hypothesis in [("x1", "x1 = 0"), ("C(g)", "C(g)[T.b] = 0, C(g)[T.c] = 0")]:
        expected = res.wald_test(hypothesis, scalar=True)
        assert table.loc[term, "statistic"] == pytest.approx(float(expected.statistic), rel=1e-12)
    if name == "hurdle":
        expected = res.wald_test("zm_x1 = 0", scalar=True)
        assert table.loc["zm_x1", "statistic"] == pytest.approx(
            float(expected.statistic), rel=1e-12
        )


@pytest.mark.parametrize("name", list(FITS))
def test_pairwise_differences_of_the_count_terms_levels(counts, name) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = FITS[name](counts)
    frame = res.t_test_pairwise("C(g)").result_frame
    b, c = res.params["C(g)[T.b]"], res.params["C(g)[T.c]"]
    np.testing.assert_allclose(frame["coef"], [b, c, c - b], rtol=1e-12)


def test_without_a_formula_every_parameter_is_a_term_as_statsmodels() -> None:
    """alpha (and an ordinal model's thresholds) had no row."""
    rng = np.random.default_rng(1)
    X = sm.add_constant(rng.normal(size=(500, 2)))
    y = rng.negative_binomial(2, 2 / (2 + np.exp(0.5 + 0.4 * X[:, 1])))
    ours = ts.NegativeBinomial(y, X).fit(disp=0).wald_test_terms().table
    theirs = sm.NegativeBinomial(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    expected = theirs.wald_test_terms(scalar=True).table
    assert list(ours.index) == list(expected.index) == ["const", "x1", "x2", "alpha"]
    np.testing.assert_allclose(ours["statistic"], expected["statistic"], rtol=1e-6)


def test_hurdle_margins_are_refused(counts) -> None:
    """They were the zero part's Poisson-mean derivative labelled zm_x1 (0.19 where
    d E[y] / dx1 is 0.46); statsmodels fails with an IndexError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = FITS["hurdle"](counts)
    with pytest.raises(NotImplementedError, match="differentiate predict"):
        res.get_margeff()
