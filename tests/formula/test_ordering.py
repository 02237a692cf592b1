"""Column names and order identical to statsmodels (patsy) for many formulas."""

from __future__ import annotations

import numpy as np  # noqa: F401  (statsmodels looks np up in this namespace)
import pytest
import statsmodels.formula.api as smf
from formulaic import Formula

import torchstats as ts
from tests.conftest import make_frame
from torchstats.formula.ordering import patsy_term_order, term_label

FORMULAS = [
    "y ~ x1 * C(g) + np.log(x2) + I(x3**2) + h",
    "y ~ x1:x2 + x1",
    "y ~ x1:C(g)",
    "y ~ x1:C(g) + x1",
    "y ~ C(g):C(h)",
    "y ~ C(g):C(h) + C(g)",
    "y ~ C(g) * C(h)",
    "y ~ C(g) * C(h) * x1",
    "y ~ C(h) * C(g) * C(k)",
    "y ~ C(g):x1 + C(h) + x1",
    "y ~ x1 + C(g, Treatment('c'))",
    "y ~ C(g, Treatment('b')) * x2",
    "y ~ x1 - 1",
    "y ~ C(g) - 1",
    "y ~ C(g) + C(h) - 1",
    "y ~ 0 + x1:C(g)",
    "y ~ flag + x1",
    "y ~ flag:x1 + g",
    "y ~ x1 * x2 * x3",
    "y ~ C(g):x1:x2 + C(h)",
    "y ~ k + x1 + g:x2",
    "y ~ C(k):C(g)",
    "y ~ C(g, Sum) + C(h, Helmert)",
    "y ~ center(x1) + scale(x2)",
    "y ~ x1 + x1:C(g) + C(h):x1",
    "y ~ np.log(x2) + np.exp(x1 / 4) + x1:np.log(x2)",
    "y ~ C(g) + C(g)",
    "y ~ 1",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_names_and_order_match_statsmodels(formula):
    frame = make_frame(0)
    assert ts.ols(formula, frame).exog_names == smf.ols(formula, frame).exog_names


def test_patsy_order_puts_categorical_only_terms_first():
    terms = list(Formula("y ~ x1 + C(g) + x1:C(g) + h", _ordering="none").rhs)
    ordered = patsy_term_order(terms, numeric_factors={"x1"})
    assert [str(t) for t in ordered] == ["1", "C(g)", "h", "x1", "x1:C(g)"]


def test_patsy_order_sorts_by_degree_within_a_bucket():
    terms = list(Formula("y ~ C(g):C(h) + C(k) + C(g)", _ordering="none").rhs)
    ordered = patsy_term_order(terms, numeric_factors=set())
    assert [str(t) for t in ordered] == ["1", "C(k)", "C(g)", "C(g):C(h)"]


def test_patsy_order_keeps_numeric_buckets_in_first_appearance_order():
    terms = list(Formula("y ~ x1:x2 + x1 + x2", _ordering="none").rhs)
    ordered = patsy_term_order(terms, numeric_factors={"x1", "x2"})
    assert [str(t) for t in ordered] == ["1", "x1:x2", "x1", "x2"]


def test_term_labels():
    terms = list(Formula("y ~ x1 + C(g)", _ordering="none").rhs)
    assert [term_label(t) for t in terms] == ["Intercept", "x1", "C(g)"]
