"""Gradient-based least squares (``method="gd"``) really converges, and says when it does not."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
import torch

import torchstats as ts
from torchstats.errors import ConvergenceWarning
from torchstats.solvers.first_order import minimize_lbfgs, solve_least_squares_gd


def badly_scaled(seed: int = 3, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Columns around 3000, two nearly collinear, no intercept: cond(X'X) ~ 1e5."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    X = np.column_stack(
        [
            3000 + 300 * rng.normal(size=n),
            3000 + 300 * z,
            2800 + 300 * z + 25 * rng.normal(size=n),
            3200 + 200 * rng.normal(size=n),
        ]
    )
    y = X @ np.array([0.002, -0.001, 0.003, 0.0005]) + rng.normal(size=n)
    return y, X


def test_case_is_as_badly_conditioned_as_claimed():
    _, X = badly_scaled()
    assert 5e4 < np.linalg.cond(X.T @ X) < 5e5
    assert np.all(np.abs(X.mean(axis=0) - 3000) < 300)


def test_naive_gradient_descent_silently_fails_here():
    """The user story: fixed-step GD stops far from the pinv solution without complaint."""
    y, X = badly_scaled()
    reference = np.linalg.pinv(X) @ y
    beta = np.zeros(X.shape[1])
    lr = 1.0 / np.linalg.eigvalsh(X.T @ X).max()  # the largest stable step
    for _ in range(5000):
        beta -= lr * (X.T @ (X @ beta - y))
    assert np.max(np.abs(beta - reference) / np.abs(reference)) > 1e-2


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_gd_reaches_pinv_on_badly_scaled_data(seed):
    y, X = badly_scaled(seed)
    res = ts.OLS(y, X).fit(method="gd")
    reference = sm.OLS(y, X).fit(method="pinv")
    assert res.converged
    np.testing.assert_allclose(res.params, reference.params, rtol=1e-6)
    np.testing.assert_allclose(res.bse, reference.bse, rtol=1e-8)


def test_gd_reports_iterations_and_gradient_norm():
    y, X = badly_scaled()
    res = ts.OLS(y, X).fit(method="gd")
    assert 0 < res.n_iter < 1000
    assert res.fit_result.grad_norm >= 0
    assert res.fit_result.grad_norm < 1e-6
    assert "gradient norm below tolerance" in res.fit_result.message


def test_gd_on_float32_input_computes_in_float64():
    y, X = badly_scaled()
    res = ts.OLS(torch.tensor(y, dtype=torch.float32), torch.tensor(X, dtype=torch.float32)).fit(
        method="gd"
    )
    assert res.params.dtype == torch.float64
    reference = np.linalg.lstsq(
        X.astype(np.float32).astype(float), y.astype(np.float32), rcond=None
    )
    np.testing.assert_allclose(res.params.numpy(), reference[0], rtol=1e-6)


def test_gd_in_float32_converges_to_float32_accuracy():
    y, X = badly_scaled()
    res = ts.OLS(y, X, dtype=torch.float32).fit(method="gd")
    reference = ts.OLS(y, X).fit(method="qr")
    assert res.converged
    assert res.params.dtype == np.float32
    # Forward error ~ cond(Xs'Xs) * eps32 = 1e5 * 1.2e-7 ~ 1e-2: all float32 can promise.
    np.testing.assert_allclose(res.params, reference.params, rtol=1e-2)


def test_gd_non_convergence_warns_and_is_reported():
    y, X = badly_scaled()
    with pytest.warns(ConvergenceWarning, match="did not converge after 3 iterations"):
        res = ts.OLS(y, X).fit(method="gd", max_iter=3)
    assert not res.converged
    assert res.n_iter == 3
    assert any("did not converge" in note for note in res._summary_notes())


def test_gd_matches_qr_on_formula_models(frame):
    formula = "y ~ x1 * C(g) + np.log(x2) + I(x3**2)"
    gd = ts.ols(formula, frame).fit(method="gd")
    qr = ts.ols(formula, frame).fit(method="qr")
    np.testing.assert_allclose(gd.params, qr.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(gd.bse, qr.bse, rtol=1e-12)


def test_lbfgs_minimises_rosenbrock():
    def rosenbrock(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = x[0], x[1]
        value = (1 - a) ** 2 + 100 * (b - a**2) ** 2
        grad = torch.stack([-2 * (1 - a) - 400 * a * (b - a**2), 200 * (b - a**2)])
        return value, grad

    found = minimize_lbfgs(rosenbrock, torch.tensor([-1.2, 1.0], dtype=torch.float64))
    assert found.converged
    np.testing.assert_allclose(found.params.numpy(), [1.0, 1.0], rtol=1e-8)


def test_solver_level_gd_warns_with_remedy():
    y, X = badly_scaled()
    with pytest.warns(ConvergenceWarning, match="Increase max_iter, or use method='qr'"):
        solve_least_squares_gd(torch.tensor(X), torch.tensor(y), max_iter=2)


def test_gd_on_an_ill_conditioned_design_says_it_is_not_the_least_squares_solution():
    """A degree-10 polynomial (cond 1e11 after equilibration): L-BFGS met its gradient
    tolerance 100% away from QR's coefficients and reported converged=True (the third user
    story: gradient descent silently failing to match pinv)."""
    rng = np.random.default_rng(0)
    n = 60
    rng.normal(size=n)
    t = np.linspace(1, 2, n)
    X = np.column_stack([t**k for k in range(11)])
    y = X @ np.ones(11) + 1e-2 * rng.normal(size=n)
    with pytest.warns(ConvergenceWarning, match="so ill-conditioned"):
        res = ts.OLS(y, X).fit(method="gd")
    assert not res.converged
    assert any("may be off" in note for note in res._summary_notes())
