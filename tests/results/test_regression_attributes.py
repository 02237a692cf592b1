"""statsmodels' lazy attributes of least-squares results: ``HCx_se``, ``cov_HCx`` and
``info_criteria``, against live statsmodels on several data sets (OLS and WLS)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from tests.parity import assert_matches

FORMULAS = ["y ~ x1 * C(g) + np.log(x2)", "y ~ C(k) + x3 - 1", "y ~ x1 + x2 + x3"]
HC = ["HC0", "HC1", "HC2", "HC3"]


@pytest.fixture(params=[(f, w) for f in FORMULAS for w in (False, True)], ids=str)
def fits(frame, request):
    formula, weighted = request.param
    if weighted:
        return (
            ts.wls(formula, frame, weights=frame["w"]).fit(),
            smf.wls(formula, frame, weights=frame["w"]).fit(),
        )
    return ts.ols(formula, frame).fit(), smf.ols(formula, frame).fit()


@pytest.mark.parametrize("kind", HC)
def test_hc_standard_errors_match_statsmodels(fits, kind):
    ours, theirs = fits
    assert_matches(getattr(ours, f"{kind}_se"), getattr(theirs, f"{kind}_se"), rtol=1e-9)


@pytest.mark.parametrize("kind", HC)
def test_hc_covariances_match_statsmodels(fits, kind):
    ours, theirs = fits
    ours_cov, theirs_cov = getattr(ours, f"cov_{kind}"), getattr(theirs, f"cov_{kind}")
    assert isinstance(ours_cov, np.ndarray) and isinstance(theirs_cov, np.ndarray)
    assert_matches(ours_cov, theirs_cov, rtol=1e-9, atol_scale=1e-12)


@pytest.mark.parametrize("kind", HC)
def test_hc_attributes_equal_the_robust_fit(fits, kind):
    ours, _ = fits
    robust = ours.model.fit(cov_type=kind)
    assert_matches(getattr(ours, f"{kind}_se"), robust.bse, rtol=1e-14)
    np.testing.assert_allclose(getattr(ours, f"cov_{kind}"), robust.cov_params(), rtol=1e-14)


def test_hc_attributes_do_not_depend_on_the_fit_covariance(frame):
    classical = ts.ols("y ~ x1 + C(g)", frame).fit()
    clustered = classical.get_robustcov_results("cluster", groups=frame["k"])
    np.testing.assert_array_equal(clustered.HC3_se, classical.HC3_se)


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_hc_types_follow_the_input(frame, kind):
    y = frame["y"].to_numpy()
    X = np.column_stack([np.ones(len(frame)), frame[["x1", "x3"]].to_numpy()])
    theirs = sm.WLS(y, X, weights=frame["w"].to_numpy()).fit()
    if kind == "torch":
        y, X = torch.tensor(y), torch.tensor(X)
    ours = ts.WLS(y, X, weights=frame["w"].to_numpy()).fit()
    expected = torch.Tensor if kind == "torch" else np.ndarray
    assert isinstance(ours.HC2_se, expected) and isinstance(ours.cov_HC2, expected)
    np.testing.assert_allclose(np.asarray(ours.HC2_se), theirs.HC2_se, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(ours.cov_HC1), theirs.cov_HC1, rtol=1e-10)


@pytest.mark.parametrize("dk_params", [0, 1, 2.5])
@pytest.mark.parametrize("crit", ["aic", "bic", "aicc", "hqic", "AIC"])
def test_info_criteria_match_statsmodels(fits, crit, dk_params):
    ours, theirs = fits
    expected = theirs.info_criteria(crit, dk_params=dk_params)
    assert ours.info_criteria(crit, dk_params=dk_params) == pytest.approx(expected, rel=1e-11)


def test_info_criteria_defaults_are_aic_and_bic(fits):
    ours, _ = fits
    assert ours.info_criteria("aic") == pytest.approx(ours.aic, rel=1e-15)
    assert ours.info_criteria("bic") == pytest.approx(ours.bic, rel=1e-15)


def test_aicc_without_degrees_of_freedom_is_infinite():
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 4.0], "y": [1.0, 3.0, 2.0, 5.0]})
    ours = ts.ols("y ~ x", frame).fit()
    theirs = smf.ols("y ~ x", frame).fit()
    assert ours.info_criteria("aicc", dk_params=1) == theirs.info_criteria("aicc", 1) == math.inf


def test_unknown_criterion_is_refused(fits):
    ours, _ = fits
    with pytest.raises(ValueError, match="aicc"):
        ours.info_criteria("cic")


def test_scalar_statistics_are_numpy_floats_as_statsmodels() -> None:
    """``res.rsquared.round(3)`` and ``res.llf.item()`` work, as on statsmodels' results
    (they were Python floats); numpy's float64 is a float, so nothing else changes."""
    frame = ts.datasets.longley()
    frame["high"] = (frame["TOTEMP"] > frame["TOTEMP"].median()).astype(float)
    ols = ts.ols("TOTEMP ~ GNP + UNEMP", frame).fit()
    glm = ts.glm("UNEMP ~ GNP", frame, family=ts.families.Gamma()).fit()
    logit = ts.logit("high ~ UNEMP", frame).fit(disp=0)
    values = [
        ols.rsquared,
        ols.rsquared_adj,
        ols.fvalue,
        ols.f_pvalue,
        ols.llf,
        ols.aic,
        ols.bic,
        ols.ssr,
        ols.scale,
        glm.deviance,
        glm.llf,
        glm.aic,
        glm.pearson_chi2,
        logit.llf,
        logit.prsquared,
        logit.llr_pvalue,
        ols.f_test("GNP = 0").pvalue,
        ols.f_test("GNP = 0").fvalue,
    ]
    for value in values:
        assert type(value) is np.float64, value
    assert ols.rsquared.round(3) == round(float(ols.rsquared), 3)


def test_cov_params_of_columns_as_statsmodels() -> None:
    """One integer gives the variance itself (it was a 1 x 1 array); a list the block."""
    import statsmodels.api as sm

    frame = ts.datasets.longley()
    X = np.column_stack([np.ones(len(frame)), frame[["GNP", "UNEMP"]].to_numpy()])
    ours = ts.OLS(frame["TOTEMP"].to_numpy(), X).fit()
    theirs = sm.OLS(frame["TOTEMP"].to_numpy(), X).fit()
    assert type(ours.cov_params(column=1)) is np.float64
    assert ours.cov_params(column=1) == pytest.approx(theirs.cov_params(column=1), rel=1e-9)
    np.testing.assert_allclose(
        ours.cov_params(column=[0, 2]), theirs.cov_params(column=[0, 2]), rtol=1e-9
    )


@pytest.mark.parametrize("model", ["OLS", "GLM", "Logit"])
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC1"])
def test_cov_params_scale_cov_p_and_other_as_statsmodels(model, cov_type) -> None:
    """statsmodels' cov_params(r_matrix, column, scale, cov_p, other): scale, cov_p and
    other raised TypeError."""
    rng = np.random.default_rng(3)
    X = sm.add_constant(rng.normal(size=(80, 2)))
    y = X @ [0.2, 0.5, -0.4] + rng.normal(size=80)
    if model == "Logit":
        y = (y > 0).astype(float)
    fits = {
        name: (
            getattr(lib, model)(y, X).fit(
                cov_type=cov_type, **({"disp": 0} if model == "Logit" else {})
            )
        )
        for name, lib in (("ours", ts), ("theirs", sm))
    }
    R, other = np.eye(3)[:2], np.array([[0.0, 1.0, 1.0]])
    given = np.diag([1.0, 2.0, 3.0])
    for kwargs in (
        {"scale": 2.5},
        {"r_matrix": R, "other": other},
        {"r_matrix": R, "scale": 0.5},
        {"cov_p": given},
        {"r_matrix": R, "cov_p": given, "other": other},
    ):
        np.testing.assert_allclose(
            np.asarray(fits["ours"].cov_params(**kwargs)),
            np.asarray(fits["theirs"].cov_params(**kwargs)),
            rtol=1e-8,
            err_msg=str(kwargs),
        )
    with pytest.raises(ValueError, match="column should be specified without"):
        fits["ours"].cov_params(column=1, r_matrix=R)
    with pytest.raises(ValueError, match="other can only be specified with r_matrix"):
        fits["ours"].cov_params(other=other)


def test_anova_lm_where_statsmodels_users_import_it() -> None:
    from torchstats.stats.anova import anova_lm

    assert anova_lm is ts.stats.anova_lm is ts.anova_lm


def test_normalized_cov_params_of_glms_and_discrete_models() -> None:
    """statsmodels' normalized_cov_params existed only on least-squares results here."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=80)})
    frame["c"] = rng.poisson(np.exp(0.3 * frame["x"]))
    frame["b"] = (frame["c"] > 0) * 1.0
    frame["g"] = frame["c"] + 1.0
    gamma_log = (
        ts.families.Gamma(ts.families.links.Log()),
        sm.families.Gamma(sm.families.links.Log()),
    )
    pairs = [
        (
            ts.glm("c ~ x", frame, family=ts.families.Poisson()).fit(),
            smf.glm("c ~ x", frame, family=sm.families.Poisson()).fit(),
        ),
        (
            ts.glm("g ~ x", frame, family=gamma_log[0]).fit(),
            smf.glm("g ~ x", frame, family=gamma_log[1]).fit(),
        ),
        (ts.logit("b ~ x", frame).fit(disp=0), smf.logit("b ~ x", frame).fit(disp=0)),
        (ts.poisson("c ~ x", frame).fit(disp=0), smf.poisson("c ~ x", frame).fit(disp=0)),
    ]
    for ours, theirs in pairs:
        assert_matches(ours.normalized_cov_params, theirs.normalized_cov_params, rtol=1e-10)
