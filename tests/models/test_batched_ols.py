"""Many regressions at once: batched == statsmodels per group == looped torchstats fits."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from tests.conftest import DEVICES
from tests.parity import mask_clock
from torchstats.errors import (
    CollinearityWarning,
    InvalidOptionError,
    InvalidWeightsError,
    ShapeMismatchError,
    UnknownColumnError,
)

FORMULA = "y ~ x1 + np.log(x2) + C(g)"


@functools.cache
def panel(seed: int) -> pd.DataFrame:
    """Firms of unequal sizes (5 to 60 rows), a categorical present in every firm."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(8, 60, size=15)
    firm = np.repeat([f"firm{i:02d}" for i in range(len(sizes))], sizes)
    n = firm.size
    frame = pd.DataFrame(
        {
            "firm": firm,
            "region": rng.choice(["east", "west"], n),
            "x1": rng.normal(size=n),
            "x2": rng.uniform(0.5, 3.0, n),
            "g": np.tile(["a", "b", "c"], n // 3 + 1)[:n],
            "w": rng.uniform(0.3, 2.0, n),
        },
        index=[f"r{i}" for i in rng.permutation(n)],
    )
    slope = pd.Series(rng.normal(1.0, 0.3, len(sizes)), index=np.unique(firm))
    frame["y"] = (
        slope[frame["firm"]].to_numpy() * frame["x1"]
        - 0.4 * np.log(frame["x2"])
        + (frame["g"] == "b") * 0.5
        + rng.normal(size=n)
    )
    frame["y2"] = 2.0 - frame["x1"] + rng.normal(size=n)
    return frame


def _statsmodels(frame: pd.DataFrame, formula: str, weighted: bool, cov_type: str) -> object:
    model = smf.wls(formula, frame, weights=frame["w"]) if weighted else smf.ols(formula, frame)
    return model.fit(cov_type=cov_type)


@functools.cache
def batched(
    seed: int, weighted: bool, cov_type: str
) -> ts.results.batched_ols.BatchedRegressionResults:
    frame = panel(seed)
    if weighted:
        return ts.batched_wls(FORMULA, frame, weights=frame["w"], by="firm").fit(cov_type)
    return ts.batched_ols(FORMULA, frame, by="firm").fit(cov_type)


COVS = ["nonrobust", "HC0", "HC1", "HC2", "HC3"]
VECTORS = ["params", "bse", "tvalues", "pvalues"]
SCALARS = [
    "nobs",
    "df_model",
    "df_resid",
    "ssr",
    "ess",
    "centered_tss",
    "uncentered_tss",
    "rsquared",
    "rsquared_adj",
    "scale",
    "llf",
    "aic",
    "bic",
    "fvalue",
    "f_pvalue",
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("weighted", [False, True], ids=["ols", "wls"])
@pytest.mark.parametrize("cov_type", COVS)
def test_every_group_matches_statsmodels(seed: int, weighted: bool, cov_type: str) -> None:
    res = batched(seed, weighted, cov_type)
    frame = panel(seed)
    assert list(res.index) == sorted(frame["firm"].unique())
    for firm in res.index[::3]:
        theirs = _statsmodels(frame[frame["firm"] == firm], FORMULA, weighted, cov_type)
        for name in VECTORS:
            ours = getattr(res, name).loc[firm]
            np.testing.assert_allclose(
                ours.to_numpy(),
                getattr(theirs, name).to_numpy(),
                rtol=1e-9,
                atol=1e-12,
                err_msg=f"{name} of {firm}",
            )
            assert list(ours.index) == list(getattr(theirs, name).index)
        for name in SCALARS:
            assert np.isclose(getattr(res, name).loc[firm], getattr(theirs, name), rtol=1e-9), name
        ci = res.conf_int(0.1).loc[firm]
        np.testing.assert_allclose(ci.to_numpy(), theirs.conf_int(0.1).to_numpy(), rtol=1e-9)
        np.testing.assert_allclose(res.cov_params(firm), theirs.cov_params(), rtol=1e-9)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC1"])
def test_one_group_equals_the_looped_torchstats_fit(cov_type: str) -> None:
    res = batched(0, False, cov_type)
    frame = panel(0)
    for firm in res.index[:4]:
        single = ts.ols(FORMULA, frame[frame["firm"] == firm]).fit(cov_type=cov_type)
        pd.testing.assert_series_equal(
            res.params.loc[firm], single.params, check_names=False, rtol=1e-10
        )
        pd.testing.assert_series_equal(res.bse.loc[firm], single.bse, check_names=False, rtol=1e-10)


def test_getitem_gives_the_one_at_a_time_results_and_summary() -> None:
    res = batched(1, True, "HC1")
    frame = panel(1)
    firm = res.index[2]
    single = res[firm]
    sub = frame[frame["firm"] == firm]
    theirs = sm.WLS(sub["y"], single.model.exog, weights=sub["w"]).fit(cov_type="HC1")
    np.testing.assert_allclose(single.bse.to_numpy(), theirs.bse, rtol=1e-10)
    assert list(single.params.index) == list(res.params.columns)
    expected = smf.wls(FORMULA, sub, weights=sub["w"]).fit(cov_type="HC1").summary()
    assert mask_clock(str(single.summary())) == mask_clock(str(expected))


def test_many_responses_equal_separate_fits() -> None:
    frame = panel(0)
    res = ts.batched_ols("y + y2 ~ x1 + C(g)", frame).fit()
    assert list(res.index) == ["y", "y2"]
    for response in ("y", "y2"):
        theirs = smf.ols(f"{response} ~ x1 + C(g)", frame).fit()
        np.testing.assert_allclose(res.params.loc[response], theirs.params, rtol=1e-10)
        np.testing.assert_allclose(res.bse.loc[response], theirs.bse, rtol=1e-10)
        assert np.isclose(res.rsquared.loc[response], theirs.rsquared, rtol=1e-12)


def test_groups_times_responses_and_several_group_columns() -> None:
    frame = panel(1)
    res = ts.batched_ols("y + y2 ~ x1", frame, by=["firm", "region"]).fit()
    assert res.index.names == ["firm", "region", "response"]
    key = res.index[5]
    sub = frame[(frame["firm"] == key[0]) & (frame["region"] == key[1])]
    theirs = smf.ols(f"{key[2]} ~ x1", sub).fit()
    np.testing.assert_allclose(res.params.loc[key], theirs.params, rtol=1e-9)
    np.testing.assert_allclose(res.bse.loc[key], theirs.bse, rtol=1e-9)


def test_small_and_rank_deficient_groups_warn_and_match_pinv() -> None:
    frame = panel(0).copy()
    frame.loc[frame["firm"] == "firm03", "g"] = "a"  # levels b, c absent: rank deficient
    tiny = frame[frame["firm"] == "firm05"].index[:3]  # 3 rows, 5 parameters
    frame = frame.drop(frame[frame["firm"] == "firm05"].index.difference(tiny))
    single_row = frame[frame["firm"] == "firm07"].index[:1]
    frame = frame.drop(frame[frame["firm"] == "firm07"].index.difference(single_row))
    with pytest.warns(CollinearityWarning, match="3 of 15 groups have a rank-deficient design"):
        res = ts.batched_ols(FORMULA, frame, by="firm").fit()
    model = res.model
    for firm in ("firm03", "firm05", "firm07"):
        rows = (model.group_codes == res.index.get_loc(firm)).numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = sm.OLS(model.endog[rows, 0].numpy(), model.exog[rows].numpy()).fit()
        np.testing.assert_allclose(res.params.loc[firm], theirs.params, rtol=1e-8, atol=1e-12)
        assert res.df_resid.loc[firm] == theirs.df_resid
    # no residual degrees of freedom: statsmodels' inf (SSR, a rounding error, over 0)
    assert not np.isfinite(res.bse.loc["firm05"]).any()
    assert np.isfinite(res.bse.loc["firm03"]).all()


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_array_inputs(kind: str) -> None:
    frame = panel(0)
    X = sm.add_constant(frame[["x1", "x2"]].to_numpy())
    y = frame[["y", "y2"]].to_numpy()
    groups = frame["firm"].to_numpy()
    if kind == "torch":
        X, y = torch.as_tensor(X), torch.as_tensor(y)
    res = ts.BatchedOLS(y, X, groups=groups).fit()
    params = res.params
    assert isinstance(params, np.ndarray if kind == "numpy" else torch.Tensor)
    assert tuple(params.shape) == (2 * 15, 3)
    sub = frame["firm"] == "firm04"
    theirs = sm.OLS(
        frame.loc[sub, "y2"].to_numpy(), sm.add_constant(frame.loc[sub, ["x1", "x2"]].to_numpy())
    ).fit()
    np.testing.assert_allclose(np.asarray(params[4 * 2 + 1]), theirs.params, rtol=1e-10)


def test_float32_agrees_with_float64() -> None:
    frame = panel(0)
    res32 = ts.batched_ols(FORMULA, frame, by="firm", dtype=torch.float32).fit()
    res64 = batched(0, False, "nonrobust")
    np.testing.assert_allclose(res32.params, res64.params, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("device", DEVICES)
def test_devices_give_the_same_numbers(device: str) -> None:
    frame = panel(1)
    on_device = ts.batched_ols(FORMULA, frame, by="firm", device=device).fit("HC3")
    on_cpu = batched(1, False, "HC3")
    pd.testing.assert_frame_equal(on_device.params, on_cpu.params, rtol=1e-10)
    pd.testing.assert_frame_equal(on_device.bse, on_cpu.bse, rtol=1e-10)


def test_summary_frame_is_the_stacked_coefficient_tables() -> None:
    res = batched(0, False, "nonrobust")
    table = res.summary_frame()
    assert list(table.columns) == ["coef", "std err", "t", "P>|t|", "[0.025", "0.975]"]
    firm = res.index[1]
    theirs = smf.ols(FORMULA, panel(0)[panel(0)["firm"] == firm]).fit()
    np.testing.assert_allclose(table.loc[firm, "P>|t|"], theirs.pvalues, rtol=1e-9)
    robust = batched(0, False, "HC0").summary_frame()
    assert "z" in robust.columns and "P>|z|" in robust.columns


def test_missing_rows_are_dropped_before_grouping() -> None:
    frame = panel(0).copy()
    frame.loc[frame.index[:4], "x1"] = np.nan
    res = ts.batched_ols("y ~ x1", frame, by="firm").fit()
    assert res.nobs.sum() == len(frame) - 4


def test_bad_input() -> None:
    frame = panel(0)
    with pytest.raises(UnknownColumnError, match="nope"):
        ts.batched_ols("y ~ x1", frame, by="nope")
    with pytest.raises(ShapeMismatchError, match="groups has 3 values"):
        ts.batched_ols("y ~ x1", frame, by=[1, 2, 3])
    negative = frame["w"].copy()
    negative.iloc[0] = -1
    with pytest.raises(InvalidWeightsError, match="non-negative"):
        ts.batched_wls("y ~ x1", frame, weights=negative, by="firm")
    with pytest.raises(InvalidOptionError, match="cov_type"):
        ts.batched_ols("y ~ x1", frame, by="firm").fit("cluster")
    with pytest.raises(KeyError):
        batched(0, False, "nonrobust")["no such firm"]


# --- robust covariances of awkward groups ----------------------------------------------------


@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "HC2", "HC3"])
def test_near_collinear_groups_get_the_single_fits_robust_covariance(cov_type):
    """bread @ meat @ bread in the data's units lost cond(X_s'X_s) eps: with x2 = x1 +
    1e-8 noise HC1 came out 3.2x and HC3 5x too large (the intercept's 12%), depending on
    the row order; 3e-4 off at 1e-6. Now formed in an orthonormal basis (batched QR)."""
    rng = np.random.default_rng(3)
    groups, rows = np.repeat(np.array(["q", "b", "zz", "a", "c", "d"]), 40), 40
    X = np.column_stack([np.ones(240), rng.normal(size=240), rng.normal(size=240)])
    for j, noise in enumerate([1e-2, 1e-4, 1e-6, 1e-8, 0.0, 1e-10]):
        part = slice(j * rows, (j + 1) * rows)
        X[part, 2] = X[part, 1] + noise * rng.normal(size=rows)
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=240)
    order = rng.permutation(240)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = ts.BatchedOLS(y[order], X[order], groups=groups[order]).fit(cov_type=cov_type)
        for i, label in enumerate(sorted(set(groups))):
            mask = groups == label
            single = ts.OLS(y[mask], X[mask]).fit(cov_type=cov_type)
            # the batched QR keeps cond(X_s) eps: 3e-7 for the group of cond 1e10
            np.testing.assert_allclose(np.asarray(batch.bse)[i], single.bse, rtol=1e-6)


@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "HC2", "HC3"])
def test_a_degenerate_group_leaves_the_others_f_tests(cov_type):
    """A group of leverage-one rows (HC2/HC3) or no residual df made the batch's SVD raise
    for every group's fvalue; now that group's F is NaN."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"g": ["a"] * 30 + ["b"] * 2, "x": rng.normal(size=32)})
    frame["y"] = 1 + frame["x"] + rng.normal(size=32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = ts.batched_ols("y ~ x", frame, by="g").fit(cov_type=cov_type)
    part = frame[frame["g"] == "a"]
    theirs = sm.OLS(part["y"], sm.add_constant(part["x"])).fit(cov_type=cov_type)
    assert batch.fvalue["a"] == pytest.approx(theirs.fvalue, rel=1e-10)
    assert batch.f_pvalue["a"] == pytest.approx(theirs.f_pvalue, rel=1e-8)
    assert np.isnan(batch.fvalue["b"]) and np.isnan(batch.f_pvalue["b"])


def test_robust_f_of_a_rank_deficient_group_as_statsmodels():
    """A group whose x2 is constant (collinear with the intercept): the robust Wald
    statistic was divided by df_model = 1, not by its two restrictions (F 25.7 where
    statsmodels and ts.ols give 12.8)."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"g": np.repeat(["d", "e"], 20), "x1": rng.normal(size=40)})
    frame["x2"] = np.where(frame["g"] == "e", 3.0, rng.normal(size=40))
    frame["y"] = 1 + frame["x1"] + rng.normal(size=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = ts.batched_ols("y ~ x1 + x2", frame, by="g").fit(cov_type="HC0")
        part = frame[frame["g"] == "e"]
        theirs = smf.ols("y ~ x1 + x2", part).fit(cov_type="HC0")
    assert batch.fvalue["e"] == pytest.approx(theirs.fvalue, rel=1e-10)
    assert batch.f_pvalue["e"] == pytest.approx(theirs.f_pvalue, rel=1e-8)
