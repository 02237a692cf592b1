"""Zero-inflated Poisson, NB-P and generalised Poisson against statsmodels and Stata.

Simulated zero-inflated data (three seeds) through formulas with an inflation formula
(statsmodels gets the same inflation design as a patsy matrix, as its ``from_formula``
takes it), with offsets and exposures, logit and probit inflation; the RAND health
insurance data through arrays (statsmodels' own tests, with Stata's values).

statsmodels' references: its fit converged (BFGS, then its Newton to a tight tolerance) for
the estimates, and its model's methods evaluated at our estimate for everything that is a
function of the parameters (predictions, distributions). Its standard errors are not a
reference where it differentiates numerically (probit inflation, the NB-P and generalised
Poisson) nor where its closed form is wrong (logit inflation: no cross derivatives between
the two parts); there the reference is a numerical Hessian of statsmodels' log-likelihood and
Stata's values (docs/differences.md).
"""

from __future__ import annotations

import functools
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.api as sm
import torch
from statsmodels.tools.numdiff import approx_fprime, approx_hess

import torchstats as ts
from tests.conftest import DEVICES
from tests.parity import assert_matches, mask_clock
from torchstats.errors import (
    CollinearityWarning,
    ConvergenceWarning,
    DesignError,
    HessianWarning,
    InvalidOptionError,
    MissingDataError,
    ShapeMismatchError,
)

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference/count_models/reference.json").read_text()
)
OURS = {
    "zip": ts.zeroinflatedpoisson,
    "zinb": ts.zeroinflatednegativebinomialp,
    "zigp": ts.zeroinflatedgeneralizedpoisson,
}
THEIRS = {
    "zip": sm.ZeroInflatedPoisson,
    "zinb": sm.ZeroInflatedNegativeBinomialP,
    "zigp": sm.ZeroInflatedGeneralizedPoisson,
}
FORMULA = "y ~ x1 + np.log(x2) + C(g)"


@dataclass(frozen=True)
class Case:
    kind: str
    seed: int
    inflation: str = "logit"
    exog_infl: str | None = "~ x1"
    offset: bool = False
    exposure: bool = False
    options: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def id(self) -> str:
        extras = "+off" * self.offset + "+expo" * self.exposure
        opts = "".join(f"|{k}={v}" for k, v in self.options)
        return f"{self.kind}|{self.inflation}|infl {self.exog_infl}{extras}{opts}|data{self.seed}"


CASES = [
    Case("zip", 0),
    Case("zip", 1, "probit", "~ x1 + C(h)"),
    Case("zip", 2, exog_infl=None, exposure=True),
    Case("zinb", 0, offset=True, options=(("p", 2),)),
    Case("zinb", 1, options=(("p", 1),)),
    Case("zinb", 2, "probit", options=(("p", 2),)),
    Case("zigp", 0, options=(("p", 1),)),
    Case("zigp", 1, exposure=True, options=(("p", 2),)),
    Case("zigp", 2, "probit", offset=True, options=(("p", 2),)),
]


def make_frame(seed: int, n: int = 400) -> pd.DataFrame:
    """Negative binomial counts with an excess of zeros whose probability rises with x1."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.uniform(0.5, 3.0, size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "h": rng.choice(["u", "v"], size=n),
            "off": rng.normal(scale=0.3, size=n),
            "expo": rng.uniform(0.5, 3.0, size=n),
        },
        index=[f"r{i}" for i in rng.permutation(n)],
    )
    inflated = rng.random(n) < 1 / (1 + np.exp(0.5 - 0.8 * frame["x1"]))
    mean = np.exp(0.3 + 0.4 * frame["x1"] - 0.2 * np.log(frame["x2"]) + 0.5 * (frame["g"] == "b"))
    counts = rng.negative_binomial(2, 2 / (2 + mean))
    frame["y"] = np.where(inflated, 0, counts).astype(float)
    return frame


def _extras(case: Case, frame: pd.DataFrame) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if case.offset:
        extras["offset"] = frame["off"]
    if case.exposure:
        extras["exposure"] = frame["expo"]
    return extras


def _their_infl(case: Case, frame: pd.DataFrame) -> pd.DataFrame | None:
    if case.exog_infl is None:
        return None
    return patsy.dmatrix(case.exog_infl, frame, return_type="dataframe")


def _their_model(case: Case, frame: pd.DataFrame):
    return THEIRS[case.kind].from_formula(
        FORMULA,
        frame,
        exog_infl=_their_infl(case, frame),
        inflation=case.inflation,
        **dict(case.options),
        **{k: v.to_numpy() for k, v in _extras(case, frame).items()},
    )


@functools.cache
def fit_pair(case: Case):
    """Ours, statsmodels' converged fit, and statsmodels' results at our estimate."""
    frame = make_frame(case.seed)
    ours = OURS[case.kind](
        FORMULA,
        frame,
        exog_infl=case.exog_infl,
        inflation=case.inflation,
        **dict(case.options),
        **_extras(case, frame),
    ).fit()
    model = _their_model(case, frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = model.fit(method="bfgs", maxiter=5000, disp=0).params
        # statsmodels differentiates the probit inflation numerically: steps of ~1e-7 remain
        tol = 1e-12 if case.inflation == "logit" else 1e-6
        theirs = model.fit(start_params=start, method="newton", maxiter=300, tol=tol, disp=0)
        at_ours = model.fit(start_params=ours.params.to_numpy(), method="newton", maxiter=0, disp=0)
    return ours, theirs, at_ours


@pytest.fixture(params=CASES, ids=lambda case: case.id)
def case(request):
    return request.param


@pytest.fixture
def fits(case):
    return fit_pair(case)


def _params(results) -> np.ndarray:
    return np.asarray(results.params, dtype=float)


def test_names(fits):
    ours, theirs, _ = fits
    assert list(ours.params.index) == list(theirs.params.index)
    assert ours.model.exog_names == theirs.model.exog_names
    assert ours.params.index[0].startswith("inflate_")


def test_params(case, fits):
    """Logit inflation: statsmodels' exact score, the same maximum. Probit: statsmodels
    differentiates numerically and stops ~1e-6 away, where its own log-likelihood is lower."""
    ours, theirs, _ = fits
    if case.inflation == "logit":
        assert_matches(ours.params, theirs.params, rtol=1e-8, atol_scale=1e-9)
    else:
        assert_matches(ours.params, theirs.params, rtol=1e-3, atol_scale=1e-4)
        assert theirs.model.loglike(_params(ours)) >= theirs.llf - 1e-10 * abs(theirs.llf)


def test_estimate_is_a_maximum_of_statsmodels_loglike(fits):
    ours, _, at_ours = fits
    model = at_ours.model
    gradient = approx_fprime(_params(ours), model.loglike, centered=True)
    assert np.max(np.abs(gradient)) < 1e-5 * ours.nobs**0.5


def test_loglike_equals_statsmodels_at_random_params(fits):
    ours, _, at_ours = fits
    rng = np.random.default_rng(4)
    params = _params(ours) * (1 + 0.2 * rng.normal(size=len(ours.params)))
    assert_matches(
        np.asarray(ours.model.loglikeobs(params)), at_ours.model.loglikeobs(params), rtol=1e-11
    )


def test_bse_against_numerical_hessian_of_statsmodels_loglike(fits):
    ours, _, at_ours = fits
    hessian = approx_hess(_params(ours), at_ours.model.loglike)
    expected = np.sqrt(np.diag(np.linalg.inv(-hessian)))
    assert_matches(ours.bse.to_numpy(), expected, rtol=2e-5)


def test_bse_against_derivative_of_statsmodels_score(case, fits):
    """Logit inflation: statsmodels' score is closed form (and right), so its centred
    derivative is a Hessian to ~1e-9."""
    ours, _, at_ours = fits
    if case.inflation != "logit":
        pytest.skip("statsmodels' probit score is a numerical derivative")
    hessian = approx_fprime(_params(ours), at_ours.model.score, centered=True)
    expected = np.sqrt(np.diag(np.linalg.inv(-(hessian + hessian.T) / 2)))
    assert_matches(ours.bse.to_numpy(), expected, rtol=1e-7)


def test_bse_against_statsmodels_numerical_ones(case, fits):
    """statsmodels' own Hessian is numerical except for ZIP with logit inflation, where it
    is wrong (test_randhie_zip_logit_against_stata)."""
    ours, _, at_ours = fits
    if case.kind == "zip" and case.inflation == "logit":
        pytest.skip("statsmodels' closed-form Hessian lacks the cross derivatives")
    assert_matches(ours.bse, at_ours.bse, rtol=1e-4)


def test_likelihood_statistics(fits):
    ours, theirs, at_ours = fits
    assert ours.llf == pytest.approx(at_ours.llf, rel=1e-12)
    assert ours.llf >= theirs.llf - 1e-10 * abs(theirs.llf)
    # statsmodels fits the null model by Nelder-Mead and BFGS; Newton here
    assert ours.llnull == pytest.approx(theirs.llnull, rel=1e-8)
    assert ours.llnull >= theirs.llnull - 1e-9 * abs(theirs.llnull)
    assert ours.llr == pytest.approx(at_ours.llr, rel=1e-5)
    assert ours.llr_pvalue == pytest.approx(at_ours.llr_pvalue, rel=1e-4, abs=1e-300)
    assert ours.prsquared == pytest.approx(at_ours.prsquared, rel=1e-6)
    assert ours.aic == pytest.approx(at_ours.aic, rel=1e-12)
    assert ours.bic == pytest.approx(at_ours.bic, rel=1e-12)


def test_sizes(fits):
    ours, theirs, _ = fits
    assert (ours.nobs, ours.df_model, ours.df_resid, ours.k_constant) == (
        theirs.nobs,
        theirs.df_model,
        theirs.df_resid,
        theirs.k_constant,
    )
    model, their_model = ours.model, theirs.model
    assert (model.k_inflate, model.k_exog, model.k_extra) == (
        their_model.k_inflate,
        their_model.k_exog,
        their_model.k_extra,
    )
    assert isinstance(ours.nobs, int)


WHICH = ["mean", "mean-main", "linear", "mean-nonzero", "prob-zero", "prob-main", "var"]


@pytest.mark.parametrize("which", WHICH)
def test_predict_in_sample(fits, which):
    ours, _, at_ours = fits
    found = ours.predict(which=which)
    assert isinstance(found, np.ndarray)  # as statsmodels' in-sample predict
    expected = at_ours.model.predict(_params(at_ours), which=which)
    assert_matches(found, expected, rtol=1e-10)


def _their_prob(model, params, exog=None, exog_infl=None, offset=0.0, exposure=None, **kwds):
    """statsmodels' ``which="prob"`` with the exposure passed as an offset: its ZIP drops the
    exposure there and its ZIGP takes its logarithm twice (docs/differences.md)."""
    if exog is None:
        exog, exog_infl = model.exog, model.exog_infl
        offset = getattr(model, "offset", 0.0)
        exposure = np.exp(model.exposure) if hasattr(model, "exposure") else None
    if exposure is not None:
        offset = offset + np.log(exposure)
    return model.predict(params, exog, exog_infl, offset=offset, which="prob", **kwds)


def test_predict_prob(fits):
    ours, _, at_ours = fits
    found = ours.predict(which="prob")
    assert isinstance(found, np.ndarray)
    assert_matches(found, _their_prob(at_ours.model, _params(ours)), rtol=1e-9)
    y_values = np.array([0, 1, 3])
    assert_matches(
        ours.predict(which="prob", y_values=y_values),
        _their_prob(at_ours.model, _params(ours), y_values=y_values),
        rtol=1e-9,
    )


@pytest.mark.parametrize("which", [*WHICH, "prob"])
def test_predict_new_data(case, fits, which):
    """New rows: the inflation formula is evaluated on them (statsmodels takes the matrix)."""
    ours, _, at_ours = fits
    new = make_frame(case.seed + 100, n=25)
    extras = _extras(case, new)
    found = ours.predict(new, which=which, **extras)
    their_infl = _their_infl(case, new)
    exog_infl = np.ones((len(new), 1)) if their_infl is None else their_infl.to_numpy()
    theirs = {k: v.to_numpy() for k, v in extras.items()}
    if which == "prob":
        exog = patsy.dmatrix(FORMULA.split("~")[1], new)
        expected = _their_prob(at_ours.model, _params(ours), exog, exog_infl, **theirs)
    else:
        expected = at_ours.predict(new, exog_infl=exog_infl, which=which, **theirs)
    assert list(found.index) == list(new.index)
    assert_matches(np.asarray(found), np.asarray(expected), rtol=1e-9)


def test_predict_with_an_explicit_exog_infl(case, fits):
    """A DataFrame exog_infl goes through the inflation formula, a matrix is used as is; new
    design rows without exog_infl are refused unless the inflation design is a constant."""
    ours, _, _ = fits
    model = ours.model
    new = make_frame(case.seed + 100, n=25)
    extras = _extras(case, new)
    by_formula = ours.predict(new, **extras)
    if case.exog_infl is not None:
        explicit = ours.predict(new, exog_infl=new, **extras)
        assert_matches(explicit, by_formula, rtol=1e-14)
    rows = model.exog[:25]
    in_sample = ours.predict(which="prob-main")[:25]
    matrix = ours.predict(rows, transform=False, exog_infl=model.exog_infl[:25], which="prob-main")
    assert_matches(matrix, in_sample, rtol=1e-14)
    if case.exog_infl is None:
        assert_matches(
            ours.predict(rows, transform=False, which="prob-main"), in_sample, rtol=1e-14
        )
    else:
        with pytest.raises(DesignError, match="need exog_infl"):
            ours.predict(rows, transform=False)


def test_fitted_and_residuals(fits):
    ours, _, at_ours = fits
    assert_matches(ours.resid, at_ours.resid, rtol=1e-9, atol_scale=1e-11)
    assert_matches(ours.resid_pearson, at_ours.resid_pearson, rtol=1e-9, atol_scale=1e-11)
    # statsmodels' fittedvalues multiply the count design by the inflation parameters
    model = ours.model
    main = ours.params.iloc[model.k_inflate : model.k_inflate + model.design.k_exog]
    assert_matches(ours.fittedvalues.to_numpy(), model.exog @ main.to_numpy(), rtol=1e-12)


def test_get_distribution(case, fits):
    ours, _, at_ours = fits
    found = ours.get_distribution()
    expected = at_ours.model.get_distribution(_params(at_ours))
    k = np.arange(5)[:, None]
    np.testing.assert_allclose(found.pmf(k), expected.pmf(k), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(found.mean(), expected.mean(), rtol=1e-9)
    np.testing.assert_allclose(found.var(), expected.var(), rtol=1e-9)
    if case.kind != "zigp":  # statsmodels' zigenpoisson has no cdf
        np.testing.assert_allclose(found.cdf(k), expected.cdf(k), rtol=1e-9)


@pytest.mark.parametrize("which", ["mean", "prob-zero", "linear"])
def test_get_prediction_is_the_delta_method(case, fits, which):
    """statsmodels' delta method with its covariance replaced by ours (its Jacobian is
    numerical)."""
    ours, _, at_ours = fits
    new = make_frame(case.seed + 100, n=10)
    extras = _extras(case, new)
    found = ours.get_prediction(new, which=which, **extras).summary_frame()
    their_infl = _their_infl(case, new)
    kwds = {k: v.to_numpy() for k, v in extras.items()}

    def predicted(params):
        X = patsy.dmatrix(FORMULA.split("~")[1], new)
        Z = np.ones((len(new), 1)) if their_infl is None else their_infl.to_numpy()
        return at_ours.model.predict(params, X, Z, which=which, **kwds)

    jacobian = approx_fprime(_params(ours), predicted, centered=True)
    se = np.sqrt(np.einsum("ij,jk,ik->i", jacobian, ours.cov_params().to_numpy(), jacobian))
    assert_matches(found["predicted"].to_numpy(), predicted(_params(ours)), rtol=1e-9)
    assert_matches(found["se"].to_numpy(), se, rtol=1e-5)
    assert list(found.index) == list(new.index)


def test_get_prediction_prob_and_average(fits):
    ours, _, _ = fits
    table = ours.get_prediction(which="prob", y_values=[0, 1, 2], average=True).summary_frame()
    assert table.shape == (3, 4)
    assert_matches(
        table["predicted"].to_numpy(),
        ours.predict(which="prob", y_values=[0, 1, 2]).mean(axis=0),
        rtol=1e-12,
    )


def test_summary_layout(case, fits):
    """statsmodels' summary of its converged fit, line by line; for ZIP with logit inflation
    the coefficient rows compare their names and coefficients only (statsmodels' standard
    errors are wrong there)."""
    ours, theirs, _ = fits
    found = mask_clock(str(ours.summary())).splitlines()
    expected = mask_clock(str(theirs.summary())).splitlines()
    assert len(found) == len(expected)
    names = list(ours.params.index)
    for mine, their_line in zip(found, expected):
        if mine.split(" ")[0] in names and case.kind == "zip" and case.inflation == "logit":
            assert their_line.split()[:2] == mine.split()[:2]
        else:
            assert mine == their_line


def test_statsmodels_default_bfgs_path(case):
    """``fit(method="bfgs")``: statsmodels' start and its 35 BFGS steps (logit inflation;
    statsmodels' probit score is a numerical derivative, so its path differs)."""
    if case.inflation != "logit":
        pytest.skip("statsmodels differentiates the probit inflation numerically")
    frame = make_frame(case.seed)
    ours_model = OURS[case.kind](
        FORMULA,
        frame,
        exog_infl=case.exog_infl,
        **dict(case.options),
        **_extras(case, frame),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ours_model.fit(method="bfgs")
        theirs = _their_model(case, frame).fit(disp=0)
    assert_matches(
        np.asarray(ours.mle_settings["start_params"]),
        np.asarray(theirs.mle_settings["start_params"]),
        rtol=1e-8,
        atol_scale=1e-10,
    )
    assert_matches(ours.params, theirs.params, rtol=1e-7, atol_scale=1e-9)


@pytest.mark.parametrize("cov_type", ["HC0", "cluster"])
def test_robust_covariance(case, fits, cov_type):
    """statsmodels' meat (its closed-form scores, logit inflation) in our bread, the inverse
    Hessian that test_bse_against_numerical_hessian_of_statsmodels_loglike checks."""
    ours, _, at_ours = fits
    if case.inflation != "logit":
        pytest.skip("statsmodels' probit scores are numerical derivatives")
    groups = np.arange(ours.nobs) % 23
    kwds = {"groups": groups} if cov_type == "cluster" else None
    robust = ours.model.fit(cov_type=cov_type, cov_kwds=kwds)
    params = _params(ours)
    scores = at_ours.model.score_obs(params)
    bread = ours.cov_params().to_numpy()
    if cov_type == "HC0":
        meat = scores.T @ scores
    else:
        sums = np.stack([scores[groups == g].sum(0) for g in np.unique(groups)])
        n, k, n_groups = len(groups), len(params), len(np.unique(groups))
        meat = sums.T @ sums * n_groups / (n_groups - 1) * (n - 1) / (n - k)
    assert_matches(robust.cov_params().to_numpy(), bread @ meat @ bread, rtol=1e-8)


def test_arrays_equal_formula(case, fits):
    ours, _, _ = fits
    model = ours.model
    extras = {}
    if case.offset:
        extras["offset"] = model.offset
    if case.exposure:
        extras["exposure"] = np.exp(model.exposure)
    options = dict(case.options)
    by_arrays = type(model)(
        model.endog,
        model.exog,
        exog_infl=None if case.exog_infl is None else model.exog_infl,
        inflation=case.inflation,
        **options,
        **extras,
    ).fit()
    assert isinstance(by_arrays.params, np.ndarray)
    assert_matches(by_arrays.params, ours.params.to_numpy(), rtol=1e-10, atol_scale=1e-12)


# --- statsmodels' own test cases on the RAND health insurance data (Stata's values) --------


@functools.cache
def _randhie():
    data = sm.datasets.randhie.load()
    endog, exog = np.asarray(data.endog), np.asarray(data.exog)
    return endog, exog, sm.add_constant(exog[:, 0], prepend=False)


@pytest.mark.parametrize(
    ("key", "inflation", "offset"),
    [
        ("randhie_zip_logit", "logit", False),
        ("randhie_zip_probit", "probit", False),
        ("randhie_zip_offset", "logit", True),
    ],
)
def test_randhie_zip_against_stata(key, inflation, offset):
    endog, exog, exog_infl = _randhie()
    expected = REFERENCE[key]
    res = ts.ZeroInflatedPoisson(
        endog,
        sm.add_constant(exog[:, 1:4], prepend=False),
        exog_infl=exog_infl,
        inflation=inflation,
        offset=exog[:, 7] if offset else None,
    ).fit()
    np.testing.assert_allclose(res.params, expected["params"], atol=1e-6)
    # Stata's bse, which statsmodels' (logit: no cross derivatives) misses by up to 0.4%
    np.testing.assert_allclose(res.bse, expected["bse"], atol=1e-7, rtol=1e-5)
    np.testing.assert_allclose(res.conf_int(), expected["conf_int"], atol=1e-6, rtol=1e-6)
    assert res.llf == pytest.approx(expected["llf"], abs=0.01)
    assert res.aic == pytest.approx(expected["aic"], abs=0.1)
    assert res.bic == pytest.approx(expected["bic"], abs=0.1)


def test_randhie_zigp_and_zinb_against_reference():
    """statsmodels' reference values (printed to 4-6 digits); statsmodels starts the ZINB
    at given values ("not well identified"), the default start here reaches them."""
    endog, exog, exog_infl = _randhie()
    zigp = ts.ZeroInflatedGeneralizedPoisson(
        endog, sm.add_constant(exog[:, 1:4], prepend=False), exog_infl=exog_infl, p=1
    ).fit()
    expected = REFERENCE["randhie_zigp"]
    np.testing.assert_allclose(zigp.params, expected["params"], atol=1e-5, rtol=1e-5)
    assert zigp.llf == pytest.approx(expected["llf"], abs=0.05)
    zinb = ts.ZeroInflatedNegativeBinomialP(
        endog, sm.add_constant(exog[:, 1], prepend=False), exog_infl=exog_infl, p=2
    ).fit()
    expected = REFERENCE["randhie_zinb"]
    np.testing.assert_allclose(zinb.params, expected["params"], atol=1e-3, rtol=1e-3)
    np.testing.assert_allclose(zinb.bse, expected["bse"], atol=1e-3, rtol=1e-3)
    assert zinb.llf == pytest.approx(expected["llf"], abs=0.01)


def test_randhie_zip_pandas_names():
    data = sm.datasets.randhie.load_pandas()
    exog = sm.add_constant(data.exog.iloc[:, 1:4], prepend=False)
    exog_infl = sm.add_constant(data.exog.iloc[:, 0], prepend=False)
    model = ts.ZeroInflatedPoisson(data.endog, exog, exog_infl=exog_infl)
    assert model.exog_names == ["inflate_lncoins", "inflate_const", "idp", "lpi", "fmde", "const"]


# --- behaviour ---------------------------------------------------------------------------------


def test_missing_rows_in_either_part_are_dropped_from_both():
    frame = make_frame(3)
    frame.loc[frame.index[[0, 1]], "x2"] = np.nan  # count part
    frame.loc[frame.index[[2]], "h"] = None  # inflation part only
    res = ts.zeroinflatedpoisson("y ~ x1 + np.log(x2)", frame, exog_infl="~ C(h)").fit()
    complete = frame.drop(index=frame.index[[0, 1, 2]])
    reference = ts.zeroinflatedpoisson("y ~ x1 + np.log(x2)", complete, exog_infl="~ C(h)").fit()
    assert res.nobs == len(complete)
    assert_matches(res.params, reference.params, rtol=1e-12)
    assert list(res.resid.index) == list(complete.index)


def test_exog_infl_array_in_a_formula_model_is_matched_by_label():
    frame = make_frame(4)
    infl = patsy.dmatrix("~ x1", frame, return_type="dataframe")
    by_formula = ts.zeroinflatedpoisson(FORMULA, frame, exog_infl="~ x1").fit()
    by_frame = ts.zeroinflatedpoisson(FORMULA, frame, exog_infl=infl.iloc[::-1]).fit()
    assert_matches(by_frame.params.to_numpy(), by_formula.params.to_numpy(), rtol=1e-12)


def test_unknown_inflation_is_refused():
    with pytest.raises(InvalidOptionError, match="inflation"):
        ts.zeroinflatedpoisson(FORMULA, make_frame(0), inflation="cloglog")


def test_negative_counts_are_refused():
    frame = make_frame(0).assign(y=lambda d: d["y"] - 1)
    with pytest.raises(DesignError, match="non-negative counts"):
        ts.zeroinflatednegativebinomialp(FORMULA, frame)


def test_exog_infl_of_another_length_is_refused():
    frame = make_frame(0)
    with pytest.raises(ShapeMismatchError, match="exog_infl"):
        ts.ZeroInflatedPoisson(frame["y"].to_numpy(), np.ones((400, 1)), np.ones((399, 1)))


def test_non_finite_inflation_design_is_refused_naming_the_column():
    frame = make_frame(0)
    infl = frame[["x1"]].assign(const=1.0)
    infl.iloc[3, 0] = np.nan
    with pytest.raises(MissingDataError, match="exog_infl: x1"):
        ts.ZeroInflatedPoisson(frame["y"], sm.add_constant(frame[["x2"]]), exog_infl=infl)
    dropped = ts.ZeroInflatedPoisson(
        frame["y"], sm.add_constant(frame[["x2"]]), exog_infl=infl, missing="drop"
    )
    assert dropped.nobs == len(frame) - 1


def test_inflation_formula_without_a_formula_model_is_refused():
    with pytest.raises(DesignError, match="needs the model's formula"):
        ts.ZeroInflatedPoisson(np.arange(5.0), np.ones((5, 1)), exog_infl="~ x1")


def test_a_second_constant_in_the_inflation_design_warns():
    frame = make_frame(0)
    infl = np.column_stack([np.ones(len(frame)), np.ones(len(frame)), frame["x1"]])
    model = ts.ZeroInflatedPoisson(frame["y"], sm.add_constant(frame[["x1"]]), exog_infl=infl)
    with pytest.warns(CollinearityWarning, match="exog_infl design is rank deficient"):
        with pytest.warns(HessianWarning):
            res = model.fit()
    assert np.isnan(res.bse).all()


def test_not_converged_warns():
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        ts.zeroinflatedpoisson(FORMULA, make_frame(0), exog_infl="~ x1").fit(maxiter=1)


def test_newton_start_does_not_depend_on_the_scale_of_the_inflation_design():
    """An inflation regressor in the tens (statsmodels' ZIP start of 0.1 puts ``w`` near 1
    there): Newton converges to statsmodels' maximum."""
    frame = make_frame(7).assign(age=lambda d: 45 + 12 * d["x1"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = ts.zeroinflatedpoisson(FORMULA, frame, exog_infl="~ age").fit()
    infl = patsy.dmatrix("~ age", frame, return_type="dataframe")
    model = sm.ZeroInflatedPoisson.from_formula(FORMULA, frame, exog_infl=infl)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = model.fit(method="bfgs", maxiter=5000, gtol=1e-10, disp=0)
    assert ours.llf >= theirs.llf - 1e-9 * abs(theirs.llf)
    assert_matches(ours.params, theirs.params, rtol=1e-4, atol_scale=1e-5)


def test_llnull_is_the_constant_only_zero_inflated_model():
    frame = make_frame(5)
    res = ts.zeroinflatedpoisson(FORMULA, frame, exog_infl="~ x1").fit()
    null = ts.zeroinflatedpoisson("y ~ 1", frame).fit()
    assert res.llnull == pytest.approx(null.llf, rel=1e-13)


def test_exog_infl_attribute_and_model_main():
    frame = make_frame(0)
    model = ts.zeroinflatednegativebinomialp(FORMULA, frame, exog_infl="~ x1", p=1.5)
    assert model.exog_infl.shape == (len(frame), 2)
    assert model.model_main.model_name == "NegativeBinomialP"
    assert model.model_main.p == 1.5
    assert model.exog_names[:2] == ["inflate_Intercept", "inflate_x1"]
    assert model.exog_names[-1] == "alpha"


@pytest.mark.parametrize("device", DEVICES)
def test_devices(device):
    frame = make_frame(6)
    cpu = ts.zeroinflatedpoisson(FORMULA, frame, exog_infl="~ x1").fit()
    other = ts.zeroinflatedpoisson(FORMULA, frame, exog_infl="~ x1", device=device).fit()
    assert_matches(other.params, cpu.params, rtol=1e-10)
    assert_matches(other.bse, cpu.bse, rtol=1e-9)
    assert_matches(
        other.predict(frame.head(), which="prob-zero"),
        cpu.predict(frame.head(), which="prob-zero"),
        rtol=1e-10,
    )


def test_margins_and_influence_are_refused_as_statsmodels():
    res = ts.zeroinflatedpoisson(FORMULA, make_frame(0), exog_infl="~ x1").fit()
    with pytest.raises(NotImplementedError, match="marginal effects are not available"):
        res.get_margeff()
    with pytest.raises(NotImplementedError, match="influence measures"):
        _ = res.get_influence().hat_matrix_diag


def test_tensor_input_gives_tensors():
    frame = make_frame(0)
    y = torch.tensor(frame["y"].to_numpy())
    X = torch.tensor(np.column_stack([np.ones(len(frame)), frame["x1"]]))
    res = ts.ZeroInflatedPoisson(y, X, exog_infl=X).fit()
    assert isinstance(res.params, torch.Tensor)
    assert isinstance(res.predict(which="prob-zero"), torch.Tensor)


def test_inflation_separation_warns():
    """An inflation dummy that is 1 only on zero counts has no finite coefficient: the fit
    stopped near 34 with a standard error of 3e5, converged and silent."""
    rng = np.random.default_rng(17)
    n = 1000
    x1, z = rng.normal(size=n), rng.normal(size=n)
    y = rng.poisson(np.exp(0.5 + 0.3 * x1))
    y[z > 1] = 0
    exog = sm.add_constant(pd.DataFrame({"x1": x1}))
    inflation = sm.add_constant(pd.DataFrame({"zd": (z > 1).astype(float)}))
    with pytest.warns(ts.PerfectSeparationWarning, match="quasi-complete separation"):
        res = ts.ZeroInflatedPoisson(y, exog, exog_infl=inflation).fit(disp=0)
    assert res.bse["inflate_zd"] > 1e3
    noisy = inflation.assign(zd=inflation["zd"] + rng.normal(scale=0.5, size=n))
    with warnings.catch_warnings():  # an inflation regressor that does not separate: silent
        warnings.simplefilter("error", ts.PerfectSeparationWarning)
        ts.ZeroInflatedPoisson(y, exog, exog_infl=noisy).fit(disp=0)
