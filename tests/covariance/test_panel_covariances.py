"""Panel HAC (hac-panel, hac-groupsum and their nw- names), the cluster jackknife
(cluster-crv3, cluster-jk), fixed scale, and ``scaling_factor``/``use_t`` in cov_kwds, against
statsmodels for OLS, WLS, GLM and discrete models."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.stats.sandwich_covariance as sw

import torchstats as ts
from tests.conftest import DEVICES
from tests.parity import assert_matches
from torchstats.errors import InvalidOptionError

pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")


@functools.cache
def _panel(seed: int) -> pd.DataFrame:
    """Units stacked one after another, time sorted within each; seed 1 is unbalanced,
    seed 2 lacks one period in every unit (a gap in the integer time index)."""
    rng = np.random.default_rng(seed)
    units, periods = 7 + seed, 11
    frame = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(units), periods),
            "time": np.tile(np.arange(periods), units),
        }
    )
    if seed == 1:
        frame = frame[rng.uniform(size=len(frame)) > 0.25]
    if seed == 2:
        frame = frame[frame["time"] != 4]
    n = len(frame)
    common = rng.normal(size=periods)[frame["time"]]
    frame = frame.assign(
        x1=rng.normal(size=n) + 0.5 * common,
        x2=rng.uniform(0, 2, size=n),
        w=rng.uniform(0.3, 2.0, size=n),
    )
    eta = 0.2 + 0.4 * frame["x1"] - 0.3 * frame["x2"] + 0.3 * common
    frame["y"] = eta + rng.normal(size=n)
    frame["count"] = rng.poisson(np.exp(eta))
    frame["binary"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return frame.reset_index(drop=True)


SPECS = {
    "hac-panel-groups": ("hac-panel", {"groups": "unit", "maxlags": 2}),
    "nw-panel-time-cluster": (
        "nw-panel",
        {"time": "time", "maxlags": 3, "use_correction": "cluster"},
    ),
    "hac-panel-uniform-nocorr": (
        "hac-panel",
        {"groups": "unit", "maxlags": 1, "kernel": "uniform", "use_correction": False},
    ),
    "hac-panel-lag0-nodf": ("hac-panel", {"groups": "unit", "maxlags": 0, "df_correction": False}),
    "hac-groupsum": ("hac-groupsum", {"time": "time", "maxlags": 2}),
    "nw-groupsum-hac": ("nw-groupsum", {"time": "time", "maxlags": 1, "use_correction": "hac"}),
    "hac-groupsum-nocorr-nodf": (
        "hac-groupsum",
        {"time": "time", "maxlags": 3, "use_correction": False, "df_correction": False},
    ),
    "hac-groupsum-weights_func": (
        "hac-groupsum",
        {"time": "time", "maxlags": 2, "weights_func": sw.weights_bartlett},
    ),
    "cluster-scaled": ("cluster", {"groups": "unit", "scaling_factor": 0.7}),
    "HC0-scaled": ("HC0", {"scaling_factor": 1.3}),
    "HAC-scaled": ("HAC", {"maxlags": 2, "scaling_factor": 2.0}),
}
LEAST_SQUARES_ONLY = {
    "cluster-crv3": ("cluster-crv3", {"groups": "unit"}),
    "cluster-jk": ("cluster-jk", {"groups": "unit"}),
    "cluster-crv3-nocorr": ("cluster-crv3", {"groups": "unit", "use_correction": False}),
    "cluster-jk-nodf": ("cluster-jk", {"groups": "unit", "df_correction": False}),
    "fixed scale": ("fixed scale", {"scale": 2.5}),
    "fixed_scale-default": ("fixed_scale", {}),
}


def _kwds(frame: pd.DataFrame, spec: dict, *, statsmodels: bool) -> dict:
    """Column names -> the column (a Series for torchstats, an ndarray for statsmodels)."""
    out = dict(spec)
    for key in ("groups", "time"):
        if key in out:
            out[key] = frame[out[key]].to_numpy() if statsmodels else frame[out[key]]
    return out


def _models(kind: str, frame: pd.DataFrame) -> tuple:
    X = sm.add_constant(frame[["x1", "x2"]])
    if kind == "ols":
        return ts.OLS(frame["y"], X), sm.OLS(frame["y"], X)
    if kind == "wls":
        return ts.WLS(frame["y"], X, weights=frame["w"]), sm.WLS(frame["y"], X, weights=frame["w"])
    if kind == "glm-poisson":
        family = (ts.families.Poisson(), sm.families.Poisson())
        return ts.GLM(frame["count"], X, family=family[0]), sm.GLM(
            frame["count"], X, family=family[1]
        )
    if kind == "logit":
        return ts.Logit(frame["binary"], X), sm.Logit(frame["binary"], X)
    return ts.Poisson(frame["count"], X), sm.Poisson(frame["count"], X)


@functools.cache
def _fits(kind: str, seed: int, name: str) -> tuple:
    frame = _panel(seed)
    cov_type, spec = {**SPECS, **LEAST_SQUARES_ONLY}[name]
    ours_model, theirs_model = _models(kind, frame)
    extra = {} if kind in ("ols", "wls", "glm-poisson") else {"disp": 0}
    ours = ours_model.fit(
        cov_type=cov_type, cov_kwds=_kwds(frame, spec, statsmodels=False), **extra
    )
    theirs = theirs_model.fit(
        cov_type=cov_type, cov_kwds=_kwds(frame, spec, statsmodels=True), **extra
    )
    return ours, theirs


CASES = [
    (kind, seed, name)
    for kind in ("ols", "wls", "glm-poisson", "logit", "poisson")
    for seed in (0, 1, 2)
    for name in SPECS
    # statsmodels' own OLS/WLS ignore or refuse scaling_factor (only base/covtype.py, used
    # by GLM and discrete models, applies it); checked separately below
    if not (kind in ("ols", "wls") and name.endswith("-scaled"))
] + [
    (kind, seed, name)
    for kind in ("ols", "wls")
    for seed in (0, 1, 2)
    for name in LEAST_SQUARES_ONLY
]


@pytest.fixture(params=CASES, ids=lambda c: f"{c[0]}|data{c[1]}|{c[2]}")
def fits(request):
    return _fits(*request.param)


def test_bse(fits):
    assert_matches(fits[0].bse, fits[1].bse, rtol=1e-9)


def test_cov_params(fits):
    assert_matches(fits[0].cov_params(), fits[1].cov_params(), rtol=1e-9, atol_scale=1e-13)


def test_pvalues(fits):
    assert_matches(fits[0].pvalues, fits[1].pvalues, rtol=1e-8, atol_scale=1e-14)


def test_conf_int(fits):
    assert_matches(fits[0].conf_int(), fits[1].conf_int(), rtol=1e-9)


def test_inference_df_use_t_and_names(fits):
    ours, theirs = fits
    assert ours.use_t == theirs.use_t
    assert ours.cov_type == theirs.cov_type
    assert ours.cov_kwds["description"] == theirs.cov_kwds["description"]
    expected_df = getattr(theirs, "df_resid_inference", None)
    if expected_df is not None:
        assert ours.covariance.df_resid == expected_df


@pytest.mark.parametrize("seed", [0, 1])
def test_use_t_inside_cov_kwds_gives_t_inference(seed):
    frame = _panel(seed)
    kwds = {"groups": "unit", "maxlags": 2, "use_t": True}
    ours_model, theirs_model = _models("ols", frame)
    ours = ours_model.fit(cov_type="hac-panel", cov_kwds=_kwds(frame, kwds, statsmodels=False))
    theirs = theirs_model.fit(cov_type="hac-panel", cov_kwds=_kwds(frame, kwds, statsmodels=True))
    assert ours.use_t is theirs.use_t is True
    assert_matches(ours.pvalues, theirs.pvalues, rtol=1e-8)
    assert_matches(ours.conf_int(), theirs.conf_int(), rtol=1e-9)
    # the argument wins over cov_kwds, as in statsmodels' OLS.fit
    ours = ours_model.fit(
        cov_type="hac-panel", cov_kwds=_kwds(frame, kwds, statsmodels=False), use_t=False
    )
    assert ours.use_t is False


@pytest.mark.parametrize("kind", ["glm-poisson", "logit"])
def test_use_t_inside_cov_kwds_for_likelihood_models(kind):
    # statsmodels' GLM and discrete fits raise TypeError (use_t given twice); torchstats reads
    # it as OLS.fit does, so compare with use_t passed as the argument
    frame = _panel(0)
    ours_model, theirs_model = _models(kind, frame)
    extra = {} if kind == "glm-poisson" else {"disp": 0}
    ours = ours_model.fit(cov_type="HC0", cov_kwds={"use_t": True}, **extra)
    theirs = theirs_model.fit(cov_type="HC0", use_t=True, **extra)
    assert ours.use_t is theirs.use_t is True
    assert_matches(ours.pvalues, theirs.pvalues, rtol=1e-8)


@pytest.mark.parametrize("kind", ["ols", "wls"])
@pytest.mark.parametrize("name", ["cluster-scaled", "HC0-scaled", "HAC-scaled"])
def test_scaling_factor_for_least_squares(kind, name):
    frame = _panel(1)
    cov_type, spec = SPECS[name]
    ours_model, theirs_model = _models(kind, frame)
    ours = ours_model.fit(cov_type=cov_type, cov_kwds=_kwds(frame, spec, statsmodels=False))
    unscaled = {
        k: v for k, v in _kwds(frame, spec, statsmodels=True).items() if k != "scaling_factor"
    }
    theirs = theirs_model.fit(cov_type=cov_type, cov_kwds=unscaled)
    assert_matches(ours.cov_params(), theirs.cov_params() * spec["scaling_factor"], rtol=1e-9)
    assert ours.cov_kwds["scaling_factor"] == spec["scaling_factor"]


def test_fixed_scale_sets_scale_as_statsmodels():
    frame = _panel(0)
    ours_model, theirs_model = _models("wls", frame)
    ours = ours_model.fit(cov_type="fixed scale", cov_kwds={"scale": 3.0})
    theirs = theirs_model.fit(cov_type="fixed scale", cov_kwds={"scale": 3.0})
    assert ours.scale == theirs.scale == 3.0


def test_get_robustcov_results_takes_the_new_types():
    frame = _panel(1)
    ours_model, theirs_model = _models("ols", frame)
    ours = ours_model.fit().get_robustcov_results("nw-groupsum", time=frame["time"], maxlags=2)
    theirs = theirs_model.fit().get_robustcov_results(
        "nw-groupsum", time=frame["time"].to_numpy(), maxlags=2
    )
    assert ours.use_t is theirs.use_t is True
    assert ours.cov_type == theirs.cov_type == "hac-groupsum"
    assert_matches(ours.bse, theirs.bse, rtol=1e-9)
    assert_matches(ours.pvalues, theirs.pvalues, rtol=1e-8)


def test_crv3_oracle_refits_without_each_cluster():
    """CRV3 as its definition: refit without each cluster (a loop written here)."""
    frame = _panel(1)
    X = sm.add_constant(frame[["x1", "x2"]]).to_numpy()
    y = frame["y"].to_numpy()
    full = np.linalg.lstsq(X, y, rcond=None)[0]
    shifts = []
    for unit in np.unique(frame["unit"]):
        keep = frame["unit"].to_numpy() != unit
        shifts.append(np.linalg.lstsq(X[keep], y[keep], rcond=None)[0] - full)
    shifts = np.array(shifts)
    n_groups = len(shifts)
    expected = (n_groups - 1) / n_groups * shifts.T @ shifts
    ours = ts.OLS(y, X).fit(cov_type="cluster-crv3", cov_kwds={"groups": frame["unit"]})
    np.testing.assert_allclose(ours.cov_params(), expected, rtol=1e-9)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("cov_type", ["cluster", "cluster-crv3", "cluster-jk"])
@pytest.mark.parametrize("kind", ["ols", "logit", "glm-poisson"])
def test_one_cluster_is_a_clear_error(cov_type, kind):
    frame = _panel(0)
    ours_model, _ = _models(kind, frame)
    extra = {} if kind in ("ols", "glm-poisson") else {"disp": 0}
    if cov_type != "cluster" and kind != "ols":
        match = "OLS and WLS fits only"
    else:
        match = "at least 2 clusters, but groups has 1"
    with pytest.raises(InvalidOptionError, match=match):
        ours_model.fit(cov_type=cov_type, cov_kwds={"groups": np.zeros(len(frame))}, **extra)


def test_one_cluster_without_correction_is_refused_too():
    # statsmodels returns a covariance of rounding errors (about 1e-17 here): one cluster's
    # score sum is the total score, zero at the estimate
    frame = _panel(0)
    X = frame[["x1", "x2"]]
    kwds = {"groups": np.zeros(len(frame)), "use_correction": False, "df_correction": False}
    theirs = sm.OLS(frame["y"], X).fit(cov_type="cluster", cov_kwds=kwds)
    assert np.all(theirs.bse < 1e-14)
    with pytest.raises(InvalidOptionError, match="at least 2 clusters"):
        ts.OLS(frame["y"], X).fit(cov_type="cluster", cov_kwds=kwds)


@pytest.mark.parametrize(
    ("cov_type", "kwds", "match"),
    [
        ("hac-panel", {"maxlags": 2}, "needs cov_kwds 'groups'"),
        ("hac-panel", {"groups": "unit"}, "needs cov_kwds=\\{'maxlags'"),
        ("hac-panel", {"groups": "unit", "maxlags": 2, "use_correction": True}, "'hac'"),
        ("hac-panel", {"groups": "unit", "maxlags": 40}, "no pairs at lag 11"),
        ("hac-panel", {"groups": "unit", "maxlags": 1, "kernel": "parzen"}, "unknown HAC kernel"),
        ("hac-panel", {"groups": "unit", "maxlags": -1}, "non-negative integer"),
        ("hac-groupsum", {"maxlags": 2}, "needs cov_kwds=\\{'time'"),
        ("hac-groupsum", {"time": "time", "maxlags": 1, "groups": "unit"}, "unknown cov_kwds"),
        ("fixed scale", {"scale": -1.0}, "positive number"),
        ("cluster-crv3", {"groups": ["unit", "time"]}, "one-way only"),
        ("HC1", {"scaling_factor": "2"}, "must be a number"),
    ],
)
def test_bad_options_say_what_is_wrong(cov_type, kwds, match):
    frame = _panel(0)
    ours_model, _ = _models("ols", frame)
    kwds = dict(kwds)
    for key in ("groups", "time"):
        if isinstance(kwds.get(key), str):
            kwds[key] = frame[kwds[key]]
        elif isinstance(kwds.get(key), list):
            kwds[key] = frame[kwds[key]]
    with pytest.raises(InvalidOptionError, match=match):
        ours_model.fit(cov_type=cov_type, cov_kwds=kwds)


@pytest.mark.parametrize("kind", ["logit", "glm-poisson"])
@pytest.mark.parametrize("cov_type", ["fixed scale", "cluster-crv3"])
def test_least_squares_only_types_refused_elsewhere(kind, cov_type):
    frame = _panel(0)
    ours_model, _ = _models(kind, frame)
    extra = {} if kind == "glm-poisson" else {"disp": 0}
    kwds = {"groups": frame["unit"]} if cov_type == "cluster-crv3" else {}
    with pytest.raises(InvalidOptionError, match="OLS and WLS"):
        ours_model.fit(cov_type=cov_type, cov_kwds=kwds, **extra)


def test_crv3_with_a_cluster_that_identifies_a_regressor_is_refused():
    frame = _panel(0).copy()
    frame["only_in_unit0"] = (frame["unit"] == 0).astype(float)
    X = sm.add_constant(frame[["x1", "only_in_unit0"]])
    with pytest.raises(InvalidOptionError, match="dropping cluster 0 .*rank-deficient"):
        ts.OLS(frame["y"], X).fit(cov_type="cluster-crv3", cov_kwds={"groups": frame["unit"]})


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    "name", ["hac-panel-groups", "hac-groupsum", "cluster-crv3", "cluster-jk", "fixed scale"]
)
def test_panel_and_jackknife_on_device_match_cpu(device, name):
    frame = _panel(1)
    cov_type, spec = {**SPECS, **LEAST_SQUARES_ONLY}[name]
    kwds = _kwds(frame, spec, statsmodels=False)
    X = sm.add_constant(frame[["x1", "x2"]])
    cpu = ts.WLS(frame["y"], X, weights=frame["w"]).fit(cov_type=cov_type, cov_kwds=kwds)
    dev = ts.WLS(frame["y"], X, weights=frame["w"], device=device).fit(
        cov_type=cov_type, cov_kwds=kwds
    )
    np.testing.assert_allclose(dev.bse, cpu.bse, rtol=1e-9)


@pytest.mark.parametrize("device", DEVICES)
def test_glm_hc3_on_device_matches_cpu(device):
    frame = _panel(0)
    X = sm.add_constant(frame[["x1", "x2"]])
    family = ts.families.Poisson()
    cpu = ts.GLM(frame["count"], X, family=family).fit(cov_type="HC3")
    dev = ts.GLM(frame["count"], X, family=family, device=device).fit(cov_type="HC3")
    np.testing.assert_allclose(dev.bse, cpu.bse, rtol=1e-9)
