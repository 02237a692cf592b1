"""2SLS with and without absorbed fixed effects, against pyfixest and linearmodels.

pyfixest (``pf.feols("Y ~ X2 | f1 | X1 ~ Z1", ...)``) supports one endogenous regressor;
its coefficients, standard errors (iid, hetero, CRV1 one- and two-way, with fixest's small
sample corrections), first-stage F and effective F are compared here. linearmodels'
``IV2SLS`` covers several endogenous regressors, the exogeneity and over-identification
tests and the partial R-squared; fixed effects enter it as ``C(f)`` dummies.

The small-sample conventions map as follows: fixest's ``iid`` (``u'u / (n - K)``) is
linearmodels' ``cov_type="unadjusted", debiased=True``; ``hetero`` (``n / (n - K)``) is
``"robust", debiased=True``; CRV1 (``(n - 1) / (n - K) * G / (G - 1)``) is
``"clustered", debiased=True``, where fixest's ``K`` counts the effects' levels as
linearmodels counts the dummies (no effect nested in the cluster here, except where the
test says so).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import torchstats as ts
from tests.conftest import DEVICES
from torchstats.errors import CollinearityWarning, DesignError, InvalidOptionError

pf = pytest.importorskip("pyfixest")
linearmodels_iv = pytest.importorskip("linearmodels.iv")

RTOL = 1e-8


def _data(seed: int) -> pd.DataFrame:
    """pyfixest's example data without missing values, with a second endogenous regressor
    ``X3`` (driven by ``Z2`` and correlated with the error through ``X1``)."""
    frame = pf.get_data(N=600, seed=seed).dropna().reset_index(drop=True)
    rng = np.random.default_rng(seed)
    frame["X3"] = 0.5 * frame["Z2"] + 0.3 * frame["X1"] + rng.normal(size=len(frame))
    frame["Z3"] = rng.normal(size=len(frame)) + 0.2 * frame["X3"]
    return frame


@pytest.fixture(scope="module", params=[11, 29], ids=["data11", "data29"])
def data(request: pytest.FixtureRequest) -> pd.DataFrame:
    return _data(request.param)


def _pyfixest(formula: str, frame: pd.DataFrame, vcov: object, **kwargs: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, frame, vcov=vcov, fixef_tol=1e-13, **kwargs)


def _close(actual: object, expected: object, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=0)


# --- against pyfixest ---------------------------------------------------------------------------

PYFIXEST_FORMULAS = [
    "Y ~ X2 | f1 | X1 ~ Z1",
    "Y ~ X2 | f1 | X1 ~ Z1 + Z2",
    "Y ~ X2 | f1 + f3 | X1 ~ Z1 + Z2",
    "Y2 ~ X2 + Z3 | f3 | X1 ~ Z1",
    "Y ~ X2 | X1 ~ Z1 + Z2",
    "Y ~ 1 | f1 | X1 ~ Z1 + Z2",
]
VCOVS = [
    pytest.param("iid", id="iid"),
    pytest.param("hetero", id="hetero"),
    pytest.param({"CRV1": "f2"}, id="CRV1"),
    pytest.param({"CRV1": "f1"}, id="CRV1-nested"),
    pytest.param({"CRV1": "f2+group_id"}, id="CRV1-twoway"),
]


@pytest.mark.parametrize("formula", PYFIXEST_FORMULAS)
@pytest.mark.parametrize("vcov", VCOVS)
def test_params_and_bse_match_pyfixest(data: pd.DataFrame, formula: str, vcov: object) -> None:
    expected = _pyfixest(formula, data, vcov)
    result = ts.ols(formula, data).fit(vcov=vcov)
    assert list(result.params.index) == list(expected.coef().index)
    _close(result.params, expected.coef())
    _close(result.bse, expected.se())
    _close(result.cov_params(), expected._vcov)


@pytest.mark.parametrize(
    "formula",
    [
        "Y ~ X2 | f1^f2 | X1 ~ Z1 + Z2",
        "Y ~ X2 + C(f3) | f1 | X1 ~ Z1 + Z2",
        "Y ~ X2 | f1 | X1 ~ Z1 + C(f3)",
    ],
)
@pytest.mark.parametrize("vcov", ["hetero", {"CRV1": "f2"}])
def test_combined_effects_and_categoricals_match_pyfixest(
    data: pd.DataFrame, formula: str, vcov: object
) -> None:
    expected = _pyfixest(formula, data, vcov)
    result = ts.ols(formula, data).fit(vcov=vcov)
    names = list(result.params.index)
    assert sorted(names) == sorted(expected.coef().index)
    _close(result.params, expected.coef()[names])
    _close(result.bse, expected.se()[names])


def test_varying_slopes_match_linearmodels_with_interactions(data: pd.DataFrame) -> None:
    """pyfixest refuses ``f[x]`` with IV; the coefficients equal those of the regression
    with the slopes as ``C(f):x`` columns. (Only the coefficients: the covariances count the
    slopes' degrees of freedom by fixest's rule, one fewer than the dummy columns.)"""
    result = ts.ols("Y ~ X2 | f1 + f3[Z2] | X1 ~ Z1", data, fixef_rm="none").fit()
    expected = _linearmodels("Y ~ X2 + C(f1) + C(f3) + C(f3):Z2 + [X1 ~ Z1]", data, "unadjusted")
    _close(result.params, expected.params[list(result.params.index)])
    _close(result.resid, expected.resids, rtol=1e-7)


@pytest.mark.parametrize("formula", PYFIXEST_FORMULAS[:5])
@pytest.mark.parametrize("seed", [5, 6])
def test_missing_values_and_singletons_as_pyfixest(formula: str, seed: int) -> None:
    """pyfixest's data with its missing values (in Y, X1, Z1, f1) and a many-level
    factor ``g`` (singletons, dropped by both) replacing ``f1``."""
    frame = pf.get_data(N=500, seed=seed)
    frame["Z3"] = np.random.default_rng(seed).normal(size=len(frame))
    frame["g"] = np.random.default_rng(seed).integers(200, size=len(frame))
    for effects in (formula, formula.replace("f1", "g")):
        expected = _pyfixest(effects, frame, "hetero")
        result = ts.ols(effects, frame).fit(vcov="hetero")
        assert result.nobs == expected._N
        _close(result.params, expected.coef())
        _close(result.bse, expected.se())
        if effects != formula:
            assert result.n_singletons > 0


@pytest.mark.parametrize(
    "ssc",
    [
        {"k_adj": False},
        {"k_fixef": "full", "G_df": "conventional"},
        {"k_fixef": "none", "G_adj": False},
    ],
    ids=["no-k-adj", "full-conventional", "none-no-G-adj"],
)
@pytest.mark.parametrize("vcov", ["iid", {"CRV1": "f1"}, {"CRV1": "f2+group_id"}])
def test_small_sample_options_match_pyfixest(
    data: pd.DataFrame, ssc: dict[str, object], vcov: object
) -> None:
    formula = "Y ~ X2 | f1 + f3 | X1 ~ Z1 + Z2"
    expected = _pyfixest(formula, data, vcov, ssc=pf.ssc(**ssc))
    result = ts.ols(formula, data).fit(vcov=vcov, ssc=ssc)
    _close(result.bse, expected.se())
    # pyfixest's p-values are 1 - cdf: 0 below about 1e-16
    np.testing.assert_allclose(result.pvalues, expected.pvalue(), rtol=1e-7, atol=1e-15)


@pytest.mark.parametrize("formula", PYFIXEST_FORMULAS[:4])
@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "f2"}])
def test_weighted_fits_match_pyfixest(data: pd.DataFrame, formula: str, vcov: object) -> None:
    expected = _pyfixest(formula, data, vcov, weights="weights")
    result = ts.wls(formula, data, weights=data["weights"]).fit(vcov=vcov)
    _close(result.params, expected.coef())
    _close(result.bse, expected.se())


@pytest.mark.parametrize("formula", PYFIXEST_FORMULAS[:3])
def test_tvalues_pvalues_and_residuals_match_pyfixest(data: pd.DataFrame, formula: str) -> None:
    expected = _pyfixest(formula, data, {"CRV1": "f2"})
    result = ts.ols(formula, data).fit(vcov={"CRV1": "f2"})
    _close(result.tvalues, expected.tstat())
    _close(result.pvalues, expected.pvalue(), rtol=1e-7)
    _close(result.conf_int(), expected.confint())
    _close(result.resid, expected.resid())


FIRST_STAGE_CASES = [
    *(pytest.param(f, v, False, id=f"{f}-{v}") for f in PYFIXEST_FORMULAS for v in ("iid", "CRV1")),
    *(
        pytest.param(f, v, True, id=f"{f}-{v}-weighted")
        for f in PYFIXEST_FORMULAS[:3]
        for v in ("hetero", "CRV1")
    ),
]


@pytest.mark.parametrize(("formula", "kind", "weighted"), FIRST_STAGE_CASES)
def test_first_stage_f_matches_pyfixest(
    data: pd.DataFrame, formula: str, kind: str, weighted: bool
) -> None:
    vcov = {"CRV1": "f2"} if kind == "CRV1" else kind
    weights = {"weights": "weights"} if weighted else {}
    expected = _pyfixest(formula, data, vcov, **weights)
    expected.first_stage()
    model = ts.wls(formula, data, weights=data["weights"]) if weighted else ts.ols(formula, data)
    stage = model.fit(vcov=vcov).first_stage["X1"]
    _close(stage.fvalue, expected._f_stat_1st_stage)
    first = expected._model_1st_stage
    names = list(first.coef().index)
    _close(stage.params[names], first.coef())
    _close(stage.bse[names], first.se())


@pytest.mark.parametrize("formula", PYFIXEST_FORMULAS[:3])
def test_two_way_first_stage_f_is_the_first_stage_wald_test(
    data: pd.DataFrame, formula: str
) -> None:
    """pyfixest clusters its first stage by the first cluster column only; here both are
    used, and the F is that of pyfixest's first-stage regression with both."""
    vcov = {"CRV1": "f2+group_id"}
    endog, instruments = formula.split("|")[-1].split("~")
    included = formula.split("~")[1].split("|")[0]
    fe = formula.split("|")[1] if formula.count("|") == 2 else "0"
    first = _pyfixest(f"{endog} ~ {instruments} + {included} | {fe}", data, vcov)
    q = len(instruments.split("+"))
    R = np.zeros((q, len(first.coef())))
    R[:, :q] = np.eye(q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first.wald_test(R=R)
    stage = ts.ols(formula, data).fit(vcov=vcov).first_stage["X1"]
    _close(stage.fvalue, first._f_statistic)


@pytest.mark.parametrize(
    "formula",
    ["Y ~ X2 | f1 | X1 ~ Z1", "Y ~ 1 | f1 | X1 ~ Z1 + Z2", "Y ~ 1 | f1 + f3 | X1 ~ Z1 + Z2"],
)
@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "f2"}])
def test_effective_f_matches_pyfixest(data: pd.DataFrame, formula: str, vcov: object) -> None:
    """Where pyfixest's instruments need no partialling (one excluded instrument, or no
    included regressor besides the effects) its effective F is Olea and Pflueger's."""
    expected = _pyfixest(formula, data, vcov)
    expected.first_stage()
    expected.IV_Diag()
    stage = ts.ols(formula, data).fit(vcov=vcov).first_stage["X1"]
    _close(stage.effective_f, expected._eff_F)


def test_effective_f_partials_out_the_included_regressors(data: pd.DataFrame) -> None:
    """The effective F of a model with included regressors is that of the model with the
    regressors partialled out of the endogenous regressor and the instruments (pyfixest
    skips the partialling)."""
    frame = data.copy()
    formula = "Y ~ X2 | f1 | X1 ~ Z1 + Z2"
    result = ts.ols(formula, frame).fit(vcov="hetero")
    partial = ts.ols("X1 ~ X2 | f1", frame).fit()
    frame["X1p"] = np.asarray(partial.resid)
    for z in ("Z1", "Z2"):
        frame[f"{z}p"] = np.asarray(ts.ols(f"{z} ~ X2 | f1", frame).fit().resid)
    expected = _pyfixest("Y ~ 1 | f1 | X1p ~ Z1p + Z2p", frame, "hetero")
    expected.first_stage()
    expected.IV_Diag()
    # the partialled first stage has one regressor fewer: fixest's n / (n - K) differs
    n, k_fe = len(frame), frame["f1"].nunique()
    ratio = (n - (k_fe + 2)) / (n - (k_fe + 3))
    _close(result.first_stage["X1"].effective_f * ratio, expected._eff_F)


# --- against linearmodels -----------------------------------------------------------------------

LINEARMODELS_CASES = [
    pytest.param("Y ~ X2 | X1 ~ Z1 + Z2", "Y ~ 1 + X2 + [X1 ~ Z1 + Z2]", id="one-endog"),
    pytest.param(
        "Y ~ X2 | X1 + X3 ~ Z1 + Z2 + Z3", "Y ~ 1 + X2 + [X1 + X3 ~ Z1 + Z2 + Z3]", id="two-endog"
    ),
    pytest.param(
        "Y2 ~ X2 | f1 | X1 + X3 ~ Z1 + Z2 + Z3",
        "Y2 ~ X2 + C(f1) + [X1 + X3 ~ Z1 + Z2 + Z3]",
        id="two-endog-fe",
    ),
    pytest.param(
        "Y ~ X2 | f1 + f3 | X1 ~ Z1 + Z2",
        "Y ~ X2 + C(f1) + C(f3) + [X1 ~ Z1 + Z2]",
        id="one-endog-two-fe",
    ),
]
LM_COVS = [
    pytest.param("iid", "unadjusted", id="iid"),
    pytest.param("hetero", "robust", id="hetero"),
    pytest.param({"CRV1": "f2"}, "clustered", id="CRV1"),
]


def _linearmodels(
    formula: str, frame: pd.DataFrame, cov_type: str, weights: bool = False
) -> object:
    model = linearmodels_iv.IV2SLS.from_formula(
        formula, frame, weights=frame["weights"] if weights else None
    )
    kwargs = {"clusters": frame["f2"]} if cov_type == "clustered" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(cov_type=cov_type, debiased=True, **kwargs)


@pytest.mark.parametrize(("formula", "lm_formula"), LINEARMODELS_CASES)
@pytest.mark.parametrize(("vcov", "cov_type"), LM_COVS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_params_and_cov_match_linearmodels(
    data: pd.DataFrame, formula: str, lm_formula: str, vcov: object, cov_type: str, weighted: bool
) -> None:
    expected = _linearmodels(lm_formula, data, cov_type, weighted)
    model = (
        ts.wls(formula, data, weights=data["weights"], fixef_rm="none")
        if weighted
        else ts.ols(formula, data, fixef_rm="none")
    )
    result = model.fit(vcov=vcov)
    names = list(result.params.index)
    _close(result.params, expected.params[names])
    _close(result.cov_params(), expected.cov.loc[names, names])
    _close(result.rsquared, expected.rsquared)


@pytest.mark.parametrize(("formula", "lm_formula"), LINEARMODELS_CASES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_wu_hausman_matches_linearmodels(
    data: pd.DataFrame, formula: str, lm_formula: str, weighted: bool
) -> None:
    expected = _linearmodels(lm_formula, data, "unadjusted", weighted).wu_hausman()
    model = (
        ts.wls(formula, data, weights=data["weights"], fixef_rm="none")
        if weighted
        else ts.ols(formula, data, fixef_rm="none")
    )
    result = model.fit(vcov="hetero").wu_hausman()
    _close(result.stat, expected.stat)
    _close(result.pval, expected.pval, rtol=1e-7)
    assert (result.df, result.df_denom) == (expected.df, expected.df_denom)
    assert result.dist_name == expected.dist_name


@pytest.mark.parametrize(("formula", "lm_formula"), LINEARMODELS_CASES[1:3])
def test_wu_hausman_of_one_variable_matches_linearmodels(
    data: pd.DataFrame, formula: str, lm_formula: str
) -> None:
    expected = _linearmodels(lm_formula, data, "unadjusted").wu_hausman(["X3"])
    result = ts.ols(formula, data, fixef_rm="none").fit().wu_hausman("X3")
    _close(result.stat, expected.stat)
    assert (result.df, result.df_denom) == (expected.df, expected.df_denom)


@pytest.mark.parametrize(("formula", "lm_formula"), LINEARMODELS_CASES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_sargan_matches_linearmodels(
    data: pd.DataFrame, formula: str, lm_formula: str, weighted: bool
) -> None:
    expected = _linearmodels(lm_formula, data, "unadjusted", weighted).sargan
    model = (
        ts.wls(formula, data, weights=data["weights"], fixef_rm="none")
        if weighted
        else ts.ols(formula, data, fixef_rm="none")
    )
    result = model.fit().sargan
    _close(result.stat, expected.stat)
    _close(result.pval, expected.pval, rtol=1e-7)
    assert result.df == expected.df
    assert result.dist_name == expected.dist_name


@pytest.mark.parametrize(("formula", "lm_formula"), LINEARMODELS_CASES[:3])
@pytest.mark.parametrize(("vcov", "cov_type"), LM_COVS)
def test_first_stage_diagnostics_match_linearmodels(
    data: pd.DataFrame, formula: str, lm_formula: str, vcov: object, cov_type: str
) -> None:
    """linearmodels' ``f.stat`` is the Wald statistic over ``q`` for the unadjusted
    covariance and the Wald statistic itself otherwise."""
    expected = _linearmodels(lm_formula, data, cov_type).first_stage.diagnostics
    result = ts.ols(formula, data, fixef_rm="none").fit(vcov=vcov)
    table = result.first_stage_summary()
    _close(table["partial.rsquared"], expected.loc[table.index, "partial.rsquared"])
    q = table["f.df_num"] if cov_type != "unadjusted" else 1.0
    _close(table["f.stat"] * q, expected.loc[table.index, "f.stat"])


@pytest.mark.parametrize(("formula", "lm_formula"), LINEARMODELS_CASES[:3])
@pytest.mark.parametrize(("vcov", "cov_type"), LM_COVS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_kleibergen_paap_matches_linearmodels(
    data: pd.DataFrame, formula: str, lm_formula: str, vcov: object, cov_type: str, weighted: bool
) -> None:
    """rk Wald F and rk LM with the fit's covariance (Cragg-Donald's F and Anderson's LM
    for ``"iid"``); linearmodels' ``debiased`` does not enter them."""
    expected = _linearmodels(lm_formula, data, cov_type, weighted).first_stage
    model = (
        ts.wls(formula, data, weights=data["weights"], fixef_rm="none")
        if weighted
        else ts.ols(formula, data, fixef_rm="none")
    )
    result = model.fit(vcov=vcov)
    _close(result.kleibergen_paap_f, expected.kleibergen_paap_f)
    _close(result.kleibergen_paap.stat, expected.kleibergen_paap.stat)
    _close(result.kleibergen_paap.pval, expected.kleibergen_paap.pval, rtol=1e-7)
    assert result.kleibergen_paap.df == expected.kleibergen_paap.df


# --- properties -----------------------------------------------------------------------------------


def test_instrumenting_a_regressor_by_itself_is_ols(data: pd.DataFrame) -> None:
    iv = ts.ols("Y ~ X2 | f1 | X1 ~ X1", data).fit(vcov="hetero")
    ols = ts.ols("Y ~ X2 + X1 | f1", data).fit(vcov="hetero")
    _close(iv.params, ols.params[iv.params.index])
    _close(iv.bse, ols.bse[iv.params.index])


def test_unit_weights_change_nothing(data: pd.DataFrame) -> None:
    formula = "Y ~ X2 | f1 | X1 ~ Z1 + Z2"
    plain = ts.ols(formula, data).fit(vcov={"CRV1": "f2"})
    weighted = ts.wls(formula, data, weights=np.ones(len(data))).fit(vcov={"CRV1": "f2"})
    _close(weighted.params, plain.params, rtol=1e-12)
    _close(weighted.bse, plain.bse, rtol=1e-12)


def test_row_order_does_not_matter(data: pd.DataFrame) -> None:
    formula = "Y ~ X2 | f1 + f3 | X1 ~ Z1 + Z2"
    shuffled = data.sample(frac=1.0, random_state=3)
    first = ts.ols(formula, data).fit(vcov="hetero")
    second = ts.ols(formula, shuffled).fit(vcov="hetero")
    _close(second.params, first.params, rtol=1e-10)
    _close(second.bse, first.bse, rtol=1e-10)
    _close(second.sargan.stat, first.sargan.stat, rtol=1e-8)


def test_fitted_values_add_up_to_the_response(data: pd.DataFrame) -> None:
    result = ts.ols("Y ~ X2 | f1 + f3 | X1 ~ Z1", data).fit()
    _close(result.fittedvalues + result.resid, data["Y"].loc[result.resid.index], rtol=1e-10)
    effects = result.fixef()
    assert set(effects) == {"f1", "f3"}
    assert effects["f3"].iloc[0] == 0.0


@pytest.mark.parametrize("device", DEVICES)
def test_devices_agree(data: pd.DataFrame, device: str) -> None:
    formula = "Y ~ X2 | f1 + f3 | X1 ~ Z1 + Z2"
    expected = _pyfixest(formula, data, {"CRV1": "f2"})
    result = ts.ols(formula, data, device=device).fit(vcov={"CRV1": "f2"})
    _close(result.params, expected.coef())
    _close(result.bse, expected.se())
    assert result.first_stage["X1"].fvalue > 0


def test_summary_and_tidy_name_the_instruments(data: pd.DataFrame) -> None:
    result = ts.ols("Y ~ X2 | f1 | X1 ~ Z1 + Z2", data).fit(vcov={"CRV1": "f2"})
    text = result.summary()
    assert text.startswith("Estimation: IV (2SLS)")
    assert "instruments: Z1, Z2" in text and "First stage X1: F = " in text
    assert list(result.tidy().index) == ["X2", "X1"]
    assert result.fixef_names == ("f1",)
    assert result.vcov("iid").cov_type == "iid"


@pytest.mark.parametrize(("formula", "lm_formula"), LINEARMODELS_CASES[:3])
def test_predictions_match_linearmodels(data: pd.DataFrame, formula: str, lm_formula: str) -> None:
    """New rows' predictions use their endogenous regressors' values, as linearmodels."""
    result = ts.ols(formula, data, fixef_rm="none").fit()
    expected = _linearmodels(lm_formula, data, "unadjusted")
    new = data.iloc[::7]
    _close(result.predict(new), expected.predict(data=new)["predictions"])
    _close(result.predict(), expected.fitted_values["fitted_values"], rtol=1e-10)


def test_other_covariances_share_the_fit(data: pd.DataFrame) -> None:
    """``vcov()`` and statsmodels' ``get_robustcov_results`` give what ``fit`` gives, and
    the first stage follows the new covariance."""
    formula = "Y ~ X2 | f1 | X1 ~ Z1 + Z2"
    clustered = ts.ols(formula, data).fit(vcov={"CRV1": "f2"})
    base = ts.ols(formula, data).fit()
    for other in (base.vcov({"CRV1": "f2"}), base.get_robustcov_results("cluster", groups="f2")):
        _close(other.bse, clustered.bse, rtol=1e-12)
        _close(other.first_stage["X1"].fvalue, clustered.first_stage["X1"].fvalue, rtol=1e-12)
        assert other.first_stage["X1"].fvalue != base.first_stage["X1"].fvalue


def test_collinear_instrument_is_dropped(data: pd.DataFrame) -> None:
    frame = data.assign(Z4=2 * data["Z1"])
    with pytest.warns(CollinearityWarning, match="Z4"):
        model = ts.ols("Y ~ X2 | f1 | X1 ~ Z1 + Z4 + Z2", frame)
    assert model.instrument_names == ("Z1", "Z2")
    _close(model.fit().params, ts.ols("Y ~ X2 | f1 | X1 ~ Z1 + Z2", frame).fit().params)


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("vcov", ["HC2", "HC3", {"CRV3": "f2"}])
def test_refuses_covariances_pyfixest_refuses(data: pd.DataFrame, vcov: object) -> None:
    with pytest.raises(InvalidOptionError, match="not available for instrumental"):
        ts.ols("Y ~ X2 | f1 | X1 ~ Z1", data).fit(vcov=vcov)


def test_too_few_instruments(data: pd.DataFrame) -> None:
    with pytest.raises(DesignError, match="at least as many excluded instruments"):
        ts.ols("Y ~ X2 | f1 | X1 + X3 ~ Z1", data)


def test_instrument_collinear_with_the_effects_leaves_too_few(data: pd.DataFrame) -> None:
    frame = data.assign(Zf=data["f1"].astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CollinearityWarning)
        with pytest.raises(DesignError, match="0 independent instrument"):
            ts.ols("Y ~ X2 | f1 | X1 ~ Zf", frame)


def test_endogenous_regressor_listed_as_exogenous(data: pd.DataFrame) -> None:
    with pytest.raises(DesignError, match="both exogenous regressors and endogenous"):
        ts.ols("Y ~ X1 + X2 | f1 | X1 ~ Z1", data)


def test_sargan_of_an_exactly_identified_model(data: pd.DataFrame) -> None:
    with pytest.raises(DesignError, match="exactly identified"):
        _ = ts.ols("Y ~ X2 | f1 | X1 ~ Z1", data).fit().sargan


def test_kleibergen_paap_refuses_two_way_clustering(data: pd.DataFrame) -> None:
    result = ts.ols("Y ~ X2 | f1 | X1 ~ Z1", data).fit(vcov={"CRV1": "f2+group_id"})
    with pytest.raises(InvalidOptionError, match="one-way clustering only"):
        _ = result.kleibergen_paap_f


def test_wu_hausman_of_an_unknown_variable(data: pd.DataFrame) -> None:
    with pytest.raises(InvalidOptionError, match="endogenous regressors"):
        ts.ols("Y ~ X2 | f1 | X1 ~ Z1", data).fit().wu_hausman("X2")


def test_prediction_for_an_unseen_level_is_nan(data: pd.DataFrame) -> None:
    result = ts.ols("Y ~ X2 | f1 | X1 ~ Z1", data).fit()
    new = data.head(2).assign(f1=[data["f1"].iloc[0], 999.0])
    prediction = result.predict(new)
    assert np.isfinite(prediction.iloc[0]) and np.isnan(prediction.iloc[1])


def test_clustered_first_stage_f_pvalue_uses_the_residual_degrees_of_freedom() -> None:
    """fixest's ivwald1: F(q, N - K) under clustering too (it took the t tests' G - 1:
    p 0.0092 where fixest gives 3.8e-4 with 8 clusters)."""
    from scipy import stats

    rng = np.random.default_rng(2)
    n = 1500
    frame = pd.DataFrame({"g": rng.integers(0, 8, n), "f": rng.integers(0, 30, n)})
    frame["z"] = rng.normal(size=n)
    frame["x"] = rng.normal(size=n)
    frame["d"] = 0.1 * frame.z + rng.normal(size=n)
    frame["y"] = frame.d + frame.x + rng.normal(size=n)
    clustered = ts.ols("y ~ x | f | d ~ z", frame).fit(vcov={"CRV1": "g"}).first_stage["d"]
    iid = ts.ols("y ~ x | f | d ~ z", frame).fit(vcov="iid").first_stage["d"]
    assert clustered.df_denom == iid.df_denom == n - 2 - 30  # z, x and 30 effect levels
    expected = stats.f.sf(clustered.fvalue, 1, clustered.df_denom)
    np.testing.assert_allclose(clustered.f_pvalue, expected, rtol=1e-12)
