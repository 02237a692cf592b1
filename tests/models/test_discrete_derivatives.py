"""Closed-form scores and Hessians of the discrete models against autograd and statsmodels.

Derivatives are checked away from the optimum (random parameters), where every term of the
closed forms matters, and in the internal ``log(alpha)`` parametrisation the fit uses.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
import torch

from torchstats.models.binary import Logit, Probit
from torchstats.models.count import NegativeBinomial, Poisson

N = 150


def _data(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(N), rng.normal(size=N), rng.uniform(0, 2, size=N)])
    eta = X @ np.array([0.2, 0.6, -0.4])
    return {
        "X": X,
        "binary": (rng.random(N) < 1 / (1 + np.exp(-eta))).astype(float),
        "fraction": rng.uniform(0, 1, size=N),
        "counts": rng.negative_binomial(1.5, 1.5 / (1.5 + np.exp(eta))).astype(float),
        "offset": rng.normal(scale=0.3, size=N),
        "exposure": rng.uniform(0.5, 3, size=N),
    }


MODELS = {
    "logit": lambda d: (Logit(d["binary"], d["X"]), sm.Logit(d["binary"], d["X"])),
    "logit+offset": lambda d: (
        Logit(d["binary"], d["X"], offset=d["offset"]),
        sm.Logit(d["binary"], d["X"], offset=d["offset"]),
    ),
    "logit-fractional": lambda d: (Logit(d["fraction"], d["X"]), None),
    "probit": lambda d: (Probit(d["binary"], d["X"]), sm.Probit(d["binary"], d["X"])),
    "probit+offset": lambda d: (
        Probit(d["binary"], d["X"], offset=d["offset"]),
        sm.Probit(d["binary"], d["X"], offset=d["offset"]),
    ),
    "poisson+exposure": lambda d: (
        Poisson(d["counts"], d["X"], exposure=d["exposure"]),
        sm.Poisson(d["counts"], d["X"], exposure=d["exposure"]),
    ),
    "poisson+offset": lambda d: (
        Poisson(d["counts"], d["X"], offset=d["offset"]),
        sm.Poisson(d["counts"], d["X"], offset=d["offset"]),
    ),
    **{
        f"negbin-{method}": (
            lambda d, m=method: (
                NegativeBinomial(d["counts"], d["X"], m, offset=d["offset"]),
                sm.NegativeBinomial(d["counts"], d["X"], m, offset=d["offset"]),
            )
        )
        for method in ("nb2", "nb1", "geometric")
    },
    "negbin-nb2+exposure": lambda d: (
        NegativeBinomial(d["counts"], d["X"], exposure=d["exposure"]),
        sm.NegativeBinomial(d["counts"], d["X"], exposure=d["exposure"]),
    ),
}
SEEDS = [0, 1]


@pytest.fixture(
    params=[(name, seed) for name in MODELS for seed in SEEDS], ids=lambda p: f"{p[0]}|data{p[1]}"
)
def setup(request: pytest.FixtureRequest):
    name, seed = request.param
    ours, _ = MODELS[name](_data(seed))
    rng = np.random.default_rng(seed + 10)
    params = rng.normal(scale=0.4, size=len(ours.exog_names))
    if ours.k_extra:
        params[-1] = rng.uniform(0.3, 2.0)  # alpha > 0
    return ours, torch.tensor(params, dtype=torch.float64)


def _assert_close(actual: torch.Tensor, expected: torch.Tensor, rtol: float) -> None:
    scale = float(expected.abs().max())
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=rtol * scale)


def test_score_matches_autograd(setup):
    model, params = setup
    _assert_close(model.score(params), torch.func.grad(model.loglike)(params), rtol=1e-12)


def test_hessian_matches_autograd(setup):
    model, params = setup
    _assert_close(model.hessian(params), torch.func.hessian(model.loglike)(params), rtol=1e-12)


def test_score_obs_matches_autograd(setup):
    model, params = setup
    _assert_close(model.score_obs(params), torch.func.jacrev(model.loglikeobs)(params), rtol=1e-12)


def test_score_obs_sums_to_score(setup):
    model, params = setup
    _assert_close(model.score_obs(params).sum(dim=0), model.score(params), rtol=1e-12)


def test_loglike_is_sum_of_loglikeobs(setup):
    model, params = setup
    assert float(model.loglike(params)) == pytest.approx(
        float(model.loglikeobs(params).sum()), rel=1e-14
    )


def test_internal_derivatives_match_autograd(setup):
    """The fit minimises -llf in (b, log alpha): value, gradient and Hessian by chain rule."""
    model, params = setup
    theta = model._to_internal(params)
    value, grad, hess = model._internal_derivatives(theta)
    objective = model._internal_objective
    assert float(value) == pytest.approx(float(objective(theta)), rel=1e-14)
    _assert_close(grad, torch.func.grad(objective)(theta), rtol=1e-12)
    _assert_close(hess, torch.func.hessian(objective)(theta), rtol=1e-12)
    value_only, grad_only = model._internal_value_grad(theta)  # the L-BFGS path
    assert float(value_only) == pytest.approx(float(value), rel=1e-14)
    _assert_close(grad_only, grad, rtol=1e-13)


@pytest.fixture(
    params=[(n, s) for n in MODELS for s in SEEDS if n != "logit-fractional"],
    ids=lambda p: f"{p[0]}|data{p[1]}",
)
def pair(request: pytest.FixtureRequest):
    """Our model and statsmodels' at the same parameters (alpha, not its log).

    statsmodels' fractional-logit loglike is ``log F(q X b)``, not a likelihood, so that model
    has no counterpart here. An unfitted statsmodels NegativeBinomial reads the last
    parameter as log(alpha) (``_transparams``); after a fit it reads alpha, as we do.
    """
    name, seed = request.param
    ours, theirs = MODELS[name](_data(seed))
    theirs._transparams = False
    rng = np.random.default_rng(seed + 20)
    params = rng.normal(scale=0.4, size=len(ours.exog_names))
    if ours.k_extra:
        params[-1] = rng.uniform(0.3, 2.0)
    return ours, theirs, params


def test_loglikeobs_matches_statsmodels(pair):
    ours, theirs, params = pair
    expected = torch.as_tensor(theirs.loglikeobs(params))
    _assert_close(ours.loglikeobs(torch.as_tensor(params)), expected, rtol=1e-12)


def test_score_matches_statsmodels(pair):
    ours, theirs, params = pair
    _assert_close(
        ours.score(torch.as_tensor(params)), torch.as_tensor(theirs.score(params)), rtol=1e-10
    )


def test_hessian_matches_statsmodels(pair):
    ours, theirs, params = pair
    # statsmodels' NB d2l/dalpha2 cancels (1/a1 - 1/(a1 + mu) for a1 = 1/alpha): ~1e-9.
    rtol = 1e-8 if ours.k_extra else 1e-12
    _assert_close(
        ours.hessian(torch.as_tensor(params)), torch.as_tensor(theirs.hessian(params)), rtol=rtol
    )


@pytest.mark.parametrize(
    "name", ["logit", "probit+offset", "poisson+exposure", "negbin-nb2+exposure"]
)
def test_the_base_derivatives_are_autograd_of_loglikeobs(name):
    # a model that defines only loglikeobs gets the score, the scores per observation and
    # the Hessian from autograd: they equal the closed forms of the model it copies
    from torchstats.models.discrete import _DiscreteModel

    data = _data(4)
    model = MODELS[name](data)[0]
    params = torch.as_tensor(np.r_[0.1, 0.4, -0.3, [0.7] * model.k_extra])
    torch.testing.assert_close(
        _DiscreteModel.score(model, params), model.score(params), rtol=1e-12, atol=1e-12
    )
    torch.testing.assert_close(
        _DiscreteModel.score_obs(model, params), model.score_obs(params), rtol=1e-12, atol=1e-12
    )
    torch.testing.assert_close(
        _DiscreteModel.hessian(model, params), model.hessian(params), rtol=1e-11, atol=1e-11
    )
