"""TruncatedLFPoisson and TruncatedLFNegativeBinomialP against statsmodels, one test per
statistic.

Cases: statsmodels' docvis data (its R pscl / Stata checks) and RAND HIE data (its truncated
Poisson tests), arrays and formulas, truncation at -1, 0, 1, 2 and 5, offsets and exposures,
three random data sets. Both libraries reach the same maximum; the tolerances say where
statsmodels is less precise: its Hessian (so ``bse``) is a finite difference, and its
``llnull`` a Nelder-Mead + BFGS fit.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.discrete.truncated_model as smt
import torch
from statsmodels.tools.numdiff import approx_fprime

from tests.conftest import DEVICES
from tests.models.count_part_cases import count_frame, docvis_frame, randhie_arrays, reference_fit
from tests.parity import assert_matches
from torchstats.errors import (
    ConvergenceWarning,
    DesignError,
    InvalidOptionError,
    MissingDataError,
)
from torchstats.models.truncated import TruncatedLFNegativeBinomialP, TruncatedLFPoisson

OURS = {"poisson": TruncatedLFPoisson, "negbin": TruncatedLFNegativeBinomialP}
THEIRS = {"poisson": smt.TruncatedLFPoisson, "negbin": smt.TruncatedLFNegativeBinomialP}

# statsmodels' Hessian is a finite difference (approx_hess): bse to ~1e-6.
BSE_RTOL = 5e-6


@dataclass(frozen=True)
class Case:
    kind: str
    data: str
    truncation: int = 0
    formula: str | None = None
    seed: int = 0
    extras: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        extras = "".join(f"+{e}" for e in self.extras)
        source = self.formula or "arrays"
        return f"{self.kind}|{self.data}{self.seed}|{source}{extras}|t={self.truncation}"


CASES = [
    Case("poisson", "docvis", 0),
    Case("poisson", "docvis", 1),
    Case("negbin", "docvis", 0),
    Case("negbin", "docvis", 1),
    Case("poisson", "randhie", 5),
    Case("poisson", "randhie", 0),
    Case("negbin", "randhie", 0),
    Case("poisson", "sim", 0, "yp ~ x1 + np.log(x2) + C(g)", 0, ("offset",)),
    Case("poisson", "sim", 2, "yp ~ x1 + np.log(x2) + C(g)", 1, ("exposure",)),
    Case("poisson", "sim", -1, "yp ~ x1 + C(g)", 2),
    Case("poisson", "sim", 0, "yp ~ C(g) + x1 - 1", 2, ("offset", "exposure")),
    Case("negbin", "sim", 0, "yn ~ x1 + np.log(x2) + C(g)", 0, ("exposure",)),
    Case("negbin", "sim", 1, "yn ~ x1 + C(g)", 1, ("offset",)),
    Case("negbin", "sim", 0, "yn ~ x1 + x2", 2),
]


def _arrays(case: Case) -> tuple[Any, Any]:
    if case.data == "docvis":
        frame = docvis_frame()
        return frame["docvis"], frame[["aget", "totchr", "const"]]
    return randhie_arrays(3 if case.kind == "negbin" else 4)


def _build(case: Case) -> tuple[Any, Any]:
    if case.formula is None:
        endog, exog = _arrays(case)
        return (
            OURS[case.kind](endog, exog, truncation=case.truncation),
            THEIRS[case.kind](endog, exog, truncation=case.truncation),
        )
    frame = count_frame(case.seed)
    ours = OURS[case.kind](case.formula, frame, truncation=case.truncation, **_extras(case, frame))
    theirs = THEIRS[case.kind].from_formula(
        case.formula, frame, truncation=case.truncation, **_their_extras(case, frame)
    )
    return ours, theirs


def _extras(case: Case, frame: pd.DataFrame) -> dict[str, Any]:
    return {name: frame["off" if name == "offset" else "expo"] for name in case.extras}


def _their_extras(case: Case, frame: pd.DataFrame) -> dict[str, Any]:
    """statsmodels' truncated models log a given exposure twice (their main model logs the
    logged exposure again), so their reference takes ``log(exposure)`` in the offset."""
    extras = _extras(case, frame)
    if "exposure" in extras:
        extras["offset"] = extras.get("offset", 0) + np.log(extras.pop("exposure"))
    return extras


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


def test_names_and_sizes(fits):
    ours, theirs = fits
    assert ours.model.exog_names == theirs.model.exog_names
    assert ours.nobs == theirs.nobs == theirs.model.endog.shape[0]
    assert ours.df_model == theirs.df_model
    assert ours.df_resid == theirs.df_resid
    assert ours.model.k_extra == theirs.model.k_extra
    assert ours.model.truncation == theirs.model.truncation
    np.testing.assert_array_equal(np.asarray(ours.model.endog), theirs.model.endog)


def test_params(fits):
    assert_matches(fits[0].params, fits[1].params, rtol=1e-9)


def test_bse(fits):
    assert_matches(fits[0].bse, fits[1].bse, rtol=BSE_RTOL)


def test_cov_params(fits):
    assert_matches(fits[0].cov_params(), fits[1].cov_params(), rtol=2 * BSE_RTOL, atol_scale=1e-6)


def test_tvalues_pvalues_conf_int(fits):
    ours, theirs = fits
    assert_matches(ours.tvalues, theirs.tvalues, rtol=BSE_RTOL)
    # p-values amplify relative errors of z by about z^2 in the tail
    assert_matches(ours.pvalues, theirs.pvalues, rtol=1e-3, atol_scale=1e-12)
    # a bound near zero: relative to the standard errors
    atol = BSE_RTOL * float(np.max(np.asarray(theirs.bse)))
    np.testing.assert_allclose(ours.conf_int(), theirs.conf_int(), rtol=BSE_RTOL, atol=atol)


def test_llf_and_information_criteria(fits):
    ours, theirs = fits
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-13)
    assert ours.aic == pytest.approx(theirs.aic, rel=1e-13)
    assert ours.bic == pytest.approx(theirs.bic, rel=1e-13)


def test_llnull_llr_prsquared(fits):
    ours, theirs = fits
    # statsmodels fits the null model by Nelder-Mead then BFGS
    assert ours.llnull == pytest.approx(theirs.llnull, rel=1e-9)
    assert ours.llr == pytest.approx(theirs.llr, rel=1e-7)
    assert ours.prsquared == pytest.approx(theirs.prsquared, rel=1e-7)
    assert ours.llr_pvalue == pytest.approx(theirs.llr_pvalue, rel=1e-5, abs=1e-300)


@pytest.mark.parametrize("which", ["mean", "linear", "mean-main", "var"])
def test_predict_in_sample(fits, which):
    ours, theirs = fits
    assert_matches(np.asarray(ours.predict(which=which)), theirs.predict(which=which), rtol=1e-9)


def _their_probabilities(case: Case) -> None:
    if case.truncation < 0:
        pytest.skip("statsmodels' truncated pmf fails for truncation=-1 (see test_truncated)")


@pytest.mark.parametrize("which", ["prob", "prob-base"])
def test_predict_probabilities(case, fits, which):
    _their_probabilities(case)
    ours, theirs = fits
    got = ours.predict(which=which, y_values=np.arange(8))
    expected = theirs.predict(which=which, y_values=np.arange(8))
    assert isinstance(got, np.ndarray) and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-15)


def test_residuals_and_fittedvalues(fits):
    ours, theirs = fits
    np.testing.assert_allclose(ours.resid_response, theirs.resid_response, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.resid, theirs.resid, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.resid_pearson, theirs.resid_pearson, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.fittedvalues, theirs.fittedvalues, rtol=1e-9)


def test_predict_new_data(case, fits):
    ours, theirs = fits
    if case.formula is None:
        new = np.asarray(_arrays(case)[1])[:7]
        kwargs: dict[str, Any] = {}
        their_kwargs: dict[str, Any] = {}
    else:
        new = count_frame(case.seed + 50, n=30).head(7)
        kwargs = _extras(case, new)
        their_kwargs = _their_extras(case, new)
    for which in ("mean", "linear", "mean-main", "var"):
        assert_matches(
            ours.predict(new, which=which, **kwargs),
            theirs.predict(new, which=which, **their_kwargs),
            rtol=1e-9,
        )
    if case.truncation < 0:
        return
    got = ours.predict(new, which="prob", y_values=[0, 1, 2, 3], **kwargs)
    expected = theirs.predict(new, which="prob", y_values=[0, 1, 2, 3], **their_kwargs)
    assert type(got) is type(expected)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-9, atol=1e-15)


def _their_offset(theirs: Any) -> dict[str, Any]:
    """statsmodels 0.15 drops the offset from in-sample get_prediction: pass it."""
    offset = getattr(theirs.model, "offset", None)
    return {} if offset is None else {"offset": offset}


@pytest.mark.parametrize("which", ["mean-main", "prob", "prob-base", "var"])
def test_get_prediction_average(case, fits, which):
    """statsmodels' delta method differentiates numerically; ours is exact."""
    if which.startswith("prob"):
        _their_probabilities(case)
    ours, theirs = fits
    got = ours.get_prediction(which=which, average=True, y_values=np.arange(5))
    expected = theirs.get_prediction(
        which=which, average=True, y_values=np.arange(5), **_their_offset(theirs)
    )
    np.testing.assert_allclose(got.predicted, expected.predicted, rtol=1e-9)
    np.testing.assert_allclose(got.se, expected.se, rtol=1e-4, atol=1e-12)
    np.testing.assert_allclose(got.conf_int(), expected.conf_int(), rtol=1e-5, atol=1e-12)


def test_get_prediction_linear(fits):
    ours, theirs = fits
    got = ours.get_prediction(which="linear")
    expected = theirs.get_prediction(which="linear", **_their_offset(theirs))
    np.testing.assert_allclose(got.predicted, expected.predicted, rtol=1e-9)
    np.testing.assert_allclose(got.se, expected.se, rtol=BSE_RTOL)
    # a bound near zero: relative to the standard errors
    atol = BSE_RTOL * float(np.max(got.se))
    np.testing.assert_allclose(got.conf_int(), expected.conf_int(), rtol=BSE_RTOL, atol=atol)
    frame = got.summary_frame()  # statsmodels' own fails: it labels the rows of all the data
    assert list(frame.columns) == ["predicted", "se", "ci_lower", "ci_upper"]
    if case_is_pandas(ours):
        assert frame.index.equals(ours.model.data.row_labels)


@pytest.mark.parametrize("cov_type", ["HC0", "cluster"])
def test_robust_bse(case, fits, cov_type):
    ours, theirs = fits
    kwds: dict[str, Any] = {}
    if cov_type == "cluster":
        groups = np.arange(int(ours.nobs)) % 23
        kwds = {"groups": groups}
    robust = ours.model.fit(cov_type=cov_type, cov_kwds=kwds)
    theirs_model = _build(case)[1]
    theirs_robust = theirs_model.fit(
        start_params=np.asarray(theirs.params),
        method="newton",
        disp=0,
        cov_type=cov_type,
        cov_kwds=kwds,
    )
    assert robust.cov_type == theirs_robust.cov_type
    # statsmodels' finite-difference Hessian enters the sandwich twice (its Newton ends
    # where its Hessian's noise puts it: 7e-6 on RAND HIE's NB from a start moved by 1e-14)
    assert_matches(robust.bse, theirs_robust.bse, rtol=2 * BSE_RTOL)


def _mask_date_time(text: str) -> str:
    return re.sub(r"^(Date|Time):(\s+)\S.*?(?=\s{2,}|$)", r"\1:\2<masked>", text, flags=re.M)


def test_summary_text(fits):
    ours, theirs = fits
    assert _mask_date_time(str(ours.summary())) == _mask_date_time(str(theirs.summary()))


def test_mle_retvals(fits):
    ours, theirs = fits
    assert ours.mle_retvals["converged"] is True
    assert ours.mle_retvals["fopt"] == pytest.approx(theirs.mle_retvals["fopt"], rel=1e-13)
    assert ours.method == theirs.method == "MLE"
    assert isinstance(ours.params, pd.Series if case_is_pandas(ours) else np.ndarray)


def case_is_pandas(results: Any) -> bool:
    return results.model.output.kind == "pandas"


@pytest.mark.parametrize(("kind", "rtol"), [("poisson", 1e-10), ("negbin", 1e-5)])
def test_statsmodels_default_fit_path(kind, rtol):
    """``fit(method="bfgs")`` starts where statsmodels' default fit starts and takes scipy's
    BFGS (35 steps); the NB-P's path drifts by the gradients' rounding (statsmodels'
    gradient is its own closed form) within BFGS' gtol."""
    endog, exog = randhie_arrays(3)
    ours = OURS[kind](endog, exog).fit(method="bfgs")
    theirs = THEIRS[kind](endog, exog).fit(disp=0)
    assert ours.mle_retvals["converged"] == theirs.mle_retvals["converged"]
    np.testing.assert_allclose(ours.params, theirs.params, rtol=rtol)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["poisson", "negbin"])
def test_device(device, kind):
    endog, exog = randhie_arrays(3)
    cpu = OURS[kind](endog, exog, truncation=1).fit()
    other = OURS[kind](
        torch.as_tensor(endog, device=device), torch.as_tensor(exog, device=device), truncation=1
    ).fit()
    assert other.params.device.type == device
    np.testing.assert_allclose(other.params.cpu().numpy(), cpu.params, rtol=1e-9)
    np.testing.assert_allclose(other.bse.cpu().numpy(), cpu.bse, rtol=1e-8)
    variance = other.predict(which="var")
    np.testing.assert_allclose(variance.cpu().numpy(), cpu.predict(which="var"), rtol=1e-9)


def test_bad_input():
    endog, exog = randhie_arrays(3)
    with pytest.raises(DesignError, match="truncation must be an integer"):
        TruncatedLFPoisson(endog, exog, truncation=0.5)
    with pytest.raises(DesignError, match="no count exceeds the truncation point"):
        TruncatedLFPoisson(endog, exog, truncation=int(endog.max()))
    with pytest.raises(InvalidOptionError, match="which"):
        TruncatedLFPoisson(endog, exog).predict(np.zeros(4), which="prob-zero")


@pytest.mark.parametrize("model", [TruncatedLFPoisson, TruncatedLFNegativeBinomialP])
def test_missing_response_is_refused_not_truncated_away(model):
    # NaN > truncation is False: the row used to leave with the truncated ones, silently
    endog, exog = randhie_arrays(3)
    endog = np.asarray(endog, dtype=float).copy()
    endog[np.flatnonzero(endog > 0)[0]] = np.nan
    with pytest.raises(MissingDataError, match="endog"):
        model(endog, exog)
    dropped = model(endog, exog, missing="drop")
    assert dropped.nobs == int((endog > 0).sum())


def test_bse_against_statsmodels_score(fits):
    """The exact Hessian: equal to central differences of statsmodels' analytic score (its
    own ``bse`` come from a less precise finite-difference Hessian)."""
    ours, theirs = fits
    params = np.asarray(theirs.params, dtype=float)
    hessian = approx_fprime(params, theirs.model.score, centered=True)
    expected = np.sqrt(np.diag(np.linalg.inv(-(hessian + hessian.T) / 2)))
    np.testing.assert_allclose(np.asarray(ours.bse, dtype=float), expected, rtol=5e-8)


def test_get_diagnostic(case, fits):
    """statsmodels' CountDiagnostic on the model's predicted probabilities (bins above the
    truncation point: below it every frequency and probability is 0)."""
    if case.truncation < 0:
        pytest.skip("statsmodels' truncated pmf fails for truncation=-1")
    ours, theirs = fits
    got, expected = ours.get_diagnostic(y_max=6), theirs.get_diagnostic(y_max=6)
    np.testing.assert_allclose(got.probs_predicted, expected.probs_predicted, rtol=1e-9, atol=1e-13)
    edges = case.truncation + 1 + np.arange(5)
    got_test = got.test_chisquare_prob(bin_edges=edges)
    expected_test = expected.test_chisquare_prob(bin_edges=edges)
    assert got_test.statistic == pytest.approx(expected_test.statistic, rel=1e-6)
    assert got_test.pvalue == pytest.approx(expected_test.pvalue, rel=1e-5, abs=1e-300)


def _zero_truncated_nb2(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """NB2 counts (alpha 0.5, mean about 1.2) with their zeros cut off: less dispersed than
    the untruncated distribution, so the plain NB-P fit of them puts alpha at 0 or below."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), 0.3 * rng.standard_normal((n, 2))])
    mu = np.exp(X @ np.full(3, 0.2))
    y = rng.negative_binomial(2, 2 / (2 + mu)).astype(float)
    return y[y > 0], X[y > 0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_negative_binomial_leaves_a_start_alpha_at_the_boundary(seed):
    """The start (the plain NB-P fit of the kept rows) puts alpha at about 1e-20, where the
    truncated likelihood is flat in log(alpha): Newton stalled there with a warning, far
    below the maximum (llf -17357 against -17002 on 2e4 rows). From the floored start it
    reaches statsmodels' Newton maximum from a start near it; BFGS, whose statsmodels start
    fails (a negative alpha), gets there too."""
    y, X = _zero_truncated_nb2(2000, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = TruncatedLFNegativeBinomialP(y, X).fit(disp=0)
    theirs = smt.TruncatedLFNegativeBinomialP(y, X).fit(
        disp=0, method="newton", start_params=np.r_[0.2, 0.2, 0.2, 0.5], maxiter=100
    )
    assert ours.mle_retvals["converged"] and theirs.mle_retvals["converged"]
    assert 0.2 < ours.params[-1] < 2
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-8)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-6)
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-12)
    bfgs = TruncatedLFNegativeBinomialP(y, X).fit(disp=0, method="bfgs", maxiter=500)
    assert bfgs.llf == pytest.approx(theirs.llf, rel=1e-9)
