"""The cheap kernels of small least-squares fits: extraction sums, draft IRLS steps."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

import torchstats.solvers.irls as irls
import torchstats.solvers.least_squares as least_squares
from torchstats.families.families import Binomial, Gamma
from torchstats.families.links import Log
from torchstats.solvers.extended import accurate_sum, two_prod
from torchstats.solvers.least_squares import (
    DraftStep,
    draft_weighted_least_squares,
    solve_weighted_least_squares,
)


def _ulps_apart(found: float, exact: Fraction) -> Fraction:
    ulp = Fraction(np.spacing(abs(float(exact)))) if exact else Fraction(2) ** -1074
    return abs(Fraction(found) - exact) / ulp


@pytest.mark.parametrize("terms", [3, 22, 201, 4097])
def test_accurate_sum_is_within_two_ulps_of_the_exact_sum(terms):
    """Terms over 30 decades that cancel to a small sum (oracle: Python fractions)."""
    rng = np.random.default_rng(terms)
    values = rng.normal(size=(terms, 4)) * 10.0 ** rng.integers(-15, 15, size=(terms, 4))
    values[-1] = -values[:-1].sum(axis=0)  # near-total cancellation
    found = accurate_sum(torch.tensor(values), dim=0)
    for column in range(4):
        exact = sum(Fraction(float(v)) for v in values[:, column])
        assert _ulps_apart(float(found[column]), exact) <= 2
        plain = float(np.sum(values[:, column]))
        if terms > 3:  # a plain sum loses the cancelled digits: the test can fail
            assert _ulps_apart(plain, exact) > 2


def test_accurate_sum_of_exact_products_is_a_residual_to_two_ulps():
    """The augmented residual's use: y - X b from the products' exact parts p + e."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, 7))
    b = rng.normal(size=7)
    y = X @ b  # the residual y - X b is pure rounding error
    p, e = two_prod(torch.tensor(X), -torch.tensor(b)[None, :])
    terms = torch.cat([torch.tensor(y)[:, None], p, e], dim=1)
    found = accurate_sum(terms, dim=1)
    for i in range(50):
        exact = Fraction(float(y[i])) - sum(
            Fraction(float(X[i, j])) * Fraction(float(b[j])) for j in range(7)
        )
        assert _ulps_apart(float(found[i]), exact) <= 2


def test_accurate_sum_of_zeros_and_of_nothing():
    assert torch.equal(accurate_sum(torch.zeros(5, 2, dtype=torch.float64), 0), torch.zeros(2))
    assert accurate_sum(torch.zeros(0, 3, dtype=torch.float64), 0).shape == (3,)


def _weighted_problem(seed: int, n: int = 100, k: int = 8, collinear: float = 0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k)) * 10.0 ** rng.integers(-3, 4, size=k)
    if collinear:
        X[:, 1] = X[:, 0] * 10.0**-3 + collinear * rng.normal(size=n) * 10.0**-3
    y = X @ rng.normal(size=k) + rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    return torch.tensor(X), torch.tensor(y), torch.tensor(w)


@pytest.mark.parametrize("seed", range(5))
def test_draft_step_agrees_with_the_full_solve_to_13_digits_normwise(seed):
    X, y, w = _weighted_problem(seed)
    draft = draft_weighted_least_squares(X, y, w, "auto").params
    assert draft is not None
    full = solve_weighted_least_squares(X, y, w, "auto").params
    # norm-wise in the columns' units (the error bound's terms): |X_j| (b_j - b*_j)
    norms = torch.linalg.vector_norm(X, dim=0)
    error = float(((draft - full) * norms).abs().max())
    assert error <= 1e-13 * float((full * norms).abs().max())


def test_draft_step_declines_where_only_the_full_solve_will_do():
    X, y, w = _weighted_problem(0)

    def declined(*problem, method="auto") -> bool:
        return draft_weighted_least_squares(*problem, method).params is None

    assert declined(X, y, w, method="cholesky") and declined(X, y, w, method="pinv")
    ill = _weighted_problem(1, collinear=1e-6)
    assert declined(*ill, method="qr")  # cond(X_s) > 1e3
    deficient = X.clone()
    deficient[:, 2] = deficient[:, 3] * 2.0
    assert declined(deficient, y, w)
    deficient[:, 2] = 0.0  # a zero column: its scale is 0/0
    assert declined(deficient, y, w)
    assert declined(X[:, :0], y, w)  # no columns
    # large and ill-conditioned (cond(X_s'WX_s) ~ 1e6, past 1e4): no draft, but the factor
    big_X, big_y, big_w = _weighted_problem(2, n=5_000, k=9)
    big_X[:, 1] = big_X[:, 0] * (1 + 1e-3 * torch.randn(5_000, dtype=torch.float64))
    step = draft_weighted_least_squares(big_X, big_y, big_w, "auto")
    assert step.params is None and step.factor is not None
    assert 1e4 < step.factor.cond < 1e8  # still the Gram route's
    # float32: cond * eps above 1e-12 already at cond ~ 1: never a draft, still the factor
    single = draft_weighted_least_squares(
        *(t.float() for t in _weighted_problem(3, 5_000, 4)), "auto"
    )
    assert single.params is None and single.factor is not None and single.factor.cond < 1e4


@pytest.mark.parametrize("seed", range(6))
def test_gram_draft_agrees_with_the_full_solve_to_12_digits_normwise(seed):
    """Large designs: the Cholesky solution without its refinement step."""
    X, y, w = _weighted_problem(seed, n=3_000 + 2_000 * seed, k=3 + seed)
    step = draft_weighted_least_squares(X, y, w, "auto")
    assert step.params is not None and step.factor is not None
    full = solve_weighted_least_squares(X, y, w, "auto").params
    norms = torch.linalg.vector_norm(X, dim=0)
    error = float(((step.params - full) * norms).abs().max())
    assert error <= 1e-12 * float((full * norms).abs().max())
    assert error > 0  # the refinement step did move it: the draft skipped a real step


@pytest.mark.parametrize("collinear", [1.0, 1e-3])  # drafted, and declined (cond ~ 1e6)
def test_the_full_solve_completes_a_draft_factor_bit_for_bit(collinear):
    """Completing the draft's factor is the full solve: the same Gram matrix, factor,
    refinement and inverse."""
    X, y, w = _weighted_problem(7, n=4_000, k=6)
    X[:, 1] = X[:, 0] * (1 + collinear * torch.randn(4_000, dtype=torch.float64))
    step = draft_weighted_least_squares(X, y, w, "auto")
    completed = solve_weighted_least_squares(X, y, w, "auto", step.factor)
    fresh = solve_weighted_least_squares(X, y, w, "auto")
    assert torch.equal(completed.params, fresh.params)
    assert completed.normalized_cov is not None and fresh.normalized_cov is not None
    assert torch.equal(completed.normalized_cov, fresh.normalized_cov)


# rows of the IRLS problems: QR drafts (700 numbers), Gram drafts (35 000)
SIZES = [100, 5_000]


def _irls_problem(seed: int, family, n: int = 100):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 6))])
    eta = X @ (rng.normal(size=7) * 0.3)
    if isinstance(family, Binomial):
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.gamma(2.0, np.exp(eta) / 2.0)
    return irls.IrlsProblem(
        exog=torch.tensor(X),
        endog=torch.tensor(y),
        family=family,
        offset=None,
        var_weights=None,
        freq_weights=None,
        scale_of=lambda mu: 1.0,
    )


@pytest.mark.parametrize("family", [Binomial(), Gamma(Log())], ids=["binomial", "gamma-log"])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("n", SIZES)
def test_irls_with_draft_steps_equals_irls_with_full_steps(monkeypatch, family, seed, n):
    """Drafts move the iterates by ~cond * eps; the estimate is the full solver's."""
    problem = _irls_problem(seed, family, n)
    drafted = irls.fit_irls(problem)
    monkeypatch.setattr(irls, "draft_weighted_least_squares", lambda *args: DraftStep(None))
    full = irls.fit_irls(problem)
    assert drafted.solution.n_iter == full.solution.n_iter
    np.testing.assert_allclose(drafted.solution.params, full.solution.params, rtol=1e-14)
    cov = full.solution.normalized_cov
    np.testing.assert_allclose(  # norm-wise: entries near zero differ in their last digits
        drafted.solution.normalized_cov, cov, rtol=1e-13, atol=1e-13 * float(cov.abs().max())
    )
    np.testing.assert_allclose(drafted.deviance_history, full.deviance_history, rtol=1e-14)
    np.testing.assert_allclose(drafted.mu, full.mu, rtol=1e-14)


@pytest.mark.parametrize("n", SIZES)
def test_irls_solves_its_last_step_in_full(monkeypatch, n):
    """The result carries the full solver's inverse, computed at the last working weights
    (large designs: from the last draft's own Gram factor, computed once)."""
    calls: list[bool] = []
    full_solve = least_squares.solve_weighted_least_squares

    def counted(*args):
        calls.append(len(args) > 4 and args[4] is not None)  # given a factor to complete
        return full_solve(*args)

    monkeypatch.setattr(irls, "solve_weighted_least_squares", counted)
    found = irls.fit_irls(_irls_problem(0, Binomial(), n))
    assert calls == [n > 100] and found.solution.n_iter > 2
    assert found.solution.normalized_cov is not None


@pytest.mark.parametrize("seed", range(4))
def test_extraction_residuals_refine_to_the_double_double_solution(monkeypatch, seed):
    """Small designs take accurate_sum residuals, large ones the double-double matmuls:
    both refine to the same solution, to the last ulp (ill-conditioned ones included)."""
    rng = np.random.default_rng(seed)
    for trial in range(15):
        n, k = int(rng.integers(12, 300)), int(rng.integers(2, 10))
        X = rng.normal(size=(n, k)) * 10.0 ** rng.integers(-3, 4, size=k)
        if trial % 3 == 0:  # cond(X_s) ~ 1e6: refined with the inverse, several steps
            X[:, 1] = X[:, 0] + 1e-6 * rng.normal(size=n)
        y = torch.tensor(rng.normal(size=n) * 100 + 5)
        fast = least_squares.solve_least_squares(torch.tensor(X), y, "qr")
        with monkeypatch.context() as patch:
            patch.setattr(least_squares, "_ACCURATE_SUM_MAX_ROWS", 0)
            reference = least_squares.solve_least_squares(torch.tensor(X), y, "qr")
        for found, expected in (
            (fast.params, reference.params),
            (fast.resid, reference.resid),
            (fast.normalized_cov, reference.normalized_cov),
        ):
            ulps = (found - expected).abs() / torch.tensor(np.spacing(expected.abs().numpy()))
            assert float(ulps.max()) <= 1
