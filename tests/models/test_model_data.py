"""``model.data`` and the model's arrays against statsmodels: values, types and labels."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from tests.conftest import DEVICES
from tests.parity import assert_matches

FORMULAS = ["y ~ x1 * C(g) + np.log(x2)", "y ~ C(k) + x3 - 1"]


def _array_inputs(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    X = np.column_stack([np.ones(len(frame)), frame[["x1", "x2", "x3"]].to_numpy()])
    return frame["y"].to_numpy(), X


def _assert_array(ours, theirs, kind):
    expected = np.ndarray if kind != "torch" else torch.Tensor
    assert isinstance(ours, expected), type(ours)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-13, atol=1e-13)


# --- model.data ------------------------------------------------------------------------------


@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_model_data_matches_statsmodels(frame_with_missing, formula):
    ours = ts.ols(formula, frame_with_missing).data
    theirs = smf.ols(formula, frame_with_missing).data
    assert list(ours.row_labels) == list(theirs.row_labels)
    assert ours.xnames == theirs.xnames
    assert ours.param_names == theirs.param_names == ours.cov_names
    assert ours.ynames == theirs.ynames
    assert (ours.k_constant, ours.const_idx) == (theirs.k_constant, theirs.const_idx)
    assert ours.formula == theirs.formula
    assert ours.frame is frame_with_missing and theirs.frame is frame_with_missing
    assert_matches(ours.orig_exog, theirs.orig_exog, rtol=1e-14)
    assert_matches(ours.orig_endog, theirs.orig_endog, rtol=1e-14)
    _assert_array(ours.exog, theirs.exog, "numpy")
    _assert_array(ours.endog, theirs.endog, "numpy")


def test_pandas_model_data_matches_statsmodels(frame):
    X = sm.add_constant(frame[["x1", "x2"]])
    ours, theirs = ts.OLS(frame["y"], X).data, sm.OLS(frame["y"], X).data
    assert_matches(ours.orig_endog, theirs.orig_endog, rtol=0)
    assert_matches(ours.orig_exog, theirs.orig_exog, rtol=0)
    assert list(ours.row_labels) == list(theirs.row_labels)
    assert (ours.ynames, ours.xnames) == (theirs.ynames, theirs.xnames)
    assert not hasattr(ours, "frame") and not hasattr(theirs, "frame")


def test_numpy_model_data_matches_statsmodels(frame):
    y, X = _array_inputs(frame)
    ours, theirs = ts.OLS(y, X).data, sm.OLS(y, X).data
    assert ours.row_labels is None and theirs.row_labels is None
    assert (ours.ynames, ours.xnames, ours.const_idx) == (
        theirs.ynames,
        theirs.xnames,
        theirs.const_idx,
    )
    _assert_array(ours.orig_exog, theirs.orig_exog, "numpy")
    _assert_array(ours.orig_endog, theirs.orig_endog, "numpy")


def test_tensor_model_data_holds_tensors(frame):
    y, X = _array_inputs(frame)
    data = ts.OLS(torch.tensor(y), torch.tensor(X)).data
    _assert_array(data.exog, X, "torch")
    _assert_array(data.orig_endog, y, "torch")
    assert data.row_labels is None


@pytest.mark.parametrize("device", DEVICES)
def test_arrays_of_a_model_on_the_device(frame, device):
    y, X = _array_inputs(frame)
    model = ts.WLS(y, X, weights=frame["w"].to_numpy(), device=device)
    reference = sm.WLS(y, X, weights=frame["w"].to_numpy())
    reference.fit(method="pinv")
    for name in ("exog", "wexog", "pinv_wexog", "weights"):
        _assert_array(getattr(model, name), getattr(reference, name), "numpy")
    assert isinstance(model.data.orig_exog, np.ndarray)
    on_device = ts.OLS(torch.tensor(y, device=device), torch.tensor(X, device=device))
    assert on_device.exog.device.type == device and on_device.weights.device.type == device


def test_glm_and_discrete_models_have_data(frame):
    glm = ts.glm("y ~ x1 + C(g)", frame)
    logit = ts.logit("I(y > 1) ~ x1 + C(g)", frame)
    theirs = smf.glm("y ~ x1 + C(g)", frame).data
    for data in (glm.data, logit.data):
        assert data.xnames == theirs.xnames
        assert list(data.row_labels) == list(theirs.row_labels)
        assert data.frame is frame


def test_negative_binomial_param_names_include_alpha(frame):
    counts = frame.assign(n=np.round(np.exp(frame["x1"] / 2) * 3))
    ours = ts.negativebinomial("n ~ x1", counts).data
    theirs = smf.negativebinomial("n ~ x1", counts).data
    assert ours.param_names == theirs.param_names == ["Intercept", "x1", "alpha"]


# --- model arrays: numpy for numpy/pandas, tensors for tensors -------------------------------


@pytest.mark.parametrize("kind", ["numpy", "pandas", "torch"])
def test_wls_arrays_match_statsmodels(frame, kind):
    y, X = _array_inputs(frame)
    w = frame["w"].to_numpy()
    if kind == "pandas":
        y, X, w = frame["y"], pd.DataFrame(X, index=frame.index), frame["w"]
    elif kind == "torch":
        y, X, w = torch.tensor(y), torch.tensor(X), torch.tensor(w)
    ours = ts.WLS(y, X, weights=w)
    theirs = sm.WLS(np.asarray(y), np.asarray(X), weights=np.asarray(w))
    theirs.fit(method="pinv")  # statsmodels sets pinv_wexog when fitting
    for name in ("endog", "exog", "weights", "wendog", "wexog", "pinv_wexog"):
        _assert_array(getattr(ours, name), getattr(theirs, name), kind)


@pytest.mark.parametrize("kind", ["numpy", "pandas", "torch"])
def test_ols_weights_are_ones(frame, kind):
    y, X = _array_inputs(frame)
    if kind == "torch":
        y, X = torch.tensor(y), torch.tensor(X)
    elif kind == "pandas":
        y = frame["y"]
    _assert_array(ts.OLS(y, X).weights, sm.OLS(np.asarray(y), np.asarray(X)).weights, kind)


@pytest.mark.parametrize("formula", FORMULAS + ["y ~ x1 + I(2 * x1)"])
def test_ols_degrees_of_freedom_match_statsmodels(frame, formula):
    ours, theirs = ts.ols(formula, frame), smf.ols(formula, frame)
    with pytest.warns(ts.CollinearityWarning) if "2 * x1" in formula else nullcontext():
        res = ours.fit()
    assert (ours.df_model, ours.df_resid) == (theirs.df_model, theirs.df_resid)
    assert ours.rank == theirs.rank == res.rank
    assert isinstance(ours.df_model, float) and isinstance(ours.rank, int)


def test_glm_arrays_match_statsmodels(frame):
    counts = frame.assign(n=np.round(np.exp(frame["x1"] / 2) * 3))
    kwargs = dict(exposure=counts["x2"], offset=counts["x3"] / 10, var_weights=counts["w"])
    ours = ts.glm("n ~ x1 + C(g)", counts, family=ts.families.Poisson(), **kwargs)
    theirs = smf.glm("n ~ x1 + C(g)", counts, family=sm.families.Poisson(), **kwargs)
    for name in ("endog", "exog", "offset", "exposure", "freq_weights", "var_weights"):
        _assert_array(getattr(ours, name), getattr(theirs, name), "numpy")
    _assert_array(ours.n_trials, theirs.n_trials, "numpy")
    _assert_array(ours.iweights, theirs.iweights, "numpy")
    np.testing.assert_allclose(np.exp(ours.exposure), counts["x2"], rtol=1e-14)
    assert (ours.df_model, ours.df_resid) == (theirs.df_model, theirs.df_resid)


def test_glm_without_offset_or_exposure_has_none(frame):
    model = ts.glm("y ~ x1", frame)
    assert model.offset is None and model.exposure is None


def test_glm_exposure_tensor_holds_the_log():
    rng = np.random.default_rng(3)
    X = torch.tensor(np.column_stack([np.ones(40), rng.normal(size=40)]))
    y = torch.tensor(rng.poisson(3.0, size=40).astype(float))
    exposure = torch.tensor(rng.uniform(1, 3, size=40))
    model = ts.GLM(y, X, family=ts.families.Poisson(), exposure=exposure)
    assert isinstance(model.exposure, torch.Tensor)
    torch.testing.assert_close(torch.exp(model.exposure), exposure)
    res = model.fit()
    assert isinstance(res.mu, torch.Tensor)


def test_glm_fit_with_exposure_unchanged_by_the_log(frame):
    counts = frame.assign(n=np.round(np.exp(frame["x1"] / 2) * 3))
    ours = ts.glm("n ~ x1", counts, family=ts.families.Poisson(), exposure=counts["x2"]).fit()
    theirs = smf.glm("n ~ x1", counts, family=sm.families.Poisson(), exposure=counts["x2"]).fit()
    assert_matches(ours.params, theirs.params, rtol=1e-9)
    assert_matches(
        ours.predict(counts.head(), exposure=counts["x2"].head()),
        theirs.predict(counts.head(), exposure=counts["x2"].head()),
        rtol=1e-9,
    )
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-11)


def test_glm_mu_is_an_array_and_fittedvalues_a_series(frame):
    ours = ts.glm("y ~ x1", frame).fit()
    theirs = smf.glm("y ~ x1", frame).fit()
    assert isinstance(theirs.mu, np.ndarray) and isinstance(ours.mu, np.ndarray)
    np.testing.assert_allclose(ours.mu, theirs.mu, rtol=1e-10)
    assert_matches(ours.fittedvalues, theirs.fittedvalues, rtol=1e-10)


@pytest.mark.parametrize("model", ["poisson", "logit"])
def test_discrete_arrays_match_statsmodels(frame, model):
    data = frame.assign(n=np.round(np.exp(frame["x1"] / 2) * 3), b=(frame["y"] > 1) * 1.0)
    formula = "n ~ x1 + C(g)" if model == "poisson" else "b ~ x1 + C(g)"
    kwargs = {"offset": data["x3"] / 10}
    if model == "poisson":
        kwargs["exposure"] = data["x2"]
    ours = getattr(ts, model)(formula, data, **kwargs)
    theirs = getattr(smf, model)(formula, data, **kwargs)
    names = ["endog", "exog", "offset"] + (["exposure"] if model == "poisson" else [])
    for name in names:
        _assert_array(getattr(ours, name), getattr(theirs, name), "numpy")
    assert (ours.df_model, ours.df_resid) == (theirs.df_model, theirs.df_resid)


def test_discrete_tensor_arrays_stay_tensors():
    rng = np.random.default_rng(4)
    X = torch.tensor(np.column_stack([np.ones(60), rng.normal(size=60)]))
    y = torch.tensor(rng.poisson(2.0, size=60).astype(float))
    model = ts.Poisson(y, X, exposure=torch.full((60,), 2.0))
    assert isinstance(model.exog, torch.Tensor) and isinstance(model.exposure, torch.Tensor)
    torch.testing.assert_close(model.exposure, torch.full((60,), float(np.log(2.0))).double())


# --- subset ----------------------------------------------------------------------------------


def _subsets(frame):
    mask = frame["x1"] > 0
    return {
        "mask": mask,
        "mask_array": mask.to_numpy(),
        "labels": list(frame.index[::3]),
    }


@pytest.mark.parametrize("which", ["mask", "mask_array", "labels"])
def test_ols_subset_matches_statsmodels(frame, which):
    subset = _subsets(frame)[which]
    ours = ts.ols("y ~ x1 + C(g)", frame, subset=subset).fit()
    theirs = smf.ols("y ~ x1 + C(g)", frame, subset=subset).fit()
    assert_matches(ours.params, theirs.params, rtol=1e-10)
    assert_matches(ours.resid, theirs.resid, rtol=1e-9, atol_scale=1e-10)
    assert ours.model.data.frame.shape == theirs.model.data.frame.shape


@pytest.mark.parametrize("name", ["OLS", "WLS", "GLM", "Logit", "Poisson"])
def test_from_formula_subset_matches_statsmodels(frame, name):
    data = frame.assign(n=np.round(np.exp(frame["x1"] / 2) * 3), b=(frame["y"] > 1) * 1.0)
    subset = data["x3"] > 1
    formula = {"Logit": "b ~ x1", "Poisson": "n ~ x1"}.get(name, "y ~ x1 + C(h)")
    kwargs = {"weights": data.loc[subset, "w"]} if name == "WLS" else {}
    ours = getattr(ts, name).from_formula(formula, data, subset, **kwargs).fit()
    theirs = getattr(sm, name).from_formula(formula, data, subset, **kwargs).fit(disp=0)
    assert_matches(ours.params, theirs.params, rtol=1e-7)
    assert ours.nobs == theirs.nobs


def test_subset_with_weights_of_the_subset(frame):
    subset = frame["x1"] > 0
    ours = ts.wls("y ~ x1", frame, weights=frame.loc[subset, "w"], subset=subset).fit()
    theirs = smf.wls("y ~ x1", frame, weights=frame.loc[subset, "w"], subset=subset).fit()
    assert_matches(ours.params, theirs.params, rtol=1e-10)


def test_subset_with_a_weights_column(frame):
    subset = frame["x1"] > 0
    ours = ts.wls("y ~ x1", frame, weights="w", subset=subset).fit()
    theirs = smf.wls("y ~ x1", frame, weights=frame.loc[subset, "w"], subset=subset).fit()
    assert_matches(ours.params, theirs.params, rtol=1e-10)


def test_subset_of_unknown_labels_is_refused(frame):
    with pytest.raises(ts.errors.DesignError, match="subset"):
        ts.ols("y ~ x1", frame, subset=["no such row"])


def test_subset_refused_for_chunked_data(frame):
    with pytest.raises(ts.errors.InvalidOptionError, match="subset"):
        ts.ols("y ~ x1", [frame.iloc[:60], frame.iloc[60:]], subset=frame["x1"] > 0)
