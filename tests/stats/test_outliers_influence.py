"""variance_inflation_factor, outlier_test and resid_pearson equal statsmodels'."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch
from statsmodels.stats import outliers_influence as smo
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.outliers_influence import variance_inflation_factor as sm_vif

import torchstats as ts
from tests.conftest import make_frame
from torchstats.errors import InvalidOptionError, TorchstatsWarning

FORMULA = "y ~ x1 + np.log(x2) + x3 + C(g)"


def _designs() -> dict[str, np.ndarray]:
    longley = ts.datasets.longley()
    frame = make_frame(3)
    return {
        "longley": sm.add_constant(longley.drop(columns="TOTEMP").to_numpy()),
        "random": np.asarray(ts.ols(FORMULA, frame).fit().model.exog),
        "no_constant": make_frame(4)[["x1", "x2", "x3"]].to_numpy(),
    }


@pytest.mark.parametrize("name", ["longley", "random", "no_constant"])
@pytest.mark.parametrize("standardize", [True, False])
def test_vif_equals_statsmodels(name: str, standardize: bool) -> None:
    X = _designs()[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Longley is ill-conditioned: both warn
        for idx in range(X.shape[1]):
            ours = ts.stats.variance_inflation_factor(X, idx, standardize=standardize)
            theirs = sm_vif(X, idx, standardize=standardize)
            np.testing.assert_allclose(ours, theirs, rtol=1e-9)


def test_vif_inputs_and_warning() -> None:
    X = _designs()["random"]
    frame = pd.DataFrame(X)
    expected = ts.stats.variance_inflation_factor(X, 2)
    assert ts.stats.variance_inflation_factor(frame, 2) == pytest.approx(expected, rel=1e-14)
    assert ts.stats.variance_inflation_factor(torch.as_tensor(X), 2) == pytest.approx(
        expected, rel=1e-14
    )
    with pytest.warns(TorchstatsWarning, match="poorly conditioned"):
        ts.stats.variance_inflation_factor(_designs()["longley"], 1, standardize=False)
    with pytest.raises(InvalidOptionError, match="out of range"):
        ts.stats.variance_inflation_factor(X, X.shape[1])


@pytest.fixture(params=[0, 1, 2], scope="module")
def formula_fits(request: pytest.FixtureRequest) -> tuple:
    frame = make_frame(request.param, n=60)
    return ts.ols(FORMULA, frame).fit(), smf.ols(FORMULA, frame).fit()


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"method": "fdr_bh"},
        {"method": "holm", "order": True},
        {"cutoff": 1.0, "order": True},
        {"method": "sidak", "cutoff": 0.9},
    ],
)
def test_outlier_test_equals_statsmodels(formula_fits: tuple, kwargs: dict) -> None:
    res, ref = formula_fits
    ours, theirs = res.outlier_test(**kwargs), ref.outlier_test(**kwargs)
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-10)
    pd.testing.assert_frame_equal(ts.stats.outlier_test(res, **kwargs), ours)


def test_outlier_test_arrays_and_labels() -> None:
    frame = make_frame(5, n=50)
    y, X = frame["y"].to_numpy(), sm.add_constant(frame[["x1", "x2"]].to_numpy())
    res, ref = ts.OLS(y, X).fit(), sm.OLS(y, X).fit()
    ours, theirs = res.outlier_test(), ref.outlier_test()
    assert isinstance(ours, np.ndarray) and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    labels = [f"obs{i}" for i in range(50)]
    pd.testing.assert_frame_equal(
        res.outlier_test(labels=labels, order=True),
        ref.outlier_test(labels=labels, order=True),
        check_exact=False,
        rtol=1e-10,
    )


def test_resid_pearson_equals_statsmodels() -> None:
    frame = make_frame(6)
    for ours, theirs in [
        (ts.ols(FORMULA, frame).fit(), smf.ols(FORMULA, frame).fit()),
        (
            ts.wls(FORMULA, frame, weights=frame["w"]).fit(),
            smf.wls(FORMULA, frame, weights=frame["w"]).fit(),
        ),
    ]:
        assert isinstance(ours.resid_pearson, np.ndarray)
        np.testing.assert_allclose(ours.resid_pearson, theirs.resid_pearson, rtol=1e-10)


def test_resid_pearson_tensor_and_perfect_fit() -> None:
    X = torch.as_tensor(sm.add_constant(np.arange(10.0)))
    y = X @ torch.tensor([1.0, 2.0], dtype=X.dtype) + 0.1 * torch.sin(
        torch.arange(10.0, dtype=X.dtype)
    )
    res = ts.OLS(y, X).fit()
    assert isinstance(res.resid_pearson, torch.Tensor)
    np.testing.assert_allclose(
        res.resid_pearson.numpy(), sm.OLS(y.numpy(), X.numpy()).fit().resid_pearson, rtol=1e-10
    )
    perfect = ts.OLS(X @ torch.tensor([1.0, 2.0], dtype=X.dtype), X).fit()
    with pytest.warns(TorchstatsWarning, match="All residuals are 0"):
        values = perfect.resid_pearson
    assert torch.equal(values, perfect.wresid)


@pytest.mark.parametrize("method", ["bonf", "fdr_bh", "hommel", "sidak", "fdr_tsbky"])
def test_outlier_test_with_an_observation_of_leverage_one(method) -> None:
    """Its test does not exist (NaN, with 0/0 residual); the others are adjusted among
    themselves. The NaN had spread to every adjusted p-value of the step-up methods."""
    rng = np.random.default_rng(5)
    n = 25
    frame = pd.DataFrame({"x": rng.normal(size=n), "alone": (np.arange(n) == 4) * 1.0})
    frame["y"] = 1 + frame["x"] + rng.normal(size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ts.errors.LeverageWarning)
        ours = ts.stats.outlier_test(ts.ols("y ~ x + alone", frame).fit(), method=method)
    theirs = smo.outlier_test(smf.ols("y ~ x + alone", frame).fit(), method=method)
    assert ours.iloc[4].isna().all()
    others = np.arange(n) != 4
    np.testing.assert_allclose(
        ours["student_resid"][others], theirs["student_resid"][others], rtol=1e-9
    )
    expected = multipletests(theirs["unadj_p"][others].to_numpy(), method=method)[1]
    np.testing.assert_allclose(ours.iloc[:, 2][others], expected, rtol=1e-9)


def test_external_studentized_residuals_without_leave_one_out_df_are_nan() -> None:
    rng = np.random.default_rng(13)
    frame = pd.DataFrame(rng.normal(size=(4, 2)), columns=["x0", "x1"])
    frame["y"] = 1 + frame["x0"] + rng.normal(size=4)
    res = ts.ols("y ~ x0 + x1", frame).fit()  # df_resid 1: the fits without a row have 0
    assert np.isnan(res.get_influence().resid_studentized_external).all()
