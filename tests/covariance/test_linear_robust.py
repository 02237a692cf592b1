"""Robust covariances of OLS and WLS against statsmodels, one test per statistic."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import torchstats as ts
from tests.conftest import make_frame
from tests.parity import assert_matches
from torchstats.errors import InvalidOptionError

pytestmark = [
    # statsmodels itself warns on the indefinite two-way cluster covariances and the singular
    # few-cluster covariances these cases include on purpose
    pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:covariance of constraints does not have full rank"),
]

FORMULAS = ["y ~ x1 * C(g) + np.log(x2)", "y ~ C(k) + x3", "y ~ x1 + x3 - 1", "y ~ C(g) - 1"]
COV_SPECS = {
    "HC0": ("HC0", {}),
    "HC1": ("HC1", {}),
    "HC2": ("HC2", {}),
    "HC3": ("HC3", {}),
    "cluster": ("cluster", {"groups": "k"}),
    "cluster-nocorr": ("cluster", {"groups": "k", "use_correction": False}),
    "cluster-nodf": ("cluster", {"groups": "k", "df_correction": False}),
    "cluster-2way": ("cluster", {"groups": ("k", "g")}),
    "HAC1": ("HAC", {"maxlags": 1}),
    "HAC4": ("HAC", {"maxlags": 4}),
    "HAC3-corrected": ("HAC", {"maxlags": 3, "use_correction": True}),
    "HAC2-uniform": ("HAC", {"maxlags": 2, "kernel": "uniform"}),
}


def _kwds(frame, spec: dict, *, statsmodels: bool) -> dict:
    kwds = dict(spec)
    groups = kwds.get("groups")
    if isinstance(groups, str):
        kwds["groups"] = frame[groups] if not statsmodels else frame[groups].to_numpy()
    elif isinstance(groups, tuple):
        both = frame[list(groups)]
        codes = both.apply(lambda c: c.astype("category").cat.codes).to_numpy()
        kwds["groups"] = codes if statsmodels else both
    if statsmodels and kwds.get("kernel") == "uniform":
        kwds["weights_func"] = kwds.pop("kernel")
    return kwds


@functools.cache
def _fits(kind: str, formula: str, seed: int, spec_name: str) -> tuple:
    frame = make_frame(seed)
    cov_type, spec = COV_SPECS[spec_name]
    if kind == "ols":
        ours_model, theirs_model = ts.ols(formula, frame), smf.ols(formula, frame)
    else:
        ours_model = ts.wls(formula, frame, weights=frame["w"])
        theirs_model = smf.wls(formula, frame, weights=frame["w"])
    ours = ours_model.fit(cov_type=cov_type, cov_kwds=_kwds(frame, spec, statsmodels=False))
    theirs = theirs_model.fit(cov_type=cov_type, cov_kwds=_kwds(frame, spec, statsmodels=True))
    return ours, theirs


CASES = [
    (kind, formula, seed, spec)
    for kind in ("ols", "wls")
    for formula in FORMULAS
    for seed in (0, 1)
    for spec in COV_SPECS
]


@pytest.fixture(params=CASES, ids=lambda c: f"{c[0]}|{c[1]}|data{c[2]}|{c[3]}")
def fits(request):
    return _fits(*request.param)


def test_bse(fits):
    assert_matches(fits[0].bse, fits[1].bse, rtol=1e-9)


def test_cov_params(fits):
    assert_matches(fits[0].cov_params(), fits[1].cov_params(), rtol=1e-9, atol_scale=1e-12)


def test_pvalues(fits):
    assert_matches(fits[0].pvalues, fits[1].pvalues, rtol=1e-8, atol_scale=1e-14)


def test_conf_int(fits):
    assert_matches(fits[0].conf_int(), fits[1].conf_int(), rtol=1e-9)


def test_use_t_and_cov_type(fits):
    ours, theirs = fits
    assert ours.use_t == theirs.use_t is False
    assert ours.cov_type == theirs.cov_type


def test_fvalue(fits):
    assert_matches(fits[0].fvalue, fits[1].fvalue, rtol=1e-8)
    assert_matches(fits[0].f_pvalue, fits[1].f_pvalue, rtol=1e-7, atol_scale=1e-12)


def test_description(fits):
    assert fits[0].cov_kwds["description"] == fits[1].cov_kwds["description"]


@pytest.mark.parametrize("spec_name", ["HC1", "cluster", "HAC4"])
def test_use_t_true_gives_t_inference(frame, spec_name):
    cov_type, spec = COV_SPECS[spec_name]
    ours = ts.ols("y ~ x1 + C(g)", frame).fit(
        cov_type=cov_type, cov_kwds=_kwds(frame, spec, statsmodels=False), use_t=True
    )
    theirs = smf.ols("y ~ x1 + C(g)", frame).fit(
        cov_type=cov_type, cov_kwds=_kwds(frame, spec, statsmodels=True), use_t=True
    )
    assert ours.use_t is True
    assert_matches(ours.pvalues, theirs.pvalues, rtol=1e-8)
    assert_matches(ours.conf_int(), theirs.conf_int(), rtol=1e-9)


def test_get_robustcov_results_is_a_new_object_inheriting_use_t(frame):
    base = ts.ols("y ~ x1 + C(g)", frame).fit()
    robust = base.get_robustcov_results("HC3")
    theirs = smf.ols("y ~ x1 + C(g)", frame).fit().get_robustcov_results("HC3")
    assert robust is not base and base.cov_type == "nonrobust"
    assert robust.use_t is theirs.use_t is True
    assert_matches(robust.bse, theirs.bse, rtol=1e-9)
    assert_matches(robust.pvalues, theirs.pvalues, rtol=1e-8)
    np.testing.assert_array_equal(robust.get_robustcov_results("nonrobust").bse, base.bse)
    # statsmodels returns unwrapped results: arrays for pandas data (rob.bse[1]), names in
    # the summary
    assert type(robust.bse) is type(theirs.bse) is np.ndarray
    assert isinstance(base.bse, pd.Series)
    assert "x1" in robust.summary().as_text()


def test_cluster_groups_align_by_label_after_dropping_rows(frame_with_missing):
    frame = frame_with_missing
    ours = ts.ols("y ~ x1 + C(g)", frame).fit(cov_type="cluster", cov_kwds={"groups": frame["k"]})
    used = frame.dropna(subset=["y", "x1", "g"])
    theirs = smf.ols("y ~ x1 + C(g)", used).fit(
        cov_type="cluster", cov_kwds={"groups": used["k"].to_numpy()}
    )
    assert_matches(ours.bse, theirs.bse, rtol=1e-9)


def test_robust_summary_notes(frame):
    ours = ts.ols("y ~ x1", frame).fit(cov_type="HC1").summary().as_text()
    assert "Covariance Type:                  HC1" in ours
    assert "Standard Errors are heteroscedasticity robust (HC1)" in ours
    assert "P>|z|" in ours


@pytest.mark.parametrize(
    ("cov_type", "kwds", "message"),
    [
        ("HC1", {"maxlags": 2}, "takes no cov_kwds"),
        ("cluster", {}, r"needs cov_kwds=\{'groups'"),
        ("HAC", {}, r"needs cov_kwds=\{'maxlags': L\}"),
        ("HAC", {"maxlags": 2, "kernel": "parzen"}, "unknown HAC kernel 'parzen'"),
        ("HAC", {"maxlags": -1}, "non-negative integer"),
        ("HAC", {"maxlags": 1.5}, "non-negative integer"),
        ("HAC", {"maxlags": float("nan")}, "non-negative integer"),
        ("HAC", {"maxlags": np.bool_(True)}, "non-negative integer"),
        ("HAC", {"maxlags": "2"}, "non-negative integer"),
        ("cluster", {"groups": "k", "bogus": 1}, r"unknown cov_kwds.*bogus"),
        ("HC7", {}, "unknown cov_type 'HC7'"),
        ("nonrobust", {"groups": "k"}, "takes no cov_kwds"),
    ],
)
def test_bad_covariance_options(frame, cov_type, kwds, message):
    kwds = {k: (frame[v] if k == "groups" else v) for k, v in kwds.items()}
    with pytest.raises(InvalidOptionError, match=message):
        ts.ols("y ~ x1", frame).fit(cov_type=cov_type, cov_kwds=kwds)


@pytest.mark.parametrize("maxlags", [np.int64(3), np.int32(3), np.float64(3.0), 3.0])
def test_hac_maxlags_of_numpy_and_float_types(frame, maxlags):
    """The rule of thumb ``np.floor(4 * (n / 100) ** (2 / 9)).astype(int)`` gives a numpy
    integer, which statsmodels takes."""
    expected = smf.ols("y ~ x1", frame).fit(cov_type="HAC", cov_kwds={"maxlags": 3})
    ours = ts.ols("y ~ x1", frame).fit(cov_type="HAC", cov_kwds={"maxlags": maxlags})
    assert_matches(ours.bse, expected.bse, rtol=1e-10)
    units = np.arange(len(frame)) // 10  # contiguous panels, as statsmodels needs them
    for cov_type, kwds in [
        ("hac-groupsum", {"time": np.arange(len(frame))}),
        ("hac-panel", {"groups": units}),
    ]:
        expected = smf.ols("y ~ x1", frame).fit(cov_type=cov_type, cov_kwds={**kwds, "maxlags": 3})
        ours = ts.ols("y ~ x1", frame).fit(cov_type=cov_type, cov_kwds={**kwds, "maxlags": maxlags})
        assert_matches(ours.bse, expected.bse, rtol=1e-10)


def test_cluster_groups_of_wrong_length(frame):
    with pytest.raises(ValueError, match="groups has 5 labels"):
        ts.ols("y ~ x1", frame).fit(cov_type="cluster", cov_kwds={"groups": np.arange(5)})


@pytest.mark.parametrize(
    ("cov_type", "kwds"),
    [("cluster", {}), ("HAC", {"maxlags": 2, "use_correction": True}), ("hac-groupsum", {})],
)
def test_rank_deficient_small_sample_factors_count_the_identified_parameters(cov_type, kwds):
    """A column equal to x1 - x2 adds no parameter: the estimable combinations' covariance
    is the full-rank fit's (R's sandwich; statsmodels counts every column, 0.4% larger)."""
    rng = np.random.default_rng(6)
    n = 120
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    y = X @ np.array([0.2, 0.5, -0.4]) + rng.normal(size=n)
    collinear = np.column_stack([X, X[:, 1] - X[:, 2]])
    L = np.array([[0, 1, 0, 1.0], [0, 0, 1, -1.0]])
    options = {
        "cluster": {"groups": rng.integers(0, 9, n)},
        "hac-groupsum": {"time": np.arange(n), "maxlags": 2},
    }.get(cov_type, {})
    kwds = {**kwds, **options}
    full = ts.OLS(y, X).fit(cov_type=cov_type, cov_kwds=kwds)
    with pytest.warns(ts.CollinearityWarning):
        deficient = ts.OLS(y, collinear).fit(cov_type=cov_type, cov_kwds=kwds)
    np.testing.assert_allclose(
        L @ deficient.cov_params() @ L.T, full.cov_params()[1:, 1:], rtol=1e-10
    )


@pytest.mark.parametrize(
    ("cov_type", "kwds"),
    [
        ("cluster", {"groups": "k"}),
        ("hac-panel", {"groups": "panel", "maxlags": 2}),
        ("hac-groupsum", {"time": "panel", "maxlags": 1}),
    ],
)
def test_n_groups_and_df_resid_inference_as_statsmodels(frame, cov_type, kwds):
    units = np.arange(len(frame)) // 10
    kwds = {k: frame[v] if v == "k" else units if v == "panel" else v for k, v in kwds.items()}
    ours = ts.ols("y ~ x1", frame).fit(cov_type=cov_type, cov_kwds=kwds)
    theirs = smf.ols("y ~ x1", frame).fit(cov_type=cov_type, cov_kwds=kwds)
    assert ours.n_groups == theirs.n_groups
    assert ours.df_resid_inference == theirs.df_resid_inference
    assert not hasattr(ts.ols("y ~ x1", frame).fit(cov_type="HC1"), "df_resid_inference")


def test_t_inference_with_one_group_warns_that_it_is_undefined():
    rng = np.random.default_rng(16)
    X = np.column_stack([np.ones(60), rng.normal(size=(60, 2))])
    y = X @ [1, 0.5, -0.5] + rng.normal(size=60)
    kwds = {"groups": np.zeros(60, int), "maxlags": 1}
    with pytest.warns(ts.errors.DegreesOfFreedomWarning, match="G - 1 = 0"):
        res = ts.OLS(y, X).fit(cov_type="hac-panel", cov_kwds=kwds, use_t=True)
    assert np.isnan(res.pvalues).all()
    normal = ts.OLS(y, X).fit(cov_type="hac-panel", cov_kwds=kwds)  # z tests: defined
    assert np.isfinite(normal.pvalues).all()
