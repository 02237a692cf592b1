"""GLM parity with statsmodels: one test per statistic over families, links, offsets,
exposures, weights and scale rules (see ``glm_cases.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.models.glm_cases import CASES, GlmCase, fitted_pair, glm_frame
from tests.parity import assert_matches, mask_clock

# IRLS runs the same steps as statsmodels (same start, same stopping rule), so estimates
# agree to rounding; 1e-9 leaves room for the different least-squares kernels per step.
RTOL = 1e-9

case_param = pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)


@case_param
@pytest.mark.parametrize(
    "name",
    ["params", "bse", "tvalues", "pvalues", "fittedvalues", "mu"],
)
def test_vectors(case: GlmCase, name: str) -> None:
    ours, theirs = fitted_pair(case)
    assert_matches(getattr(ours, name), getattr(theirs, name), rtol=RTOL)


@case_param
@pytest.mark.parametrize(
    "name",
    [
        "resid_response",
        "resid_pearson",
        "resid_deviance",
        "resid_working",
        "resid_anscombe",
        "resid_anscombe_unscaled",
    ],
)
def test_residuals(case: GlmCase, name: str) -> None:
    ours, theirs = fitted_pair(case)
    # residuals near zero carry the absolute error of mu: an absolute floor relative to
    # the largest residual
    assert_matches(getattr(ours, name), getattr(theirs, name), rtol=RTOL, atol_scale=1e-10)


@case_param
@pytest.mark.parametrize(
    "name",
    [
        "llf",
        "llnull",
        "deviance",
        "null_deviance",
        "pearson_chi2",
        "aic",
        "bic",
        "bic_deviance",
        "scale",
        "df_model",
        "df_resid",
        "nobs",
    ],
)
def test_scalars(case: GlmCase, name: str) -> None:
    ours, theirs = fitted_pair(case)
    assert np.isclose(getattr(ours, name), getattr(theirs, name), rtol=RTOL, atol=1e-12)


@case_param
def test_cov_params(case: GlmCase) -> None:
    ours, theirs = fitted_pair(case)
    assert_matches(ours.cov_params(), theirs.cov_params(), rtol=RTOL)


@case_param
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_conf_int(case: GlmCase, alpha: float) -> None:
    ours, theirs = fitted_pair(case)
    assert_matches(ours.conf_int(alpha), theirs.conf_int(alpha), rtol=RTOL)


@case_param
@pytest.mark.parametrize("kind", ["cs", "mcf"])
def test_pseudo_rsquared(case: GlmCase, kind: str) -> None:
    ours, theirs = fitted_pair(case)
    expected = theirs.pseudo_rsquared(kind)
    if kind == "cs" and "freq_weights" in dict(case.columns):
        # statsmodels divides by the rows; the expanded data's value divides by sum(fw)
        expected = 1 - np.exp(2 * (theirs.llnull - theirs.llf) / theirs.model.wnobs)
    assert np.isclose(ours.pseudo_rsquared(kind), expected, rtol=1e-8)


@case_param
def test_iterations_and_deviance_history(case: GlmCase) -> None:
    ours, theirs = fitted_pair(case)
    assert ours.fit_history["iteration"] == theirs.fit_history["iteration"]
    assert ours.converged == theirs.converged
    np.testing.assert_allclose(
        ours.fit_history["deviance"], theirs.fit_history["deviance"][1:], rtol=1e-9
    )


def _new_data(case: GlmCase) -> pd.DataFrame:
    return glm_frame(case.seed + 7).iloc[:25]


@case_param
@pytest.mark.parametrize("which", ["mean", "linear"])
def test_predict_new_data(case: GlmCase, which: str) -> None:
    ours, theirs = fitted_pair(case)
    new = _new_data(case)
    assert_matches(ours.predict(new, which=which), theirs.predict(new, which=which), rtol=RTOL)


@case_param
def test_predict_in_sample_with_offsets(case: GlmCase) -> None:
    ours, theirs = fitted_pair(case)
    assert_matches(ours.predict(), theirs.predict(), rtol=RTOL)


@case_param
def test_get_prediction_summary_frame(case: GlmCase) -> None:
    ours, theirs = fitted_pair(case)
    new = _new_data(case)
    assert_matches(
        ours.get_prediction(new).summary_frame(alpha=0.1),
        theirs.get_prediction(new).summary_frame(alpha=0.1),
        rtol=1e-8,
    )


@case_param
@pytest.mark.parametrize("which", ["mean", "linear", "var_unscaled"])
def test_get_prediction_which(case: GlmCase, which: str) -> None:
    ours, theirs = fitted_pair(case)
    new = _new_data(case)
    found = ours.get_prediction(new, which=which).summary_frame(alpha=0.1)
    expected = theirs.get_prediction(new, which=which).summary_frame(alpha=0.1)
    if which == "var_unscaled":
        # statsmodels' delta method differentiates numerically (about 7 digits) and loses
        # the row labels; ours is analytic: |V'(mu) dmu/deta| se(eta), checked exactly here.
        assert list(found.index) == list(new.index)
        expected = expected.set_axis(found.index)
        assert_matches(found, expected, rtol=1e-6, atol_scale=1e-6)
        linear = theirs.get_prediction(new, which="linear")
        family = theirs.model.family
        mu = family.link.inverse(linear.predicted)
        factor = family.variance.deriv(mu) * family.link.inverse_deriv(linear.predicted)
        assert_matches(found["se"].to_numpy(), np.abs(factor) * linear.se, rtol=1e-9)
        return
    assert_matches(found, expected, rtol=1e-8)
    if which == "mean":
        delta = theirs.get_prediction(new, which=which).conf_int(method="delta")
        assert_matches(ours.get_prediction(new, which=which).conf_int("delta"), delta, rtol=1e-8)


@case_param
def test_summary_text(case: GlmCase) -> None:
    ours, theirs = fitted_pair(case)
    assert mask_clock(str(ours.summary())) == _their_summary(theirs, case, str)


@pytest.mark.parametrize("case", CASES[:6], ids=lambda c: c.id)
def test_summary_html(case: GlmCase) -> None:
    ours, theirs = fitted_pair(case)
    assert mask_clock(ours.summary().as_html()) == _their_summary(theirs, case, "html")


def _their_summary(theirs, case: GlmCase, form) -> str:
    """statsmodels' summary, with Cox-Snell's pseudo R-squared of the expanded data where
    there are frequency weights (statsmodels divides by the rows)."""
    text = theirs.summary().as_html() if form == "html" else str(theirs.summary())
    if "freq_weights" in dict(case.columns):
        cs = 1 - np.exp(2 * (theirs.llnull - theirs.llf) / theirs.model.wnobs)
        text = text.replace(f"{theirs.pseudo_rsquared('cs'):#.4g}", f"{cs:#.4g}")
    return mask_clock(text)
