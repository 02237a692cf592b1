"""OLS/WLS ``fit_regularized`` against statsmodels and against exact conditions.

statsmodels' coordinate descent stops when no coefficient moves by ``cnvrg_tol=1e-10``
after at most 50 sweeps; on these well-conditioned designs it reaches about 1e-9, so its
coefficients are compared at ``atol=1e-7``. Our solutions are checked tighter against the
KKT conditions (1e-9 relative), the closed-form ridge and the unpenalised fit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import optimize

import torchstats as ts
from tests.parity import mask_clock
from torchstats.errors import ConvergenceWarning, InvalidOptionError


def _data(seed: int, n: int = 120, k: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    X[:, 2] += 0.5 * X[:, 1]
    y = X @ np.r_[1.0, 2.0, 0.0, 0.0, -1.0][:k] + rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    return y, X, w


def _kkt(X: np.ndarray, y: np.ndarray, b: np.ndarray, alpha: np.ndarray, l1_wt: float) -> float:
    """Largest KKT violation of ``|y - Xb|^2 / (2n) + P(b)``, relative to the gradient
    scale ``|X'y / n|_inf``."""
    n = len(y)
    g = -X.T @ (y - X @ b) / n + alpha * (1 - l1_wt) * b
    lam = alpha * l1_wt
    active = b != 0
    r = np.where(active, np.abs(g + lam * np.sign(b)), np.maximum(np.abs(g) - lam, 0))
    return float(r.max() / np.abs(X.T @ y / n).max())


CASES = [(seed, alpha, l1_wt) for seed in (0, 1) for alpha in (0.02, 0.2) for l1_wt in (0.5, 1.0)]


@pytest.mark.parametrize("seed,alpha,l1_wt", CASES)
def test_ols_params_match_statsmodels(seed: int, alpha: float, l1_wt: float) -> None:
    y, X, _ = _data(seed)
    expected = sm.OLS(y, X).fit_regularized(alpha=alpha, L1_wt=l1_wt).params
    res = ts.OLS(y, X).fit_regularized(alpha=alpha, L1_wt=l1_wt)
    np.testing.assert_allclose(res.params, expected, atol=1e-7)
    assert np.array_equal(res.params == 0, expected == 0)
    assert res.converged is True
    assert _kkt(X, y, res.params, np.full(5, alpha), l1_wt) < 1e-9


def test_vector_alpha_leaves_the_intercept_unpenalised() -> None:
    y, X, _ = _data(2)
    alpha = np.r_[0.0, 0.3, 0.3, 0.1, 0.1]
    expected = sm.OLS(y, X).fit_regularized(alpha=alpha, L1_wt=1.0).params
    res = ts.OLS(y, X).fit_regularized(alpha=alpha, L1_wt=1.0)
    np.testing.assert_allclose(res.params, expected, atol=1e-7)
    assert res.params[0] != 0
    assert _kkt(X, y, res.params, alpha, 1.0) < 1e-9


def test_alpha_zero_is_the_least_squares_fit() -> None:
    y, X, _ = _data(3)
    res = ts.OLS(y, X).fit_regularized(alpha=0.0)
    np.testing.assert_allclose(res.params, ts.OLS(y, X).fit().params, rtol=1e-11)


@pytest.mark.parametrize("alpha", [0.05, np.r_[0.0, 0.1, 0.2, 0.3, 0.4]])
def test_ridge_is_the_closed_form(alpha: object) -> None:
    y, X, _ = _data(4)
    n = len(y)
    res = ts.OLS(y, X).fit_regularized(alpha=alpha, L1_wt=0.0)
    expected = np.linalg.solve(X.T @ X / n + np.diag(np.broadcast_to(alpha, (5,))), X.T @ y / n)
    np.testing.assert_allclose(res.params, expected, rtol=1e-11)
    np.testing.assert_allclose(
        res.params, sm.OLS(y, X).fit_regularized(alpha=alpha, L1_wt=0.0).params, rtol=1e-11
    )
    assert not hasattr(res, "converged")  # statsmodels' ridge path sets none


def test_wls_matches_statsmodels_and_whitened_ols() -> None:
    y, X, w = _data(5)
    expected = sm.WLS(y, X, weights=w).fit_regularized(alpha=0.1, L1_wt=0.5)
    res = ts.WLS(y, X, weights=w).fit_regularized(alpha=0.1, L1_wt=0.5)
    np.testing.assert_allclose(res.params, expected.params, atol=1e-7)
    np.testing.assert_allclose(res.fittedvalues, X @ res.params, rtol=1e-12)
    # statsmodels' rule: OLS on sqrt(w)-whitened data with alpha times mean(w)
    root = np.sqrt(w)
    whitened = ts.OLS(root * y, X * root[:, None]).fit_regularized(alpha=0.1 * w.mean(), L1_wt=0.5)
    np.testing.assert_allclose(res.params, whitened.params, rtol=1e-10, atol=1e-14)


def test_refit_matches_statsmodels() -> None:
    y, X, _ = _data(6)
    expected = sm.OLS(y, X).fit_regularized(alpha=0.2, refit=True)
    res = ts.OLS(y, X).fit_regularized(alpha=0.2, refit=True)
    assert np.array_equal(expected.params == 0, res.params == 0)
    np.testing.assert_allclose(res.params, expected.params, rtol=1e-10)
    np.testing.assert_allclose(res.bse, expected.bse, rtol=1e-10)
    np.testing.assert_allclose(res.tvalues, expected.tvalues, rtol=1e-10)  # NaN where dropped
    assert res.df_model == expected.df_model and res.df_resid == expected.df_resid
    np.testing.assert_allclose(res.scale, expected.scale, rtol=1e-12)


def test_wls_refit_returns_the_refit_coefficients() -> None:
    y, X, w = _data(7)
    expected = sm.WLS(y, X, weights=w).fit_regularized(alpha=0.2, refit=True)
    res = ts.WLS(y, X, weights=w).fit_regularized(alpha=0.2, refit=True)
    np.testing.assert_allclose(res.params, expected.params, rtol=1e-10, atol=1e-14)


def test_profile_scale_solves_the_profile_likelihood() -> None:
    """statsmodels' coordinate descent takes one quadratic step per coordinate
    (``check_step=False``), which is exact for ``SSR / (2n)`` but not for the profile
    ``log(SSR) / 2``: here it ends far from the minimum. Ours satisfies the KKT
    conditions and has the lower objective."""
    y, X, _ = _data(8)
    n, alpha = len(y), 0.05

    def objective(b: np.ndarray) -> float:
        e = y - X @ b
        return 0.5 * np.log(e @ e / n) + alpha * np.abs(b).sum()

    theirs = sm.OLS(y, X).fit_regularized(alpha=alpha, profile_scale=True).params
    res = ts.OLS(y, X).fit_regularized(alpha=alpha, profile_scale=True)
    assert res.converged
    assert objective(res.params) < objective(theirs)
    e = y - X @ res.params
    g = -X.T @ e / (e @ e)
    b = res.params
    r = np.where(b != 0, np.abs(g + alpha * np.sign(b)), np.maximum(np.abs(g) - alpha, 0))
    assert r.max() < 1e-9 * alpha


def test_sqrt_lasso_satisfies_its_kkt_conditions() -> None:
    """statsmodels needs cvxopt here; the optimality conditions of ``sqrt(SSR/n) +
    alpha |b|_1 / n`` are ``X'e / sqrt(n SSR) = (alpha / n) sign(b)`` on the support."""
    y, X, _ = _data(9)
    n, alpha = len(y), 8.0
    res = ts.OLS(y, X).fit_regularized(method="sqrt_lasso", alpha=alpha)
    b = res.params
    e = y - X @ b
    g = -X.T @ e / np.sqrt(n * (e @ e))
    lam = alpha / n
    r = np.where(b != 0, np.abs(g + lam * np.sign(b)), np.maximum(np.abs(g) - lam, 0))
    assert r.max() < 1e-9 * lam
    assert (b == 0).any() and (b != 0).any()


def test_formula_keeps_names_rows_and_predicts() -> None:
    y, X, _ = _data(10)
    df = pd.DataFrame(X[:, 1:], columns=["a", "b", "c", "d"], index=np.arange(len(y)) + 50)
    df["y"] = y
    expected = smf.ols("y ~ a + b + c + d", df).fit_regularized(alpha=0.1)
    res = ts.ols("y ~ a + b + c + d", df).fit_regularized(alpha=0.1)
    assert isinstance(res.params, pd.Series)
    assert list(res.params.index) == list(expected.params.index)
    pd.testing.assert_series_equal(res.fittedvalues, expected.fittedvalues, atol=1e-7)
    pd.testing.assert_series_equal(res.predict(df.head(3)), expected.predict(df.head(3)), atol=1e-7)


def test_iteration_limit_warns() -> None:
    y, X, _ = _data(11)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = ts.OLS(y, X).fit_regularized(alpha=0.05, profile_scale=True, maxiter=1)
    assert res.converged is False


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"alpha": -0.1}, "non-negative"),
        ({"alpha": [0.1, 0.2]}, "one per parameter"),
        ({"alpha": 0.1, "method": "lasso"}, "unknown method"),
        ({"alpha": 0.1, "L1_wt": 1.5}, "L1_wt"),
        ({"alpha": 0.1, "tolerance": 1e-3}, "unknown fit_regularized options"),
    ],
)
def test_bad_input(kwargs: dict, match: str) -> None:
    y, X, _ = _data(12)
    with pytest.raises(InvalidOptionError, match=match):
        ts.OLS(y, X).fit_regularized(**kwargs)


def test_statsmodels_accepts_what_we_accept() -> None:
    """statsmodels' coordinate-descent options are accepted (unused: the KKT test ends)."""
    y, X, _ = _data(13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = ts.OLS(y, X).fit_regularized(alpha=0.1, cnvrg_tol=1e-5, check_step=False)
    np.testing.assert_allclose(
        res.params, sm.OLS(y, X).fit_regularized(alpha=0.1).params, atol=1e-7
    )


def test_refit_summary_matches_statsmodels() -> None:
    y, X, _ = _data(14)
    expected = sm.OLS(y, X).fit_regularized(alpha=0.2, refit=True).summary()
    res = ts.OLS(y, X).fit_regularized(alpha=0.2, refit=True)
    assert mask_clock(str(res.summary())) == mask_clock(str(expected))


def test_formula_refit_is_unlabelled_as_statsmodels() -> None:
    """statsmodels builds its refit results unwrapped: arrays for pandas data, with the
    names in the summary."""
    y, X, _ = _data(15)
    df = pd.DataFrame(X[:, 1:], columns=["a", "b", "c", "d"])
    df["y"] = y
    expected = smf.ols("y ~ a + b + c + d", df).fit_regularized(alpha=0.2, refit=True)
    res = ts.ols("y ~ a + b + c + d", df).fit_regularized(alpha=0.2, refit=True)
    for name in ("params", "bse", "fittedvalues"):
        assert type(getattr(res, name)) is type(getattr(expected, name)) is np.ndarray
    assert mask_clock(str(res.summary())) == mask_clock(str(expected.summary()))


def test_zero_tol_reoptimises_the_other_coefficients() -> None:
    """statsmodels fixes a coefficient below ``zero_tol`` at zero inside its coordinate
    descent: the others are the elastic net with that column dropped. Before, the small
    coefficient was cut after the solve and the others kept (1.3497 where 1.3503)."""
    rng = np.random.default_rng(11)
    X = sm.add_constant(rng.normal(size=(200, 3)))
    rng.normal(size=200)
    rng.uniform(size=200)
    y = rng.poisson(np.exp(0.2 + 0.5 * X[:, 1] - 0.3 * X[:, 2])).astype(float)
    exact = np.asarray(ts.OLS(y, X).fit_regularized(alpha=0.05, L1_wt=0.5).params)
    assert 0 < abs(exact[3]) < 0.2  # the coefficient zero_tol removes
    res = ts.OLS(y, X).fit_regularized(alpha=0.05, L1_wt=0.5, zero_tol=0.2)
    dropped = ts.OLS(y, X[:, :3]).fit_regularized(alpha=0.05, L1_wt=0.5)
    np.testing.assert_allclose(res.params, np.r_[np.asarray(dropped.params), 0.0], rtol=1e-12)
    expected = sm.OLS(y, X).fit_regularized(alpha=0.05, L1_wt=0.5, zero_tol=0.2)
    np.testing.assert_allclose(res.params, expected.params, atol=1e-7)
    assert res.converged


def test_duplicated_column_lasso_converges() -> None:
    """A duplicated column (a non-unique minimiser, a singular Hessian) warned 'did not
    converge' with ``maxiter=500`` at a KKT residual of 1.1e-8, though its objective
    equalled statsmodels' (converged) to 1e-16."""
    rng = np.random.default_rng(2)
    n = 150
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 4))])
    y = X @ np.r_[1.0, 2.0, 0.0, 0.0, -1.0] + rng.normal(size=n)
    Xd = np.column_stack([X, X[:, 1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = ts.OLS(y, Xd).fit_regularized(alpha=0.05, L1_wt=1)
    assert res.converged
    assert _kkt(Xd, y, np.asarray(res.params), np.full(6, 0.05), 1.0) < 1e-9
    theirs = sm.OLS(y, Xd).fit_regularized(alpha=0.05, L1_wt=1).params

    def objective(b: np.ndarray) -> float:
        return float(((y - Xd @ b) ** 2).sum() / (2 * n) + 0.05 * np.abs(b).sum())

    assert objective(np.asarray(res.params)) <= objective(theirs) + 1e-15


def _sqrt_lasso_case(noise: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(27)
    X = sm.add_constant(rng.normal(size=(100, 4)))
    rng.normal(size=100)  # the probe's draws
    return X @ np.r_[1.0, 2.0, 0.0, 0.0, -1.0] + noise * rng.normal(size=100), X


@pytest.mark.parametrize("alpha", [0.5, 5.0])
def test_sqrt_lasso_of_an_exact_fit_is_the_exact_fit(alpha: float) -> None:
    """``y = X b0`` exactly: the minimiser is ``b0`` (zero residuals, where the square-root
    loss is not differentiable: the subgradient certificate ``u = sqrt(n) X_A (X_A'X_A)^-1
    (alpha / n) sign(b_A)`` has ``|u| <= 1`` and ``|X_j'u| / sqrt(n) <= alpha / n`` off the
    support). It warned 'did not converge' before, once with 'KKT conditions hold;
    residual nan'."""
    y, X = _sqrt_lasso_case(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = ts.OLS(y, X).fit_regularized(method="sqrt_lasso", alpha=alpha)
    assert res.fit_result.converged
    np.testing.assert_allclose(res.params, np.r_[1.0, 2.0, 0.0, 0.0, -1.0], atol=1e-13)
    assert res.params[2] == 0 and res.params[3] == 0
    n, lam = len(y), alpha / len(y)  # the certificate, independently
    u = (
        np.sqrt(n)
        * X[:, [0, 1, 4]]
        @ np.linalg.solve(X[:, [0, 1, 4]].T @ X[:, [0, 1, 4]], lam * np.r_[1.0, 1.0, -1.0])
    )
    assert np.linalg.norm(u) <= 1 and np.all(np.abs(X[:, [2, 3]].T @ u) / np.sqrt(n) <= lam)


@pytest.mark.parametrize("alpha", [0.5, 5.0])
def test_sqrt_lasso_of_a_near_exact_fit_converges(alpha: float) -> None:
    """Residuals of about 1e-8: the gradient ``X'e / |e|`` is known to about
    ``eps |y| / |e|`` (1e-7 relative), so the KKT conditions are tested to its rounding;
    the objective is scipy's minimum (Powell) to 1e-15."""
    y, X = _sqrt_lasso_case(1e-8)
    n = len(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = ts.OLS(y, X).fit_regularized(method="sqrt_lasso", alpha=alpha)
    b = np.asarray(res.params)

    def objective(v: np.ndarray) -> float:
        return float(np.sqrt(((y - X @ v) ** 2).sum() / n) + alpha * np.abs(v).sum() / n)

    found = optimize.minimize(
        objective,
        b,
        method="Powell",
        options={"xtol": 1e-10, "ftol": 1e-16},
    )
    assert objective(b) <= found.fun + 1e-15


def test_sqrt_lasso_iteration_limit_still_warns() -> None:
    y, X = _sqrt_lasso_case(1.0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = ts.OLS(y, X).fit_regularized(method="sqrt_lasso", alpha=0.5, maxiter=1)
    assert not res.fit_result.converged
