"""The Hessian utility against the create_graph reference, in every parameter form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import torchstats as ts
from tests.conftest import DEVICES


def _reference(loss: torch.Tensor, params: list[torch.Tensor]) -> torch.Tensor:
    """The hand-written loop, done right: the first grad with create_graph=True."""
    grads = torch.autograd.grad(loss, params, create_graph=True)
    flat = torch.cat([g.reshape(-1) for g in grads])
    rows = []
    for g in flat:
        parts = torch.autograd.grad(g, params, retain_graph=True, allow_unused=True)
        rows.append(
            torch.cat(
                [
                    (torch.zeros_like(p) if d is None else d).reshape(-1)
                    for d, p in zip(parts, params)
                ]
            )
        )
    return torch.stack(rows)


def _mlp(seed: int = 0, device: str = "cpu") -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double().to(device)
    x = torch.randn(30, 3, dtype=torch.float64, device=device)
    y = torch.randn(30, 2, dtype=torch.float64, device=device)
    return net, x, y


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("seed", [0, 1])
def test_module_hessian_equals_create_graph_reference(seed, device):
    net, x, y = _mlp(seed, device)
    loss = lambda: ((net(x) - y) ** 2).mean()  # noqa: E731
    expected = _reference(loss(), list(net.parameters()))
    got = ts.hessian(loss, net)
    assert got.shape == (32, 32)  # 3*5 + 5 + 5*2 + 2
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(
        ts.hessian(loss, net, method="loop"), expected, rtol=1e-10, atol=1e-12
    )


def test_the_classic_trap_is_avoided():
    """Without create_graph=True the naive loop cannot differentiate the gradient."""
    net, x, y = _mlp()
    params = list(net.parameters())
    grads = torch.autograd.grad(((net(x) - y) ** 2).mean(), params)  # no create_graph
    with pytest.raises(RuntimeError):
        torch.autograd.grad(grads[0].reshape(-1)[0], params)
    assert float(ts.hessian(lambda: ((net(x) - y) ** 2).mean(), net).abs().max()) > 0


def test_tensor_tuple_and_dict_forms_agree():
    a = torch.tensor([0.3, -1.2], dtype=torch.float64)
    b = torch.tensor(0.7, dtype=torch.float64)

    def f(a, b):
        return (a**3).sum() * b + torch.sin(a[0] * b) + (a[1] * b) ** 2

    a_, b_ = a.clone().requires_grad_(), b.clone().requires_grad_()
    expected = _reference(f(a_, b_), [a_, b_])
    torch.testing.assert_close(ts.hessian(f, (a, b)), expected)
    torch.testing.assert_close(ts.hessian(f, [a, b]), expected)
    torch.testing.assert_close(ts.hessian(lambda a, b: f(a, b), {"a": a, "b": b}), expected)
    single = ts.hessian(lambda t: f(t[:2], t[2]), torch.cat([a, b[None]]))
    torch.testing.assert_close(single, expected)


def test_frozen_parameters_are_excluded_and_state_restored():
    net, x, y = _mlp()
    net[0].weight.requires_grad_(False)
    before = [p.detach().clone() for p in net.parameters()]
    loss = lambda: ((net(x) - y) ** 2).mean()  # noqa: E731
    trainable = [p for p in net.parameters() if p.requires_grad]
    got = ts.hessian(loss, net)
    assert got.shape == (17, 17)  # without the frozen 3*5 weight
    torch.testing.assert_close(got, _reference(loss(), trainable))
    assert [p.requires_grad for p in net.parameters()] == [False, True, True, True]
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), before))
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())


def test_labels():
    net, x, y = _mlp()
    table = ts.hessian(lambda: ((net(x) - y) ** 2).mean(), net, labels=True)
    assert isinstance(table, pd.DataFrame)
    assert table.index[:2].tolist() == ["0.weight[0,0]", "0.weight[0,1]"]
    assert table.index[-1] == "2.bias[1]"
    named = ts.hessian(
        lambda mu, beta: mu**2 * beta.sum(), {"mu": 1.0, "beta": torch.ones(2)}, labels=True
    )
    assert named.index.tolist() == ["mu", "beta[0]", "beta[1]"]


def test_hvp_and_diagonal():
    net, x, y = _mlp(3)
    loss = lambda: ((net(x) - y) ** 2).mean()  # noqa: E731
    H = ts.hessian(loss, net)
    v = torch.randn(H.shape[0], dtype=torch.float64)
    torch.testing.assert_close(ts.hvp(loss, net, v), H @ v)
    torch.testing.assert_close(ts.hessian_diag(loss, net, chunk_size=7), torch.diagonal(H))


def test_parameters_without_influence_give_zero_rows():
    H = ts.hessian(
        lambda a, b: (a**2).sum(),
        (torch.ones(2, dtype=torch.float64), torch.ones(1, dtype=torch.float64)),
    )
    np.testing.assert_array_equal(H.numpy(), np.diag([2.0, 2.0, 0.0]))


def test_bad_input():
    with pytest.raises(ValueError, match="must return a scalar"):
        ts.hessian(lambda t: t * 2, torch.ones(3))
    with pytest.raises(TypeError, match="floating point"):
        ts.hessian(lambda t: t.sum(), torch.ones(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="empty"):
        ts.hessian(lambda: torch.tensor(0.0), {})
    frozen = nn.Linear(2, 1)
    frozen.requires_grad_(False)
    with pytest.raises(TypeError, match="no trainable parameters"):
        ts.hessian(lambda: frozen(torch.ones(1, 2)).sum(), frozen)
    with pytest.raises(ValueError, match="v has 2 entries but there are 3"):
        ts.hvp(lambda t: t.pow(2).sum(), torch.ones(3), torch.ones(2))
