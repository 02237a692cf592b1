"""Batched solvers: the Gram route of tall groups equals the QR route, group by group."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchstats.solvers.batched_least_squares as batched
from torchstats.solvers.batched_least_squares import solve_batched

G, M, K = 12, 40, 4


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Tall groups, some of which the Gram guard must turn away."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((G, M, K))
    X[:, :, 0] = 1.0
    X[1, :, 2] = X[1, :, 1] * 3.0  # exactly collinear: rank 3
    X[2, :, 3] = X[2, :, 1] + 1e-5 * rng.standard_normal(M)  # cond(X'X) ~ 1e10: QR
    X[3, :, 2] = 1e3 + rng.standard_normal(M)  # off-centre column: cond(X_s'X_s) ~ 1e6
    X[4, :, 3] = 0.0  # a zero column
    counts = torch.full((G,), M)
    X[6, 3:] = 0.0  # 3 rows for 4 parameters (padding below)
    counts[6] = 3
    Y = X[:, :, :2] @ rng.standard_normal((G, 2, 2)) + rng.standard_normal((G, M, 2))
    Y[6, 3:] = 0.0
    X[5, :, 1] *= 1e8  # badly scaled (a tiny coefficient), which equilibration makes harmless
    return torch.tensor(X), torch.tensor(Y), counts


def _qr_route(monkeypatch, X, Y, counts):
    with monkeypatch.context() as patch:
        patch.setattr(batched, "_GRAM_MIN_ROWS_PER_COLUMN", 10**9)
        return solve_batched(X, Y, counts)


def test_gram_route_equals_qr_route_group_by_group(monkeypatch) -> None:
    X, Y, counts = _batch()
    gram = solve_batched(X, Y, counts)
    qr = _qr_route(monkeypatch, X, Y, counts)
    assert gram.rank.tolist() == qr.rank.tolist()
    assert gram.rank[[1, 4, 6]].tolist() == [3, 3, 3]
    for name in ("params", "normalized_cov", "resid"):
        ours, theirs = getattr(gram, name), getattr(qr, name)
        scale = theirs.abs().amax(dim=tuple(range(1, theirs.dim())), keepdim=True)
        torch.testing.assert_close(ours / scale, theirs / scale, rtol=0, atol=1e-11)
    leverage_gram = (gram.hat_factor**2).sum(-1)
    leverage_qr = (qr.hat_factor**2).sum(-1)
    torch.testing.assert_close(leverage_gram, leverage_qr, rtol=0, atol=1e-12)


def test_guard_sends_only_ill_posed_groups_to_qr() -> None:
    X, Y, counts = _batch()
    norms = torch.linalg.vector_norm(X, dim=1)
    scale = torch.where(norms > 0, norms, torch.ones_like(norms))
    _, ok = batched._gram_solutions(X, Y, scale)
    turned_away = torch.nonzero(~ok).reshape(-1).tolist()
    assert {1, 2, 3, 4, 6} <= set(turned_away)
    assert 0 not in turned_away and 5 not in turned_away


def test_gram_route_matches_numpy_lstsq_and_inverse() -> None:
    X, Y, counts = _batch()
    solution = solve_batched(X, Y, counts)
    for g in (0, 5, 7):
        coef, *_ = np.linalg.lstsq(X[g].numpy(), Y[g].numpy(), rcond=None)
        np.testing.assert_allclose(solution.params[g].numpy().T, coef, rtol=1e-12, atol=1e-14)
        inverse = np.linalg.inv(X[g].numpy().T @ X[g].numpy())
        np.testing.assert_allclose(solution.normalized_cov[g].numpy(), inverse, rtol=1e-11)


@pytest.mark.parametrize("height", [3 * K, 4 * K])
def test_short_batches_take_qr(monkeypatch, height: int) -> None:
    called = []
    original = batched._gram_solutions
    monkeypatch.setattr(
        batched, "_gram_solutions", lambda *args: called.append(1) or original(*args)
    )
    X, Y, counts = _batch()
    solve_batched(X[:, :height], Y[:, :height], torch.clamp(counts, max=height))
    assert bool(called) == (height >= 4 * K)


def test_pad_groups_of_a_sorted_balanced_panel_are_views() -> None:
    from torchstats.solvers.batched_least_squares import pad_groups

    rng = np.random.default_rng(4)
    values = torch.tensor(rng.standard_normal((30, 3)))
    codes = torch.arange(30) // 5  # sorted, six groups of five rows
    counts, (blocks,) = pad_groups(codes, 6, values)
    assert counts.tolist() == [5] * 6
    assert blocks.data_ptr() == values.data_ptr()  # a reshaped view
    perm = torch.tensor(rng.permutation(30))
    _, (shuffled,) = pad_groups(codes[perm], 6, values[perm])
    for g in range(6):  # the same rows in each group, in another order
        ours = shuffled[g][torch.argsort(shuffled[g][:, 0])]
        theirs = blocks[g][torch.argsort(blocks[g][:, 0])]
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
    sorted_unequal = torch.tensor([0, 0, 1, 1, 1, 2] * 5).sort().values
    counts, (padded,) = pad_groups(sorted_unequal, 3, values)
    assert padded.shape == (3, 15, 3) and padded.data_ptr() != values.data_ptr()
    torch.testing.assert_close(padded[0, :10], values[:10], rtol=0, atol=0)
    assert not padded[0, 10:].any()


def test_float32_guard_is_tighter_and_keeps_five_digits() -> None:
    X, Y, counts = _batch()
    noise = torch.tensor(np.random.default_rng(9).standard_normal(M))
    X[8, :, 2] = X[8, :, 1] + 0.05 * noise  # cond(X_s'X_s) ~ 1e3: float64's route only
    norms = torch.linalg.vector_norm(X, dim=1)
    scale = torch.where(norms > 0, norms, torch.ones_like(norms))
    _, ok64 = batched._gram_solutions(X, Y, scale)
    _, ok32 = batched._gram_solutions(X.float(), Y.float(), scale.float())
    assert bool((ok64 | ~ok32).all())  # what float32 takes, float64 takes too
    assert bool(ok64[8]) and not bool(ok32[8])
    single = solve_batched(X.float(), Y.float(), counts)
    double = solve_batched(X, Y, counts)
    for g in (0, 5, 7):
        cov32, cov64 = single.normalized_cov[g].double(), double.normalized_cov[g]
        assert float((cov32 - cov64).abs().max() / cov64.abs().max()) < 1e-5
