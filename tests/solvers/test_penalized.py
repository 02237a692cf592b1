"""The penalised solver against exact oracles: the closed-form ridge, a brute-force search
over sign patterns for the lasso (every pattern's stationary point, kept where the KKT
conditions hold: the unique minimiser of a strictly convex problem), and scipy on a smooth
non-quadratic problem."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy import optimize

import torchstats as ts
from tests.conftest import DEVICES
from torchstats.solvers.penalized import kkt_residual, solve_penalized

DTYPE = torch.float64


def _quadratic(seed: int, n: int = 60, k: int = 4):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    X[:, 2] += 0.8 * X[:, 1]  # correlated columns: coordinate descent alone is slow
    y = X @ np.r_[0.5, 1.0, 0.0, -0.3][:k] + rng.normal(size=n)
    H, c = X.T @ X / n, -X.T @ y / n
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def derivatives(b: torch.Tensor):
        e = yt - Xt @ b
        return e @ e / (2 * n), -Xt.T @ e / n, Xt.T @ Xt / n

    return derivatives, H, c


def _brute_force_lasso(H: np.ndarray, c: np.ndarray, l1: np.ndarray) -> np.ndarray:
    """The minimiser of ``b'Hb/2 + c'b + sum l1 |b|``: the one sign pattern whose
    stationary point satisfies the KKT conditions."""
    k = len(c)
    found = []
    for signs in itertools.product((-1, 0, 1), repeat=k):
        s = np.array(signs, dtype=float)
        support = s != 0
        b = np.zeros(k)
        if support.any():
            b[support] = np.linalg.solve(
                H[np.ix_(support, support)], -(c[support] + l1[support] * s[support])
            )
        g = H @ b + c
        if np.all(np.sign(b[support]) == s[support]) and np.all(
            np.abs(g[~support]) <= l1[~support] + 1e-14
        ):
            found.append(b)
    assert len(found) >= 1
    return found[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("alpha", [0.0, 0.02, 0.1, 0.5])
def test_lasso_equals_the_brute_force_solution(seed: int, alpha: float) -> None:
    derivatives, H, c = _quadratic(seed)
    l1 = np.r_[0.0, alpha, alpha, alpha]  # unpenalised intercept
    solution = solve_penalized(
        derivatives, torch.tensor(l1), torch.zeros(4, dtype=DTYPE), torch.zeros(4, dtype=DTYPE)
    )
    expected = _brute_force_lasso(H, c, l1)
    assert solution.result.converged
    np.testing.assert_allclose(solution.result.params.numpy(), expected, rtol=1e-11, atol=1e-13)
    # exact zeros where the brute force has them
    assert np.array_equal(solution.result.params.numpy() == 0, expected == 0)


@pytest.mark.parametrize("alpha", [0.01, 1.0])
def test_ridge_equals_the_closed_form(alpha: float) -> None:
    derivatives, H, c = _quadratic(3)
    l2 = torch.full((4,), alpha, dtype=DTYPE)
    solution = solve_penalized(
        derivatives, torch.zeros(4, dtype=DTYPE), l2, torch.zeros(4, dtype=DTYPE)
    )
    expected = np.linalg.solve(H + alpha * np.eye(4), -c)
    np.testing.assert_allclose(solution.result.params.numpy(), expected, rtol=1e-12)


def test_logistic_elastic_net_against_scipy_and_kkt() -> None:
    """A smooth non-quadratic part: the KKT residuals vanish to 1e-10 relative, and scipy's
    L-BFGS-B on the split (b+, b-) problem, with tight tolerances, agrees to its accuracy."""
    rng = np.random.default_rng(4)
    n, k = 200, 4
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-X @ np.r_[0.2, 1.0, 0.0, -0.5]))).astype(float)
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def derivatives(b: torch.Tensor):
        eta = Xt @ b
        p = torch.sigmoid(eta)
        value = torch.sum(torch.nn.functional.softplus(eta) - yt * eta) / n
        return value, Xt.T @ (p - yt) / n, (Xt.T * (p * (1 - p))) @ Xt / n

    l1 = torch.tensor([0.0, 0.05, 0.05, 0.05], dtype=DTYPE)
    l2 = 0.5 * l1
    solution = solve_penalized(derivatives, l1, l2, torch.zeros(k, dtype=DTYPE))
    b = solution.result.params
    _, grad, _ = derivatives(b)
    residual = kkt_residual(grad + l2 * b, b, l1)
    assert float(residual.max()) <= 1e-10 * solution.scale

    def split(z: np.ndarray) -> tuple[float, np.ndarray]:
        beta = z[:k] - z[k:]
        value, gradient, _ = derivatives(torch.tensor(beta))
        g = gradient.numpy() + l2.numpy() * beta
        f = (
            float(value)
            + 0.5 * np.sum(l2.numpy() * beta**2)
            + np.sum(l1.numpy() * z[:k] + l1.numpy() * z[k:])
        )
        return f, np.r_[g + l1.numpy(), -g + l1.numpy()]

    bounds = [(None, None) if i % k == 0 else (0, None) for i in range(2 * k)]
    reference = optimize.minimize(
        split,
        np.zeros(2 * k),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000},
    )
    beta = reference.x[:k] - reference.x[k:]
    np.testing.assert_allclose(b.numpy(), beta, atol=1e-6)  # L-BFGS-B's accuracy, not ours


def test_iteration_limit_reports_not_converged() -> None:
    derivatives, _, _ = _quadratic(5)

    def curved(b: torch.Tensor):  # exp makes one Newton step insufficient
        value, grad, hess = derivatives(b)
        e = torch.exp(b[1])
        hess = hess.clone()
        hess[1, 1] += e
        grad = grad.clone()
        grad[1] += e
        return value + e, grad, hess

    l1 = torch.full((4,), 0.05, dtype=DTYPE)
    solution = solve_penalized(
        curved, l1, torch.zeros(4, dtype=DTYPE), torch.zeros(4, dtype=DTYPE), maxiter=1
    )
    assert not solution.result.converged
    assert "maximum number of iterations" in solution.result.message
    assert solve_penalized(
        curved, l1, torch.zeros(4, dtype=DTYPE), torch.zeros(4, dtype=DTYPE)
    ).result.converged


@pytest.mark.parametrize("device", DEVICES)
def test_fits_stay_on_the_models_device(device: str) -> None:
    """Tensors in, tensors out on the same device; the same numbers as on the CPU."""
    rng = np.random.default_rng(6)
    X = np.column_stack([np.ones(150), rng.normal(size=(150, 3))])
    y = X @ np.r_[1.0, 2.0, 0.0, -1.0] + rng.normal(size=150)
    yb = (y > 1.0).astype(float)
    fits = {}
    for where in ("cpu", device):
        Xt, yt, ybt = (torch.tensor(a, device=where) for a in (X, y, yb))
        fits[where] = (
            ts.OLS(yt, Xt).fit_regularized(alpha=0.1, L1_wt=0.5).params,
            ts.GLM(ybt, Xt, family=ts.families.Binomial()).fit_regularized(alpha=0.02).params,
            ts.Logit(ybt, Xt).fit_regularized(alpha=3.0, disp=0).bse,
        )
    for on_device, on_cpu in zip(fits[device], fits["cpu"]):
        assert on_device.device.type == device
        torch.testing.assert_close(on_device.cpu(), on_cpu, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_shifted_curvature_still_converges_to_the_kkt_point() -> None:
    """A duplicated column makes the Hessian singular, so the quadratic model is shifted;
    the subproblem must be centred at the current estimate with the *shifted* curvature,
    else its fixed point misses the KKT conditions by ``shift * |b|`` (about 1e-8, and
    ``maxiter`` ran out)."""
    rng = np.random.default_rng(2)
    n = 150
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 4))])
    y = X @ np.r_[1.0, 2.0, 0.0, 0.0, -1.0] + rng.normal(size=n)
    Xt, yt = torch.tensor(np.column_stack([X, X[:, 1]])), torch.tensor(y)

    def derivatives(b: torch.Tensor):
        e = yt - Xt @ b
        return e @ e / (2 * n), -Xt.T @ e / n, Xt.T @ Xt / n

    l1 = torch.full((6,), 0.05, dtype=DTYPE)
    solution = solve_penalized(derivatives, l1, torch.zeros_like(l1), torch.zeros_like(l1))
    assert solution.result.converged, solution.result.message
    assert float(solution.kkt.max()) < 1e-10
    b = solution.result.params.numpy()
    assert b[1] * b[5] > 0  # the tie is split, with one sign


def test_non_finite_start_raises_a_clear_error() -> None:
    """A NaN gradient at the start used to read as 'KKT conditions hold' (NaN compares
    false) with ``converged=False`` and the start values returned."""

    def derivatives(b: torch.Tensor):
        nan = torch.full_like(b, float("nan"))
        return b.sum() * 0 + 1.0, nan, torch.diag(nan)

    l1 = torch.full((2,), 0.1, dtype=DTYPE)
    with pytest.raises(ts.errors.NumericalError, match="not finite at the start values"):
        solve_penalized(derivatives, l1, torch.zeros_like(l1), torch.zeros_like(l1))


def test_non_finite_hessian_raises_a_clear_error() -> None:
    """A NaN Hessian where a step is needed is a torchstats error, not torch's
    ``linalg.eigh failed to converge``."""

    def derivatives(b: torch.Tensor):
        return (b - 1) @ (b - 1) / 2, b - 1, torch.full((2, 2), float("nan"), dtype=DTYPE)

    l1 = torch.full((2,), 0.1, dtype=DTYPE)
    with pytest.raises(ts.errors.NumericalError, match="Hessian .* is not finite"):
        solve_penalized(derivatives, l1, torch.zeros_like(l1), torch.zeros_like(l1))
