"""Direct least-squares solvers: agreement, rank detection, inverse accuracy."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
import torch

from torchstats.errors import CollinearityWarning
from torchstats.solvers.least_squares import solve_least_squares
from torchstats.solvers.scaling import column_scale, numerical_rank


def _problem(seed: int, n: int = 200, k: int = 6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k)) * 10.0 ** rng.integers(-3, 4, size=k)
    y = X @ rng.normal(size=k) + rng.normal(size=n)
    return torch.tensor(X), torch.tensor(y)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("method", ["qr", "cholesky", "pinv"])
def test_solution_matches_numpy_lstsq(seed, method):
    X, y = _problem(seed)
    expected = np.linalg.lstsq(X.numpy(), y.numpy(), rcond=None)[0]
    found = solve_least_squares(X, y, method)
    np.testing.assert_allclose(found.params.numpy(), expected, rtol=1e-9)
    np.testing.assert_allclose(
        found.normalized_cov.numpy(), np.linalg.inv(X.numpy().T @ X.numpy()), rtol=1e-8
    )
    assert found.rank == X.shape[1]


def test_column_scale_is_a_power_of_two_and_exact():
    X, _ = _problem(0)
    d = column_scale(X)
    assert torch.equal(torch.log2(d), torch.round(torch.log2(d)))
    norms = torch.linalg.vector_norm(X / d, dim=0)
    assert bool(((norms > 0.7) & (norms < 1.42)).all())
    assert torch.equal((X / d) * d, X)


def test_numerical_rank_uses_numpys_rule():
    X, _ = _problem(1)
    X = torch.cat([X, X[:, :1] * 3.0], dim=1)
    values = torch.linalg.svdvals(X)
    assert numerical_rank(values, tuple(X.shape)) == np.linalg.matrix_rank(X.numpy()) == 6


@pytest.mark.parametrize("method", ["qr", "cholesky", "pinv"])
def test_rank_deficiency_warns_and_gives_minimum_norm(method):
    X, y = _problem(2)
    X = torch.cat([X, X[:, 1:2] - X[:, 2:3]], dim=1)
    handover = (
        pytest.warns(CollinearityWarning, match="too ill-conditioned for a Cholesky")
        if method == "cholesky"
        else contextlib.nullcontext()
    )
    with handover, pytest.warns(CollinearityWarning, match="rank 6 < 7"):
        found = solve_least_squares(X, y, method)
    expected = np.linalg.pinv(X.numpy()) @ y.numpy()
    np.testing.assert_allclose(found.params.numpy(), expected, rtol=1e-7)
    assert found.rank == 6


def test_qr_refinement_recovers_digits_lost_to_a_large_residual():
    # Wampler-type problem: polynomial design, residual much larger than the signal.
    x = torch.arange(21, dtype=torch.float64)
    X = torch.stack([x**p for p in range(6)], dim=1)
    coefficients = torch.tensor([1.0, 0.1, 0.01, 0.001, 1e-4, 1e-5], dtype=torch.float64)
    noise = torch.tensor(np.random.default_rng(0).normal(size=21)) * 1e6
    y = X @ coefficients + noise
    found = solve_least_squares(X, y, "qr")
    from fractions import Fraction

    import sympy

    Xq = sympy.Matrix([[sympy.Rational(Fraction(float(v))) for v in row] for row in X.numpy()])
    yq = sympy.Matrix([sympy.Rational(Fraction(float(v))) for v in y.numpy()])
    exact = np.array([float(v) for v in (Xq.T * Xq).LUsolve(Xq.T * yq)])
    np.testing.assert_allclose(found.params.numpy(), exact, rtol=1e-13)
    assert "double-double" in found.message


def test_auto_uses_qr_for_small_problems():
    X, y = _problem(0)
    assert solve_least_squares(X, y, "auto").method == "qr"


def test_auto_uses_the_gram_for_large_well_conditioned_problems():
    X, y = _problem(3, n=200_000, k=8)
    found = solve_least_squares(X, y, "auto")
    assert found.method == "auto" and "Cholesky" in found.message
    reference = solve_least_squares(X, y, "qr")
    np.testing.assert_allclose(found.params.numpy(), reference.params.numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        found.normalized_cov.numpy(), reference.normalized_cov.numpy(), rtol=1e-11
    )


@pytest.mark.parametrize(("n", "k"), [(5_000, 1), (10_000, 5), (100_000, 4), (1_000, 10)])
def test_auto_takes_the_gram_route_for_tall_designs_of_few_columns(n, k):
    # a bound on n k^2 kept these on QR with double-double refinement: 5-40x slower than
    # the Gram route (and than statsmodels) for the same solution on well-conditioned data
    # (columns scaled by 1e-3 to 1e3); still more accurate than statsmodels' pinv
    X, y = _problem(5, n=n, k=k)
    found = solve_least_squares(X, y, "auto")
    assert found.method == "auto" and "Cholesky" in found.message
    exact = solve_least_squares(X, y, "qr").params.numpy()  # double-double refinement
    pinv = np.linalg.pinv(X.numpy()) @ y.numpy()
    error = np.max(np.abs(found.params.numpy() - exact) / np.abs(exact))
    assert error <= max(np.max(np.abs(pinv - exact) / np.abs(exact)), 1e-14)
    assert error < 1e-11


def test_auto_keeps_qr_for_designs_below_its_size_bound():
    X, y = _problem(6, n=409, k=10)  # 4 090 numbers
    assert solve_least_squares(X, y, "auto").method == "qr"
    assert solve_least_squares(*_problem(6, n=410, k=10), "auto").method == "auto"


@pytest.mark.parametrize(
    ("seed", "n", "degree"),
    [
        (7, 20_000, 6),  # few columns, under the old n k^2 bound: cond(X_s'X_s) ~ 1e10
        (4, 200_000, 7),  # cond(X_s'X_s) ~ 1e12
    ],
)
def test_auto_hands_ill_conditioned_problems_to_qr_silently(seed, n, degree):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=n)
    X = torch.tensor(np.column_stack([x**p for p in range(degree + 1)]))
    y = X @ torch.ones(degree + 1, dtype=torch.float64) + torch.tensor(rng.normal(size=n))
    found = solve_least_squares(X, y, "auto")
    assert found.method == "qr" and "double-double" in found.message


def _collinear_design(noise: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 5000
    x1, x2 = rng.normal(size=(2, n))
    X = np.column_stack([np.ones(n), x1, x1 + noise * rng.normal(size=n), x2])
    return X, 1 + x1 - x2 + rng.normal(size=n)


@pytest.mark.parametrize("method", ["auto", "cholesky"])
def test_float32_gram_route_keeps_float32_digits(method):
    """The Gram route's bounds on cond(X'X) were float64's in every dtype: float32 fits of
    a moderately collinear design had bse 1.4% off (30% on another draw) with no warning.
    In float32 the route now ends where cond * eps reaches its budget, and QR takes over."""
    import torchstats as ts

    X, y = _collinear_design(3e-3)  # bse 1.4% off before
    exact = ts.OLS(y, X).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CollinearityWarning)  # cholesky's hand-over
        single = ts.OLS(y, X, dtype=torch.float32).fit(method=method)
    np.testing.assert_allclose(single.params, exact.params, rtol=2e-4)
    np.testing.assert_allclose(single.bse, exact.bse, rtol=2e-4)


def test_float32_never_returns_a_gram_solution_far_from_float64_without_a_warning():
    import torchstats as ts

    X, y = _collinear_design(1e-3)  # cond(X_s) about 2e3: rank 3 at float32's tolerance
    exact = ts.OLS(y, X).fit()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        single = ts.OLS(y, X, dtype=torch.float32).fit()
    warned = any(issubclass(w.category, CollinearityWarning) for w in caught)
    close = np.allclose(single.params, exact.params, rtol=1e-3) and np.allclose(
        single.bse, exact.bse, rtol=1e-3
    )
    assert warned or close  # before: bse 1.3% off, no warning
