"""Multiple estimation for GLMs and IV with absorbed effects against pyfixest's FixestMulti.

``ts.poisson``/``ts.logit``/``ts.probit`` with several responses, ``sw``/``csw``/``sw0``/
``csw0`` and ``split=``/``fsplit=`` against pyfixest 0.60's ``fepois``/``feglm`` model by
model (same models in the same order, tight tolerances on both sides); families pyfixest
lacks and the negative binomial against torchstats' single-model fits; 2SLS
(``y ~ x | f | d ~ z``) against pyfixest's ``feols``, which estimates several responses,
stepwise regressors, fixed effects and instruments, and splits with IV too.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import torchstats as ts
from tests.conftest import DEVICES
from tests.fixed_effects.data import pyfixest_data
from torchstats.errors import InvalidOptionError
from torchstats.formula.multiple_estimation import expand_formula
from torchstats.models.glm import GLM

pf = pytest.importorskip("pyfixest", reason="pyfixest is the reference for FixestMulti")

TIGHT = {"fixef_tol": 1e-13, "iwls_tol": 1e-12}
OURS = {"fixef_tol": 1e-13, "glm_tol": 1e-12}
RTOL = 1e-8


def simulated(seed: int, n: int = 600) -> pd.DataFrame:
    """Two count, binary and gamma outcomes on two crossed effects, a split column, weights
    (levels large enough that none is separated in a split sample)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "f1": rng.integers(0, 8, n),
            "f2": rng.integers(0, 5, n),
            "s": rng.choice(["north", "south", "west"], n),
            "g": rng.integers(0, 15, n),
            "w": rng.uniform(0.5, 2.0, n),
        }
    )
    for suffix, scale in (("", 1.0), ("2", 0.6)):
        eta = (
            scale * (0.4 * frame.x1 - 0.3 * frame.x2)
            + 0.5 * rng.normal(size=8)[frame.f1]
            + 0.3 * rng.normal(size=5)[frame.f2]
        )
        frame[f"yc{suffix}"] = rng.poisson(np.exp(eta)).astype(float)
        frame[f"yb{suffix}"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
        frame[f"ygam{suffix}"] = rng.gamma(2.0, np.exp(eta) / 2.0)
    return frame


def _label(pyfixest_name: str) -> str:
    """pyfixest's model name in torchstats' spelling: ``| 0`` for no effects, ``; sample:``."""
    name, _, sample = pyfixest_name.partition(" (Sample: ")
    if sample:
        column, _, level = sample.rstrip(")").partition(" = ")
        return f"{name}; sample: {column}={level}" if level != "all" else name
    return name


def _ours_label(label: str) -> str:
    return re.sub(r" \| 0(?= \||;|$)", "", label)


def _compare(ours: Any, theirs: Any) -> None:
    names = [_label(name) for name in theirs.all_fitted_models]
    assert [_ours_label(label) for label in ours.all_fitted_models] == names
    for one, other in zip(ours, theirs.to_list(), strict=True):
        # pyfixest's feglm keeps separated levels in split samples; the data have none
        assert getattr(one, "n_separated", 0) == 0
        coef, se = other.coef(), other.se()
        np.testing.assert_allclose(one.params[coef.index], coef, rtol=RTOL)
        np.testing.assert_allclose(one.bse[se.index], se, rtol=RTOL)


def _quiet(function: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


VCOVS = ["iid", "hetero", {"CRV1": "g"}]
GLM_CASES = {
    "pois-responses-csw-fe-csw0": ("poisson", "yc + yc2 ~ csw(x1, x2) | csw0(f1, f2)"),
    "pois-sw0": ("poisson", "yc ~ sw0(x1, x2) | f1"),
    "logit-responses-sw": ("logit", "yb + yb2 ~ sw(x1, x2) | f1"),
    "logit-fe-sw": ("logit", "yb ~ x1 + x2 | sw(f1, f2)"),
    "probit-csw0": ("probit", "yb ~ csw0(x1, x2) | f1 + f2"),
}


@pytest.mark.parametrize("vcov", VCOVS, ids=str)
@pytest.mark.parametrize("case", list(GLM_CASES))
def test_glm_models_equal_pyfixest(case: str, vcov: Any) -> None:
    family, formula = GLM_CASES[case]
    data = simulated(1)
    if family == "poisson":
        theirs = _quiet(pf.fepois, formula, data, vcov=vcov, **TIGHT)
    else:
        theirs = _quiet(pf.feglm, formula, data, family=family, vcov=vcov, **TIGHT)
    entry = {"poisson": ts.poisson, "logit": ts.logit, "probit": ts.probit}[family]
    ours = _quiet(entry, formula, data, **OURS).fit(vcov)
    _compare(ours, theirs)


@pytest.mark.parametrize("kind", ["split", "fsplit"])
@pytest.mark.parametrize("family", ["poisson", "logit"])
def test_glm_split_samples_equal_pyfixest(family: str, kind: str) -> None:
    data = simulated(2)
    split = {kind: "s"}
    if family == "poisson":
        # With weights pyfixest's stopping rule reads the unweighted deviance (fepois_.py,
        # ``_compute_deviance(self._Y, mu)``), ours the weighted one: they may stop an
        # iteration apart, and the covariance is the last iteration's. Both run to the fixed
        # point instead (ours stops when the deviance no longer changes at all).
        formula = "yc ~ csw(x1, x2) | f1"
        fixed_point = {"fixef_tol": 1e-13, "iwls_tol": 1e-300, "iwls_maxiter": 12}
        theirs = _quiet(
            pf.fepois, formula, data, vcov="hetero", weights="w", **split, **fixed_point
        )
        ours = _quiet(
            ts.poisson, formula, data, weights="w", **split, fixef_tol=1e-13, glm_tol=1e-300
        ).fit("hetero")
    else:
        formula = "yb + yb2 ~ x1 + x2 | f1"
        theirs = _quiet(pf.feglm, formula, data, family="logit", vcov="hetero", **split, **TIGHT)
        ours = _quiet(ts.logit, formula, data, **split, **OURS).fit("hetero")
    assert len(ours) == len(theirs.to_list())
    _compare(ours, theirs)


def test_split_weights_given_as_values_follow_their_rows() -> None:
    data = simulated(3)
    by_column = ts.poisson("yc ~ x1 | f1", data, weights="w", split="s").fit()
    by_values = ts.poisson("yc ~ x1 | f1", data, weights=data["w"].to_numpy(), split="s").fit()
    for one, other in zip(by_column, by_values, strict=True):
        np.testing.assert_allclose(one.params, other.params, rtol=1e-13)


def test_split_offsets_and_exposures_follow_their_rows() -> None:
    data = simulated(9)
    offset = np.log(data["w"].to_numpy())
    results = ts.poisson("yc ~ x1 | f1", data, offset=offset, exposure="w", fsplit="s").fit()
    for label, fit in results.all_fitted_models.items():
        _, _, level = label.partition("; sample: s=")
        rows = data if not level else data[data["s"] == level]
        single = ts.poisson(
            "yc ~ x1 | f1", rows, offset=np.log(rows["w"].to_numpy()), exposure="w"
        ).fit()
        np.testing.assert_allclose(fit.params, single.params, rtol=1e-13)


def test_glm_crv3_in_multiple_estimation_is_each_models() -> None:
    data = simulated(4, n=300)
    results = ts.poisson("yc + yc2 ~ x1 | f1", data, **OURS).fit({"CRV3": "f2"})
    for response, fit in zip(("yc", "yc2"), results, strict=True):
        single = ts.poisson(f"{response} ~ x1 | f1", data, **OURS).fit({"CRV3": "f2"})
        np.testing.assert_allclose(fit.bse, single.bse, rtol=1e-12)


@pytest.mark.parametrize(
    ("entry", "formula", "options"),
    [
        (ts.glm, "ygam + ygam2 ~ csw(x1, x2) | f1", {"family": ts.families.Gamma()}),
        (ts.negativebinomial, "yc ~ sw(x1, x2) | f1", {}),
    ],
    ids=["gamma", "negbin"],
)
def test_other_families_equal_single_model_fits(entry: Any, formula: str, options: Any) -> None:
    data = simulated(5)
    results = _quiet(entry, formula, data, split="s", **options).fit({"CRV1": "g"})
    for label, fit in results.all_fitted_models.items():
        single_formula, _, sample = label.partition("; sample: s=")
        rows = data[data["s"] == sample]
        single = _quiet(entry, single_formula, rows, **options).fit({"CRV1": "g"})
        np.testing.assert_allclose(fit.params, single.params, rtol=1e-12)
        np.testing.assert_allclose(fit.bse, single.bse, rtol=1e-12)
    assert len(results) == len(expand_formula(formula)) * data["s"].nunique()


def test_binomial_successes_and_failures_keep_statsmodels_meaning() -> None:
    data = simulated(6).assign(k=lambda d: d["yc"] + 1, m=lambda d: d["yc2"])
    model = ts.glm("k + m ~ x1", data, family=ts.families.Binomial())
    assert isinstance(model, GLM)


def test_instrumental_variables_are_refused_for_glms() -> None:
    data = simulated(7)
    with pytest.raises(InvalidOptionError, match=r"^FixedEffectsGLM does not fit .*ts\.ols"):
        ts.poisson("yc + yc2 ~ x2 | f1 | x1 ~ w", data)


# --- instrumental variables (feols) -------------------------------------------------------------

IV_CASES = [
    "Y + Y2 ~ X2 | csw0(f1, f2) | X1 ~ Z1",
    "Y ~ csw(X2, f3) | f1 | X1 ~ sw(Z1, Z2)",
    "Y ~ sw0(X2, f3) | f1 + f2 | X1 ~ Z1 + Z2",
]


@pytest.mark.parametrize("vcov", VCOVS[:2] + [{"CRV1": "f3"}], ids=str)
@pytest.mark.parametrize("formula", IV_CASES)
def test_iv_models_equal_pyfixest(formula: str, vcov: Any) -> None:
    data = pyfixest_data(21, n=600).dropna()
    theirs = _quiet(pf.feols, formula, data, vcov=vcov, fixef_tol=1e-13)
    ours = ts.ols(formula, data, fixef_tol=1e-13).fit(vcov)
    _compare(ours, theirs)


@pytest.mark.parametrize("kind", ["split", "fsplit"])
def test_iv_split_equals_pyfixest(kind: str) -> None:
    data = pyfixest_data(22, n=800).dropna()
    formula = "Y ~ X2 | f1 | X1 ~ Z1"
    theirs = _quiet(pf.feols, formula, data, vcov="hetero", fixef_tol=1e-13, **{kind: "f3"})
    ours = ts.ols(formula, data, fixef_tol=1e-13, **{kind: "f3"}).fit("hetero")
    _compare(ours, theirs)


def test_another_covariance_for_every_model_and_the_tables() -> None:
    data = simulated(8)
    model = ts.logit("yb + yb2 ~ csw(x1, x2) | f1", data)
    iid = model.fit()
    clustered = iid.vcov({"CRV1": "g"})
    direct = model.fit({"CRV1": "g"})
    for one, other in zip(clustered, direct, strict=True):
        np.testing.assert_allclose(one.bse, other.bse, rtol=1e-13)
    assert iid[0].cov_type == "iid"
    assert clustered.tidy().shape == (6, 6)
    assert clustered.confint().shape == (6, 2)
    assert list(clustered.coef().index.get_level_values(0).unique()) == list(
        direct.all_fitted_models
    )
    assert clustered.etable(type="df").shape[1] == 4


@pytest.mark.parametrize("device", DEVICES)
def test_multiple_glms_on_a_device_match_cpu(device: str) -> None:
    data = simulated(10)
    formula = "yc + yc2 ~ csw(x1, x2) | f1"
    cpu = ts.poisson(formula, data, split="s").fit({"CRV1": "g"})
    other = ts.poisson(formula, data, split="s", device=device).fit({"CRV1": "g"})
    for one, reference in zip(other, cpu, strict=True):
        np.testing.assert_allclose(one.bse, reference.bse, rtol=1e-10)
