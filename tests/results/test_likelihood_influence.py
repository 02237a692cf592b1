"""Influence measures of GLM and discrete fits against statsmodels' GLMInfluence/MLEInfluence.

The scaled changes of the linear predictor and the fitted mean divide by standard errors
that statsmodels takes from its in-sample ``get_prediction()``, which drops the offset and
exposure (it passes the design as new data) and fails for a fixed scale; they are checked
against statsmodels' unscaled changes over delta-method standard errors built here from
statsmodels' ``cov_params``, with the offsets.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import torch

import torchstats as ts
from tests.models import discrete_cases, glm_cases
from tests.parity import assert_matches
from torchstats.errors import HessianWarning

GLM_VECTORS = [
    "hat_matrix_diag",
    "d_params",
    "dfbetas",
    "params_one",
    "resid_studentized",
    "d_fittedvalues",
    "d_linpred",
]
MLE_VECTORS = ["hat_matrix_diag", "d_params", "dfbetas", "params_one", "resid_studentized"]
RTOL, ATOL_SCALE = 1e-8, 1e-10


def _influence_pair(ours, theirs, **kwds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = theirs.get_influence(**kwds)
            expected.hat_matrix_diag  # noqa: B018 - statsmodels computes lazily
        except np.linalg.LinAlgError:
            expected = None
    return ours.get_influence(**kwds), expected


def _has_offset(case) -> bool:
    return any(arg in ("offset", "exposure") for arg, _ in case.columns)


@pytest.fixture(params=glm_cases.CASES, ids=lambda c: c.id)
def glm_influences(request):
    case = request.param
    ours, theirs = glm_cases.fitted_pair(case)
    negative = (theirs.model.hessian_factor(theirs.params, observed=True) < 0).any()
    if negative:
        # statsmodels fails here (sqrt of negative weights, then "SVD did not converge");
        # torchstats falls back to the expected information, with a warning
        ours_infl, theirs_infl = _influence_pair(ours, theirs, observed=False)
        ours_infl = ours.get_influence()
        with pytest.warns(UserWarning, match="Hessian weights are negative"):
            _ = ours_infl.hat_matrix_diag
        assert ours_infl.observed is False
    else:
        ours_infl, theirs_infl = _influence_pair(ours, theirs)
    return case, ours_infl, theirs_infl


@pytest.mark.parametrize("name", GLM_VECTORS)
def test_glm_measures_match_statsmodels(glm_influences, name):
    _, ours, theirs = glm_influences
    assert_matches(getattr(ours, name), getattr(theirs, name), rtol=RTOL, atol_scale=ATOL_SCALE)


def test_glm_cooks_distance(glm_influences):
    _, ours, theirs = glm_influences
    assert_matches(ours.cooks_distance[0], theirs.cooks_distance[0], rtol=RTOL)
    assert_matches(ours.cooks_distance[1], theirs.cooks_distance[1], rtol=RTOL)


def _prediction_se(results) -> tuple[np.ndarray, np.ndarray]:
    """Delta-method standard errors of the in-sample linear predictor and fitted mean."""
    model = results.model
    eta = model.predict(results.params, which="linear")  # in sample: with offset/exposure
    X = model.exog
    linear_se = np.sqrt(np.einsum("ij,jk,ik->i", X, np.asarray(results.cov_params()), X))
    return linear_se, np.abs(model.family.link.inverse_deriv(eta)) * linear_se


def test_glm_scaled_changes(glm_influences):
    _, ours, theirs = glm_influences
    linear_se, mean_se = _prediction_se(theirs.results)
    expected = theirs.d_fittedvalues / mean_se
    assert_matches(ours.d_fittedvalues_scaled, expected, rtol=RTOL, atol_scale=ATOL_SCALE)
    assert_matches(
        ours.d_linpred_scaled, theirs.d_linpred / linear_se, rtol=RTOL, atol_scale=ATOL_SCALE
    )
    ours_frame = ours.summary_frame()
    measures = {
        "cooks_d": theirs.cooks_distance[0],
        "standard_resid": theirs.resid_studentized,
        "hat_diag": theirs.hat_matrix_diag,
        "dffits_internal": expected,
    }
    theirs_frame = pd.DataFrame(
        theirs.dfbetas,
        columns=["dfb_" + name for name in theirs.results.model.exog_names],
        index=theirs.results.model.data.row_labels,
    ).join(pd.DataFrame(measures, index=theirs.results.model.data.row_labels))
    assert_matches(ours_frame, theirs_frame, rtol=RTOL, atol_scale=ATOL_SCALE)


def test_glm_hat_matrix_diag_method_and_trace():
    case = glm_cases.CASES[5]  # binomial-logit with a categorical, no offset
    ours, theirs = glm_cases.fitted_pair(case)
    expected = theirs.get_influence().summary_frame()
    assert_matches(ours.get_influence().summary_frame(), expected, rtol=RTOL, atol_scale=1e-10)
    hat = ours.get_hat_matrix_diag()
    assert_matches(hat, theirs.get_hat_matrix_diag(), rtol=RTOL)
    assert hat.sum() == pytest.approx(ours.model.rank, rel=1e-12)


def test_glm_expected_information_leverage():
    case = next(c for c in glm_cases.CASES if c.link == "Probit")
    ours, theirs = glm_cases.fitted_pair(case)
    observed = ours.get_influence().hat_matrix_diag
    expected = ours.get_influence(observed=False).hat_matrix_diag
    assert_matches(expected, theirs.get_hat_matrix_diag(observed=False), rtol=RTOL)
    assert np.abs(observed - expected).max() > 1e-4  # probit is not canonical


def test_gaussian_identity_glm_d_params_are_exact_leave_one_out_changes(frame):
    formula = "y ~ x1 + C(g)"
    small = frame.iloc[:60]
    res = ts.glm(formula, small).fit()
    d_params = res.get_influence().d_params
    full = res.params.to_numpy()
    for i in range(0, 60, 7):
        refit = ts.glm(formula, small.drop(small.index[i])).fit()
        np.testing.assert_allclose(d_params[i], full - refit.params.to_numpy(), atol=1e-12)


# --- discrete models --------------------------------------------------------------------


NB_CASES = [c for c in discrete_cases.CASES if c.kind == "negbin"]
OTHER_CASES = [c for c in discrete_cases.CASES if c.kind != "negbin"]


@pytest.mark.parametrize("case", OTHER_CASES, ids=lambda c: c.id)
def test_discrete_measures_match_statsmodels(case):
    ours_res, theirs_res = discrete_cases.fit_pair(case)
    ours, theirs = ours_res.get_influence(), theirs_res.get_influence()
    for name in MLE_VECTORS:
        assert_matches(getattr(ours, name), getattr(theirs, name), rtol=RTOL, atol_scale=ATOL_SCALE)
    assert_matches(ours.cooks_distance[0], theirs.cooks_distance[0], rtol=RTOL)
    assert_matches(ours.cooks_distance[1], theirs.cooks_distance[1], rtol=RTOL)
    assert_matches(ours.d_fittedvalues, theirs.d_fittedvalues, rtol=RTOL, atol_scale=1e-10)
    theirs_frame = theirs.summary_frame()
    if case.offset or case.exposure:
        mean_params = theirs_res.model._deriv_mean_dparams(theirs_res.params.to_numpy())
        cov = theirs_res.cov_params().to_numpy()
        mean_se = np.sqrt(np.einsum("ij,jk,ik->i", mean_params, cov, mean_params))
        theirs_frame["dffits_internal"] = theirs.d_fittedvalues / mean_se
    assert_matches(ours.summary_frame(), theirs_frame, rtol=RTOL, atol_scale=ATOL_SCALE)


@pytest.mark.parametrize("case", NB_CASES, ids=lambda c: c.id)
def test_negative_binomial_influence_without_leverage(case):
    """statsmodels raises AttributeError here; torchstats warns, as MLEInfluence intends,
    and gives the undivided Newton step, checked with statsmodels' score and Hessian."""
    ours_res, theirs_res = discrete_cases.fit_pair(case)
    influence = ours_res.get_influence()
    with pytest.warns(UserWarning, match="hat matrix is not available"):
        assert influence.hat_matrix_diag is None
    assert influence.resid_studentized is None
    params = theirs_res.params.to_numpy()
    scores = theirs_res.model.score_obs(params)
    hessian = theirs_res.model.hessian(params)
    d_params = np.linalg.solve(hessian, (scores.sum(0) - scores).T).T
    assert_matches(influence.d_params, d_params, rtol=1e-7, atol_scale=1e-9)
    cov = theirs_res.cov_params().to_numpy()
    cooks = (d_params * np.linalg.solve(cov, d_params.T).T).sum(1) / params.size
    assert_matches(influence.cooks_distance[0], cooks, rtol=1e-7)
    frame = influence.summary_frame()
    assert "hat_diag" not in frame and list(frame.columns[-2:]) == ["cooks_d", "dffits_internal"]
    assert list(frame.columns[:-2]) == ["dfb_" + name for name in theirs_res.params.index]


# --- behaviour ---------------------------------------------------------------------------


def test_output_types_follow_the_input():
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(80), rng.normal(size=(80, 2))])
    y = (rng.random(80) < 0.5).astype(float)
    from_numpy = ts.Logit(y, X).fit(disp=0).get_influence()
    assert isinstance(from_numpy.hat_matrix_diag, np.ndarray)
    from_torch = ts.Logit(torch.as_tensor(y), torch.as_tensor(X)).fit(disp=0).get_influence()
    assert isinstance(from_torch.hat_matrix_diag, torch.Tensor)
    np.testing.assert_allclose(from_torch.d_params.numpy(), from_numpy.d_params, rtol=1e-12)
    glm = ts.GLM(y, X, family=ts.families.Binomial()).fit().get_influence()
    frame = glm.summary_frame()
    assert isinstance(frame, pd.DataFrame) and frame.shape == (80, 3 + 4)


def test_large_fit_needs_no_n_by_n_matrix():
    """200 000 rows: an n x n hat matrix would need 320 GB."""
    rng = np.random.default_rng(4)
    n = 200_000
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    y = rng.poisson(np.exp(0.2 + X[:, 1] * 0.3)).astype(float)
    influence = ts.GLM(y, X, family=ts.families.Poisson()).fit().get_influence()
    hat = influence.hat_matrix_diag
    assert hat.shape == (n,) and hat.sum() == pytest.approx(4.0, rel=1e-10)
    reference = sm.GLM(y[:2000], X[:2000], family=sm.families.Poisson()).fit()
    small = ts.GLM(y[:2000], X[:2000], family=ts.families.Poisson()).fit().get_influence()
    assert_matches(small.cooks_distance[0], reference.get_influence().cooks_distance[0], rtol=1e-8)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")
def test_cuda_equals_cpu():
    rng = np.random.default_rng(5)
    X = np.column_stack([np.ones(300), rng.normal(size=(300, 2))])
    y = rng.poisson(np.exp(0.1 + 0.4 * X[:, 1])).astype(float)
    family = ts.families.Poisson()
    cpu = ts.GLM(y, X, family=family).fit().get_influence()
    cuda = ts.GLM(y, X, family=family, device="cuda").fit().get_influence()
    np.testing.assert_allclose(cuda.d_params, cpu.d_params, rtol=1e-10)
    logit_y = (y > 1).astype(float)
    cpu_mle = ts.Logit(logit_y, X).fit(disp=0).get_influence()
    cuda_mle = ts.Logit(logit_y, X, device="cuda").fit(disp=0).get_influence()
    np.testing.assert_allclose(cuda_mle.hat_matrix_diag, cpu_mle.hat_matrix_diag, rtol=1e-10)


def test_gaussian_log_negative_observed_weights_fall_back_to_expected_information():
    """statsmodels fails here (``SVD did not converge``); torchstats warns and uses the
    expected information, which equals statsmodels' ``get_influence(observed=False)``."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    X = sm.add_constant(x)
    y = np.exp(0.5 + 0.3 * x) + rng.normal(scale=1.5, size=60)
    theirs = sm.GLM(y, X, family=sm.families.Gaussian(sm.families.links.Log())).fit()
    ours = ts.GLM(y, X, family=ts.families.Gaussian(ts.families.links.Log())).fit()
    assert (theirs.model.hessian_factor(theirs.params, observed=True) < 0).sum() > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(np.linalg.LinAlgError):
            _ = theirs.get_influence().hat_matrix_diag
        expected = theirs.get_influence(observed=False)
        expected_hat = expected.hat_matrix_diag
    infl = ours.get_influence()
    with pytest.warns(HessianWarning, match=r"negative for \d+ observation.*expected information"):
        hat = infl.hat_matrix_diag
    assert infl.observed is False
    assert_matches(hat, expected_hat, rtol=RTOL)
    assert_matches(infl.cooks_distance[0], expected.cooks_distance[0], rtol=RTOL)
    assert_matches(infl.d_params, expected.d_params, rtol=RTOL, atol_scale=ATOL_SCALE)
    with pytest.warns(HessianWarning, match="expected information"):
        assert_matches(ours.get_hat_matrix_diag(), expected_hat, rtol=RTOL)


def test_leverage_one_of_a_discrete_model_is_exactly_one():
    """A dummy that is one on a single row with a positive count: the discrete models'
    leverage was 1 - 1e-16, no warning, and a Cook's distance of rounding error (3.5, the
    top-ranked point; 0.12 or 6.3 after shifting x1 by 1e-9). Now exactly one, with the
    LeverageWarning and NaN measures of OLS and GLMs."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=60), "d": 0.0})
    frame.loc[1, "d"] = 1.0
    frame["cnt"] = rng.poisson(np.exp(0.3 + 0.4 * frame["x1"]))
    frame.loc[1, "cnt"] = 3
    for fit in (
        ts.poisson("cnt ~ x1 + d", frame).fit(disp=0),
        ts.glm("cnt ~ x1 + d", frame, family=ts.families.Poisson()).fit(),
    ):
        influence = fit.get_influence()
        with pytest.warns(ts.errors.LeverageWarning, match="observation 1 has leverage one"):
            hat = np.asarray(influence.hat_matrix_diag)
        assert hat[1] == 1.0
        cooks = np.asarray(influence.cooks_distance[0])
        assert not np.isfinite(cooks[1]) and np.isfinite(np.delete(cooks, 1)).all()


def test_statsmodels_plot_leverage_resid2_runs_on_glm_and_logit():
    """statsmodels' plot_leverage_resid2 read infl.resid, which the GLM and likelihood
    influence objects lacked (AttributeError)."""
    import matplotlib

    matplotlib.use("Agg")
    import statsmodels.formula.api as smf
    from statsmodels.graphics.regressionplots import plot_leverage_resid2

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=80)})
    frame["c"] = rng.poisson(np.exp(0.3 * frame["x"]))
    frame["b"] = (frame["c"] > 0) * 1.0
    pairs = [
        (
            ts.glm("c ~ x", frame, family=ts.families.Poisson()).fit(),
            smf.glm("c ~ x", frame, family=sm.families.Poisson()).fit(),
        ),
        (ts.logit("b ~ x", frame).fit(disp=0), smf.logit("b ~ x", frame).fit(disp=0)),
    ]
    for ours, theirs in pairs:
        influence = ours.get_influence()
        np.testing.assert_allclose(influence.resid, theirs.get_influence().resid, rtol=1e-9)
        assert influence.model_class is type(ours.model)
        found = plot_leverage_resid2(ours).axes[0].lines[0].get_xydata()
        expected = plot_leverage_resid2(theirs).axes[0].lines[0].get_xydata()
        np.testing.assert_allclose(found, expected, rtol=1e-9)
