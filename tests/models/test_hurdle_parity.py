"""HurdleCountModel against statsmodels (and R's pscl), one test per statistic.

Cases: statsmodels' docvis data (its R pscl checks), its simulated NB/NB hurdle data, and
random frames through formulas and pandas arrays. statsmodels names the parameters of its
hurdle model after a plain array whatever the data (``zm_x1``, ..., ``const``); the names
here are the data's (``zm_aget``, ``zm_C(g)[T.b]``; see ``docs/differences.md``), so names
and summaries are compared where the data are numpy arrays, values everywhere.
statsmodels' Hessians are finite differences (bse to ~1e-6) and its ``prob-zero`` is
``1 - P(y > 0)`` (absolute digits only).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.discrete.truncated_model as smt
import torch
from scipy import stats
from statsmodels.discrete.tests.results import results_truncated as r_results
from statsmodels.tools.numdiff import approx_fprime

from tests.conftest import DEVICES
from tests.models.count_part_cases import count_frame, docvis_frame, reference_fit
from tests.parity import assert_matches, mask_clock
from torchstats.errors import DesignError, InvalidOptionError
from torchstats.models.hurdle import HURDLE_PREDICT_WHICH, HurdleCountModel
from torchstats.models.truncated import TruncatedLFNegativeBinomialP

BSE_RTOL = 5e-6


@dataclass(frozen=True)
class Case:
    data: str
    dist: str = "poisson"
    zerodist: str = "poisson"
    formula: str | None = None
    seed: int = 0

    @property
    def id(self) -> str:
        return f"{self.data}{self.seed}|{self.dist}/{self.zerodist}|{self.formula or 'arrays'}"


CASES = [
    Case("docvis"),
    Case("docvis", "negbin"),
    Case("simulated", "negbin", "negbin"),
    Case("sim", formula="yh ~ x1 + C(g)", seed=3),
    Case("sim", "negbin", formula="yn ~ x1 + np.log(x2)", seed=4),
    Case("frame", "negbin", seed=5),
]


@functools.cache
def simulated_negbin() -> tuple[np.ndarray, np.ndarray]:
    """statsmodels' ``TestHurdleNegbinSimulated`` data (a cooked NB/NB hurdle sample)."""
    nobs = 2000
    exog = np.column_stack((np.ones(nobs), np.linspace(0, 3, nobs)))
    model = smt.HurdleCountModel(
        np.arange(nobs) // (nobs / 3), exog, dist="negbin", zerodist="negbin"
    )
    probs = model.predict(
        np.array([-0.4, 2, 0.5, 0.2, 0.5, 0.5]), which="prob", y_values=np.arange(50)
    )
    cdf = np.column_stack((probs.cumsum(1), np.ones(nobs)))
    u = np.random.default_rng(987456348).random((nobs, 1))
    return np.argmin(cdf < u, axis=1).astype(float), exog


def _arrays(case: Case) -> tuple[Any, Any]:
    if case.data == "docvis":
        frame = docvis_frame()
        return frame["docvis"].to_numpy(), frame[["aget", "totchr", "const"]].to_numpy()
    if case.data == "simulated":
        return simulated_negbin()
    frame = count_frame(case.seed)
    return frame["yn"], frame.assign(const=1.0)[["const", "x1", "x2"]]


def _build(case: Case) -> tuple[Any, Any]:
    options = {"dist": case.dist, "zerodist": case.zerodist}
    if case.formula is not None:
        frame = count_frame(case.seed)
        return (
            HurdleCountModel(case.formula, frame, **options),
            smt.HurdleCountModel.from_formula(case.formula, frame, **options),
        )
    endog, exog = _arrays(case)
    return HurdleCountModel(endog, exog, **options), smt.HurdleCountModel(endog, exog, **options)


@functools.cache
def fit_pair(case: Case) -> tuple[Any, Any]:
    ours_model, theirs_model = _build(case)
    ours = ours_model.fit()
    return ours, reference_fit(theirs_model, polish_from=ours.params)


@pytest.fixture(params=CASES, ids=lambda case: case.id)
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


@pytest.fixture
def fits(case: Case) -> tuple[Any, Any]:
    return fit_pair(case)


def _values(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _plain(case: Case) -> bool:
    return case.formula is None and case.data != "frame"


def test_names_and_sizes(case, fits):
    ours, theirs = fits
    names = ours.model.exog_names
    if _plain(case):
        assert names == theirs.model.exog_names
    else:  # the data's names
        design = ours.model.model_count.exog_names
        assert names == [f"zm_{name}" for name in ours.model.model_zero.exog_names] + design
        assert len(names) == len(theirs.model.exog_names)
    assert ours.nobs == theirs.nobs
    assert ours.df_model == theirs.df_model
    assert ours.df_resid == theirs.df_resid
    assert ours.model.k_extra == theirs.model.k_extra


def test_params(fits):
    assert_matches(_values(fits[0].params), _values(fits[1].params), rtol=1e-9)


def test_bse(fits):
    assert_matches(_values(fits[0].bse), _values(fits[1].bse), rtol=BSE_RTOL)


def test_cov_params(fits):
    ours, theirs = fits
    assert_matches(
        _values(ours.cov_params()),
        _values(theirs.cov_params()),
        rtol=2 * BSE_RTOL,
        atol_scale=1e-6,
    )


def test_tvalues_pvalues_conf_int(fits):
    ours, theirs = fits
    assert_matches(_values(ours.tvalues), _values(theirs.tvalues), rtol=BSE_RTOL)
    assert_matches(_values(ours.pvalues), _values(theirs.pvalues), rtol=1e-3, atol_scale=1e-12)
    atol = BSE_RTOL * float(np.max(_values(theirs.bse)))
    np.testing.assert_allclose(
        _values(ours.conf_int()), _values(theirs.conf_int()), rtol=BSE_RTOL, atol=atol
    )


def test_llf_and_information_criteria(fits):
    ours, theirs = fits
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-13)
    assert ours.aic == pytest.approx(theirs.aic, rel=1e-13)
    assert ours.bic == pytest.approx(theirs.bic, rel=1e-13)


def test_llnull_llr_prsquared(fits):
    ours, theirs = fits
    # statsmodels fits the parts' null models by optimisation
    assert ours.llnull == pytest.approx(theirs.llnull, rel=1e-9)
    assert ours.llr == pytest.approx(theirs.llr, rel=1e-6)
    assert ours.prsquared == pytest.approx(theirs.prsquared, rel=1e-6)
    assert ours.llr_pvalue == pytest.approx(theirs.llr_pvalue, rel=1e-4, abs=1e-300)


@pytest.mark.parametrize("which", [w for w in HURDLE_PREDICT_WHICH if w != "prob"])
def test_predict_in_sample(fits, which):
    ours, theirs = fits
    got, expected = _values(ours.predict(which=which)), _values(theirs.predict(which=which))
    # statsmodels' P(y = 0) is 1 - P(y > 0): absolute digits
    atol = 1e-13 if which in ("prob-zero", "prob-trunc") else 0.0
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=atol)


def test_predict_probabilities(fits):
    ours, theirs = fits
    got = ours.predict(which="prob", y_values=np.arange(8))
    expected = theirs.predict(which="prob", y_values=np.arange(8))
    assert isinstance(got, np.ndarray) and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-13)
    default = ours.predict(which="prob")
    assert default.shape[1] == int(np.max(_values(ours.model.endog))) + 1


def test_predict_new_data(case, fits):
    ours, theirs = fits
    new = count_frame(case.seed + 50, n=30).head(7) if case.formula else _arrays(case)[1][:7]
    for which in HURDLE_PREDICT_WHICH:
        got = _values(ours.predict(new, which=which, y_values=np.arange(4)))
        expected = _values(theirs.predict(new, which=which, y_values=np.arange(4)))
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-13)


def test_residuals_and_fittedvalues(fits):
    ours, theirs = fits
    for name in ("resid_response", "resid", "resid_pearson"):
        np.testing.assert_allclose(
            _values(getattr(ours, name)), _values(getattr(theirs, name)), rtol=1e-9, atol=1e-12
        )
    # statsmodels' fittedvalues are the zero part's linear predictor; here the count part's,
    # its predict(which="linear") (see docs/differences.md)
    np.testing.assert_allclose(
        _values(ours.fittedvalues), theirs.predict(which="linear"), rtol=1e-9, atol=1e-12
    )


def test_parts(fits):
    ours, theirs = fits
    for part in ("results_zero", "results_count"):
        assert_matches(
            _values(getattr(ours, part).params), _values(getattr(theirs, part).params), rtol=1e-9
        )
    assert ours.mle_retvals["converged"] == [True, True]


def test_summary_text(case, fits):
    if not _plain(case):
        pytest.skip("statsmodels names the parameters after a plain array (see module doc)")
    ours, theirs = fits
    assert mask_clock(str(ours.summary())) == mask_clock(str(theirs.summary()))


def test_get_prediction_average(fits):
    """statsmodels differentiates numerically; the Jacobian here is autograd's."""
    ours, theirs = fits
    for which in ("mean", "prob-zero", "mean-nonzero"):
        got = ours.get_prediction(which=which, average=True)
        expected = theirs.get_prediction(which=which, average=True)
        np.testing.assert_allclose(got.predicted, expected.predicted, rtol=1e-9)
        np.testing.assert_allclose(got.se, expected.se, rtol=1e-4)


def _sandwich(theirs: Any, groups: np.ndarray | None) -> np.ndarray:
    """The robust covariance from statsmodels' hurdle scores and Hessian (statsmodels'
    hurdle fit refuses robust covariances). Its zero part's ``score_obs`` lists the zeros
    first: put its rows back in the data's order."""
    model, params = theirs.model, np.asarray(theirs.params)
    scores = _data_order_scores(theirs)(params)
    bread = np.linalg.inv(-model.hessian(params))
    if groups is None:
        return bread @ scores.T @ scores @ bread
    sums = pd.DataFrame(scores).groupby(groups).sum().to_numpy()
    n, k, count = scores.shape[0], scores.shape[1], sums.shape[0]
    factor = count / (count - 1) * (n - 1) / (n - k)
    return factor * bread @ sums.T @ sums @ bread


@pytest.mark.parametrize("cov_type", ["HC0", "cluster"])
def test_robust_cov_params(fits, cov_type):
    ours, theirs = fits
    groups = np.arange(int(ours.nobs)) % 23 if cov_type == "cluster" else None
    kwds = {} if groups is None else {"groups": groups}
    robust = ours.model.fit(cov_type=cov_type, cov_kwds=kwds)
    assert robust.cov_type == cov_type
    expected = _sandwich(theirs, groups)
    assert_matches(_values(robust.cov_params()), expected, rtol=1e-5, atol_scale=1e-6)
    np.testing.assert_allclose(_values(robust.params), _values(ours.params), rtol=1e-13)


def test_against_r_pscl():
    """R ``pscl::hurdle(docvis ~ aget + totchr, dist="poisson")`` (statsmodels' fixture)."""
    frame = docvis_frame()
    res = HurdleCountModel(frame["docvis"], frame[["const", "aget", "totchr"]]).fit()
    reference = r_results.hurdle_poisson
    assert res.llf == pytest.approx(reference.loglik, rel=1e-9)
    assert res.aic == pytest.approx(reference.aic, rel=1e-9)
    assert res.bic == pytest.approx(reference.bic, rel=1e-9)
    assert res.df_resid == reference.df_residual
    table = reference.params_table
    # pscl stops BFGS early: statsmodels' own tolerances
    np.testing.assert_allclose(_values(res.params), table[:, 0], atol=1e-5)
    np.testing.assert_allclose(_values(res.bse), table[:, 1], atol=1e-5)
    order = np.r_[3:6, 0:3]  # pscl puts the count model first
    np.testing.assert_allclose(
        _values(res.cov_params()), reference.vcov[np.ix_(order, order)], rtol=1e-4, atol=1e-10
    )


@pytest.mark.parametrize("device", DEVICES)
def test_device(device):
    endog, exog = simulated_negbin()
    cpu = HurdleCountModel(endog, exog, dist="negbin", zerodist="negbin").fit()
    other = HurdleCountModel(
        torch.as_tensor(endog, device=device),
        torch.as_tensor(exog, device=device),
        dist="negbin",
        zerodist="negbin",
    ).fit()
    assert other.params.device.type == device
    np.testing.assert_allclose(other.params.cpu().numpy(), cpu.params, rtol=1e-9)
    np.testing.assert_allclose(other.bse.cpu().numpy(), cpu.bse, rtol=1e-8)


def test_bad_input():
    endog, exog = simulated_negbin()
    with pytest.raises(InvalidOptionError, match="no offset or exposure"):
        HurdleCountModel(endog, exog, offset=np.zeros(len(endog)))
    with pytest.raises(InvalidOptionError, match="dist"):
        HurdleCountModel(endog, exog, dist="zip")
    with pytest.raises(DesignError, match="no zeros"):
        HurdleCountModel(endog + 1, exog)
    model = HurdleCountModel(endog, exog)
    with pytest.raises(DesignError, match="one entry per parameter"):
        model.fit(start_params=np.zeros(3))
    with pytest.raises(InvalidOptionError, match="which"):
        model.predict(np.zeros(4), which="prob-base")


def test_exog_infl_zero_part_is_cloglog():
    """A Poisson zero part is a binary complementary log-log model of ``y > 0``
    (``P(y > 0) = 1 - exp(-exp(z b))``): statsmodels' GLM fits it with ``exog_infl``."""
    frame = count_frame(7)
    zero_exog = frame.assign(const=1.0)[["const", "x2"]]
    res = HurdleCountModel("yh ~ x1 + C(g)", frame, exog_infl=zero_exog).fit()
    glm = sm.GLM(
        (frame["yh"] > 0).astype(float),
        zero_exog,
        family=sm.families.Binomial(sm.families.links.CLogLog()),
    ).fit(tol=1e-13)
    assert res.model.exog_names[:2] == ["zm_const", "zm_x2"]
    # IRLS stops on the deviance's change: its estimate to ~1e-9 of the standard errors
    np.testing.assert_allclose(_values(res.params)[:2], glm.params, rtol=1e-7)
    observed = np.linalg.inv(-glm.model.hessian(glm.params, observed=True))  # not Fisher's
    np.testing.assert_allclose(_values(res.bse)[:2], np.sqrt(np.diag(observed)), rtol=1e-7)
    assert res.results_zero.llf == pytest.approx(glm.llf, rel=1e-12)
    new = count_frame(57, n=20).head(5)
    got = res.predict(new, which="prob-zero", exog_infl=new.assign(const=1.0)[["const", "x2"]])
    expected = 1 - glm.predict(new.assign(const=1.0)[["const", "x2"]])
    np.testing.assert_allclose(_values(got), _values(expected), rtol=1e-9)
    with pytest.raises(InvalidOptionError, match="exog_infl"):
        res.predict(new, which="prob-zero")
    # the count part is the zero-truncated Poisson of the positive counts
    count = smt.TruncatedLFPoisson.from_formula("yh ~ x1 + C(g)", frame).fit(
        start_params=_values(res.params)[2:], method="newton", disp=0
    )
    np.testing.assert_allclose(_values(res.params)[2:], count.params, rtol=1e-9)


def test_pzero_sets_the_zero_part_power():
    """statsmodels ignores ``pzero``; the zero part's P(y = 0) is NB-P's with that power."""
    endog, exog = simulated_negbin()
    model = HurdleCountModel(endog, exog, dist="negbin", zerodist="negbin", pzero=1)
    assert model.pzero == 1.0
    params = np.array([-0.4, 2.0, 0.5])
    mu = np.exp(exog @ params[:2])
    size = mu / params[2]  # NB1: size mu^(2 - p) / alpha
    prob_zero = stats.nbinom.pmf(0, size, size / (size + mu))
    got = model.model_zero.loglikeobs(torch.as_tensor(params)).numpy()
    expected = np.where(endog == 0, np.log(prob_zero), np.log1p(-prob_zero))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_statsmodels_default_fit_path():
    """``fit(method="bfgs")`` runs statsmodels' default (35 BFGS steps per part)."""
    frame = docvis_frame()
    endog, exog = frame["docvis"].to_numpy(), frame[["const", "aget", "totchr"]].to_numpy()
    ours = HurdleCountModel(endog, exog, dist="negbin").fit(method="bfgs")
    theirs = smt.HurdleCountModel(endog, exog, dist="negbin").fit(disp=0)
    assert ours.mle_retvals["converged"] == theirs.mle_retvals["converged"]
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-7)


def test_bse_against_statsmodels_score(fits):
    """The exact Hessian: equal to central differences of statsmodels' analytic score (its
    own ``bse`` come from a less precise finite-difference Hessian)."""
    ours, theirs = fits
    params = np.asarray(theirs.params, dtype=float)
    hessian = approx_fprime(params, theirs.model.score, centered=True)
    expected = np.sqrt(np.diag(np.linalg.inv(-(hessian + hessian.T) / 2)))
    np.testing.assert_allclose(np.asarray(ours.bse, dtype=float), expected, rtol=5e-8)


def _data_order_scores(theirs: Any) -> Any:
    """statsmodels' hurdle ``score_obs`` with its zero part's rows in the data's order."""
    model = theirs.model
    endog, k_zero = np.asarray(model.endog), model._k_zero
    order = np.r_[np.flatnonzero(endog == 0), np.flatnonzero(endog != 0)]
    score_obs = model.score_obs

    def reordered(params: Any) -> np.ndarray:
        scores = score_obs(params)
        scores[order, :k_zero] = scores[:, :k_zero].copy()
        return scores

    return reordered


def test_get_diagnostic(fits, monkeypatch):
    """statsmodels' CountDiagnostic on the model's predicted probabilities; its moment test
    takes the per-observation scores, whose zero-part rows statsmodels misorders."""
    ours, theirs = fits
    got, expected = ours.get_diagnostic(y_max=6), theirs.get_diagnostic(y_max=6)
    np.testing.assert_allclose(got.probs_predicted, expected.probs_predicted, rtol=1e-9, atol=1e-13)
    monkeypatch.setattr(theirs.model, "score_obs", _data_order_scores(theirs))
    edges = np.arange(5)
    got_test = got.test_chisquare_prob(bin_edges=edges)
    expected_test = expected.test_chisquare_prob(bin_edges=edges)
    assert got_test.statistic == pytest.approx(expected_test.statistic, rel=1e-6)
    assert got_test.pvalue == pytest.approx(expected_test.pvalue, rel=1e-5, abs=1e-300)


def test_negative_binomial_count_part_on_counts_whose_plain_fit_has_no_dispersion():
    """The count part's start, the plain NB-P fit of the positive counts, runs alpha to 0
    until its log-likelihood overflows on these data (statsmodels ends at a negative alpha
    and a NaN log-likelihood): the fit raised NumericalError. It now starts from NB-P's own
    start and finds the truncated model's maximum, the one fitted to the positive rows
    alone (whose own test compares it with statsmodels' Newton)."""
    rng = np.random.default_rng(0)
    n = 5000
    X = np.column_stack([np.ones(n), 0.3 * rng.standard_normal((n, 2))])
    mu = np.exp(X @ np.full(3, 0.2))
    y = rng.negative_binomial(2, 2 / (2 + mu)).astype(float)
    res = HurdleCountModel(y, X, dist="negbin").fit(disp=0)
    count = res.results_count
    assert count.mle_retvals["converged"]
    alone = TruncatedLFNegativeBinomialP(y[y > 0], X[y > 0]).fit(disp=0)
    np.testing.assert_allclose(count.params, alone.params, rtol=1e-10)
    assert 0.3 < count.params[-1] < 1.0  # simulated with alpha 0.5
