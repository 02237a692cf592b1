"""OLS and WLS with absorbed effects against pyfixest's feols (coefficients, standard errors
under every covariance and small-sample correction, degrees of freedom, R-squared)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import torchstats as ts
from tests.fixed_effects.data import panel, pyfixest_data, singletons_left_by_clusters
from torchstats.errors import MissingDataError

pf = pytest.importorskip("pyfixest")

PYFIXEST_FORMULAS = [
    "Y ~ X1 | f1",
    "Y ~ X1 + X2 | f1 + f2",
    "Y ~ X1 | f1 + f2 + f3",
    "Y ~ X1 + X2 | f1^f2",
    "Y2 ~ X1 + C(f3) | f1",
    "Y ~ X1 + X2 + I(X2 ** 2) | f2 + f3",
    "Y ~ X1:X2 + X2 | f1",
]
PANEL_FORMULAS = [
    "y ~ x1 + x2 | worker",
    "y ~ x1 + x2 | worker + firm",
    "y ~ x1 + x2 | worker + firm + year",
    "y ~ x1 | firm^year + worker",
]
VCOVS = ["iid", "hetero", {"CRV1": "f1"}, {"CRV1": "f2"}, {"CRV1": "f1+f2"}, {"CRV3": "f1"}]
PANEL_VCOVS = ["iid", "hetero", {"CRV1": "firm"}, {"CRV1": "worker+year"}, {"CRV1": "state"}]


def _pyfixest(formula: str, data: pd.DataFrame, **kwargs: object) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest's deprecation of fixef_tol
        return pf.feols(formula, data, fixef_tol=1e-13, **kwargs)


def _assert_same(ours: Any, theirs: Any, rtol: float) -> None:
    names = list(theirs.coef().index)
    # the same coefficients; torchstats orders terms as statsmodels (factors first)
    assert sorted(ours.params.index) == sorted(names)
    np.testing.assert_allclose(ours.params[names], theirs.coef(), rtol=rtol, atol=1e-13)
    np.testing.assert_allclose(ours.bse[names], theirs.se(), rtol=rtol)
    assert ours.nobs == theirs._N
    assert ours.df_inference == pytest.approx(theirs._df_t)
    # pyfixest's p-values are 1 - cdf (no digits below 1e-16); ours use the survival function
    np.testing.assert_allclose(ours.pvalues[names], theirs.pvalue(), rtol=1e-8, atol=1e-14)
    interval = theirs.confint()
    bounds = ours.conf_int().loc[names].to_numpy()
    np.testing.assert_allclose(bounds, interval.to_numpy(), rtol=rtol)
    assert ours.rsquared == pytest.approx(theirs._r2, rel=1e-10)
    assert ours.rsquared_within == pytest.approx(theirs._r2_within, rel=1e-10)
    assert ours.rsquared_adj == pytest.approx(theirs._adj_r2, rel=1e-10)


@pytest.mark.parametrize("formula", PYFIXEST_FORMULAS)
@pytest.mark.parametrize("vcov", VCOVS, ids=str)
@pytest.mark.parametrize("seed", [1, 2])
def test_pyfixest_data(formula: str, vcov: object, seed: int) -> None:
    data = pyfixest_data(seed)
    model = ts.ols(formula, data)
    try:
        theirs = _pyfixest(formula, data, vcov=vcov)
    except pf.errors.NanInClusterVarError:
        # both refuse clusters with missing labels among the rows used
        with pytest.raises(MissingDataError, match="cluster column"):
            model.fit(vcov=vcov)
        return
    _assert_same(model.fit(vcov=vcov), theirs, rtol=1e-8)


@pytest.mark.parametrize("formula", PANEL_FORMULAS)
@pytest.mark.parametrize("vcov", PANEL_VCOVS, ids=str)
def test_panel_with_correlated_effects(formula: str, vcov: object) -> None:
    data = panel(0)
    ours = ts.ols(formula, data).fit(vcov=vcov)
    _assert_same(ours, _pyfixest(formula, data, vcov=vcov), rtol=1e-8)


@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "f1"}, {"CRV1": "f1+f3"}], ids=str)
@pytest.mark.parametrize("formula", ["Y ~ X1 + X2 | f1 + f2", "Y ~ X1 | f3"])
def test_weights(formula: str, vcov: object) -> None:
    data = pyfixest_data(4).dropna(subset=["f1"])
    ours = ts.wls(formula, data, weights="weights").fit(vcov=vcov)
    _assert_same(ours, _pyfixest(formula, data, vcov=vcov, weights="weights"), rtol=1e-8)
    by_array = ts.wls(formula, data, weights=data["weights"].to_numpy()).fit(vcov=vcov)
    np.testing.assert_allclose(by_array.bse, ours.bse, rtol=1e-13)


@pytest.mark.parametrize(
    ("formula", "weights"),
    [
        ("Y ~ X1 + X2 | f1 + f2", None),
        ("Y ~ X1 | f1 + f2 + f3", "weights"),
        ("Y ~ X1 + X2 | 0", None),
        ("Y ~ 1 | f1 + f2", None),
    ],
)
def test_in_sample_predictions(formula: str, weights: str | None) -> None:
    data = pyfixest_data(3)
    model = ts.ols(formula, data) if weights is None else ts.wls(formula, data, weights=weights)
    ours = model.fit().predict()
    theirs = _pyfixest(formula, data, weights=weights).predict()
    # pyfixest recovers the effects anew (fixef) for its predictions: a scale-wide tolerance
    scale = float(np.abs(theirs).max())
    np.testing.assert_allclose(ours.to_numpy(), theirs, rtol=0, atol=1e-10 * scale)


SSC = [
    {"k_adj": False},
    {"k_fixef": "full"},
    {"k_fixef": "none"},
    {"G_adj": False},
    {"G_df": "conventional"},
    {"k_adj": False, "G_adj": False, "k_fixef": "none"},
]


@pytest.mark.parametrize("ssc", SSC, ids=str)
@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "f1"}, {"CRV1": "f1+f2"}], ids=str)
def test_small_sample_corrections(ssc: dict[str, object], vcov: object) -> None:
    data = pyfixest_data(5)
    formula = "Y ~ X1 + X2 | f1 + f2"
    ours = ts.ols(formula, data).fit(vcov=vcov, ssc=ssc)
    _assert_same(ours, _pyfixest(formula, data, vcov=vcov, ssc=pf.ssc(**ssc)), rtol=1e-8)


def test_fixest_names_of_the_corrections() -> None:
    data = pyfixest_data(5)
    model = ts.ols("Y ~ X1 + X2 | f1 + f2", data)
    fixest_names = {"adj": False, "fixef_K": "nested", "cluster_df": "min"}
    pyfixest_names = {"k_adj": False, "k_fixef": "nonnested", "G_df": "min"}
    fixest = model.fit(vcov={"CRV1": "f2"}, ssc=fixest_names)
    pyfixest = model.fit(vcov={"CRV1": "f2"}, ssc=pyfixest_names)
    np.testing.assert_array_equal(fixest.bse, pyfixest.bse)


def test_singletons_are_dropped_and_counted_as_pyfixest() -> None:
    data = panel(1, n=800, workers=400)  # two rows per worker on average: many singletons
    ours = ts.ols("y ~ x1 + x2 | worker + firm", data).fit()
    theirs = _pyfixest("y ~ x1 + x2 | worker + firm", data)
    assert ours.n_singletons > 0
    _assert_same(ours, theirs, rtol=1e-8)
    kept = ts.ols("y ~ x1 + x2 | worker + firm", data, fixef_rm="none").fit()
    assert kept.n_singletons == 0 and kept.nobs == len(data)
    _assert_same(kept, _pyfixest("y ~ x1 + x2 | worker + firm", data, fixef_rm="none"), rtol=1e-8)


@pytest.mark.parametrize("fixef_rm", ["singleton", "none"])
def test_crv3_refits_drop_singletons_as_pyfixest(fixef_rm: str) -> None:
    # pyfixest's CRV3 refits call feols without fixef_rm: singletons dropped whatever the
    # model's option (the coefficients are the same either way, to rounding)
    data = singletons_left_by_clusters(1)
    pairs = data.groupby("f1")["g"].agg(["size", "nunique"])
    assert ((pairs["size"] == 2) & (pairs["nunique"] == 2)).sum() > 20
    formula = "y ~ x1 + x2 | f1 + f2"
    ours = ts.ols(formula, data, fixef_rm=fixef_rm).fit(vcov={"CRV3": "g"})
    theirs = _pyfixest(formula, data, vcov={"CRV3": "g"}, fixef_rm=fixef_rm)
    assert (ours.n_singletons > 0) == (fixef_rm == "singleton")
    _assert_same(ours, theirs, rtol=1e-8)


def test_statsmodels_cov_type_names() -> None:
    data = pyfixest_data(6)
    model = ts.ols("Y ~ X1 + X2 | f1 + f2", data)
    pairs = [
        (dict(cov_type="nonrobust"), dict(vcov="iid")),
        (dict(cov_type="HC1"), dict(vcov="hetero")),
        (dict(cov_type="cluster", cov_kwds={"groups": "f1"}), dict(vcov={"CRV1": "f1"})),
    ]
    for statsmodels_names, pyfixest_names in pairs:
        np.testing.assert_array_equal(
            model.fit(**statsmodels_names).bse, model.fit(**pyfixest_names).bse
        )
    robust = model.fit().get_robustcov_results("cluster", groups="f2")
    np.testing.assert_array_equal(robust.bse, model.fit(vcov={"CRV1": "f2"}).bse)
    again = model.fit().vcov({"CRV1": "f2"})
    np.testing.assert_array_equal(again.bse, robust.bse)


@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "cl"}], ids=str)
@pytest.mark.parametrize("model", ["wls", "poisson"])
def test_rows_of_zero_weight_are_removed_as_fixest_removes_them(model: str, vcov: Any) -> None:
    """A tenth of the weights zero: the same coefficients either way, but counted in N the
    zero-weight rows shrank the small-sample corrections (iid SEs 5.4% too small)."""
    rng = np.random.default_rng(1)
    n = 3000
    data = pd.DataFrame(
        {
            "f1": rng.integers(0, 100, n),
            "f2": rng.integers(0, 40, n),
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
        }
    )
    data["cl"] = data["f1"] // 10
    data["y"] = data["x1"] + 0.5 * data["x2"] + np.sin(data["f1"]) + rng.normal(size=n)
    data["yc"] = rng.poisson(np.exp(0.3 * data["x1"] + 0.2 * np.sin(data["f1"])))
    data["w"] = rng.random(n)
    data.loc[:300, "w"] = 0.0
    formula = ("y" if model == "wls" else "yc") + " ~ x1 + x2 | f1 + f2"
    # both to full precision: each takes the covariance at the weights its last iteration
    # started from (fixest's, R's rule), so at the default glm_tol 1e-8 their standard
    # errors differ by as much as that iterate differs from the estimate (here 2e-5)
    if model == "wls":
        ours = ts.wls(formula, data, weights="w").fit(vcov)
        theirs = pf.feols(formula, data[data["w"] > 0], weights="w", vcov=vcov, fixef_tol=1e-13)
    else:
        ours = ts.poisson(formula, data, weights="w", fixef_tol=1e-14, glm_tol=1e-14).fit(vcov)
        theirs = pf.fepois(
            formula, data[data["w"] > 0], weights="w", vcov=vcov, fixef_tol=1e-13, iwls_tol=1e-13
        )
    assert ours.nobs == theirs._N == int((data["w"] > 0).sum())
    np.testing.assert_allclose(ours.params, theirs.coef(), rtol=1e-8)
    np.testing.assert_allclose(ours.bse, theirs.se(), rtol=1e-7)


@pytest.mark.parametrize("model", ["ols", "poisson", "iv", "negbin"])
def test_vcov_after_the_fit_keeps_its_small_sample_corrections(model: str) -> None:
    """As pyfixest's ``.vcov``: the fit's ``ssc`` stays unless another is given (it fell
    back to the defaults: standard errors 13-14% off)."""
    rng = np.random.default_rng(0)
    n = 800
    frame = pd.DataFrame(
        {"f": rng.integers(0, 200, n), "g": rng.integers(0, 20, n), "x": rng.normal(size=n)}
    )
    frame["z"] = rng.normal(size=n)
    frame["d"] = frame.z + rng.normal(size=n)
    frame["y"] = 0.5 * frame.x + rng.normal(size=n) * (1 + frame.x.abs()) + (frame.f % 3)
    frame["c"] = rng.poisson(np.exp(0.3 * frame.x))
    build = {
        "ols": lambda: ts.ols("y ~ x | f", frame),
        "poisson": lambda: ts.poisson("c ~ x | f", frame),
        "iv": lambda: ts.ols("y ~ x | f | d ~ z", frame),
        "negbin": lambda: ts.negativebinomial("c ~ x | f", frame),
    }[model]
    ssc = {"k_adj": False, "k_fixef": "none"}
    later = build().fit(vcov="iid", ssc=ssc).vcov({"CRV1": "g"})
    direct = build().fit(vcov={"CRV1": "g"}, ssc=ssc)
    np.testing.assert_allclose(later.bse, direct.bse, rtol=1e-12)
    default = build().fit(vcov={"CRV1": "g"})
    overridden = build().fit(vcov="iid", ssc=ssc).vcov({"CRV1": "g"}, ssc={})
    np.testing.assert_allclose(overridden.bse, default.bse, rtol=1e-12)
    if model in ("ols", "poisson"):
        pyfixest = pytest.importorskip("pyfixest")
        fit = pyfixest.feols if model == "ols" else pyfixest.fepois
        formula = "y ~ x | f" if model == "ols" else "c ~ x | f"
        theirs = fit(formula, frame, vcov="iid", ssc=pyfixest.ssc(**ssc)).vcov({"CRV1": "g"})
        tolerance = 1e-10 if model == "ols" else 1e-6
        np.testing.assert_allclose(later.bse, theirs.se(), rtol=tolerance)


def test_multiple_results_vcov_keeps_each_fits_small_sample_corrections() -> None:
    rng = np.random.default_rng(0)
    n = 800
    frame = pd.DataFrame(
        {"f": rng.integers(0, 200, n), "g": rng.integers(0, 20, n), "x": rng.normal(size=n)}
    )
    frame["y"] = 0.5 * frame.x + rng.normal(size=n) + (frame.f % 3)
    ssc = {"k_adj": False, "k_fixef": "none"}
    later = ts.ols("y ~ x | sw(f, g)", frame).fit(vcov="iid", ssc=ssc).vcov({"CRV1": "g"})
    for fit, formula in zip(later.to_list(), ["y ~ x | f", "y ~ x | g"], strict=True):
        direct = ts.ols(formula, frame).fit(vcov={"CRV1": "g"}, ssc=ssc)
        np.testing.assert_allclose(fit.bse, direct.bse, rtol=1e-12)


@pytest.mark.parametrize("model", ["ols", "poisson"])
def test_statsmodels_hc0_with_effects_has_no_small_sample_factor(model: str) -> None:
    """statsmodels' HC0 is the plain sandwich; it was fixest's "hetero" (HC1's factor,
    13.8% larger with 150 effect levels in 600 rows)."""
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(3)
    n = 600
    frame = pd.DataFrame({"f": rng.integers(0, 150, n), "x": rng.normal(size=n)})
    frame["y"] = frame.x + rng.normal(size=n) * (1 + frame.x.abs()) + 0.1 * frame.f
    frame["c"] = rng.poisson(np.exp(0.3 * frame.x))
    if model == "ols":
        ours = ts.ols("y ~ x | f", frame).fit(cov_type="HC0")
        theirs = smf.ols("y ~ x + C(f)", frame).fit(cov_type="HC0")
        tolerance = 1e-10
    else:
        ours = ts.poisson("c ~ x | f", frame, fixef_rm="none").fit(cov_type="HC0")
        theirs = smf.poisson("c ~ x + C(f)", frame).fit(cov_type="HC0", disp=0, method="newton")
        tolerance = 1e-6
    np.testing.assert_allclose(ours.bse["x"], theirs.bse["x"], rtol=tolerance)
