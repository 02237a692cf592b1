"""ts.stats diagnostics equal statsmodels' and R's (lmtest) values.

Three sources: statsmodels' own R/Eviews-verified numbers on macrodata (its test suite's
``TestDiagnosticG``), R's lmtest on mtcars (``tests/reference/diagnostics/``), and live
statsmodels on several data sets.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.stats.diagnostic as smd
import torch

import torchstats as ts
from torchstats.errors import InvalidOptionError, ShapeMismatchError, SingularDesignError

RTOL = 1e-10
REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference" / "diagnostics" / "r_lmtest.json").read_text()
)
MTCARS = pd.DataFrame(REFERENCE["mtcars"])
MTCARS_FORMULAS = {
    "k2": "mpg ~ wt",
    "k3": "mpg ~ wt + hp",
    "k4": "mpg ~ wt + hp + qsec",
    "k5": "mpg ~ wt + hp + qsec + drat",
}


def _macro() -> tuple[np.ndarray, np.ndarray]:
    d = sm.datasets.macrodata.load_pandas().data
    y = 400 * np.diff(np.log(d["realinv"].to_numpy()))
    gdp = 400 * np.diff(np.log(d["realgdp"].to_numpy()))
    return y, sm.add_constant(np.c_[gdp, d["realint"][:-1].to_numpy()])


def _hetero(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 150
    x = np.c_[rng.normal(size=n), rng.uniform(1, 4, size=n), rng.integers(0, 2, size=n)]
    y = x @ [1.0, -0.5, 0.3] + rng.normal(size=n) * x[:, 1] + 0.2 * x[:, 0] ** 2
    return y, sm.add_constant(x)


DATASETS = {"macro": _macro, "hetero1": lambda: _hetero(1), "hetero2": lambda: _hetero(2)}


@pytest.fixture(params=sorted(DATASETS), scope="module")
def fits(request: pytest.FixtureRequest) -> tuple:
    y, X = DATASETS[request.param]()
    return ts.OLS(y, X).fit(), sm.OLS(y, X).fit(), y, X


@pytest.fixture(scope="module")
def macro() -> tuple:
    y, X = _macro()
    return ts.OLS(y, X).fit(), y, X


# --- statsmodels' own reference numbers (R's lmtest / Eviews), macrodata -------------------


def test_breuschpagan_matches_r(macro: tuple) -> None:
    res, _, X = macro
    lm, lm_p, _, _ = ts.stats.het_breuschpagan(res.resid, X)
    np.testing.assert_allclose([lm, lm_p], [0.709924388395087, 0.701199952134347], rtol=1e-12)
    lm, lm_p, _, _ = ts.stats.het_breuschpagan(res.resid, X, robust=False)
    np.testing.assert_allclose([lm, lm_p], [1.302014063483341, 0.5215203247110649], rtol=1e-12)


def test_white_matches_eviews(macro: tuple) -> None:
    res, _, X = macro
    expected = (
        33.503722896538441,
        2.9887960597830259e-06,
        7.7945101228430946,
        1.0354575277704231e-06,
    )
    np.testing.assert_allclose(ts.stats.het_white(res.resid, X), expected, rtol=1e-10)
    expected = (13.25091965953952, 0.001326170478134868, 6.985287047470471, 0.001169716842511783)
    np.testing.assert_allclose(ts.stats.het_white(res.resid, X, False), expected, rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"alternative": "increasing"}, (0.5313259064778423, 0.9990217851193723)),
        ({"alternative": "decreasing"}, (0.5313259064778423, 0.000978214880627621)),
        ({"alternative": "two-sided"}, (0.5313259064778423, 0.001956429761255241)),
        (
            {"split": 90, "drop": 21, "alternative": "two-sided"},
            (0.5006976835928314, 0.001387126702579789),
        ),
    ],
)
def test_goldfeldquandt_matches_r(macro: tuple, kwargs: dict, expected: tuple) -> None:
    _, y, X = macro
    kwargs = {"split": 0.5, **kwargs}
    fval, pval, ordering = ts.stats.het_goldfeldquandt(y, X, **kwargs)
    np.testing.assert_allclose([fval, pval], expected, rtol=1e-11)
    assert ordering == kwargs["alternative"]


def test_breusch_godfrey_matches_r(macro: tuple) -> None:
    res, _, _ = macro
    expected = [4.771042651230007, 0.3116067133066697, 1.179280833676792, 0.321197487261203]
    np.testing.assert_allclose(ts.stats.acorr_breusch_godfrey(res, nlags=4), expected, rtol=1e-10)
    np.testing.assert_allclose(
        ts.stats.acorr_breusch_godfrey(res),
        ts.stats.acorr_breusch_godfrey(res, nlags=10),
        rtol=1e-14,
    )


def test_ljungbox_matches_r(macro: tuple) -> None:
    res, _, _ = macro
    frame = ts.stats.acorr_ljungbox(res.resid, 4, boxpierce=True)
    np.testing.assert_allclose(
        frame.loc[4].to_numpy(),
        [5.23587172795227, 0.263940335284713, 5.12462932741681, 0.2747471266820692],
        rtol=1e-12,
    )
    big = ts.stats.acorr_ljungbox(res.resid, boxpierce=True, lags=40).loc[40].to_numpy()
    np.testing.assert_allclose(
        big, [51.03724531797195, 0.11334744923390, 45.12238537034000, 0.26638168491464], rtol=1e-12
    )
    small = ts.stats.acorr_ljungbox(res.resid[:30], boxpierce=True, lags=13).loc[13].to_numpy()
    np.testing.assert_allclose(
        small, [9.61503968281915, 0.72507000996945, 7.41692150864936, 0.87940785887006], rtol=1e-12
    )


def test_harvey_collier_matches_r(macro: tuple) -> None:
    res, _, _ = macro
    statistic, pvalue = ts.stats.linear_harvey_collier(res)
    np.testing.assert_allclose(
        [statistic, pvalue], [0.494432160939874, 0.6215491310408242], rtol=1e-11
    )


# --- R's lmtest on mtcars (tests/reference/diagnostics/r_lmtest.R) ---------------------------


@pytest.fixture(params=sorted(MTCARS_FORMULAS), scope="module")
def mtcars(request: pytest.FixtureRequest) -> tuple:
    res = ts.ols(MTCARS_FORMULAS[request.param], MTCARS).fit()
    return res, np.asarray(res.model.exog), np.asarray(res.model.endog), REFERENCE[request.param]


def test_mtcars_breuschpagan(mtcars: tuple) -> None:
    res, X, _, ref = mtcars
    np.testing.assert_allclose(ts.stats.het_breuschpagan(res.resid, X)[:2], ref["bp"], rtol=1e-12)
    np.testing.assert_allclose(
        ts.stats.het_breuschpagan(res.resid, X, robust=False)[:2], ref["bp_nonrobust"], rtol=1e-12
    )


def test_mtcars_goldfeldquandt_unequal_halves(mtcars: tuple) -> None:
    """14 and 18 observations: R's degrees of freedom (statsmodels swaps them here)."""
    _, X, y, ref = mtcars
    greater = ts.stats.het_goldfeldquandt(y, X, split=14)
    less = ts.stats.het_goldfeldquandt(y, X, split=14, alternative="decreasing")
    np.testing.assert_allclose(greater[:2], ref["gq_greater"], rtol=1e-12)
    np.testing.assert_allclose(less[:2], ref["gq_less"], rtol=1e-12)


def test_mtcars_breusch_godfrey(mtcars: tuple) -> None:
    res, _, _, ref = mtcars
    lm, lm_p, f, f_p = ts.stats.acorr_breusch_godfrey(res, nlags=3)
    np.testing.assert_allclose([lm, lm_p], ref["bg_chisq"], rtol=1e-12)
    np.testing.assert_allclose([f, f_p], ref["bg_f"], rtol=1e-12)


def test_mtcars_reset(mtcars: tuple) -> None:
    res, _, _, ref = mtcars
    test = ts.stats.linear_reset(res, use_f=True)
    np.testing.assert_allclose(
        [float(np.squeeze(test.statistic)), test.pvalue], ref["reset_f"], rtol=1e-11
    )


def test_mtcars_harvey_collier_every_k(mtcars: tuple) -> None:
    """R's harvtest for k = 2..5 (statsmodels agrees only for k = 3; R reports |t|)."""
    res, _, _, ref = mtcars
    statistic, pvalue = ts.stats.linear_harvey_collier(res)
    np.testing.assert_allclose([abs(statistic), pvalue], ref["harvey_collier"], rtol=1e-9)


def test_mtcars_box_tests() -> None:
    frame = ts.stats.acorr_ljungbox(MTCARS["mpg"], 5, boxpierce=True)
    expected = [*REFERENCE["box_mpg_5"]["ljung_box"], *REFERENCE["box_mpg_5"]["box_pierce"]]
    np.testing.assert_allclose(frame.loc[5].to_numpy(), expected, rtol=1e-11)


# --- live statsmodels on several data sets ------------------------------------------------------


def test_breuschpagan_equals_statsmodels(fits: tuple) -> None:
    res, ref, _, X = fits
    for robust in (True, False):
        np.testing.assert_allclose(
            ts.stats.het_breuschpagan(res.resid, X, robust=robust),
            smd.het_breuschpagan(ref.resid, X, robust=robust),
            rtol=RTOL,
        )


@pytest.mark.filterwarnings("ignore:.*rank.deficient")
def test_white_equals_statsmodels(fits: tuple) -> None:
    """hetero data hold a dummy: its square duplicates it and the auxiliary rank drops."""
    res, ref, _, X = fits
    for interactions in (True, False):
        np.testing.assert_allclose(
            ts.stats.het_white(res.resid, X, interactions),
            smd.het_white(ref.resid, X, interactions),
            rtol=RTOL,
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"split": 0.4, "drop": 0.2, "alternative": "two-sided"},
        {"idx": 1, "alternative": "two-sided"},
    ],
)
def test_goldfeldquandt_equals_statsmodels(fits: tuple, kwargs: dict) -> None:
    _, _, y, X = fits
    ours = ts.stats.het_goldfeldquandt(y, X, **kwargs)
    theirs = smd.het_goldfeldquandt(y, X, result_object=False, **kwargs)
    np.testing.assert_allclose(ours[:2], theirs[:2], rtol=RTOL)
    assert ours[2] == theirs[2]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"lags": 7, "boxpierce": True},
        {"lags": [2, 5, 9], "model_df": 3, "boxpierce": True},
        {"period": 4},
        {"auto_lag": True},
        {"auto_lag": True, "boxpierce": True},
    ],
)
def test_ljungbox_equals_statsmodels(fits: tuple, kwargs: dict) -> None:
    res, ref, _, _ = fits
    ours = ts.stats.acorr_ljungbox(res.resid, **kwargs)
    theirs = smd.acorr_ljungbox(ref.resid, **kwargs)
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=RTOL)


@pytest.mark.parametrize("nlags", [None, 1, 5])
def test_breusch_godfrey_equals_statsmodels(fits: tuple, nlags: int | None) -> None:
    res, ref, _, _ = fits
    np.testing.assert_allclose(
        ts.stats.acorr_breusch_godfrey(res, nlags=nlags),
        smd.acorr_breusch_godfrey(ref, nlags=nlags, result_object=False),
        rtol=RTOL,
    )


def test_breusch_godfrey_without_constant() -> None:
    y, X = _hetero(3)
    res, ref = ts.OLS(y, X[:, 1:]).fit(), sm.OLS(y, X[:, 1:]).fit()
    np.testing.assert_allclose(
        ts.stats.acorr_breusch_godfrey(res, 2),
        smd.acorr_breusch_godfrey(ref, 2, result_object=False),
        rtol=RTOL,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"power": 2},
        {"power": [2, 4]},
        {"test_type": "exog"},
        {"use_f": True},
        {"cov_type": "HC3"},
        {"cov_type": "HC0", "use_f": True},
        {"cov_type": "HAC", "cov_kwds": {"maxlags": 4}},
    ],
)
def test_reset_equals_statsmodels(fits: tuple, kwargs: dict) -> None:
    # rtol 1e-8: cubes of the fitted values make the augmented design ill-conditioned
    # (condition ~1e7 on macrodata), and both fits lose digits there
    res, ref, _, _ = fits
    ours, theirs = ts.stats.linear_reset(res, **kwargs), smd.linear_reset(ref, **kwargs)
    np.testing.assert_allclose(np.squeeze(ours.statistic), np.squeeze(theirs.statistic), rtol=1e-8)
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue, rtol=1e-8)
    assert ours.df_denom == theirs.df_denom


def test_reset_princomp_is_the_exact_component(fits: tuple) -> None:
    """statsmodels' NIPALS stops at a tolerance (agreement ~1e-6); against the exact SVD."""
    res, ref, y, X = fits
    ours, theirs = (
        ts.stats.linear_reset(res, test_type="princomp"),
        smd.linear_reset(ref, test_type="princomp"),
    )
    np.testing.assert_allclose(np.squeeze(ours.statistic), np.squeeze(theirs.statistic), rtol=1e-4)
    z = X[:, 1:]
    z = (z - z.mean(0)) / z.std(0)
    pc = np.linalg.svd(z, full_matrices=False)[2][0]
    factor = z @ pc
    aug = sm.OLS(y, np.c_[X, factor**2, factor**3]).fit()
    exact = aug.wald_test(np.eye(2, X.shape[1] + 2, X.shape[1]), scalar=True, use_f=False)
    np.testing.assert_allclose(np.squeeze(ours.statistic), np.squeeze(exact.statistic), rtol=1e-10)


@pytest.mark.parametrize("kwargs", [{}, {"skip": 3}])
def test_harvey_collier_equals_statsmodels_for_three_regressors(fits: tuple, kwargs: dict) -> None:
    res, ref, _, X = fits
    if X.shape[1] != 3:
        res, ref = (
            ts.OLS(res.model.endog, X[:, :3]).fit(),
            sm.OLS(ref.model.endog, X[:, :3]).fit(),
        )
    np.testing.assert_allclose(
        ts.stats.linear_harvey_collier(res, **kwargs),
        smd.linear_harvey_collier(ref, **kwargs),
        rtol=1e-10,
    )


def test_harvey_collier_order_by(fits: tuple) -> None:
    res, ref, y, X = fits
    res, ref = ts.OLS(y, X[:, :3]).fit(), sm.OLS(y, X[:, :3]).fit()
    order = np.argsort(X[:, 1])
    np.testing.assert_allclose(
        ts.stats.linear_harvey_collier(res, order_by=order),
        smd.linear_harvey_collier(ref, order_by=order),
        rtol=1e-10,
    )


def test_recursive_residuals_equal_statsmodels(fits: tuple) -> None:
    res, ref, _, _ = fits
    pairs = zip(
        ts.stats.recursive_olsresiduals(res, skip=10), smd.recursive_olsresiduals(ref, skip=10)
    )
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


# --- inputs, return types, errors ---------------------------------------------------------------


def test_inputs_may_be_pandas_or_tensors(macro: tuple) -> None:
    res, y, X = macro
    expected = ts.stats.het_white(res.resid, X)
    frame = pd.DataFrame(X, columns=["const", "a", "b"])
    np.testing.assert_allclose(
        ts.stats.het_white(pd.Series(np.asarray(res.resid)), frame), expected, rtol=1e-14
    )
    np.testing.assert_allclose(
        ts.stats.het_white(torch.as_tensor(np.asarray(res.resid)), torch.as_tensor(X)),
        expected,
        rtol=1e-14,
    )
    tensor_fit = ts.OLS(torch.as_tensor(y), torch.as_tensor(X)).fit()
    np.testing.assert_allclose(
        ts.stats.acorr_breusch_godfrey(tensor_fit, 4),
        ts.stats.acorr_breusch_godfrey(res, 4),
        rtol=1e-13,
    )


def test_formula_results(macro: tuple) -> None:
    _, y, X = macro
    frame = pd.DataFrame({"y": y, "a": X[:, 1], "b": X[:, 2]})
    res, ref = ts.ols("y ~ a + b", frame).fit(), sm.OLS.from_formula("y ~ a + b", frame).fit()
    np.testing.assert_allclose(
        ts.stats.acorr_breusch_godfrey(res, 3),
        smd.acorr_breusch_godfrey(ref, 3, result_object=False),
        rtol=RTOL,
    )
    np.testing.assert_allclose(
        np.squeeze(ts.stats.linear_reset(res).statistic),
        np.squeeze(smd.linear_reset(ref).statistic),
        rtol=1e-8,
    )


def test_store_and_result_objects(macro: tuple) -> None:
    res, y, X = macro
    bg = ts.stats.acorr_breusch_godfrey(res, 4, store=True)
    assert isinstance(bg, ts.stats.LMTestResult) and bg.res_store.usedlag == 4
    np.testing.assert_allclose(bg.res_store.resols.rsquared * 202, bg.lm, rtol=1e-14)
    gq = ts.stats.het_goldfeldquandt(y, X, store=True)
    assert isinstance(gq, ts.stats.GoldfeldQuandtResult) and gq.res_store.split == 101
    assert "Goldfeld-Quandt" in str(gq.res_store)
    assert len(ts.stats.het_goldfeldquandt(y, X)) == 3
    assert isinstance(
        ts.stats.het_goldfeldquandt(y, X, result_object=True), ts.stats.GoldfeldQuandtResult
    )


def test_module_paths() -> None:
    assert ts.stats.diagnostic.het_white is ts.stats.het_white
    assert (
        ts.stats.outliers_influence.variance_inflation_factor is ts.stats.variance_inflation_factor
    )
    from torchstats.stats.diagnostic import acorr_ljungbox, het_breuschpagan  # noqa: F401


def test_bad_inputs(macro: tuple) -> None:
    res, y, X = macro
    with pytest.raises(ShapeMismatchError, match="at least two columns where one is a constant"):
        ts.stats.het_breuschpagan(res.resid, X[:, 1:])
    with pytest.raises(ValueError, match="White's heteroskedasticity"):
        ts.stats.het_white(res.resid, X[:, :1])
    with pytest.raises(ShapeMismatchError, match="observations"):
        ts.stats.het_breuschpagan(np.asarray(res.resid)[:-1], X)
    with pytest.raises(InvalidOptionError, match="alternative"):
        ts.stats.het_goldfeldquandt(y, X, alternative="bigger")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="period"):
        ts.stats.acorr_ljungbox(res.resid, period=1)
    with pytest.raises(InvalidOptionError, match="model_df"):
        ts.stats.acorr_ljungbox(res.resid, model_df=-1)
    with pytest.raises(InvalidOptionError, match="power"):
        ts.stats.linear_reset(res, power=1)
    with pytest.raises(InvalidOptionError, match="test_type"):
        ts.stats.linear_reset(res, test_type="squares")  # type: ignore[arg-type]
    with pytest.raises(ShapeMismatchError, match="only a constant"):
        ts.stats.linear_reset(ts.OLS(y, X[:, :1]).fit())
    with pytest.raises(SingularDesignError, match="skip"):
        ts.stats.linear_harvey_collier(res, skip=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ts.stats.het_white(res.resid, X)  # no warning of the auxiliary fits


# --- weighted fits: tested in the problem they solve (statsmodels drops the weights) ----------


@pytest.fixture(scope="module")
def weighted() -> tuple:
    y, X = _hetero(4)
    X = X[:, :3]
    w = 1.0 / X[:, 2] ** 2
    return ts.WLS(y, X, weights=w).fit(), y, X, w


def test_reset_of_wls_keeps_the_weights(weighted: tuple) -> None:
    res, y, X, w = weighted
    fitted = X @ np.asarray(res.params)
    augmented = sm.WLS(y, np.c_[X, fitted**2, fitted**3], weights=w).fit()
    expected = augmented.wald_test(np.eye(2, 5, 3), use_f=False, scalar=True)
    ours = ts.stats.linear_reset(res)
    np.testing.assert_allclose(
        np.squeeze(ours.statistic), np.squeeze(expected.statistic), rtol=1e-9
    )
    np.testing.assert_allclose(ours.pvalue, expected.pvalue, rtol=1e-9)


def test_harvey_collier_of_wls_uses_the_whitened_data(weighted: tuple) -> None:
    res, y, X, w = weighted
    root = np.sqrt(w)
    whitened = sm.OLS(root * y, root[:, None] * X).fit()
    np.testing.assert_allclose(
        ts.stats.linear_harvey_collier(res), smd.linear_harvey_collier(whitened), rtol=1e-10
    )


def test_breusch_godfrey_of_wls_equals_statsmodels(weighted: tuple) -> None:
    """statsmodels' definition: the unweighted residuals on the unweighted design."""
    res, y, X, w = weighted
    ref = sm.WLS(y, X, weights=w).fit()
    np.testing.assert_allclose(
        ts.stats.acorr_breusch_godfrey(res, 3),
        smd.acorr_breusch_godfrey(ref, 3, result_object=False),
        rtol=RTOL,
    )


def _two_sizes_of_residual(n: int = 30) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    X = sm.add_constant(rng.normal(size=(n, 2)))
    return 0.7 * np.where(np.arange(n) % 2 == 0, 1.0, -1.0), X


@pytest.mark.parametrize("resid_kind", ["plus-minus", "constant", "zero"])
@pytest.mark.parametrize("test", ["breuschpagan", "breuschpagan-normal", "white"])
def test_het_tests_on_residuals_of_one_size_are_undefined(resid_kind, test) -> None:
    """The squared residuals do not vary: R-squared is 0 / 0. It gave LM = n with p 3e-7
    (statsmodels: LM = -226), and all-zero residuals raised ZeroDivisionError."""
    resid, X = _two_sizes_of_residual()
    resid = {"plus-minus": resid, "constant": np.abs(resid), "zero": 0 * resid}[resid_kind]
    call = {
        "breuschpagan": lambda: ts.stats.het_breuschpagan(resid, X),
        "breuschpagan-normal": lambda: ts.stats.het_breuschpagan(resid, X, robust=False),
        "white": lambda: ts.stats.het_white(resid, X),
    }[test]
    with pytest.warns(ts.errors.DegreesOfFreedomWarning, match="squared residuals are all equal"):
        values = call()
    assert np.isnan(values).all()


@pytest.mark.parametrize("value", [0.0, 0.7])
def test_goldfeldquandt_of_an_exact_fit_is_undefined(value) -> None:
    _, X = _two_sizes_of_residual()
    y = np.full(len(X), value)
    with pytest.warns(ts.errors.DegreesOfFreedomWarning, match="fits its data exactly"):
        fval, pval, _ = ts.stats.het_goldfeldquandt(y, X, alternative="two-sided")
    assert np.isnan(fval) and np.isnan(pval)


@pytest.mark.parametrize(
    ("spelling", "deprecated"),
    [
        ("Two-Sided", False),
        ("INCREASING", False),
        ("i", True),
        ("inc", True),
        ("d", True),
        ("dec", True),
        ("2", True),
        ("2-sided", True),
    ],
)
def test_goldfeldquandt_takes_statsmodels_spellings(spelling, deprecated) -> None:
    rng = np.random.default_rng(0)
    X = sm.add_constant(rng.normal(size=(40, 2)))
    y = X @ [1, 1, 1] + rng.normal(size=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs = smd.het_goldfeldquandt(y, X, alternative=spelling)
    if deprecated:
        with pytest.warns(FutureWarning, match="deprecated"):
            ours = ts.stats.het_goldfeldquandt(y, X, alternative=spelling)
    else:
        ours = ts.stats.het_goldfeldquandt(y, X, alternative=spelling)
    np.testing.assert_allclose(ours[:2], theirs[:2], rtol=RTOL)
    assert ours[2] == theirs[2]


def test_rsquared_and_fvalue_of_a_constant_response_are_nan() -> None:
    """0 / 0 (it raised ZeroDivisionError, or gave rounding noise such as F = 1e32)."""
    _, X = _two_sizes_of_residual()
    for value in (0.0, 0.49, 1e6 / 3):
        res = ts.OLS(np.full(len(X), value), X).fit()
        assert np.isnan(res.rsquared) and np.isnan(res.fvalue) and np.isnan(res.f_pvalue)
    zero_column = np.column_stack([X, np.zeros(len(X))])
    assert np.isnan(ts.stats.variance_inflation_factor(zero_column, 3))
