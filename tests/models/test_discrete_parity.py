"""Logit, Probit, Poisson and NegativeBinomial against statsmodels: one test per statistic.

Cases (``discrete_cases.CASES``): three data sets, categorical formulas, offsets, exposures,
no intercept, an implicit intercept (full dummy set), a boolean response, and NB2/NB1/
geometric negative binomials. Both libraries fit by Newton to the same maximum, so the
estimates agree to ~1e-13; the tolerances below say where statsmodels itself is less precise.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch

from tests.models.discrete_cases import CASES, fit_pair, new_data
from tests.parity import assert_matches


@pytest.fixture(params=CASES, ids=lambda case: case.id)
def case(request: pytest.FixtureRequest):
    return request.param


@pytest.fixture
def fits(case):
    return fit_pair(case)


def _is_negbin(fits) -> bool:
    return type(fits[0].model).__name__ == "NegativeBinomial"


def test_param_names_and_order(fits):
    ours, theirs = fits
    assert list(ours.params.index) == list(theirs.params.index)
    assert ours.model.exog_names == theirs.model.exog_names
    assert ours.model.endog_names == theirs.model.endog_names


def test_params(fits):
    assert_matches(fits[0].params, fits[1].params, rtol=1e-10)


def test_bse(fits):
    # statsmodels' closed-form NB2/NB1 d2l/dalpha2 loses ~8 digits to cancellation (ours
    # matches autograd to 1e-15, see test_discrete_derivatives), so alpha's bse agrees to 1e-8.
    assert_matches(fits[0].bse, fits[1].bse, rtol=1e-7 if _is_negbin(fits) else 1e-10)


def test_tvalues(fits):
    assert_matches(fits[0].tvalues, fits[1].tvalues, rtol=1e-7 if _is_negbin(fits) else 1e-9)


def test_pvalues(fits):
    # p-values amplify relative errors of z by |z|^2 in the tail.
    assert_matches(fits[0].pvalues, fits[1].pvalues, rtol=1e-6 if _is_negbin(fits) else 1e-8)


def test_conf_int(fits):
    # A bound near zero is params - q * bse with cancellation: compare relative to the table.
    tol = 1e-7 if _is_negbin(fits) else 1e-9
    assert_matches(
        fits[0].conf_int(alpha=0.1), fits[1].conf_int(alpha=0.1), rtol=tol, atol_scale=tol
    )


def test_cov_params(fits):
    assert_matches(
        fits[0].cov_params(), fits[1].cov_params(), rtol=1e-7 if _is_negbin(fits) else 1e-9
    )


def test_llf(fits):
    assert fits[0].llf == pytest.approx(fits[1].llf, rel=1e-12)


def test_llnull(fits):
    # statsmodels fits the constant-only model by Nelder-Mead then BFGS (gtol 1e-5); its
    # llnull is ~1e-10 from the maximum that our Newton fit reaches.
    assert fits[0].llnull == pytest.approx(fits[1].llnull, rel=1e-8)


def test_llr(fits):
    assert fits[0].llr == pytest.approx(fits[1].llr, rel=1e-7)


def test_llr_pvalue(fits):
    # d log(p) / d llr is about -1/2, so statsmodels' llnull error (~1e-8 absolute in llr)
    # moves the p-value by ~1e-8 relative.
    assert fits[0].llr_pvalue == pytest.approx(fits[1].llr_pvalue, rel=1e-6)


def test_prsquared(fits):
    assert fits[0].prsquared == pytest.approx(fits[1].prsquared, rel=1e-8)


def test_aic(fits):
    assert fits[0].aic == pytest.approx(fits[1].aic, rel=1e-12)


def test_bic(fits):
    assert fits[0].bic == pytest.approx(fits[1].bic, rel=1e-12)


def test_degrees_of_freedom(fits):
    ours, theirs = fits
    assert (ours.nobs, ours.df_model, ours.df_resid) == (
        theirs.nobs,
        theirs.df_model,
        theirs.df_resid,
    )
    assert isinstance(ours.nobs, int) and isinstance(ours.df_model, float)
    assert ours.k_constant == theirs.k_constant


def test_fittedvalues(fits):
    assert_matches(fits[0].fittedvalues, fits[1].fittedvalues, rtol=1e-10, atol_scale=1e-10)


def test_resid_response(fits):
    assert_matches(fits[0].resid_response, fits[1].resid_response, rtol=1e-9, atol_scale=1e-10)


def test_resid_pearson(fits):
    assert_matches(fits[0].resid_pearson, fits[1].resid_pearson, rtol=1e-9, atol_scale=1e-10)


def test_predict_in_sample(fits):
    ours, theirs = fits
    assert_matches(ours.predict(), theirs.predict(), rtol=1e-10)
    assert_matches(
        ours.predict(which="linear"), theirs.predict(which="linear"), rtol=1e-10, atol_scale=1e-10
    )


def test_predict_variance(fits):
    ours, theirs = fits
    if type(ours.model).__name__ == "Poisson":
        expected = theirs.predict()  # statsmodels' Poisson: var = mean
    else:
        expected = theirs.predict(which="var")
    assert_matches(ours.predict(which="var"), expected, rtol=1e-9)


def test_predict_new_data(case, fits):
    ours, theirs = fits
    frame, extras = new_data(case)
    expected = theirs.predict(frame.assign(flag=frame["flag"].astype(float)), **extras)
    assert_matches(ours.predict(frame, **extras), expected, rtol=1e-10)
    linear = theirs.predict(frame, which="linear", **extras)
    assert_matches(
        ours.predict(frame, which="linear", **extras), linear, rtol=1e-10, atol_scale=1e-10
    )


def test_predict_new_data_defaults_offset_to_zero(case, fits):
    ours, theirs = fits
    frame, _ = new_data(case)
    assert_matches(ours.predict(frame), theirs.predict(frame), rtol=1e-10)


@pytest.mark.filterwarnings("ignore:using default log-link")  # statsmodels, count models
@pytest.mark.parametrize("which", ["mean", "linear", "var"])  # "var" refused for Logit
def test_get_prediction_new_data(case, fits, which):
    ours, theirs = fits
    frame, extras = new_data(case)
    theirs_frame = frame.assign(flag=frame["flag"].astype(float))
    try:
        expected = theirs.get_prediction(theirs_frame, which=which, **extras)
    except AttributeError:  # 'Series' object has no attribute 'imag'
        pytest.skip("statsmodels' complex-step delta method fails on pandas rows here")
    found = ours.get_prediction(frame, which=which, **extras)
    if which == "var":  # statsmodels' delta-method frame drops the rows' labels
        np.testing.assert_allclose(
            found.summary_frame(alpha=0.1).to_numpy(),
            expected.summary_frame(alpha=0.1).to_numpy(),
            rtol=1e-8,
        )
        return
    assert_matches(found.summary_frame(alpha=0.1), expected.summary_frame(alpha=0.1), rtol=1e-8)
    if which == "mean":
        assert_matches(found.linpred_se, expected.linpred_se, rtol=1e-8)
        assert_matches(found.conf_int(method="delta"), expected.conf_int(method="delta"), rtol=1e-8)


@pytest.mark.filterwarnings("ignore:using default log-link")
def test_get_prediction_in_sample_keeps_offset_and_exposure(case, fits):
    """statsmodels 0.15 drops them in sample; passing its design with them explicitly
    gives our frame, whose means are the fitted means."""
    ours, theirs = fits
    found = ours.get_prediction().summary_frame()
    extras = {}
    if case.offset:
        extras["offset"] = theirs.model.offset
    if case.exposure:
        extras["exposure"] = np.exp(theirs.model.exposure)  # statsmodels keeps its log
    expected = theirs.get_prediction(theirs.model.exog, transform=False, **extras)
    assert_matches(found, expected.summary_frame().set_axis(found.index), rtol=1e-8)
    assert_matches(found["predicted"].to_numpy(), np.asarray(ours.predict()), rtol=1e-12)


def test_mle_retvals(fits):
    ours, theirs = fits
    assert ours.mle_retvals["converged"] is True
    assert ours.converged == theirs.mle_retvals["converged"]
    assert 1 <= ours.mle_retvals["iterations"] <= 10
    assert ours.mle_retvals["fopt"] == pytest.approx(theirs.mle_retvals["fopt"], rel=1e-12)
    history = ours.mle_retvals["fit_history"]
    assert history["llf"][-1] == pytest.approx(ours.llf, rel=1e-12)
    assert ours.method == theirs.method == "MLE"
    assert ours.mle_settings["optimizer"] == "newton"


def _mask_date_time(text: str) -> str:
    return re.sub(r"^(Date|Time):(\s+)\S.*?(?=\s{2,}|$)", r"\1:\2<masked>", text, flags=re.M)


def test_summary_text(fits):
    ours, theirs = fits
    assert _mask_date_time(str(ours.summary())) == _mask_date_time(str(theirs.summary()))


# --- binary-only statistics ---------------------------------------------------------------------

BINARY = [c for c in CASES if c.kind in ("logit", "probit")]
COUNT = [c for c in CASES if c.kind in ("poisson", "negbin")]


@pytest.mark.parametrize("binary_case", BINARY, ids=lambda c: c.id)
def test_pred_table(binary_case):
    ours, theirs = fit_pair(binary_case)
    for threshold in (0.5, 0.3):
        np.testing.assert_array_equal(ours.pred_table(threshold), theirs.pred_table(threshold))


@pytest.mark.parametrize("binary_case", BINARY, ids=lambda c: c.id)
def test_resid_dev(binary_case):
    ours, theirs = fit_pair(binary_case)
    assert_matches(ours.resid_dev, theirs.resid_dev, rtol=1e-9)


@pytest.mark.parametrize("binary_case", BINARY, ids=lambda c: c.id)
def test_resid_generalized(binary_case):
    ours, theirs = fit_pair(binary_case)
    assert_matches(ours.resid_generalized, theirs.resid_generalized, rtol=1e-9)


@pytest.mark.parametrize("count_case", COUNT, ids=lambda c: c.id)
def test_resid(count_case):
    ours, theirs = fit_pair(count_case)
    assert_matches(ours.resid, theirs.resid, rtol=1e-9, atol_scale=1e-10)


WITH_ALPHA = [
    c for c in COUNT if c.kind == "negbin" and ("loglike_method", "geometric") not in c.options
]


@pytest.mark.parametrize("count_case", WITH_ALPHA, ids=lambda c: c.id)
def test_lnalpha(count_case):
    ours, theirs = fit_pair(count_case)
    assert ours.lnalpha == pytest.approx(theirs.lnalpha, rel=1e-10)
    assert ours.lnalpha_std_err == pytest.approx(theirs.lnalpha_std_err, rel=1e-7)


def test_summary_of_classic_spector_logit():
    """Spector & Mazzeo (statsmodels' documentation example), arrays with a pandas design."""
    import statsmodels.api as sm

    from torchstats.models.binary import Logit

    data = sm.datasets.spector.load_pandas()
    exog = sm.add_constant(data.exog, prepend=False)
    ours = Logit(data.endog, exog).fit()
    theirs = sm.Logit(data.endog, exog).fit(disp=0)
    assert_matches(ours.params, theirs.params, rtol=1e-10)
    assert_matches(ours.bse, theirs.bse, rtol=1e-10)
    assert isinstance(ours.params, pd.Series)
    assert _mask_date_time(str(ours.summary())) == _mask_date_time(str(theirs.summary()))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")
def test_get_prediction_cuda_equals_cpu():
    from tests.models.discrete_cases import OURS, make_discrete_frame

    frame = make_discrete_frame(0)
    cpu = OURS["logit"]("yb ~ x1 + C(g)", frame).fit()
    cuda = OURS["logit"]("yb ~ x1 + C(g)", frame, device="cuda").fit()
    assert_matches(
        cuda.get_prediction(frame.iloc[:6]).summary_frame(),
        cpu.get_prediction(frame.iloc[:6]).summary_frame(),
        rtol=1e-10,
    )
