"""The array door: ts.OLS(y, X) / ts.WLS(y, X, weights) with numpy, pandas and torch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import torch

import torchstats as ts
from tests.parity import assert_matches


def _arrays(seed: int = 0, n: int = 80):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    y = X @ np.array([1.0, 0.5, -0.25, 2.0]) + rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    return y, X, w


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_in_numpy_out(seed):
    y, X, _ = _arrays(seed)
    ours, theirs = ts.OLS(y, X).fit(), sm.OLS(y, X).fit()
    assert isinstance(ours.params, np.ndarray) and isinstance(ours.cov_params(), np.ndarray)
    assert isinstance(ours.conf_int(), np.ndarray) and ours.conf_int().shape == (4, 2)
    assert isinstance(ours.resid, np.ndarray)
    for name in ("params", "bse", "tvalues", "pvalues", "resid", "fittedvalues"):
        assert_matches(getattr(ours, name), getattr(theirs, name), rtol=1e-9, atol_scale=1e-12)
    assert_matches(ours.cov_params(), theirs.cov_params(), rtol=1e-9, atol_scale=1e-12)
    assert_matches(ours.conf_int(), theirs.conf_int(), rtol=1e-10)
    for name in ("rsquared", "fvalue", "llf", "aic", "bic", "df_model", "df_resid"):
        assert_matches(getattr(ours, name), getattr(theirs, name), rtol=1e-10)


def test_numpy_names_follow_statsmodels():
    y, X, _ = _arrays()
    assert ts.OLS(y, X).exog_names == sm.OLS(y, X).exog_names == ["const", "x1", "x2", "x3"]
    assert ts.OLS(y, X[:, 1:]).exog_names == ["x1", "x2", "x3"]
    assert ts.OLS(y, X).endog_names == "y"


def test_pandas_in_labelled_out():
    y, X, _ = _arrays()
    index = pd.Index([f"obs{i}" for i in range(len(y))])
    frame = pd.DataFrame(X[:, 1:], columns=["a", "b", "c"], index=index).assign(const=1.0)
    endog = pd.Series(y, index=index, name="target")
    ours, theirs = ts.OLS(endog, frame).fit(), sm.OLS(endog, frame).fit()
    assert ours.model.endog_names == "target"
    assert_matches(ours.params, theirs.params, rtol=1e-10)
    assert_matches(ours.bse, theirs.bse, rtol=1e-10)
    assert_matches(ours.resid, theirs.resid, rtol=1e-9, atol_scale=1e-12)
    assert_matches(ours.cov_params(), theirs.cov_params(), rtol=1e-9, atol_scale=1e-12)
    assert ours.k_constant == 1 and ours.model.const_idx == 3


def test_torch_in_torch_out():
    y, X, _ = _arrays()
    res = ts.OLS(torch.tensor(y), torch.tensor(X)).fit()
    for value in (res.params, res.bse, res.pvalues, res.resid, res.cov_params(), res.conf_int()):
        assert isinstance(value, torch.Tensor) and value.dtype == torch.float64
    np.testing.assert_allclose(res.params.numpy(), sm.OLS(y, X).fit().params, rtol=1e-10)
    assert isinstance(res.rsquared, float)


@pytest.mark.parametrize("seed", [0, 1])
def test_wls_arrays(seed):
    y, X, w = _arrays(seed)
    ours, theirs = ts.WLS(y, X, weights=w).fit(), sm.WLS(y, X, weights=w).fit()
    for name in ("params", "bse", "pvalues", "resid", "wresid"):
        assert_matches(getattr(ours, name), getattr(theirs, name), rtol=1e-9, atol_scale=1e-12)
    for name in ("rsquared", "rsquared_adj", "fvalue", "llf", "centered_tss", "ssr"):
        assert_matches(getattr(ours, name), getattr(theirs, name), rtol=1e-10)


def test_no_constant_gives_uncentered_rsquared():
    y, X, _ = _arrays()
    ours, theirs = ts.OLS(y, X[:, 1:]).fit(), sm.OLS(y, X[:, 1:]).fit()
    assert ours.k_constant == 0
    assert_matches(ours.rsquared, theirs.rsquared, rtol=1e-12)
    assert_matches(ours.fvalue, theirs.fvalue, rtol=1e-10)
    assert any("uncentered" in line for line in str(ours.summary()).splitlines())


def test_implicit_constant_is_detected():
    rng = np.random.default_rng(3)
    groups = rng.integers(0, 3, size=60)
    dummies = np.eye(3)[groups]
    X = np.column_stack([dummies, rng.normal(size=60)])
    y = rng.normal(size=60)
    ours, theirs = ts.OLS(y, X).fit(), sm.OLS(y, X).fit()
    assert ours.k_constant == theirs.model.k_constant == 1
    assert ours.model.const_idx is None
    assert_matches(ours.rsquared, theirs.rsquared, rtol=1e-12)


@pytest.mark.parametrize("hasconst", [True, False])
def test_hasconst_override(hasconst):
    y, X, _ = _arrays()
    ours = ts.OLS(y, X[:, 1:], hasconst=hasconst).fit()
    theirs = sm.OLS(y, X[:, 1:], hasconst=hasconst).fit()
    assert ours.k_constant == theirs.model.k_constant
    assert_matches(ours.rsquared, theirs.rsquared, rtol=1e-12)


def test_array_missing_drop_keeps_labels():
    y, X, _ = _arrays()
    frame = pd.DataFrame(X, columns=["const", "a", "b", "c"])
    endog = pd.Series(y, name="y")
    frame.loc[[4, 10], "a"] = np.nan
    endog[20] = np.nan
    ours = ts.OLS(endog, frame, missing="drop").fit()
    theirs = sm.OLS(endog, frame, missing="drop").fit()
    assert ours.nobs == theirs.nobs == len(y) - 3
    assert_matches(ours.params, theirs.params, rtol=1e-10)
    assert_matches(ours.resid, theirs.resid, rtol=1e-9, atol_scale=1e-12)


def test_predict_with_new_arrays():
    y, X, _ = _arrays()
    res = ts.OLS(y, X).fit()
    new = np.array([[1.0, 0.1, 0.2, 0.3], [1.0, -1.0, 0.0, 2.0]])
    np.testing.assert_allclose(res.predict(new), sm.OLS(y, X).fit().predict(new), rtol=1e-12)
    np.testing.assert_allclose(res.predict(), res.fittedvalues, rtol=0)


def test_results_are_immutable():
    y, X, _ = _arrays()
    res = ts.OLS(y, X).fit()
    with pytest.raises(AttributeError, match="immutable"):
        res.params = np.zeros(4)


def test_model_predict_takes_numpy_pandas_and_tensors() -> None:
    """statsmodels' ``model.predict(params, exog)`` (it failed on numpy and pandas)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    y = X.to_numpy() @ [1.0, -2.0, 0.5] + rng.normal(size=30)
    ours, theirs = ts.OLS(y, X), sm.OLS(y, X)
    params = theirs.fit().params
    expected = theirs.predict(params.to_numpy(), X.to_numpy()[:5])
    for beta in (params, params.to_numpy(), torch.tensor(params.to_numpy())):
        for new in (X.iloc[:5], X.to_numpy()[:5], torch.tensor(X.to_numpy()[:5])):
            np.testing.assert_allclose(ours.predict(beta, new).numpy(), expected, rtol=1e-14)
    np.testing.assert_allclose(ours.predict(params).numpy(), theirs.predict(params), rtol=1e-14)
