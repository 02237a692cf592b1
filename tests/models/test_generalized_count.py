"""NegativeBinomialP and GeneralizedPoisson against statsmodels: one test per statistic.

Cases: NB-P with p = 2, 1 and 1.5, generalised Poisson with p = 1, 2 and 1.5 and an
underdispersed response (alpha < 0), on three random data sets with categorical formulas,
offsets and exposures. statsmodels' reference fit is its BFGS run to convergence, polished by
its Newton: its own maximum to full precision. Where statsmodels' closed-form Hessian is
wrong (NB-P with p other than 1 and 2: its cross derivative in alpha), the standard errors
are checked against the derivative of statsmodels' score instead (docs/differences.md).
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import torch
from statsmodels.tools.numdiff import approx_fprime

import torchstats as ts
from tests.conftest import DEVICES
from tests.models.discrete_cases import make_discrete_frame
from tests.parity import assert_matches, mask_clock
from torchstats.errors import ConvergenceWarning, DesignError, InvalidOptionError

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference/count_models/reference.json").read_text()
)
THEIRS = {"nbp": sm.NegativeBinomialP, "gp": sm.GeneralizedPoisson}
OURS = {"nbp": ts.negativebinomialp, "gp": ts.generalizedpoisson}


@dataclass(frozen=True)
class Case:
    kind: str
    p: float
    formula: str
    seed: int
    offset: bool = False
    exposure: bool = False

    @property
    def id(self) -> str:
        extras = "+off" * self.offset + "+expo" * self.exposure
        return f"{self.kind}{self.p:g}|{self.formula}{extras}|data{self.seed}"

    @property
    def exact_hessian_in_statsmodels(self) -> bool:
        return self.kind == "gp" or self.p in (1, 2)


CASES = [
    Case("nbp", 2, "yn ~ x1 + np.log(x2) + C(g)", 0),
    Case("nbp", 1, "yn ~ x1 * C(h) + x3", 1, exposure=True),
    Case("nbp", 1.5, "yn ~ x1 + np.log(x2) + C(g)", 2, offset=True, exposure=True),
    Case("gp", 1, "yn ~ x1 + np.log(x2) + C(g)", 0, offset=True),
    Case("gp", 2, "yn ~ x1 * C(h) + x3", 1),
    Case("gp", 1.5, "yn ~ x1 + x3", 2, exposure=True),
    Case("gp", 1, "yu ~ x1 + C(g)", 0),  # underdispersed: alpha < 0
]


def frame_of(seed: int, n: int = 250) -> pd.DataFrame:
    frame = make_discrete_frame(seed, n)
    rng = np.random.default_rng(seed + 50)
    mean = np.exp(0.8 + 0.3 * frame["x1"])
    frame["yu"] = rng.binomial(12, mean / (12 + mean.max())).astype(float)
    return frame


def _extras(case: Case, frame: pd.DataFrame) -> dict:
    extras = {}
    if case.offset:
        extras["offset"] = frame["off"]
    if case.exposure:
        extras["exposure"] = frame["expo"]
    return extras


@functools.cache
def fit_pair(case: Case):
    frame = frame_of(case.seed)
    extras = _extras(case, frame)
    ours = OURS[case.kind](case.formula, frame, p=case.p, **extras).fit()
    model = THEIRS[case.kind].from_formula(case.formula, frame, p=case.p, **extras)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = model.fit(method="bfgs", maxiter=2000, disp=0).params
        theirs = model.fit(start_params=start, method="newton", maxiter=100, tol=1e-13, disp=0)
    return ours, theirs


@pytest.fixture(params=CASES, ids=lambda case: case.id)
def case(request):
    return request.param


@pytest.fixture
def fits(case):
    return fit_pair(case)


def test_names(fits):
    ours, theirs = fits
    assert list(ours.params.index) == list(theirs.params.index)
    assert ours.model.exog_names == theirs.model.exog_names
    assert ours.model.exog_names[-1] == "alpha"


def test_params(fits):
    assert_matches(fits[0].params, fits[1].params, rtol=1e-9, atol_scale=1e-11)


def test_underdispersion_gives_negative_alpha():
    ours, _ = fit_pair(CASES[-1])
    assert ours.params["alpha"] < 0


def _their_cov(case: Case, theirs) -> np.ndarray:
    if case.exact_hessian_in_statsmodels:
        return np.asarray(theirs.cov_params())
    # statsmodels' analytic Hessian is off for p not in (1, 2): differentiate its score
    params = np.asarray(theirs.params)
    hessian = approx_fprime(params, theirs.model.score, centered=True)
    return np.linalg.inv(-(hessian + hessian.T) / 2)


def test_bse(case, fits):
    ours, theirs = fits
    expected = np.sqrt(np.diag(_their_cov(case, theirs)))
    # statsmodels' NB-P d2l/dalpha2 loses digits to cancellation, as its NegativeBinomial's
    rtol = 1e-8 if case.kind == "gp" else 1e-6
    assert_matches(ours.bse.to_numpy(), expected, rtol=rtol)


def test_cov_params(case, fits):
    ours, theirs = fits
    rtol = 1e-7 if case.kind == "gp" else 1e-5
    assert_matches(ours.cov_params().to_numpy(), _their_cov(case, theirs), rtol=rtol)


def test_inference_columns(case, fits):
    ours, theirs = fits
    if not case.exact_hessian_in_statsmodels:
        pytest.skip("statsmodels' bse are off here (see test_bse)")
    rtol = 1e-8 if case.kind == "gp" else 1e-6
    assert_matches(ours.tvalues, theirs.tvalues, rtol=rtol)
    assert_matches(ours.pvalues, theirs.pvalues, rtol=100 * rtol, atol_scale=1e-12)
    assert_matches(ours.conf_int(), theirs.conf_int(), rtol=rtol, atol_scale=rtol)


def test_likelihood_statistics(fits):
    ours, theirs = fits
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-12)
    # statsmodels fits the constant-only model by Nelder-Mead and BFGS (gtol 1e-5)
    assert ours.llnull == pytest.approx(theirs.llnull, rel=1e-8)
    assert ours.llnull >= theirs.llnull - 1e-9 * abs(theirs.llnull)
    assert ours.llr == pytest.approx(theirs.llr, rel=1e-6)
    assert ours.llr_pvalue == pytest.approx(theirs.llr_pvalue, rel=1e-5)
    assert ours.prsquared == pytest.approx(theirs.prsquared, rel=1e-7)
    assert ours.aic == pytest.approx(theirs.aic, rel=1e-12)
    assert ours.bic == pytest.approx(theirs.bic, rel=1e-12)


def test_sizes(fits):
    ours, theirs = fits
    assert (ours.nobs, ours.df_model, ours.df_resid, ours.k_constant) == (
        theirs.nobs,
        theirs.df_model,
        theirs.df_resid,
        theirs.k_constant,
    )
    assert ours.model.k_extra == theirs.model.k_extra == 1
    assert ours.model.parameterization == theirs.model.parameterization


def test_lnalpha(case, fits):
    ours, theirs = fits
    if case.p == 1 and case.kind == "gp" and fits[0].params["alpha"] < 0:
        assert np.isnan(ours.lnalpha)
        return
    assert ours.lnalpha == pytest.approx(theirs.lnalpha, rel=1e-9)


def test_fitted_and_residuals(fits):
    ours, theirs = fits
    assert_matches(ours.fittedvalues, theirs.fittedvalues, rtol=1e-9, atol_scale=1e-10)
    assert_matches(ours.resid, theirs.resid, rtol=1e-8, atol_scale=1e-10)
    assert_matches(ours.resid_pearson, theirs.resid_pearson, rtol=1e-8, atol_scale=1e-10)


@pytest.mark.parametrize("which", ["mean", "linear", "var"])
def test_predict_in_sample(fits, which):
    ours, theirs = fits
    assert_matches(ours.predict(which=which), theirs.predict(which=which), rtol=1e-9)


def _offset_of(case: Case, frame: pd.DataFrame) -> np.ndarray:
    """Offset plus log-exposure of ``frame``'s rows (statsmodels' NB-P/GP ``predict`` takes
    an exposure only as the scalar 0: its ``exposure != 0`` refuses arrays)."""
    offset = np.zeros(len(frame))
    if case.offset:
        offset += frame["off"].to_numpy()
    if case.exposure:
        offset += np.log(frame["expo"].to_numpy())
    return offset


def test_predict_prob(case, fits):
    ours, theirs = fits
    found = ours.predict(which="prob")
    assert isinstance(found, np.ndarray)
    offset = _offset_of(case, frame_of(case.seed).loc[ours.model.data.row_labels])
    params, exog = np.asarray(theirs.params), theirs.model.exog
    expected = theirs.model.predict(params, exog, which="prob", offset=offset, exposure=0)
    assert_matches(found, expected, rtol=1e-8, atol_scale=1e-13)
    y_values = np.array([0, 1, 2.5, 4])
    assert_matches(
        ours.predict(which="prob", y_values=y_values),
        theirs.model.predict(
            params, exog, which="prob", offset=offset, exposure=0, y_values=y_values
        ),
        rtol=1e-8,
        atol_scale=1e-13,
    )


def test_predict_new_data(case, fits):
    """New rows with their own offset and exposure (statsmodels' NB-P/GP ``predict`` would
    use the fit's offset and exposure for new rows: given here as an offset)."""
    ours, theirs = fits
    new = frame_of(case.seed + 100, n=30)
    offset = _offset_of(case, new)
    extras = _extras(case, new)
    for which in ("mean", "linear", "var"):
        expected = theirs.predict(new, which=which, offset=offset, exposure=0)
        assert_matches(ours.predict(new, which=which, **extras), expected, rtol=1e-9)
    found = ours.predict(new, which="prob", **extras)
    assert isinstance(found, pd.DataFrame)
    expected = theirs.predict(new, which="prob", offset=offset, exposure=0)
    assert_matches(found, expected, rtol=1e-8, atol_scale=1e-13)


@pytest.mark.filterwarnings("ignore:using default log-link")
@pytest.mark.parametrize("which", ["mean", "linear"])
def test_get_prediction(case, fits, which):
    ours, theirs = fits
    if not case.exact_hessian_in_statsmodels:
        pytest.skip("statsmodels' covariance is off here (see test_bse)")
    new = frame_of(case.seed + 100, n=30)
    found = ours.get_prediction(new, which=which, **_extras(case, new))
    expected = theirs.get_prediction(new, which=which, offset=_offset_of(case, new), exposure=0)
    rtol = 1e-8 if case.kind == "gp" else 1e-6
    assert_matches(found.summary_frame(), expected.summary_frame(), rtol=rtol)


def test_get_prediction_var_by_delta_method(case, fits):
    ours, theirs = fits
    if not case.exact_hessian_in_statsmodels:
        pytest.skip("statsmodels' covariance is off here (see test_bse)")
    new = frame_of(case.seed + 100, n=30)
    found = ours.get_prediction(new, which="var", **_extras(case, new)).summary_frame()
    expected = theirs.get_prediction(
        new, which="var", offset=_offset_of(case, new), exposure=0
    ).summary_frame()
    # statsmodels differentiates numerically (and drops the row labels)
    assert_matches(found.to_numpy(), expected.to_numpy(), rtol=1e-5)


def test_get_distribution(fits):
    ours, theirs = fits
    found, expected = ours.get_distribution(), theirs.get_distribution()
    k = np.arange(6)[:, None]
    np.testing.assert_allclose(found.pmf(k), expected.pmf(k), rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(found.mean(), expected.mean(), rtol=1e-8)
    np.testing.assert_allclose(found.var(), expected.var(), rtol=1e-8)


def test_summary_text(case, fits):
    ours, theirs = fits
    if not case.exact_hessian_in_statsmodels:
        pytest.skip("statsmodels' bse are off here (see test_bse)")
    assert mask_clock(str(ours.summary())) == mask_clock(str(theirs.summary()))


@pytest.mark.parametrize("cov_type", ["HC0", "cluster"])
def test_robust_covariance(case, fits, cov_type):
    ours, theirs = fits
    if not case.exact_hessian_in_statsmodels:
        pytest.skip("statsmodels' Hessian is off here (see test_bse)")
    frame = frame_of(case.seed)
    kwds = {"groups": frame["g"].astype("category").cat.codes.to_numpy()}
    cov_kwds = kwds if cov_type == "cluster" else None
    robust = OURS[case.kind](case.formula, frame, p=case.p, **_extras(case, frame)).fit(
        cov_type=cov_type, cov_kwds=cov_kwds
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs.model.fit(
            start_params=theirs.params,
            method="newton",
            disp=0,
            cov_type=cov_type,
            cov_kwds=cov_kwds,
        )
    assert_matches(robust.bse, expected.bse, rtol=1e-6)


def test_statsmodels_default_bfgs_path(case):
    """``fit(method="bfgs")`` is statsmodels' default fit: same start, same 35 steps."""
    frame = frame_of(case.seed)
    extras = _extras(case, frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = OURS[case.kind](case.formula, frame, p=case.p, **extras).fit(method="bfgs")
        theirs = THEIRS[case.kind].from_formula(case.formula, frame, p=case.p, **extras).fit(disp=0)
    assert_matches(ours.params, theirs.params, rtol=1e-7, atol_scale=1e-9)
    assert ours.mle_retvals["converged"] == theirs.mle_retvals["converged"]


def test_arrays_equal_formula(case, fits):
    ours, _ = fits
    model = ours.model
    extras = {}
    if case.offset:
        extras["offset"] = model.offset
    if case.exposure:
        extras["exposure"] = np.exp(model.exposure)
    cls = type(model)
    by_arrays = cls(model.endog, model.exog, p=case.p, **extras).fit()
    assert_matches(by_arrays.params, ours.params.to_numpy(), rtol=1e-12, atol_scale=1e-14)


def test_loglike_and_score_equal_statsmodels_at_random_params(case, fits):
    ours, theirs = fits
    rng = np.random.default_rng(7)
    params = np.asarray(theirs.params) * (1 + 0.1 * rng.normal(size=len(theirs.params)))
    their_model = theirs.model
    assert_matches(
        np.asarray(ours.model.loglikeobs(params)), their_model.loglikeobs(params), rtol=1e-12
    )
    assert_matches(np.asarray(ours.model.score(params)), their_model.score(params), rtol=1e-9)


# --- reference values (Stata, R) on the RAND health insurance data ---------------------------


@functools.cache
def _randhie():
    data = sm.datasets.randhie.load()
    return np.asarray(data.endog), sm.add_constant(np.asarray(data.exog), prepend=False)


def test_randhie_generalized_poisson_p2_against_stata():
    expected = REFERENCE["randhie_gp2"]
    endog, exog = _randhie()
    res = ts.GeneralizedPoisson(endog, exog, p=2).fit()
    # Stata's values, printed to 9 digits; statsmodels checks them to atol 1e-5
    np.testing.assert_allclose(res.params, expected["params"], atol=2e-6)
    np.testing.assert_allclose(res.bse, expected["bse"], atol=1e-6)
    # 1e-5 apart (statsmodels' maximum is ours; statsmodels checks llf to rtol 1e-7)
    assert res.llf == pytest.approx(expected["llf"], rel=1e-9)
    assert res.aic == pytest.approx(expected["aic"], rel=1e-9)
    assert res.bic == pytest.approx(expected["bic"], rel=1e-9)
    assert res.lnalpha == pytest.approx(expected["lnalpha"], rel=1e-6)
    assert res.lnalpha_std_err == pytest.approx(expected["lnalpha_std_err"], abs=1e-6)


def test_randhie_negativebinomialp_nb2_against_r():
    """NB-P with p = 2 is NB2: R's ``MASS::glm.nb`` coefficients and Stata's alpha."""
    expected = REFERENCE["randhie_nb2"]
    endog, exog = _randhie()
    res = ts.NegativeBinomialP(endog, exog, p=2).fit()
    np.testing.assert_allclose(res.params, expected["params"], rtol=1e-6, atol=1e-7)
    # R's glm.nb standard errors hold theta fixed (statsmodels checks them to 3 decimals)
    np.testing.assert_allclose(res.bse, expected["bse"], atol=1e-3)
    assert res.llf == pytest.approx(expected["llf"], rel=1e-10)


# --- behaviour -------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0, -1, float("inf"), "two"])
def test_bad_power_is_refused(p):
    frame = frame_of(0)
    with pytest.raises(InvalidOptionError, match="p must be"):
        ts.negativebinomialp("yn ~ x1", frame, p=p)


def test_negative_counts_are_refused():
    frame = frame_of(0).assign(yn=lambda d: d["yn"] - 3)
    with pytest.raises(DesignError, match="non-negative counts"):
        ts.generalizedpoisson("yn ~ x1", frame)


def test_nonpositive_alpha_start_is_refused_for_nbp():
    frame = frame_of(0)
    with pytest.raises(DesignError, match="alpha must be positive"):
        ts.negativebinomialp("yn ~ x1", frame).fit(start_params=[0.1, 0.1, -0.5])


def test_not_converged_warns():
    with pytest.warns(ts.ConvergenceWarning, match="did not converge"):
        ts.generalizedpoisson("yn ~ x1 + C(g)", frame_of(0)).fit(maxiter=1)


def test_newton_steps_in_log_alpha_from_a_far_start():
    frame = frame_of(1)
    res = ts.negativebinomialp("yn ~ x1", frame).fit(start_params=[0.0, 0.0, 50.0])
    reference = ts.negativebinomialp("yn ~ x1", frame).fit()
    assert res.mle_retvals["converged"]
    assert_matches(res.params, reference.params, rtol=1e-10)


def test_repr_and_names():
    model = ts.negativebinomialp("yn ~ x1", frame_of(0), p=1.5)
    assert model.model_name == "NegativeBinomialP"
    assert "NegativeBinomialP" in repr(model)
    assert re.search(r"k=3", repr(model))


@pytest.mark.parametrize("device", DEVICES)
def test_devices(device):
    frame = frame_of(2)
    cpu = ts.generalizedpoisson("yn ~ x1 + C(g)", frame, p=2).fit()
    other = ts.generalizedpoisson("yn ~ x1 + C(g)", frame, p=2, device=device).fit()
    assert_matches(other.params, cpu.params, rtol=1e-10)
    assert_matches(other.bse, cpu.bse, rtol=1e-9)


def test_tensor_input_gives_tensors():
    frame = frame_of(0)
    y = torch.tensor(frame["yn"].to_numpy())
    X = torch.tensor(np.column_stack([np.ones(len(frame)), frame["x1"]]))
    res = ts.NegativeBinomialP(y, X).fit()
    assert isinstance(res.params, torch.Tensor)
    assert res.get_distribution().pmf(0).shape == (len(frame),)


def test_use_transparams_is_refused():
    with pytest.raises(InvalidOptionError, match="use_transparams"):
        ts.negativebinomialp("yn ~ x1", frame_of(0)).fit(method="bfgs", use_transparams=True)


@pytest.mark.parametrize("model", [ts.NegativeBinomialP, ts.GeneralizedPoisson])
def test_influence_is_refused_with_the_reason(model):
    # statsmodels' leverage for these models differentiates the score in the response
    # numerically; torchstats has no exact derivative for them yet, so it refuses rather
    # than returning leverages computed without it
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(200), rng.normal(size=200)])
    y = rng.negative_binomial(2, 0.5, 200)
    results = model(y, X).fit(disp=0)
    with pytest.raises(NotImplementedError, match="does not define influence_derivatives"):
        _ = results.get_influence().hat_matrix_diag


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_gp2_newton_does_not_start_at_the_edge_of_the_domain(seed):
    """statsmodels' start clamps a negative moment estimate of alpha at -0.1, which with
    counts up to 10 puts ``mu + alpha mu y`` at the floor where the log-likelihood drops
    off a cliff; Newton crawled along it to maxiter (seed 0: -202.0 against -102.7).
    Newton now starts such a fit at alpha = 0 and reaches statsmodels' Newton maximum from
    there."""
    rng = np.random.default_rng(seed)
    n = 60
    X = np.column_stack([np.ones(n), rng.standard_normal(n), rng.standard_normal(n)])
    y = rng.poisson(np.exp(X @ np.array([0.5, 0.3, -0.2]))).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = ts.GeneralizedPoisson(y, X, p=2).fit(disp=0)
    start = np.r_[sm.Poisson(y, X).fit(disp=0).params, 0.0]
    theirs = sm.GeneralizedPoisson(y, X, p=2).fit(
        start_params=start, method="newton", maxiter=200, disp=0
    )
    assert ours.mle_retvals["converged"]
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-12)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-7, atol=1e-9)
    # the zero-inflated GP-2 starts from that fit (seed 0: its start was not finite), and
    # nests it (inflation probability 0)
    inflated = ts.ZeroInflatedGeneralizedPoisson(y, X, p=2).fit(disp=0)
    assert inflated.mle_retvals["converged"]
    assert inflated.llf >= ours.llf - 1e-9 * abs(ours.llf)
