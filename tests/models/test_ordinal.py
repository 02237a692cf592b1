"""OrderedModel behaviour: the response, the constant check, distributions, fitting
options, devices and bad input (statsmodels parity is in test_ordinal_parity.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel as SMOrderedModel

import torchstats as ts
from tests.conftest import DEVICES
from tests.models.ordinal_cases import simulated
from tests.parity import assert_matches
from torchstats.errors import DesignError, InvalidOptionError, SpecificationWarning


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return simulated(seed=3, n=300)


@pytest.fixture(scope="module")
def logit_fit(frame):
    return ts.ordered_model("rating ~ x1 + x2 + C(g)", frame, distr="logit").fit()


def test_formula_and_arrays_agree(frame, logit_fit):
    dummies = pd.get_dummies(frame["g"], drop_first=True, dtype=float)
    dummies.columns = ["C(g)[T.b]", "C(g)[T.c]"]
    exog = pd.concat([dummies, frame[["x1", "x2"]]], axis=1)  # patsy's order: factors first
    from_arrays = ts.OrderedModel(frame["rating"], exog, distr="logit").fit()
    assert list(from_arrays.params.index) == list(logit_fit.params.index)
    assert_matches(from_arrays.params, logit_fit.params, rtol=1e-12)
    assert logit_fit.model.exog_names[-3:] == ["none/some", "some/much", "much/all"]


def test_tensor_input_gives_tensors(frame):
    codes = torch.as_tensor(frame["rating"].cat.codes.to_numpy())
    exog = torch.as_tensor(frame[["x1", "x2"]].to_numpy())
    fit = ts.OrderedModel(codes, exog, distr="probit").fit()
    assert isinstance(fit.params, torch.Tensor) and fit.model.labels == [0, 1, 2, 3]
    assert fit.predict(which="prob").shape == (len(frame), 4)
    np.testing.assert_allclose(fit.predict().sum(1).numpy(), 1.0, rtol=1e-13)


def test_a_constant_is_refused(frame):
    exog = frame[["x1"]].assign(const=1.0)
    with pytest.raises(DesignError, match="There should not be a constant"):
        ts.OrderedModel(frame["rating"], exog)
    with pytest.raises(DesignError, match="implicit constant"):
        ts.ordered_model("rating ~ 0 + C(g)", frame)


def test_unordered_categorical_array_warns_and_formula_refuses(frame):
    unordered = frame.assign(rating=frame["rating"].cat.as_unordered())
    with pytest.warns(SpecificationWarning, match="ordered == False"):
        ts.OrderedModel(unordered["rating"], unordered[["x1"]])
    with pytest.raises(DesignError, match="Only ordered pandas Categorical"):
        ts.ordered_model("rating ~ x1", unordered)
    text = frame.assign(rating=frame["rating"].astype(str))
    with pytest.raises(DesignError, match="Only ordered pandas Categorical"):
        ts.ordered_model("rating ~ x1", text)


@pytest.mark.parametrize("kind", ["object", "string", "numpy"])
def test_text_response_arrays_are_refused(frame, kind):
    # sorted as text, levels 1..12 would run 1 < 10 < 11 < 12 < 2 and 'high' < 'low' <
    # 'medium': a silently wrong order (statsmodels refuses text responses too)
    text = frame["rating"].cat.codes.astype(str)
    endog = {"object": text, "string": text.astype("string"), "numpy": text.to_numpy()}[kind]
    with pytest.raises(DesignError, match="text, which has no order"):
        ts.OrderedModel(endog, frame[["x1"]])
    ordered = pd.Categorical(text, categories=["0", "1", "2", "3"], ordered=True)
    by_codes = ts.OrderedModel(frame["rating"].cat.codes, frame[["x1"]]).fit(disp=0)
    by_labels = ts.OrderedModel(ordered, frame[["x1"]]).fit(disp=0)
    assert by_labels.model.labels == ["0", "1", "2", "3"]
    assert_matches(by_labels.params.to_numpy(), by_codes.params.to_numpy(), rtol=1e-12)


def test_levels_without_observations_and_one_level_are_refused(frame):
    extra = frame["rating"].cat.add_categories(["beyond"])
    with pytest.raises(DesignError, match="no observations of level.*beyond"):
        ts.OrderedModel(extra, frame[["x1"]])
    with pytest.raises(DesignError, match="at least two"):
        ts.OrderedModel(np.ones(10), np.arange(10.0)[:, None])


def test_unknown_distribution_is_refused(frame):
    with pytest.raises(InvalidOptionError, match="unknown distr"):
        ts.OrderedModel(frame["rating"], frame[["x1"]], distr="cloglog")
    with pytest.raises(InvalidOptionError, match="no torch counterpart"):
        ts.OrderedModel(frame["rating"], frame[["x1"]], distr=stats.gamma(2.0))


def test_missing_rows_are_dropped_in_formulas(frame):
    data = frame.copy()
    data.loc[data.index[[2, 5]], "rating"] = np.nan
    data.loc[data.index[7], "x1"] = np.nan
    fit = ts.ordered_model("rating ~ x1", data).fit()
    assert fit.nobs == len(frame) - 3


def test_torch_pair_equals_the_scipy_distribution(frame):
    """A (cdf, pdf) pair of torch functions: the logistic written out equals "logit"."""
    pair = (torch.sigmoid, lambda x: torch.sigmoid(x) * torch.sigmoid(-x))
    custom = ts.OrderedModel(frame["rating"], frame[["x1", "x2"]], distr=pair).fit()
    logit = ts.OrderedModel(frame["rating"], frame[["x1", "x2"]], distr="logit").fit()
    assert_matches(custom.params, logit.params, rtol=1e-9)
    assert_matches(custom.bse, logit.bse, rtol=1e-8)


@pytest.mark.parametrize("method", ["bfgs", "nm"])
def test_scipy_methods_follow_statsmodels(frame, method):
    """statsmodels' default fit (Nelder-Mead) and BFGS from its start values."""
    exog = frame[["x1", "x2"]]
    maxiter = 5000 if method == "nm" else 200
    ours = ts.OrderedModel(frame["rating"], exog, distr="logit").fit(method=method, maxiter=maxiter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = SMOrderedModel(frame["rating"], exog, distr="logit").fit(
            method=method, maxiter=maxiter, disp=False
        )
    newton = ts.OrderedModel(frame["rating"], exog, distr="logit").fit()
    assert_matches(ours.params, theirs.params, rtol=1e-4, atol_scale=1e-4)
    assert_matches(ours.params, newton.params, rtol=1e-3, atol_scale=1e-3)


def test_numeric_formula_response_and_new_data(frame, logit_fit):
    fit = ts.ordered_model("score ~ x1 + x2 + C(g)", frame, distr="logit").fit()
    assert fit.model.labels == [5.0, 15.0, 25.0, 35.0]
    assert_matches(fit.params.to_numpy(), logit_fit.params.to_numpy(), rtol=1e-12)
    new = frame.iloc[:4]
    predicted = fit.predict(new)
    assert isinstance(predicted, pd.DataFrame) and list(predicted.index) == list(new.index)
    assert isinstance(fit.predict(new, which="linpred"), pd.Series)


@pytest.mark.parametrize("device", DEVICES)
def test_device_fit_equals_cpu(frame, logit_fit, device):
    fit = ts.ordered_model("rating ~ x1 + x2 + C(g)", frame, distr="logit", device=device).fit(
        cov_type="HC0"
    )
    reference = logit_fit.model.fit(cov_type="HC0")
    assert fit.fit_result.params.device.type == device
    assert_matches(fit.params, reference.params, rtol=1e-10, atol_scale=1e-12)
    assert_matches(fit.bse, reference.bse, rtol=1e-9)
    assert fit.llnull == pytest.approx(reference.llnull, rel=1e-12)
    assert_matches(fit.predict(frame.head()), reference.predict(frame.head()), rtol=1e-10)
    assert str(fit.summary()).splitlines()[6:] == str(reference.summary()).splitlines()[6:]


def _top_level_dummy(seed: int) -> tuple[np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=800)
    levels = np.digitize(0.5 * x1 + rng.logistic(size=800), [-0.5, 0.7])
    top = (x1 > 1.2).astype(float)
    return np.where(top == 1, 2, levels), pd.DataFrame({"x1": x1, "d": top})


@pytest.mark.parametrize("distr", ["logit", "probit"])
def test_quasi_separation_warns(distr):
    # a dummy that is 1 only in the top level has no finite estimate: the fit stopped near
    # 30 with a standard error of 3e5, converged and silent
    endog, exog = _top_level_dummy(17)
    with pytest.warns(ts.PerfectSeparationWarning, match="quasi-complete separation"):
        res = ts.OrderedModel(endog, exog, distr=distr).fit(disp=0)
    assert res.bse["d"] > 1e3 * res.bse["x1"]
    with warnings.catch_warnings():  # the same data without the separating dummy: silent
        warnings.simplefilter("error", ts.PerfectSeparationWarning)
        ts.OrderedModel(endog, exog[["x1"]], distr=distr).fit(disp=0)


def test_transform_threshold_params_takes_the_last_entries(frame):
    # statsmodels reads the last k_levels - 1 entries: the thresholds alone work too (they
    # gave [-inf, inf]); the fit's read-only params convert without torch's warning
    ours = ts.OrderedModel(frame["rating"], frame[["x1", "x2"]], distr="logit")
    theirs = SMOrderedModel(frame["rating"], frame[["x1", "x2"]], distr="logit")
    params = ours.fit(disp=0).params
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = ours.transform_threshold_params(params)
        alone = ours.transform_threshold_params(params[-3:])
        ours.loglike(params.to_numpy())
    np.testing.assert_array_equal(alone, full)
    np.testing.assert_allclose(full, theirs.transform_threshold_params(params), rtol=1e-14)
    with pytest.raises(DesignError, match="3 threshold parameters"):
        ours.transform_threshold_params(params[-2:])


def test_thresholds_beside_a_full_set_of_dummies_are_not_identified(frame):
    # hasconst=False lets a full set of dummies beside the thresholds through (statsmodels'
    # notebook does this on purpose): the information is singular to rounding, and the
    # standard errors were 5e6 with p = 1 instead of NaN (statsmodels: NaN and a warning)
    formula = "rating ~ 0 + x1 + C(g)"
    with pytest.warns(ts.HessianWarning, match="singular to rounding"):
        res = ts.ordered_model(formula, frame, distr="logit", hasconst=False).fit(disp=0)
    assert np.isnan(res.bse).all()
    # not identified indeed: the log-likelihood is flat along "every dummy and the first
    # threshold up by t" (statsmodels' numerical Hessian gives NaN or 137, by data set)
    params = res.params.to_numpy()
    direction = np.zeros_like(params)
    direction[[0, 1, 2, 4]] = 1.0
    flat = [float(res.model.loglike(params + t * direction)) for t in (0.0, 0.5, 3.0)]
    np.testing.assert_allclose(flat, flat[0], rtol=1e-13)
    identified = ts.ordered_model("rating ~ x1 + C(g)", frame, distr="logit").fit(disp=0)
    assert np.isfinite(identified.bse).all()
