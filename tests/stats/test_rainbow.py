"""``ts.stats.linear_rainbow`` against R's lmtest (statsmodels' reference numbers) and live
statsmodels 0.15, for every way of ordering the observations."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import statsmodels.stats.diagnostic as smd
import torch
from scipy import stats
from scipy.spatial.distance import cdist

import torchstats as ts
from torchstats.errors import InvalidOptionError, ShapeMismatchError, UnknownColumnError

RTOL = 1e-10


def _macro() -> tuple[np.ndarray, np.ndarray]:
    d = sm.datasets.macrodata.load_pandas().data
    y = 400 * np.diff(np.log(d["realinv"].to_numpy()))
    gdp = 400 * np.diff(np.log(d["realgdp"].to_numpy()))
    return y, sm.add_constant(np.c_[gdp, d["realint"][:-1].to_numpy()])


def _frame(seed: int, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x0": rng.normal(size=n),
            "x1": rng.uniform(1, 4, size=n),
            "g": rng.integers(0, 3, size=n),  # ties for the sorts
        }
    )
    frame["y"] = 1 + frame["x0"] - 0.5 * frame["x1"] ** 2 + frame["g"] + rng.normal(size=n)
    return frame


FORMULA = "y ~ x0 + np.log(x1) + g"


@pytest.fixture(scope="module", params=[3, 8])
def formula_fits(request: pytest.FixtureRequest) -> tuple:
    frame = _frame(request.param)
    return ts.ols(FORMULA, frame).fit(), smf.ols(FORMULA, frame).fit()


@pytest.fixture(scope="module")
def array_fits() -> tuple:
    y, X = _macro()
    return ts.OLS(y, X).fit(), sm.OLS(y, X).fit()


def _assert_equal(ours: tuple, theirs: tuple) -> None:
    assert len(ours) == 2 and all(isinstance(value, np.float64) for value in ours)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL)


@pytest.mark.parametrize(
    "frac, expected",
    [(0.5, (0.6809600116739604, 0.971832843583418)), (0.4, (0.565551237772662, 0.997592305968473))],
)
def test_matches_r_raintest(array_fits: tuple, frac: float, expected: tuple) -> None:
    """statsmodels' TestDiagnosticG numbers from R's ``lmtest::raintest``."""
    np.testing.assert_allclose(ts.stats.linear_rainbow(array_fits[0], frac=frac), expected, 1e-12)


@pytest.mark.parametrize("frac", [0.25, 0.5, 0.75, 0.9])
def test_default_order_equals_statsmodels(array_fits: tuple, frac: float) -> None:
    ours, theirs = array_fits
    _assert_equal(ts.stats.linear_rainbow(ours, frac), smd.linear_rainbow(theirs, frac))


@pytest.mark.filterwarnings("ignore::UserWarning")  # g constant in a central subset
@pytest.mark.parametrize("frac", [0.3, 0.5, 0.8])
@pytest.mark.parametrize("order_by", ["x0", "g", ["g", "x0"], ["np.log(x1)", "g"]])
def test_order_by_column_names_equals_statsmodels(
    formula_fits: tuple, frac: float, order_by: str | list[str]
) -> None:
    ours, theirs = formula_fits
    _assert_equal(
        ts.stats.linear_rainbow(ours, frac, order_by=order_by),
        smd.linear_rainbow(theirs, frac, order_by=order_by),
    )


@pytest.mark.parametrize("frac", [0.3, 0.5])
def test_order_by_positions_equals_statsmodels(array_fits: tuple, frac: float) -> None:
    ours, theirs = array_fits
    order = np.random.default_rng(0).permutation(ours.model.exog.shape[0])
    expected = smd.linear_rainbow(theirs, frac, order_by=order)
    _assert_equal(ts.stats.linear_rainbow(ours, frac, order_by=order), expected)
    for other in (order.tolist(), pd.Series(order), torch.as_tensor(order)):
        _assert_equal(ts.stats.linear_rainbow(ours, frac, order_by=other), expected)


@pytest.mark.parametrize("frac", [0.3, 0.5, 0.7])
def test_use_distance_equals_statsmodels(
    array_fits: tuple, formula_fits: tuple, frac: float
) -> None:
    for ours, theirs in (array_fits, formula_fits):
        _assert_equal(
            ts.stats.linear_rainbow(ours, frac, use_distance=True),
            smd.linear_rainbow(theirs, frac, use_distance=True),
        )


def test_use_distance_on_a_lattice_of_ties() -> None:
    """Many equal distances: the ties are broken by the regressors, as statsmodels does."""
    values = np.arange(-2, 3)
    grid = np.array([(a, b, c) for a in values for b in values for c in values], dtype=float)
    y = grid @ np.ones(3) + np.random.default_rng(7).normal(size=grid.shape[0])
    X = sm.add_constant(grid)
    _assert_equal(
        ts.stats.linear_rainbow(ts.OLS(y, X).fit(), use_distance=True),
        smd.linear_rainbow(sm.OLS(y, X).fit(), use_distance=True),
    )


@pytest.mark.parametrize("center", [0.33, 30])
def test_center_is_ignored_with_statsmodels_warning(array_fits: tuple, center: float) -> None:
    ours, theirs = array_fits
    with pytest.warns(FutureWarning, match="center parameter is deprecated"):
        value = ts.stats.linear_rainbow(ours, 0.5, None, True, center)
    _assert_equal(value, smd.linear_rainbow(theirs, use_distance=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _assert_equal(ts.stats.linear_rainbow(ours, center=center), smd.linear_rainbow(theirs))


def test_pandas_and_tensor_inputs(array_fits: tuple) -> None:
    y, X = _macro()
    expected = smd.linear_rainbow(array_fits[1], use_distance=True)
    frame = pd.DataFrame(X, columns=["const", "gdp", "realint"])
    for res in (ts.OLS(pd.Series(y), frame).fit(), ts.OLS(torch.tensor(y), torch.tensor(X)).fit()):
        _assert_equal(ts.stats.linear_rainbow(res, use_distance=True), expected)
    named = ts.stats.linear_rainbow(ts.OLS(pd.Series(y), frame).fit(), order_by="gdp")
    _assert_equal(named, smd.linear_rainbow(sm.OLS(pd.Series(y), frame).fit(), order_by="gdp"))


def test_rows_dropped_for_missing_values() -> None:
    frame = _frame(5)
    frame.loc[[3, 40, 77], "x0"] = np.nan
    _assert_equal(
        ts.stats.linear_rainbow(ts.ols(FORMULA, frame).fit(), order_by="x0"),
        smd.linear_rainbow(smf.ols(FORMULA, frame).fit(), order_by="x0"),
    )


@pytest.fixture(scope="module")
def weighted() -> tuple:
    frame = _frame(11)
    weights = 1.0 / frame["x1"].to_numpy() ** 2
    res = ts.wls(FORMULA, frame, weights=weights).fit()
    return res, frame, weights


@pytest.mark.parametrize("order", [None, "x0", "distance"])
def test_wls_tests_the_weighted_problem(weighted: tuple, order: str | None) -> None:
    """The central fit is weighted too (statsmodels refits it without weights); the
    order is that of the unweighted design."""
    res, frame, weights = weighted
    X = np.asarray(res.model.exog)
    y = np.asarray(res.model.endog)
    n = y.shape[0]
    if order == "distance":
        positions = _statsmodels_distance_order(X)
    elif order == "x0":
        positions = np.argsort(frame["x0"].to_numpy(), kind="stable")
    else:
        positions = np.arange(n)
    low = int(np.ceil(0.25 * n))
    high = int(np.floor(low + 0.5 * n))
    middle = positions[low:high]
    central = sm.WLS(y[middle], X[middle], weights=weights[middle]).fit()
    df_outer = n - (high - low)
    fstat = (res.ssr - central.ssr) / df_outer / central.ssr * central.df_resid
    expected = (fstat, stats.f.sf(fstat, df_outer, central.df_resid))
    kwargs = {"use_distance": True} if order == "distance" else {"order_by": order}
    _assert_equal(ts.stats.linear_rainbow(res, **kwargs), expected)


def _statsmodels_distance_order(exog: np.ndarray) -> np.ndarray:
    centroid = exog.mean(0, keepdims=True)
    vi = np.linalg.pinv((exog - centroid).T @ (exog - centroid) / exog.shape[0])
    distance = cdist(exog, centroid, metric="mahalanobis", VI=vi)
    return np.lexsort((*exog.T[::-1], distance.ravel()))


def test_unit_weights_give_the_ols_test(formula_fits: tuple) -> None:
    ours, _ = formula_fits
    frame = ours.model.data.frame
    unit = ts.wls(FORMULA, frame, weights=np.ones(len(frame))).fit()
    for kwargs in ({}, {"order_by": "x0"}, {"use_distance": True}):
        np.testing.assert_allclose(
            ts.stats.linear_rainbow(unit, **kwargs), ts.stats.linear_rainbow(ours, **kwargs)
        )


def test_bad_arguments(formula_fits: tuple) -> None:
    res, _ = formula_fits
    for frac in (0.0, 1.0, -0.2, 1.5):
        with pytest.raises(InvalidOptionError, match="frac must lie strictly between 0 and 1"):
            ts.stats.linear_rainbow(res, frac=frac)
    with pytest.raises(InvalidOptionError, match="frac is too small"):
        ts.stats.linear_rainbow(res, frac=0.02)
    with pytest.raises(InvalidOptionError, match="cannot be simultaneously used"):
        ts.stats.linear_rainbow(res, order_by="x0", use_distance=True)
    with pytest.raises(UnknownColumnError, match=r"\['x9'\] are not columns of the design"):
        ts.stats.linear_rainbow(res, order_by=["x0", "x9"])
    n = res.model.exog.shape[0]
    with pytest.raises(ShapeMismatchError, match=f"must hold {n} integer positions"):
        ts.stats.linear_rainbow(res, order_by=np.arange(n - 1))
    with pytest.raises(ShapeMismatchError, match="integer positions"):
        ts.stats.linear_rainbow(res, order_by=np.arange(n) + 0.5)
    with pytest.raises(ShapeMismatchError, match="below nobs"):
        ts.stats.linear_rainbow(res, order_by=np.arange(n) + 1)


def test_other_results_are_refused() -> None:
    y, X = _macro()
    with pytest.raises(TypeError, match="OLS or WLS"):
        ts.stats.linear_rainbow(ts.GLM(y, X).fit())
    with pytest.raises(TypeError, match="OLS or WLS"):
        ts.stats.linear_rainbow(sm.OLS(y, X).fit())


def test_module_paths() -> None:
    from torchstats.stats.diagnostic import linear_rainbow

    assert linear_rainbow is ts.stats.linear_rainbow
