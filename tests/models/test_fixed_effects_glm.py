"""GLMs with absorbed fixed effects against pyfixest, the dummy-variable GLM and oracles.

pyfixest 0.60's ``fepois`` and ``feglm`` are the reference where they exist (Poisson,
logit, probit, Gaussian), fitted with tight tolerances; both sides start IRLS from the
same values and stop on the same deviance rule, so the covariances (taken at the last
iteration, as fixest) agree too. Families pyfixest lacks are checked against statsmodels'
GLM with the effects as dummies, which by Frisch-Waugh-Lovell has the same coefficients
and the same expected-information covariance block; the fits there use ``glm_tol=1e-15``
so that the last iteration's weights are those of the estimate.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import torchstats as ts
from tests.conftest import DEVICES
from torchstats.errors import (
    CollinearityWarning,
    ConvergenceWarning,
    InvalidOptionError,
)
from torchstats.families import links
from torchstats.models.fixed_effects_glm import FixedEffectsGLM
from torchstats.models.fixed_effects_negbin import FixedEffectsNegativeBinomial
from torchstats.models.multiple import MultipleEstimation

pf = pytest.importorskip("pyfixest", reason="pyfixest is the reference for fepois/feglm")

FIXEF_TOL = 1e-13
IWLS_TOL = 1e-10
RTOL = 1e-8


def simulated(seed: int, n: int = 2000) -> pd.DataFrame:
    """Counts, binary and Gaussian outcomes on three crossed effects and a cluster."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "f1": rng.integers(0, 30, n),
            "f2": rng.integers(0, 12, n),
            "f3": rng.choice(["a", "b", "c", "d"], n),
            "g": rng.integers(0, 40, n),
            "w": rng.uniform(0.5, 2.0, n),
            "t": rng.uniform(0.5, 2.0, n),
        }
    )
    eta = (
        0.4 * frame.x1
        - 0.3 * frame.x2
        + 0.5 * rng.normal(size=30)[frame.f1]
        + 0.5 * rng.normal(size=12)[frame.f2]
    )
    frame["yc"] = rng.poisson(np.exp(eta)).astype(float)
    frame["yb"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    frame["yg"] = 1.0 + eta + rng.normal(size=n)
    frame["ygam"] = rng.gamma(2.0, np.exp(eta) / 2.0)
    frame["ynb"] = rng.negative_binomial(2, 2 / (2 + np.exp(eta) * frame.t)).astype(float)
    return frame


@cache
def data(name: str) -> pd.DataFrame:
    if name == "fepois":
        return pf.get_data(model="Fepois")
    return simulated(int(name.removeprefix("sim")))


# (pyfixest family, data, formula, two cluster columns)
PYFIXEST_CASES = {
    "fepois-f1": ("poisson", "fepois", "Y ~ X1 + X2 | f1", ("f1", "f2")),
    "fepois-f1+f2": ("poisson", "fepois", "Y ~ X1 + X2 | f1 + f2", ("f1", "f2")),
    "fepois-f1^f2": ("poisson", "fepois", "Y ~ X1 + X2 | f1^f2", ("f1", "f2")),
    "pois-3fe": ("poisson", "sim0", "yc ~ x1 + x2 | f1 + f2 + f3", ("g", "f1")),
    "logit-f1": ("logit", "sim1", "yb ~ x1 + x2 | f1", ("g", "f2")),
    "logit-2fe": ("logit", "sim2", "yb ~ x1 + x2 | f1 + f2", ("g", "f1")),
    "probit-3fe": ("probit", "sim3", "yb ~ x1 + x2 | f1 + f2 + f3", ("g", "f1")),
    "gaussian-2fe": ("gaussian", "sim4", "yg ~ x1 + x2 | f1 + f2", ("g", "f1")),
    "pois-offset": ("poisson", "sim5", "ynb ~ x1 + x2 | f1 + f2", ("g", "f1")),
    "pois-singletons-kept": ("poisson", "fepois", "Y ~ X1 + X2 | f1 + f2", ("f1", "f2")),
}
# extra options, the same on both sides
_OPTIONS: dict[str, dict[str, Any]] = {
    "pois-offset": {"offset": "log_t"},
    "pois-singletons-kept": {"fixef_rm": "none"},
}
_FAMILIES: dict[str, Callable[[], ts.families.Family]] = {
    "poisson": ts.families.Poisson,
    "logit": ts.families.Binomial,
    "probit": lambda: ts.families.Binomial(links.Probit()),
    "gaussian": ts.families.Gaussian,
}


@cache
def pyfixest_pair(case: str, vcov_key: str) -> tuple[Any, Any]:
    """(torchstats results, pyfixest fit) for a case and a covariance."""
    family, name, formula, clusters = PYFIXEST_CASES[case]
    vcov: Any = {
        "iid": "iid",
        "hetero": "hetero",
        "crv1": {"CRV1": clusters[0]},
        "crv1-twoway": {"CRV1": "+".join(clusters)},
    }[vcov_key]
    frame = data(name).assign(log_t=lambda d: np.log(d["t"]) if "t" in d else 0.0)
    options = _OPTIONS.get(case, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "poisson":
            ref = pf.fepois(
                formula, frame, vcov=vcov, fixef_tol=FIXEF_TOL, iwls_tol=IWLS_TOL, **options
            )
        else:
            ref = pf.feglm(
                formula, frame, family=family, vcov=vcov, fixef_tol=FIXEF_TOL, iwls_tol=IWLS_TOL
            )
        model = FixedEffectsGLM(
            formula, frame, _FAMILIES[family](), fixef_tol=FIXEF_TOL, glm_tol=IWLS_TOL, **options
        )
        res = model.fit(vcov=vcov)
    return res, ref


def _values(series: Any) -> np.ndarray:
    return np.asarray(series, dtype=float)


@pytest.mark.parametrize("case", list(PYFIXEST_CASES))
def test_params_match_pyfixest(case: str) -> None:
    res, ref = pyfixest_pair(case, "iid")
    assert list(res.params.index) == list(ref.coef().index)
    np.testing.assert_allclose(_values(res.params), _values(ref.coef()), rtol=RTOL)


@pytest.mark.parametrize("case", list(PYFIXEST_CASES))
def test_nobs_and_deviance_match_pyfixest(case: str) -> None:
    res, ref = pyfixest_pair(case, "iid")
    assert res.nobs == ref._N
    np.testing.assert_allclose(res.deviance, float(ref.deviance), rtol=RTOL)


@pytest.mark.parametrize("vcov", ["iid", "hetero", "crv1", "crv1-twoway"])
@pytest.mark.parametrize("case", list(PYFIXEST_CASES))
def test_standard_errors_match_pyfixest(case: str, vcov: str) -> None:
    if vcov == "iid" and PYFIXEST_CASES[case][0] == "gaussian":
        pytest.skip(
            "pyfixest's Gaussian feglm leaves the dispersion out of its iid covariance; "
            "test_dispersion_families_match_dummy_glm checks ours against statsmodels"
        )
    res, ref = pyfixest_pair(case, vcov)
    np.testing.assert_allclose(_values(res.bse), _values(ref.se()), rtol=RTOL)


@pytest.mark.parametrize("case", ["fepois-f1+f2", "logit-2fe", "probit-3fe"])
def test_pvalues_and_intervals_are_normal_as_pyfixest(case: str) -> None:
    res, ref = pyfixest_pair(case, "hetero")
    # pyfixest's 2 * (1 - cdf(|z|)) keeps only an absolute precision of about 1e-16
    np.testing.assert_allclose(_values(res.pvalues), _values(ref.pvalue()), rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(res.confint().to_numpy(), ref.confint().to_numpy(), rtol=RTOL)


def test_poisson_loglikelihood_matches_pyfixest() -> None:
    res, ref = pyfixest_pair("pois-3fe", "iid")
    np.testing.assert_allclose(res.llf, float(ref._loglik), rtol=RTOL)


@pytest.mark.parametrize("vcov", ["iid", "hetero", "crv1"])
def test_weighted_poisson_matches_pyfixest(vcov: str) -> None:
    """Coefficients and deviance to 1e-8; the standard errors to 1e-5 only: pyfixest stops
    on the unweighted deviance, torchstats (as fixest) on the weighted one, and the two
    rules can end at different iterations, whose weights the covariance is taken at.
    ``weighted-poisson`` in the dummy-variable cases checks them to 1e-8."""
    frame = data("sim5")
    spec: Any = {"iid": "iid", "hetero": "hetero", "crv1": {"CRV1": "g"}}[vcov]
    formula = "yc ~ x1 + x2 | f1 + f2"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.fepois(formula, frame, weights="w", vcov=spec, fixef_tol=FIXEF_TOL, iwls_tol=1e-8)
    res = ts.poisson(formula, frame, weights="w", fixef_tol=FIXEF_TOL, glm_tol=1e-8).fit(spec)
    np.testing.assert_allclose(_values(res.params), _values(ref.coef()), rtol=RTOL)
    np.testing.assert_allclose(_values(res.bse), _values(ref.se()), rtol=1e-5)
    np.testing.assert_allclose(res.deviance, float(ref.deviance), rtol=RTOL)


# --- families pyfixest lacks: the effects as dummies -------------------------------------------

DUMMY_CASES = {
    "gamma-log": (
        "ygam",
        ts.families.Gamma(links.Log()),
        sm.families.Gamma(sm.families.links.Log()),
    ),
    "logit": ("yb", ts.families.Binomial(), sm.families.Binomial()),
    "invgauss-log": (
        "ygam",
        ts.families.InverseGaussian(links.Log()),
        sm.families.InverseGaussian(sm.families.links.Log()),
    ),
    "negbin": (
        "ynb",
        ts.families.NegativeBinomial(alpha=0.5),
        sm.families.NegativeBinomial(alpha=0.5),
    ),
    "poisson-exposure": ("ynb", ts.families.Poisson(), sm.families.Poisson()),
    "gaussian": ("yg", ts.families.Gaussian(), sm.families.Gaussian()),
    "probit": (
        "yb",
        ts.families.Binomial(links.Probit()),
        sm.families.Binomial(sm.families.links.Probit()),
    ),
    "weighted-poisson": ("yc", ts.families.Poisson(), sm.families.Poisson()),
}
_CANONICAL = ("logit", "poisson-exposure", "gaussian", "weighted-poisson")
# IRLS (Fisher scoring) converges only linearly for a non-canonical link, and the deviance
# rule stops it where the deviance no longer moves in float64: for the inverse Gaussian's
# slow rate (17 iterations here) that is 6.5e-9 from statsmodels' optimum, too close to
# 1e-8 to be robust to rounding; the others land within 6e-10.
_PARAMS_RTOL = {"invgauss-log": 3e-8}


@cache
def dummy_pair(case: str, cov_type: str) -> tuple[Any, Any]:
    """(torchstats fixed-effects results, statsmodels dummy-variable GLM) for a case."""
    y, family, sm_family = DUMMY_CASES[case]
    frame = data("sim6")
    exposure = frame["t"] if case == "poisson-exposure" else None
    weights = frame["w"] if case == "weighted-poisson" else None
    kwds: dict[str, Any] = {"groups": frame["g"]} if cov_type == "cluster" else {}
    ref = smf.glm(
        f"{y} ~ x1 + x2 + C(f1) + C(f2)",
        frame,
        family=sm_family,
        exposure=exposure,
        var_weights=weights,
    ).fit(tol=1e-13, maxiter=200, cov_type=cov_type, cov_kwds=kwds or None)
    # iid: fixest's default correction turns Pearson / (n - 1) into statsmodels' scale
    # (Pearson / (n - p)) for families with a dispersion; with a fixed scale it is switched off.
    iid_ssc = {"k_adj": False} if family.fixed_scale else {}
    vcov, ssc = {
        "nonrobust": ("iid", iid_ssc),
        "HC0": ("hetero", {"k_adj": False}),
        "cluster": ({"CRV1": "g"}, {"k_fixef": "full"}),
    }[cov_type]
    res = ts.glm(
        f"{y} ~ x1 + x2 | f1 + f2",
        frame,
        family=family,
        exposure=exposure,
        var_weights=weights,
        fixef_tol=FIXEF_TOL,
        glm_tol=1e-15,
    ).fit(vcov, ssc)
    return res, ref


@pytest.mark.parametrize("case", list(DUMMY_CASES))
def test_params_match_dummy_glm(case: str) -> None:
    res, ref = dummy_pair(case, "nonrobust")
    rtol = _PARAMS_RTOL.get(case, RTOL)
    np.testing.assert_allclose(_values(res.params), ref.params[["x1", "x2"]], rtol=rtol)


@pytest.mark.parametrize("case", list(DUMMY_CASES))
def test_dispersion_families_match_dummy_glm(case: str) -> None:
    """iid: the bread times Pearson's chi-squared over n - k - levels, statsmodels' scale
    (for fixed-scale families fixest's (n - 1) / (n - K) is switched off with k_adj=False)."""
    res, ref = dummy_pair(case, "nonrobust")
    np.testing.assert_allclose(res.scale, ref.scale, rtol=RTOL)
    np.testing.assert_allclose(_values(res.bse), ref.bse[["x1", "x2"]], rtol=RTOL)
    np.testing.assert_allclose(res.deviance, ref.deviance, rtol=RTOL)


@pytest.mark.parametrize("cov_type", ["HC0", "cluster"])
@pytest.mark.parametrize("case", _CANONICAL)
def test_robust_errors_match_dummy_glm_for_canonical_links(case: str, cov_type: str) -> None:
    """With a canonical link the expected and observed information agree, so statsmodels'
    sandwich (observed Hessian) is fixest's; cluster with fixest's k_fixef='full' is
    statsmodels' G/(G-1) (n-1)/(n-p) with p counting the dummies."""
    res, ref = dummy_pair(case, cov_type)
    np.testing.assert_allclose(_values(res.bse), ref.bse[["x1", "x2"]], rtol=RTOL)


@pytest.mark.parametrize("case", ["gamma-log", "negbin", "probit"])
def test_robust_errors_are_the_expected_information_sandwich(case: str) -> None:
    """Oracle with dense dummies: ``A^-1 (sum s s') A^-1`` with ``A = X'WX`` (IRLS weights)
    and ``s = W e x`` (``e`` the working residual), the x block, at the estimate."""
    res, ref = dummy_pair(case, "nonrobust")
    family = DUMMY_CASES[case][1]
    X = np.asarray(ref.model.exog)
    mu = np.asarray(ref.mu)
    y = np.asarray(ref.model.endog)
    import torch

    mu_t = torch.as_tensor(mu)
    weights = family.weights(mu_t).numpy()
    working = (y - mu) * family.link.deriv(mu_t).numpy()
    bread = np.linalg.inv(X.T @ (X * weights[:, None]))
    scores = X * (weights * working)[:, None]
    cov = bread @ (scores.T @ scores) @ bread
    names = list(ref.params.index)
    block = [names.index("x1"), names.index("x2")]
    expected = np.sqrt(np.diag(cov)[block])
    robust = res.vcov("hetero", {"k_adj": False})
    np.testing.assert_allclose(_values(robust.bse), expected, rtol=1e-7)


# --- negative binomial with alpha estimated: statsmodels with dummies --------------------------


@cache
def negbin_pair(seed: int) -> tuple[Any, Any]:
    """(torchstats fixed-effects NB2, statsmodels NegativeBinomial with dummies)."""
    frame = data(f"sim{seed}")
    res = ts.negativebinomial(
        "ynb ~ x1 + x2 | f1 + f2",
        frame,
        exposure=frame["t"],
        fixef_tol=FIXEF_TOL,
        glm_tol=1e-15,
        alpha_tol=1e-13,
    ).fit(ssc={"k_adj": False})
    ref = smf.negativebinomial("ynb ~ x1 + x2 + C(f1) + C(f2)", frame, exposure=frame["t"]).fit(
        disp=0, method="newton", maxiter=200, tol=1e-14
    )
    return res, ref


@pytest.mark.parametrize("seed", [6, 7])
def test_negbin_params_and_alpha_match_statsmodels(seed: int) -> None:
    res, ref = negbin_pair(seed)
    np.testing.assert_allclose(_values(res.params), ref.params[["x1", "x2"]], rtol=RTOL)
    np.testing.assert_allclose(res.model.family.alpha, ref.params["alpha"], rtol=RTOL)


@pytest.mark.parametrize("seed", [6, 7])
def test_negbin_standard_errors_match_statsmodels(seed: int) -> None:
    """Observed information with alpha and the effects profiled out (no fixest factor)."""
    res, ref = negbin_pair(seed)
    np.testing.assert_allclose(_values(res.bse), ref.bse[["x1", "x2"]], rtol=RTOL)


@pytest.mark.parametrize("seed", [6, 7])
def test_negbin_loglikelihood_matches_statsmodels(seed: int) -> None:
    res, ref = negbin_pair(seed)
    np.testing.assert_allclose(res.llf, ref.llf, rtol=RTOL)


def test_negbin_hetero_matches_statsmodels_hc0() -> None:
    """The sandwich of the efficient scores with alpha and the effects profiled out is the x
    block of statsmodels' full sandwich (observed Hessian, scores including alpha)."""
    res, _ = negbin_pair(6)
    frame = data("sim6")
    ref = smf.negativebinomial("ynb ~ x1 + x2 + C(f1) + C(f2)", frame, exposure=frame["t"]).fit(
        disp=0, method="newton", maxiter=200, tol=1e-14, cov_type="HC0"
    )
    robust = res.vcov("hetero", {"k_adj": False})
    np.testing.assert_allclose(_values(robust.bse), ref.bse[["x1", "x2"]], rtol=RTOL)


def test_negbin_cluster_matches_statsmodels() -> None:
    """statsmodels' factor is G/(G-1) (n-1)/(n-p) with p counting alpha too; ours counts the
    coefficients and the effects (fixest), so the test applies statsmodels' factor."""
    res, _ = negbin_pair(6)
    frame = data("sim6")
    ref = smf.negativebinomial("ynb ~ x1 + x2 + C(f1) + C(f2)", frame, exposure=frame["t"]).fit(
        disp=0,
        method="newton",
        maxiter=200,
        tol=1e-14,
        cov_type="cluster",
        cov_kwds={"groups": frame["g"]},
    )
    clustered = res.vcov({"CRV1": "g"}, {"k_adj": False})
    n, p = ref.nobs, len(ref.params)
    factor = np.sqrt((n - 1) / (n - p))
    np.testing.assert_allclose(_values(clustered.bse) * factor, ref.bse[["x1", "x2"]], rtol=RTOL)


def test_negbin_crv3_raises() -> None:
    res, _ = negbin_pair(6)
    with pytest.raises(InvalidOptionError, match="not available for the negative binomial"):
        res.vcov({"CRV3": "g"})


# --- behaviour ---------------------------------------------------------------------------------


def test_formula_routing() -> None:
    frame = data("sim0")
    assert isinstance(ts.poisson("yc ~ x1 | f1", frame), FixedEffectsGLM)
    assert isinstance(ts.logit("yb ~ x1 | f1", frame), FixedEffectsGLM)
    assert isinstance(ts.probit("yb ~ x1 | f1", frame), FixedEffectsGLM)
    assert isinstance(ts.glm("yg ~ x1 | f1", frame), FixedEffectsGLM)
    assert not isinstance(ts.poisson("yc ~ x1 + C(f1)", frame), FixedEffectsGLM)
    with pytest.raises(InvalidOptionError, match="apply only to fixed effects"):
        ts.poisson("yc ~ x1", frame, glm_tol=1e-9)
    with pytest.raises(InvalidOptionError, match="unknown option"):
        ts.poisson("yc ~ x1 | f1", frame, iwls_tol=1e-9)
    assert isinstance(ts.negativebinomial("ynb ~ x1 | f1", frame), FixedEffectsNegativeBinomial)
    with pytest.raises(InvalidOptionError, match="'nb2' only"):
        ts.negativebinomial("ynb ~ x1 | f1", frame, loglike_method="nb1")
    assert isinstance(ts.poisson("yc ~ sw(x1, x2) | f1", frame), MultipleEstimation)
    assert isinstance(ts.negativebinomial("ynb + yc ~ x1 | f1", frame), MultipleEstimation)
    with pytest.raises(InvalidOptionError, match="freq_weights"):
        ts.glm("yg ~ x1 | f1", frame, freq_weights=frame["w"])


def test_poisson_drops_levels_with_only_zeros() -> None:
    frame = data("sim0").copy()
    frame.loc[frame.f1 == 3, "yc"] = 0.0
    res = ts.poisson("yc ~ x1 + x2 | f1 + f2", frame, fixef_tol=FIXEF_TOL).fit()
    assert res.n_separated == int((frame.f1 == 3).sum())
    kept = ts.poisson("yc ~ x1 + x2 | f1 + f2", frame[frame.f1 != 3], fixef_tol=FIXEF_TOL).fit()
    assert kept.n_separated == 0
    np.testing.assert_allclose(_values(res.params), _values(kept.params), rtol=1e-12)
    np.testing.assert_allclose(_values(res.bse), _values(kept.bse), rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_predict_on_new_data_after_separated_rows_were_dropped(weighted) -> None:
    # dropping the separated rows used to lose the design's record of the formula's
    # columns, and predict(newdata) then failed with a shape mismatch
    frame = data("sim0").copy()
    frame.loc[frame.f1 == 3, "yc"] = 0.0
    weights = frame["w"] if weighted else None
    res = ts.poisson("yc ~ x1 + x2 | f1", frame, weights=weights, fixef_tol=FIXEF_TOL).fit()
    assert res.n_separated > 0
    new = frame[frame.f1 != 3].head(7)
    np.testing.assert_allclose(
        _values(res.predict(new)), _values(res.predict())[: len(new)], rtol=1e-10
    )


def test_logit_drops_levels_with_only_zeros_or_only_ones() -> None:
    frame = data("sim1").copy()
    frame.loc[frame.f1 == 2, "yb"] = 0.0
    frame.loc[frame.f1 == 5, "yb"] = 1.0
    res = ts.logit("yb ~ x1 + x2 | f1", frame, fixef_tol=FIXEF_TOL).fit()
    separated = frame.f1.isin([2, 5])
    assert res.n_separated == int(separated.sum())
    kept = ts.logit("yb ~ x1 + x2 | f1", frame[~separated], fixef_tol=FIXEF_TOL).fit()
    np.testing.assert_allclose(_values(res.params), _values(kept.params), rtol=1e-12)


def test_collinear_regressor_is_dropped_with_a_warning() -> None:
    frame = data("sim0").copy()
    frame["within_f1"] = frame["f1"] * 0.5
    with pytest.warns(CollinearityWarning, match="within_f1"):
        res = ts.poisson("yc ~ x1 + within_f1 + x2 | f1", frame).fit()
    assert list(res.params.index) == ["x1", "x2"]


def test_non_convergence_warns() -> None:
    with pytest.warns(ConvergenceWarning, match="glm_maxiter"):
        res = ts.poisson("yc ~ x1 + x2 | f1 + f2", data("sim0"), glm_maxiter=1).fit()
    assert not res.converged


def test_fixef_and_predictions_rebuild_the_linear_predictor() -> None:
    frame = data("sim2")
    res = ts.poisson("yc ~ x1 + x2 | f1 + f2", frame, fixef_tol=FIXEF_TOL).fit()
    effects = res.fixef()
    assert set(effects) == {"f1", "f2"}
    assert effects["f2"].iloc[0] == 0.0
    rebuilt = (
        frame.x1 * res.params["x1"]
        + frame.x2 * res.params["x2"]
        + effects["f1"].loc[frame.f1].to_numpy()
        + effects["f2"].loc[frame.f2].to_numpy()
    )
    np.testing.assert_allclose(_values(res.predict(type="link")), rebuilt, rtol=1e-9)
    new = frame.iloc[:20].copy()
    np.testing.assert_allclose(_values(res.predict(new, type="link")), rebuilt[:20], rtol=1e-9)
    np.testing.assert_allclose(_values(res.predict(new)), np.exp(rebuilt[:20]), rtol=1e-9)
    np.testing.assert_allclose(_values(res.fittedvalues)[:20], np.exp(rebuilt[:20]), rtol=1e-9)
    new.loc[new.index[0], "f1"] = 999
    assert np.isnan(res.predict(new).iloc[0])


@pytest.mark.parametrize(
    ("per_row", "negbin"),
    [
        ({"offset": "off"}, False),
        ({"exposure": "hours"}, False),
        ({"offset": "off", "exposure": "hours"}, False),
        ({"offset": "off"}, True),
    ],
)
def test_predict_reads_the_offset_and_exposure_columns_of_new_data(per_row, negbin) -> None:
    """As fixest and pyfixest: the prediction on the fit's own rows is the fitted mean (it
    left the offset out, up to 350% off)."""
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"f": rng.integers(0, 25, n), "x": rng.normal(size=n)})
    frame["off"] = rng.normal(scale=0.5, size=n)
    frame["hours"] = rng.uniform(0.5, 2.0, n)
    frame["y"] = rng.poisson(np.exp(0.4 * frame.x + frame.off + 0.1 * (frame.f % 5)) * frame.hours)
    fit = ts.negativebinomial if negbin else ts.poisson
    res = fit("y ~ x | f", frame, **per_row).fit()
    np.testing.assert_allclose(_values(res.predict(frame)), _values(res.fittedvalues), rtol=1e-12)
    shifted = frame.assign(off=frame.off + 1.0, hours=frame.hours * np.e)
    shift = len(per_row)  # each of offset and log(exposure) moves eta by one
    np.testing.assert_allclose(
        _values(res.predict(shifted, type="link")),
        _values(res.predict(frame, type="link")) + shift,
        rtol=1e-12,
    )


def test_predict_warns_that_an_offset_given_as_values_is_left_out() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"f": rng.integers(0, 10, 200), "x": rng.normal(size=200)})
    frame["y"] = rng.poisson(np.exp(0.3 * frame.x))
    res = ts.poisson("y ~ x | f", frame, offset=np.full(200, 0.5)).fit()
    with pytest.warns(ts.errors.SpecificationWarning, match="leaves it out"):
        link = res.predict(frame, type="link")
    np.testing.assert_allclose(_values(link) + 0.5, _values(res.predict(type="link")), rtol=1e-12)
    np.testing.assert_allclose(
        _values(res.predict(frame, type="link", offset=np.full(200, 0.5))),
        _values(res.predict(type="link")),
        rtol=1e-12,
    )


def test_fixef_matches_pyfixest() -> None:
    """pyfixest leaves out the first level of every effect after the first (it is 0)."""
    res, ref = pyfixest_pair("fepois-f1+f2", "iid")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ref.fixef(atol=1e-14, btol=1e-14)
    ours = res.fixef()
    for name in ("f1", "f2"):
        levels = {float(k): v for k, v in theirs[f"C({name})"].items()}
        mine = ours[name].rename(float)
        expected = [levels.get(level, 0.0) for level in mine.index]
        np.testing.assert_allclose(mine.to_numpy(), expected, rtol=1e-8, atol=1e-10)


def test_offset_equals_exposure_log() -> None:
    frame = data("sim3")
    by_exposure = ts.poisson("ynb ~ x1 | f1", frame, exposure=frame["t"]).fit()
    by_offset = ts.poisson("ynb ~ x1 | f1", frame, offset=np.log(frame["t"])).fit()
    by_name = ts.poisson("ynb ~ x1 | f1", frame, exposure="t").fit()
    shuffled = frame["t"].sample(frac=1.0, random_state=0)
    by_label = ts.poisson("ynb ~ x1 | f1", frame, exposure=shuffled).fit()
    for other in (by_offset, by_name, by_label):
        np.testing.assert_allclose(_values(by_exposure.params), _values(other.params), rtol=1e-12)


def test_weights_series_is_matched_by_label() -> None:
    frame = data("sim4")
    by_name = ts.poisson("yc ~ x1 | f1", frame, weights="w").fit()
    by_label = ts.poisson(
        "yc ~ x1 | f1", frame, weights=frame["w"].sample(frac=1.0, random_state=1)
    ).fit()
    np.testing.assert_allclose(_values(by_name.params), _values(by_label.params), rtol=1e-12)


@pytest.mark.parametrize("method", ["poisson", "logit"])
def test_integer_weights_repeat_rows(method: str) -> None:
    """Weight 2 is the row twice: same estimate, same iid covariance without fixest's
    (n - 1) / (n - K) factor (whose n differs)."""
    frame = data("sim5")
    y = "yc" if method == "poisson" else "yb"
    twice = np.where(np.arange(len(frame)) % 3 == 0, 2.0, 1.0)
    repeated = frame.loc[frame.index.repeat(twice.astype(int))]
    fit = getattr(ts, method)
    formula = f"{y} ~ x1 + x2 | f1 + f2"
    weighted = fit(formula, frame, weights=twice, fixef_tol=FIXEF_TOL, glm_tol=1e-15)
    long = fit(formula, repeated, fixef_tol=FIXEF_TOL, glm_tol=1e-15)
    weighted_res, long_res = weighted.fit(ssc={"k_adj": False}), long.fit(ssc={"k_adj": False})
    np.testing.assert_allclose(_values(weighted_res.params), _values(long_res.params), rtol=1e-10)
    np.testing.assert_allclose(_values(weighted_res.bse), _values(long_res.bse), rtol=1e-10)
    np.testing.assert_allclose(weighted_res.deviance, long_res.deviance, rtol=1e-10)


@pytest.mark.parametrize("device", DEVICES)
def test_device_fit_matches_cpu(device: str) -> None:
    frame = data("sim2")
    cpu = ts.poisson("yc ~ x1 + x2 | f1 + f2", frame, fixef_tol=FIXEF_TOL).fit("hetero")
    other = ts.poisson("yc ~ x1 + x2 | f1 + f2", frame, fixef_tol=FIXEF_TOL, device=device)
    res = other.fit("hetero")
    np.testing.assert_allclose(_values(res.params), _values(cpu.params), rtol=1e-10)
    np.testing.assert_allclose(_values(res.bse), _values(cpu.bse), rtol=1e-10)
    np.testing.assert_allclose(
        _values(res.predict(frame.head(), type="link")),
        _values(cpu.predict(frame.head(), type="link")),
        rtol=1e-10,
    )


@pytest.mark.parametrize("vcov", ["iid", "hetero", "crv1", "crv1-twoway"])
def test_gaussian_glm_equals_ols_with_fixed_effects(vcov: str) -> None:
    frame = data("sim4")
    spec: Any = {
        "iid": "iid",
        "hetero": "hetero",
        "crv1": {"CRV1": "g"},
        "crv1-twoway": {"CRV1": "g+f1"},
    }[vcov]
    formula = "yg ~ x1 + x2 | f1 + f2"
    res = ts.glm(formula, frame, fixef_tol=FIXEF_TOL).fit(spec)
    ols = ts.ols(formula, frame, fixef_tol=FIXEF_TOL).fit(spec)
    np.testing.assert_allclose(_values(res.params), _values(ols.params), rtol=1e-10)
    np.testing.assert_allclose(_values(res.bse), _values(ols.bse), rtol=1e-10)


def test_varying_slopes_match_dummy_interactions() -> None:
    """``f1[x1]``: an effect and a slope on x1 per level of f1, against the dummies
    ``C(f1) + C(f1):x1``; predictions for new rows include the slopes."""
    frame = data("sim3")
    res = ts.poisson("yc ~ x2 | f1[x1] + f2", frame, fixef_tol=FIXEF_TOL, glm_tol=1e-15).fit(
        ssc={"k_adj": False}
    )
    ref = smf.glm("yc ~ x2 + C(f1) + C(f1):x1 + C(f2)", frame, family=sm.families.Poisson()).fit(
        tol=1e-13
    )
    np.testing.assert_allclose(_values(res.params), [ref.params["x2"]], rtol=RTOL)
    np.testing.assert_allclose(_values(res.bse), [ref.bse["x2"]], rtol=RTOL)
    link = np.log(ref.fittedvalues.to_numpy())
    np.testing.assert_allclose(_values(res.predict(type="link")), link, rtol=1e-10)
    np.testing.assert_allclose(_values(res.predict(frame, type="link")), link, rtol=1e-10)
    assert set(res.fixef()) == {"f1", "f1[x1]", "f2"}


def test_effects_only_model_matches_dummy_deviance() -> None:
    frame = data("sim0")
    res = ts.poisson("yc ~ 1 | f1 + f2", frame, fixef_tol=FIXEF_TOL, glm_tol=1e-15).fit()
    ref = smf.glm("yc ~ C(f1) + C(f2)", frame, family=sm.families.Poisson()).fit(tol=1e-13)
    assert len(res.params) == 0
    np.testing.assert_allclose(res.deviance, ref.deviance, rtol=RTOL)
    np.testing.assert_allclose(_values(res.fittedvalues), ref.fittedvalues, rtol=1e-8)


def test_unit_weights_are_no_weights() -> None:
    frame = data("sim4")
    plain = ts.poisson("yc ~ x1 + x2 | f1", frame).fit("hetero")
    ones = ts.poisson("yc ~ x1 + x2 | f1", frame, weights=np.ones(len(frame))).fit("hetero")
    np.testing.assert_allclose(_values(plain.params), _values(ones.params), rtol=1e-12)
    np.testing.assert_allclose(_values(plain.bse), _values(ones.bse), rtol=1e-12)


def test_unavailable_covariances_and_views_raise() -> None:
    res = ts.poisson("yc ~ x1 | f1", data("sim0")).fit()
    with pytest.raises(InvalidOptionError, match="ask the results"):
        res.model.whitened()
    with pytest.raises(InvalidOptionError, match="fixed scale"):
        _ = ts.glm("yg ~ x1 | f1", data("sim0")).fit().llf


def test_summary_and_tidy() -> None:
    res = ts.logit("yb ~ x1 + x2 | f1", data("sim1")).fit({"CRV1": "g"})
    text = res.summary()
    assert "Fixed effects: f1 (30)" in text and "CRV1 by g" in text
    assert list(res.tidy().columns) == [
        "Estimate",
        "Std. Error",
        "t value",
        "Pr(>|t|)",
        "2.5%",
        "97.5%",
    ]
    assert res.fixef_names == ("f1",)
