"""Spline columns named, numbered and valued as patsy (statsmodels) makes them."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from torchstats.formula.design import design_from_formula

CPU = {"device": torch.device("cpu"), "dtype": torch.float64}


def _frame(seed: int, n: int = 70) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x1": rng.normal(size=n), "x2": rng.uniform(size=n), "g": rng.choice(list("abc"), n)}
    )
    frame["y"] = np.sin(2 * frame.x1) + frame.x2**2 + rng.normal(scale=0.3, size=n)
    return frame


FORMULAS = [
    "y ~ bs(x1, df=4)",
    "y ~ bs(x1, df=5, degree=2)",
    "y ~ bs(x1, knots=[0.0], degree=1)",
    "y ~ bs(x1, df=4, include_intercept=True)",
    "y ~ 0 + bs(x1, df=4, include_intercept=True)",
    "y ~ bs(x1, df=6, lower_bound=-5, upper_bound=5)",
    "y ~ cr(x1, df=4)",
    "y ~ cr(x1, knots=[-0.5, 0, 0.5])",
    "y ~ cc(x2, df=5)",
    "y ~ bs(x1, df=4):g",
    "y ~ g + bs(x2, df=3) + x1",
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("formula", FORMULAS)
def test_design_as_patsy(formula, seed):
    data = _frame(seed)
    expected = patsy.dmatrices(formula, data, return_type="dataframe")[1]
    design = design_from_formula(formula, data, **CPU)
    assert design.exog_names == tuple(expected.columns)
    np.testing.assert_allclose(design.exog.numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-14)


def test_fit_and_predict_with_the_fitted_knots():
    data = _frame(2)
    formula = "y ~ bs(x1, df=5) + x2"
    res, ref = ts.ols(formula, data).fit(), smf.ols(formula, data).fit()
    pd.testing.assert_index_equal(res.params.index, ref.params.index)
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-9)
    np.testing.assert_allclose(res.bse, ref.bse, rtol=1e-9)
    new = data.head(8).assign(x1=data.x1.head(8) * 0.5)
    np.testing.assert_allclose(res.predict(new), ref.predict(new), rtol=1e-10)


def test_full_basis_with_an_intercept_keeps_every_column_as_statsmodels():
    data = _frame(3)
    formula = "y ~ bs(x1, df=4, include_intercept=True)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res, ref = ts.ols(formula, data).fit(), smf.ols(formula, data).fit()
    pd.testing.assert_index_equal(res.params.index, ref.params.index)
    np.testing.assert_allclose(res.fittedvalues, ref.fittedvalues, rtol=1e-9)
