"""CRV3 and HC2/HC3 of GLMs with absorbed fixed effects against pyfixest 0.60 and refits.

pyfixest's CRV3 for ``fepois``/``feglm`` (``Feols._vcov_crv3_slow``) refits ``fepois`` on the
data without each cluster with the default tolerances; here its refit is pointed at the same
estimator with tight tolerances (``fixef_tol=1e-13``, ``iwls_tol=1e-12``) so that the
jackknife deviations carry no optimisation error. For ``feglm`` pyfixest's own refit calls
``fepois`` (a Poisson fit of a binary outcome, centred on the logit estimate: its CRV3 for
logit/probit is wrong), so the reference there is pyfixest's CRV3 with the refit pointed at
``feglm`` of the same family. Families pyfixest lacks and offsets (which pyfixest's refit
drops) are checked against a brute-force leave-one-cluster-out loop of torchstats fits.
HC2/HC3 exist in pyfixest only without fixed effects; with them both refuse.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import torchstats as ts
from tests.conftest import DEVICES
from tests.fixed_effects.data import singletons_left_by_clusters
from torchstats.errors import DesignError

pf = pytest.importorskip("pyfixest", reason="pyfixest is the reference for fepois/feglm")
pf_estimation = pytest.importorskip("pyfixest.estimation")

TIGHT = {"fixef_tol": 1e-13, "iwls_tol": 1e-12}
OURS = {"fixef_tol": 1e-13, "glm_tol": 1e-12}
# With weights pyfixest stops on the unweighted deviance (fepois_.py), torchstats on the
# weighted one, so the two may stop an iteration apart and HC2/HC3 (taken at the last
# iteration) differ by ~1e-9; both run to the fixed point instead (ours stops when the
# deviance no longer changes at all, pyfixest after its iterations).
FIXED_POINT = {"fixef_tol": 1e-13, "iwls_tol": 1e-300, "iwls_maxiter": 12}
OURS_FIXED_POINT = {"fixef_tol": 1e-13, "glm_tol": 1e-300}
RTOL = 1e-8


def simulated(seed: int, n: int = 400) -> pd.DataFrame:
    """Counts, binary and gamma outcomes on two crossed effects, 12 clusters and weights."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "f1": rng.integers(0, 15, n),
            "f2": rng.integers(0, 6, n),
            "g": rng.integers(0, 12, n),
            "h": rng.integers(0, 5, n),
            "w": rng.uniform(0.5, 2.0, n),
            "t": rng.uniform(0.5, 2.0, n),
        }
    )
    eta = (
        0.4 * frame.x1
        - 0.3 * frame.x2
        + 0.5 * rng.normal(size=15)[frame.f1]
        + 0.4 * rng.normal(size=6)[frame.f2]
    )
    frame["yc"] = rng.poisson(np.exp(eta) * frame.t).astype(float)
    frame["yb"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    frame["ygam"] = rng.gamma(2.0, np.exp(eta) / 2.0)
    frame["log_t"] = np.log(frame.t)
    return frame


def _reference(
    monkeypatch: pytest.MonkeyPatch,
    family: str,
    formula: str,
    data: pd.DataFrame,
    tolerances: dict[str, float] = TIGHT,
    **kw: Any,
) -> Any:
    """pyfixest's fit, its CRV3 refits pointed at the same estimator, tightly converged."""
    if family == "poisson":
        fit = functools.partial(pf.fepois, **tolerances)
    else:

        def fit(fml: str, data: pd.DataFrame, weights: None = None, **options: Any) -> Any:
            # feglm has no weights; pyfixest's refit passes weights=None, weights_type=...
            assert weights is None
            options.pop("weights_type", None)
            return pf.feglm(fml, data, family=family, **TIGHT, **options)

    monkeypatch.setattr(pf_estimation, "fepois", fit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(formula, data, **kw)


def _ours(
    family: str, formula: str, data: pd.DataFrame, tolerances: dict[str, float] = OURS, **kw: Any
) -> Any:
    entry = {"poisson": ts.poisson, "logit": ts.logit, "probit": ts.probit}[family]
    return entry(formula, data, **tolerances, **kw)


def _relative(ours: pd.Series, theirs: pd.Series) -> float:
    return float(np.max(np.abs(ours[theirs.index].to_numpy() / theirs.to_numpy() - 1)))


CRV3_CASES = {
    "pois-1fe": ("poisson", "fepois", "Y ~ X1 + X2 | f1", "f2", None),
    "pois-2fe": ("poisson", 1, "yc ~ x1 + x2 | f1 + f2", "g", None),
    "pois-2fe-twoway": ("poisson", 2, "yc ~ x1 + x2 | f1 + f2", "g+h", None),
    "pois-weights": ("poisson", 3, "yc ~ x1 + x2 | f1", "g", "w"),
    "pois-nested": ("poisson", 4, "yc ~ x1 + x2 | f1 + f2", "f1", None),
    "logit-1fe": ("logit", 5, "yb ~ x1 + x2 | f1", "g", None),
    "logit-2fe": ("logit", 6, "yb ~ x1 + x2 | f1 + f2", "g+h", None),
    "probit-2fe": ("probit", 7, "yb ~ x1 + x2 | f1 + f2", "g", None),
    # without effects: ``| 0`` on our side (a plain formula is statsmodels' Poisson/Logit)
    "pois-no-fe": ("poisson", 18, "yc ~ x1 + x2", "g", None),
    "logit-no-fe": ("logit", 18, "yb ~ x1 + x2", "g", None),
}


def _data(name: str | int) -> pd.DataFrame:
    if name == "fepois":
        return pf.get_data(model="Fepois", N=400, seed=11).dropna()
    return simulated(int(name))


@pytest.mark.parametrize("case", list(CRV3_CASES))
def test_crv3_matches_pyfixest(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    family, name, formula, clusters, weights = CRV3_CASES[case]
    data = _data(name)
    vcov = {"CRV3": clusters}
    ref = _reference(monkeypatch, family, formula, data, vcov=vcov, **_weights(weights))
    ours = formula if "|" in formula else f"{formula} | 0"
    res = _ours(family, ours, data, weights=weights).fit(vcov)
    assert _relative(res.params, ref.coef()) < RTOL
    assert _relative(res.bse, ref.se()) < RTOL
    assert res.cov_type == "CRV3"


@pytest.mark.parametrize("ssc", [{}, {"k_adj": False, "G_adj": False}], ids=["default", "none"])
def test_crv3_ssc_options_match_pyfixest(monkeypatch: pytest.MonkeyPatch, ssc: Any) -> None:
    data = simulated(8)
    formula = "yc ~ x1 + x2 | f1 + f2"
    ref = _reference(monkeypatch, "poisson", formula, data, vcov={"CRV3": "g"}, ssc=pf.ssc(**ssc))
    res = _ours("poisson", formula, data).fit({"CRV3": "g"}, ssc)
    assert _relative(res.bse, ref.se()) < RTOL


@pytest.mark.parametrize("fixef_rm", ["singleton", "none"])
def test_crv3_refits_drop_singletons_as_pyfixest(
    monkeypatch: pytest.MonkeyPatch, fixef_rm: str
) -> None:
    # pyfixest's refits call fepois without fixef_rm, so they drop the singletons that
    # leaving a cluster out creates whatever the model's option; ours too
    data = singletons_left_by_clusters(1)
    formula = "yc ~ x1 + x2 | f1 + f2"
    vcov = {"CRV3": "g"}
    ref = _reference(monkeypatch, "poisson", formula, data, vcov=vcov, fixef_rm=fixef_rm)
    res = _ours("poisson", formula, data, fixef_rm=fixef_rm).fit(vcov)
    assert (res.n_singletons > 0) == (fixef_rm == "singleton")
    assert res.nobs == ref._N
    assert _relative(res.params, ref.coef()) < RTOL
    assert _relative(res.bse, ref.se()) < RTOL


def _brute_force_jackknife(fit: Any, data: pd.DataFrame, cluster: str) -> np.ndarray:
    """``sum_g (b_(-g) - b)(b_(-g) - b)'`` from torchstats fits on the data without ``g``."""
    full = fit(data).params.to_numpy()
    deviations = [
        fit(data[data[cluster] != level]).params.to_numpy() - full
        for level in sorted(data[cluster].unique())
    ]
    stacked = np.array(deviations)
    return stacked.T @ stacked


@pytest.mark.parametrize(
    ("family", "formula", "options"),
    [
        (ts.families.Gamma(ts.families.links.Log()), "ygam ~ x1 + x2 | f1 + f2", {}),
        (ts.families.Poisson(), "yc ~ x1 + x2 | f1", {"offset": "log_t"}),
        (ts.families.Binomial(), "yb ~ x1 | f1 + f2", {"var_weights": "w"}),
    ],
    ids=["gamma", "poisson-offset", "logit-weights"],
)
def test_crv3_equals_leave_one_cluster_out_refits(family: Any, formula: str, options: Any) -> None:
    data = simulated(9)

    def fit(frame: pd.DataFrame) -> Any:
        return ts.glm(formula, frame, family, **options, **OURS).fit()

    jackknife = _brute_force_jackknife(fit, data, "g")
    res = ts.glm(formula, data, family, **options, **OURS).fit(
        {"CRV3": "g"}, {"k_adj": False, "G_adj": False}
    )
    np.testing.assert_allclose(res.cov_params().to_numpy(), jackknife, rtol=RTOL)


def test_crv3_refit_losing_a_regressor_raises() -> None:
    data = simulated(12)
    data["x3"] = np.where(data["g"] == 0, data["x2"], 0.0)
    model = ts.poisson("yc ~ x1 + x3 | f1", data, **OURS)
    with pytest.raises(DesignError, match="CRV3: without one of the clusters"):
        model.fit({"CRV3": "g"})


# --- HC2 / HC3 --------------------------------------------------------------------------------

HC_CASES = {
    "pois": ("poisson", "fepois", "Y ~ X1 + X2"),
    "pois-weights": ("poisson", 13, "yc ~ x1 + x2"),
    "logit": ("logit", 14, "yb ~ x1 + x2"),
    "probit": ("probit", 15, "yb ~ x1 + x2"),
}


@pytest.mark.parametrize("vcov", ["HC2", "HC3"])
@pytest.mark.parametrize("case", list(HC_CASES))
def test_hc2_hc3_without_effects_match_pyfixest(
    monkeypatch: pytest.MonkeyPatch, case: str, vcov: str
) -> None:
    family, name, formula = HC_CASES[case]
    data = _data(name)
    weights = "w" if case.endswith("weights") else None
    theirs, ours = (FIXED_POINT, OURS_FIXED_POINT) if weights else (TIGHT, OURS)
    ref = _reference(monkeypatch, family, formula, data, theirs, vcov=vcov, **_weights(weights))
    res = _ours(family, f"{formula} | 0", data, ours, weights=weights).fit(vcov)
    assert _relative(res.params, ref.coef()) < RTOL
    assert _relative(res.bse, ref.se()) < RTOL


@pytest.mark.parametrize("vcov", ["HC2", "HC3"])
@pytest.mark.parametrize("entry", [ts.poisson, ts.logit, ts.probit])
def test_hc2_hc3_with_effects_are_refused(entry: Any, vcov: str) -> None:
    data = simulated(16)
    response = "yc" if entry is ts.poisson else "yb"
    res = entry(f"{response} ~ x1 | f1", data).fit()
    with pytest.raises(DesignError, match=f"{vcov} is not available for GLMs with absorbed"):
        res.vcov(vcov)
    with pytest.raises(DesignError, match="pyfixest refuses it too"):
        entry(f"{response} ~ x1 | f1 + f2", data).fit(cov_type=vcov)


def _weights(column: str | None) -> dict[str, str]:
    return {} if column is None else {"weights": column}


@pytest.mark.parametrize("device", DEVICES)
def test_crv3_on_a_device_matches_cpu(device: str) -> None:
    data = simulated(17)
    formula = "yb ~ x1 + x2 | f1 + f2"
    cpu = ts.logit(formula, data, **OURS).fit({"CRV3": "g+h"})
    other = ts.logit(formula, data, device=device, **OURS).fit({"CRV3": "g+h"})
    np.testing.assert_allclose(other.bse, cpu.bse, rtol=1e-10)
