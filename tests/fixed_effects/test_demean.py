"""Absorbing effects: against pyfixest's demeaning, dummies by least squares, and itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.conftest import DEVICES
from torchstats.errors import ConvergenceWarning
from torchstats.solvers.demean import AbsorbPlan, AbsorbTerm, absorb


def _codes(seed: int, n: int, sizes: tuple[int, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, size, n) for size in sizes]


def _terms(codes: list[np.ndarray], device: str = "cpu") -> tuple[AbsorbTerm, ...]:
    return tuple(AbsorbTerm(torch.tensor(c, device=device), int(c.max()) + 1) for c in codes)


def _dummies(codes: list[np.ndarray], slopes: dict[int, np.ndarray] | None = None) -> np.ndarray:
    blocks = []
    for j, column in enumerate(codes):
        block = np.eye(int(column.max()) + 1)[column]
        blocks.append(block if slopes is None or j not in slopes else block * slopes[j][:, None])
    return np.hstack(blocks)


def _residuals(values: np.ndarray, design: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    root = np.ones(len(values)) if weights is None else np.sqrt(weights)
    solution = np.linalg.lstsq(design * root[:, None], values * root[:, None], rcond=None)[0]
    return values - design @ solution


@pytest.mark.parametrize("sizes", [(30,), (30, 7), (40, 9, 13)], ids=["one", "two", "three"])
@pytest.mark.parametrize("weighted", [False, True], ids=["ols", "wls"])
@pytest.mark.parametrize("seed", [0, 1])
def test_residuals_equal_least_squares_on_dummies(
    sizes: tuple[int, ...], weighted: bool, seed: int
) -> None:
    n = 600
    codes = _codes(seed, n, sizes)
    rng = np.random.default_rng(seed + 10)
    values = rng.normal(size=(n, 3)) + codes[0][:, None] * 0.1
    weights = rng.uniform(0.2, 4.0, n) if weighted else None
    torch_weights = None if weights is None else torch.tensor(weights)
    result = absorb(torch.tensor(values), _terms(codes), torch_weights, tol=1e-14)
    assert result.converged
    expected = _residuals(values, _dummies(codes), weights)
    np.testing.assert_allclose(result.resid.numpy(), expected, rtol=0, atol=1e-12)
    # the default stopping rule leaves errors of about its tolerance times the scale
    default = absorb(torch.tensor(values), _terms(codes), torch_weights)
    np.testing.assert_allclose(default.resid.numpy(), expected, rtol=0, atol=1e-9)
    # the effects reproduce what was projected out
    fitted = sum(effect.numpy()[c] for effect, c in zip(result.effects, codes, strict=True))
    np.testing.assert_allclose(values - result.resid.numpy(), fitted, rtol=0, atol=1e-11)


@pytest.mark.parametrize("sizes", [(200, 30), (500, 40, 25)])
def test_matches_pyfixest_demeaning(sizes: tuple[int, ...]) -> None:
    from pyfixest.core.demean import demean

    n = 20_000
    codes = _codes(3, n, sizes)
    rng = np.random.default_rng(4)
    values = rng.normal(size=(n, 4)) + np.column_stack([c * 0.01 for c in codes]).sum(1)[:, None]
    weights = rng.uniform(0.5, 2.0, n)
    reference, converged = demean(
        values, np.column_stack(codes).astype(np.uint64), weights, tol=1e-13, maxiter=100_000
    )
    assert converged
    result = absorb(torch.tensor(values), _terms(codes), torch.tensor(weights), tol=1e-14)
    np.testing.assert_allclose(result.resid.numpy(), reference, rtol=0, atol=1e-10)


def test_varying_slopes_equal_least_squares_on_interacted_dummies() -> None:
    n = 500
    codes = _codes(5, n, (20, 20))
    rng = np.random.default_rng(6)
    slope = rng.normal(size=n)
    codes[1] = codes[0]  # f + f[x]: the effect and the slope share the groups
    values = rng.normal(size=(n, 2)) + slope[:, None] * codes[0][:, None] * 0.05
    terms = (
        AbsorbTerm(torch.tensor(codes[0]), 20),
        AbsorbTerm(torch.tensor(codes[0]), 20, torch.tensor(slope)),
    )
    result = absorb(torch.tensor(values), terms, tol=1e-14)
    expected = _residuals(values, _dummies(codes, {1: slope}), None)
    np.testing.assert_allclose(result.resid.numpy(), expected, rtol=0, atol=1e-11)


def test_one_effect_needs_no_sweep_and_empty_terms_change_nothing() -> None:
    values = torch.randn(50, 2, dtype=torch.float64)
    codes = torch.arange(50) % 5
    result = absorb(values, (AbsorbTerm(codes, 5),))
    assert result.n_iter == 0 and result.converged
    assert torch.equal(absorb(values, ()).resid, values)


def test_hitting_the_sweep_cap_warns_and_reports_it() -> None:
    codes = _codes(7, 2000, (300, 300))
    values = torch.tensor(np.random.default_rng(8).normal(size=(2000, 1)))
    with pytest.warns(ConvergenceWarning, match="did not converge in 2 sweeps"):
        result = absorb(values, _terms(codes), maxiter=2)
    assert not result.converged and result.n_iter == 2


@pytest.mark.parametrize("device", DEVICES)
def test_devices_agree(device: str) -> None:
    codes = _codes(9, 3000, (100, 12))
    values = np.random.default_rng(10).normal(size=(3000, 2))
    on_device = absorb(torch.tensor(values, device=device), _terms(codes, device))
    on_cpu = absorb(torch.tensor(values), _terms(codes))
    assert on_device.resid.device.type == device
    np.testing.assert_allclose(on_device.resid.cpu().numpy(), on_cpu.resid.numpy(), atol=1e-12)


@pytest.mark.parametrize("overlap", ["rows", "sorted pairs"])
def test_many_level_pairs_through_rows_or_sorted_cross_tabulation(
    overlap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pairs of factors with more than 2^20 combinations: coupled through the rows when
    nearly every row has a pair of its own, through a sorted cross-tabulation otherwise.
    Both give the projection: residuals with zero weighted sums in every level."""
    import torchstats.solvers.absorb_plan as plan_module

    n = 40_000
    rng = np.random.default_rng(11)
    first = rng.integers(0, 2000, n)
    if overlap == "rows":
        second = rng.integers(0, 1000, n)
    else:  # each level of the first meets three levels of the second (6 000 pairs in all)
        second = (first * 37 + rng.integers(0, 3, n)) % 1000
    codes = [first, second]
    values = torch.tensor(rng.normal(size=(n, 2)) + 0.01 * first[:, None])
    weights = torch.tensor(rng.uniform(0.5, 2.0, n))
    result = absorb(values, _terms(codes), weights, tol=1e-14)
    assert result.converged
    for column in codes:
        sums = np.zeros((int(column.max()) + 1, 2))
        np.add.at(sums, column, (weights[:, None] * result.resid).numpy())
        assert np.abs(sums).max() < 1e-9
    terms = _terms(codes)
    assert AbsorbPlan(terms).route(0, 1) == ("rows" if overlap == "rows" else "table")
    monkeypatch.setattr(plan_module, "_mostly_distinct", lambda *args: True)
    through_rows = absorb(values, _terms(codes), weights, tol=1e-14)
    np.testing.assert_allclose(through_rows.resid, result.resid, rtol=0, atol=1e-10)
