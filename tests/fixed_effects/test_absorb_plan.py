"""The absorb plan (effects' patterns built once, re-weighted per call) and the IRLS loop
that reuses it: a reused plan gives a fresh demeaning's residuals, and the warm-started,
plan-reusing IRLS of the fixed-effects GLMs converges where a cold one (every iteration
demeaning the working response and the regressors from scratch) does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchstats as ts
from tests.fixed_effects.data import panel
from torchstats.errors import InvalidOptionError
from torchstats.solvers import absorb_plan
from torchstats.solvers.demean import AbsorbPlan, AbsorbTerm, absorb, column_major


def _case(name: str) -> tuple[tuple[AbsorbTerm, ...], int, dict[tuple[int, int], str]]:
    """Terms, rows and the route expected for each pair of terms."""
    rng = np.random.default_rng(5)
    if name in ("rows", "sorted table", "three, rows and tables"):
        n = 40_000
        first = rng.integers(0, 2000, n)
        if name == "sorted table":  # mostly one level of the second per level of the first
            second = np.where(
                rng.random(n) < 0.9, rng.integers(0, 1000, 2000)[first], rng.integers(0, 1000, n)
            )
        else:
            second = rng.integers(0, 1000, n)
        codes = [first, second]
        if name == "three, rows and tables":
            codes.append(rng.integers(0, 7, n))
    else:
        n = 800
        codes = [
            rng.integers(0, size, n)
            for size in {"one": (30,), "two": (30, 9)}.get(name, (40, 9, 13))
        ]
    terms = [AbsorbTerm(torch.tensor(c), int(c.max()) + 1) for c in codes]
    if name == "slopes":
        terms.append(
            AbsorbTerm(terms[1].codes, terms[1].n_levels, torch.tensor(rng.normal(size=n)))
        )
    routes = {
        "rows": {(0, 1): "rows"},
        "sorted table": {(0, 1): "table"},
        "three, rows and tables": {(0, 1): "rows", (0, 2): "table", (1, 2): "table"},
    }.get(name, {})
    return tuple(terms), n, routes


CASES = ["one", "two", "three", "slopes", "rows", "sorted table", "three, rows and tables"]


@pytest.mark.parametrize("name", CASES)
def test_reused_plan_equals_fresh_absorb_under_new_weights(name: str) -> None:
    terms, n, routes = _case(name)
    plan = AbsorbPlan(terms)
    for (t, s), route in routes.items():
        assert plan.route(t, s) == route == plan.route(s, t)
    rng = np.random.default_rng(9)
    values = torch.tensor(rng.normal(size=(n, 3)) + 0.05 * terms[0].codes.numpy()[:, None])
    weight_sets = [None, *(torch.tensor(rng.uniform(0.2, 5.0, n)) for _ in range(2))]
    for weights in weight_sets:
        reused = absorb(values, terms, weights, tol=1e-12, plan=plan)
        fresh = absorb(values, terms, weights, tol=1e-12)
        assert reused.converged and fresh.converged
        np.testing.assert_allclose(reused.resid.numpy(), fresh.resid.numpy(), rtol=0, atol=1e-12)
        # and it is the projection: weighted residual sums vanish in every level of every
        # term (relative to the level's weighted sum of absolute values)
        w = torch.ones(n, dtype=values.dtype) if weights is None else weights
        for term in terms:
            row_weight = w if term.slope is None else w * term.slope
            sums = torch.zeros((term.n_levels, 3), dtype=values.dtype)
            sums.index_add_(0, term.codes, reused.resid * row_weight.unsqueeze(1))
            sizes = torch.zeros((term.n_levels, 3), dtype=values.dtype)
            sizes.index_add_(0, term.codes, (values * row_weight.unsqueeze(1)).abs())
            assert bool((sums.abs() <= 1e-9 * sizes).all())


def test_plan_of_other_effects_is_refused_and_equal_effects_accepted() -> None:
    terms, n, _ = _case("two")
    values = torch.tensor(np.random.default_rng(1).normal(size=(n, 2)))
    other = (terms[1], terms[0])
    with pytest.raises(InvalidOptionError, match="other effects"):
        absorb(values, other, plan=AbsorbPlan(terms))
    with pytest.raises(InvalidOptionError, match="other effects"):
        absorb(values, terms[:1], plan=AbsorbPlan(terms))
    copies = tuple(AbsorbTerm(t.codes.clone(), t.n_levels) for t in terms)
    reused = absorb(values, copies, plan=AbsorbPlan(terms), tol=1e-14).resid
    np.testing.assert_allclose(reused, absorb(values, terms, tol=1e-14).resid, atol=1e-12)


def test_column_major_columns_are_overwritten_in_place_and_row_major_copied() -> None:
    terms, n, _ = _case("three")
    rng = np.random.default_rng(2)
    y, X = torch.tensor(rng.normal(size=n)), torch.tensor(rng.normal(size=(n, 2)))
    expected = absorb(torch.column_stack([y, X]), terms, tol=1e-14).resid
    stacked = column_major(y, X)
    assert stacked.shape == (n, 3) and stacked.T.is_contiguous()
    np.testing.assert_array_equal(stacked.numpy(), torch.column_stack([y, X]).numpy())
    result = absorb(stacked, terms, tol=1e-14, overwrite=True)
    assert result.resid.data_ptr() == stacked.data_ptr()
    np.testing.assert_allclose(result.resid, expected, rtol=0, atol=1e-12)
    row_major = torch.column_stack([y, X])
    kept = row_major.clone()
    copied = absorb(row_major, terms, tol=1e-14, overwrite=True).resid
    np.testing.assert_allclose(copied, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(row_major.numpy(), kept.numpy())


def _cold_irls(model: ts.models.fixed_effects_glm.FixedEffectsGLM) -> np.ndarray:
    """IRLS for a canonical-link Poisson or logit, demeaning ``z`` and ``X`` from scratch
    (no plan, no warm start) every iteration, to a deviance change of 1e-14."""
    y, X = model.design.endog, model.design.exog
    poisson = model.family.__class__.__name__ == "Poisson"
    mu = (y + y.mean()) / 2 if poisson else torch.full_like(y, 0.5)
    eta = torch.log(mu) if poisson else torch.log(mu / (1 - mu))
    deviance = np.inf
    for _ in range(100):
        weights = mu if poisson else mu * (1 - mu)
        z = eta + (y - mu) / weights
        resid = absorb(torch.column_stack([z, X]), model.absorb_terms, weights, tol=1e-14).resid
        z_tilde, X_tilde = resid[:, 0], resid[:, 1:]
        gram = X_tilde.T @ (X_tilde * weights.unsqueeze(1))
        params = torch.linalg.solve(gram, X_tilde.T @ (weights * z_tilde))
        eta = z - (z_tilde - X_tilde @ params)
        mu = torch.exp(eta) if poisson else torch.sigmoid(eta)
        new = float(model.family.deviance(y, mu))
        if abs(new - deviance) < 1e-14 * (0.1 + abs(new)):
            return params.numpy()
        deviance = new
    raise AssertionError("the reference IRLS did not converge")


@pytest.mark.parametrize("family", ["poisson", "logit"])
@pytest.mark.parametrize("effects", ["worker + firm", "worker + firm + year"])
def test_warm_started_irls_with_one_plan_equals_cold_irls(family: str, effects: str) -> None:
    data = panel(3, n=4000)
    linear = 0.3 * data["x1"] - 0.2 * data["x2"]
    rng = np.random.default_rng(4)
    if family == "poisson":
        data["count"] = rng.poisson(np.exp(linear + 0.1 * data["year"]))
    else:
        data["count"] = (rng.random(len(data)) < 1 / (1 + np.exp(-linear))).astype(float)
    entry = ts.poisson if family == "poisson" else ts.logit
    model = entry(f"count ~ x1 + x2 | {effects}", data, fixef_tol=1e-14, glm_tol=1e-13)
    results = model.fit()
    assert results.model.absorb_plan is model.absorb_plan  # one plan for the whole fit
    np.testing.assert_allclose(np.asarray(results.params), _cold_irls(model), rtol=1e-9)


@pytest.mark.parametrize("name", ["three", "slopes", "rows", "three, rows and tables"])
def test_int32_codes_give_the_int64_numbers_bit_for_bit(name: str) -> None:
    # the group codes are int32 (encode_groups); every route, weighted or not, must sum the
    # same values in the same order as with int64 codes
    terms, n, _ = _case(name)
    narrow = tuple(AbsorbTerm(t.codes.to(torch.int32), t.n_levels, t.slope) for t in terms)
    rng = np.random.default_rng(9)
    columns = torch.tensor(rng.normal(size=(n, 3)))
    for weights in (None, torch.tensor(rng.uniform(0.5, 2.0, n))):
        wide = absorb(columns, terms, weights, tol=1e-12)
        small = absorb(columns, narrow, weights, tol=1e-12)
        assert torch.equal(wide.resid, small.resid)
        assert all(torch.equal(a, b) for a, b in zip(wide.effects, small.effects, strict=True))
        assert wide.n_iter == small.n_iter


def test_pairs_of_int32_codes_with_more_than_2_31_cells_do_not_overflow() -> None:
    # 70_000 x 40_000 levels: the pair keys pass 2**31 (int32 codes are widened first); 2000
    # pairs repeated over the rows, so that the cross-tabulation is built from sorted keys
    rng = np.random.default_rng(2)
    pairs = np.column_stack([rng.integers(0, 70_000, 2000), rng.integers(0, 40_000, 2000)])
    pairs[0] = (69_999, 39_999)
    rows = np.concatenate([np.arange(2000), rng.integers(0, 2000, 18_000)])
    first, second = pairs[rows, 0], pairs[rows, 1]
    columns = torch.tensor(rng.normal(size=(len(rows), 1)))
    results = []
    for dtype in (torch.int32, torch.int64):
        terms = tuple(
            AbsorbTerm(torch.tensor(c, dtype=dtype), int(c.max()) + 1) for c in (first, second)
        )
        assert AbsorbPlan(terms).route(0, 1) == "table"
        results.append(absorb(columns, terms, tol=1e-12))
    assert torch.equal(results[0].resid, results[1].resid)


@pytest.mark.parametrize("weighted", [False, True])
def test_sums_through_the_rows_by_blocks_equal_the_summed_fitted_values(
    weighted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the sweeps' passes through the rows, a column and a block of rows at a time (one term
    # against several, several against one), give the bits of normal_rhs of the (p, n) sum
    # of the fitted values
    rng = np.random.default_rng(11)
    n = 40_000
    codes = [rng.integers(0, 20_000, n), rng.integers(0, 200, n), rng.integers(0, 100, n)]
    terms = [AbsorbTerm(torch.tensor(c), int(c.max()) + 1) for c in codes]
    terms.append(AbsorbTerm(terms[2].codes, terms[2].n_levels, torch.tensor(rng.normal(size=n))))
    plan = AbsorbPlan(tuple(terms))
    assert plan.route(0, 1) == plan.route(0, 2) == plan.route(0, 3) == "rows"
    assert plan.route(1, 2) == plan.route(1, 3) == plan.route(2, 3) == "table"
    weights = torch.tensor(rng.uniform(0.5, 2.0, n)) if weighted else None
    system = plan.weigh(weights, torch.float64)
    effects = [torch.tensor(rng.normal(size=(t.n_levels, 3))) for t in terms]
    others = [1, 2, 3]
    several = system.terms[0].normal_rhs(*system._shares(0, effects, {}, sweeping=False))
    fitted = system.terms[0].fitted(effects[0])
    alone = [system.terms[t].normal_rhs(fitted.clone(), scratch=True) for t in others]
    for block in (1 << 17, 1000, 97):
        monkeypatch.setattr(absorb_plan, "_ROW_BLOCK", block)
        got = absorb_plan._sums_through_rows(
            [system.terms[0]], [system.terms[s] for s in others], [effects[s] for s in others]
        )
        assert torch.equal(got[0], several)
        got = absorb_plan._sums_through_rows(
            [system.terms[t] for t in others], [system.terms[0]], [effects[0]]
        )
        assert all(torch.equal(a, b) for a, b in zip(got, alone, strict=True))
    rhs = [torch.tensor(rng.normal(size=(t.n_levels, 3))) for t in terms]
    passes = []
    for block in (1 << 17, 999):  # sweeps and products, with the sums for later terms
        monkeypatch.setattr(absorb_plan, "_ROW_BLOCK", block)
        state = [e.clone() for e in effects]
        system.sweep(state, rhs)
        system.sweep(state, rhs)
        passes.append(state + system.coupled(state))
    assert all(torch.equal(a, b) for a, b in zip(*passes, strict=True))
