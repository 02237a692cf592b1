"""statsmodels' optimizers through scipy (``torchstats.solvers.optimizers``) on small objectives,
and the non-finite handling of Newton."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from torchstats.errors import InvalidOptionError, NumericalError, SpecificationWarning
from torchstats.solvers.newton import minimize_newton
from torchstats.solvers.optimizers import (
    OPTIMIZER_METHODS,
    SCIPY_METHODS,
    TorchObjective,
    check_optimizer_options,
    minimize_scipy,
)

CENTRE = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
CURVATURE = torch.tensor([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]], dtype=torch.float64)


def _quadratic(calls: list[str] | None = None) -> TorchObjective:
    """``(x - c)' A (x - c) / 2`` as a negative log-likelihood over 10 "observations"."""

    def value(x: torch.Tensor) -> torch.Tensor:
        if calls is not None:
            calls.append("value")
        d = x - CENTRE
        return 10 * 0.5 * d @ CURVATURE @ d

    def value_and_gradient(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if calls is not None:
            calls.append("value_and_gradient")
        d = x - CENTRE
        return 10 * 0.5 * d @ CURVATURE @ d, 10 * CURVATURE @ d

    def hessian(x: torch.Tensor) -> torch.Tensor:
        return 10 * CURVATURE

    return TorchObjective(value, value_and_gradient, hessian, like=CENTRE, nobs=10)


def test_method_names_are_statsmodels():
    assert OPTIMIZER_METHODS == (
        "newton", "nm", "bfgs", "lbfgs", "powell", "cg", "ncg", "basinhopping", "minimize"
    )  # fmt: skip
    assert SCIPY_METHODS == OPTIMIZER_METHODS[1:]


def test_defaults_are_statsmodels():
    assert check_optimizer_options("bfgs", {}, "M") == {
        "gtol": 1e-5,
        "norm": math.inf,
        "epsilon": 1.4901161193847656e-08,
    }
    assert check_optimizer_options("nm", {"xtol": 1e-6}, "M") == {
        "xtol": 1e-6,
        "ftol": 1e-4,
        "maxfun": None,
    }
    assert check_optimizer_options("ncg", {}, "M")["avextol"] == 1e-5
    assert check_optimizer_options("basinhopping", {}, "M")["niter"] == 100
    assert check_optimizer_options("minimize", {"gtol": 1.0}, "M") == {
        "min_method": "BFGS",
        "gtol": 1.0,
    }
    assert check_optimizer_options("newton", {}, "M") == {"ftol": None}
    with pytest.warns(SpecificationWarning, match="'tol' of statsmodels' Newton"):
        assert check_optimizer_options("newton", {"tol": 1e-8}, "M") == {"ftol": None}
    with pytest.raises(InvalidOptionError, match="M: unknown option.*'pgtol'.*'powell'"):
        check_optimizer_options("powell", {"pgtol": 1.0}, "M")


@pytest.mark.parametrize("method", SCIPY_METHODS)
def test_every_method_finds_the_minimum(method):
    tight = {
        "nm": {"xtol": 1e-10, "ftol": 1e-14, "maxfun": 10000},
        "powell": {"xtol": 1e-10, "ftol": 1e-14},
        "basinhopping": {"niter": 2, "seed": 0},
    }.get(method, {})
    found = minimize_scipy(
        _quadratic(),
        np.zeros(3),
        method,
        maxiter=1000,
        disp=False,
        options=check_optimizer_options(method, tight, "M"),
        name="M",
    )
    assert found.converged and found.retvals["converged"]
    np.testing.assert_allclose(found.params, CENTRE.numpy(), rtol=1e-5)
    assert found.iterations == found.retvals["iterations"] >= 1
    assert found.nonfinite == 0


def test_gradient_is_cached_and_derivative_free_methods_skip_it():
    calls: list[str] = []
    objective = _quadratic(calls)
    x = np.array([0.3, 0.2, 0.1])
    value = objective.value(x)
    gradient = objective.gradient(x)  # from the cache: no second evaluation
    assert calls == ["value_and_gradient"]
    np.testing.assert_allclose(gradient, (CURVATURE @ (torch.tensor(x) - CENTRE)).numpy())
    assert value == pytest.approx(0.5 * float((torch.tensor(x) - CENTRE) @ gradient))
    calls.clear()
    minimize_scipy(objective, x, "nm", maxiter=50, disp=False,
                   options=check_optimizer_options("nm", {}, "M"), name="M")  # fmt: skip
    assert set(calls) == {"value"}


def _valid_below_zero() -> TorchObjective:
    """``(x - 1)^2`` where ``x < 0`` and NaN elsewhere: the minimum lies outside."""

    def value(x: torch.Tensor) -> torch.Tensor:
        return ((x - 1) ** 2 + 0 * torch.log(-x)).sum()

    def value_and_gradient(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return value(x), 2 * (x - 1) + 0 / x

    def hessian(x: torch.Tensor) -> torch.Tensor:
        return 2 * torch.eye(1, dtype=x.dtype)

    like = torch.zeros(1, dtype=torch.float64)
    return TorchObjective(value, value_and_gradient, hessian, like=like, nobs=1)


def test_nan_edge_is_not_reported_as_a_minimum():
    objective = _valid_below_zero()
    found = minimize_scipy(objective, np.array([-3.0]), "nm", maxiter=500, disp=False,
                           options=check_optimizer_options("nm", {}, "M"), name="M")  # fmt: skip
    assert objective.nonfinite > 0 and found.nonfinite == objective.nonfinite
    assert not found.converged and not found.retvals["converged"]
    assert "not a maximum" in found.message and found.params[0] < 0
    with pytest.raises(NumericalError, match=r"M: .*not finite at \d+ point\(s\) tried by 'bfgs'"):
        minimize_scipy(_valid_below_zero(), np.array([-3.0]), "bfgs", maxiter=500, disp=False,
                       options=check_optimizer_options("bfgs", {}, "M"), name="M")  # fmt: skip


def test_newton_stops_when_steps_keep_landing_in_a_nan_region():
    def objective(x: torch.Tensor) -> torch.Tensor:
        return ((x - 1) ** 2 + 0 * torch.log(-x)).sum()

    found = minimize_newton(objective, torch.tensor([-3.0], dtype=torch.float64), max_iter=100)
    assert not found.converged and found.nonfinite >= 10
    assert "not finite along the Newton direction in 10 iterations in a row" in found.message


def test_newton_stops_when_the_objective_stops_changing():
    """The objective no longer resolves the steps (its value rounds to the same number)
    while the gradient still asks for them, as a log-likelihood heading to a supremum at
    infinity does: three equal values in a row end the run instead of max_iter. The
    decrement (1.25e-13, within 1000 times the tolerance) makes it converged."""

    def objective(x: torch.Tensor) -> torch.Tensor:
        return 1.0 + 0.0 * x.sum()

    def derivatives(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return objective(x), torch.full_like(x, 5e-7), torch.eye(1, dtype=x.dtype)

    start = torch.tensor([0.0], dtype=torch.float64)
    found = minimize_newton(objective, start, derivatives=derivatives, max_iter=100)
    assert "did not change in 3 steps in a row" in found.message
    assert found.n_iter < 5 and found.converged


def test_newton_counts_rejected_points_and_still_converges():
    # exp overflows on the first full steps from far away; the minimum is finite
    def objective(x: torch.Tensor) -> torch.Tensor:
        return (torch.exp(x) - 2 * x).sum()

    found = minimize_newton(objective, torch.tensor([-30.0], dtype=torch.float64))
    assert found.converged and found.nonfinite > 0
    np.testing.assert_allclose(found.params, [math.log(2)], rtol=1e-12)


def test_newton_hands_back_its_derivatives_at_the_estimate():
    """The value, gradient and Hessian of Newton's last call are those at the estimate
    (bitwise), so a fit reads its Hessian there instead of a second pass over the data."""
    from torchstats.solvers.maximum_likelihood import (
        NegativeLogLikelihood,
        minimize_negative_loglike,
    )

    rng = np.random.default_rng(4)
    X = torch.as_tensor(np.column_stack([np.ones(200), rng.standard_normal((200, 2))]))
    y = torch.as_tensor((rng.random(200) < 0.4).astype(float))

    def derivatives(b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        p = torch.sigmoid(X @ b)
        value = -(y * torch.log(p) + (1 - y) * torch.log1p(-p)).sum()
        return value, X.T @ (p - y), (X * (p * (1 - p))[:, None]).T @ X

    nll = NegativeLogLikelihood(
        lambda b: derivatives(b)[0],
        lambda b: derivatives(b)[:2],
        lambda b: derivatives(b)[2],
        nobs=200,
        name="logit",
        all_derivatives=derivatives,
    )
    minimum = minimize_negative_loglike(
        nll, torch.zeros(3, dtype=torch.float64), "newton", maxiter=50, disp=False, options={}
    )
    assert minimum.found.converged
    assert minimum.derivatives is not None
    for kept, fresh in zip(minimum.derivatives, derivatives(minimum.found.params), strict=True):
        assert torch.equal(kept, fresh)
    scipy_fit = minimize_negative_loglike(
        nll,
        torch.zeros(3, dtype=torch.float64),
        "bfgs",
        maxiter=50,
        disp=False,
        options=check_optimizer_options("bfgs", {}, "logit"),
    )
    assert scipy_fit.derivatives is None
