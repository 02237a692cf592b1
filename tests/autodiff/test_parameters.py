"""Flattening and naming parameters; bounds by reparametrisation."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from torchstats.autodiff.parameters import BoxTransform, flatten_parameters


def test_names_shapes_and_round_trip():
    flat = flatten_parameters({"mu": 1.0, "beta": torch.arange(6.0).reshape(2, 3)})
    assert flat.names == [
        "mu",
        "beta[0,0]",
        "beta[0,1]",
        "beta[0,2]",
        "beta[1,0]",
        "beta[1,1]",
        "beta[1,2]",
    ]
    assert flat.vector.dtype == torch.float64
    mu, beta = flat.split(flat.vector)
    assert mu.dtype == torch.float64 and beta.dtype == torch.float32
    torch.testing.assert_close(beta, torch.arange(6.0).reshape(2, 3))


def test_module_swap_restores_parameters_even_after_an_error():
    net = nn.Linear(2, 1).double()
    weight = net.weight
    flat = flatten_parameters(net)
    assert flat.names == ["weight[0,0]", "weight[0,1]", "bias[0]"]
    with pytest.raises(ZeroDivisionError):
        flat.call(lambda: 1 / 0, torch.zeros(3, dtype=torch.float64))
    assert net.weight is weight and isinstance(net.weight, nn.Parameter)
    seen = flat.call(lambda: net.weight.sum() + net.bias.sum(), torch.ones(3, dtype=torch.float64))
    assert float(seen) == 3.0 and net.weight is weight


def test_tied_parameters_are_counted_once():
    a = nn.Linear(2, 2, bias=False)
    net = nn.Sequential(a, nn.Tanh(), a)
    assert flatten_parameters(net).names == [
        "0.weight[0,0]",
        "0.weight[0,1]",
        "0.weight[1,0]",
        "0.weight[1,1]",
    ]


def test_box_transform_round_trip_and_limits():
    inf = math.inf
    box = BoxTransform(
        torch.tensor([-inf, 0.0, -inf, 1.0], dtype=torch.float64),
        torch.tensor([inf, inf, 2.0, 3.0], dtype=torch.float64),
    )
    theta = torch.tensor([-4.0, 0.3, 1.5, 2.9], dtype=torch.float64)
    torch.testing.assert_close(box.to_user(box.to_unconstrained(theta)), theta, rtol=1e-14, atol=0)
    far = box.to_user(torch.tensor([50.0, -50.0, -50.0, 50.0], dtype=torch.float64))
    assert bool(((far > box.lower) | (box.lower == -inf)).all())
    assert box.outside(torch.tensor([0.0, 0.0, 2.0, 2.0], dtype=torch.float64)).tolist() == [
        False,
        True,
        True,
        False,
    ]
    grad = torch.func.grad(lambda u: box.to_user(u).sum())(torch.zeros(4, dtype=torch.float64))
    assert bool(torch.isfinite(grad).all())  # no NaN from the unselected branches


def test_box_transform_of_an_unbounded_parameter_beyond_exp_range_has_finite_gradients():
    """An unbounded parameter above 709.8 made exp overflow in the unselected branch of
    torch.where, whose gradient 0 * inf is NaN (fits of N(715, 1) failed)."""
    box = BoxTransform(
        lower=torch.tensor([-math.inf, 0.0, -math.inf], dtype=torch.float64),
        upper=torch.tensor([math.inf, math.inf, 1.0], dtype=torch.float64),
    )
    u = torch.tensor([715.0, 2.0, 1.0], dtype=torch.float64, requires_grad=True)
    theta = box.to_user(u)
    (grad,) = torch.autograd.grad(theta.sum(), u)
    assert torch.isfinite(grad).all()
    expected = torch.tensor([1.0, math.exp(2.0), -math.exp(1.0)], dtype=torch.float64)
    torch.testing.assert_close(grad, expected)
