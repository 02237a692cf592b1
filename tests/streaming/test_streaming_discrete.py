"""Streamed Logit, Probit and Poisson equal the in-memory fits: the same driver and iterates."""

from __future__ import annotations

import numpy as np
import pytest

import torchstats as ts
from tests.models.test_glm_behaviour import _quasi_separated_frame
from tests.parity import assert_matches, mask_clock
from tests.streaming.test_streaming_glm import _chunks, _frame
from torchstats.errors import (
    DesignError,
    InvalidOptionError,
    SingularDesignError,
    TorchstatsError,
)

RHS = "x1 + np.log(x2) + C(g)"
CASES = {
    "logit": (ts.logit, "binary", {}),
    "logit+offset": (ts.logit, "binary", {"offset": "off"}),
    "probit": (ts.probit, "binary", {}),
    "poisson+offset+exposure": (ts.poisson, "count", {"offset": "off", "exposure": "e"}),
    "poisson-no-constant": (ts.poisson, "count", {"exposure": "e"}),
}


def _pair(name: str, seed: int = 0, **fit):
    function, response, columns = CASES[name]
    frame = _frame(seed)
    rhs = RHS + (" - 1" if name.endswith("no-constant") else "")
    formula = f"{response} ~ {rhs}"
    memory_fit = dict(fit)
    if "cov_kwds" in fit:
        memory_fit["cov_kwds"] = {"groups": frame["k"]}
    memory = function(formula, frame, **{r: frame[c] for r, c in columns.items()})
    streamed = function(formula, _chunks(frame), **columns)
    return streamed.fit(disp=0, **fit), memory.fit(disp=0, **memory_fit)


@pytest.fixture(scope="module", params=sorted(CASES))
def pair(request):
    return _pair(request.param)


@pytest.mark.parametrize("name", ["params", "bse", "tvalues", "pvalues"])
def test_estimates(pair, name):
    assert_matches(getattr(pair[0], name), getattr(pair[1], name), rtol=1e-10, atol_scale=1e-13)


def test_cov_params(pair):
    assert_matches(pair[0].cov_params(), pair[1].cov_params(), rtol=1e-10, atol_scale=1e-13)


@pytest.mark.parametrize(
    "name",
    ["llf", "llnull", "llr", "llr_pvalue", "prsquared", "aic", "bic", "nobs", "df_resid"]
    + ["df_model"],
)
def test_scalar_statistics(pair, name):
    np.testing.assert_allclose(getattr(pair[0], name), getattr(pair[1], name), rtol=1e-9)


def test_the_same_newton_iterations(pair):
    streamed, memory = pair
    assert streamed.mle_retvals["iterations"] == memory.mle_retvals["iterations"]
    assert streamed.mle_retvals["converged"] == memory.mle_retvals["converged"]


def test_summary_text(pair):
    assert mask_clock(str(pair[0].summary())) == mask_clock(str(pair[1].summary()))


def test_predictions_for_new_data(pair):
    rows = _frame(9).iloc[:7]
    for which in ("mean", "linear"):
        expected = pair[1].predict(rows, which=which)
        assert_matches(pair[0].predict(rows, which=which), expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["logit+offset", "probit", "poisson+offset+exposure"])
@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "cluster"])
def test_robust_covariances(name, cov_type):
    fit = {"cov_type": cov_type}
    if cov_type == "cluster":
        fit["cov_kwds"] = {"groups": "k"}
    streamed, memory = _pair(name, seed=1, **fit)
    assert_matches(streamed.bse, memory.bse, rtol=1e-10, atol_scale=1e-13)


def test_a_scipy_method_takes_the_same_path():
    streamed, memory = _pair("logit", seed=2, method="bfgs")
    assert streamed.mle_retvals["iterations"] == memory.mle_retvals["iterations"]
    assert_matches(streamed.params, memory.params, rtol=1e-8)


def test_per_row_outputs_are_refused():
    streamed, _ = _pair("logit")
    for name in ("fittedvalues", "resid_pearson", "resid_dev"):
        with pytest.raises(TorchstatsError, match="not available for a streamed fit"):
            getattr(streamed, name)
    for call in (streamed.pred_table, streamed.get_influence, streamed.predict):
        with pytest.raises(TorchstatsError, match="streamed fit"):
            call()


def test_bad_input_is_refused_clearly():
    chunks = _chunks(_frame(3))
    with pytest.raises(InvalidOptionError, match="takes no exposure"):
        ts.StreamingDiscrete("Logit", f"binary ~ {RHS}", chunks, exposure="e")
    with pytest.raises(InvalidOptionError, match="does not stream"):
        ts.StreamingDiscrete("MNLogit", f"binary ~ {RHS}", chunks)
    with pytest.raises(InvalidOptionError, match="must name a column"):
        ts.logit(f"binary ~ {RHS}", chunks, offset=np.zeros(700))
    with pytest.raises(InvalidOptionError, match="HC0"):
        ts.logit(f"binary ~ {RHS}", chunks).fit(disp=0, cov_type="HC3")
    with pytest.raises(SingularDesignError, match="singular"):
        ts.poisson("count ~ x1 + I(2 * x1)", chunks).fit(disp=0)
    with pytest.raises(DesignError, match=r"response must lie in \[0, 1\]"):
        ts.logit(f"count ~ {RHS}", chunks).fit(disp=0)
    with pytest.raises(DesignError, match="must be non-negative"):
        ts.poisson(f"normal ~ {RHS}", chunks).fit(disp=0)


def test_separation_warns_as_in_memory():
    frame = _frame(4)
    frame["separated"] = (frame["x1"] > 0).astype(float)
    formula = "separated ~ x1 + np.log(x2)"
    with pytest.warns(ts.errors.PerfectSeparationWarning, match="complete separation"):
        ts.logit(formula, frame).fit(disp=0, warn_convergence=False)
    with pytest.warns(ts.errors.PerfectSeparationWarning, match="complete separation"):
        ts.logit(formula, _chunks(frame)).fit(disp=0, warn_convergence=False)


@pytest.mark.parametrize("model", ["poisson", "logit", "probit"])
def test_quasi_separation_warns_as_in_memory(model):
    """A dummy that is 1 only on zero counts: the streamed Poisson fit stopped at -30 with
    a standard error of 2e5 and no warning (the in-memory one warns)."""
    frame = _quasi_separated_frame(0)
    response = "count" if model == "poisson" else "binary"
    for data in (frame, _chunks(frame)):
        with pytest.warns(ts.errors.PerfectSeparationWarning, match="quasi-complete"):
            getattr(ts, model)(f"{response} ~ x + d", data).fit(disp=0)


def test_logit_of_a_proportion_has_the_in_memory_likelihood():
    """The streamed passes used the Binomial GLM's log-likelihood, whose log C(1, y) is 0
    for 0/1 responses only: llf -134.7 where in memory (sum y log p + (1 - y) log(1 - p))
    it is -188.1; llnull, aic and bic with it."""
    frame = _frame(3)
    memory = ts.logit("share ~ x1 + np.log(x2)", frame).fit(disp=0)
    streamed = ts.logit("share ~ x1 + np.log(x2)", _chunks(frame)).fit(disp=0)
    for name in ("llf", "llnull", "aic", "bic", "prsquared"):
        np.testing.assert_allclose(getattr(streamed, name), getattr(memory, name), rtol=1e-10)


def test_poisson_predictions_with_an_exposure_for_new_rows():
    """``predict(new, exposure=...)`` raised AttributeError on the streamed model."""
    frame = _frame(4)
    kwargs = {"exposure": "e"}
    memory = ts.poisson("count ~ x1", frame, **kwargs).fit(disp=0)
    streamed = ts.poisson("count ~ x1", _chunks(frame), **kwargs).fit(disp=0)
    new, exposure = frame.iloc[:5], frame["e"].iloc[:5].to_numpy()
    np.testing.assert_allclose(
        np.asarray(streamed.predict(new, exposure=exposure)),
        np.asarray(memory.predict(new, exposure=exposure)),
        rtol=1e-10,
    )


def test_probit_of_a_proportion_is_refused_as_in_memory():
    frame = _frame(3)
    with pytest.raises(DesignError, match="fractional"):
        ts.probit("share ~ x1", frame).fit(disp=0)
    with pytest.raises(DesignError, match="fractional"):
        ts.probit("share ~ x1", _chunks(frame)).fit(disp=0)
