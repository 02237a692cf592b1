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
            found = ours.predict(beta, new)
            assert isinstance(found, torch.Tensor) is isinstance(beta, torch.Tensor)
            np.testing.assert_allclose(np.asarray(found), expected, rtol=1e-14)
    np.testing.assert_allclose(ours.predict(params), theirs.predict(params), rtol=1e-14)


@pytest.mark.parametrize("model", ["OLS", "GLM", "Logit", "Poisson"])
def test_model_methods_return_numpy_for_numpy_params(model) -> None:
    """statsmodels' model methods return numpy: ``model.endog - model.predict(p)``,
    ``np.linalg.inv(-model.hessian(p))`` and ``json.dumps(model.loglike(p))`` failed on the
    tensors they returned. Tensors in still give tensors out."""
    rng = np.random.default_rng(1)
    X = sm.add_constant(rng.normal(size=(60, 2)))
    y = rng.poisson(np.exp(X @ [0.2, 0.3, -0.2])).astype(float)
    if model == "Logit":
        y = (y > 0).astype(float)
    kwargs = {"family": sm.families.Poisson()} if model == "GLM" else {}
    ours = getattr(ts, model)(y, X, **({"family": ts.families.Poisson()} if kwargs else {}))
    theirs = getattr(sm, model)(y, X, **kwargs)
    params = np.asarray(theirs.fit(**({} if model in ("OLS", "GLM") else {"disp": 0})).params)
    for name in ("loglike", "loglikeobs", "score", "score_obs", "hessian", "predict"):
        if not hasattr(theirs, name):  # OLS and GLM have no loglikeobs
            continue
        expected = getattr(theirs, name)(params)
        if model == "OLS" and name == "hessian":
            expected = 2 * expected  # statsmodels' is half the Hessian (docs/differences.md)
        for given in (params, pd.Series(params), list(params)):
            found = getattr(ours, name)(given)
            assert type(found) is type(expected), (name, type(found), type(expected))
            np.testing.assert_allclose(found, expected, rtol=1e-8, atol=1e-10, err_msg=name)
        assert isinstance(getattr(ours, name)(torch.tensor(params)), torch.Tensor)


def test_families_and_links_take_numpy() -> None:
    """statsmodels' family and link functions take numpy (``res.family.variance(res.mu)``);
    these raised on anything but a tensor."""
    mu = np.array([0.2, 1.5, 3.0])
    ours, theirs = (
        ts.families.Gamma(ts.families.links.Log()),
        sm.families.Gamma(sm.families.links.Log()),
    )
    y = np.array([0.3, 1.0, 4.0])
    for name, args in (
        ("variance", (mu,)),
        ("link", (mu,)),
        ("resid_dev", (y, mu)),
        ("weights", (mu,)),
    ):
        found, expected = getattr(ours, name)(*args), getattr(theirs, name)(*args)
        assert isinstance(found, np.ndarray), name
        np.testing.assert_allclose(found, expected, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(ours.link.inverse(np.log(mu)), theirs.link.inverse(np.log(mu)))
    np.testing.assert_allclose(ours.link.deriv(mu), theirs.link.deriv(mu))
    assert isinstance(ours.loglike(y, mu, scale=2.0), np.float64)
    np.testing.assert_allclose(ours.loglike(y, mu, scale=2.0), theirs.loglike(y, mu, scale=2.0))
    assert isinstance(ours.variance(torch.tensor(mu)), torch.Tensor)


def test_unlabelled_results_arrays_as_statsmodels() -> None:
    """statsmodels returns arrays, not Series, for pandas data here; ``x[0]`` raised
    KeyError on the Series (pandas 3)."""
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=80)}, index=np.arange(100, 180))
    frame["c"] = rng.poisson(np.exp(0.3 * frame["x"]))
    pairs = [
        (
            ts.glm("c ~ x", frame, family=ts.families.Poisson()).fit(),
            smf.glm("c ~ x", frame, family=sm.families.Poisson()).fit(),
            ("null", "resid_anscombe_scaled", "resid_anscombe_unscaled", "resid_anscombe"),
        ),
        (
            ts.poisson("c ~ x", frame).fit(disp=0),
            smf.poisson("c ~ x", frame).fit(disp=0),
            ("resid_pearson", "resid_response", "resid"),
        ),
    ]
    for ours, theirs, names in pairs:
        for name in names:
            found, expected = getattr(ours, name), getattr(theirs, name)
            assert type(found) is type(expected), (name, type(found), type(expected))
            np.testing.assert_allclose(np.asarray(found), np.asarray(expected), rtol=1e-7)


@pytest.mark.parametrize("fit", ["ols", "glm", "logit"])
def test_unwrapped_results_give_arrays(fit):
    # statsmodels scripts read res._results for arrays (res._results.resid_response**2):
    # it raised AttributeError
    longley = sm.datasets.longley.load_pandas()
    X = sm.add_constant(longley.exog[["GNP", "POP"]])
    y = longley.endog
    if fit == "ols":
        ours, theirs = ts.OLS(y, X).fit(), sm.OLS(y, X).fit()
        name = "resid"
    elif fit == "glm":
        family = (
            ts.families.Gamma(ts.families.links.Log()),
            sm.families.Gamma(sm.families.links.Log()),
        )
        ours = ts.GLM(y, X, family=family[0]).fit()
        theirs = sm.GLM(y, X, family=family[1]).fit()
        name = "resid_response"
    else:
        spector = sm.datasets.spector.load_pandas()
        X, binary = sm.add_constant(spector.exog), spector.endog
        ours, theirs = ts.Logit(binary, X).fit(disp=0), sm.Logit(binary, X).fit(disp=0)
        name = "resid_pearson"
    for attribute in ("params", "bse", name):
        mine, reference = getattr(ours._results, attribute), getattr(theirs._results, attribute)
        assert type(mine) is type(reference) is np.ndarray, attribute
        np.testing.assert_allclose(mine, reference, rtol=1e-7)
    assert isinstance(ours.params, pd.Series)  # the wrapped results keep their labels
    assert ours._results.llf == ours.llf
