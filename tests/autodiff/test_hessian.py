"""The Hessian utility against the create_graph reference, in every parameter form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.autograd.function import once_differentiable

from tests.conftest import DEVICES
from torchstats.autodiff.hessian import gradient, hessian, hessian_diag, hvp
from torchstats.errors import AutogradError
from torchstats.models.module import module_inference


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
    got = hessian(loss, net)
    assert got.shape == (32, 32)  # 3*5 + 5 + 5*2 + 2
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(hessian(loss, net, method="loop"), expected, rtol=1e-10, atol=1e-12)


def test_the_classic_trap_is_avoided():
    """Without create_graph=True the naive loop cannot differentiate the gradient."""
    net, x, y = _mlp()
    params = list(net.parameters())
    grads = torch.autograd.grad(((net(x) - y) ** 2).mean(), params)  # no create_graph
    with pytest.raises(RuntimeError):
        torch.autograd.grad(grads[0].reshape(-1)[0], params)
    assert float(hessian(lambda: ((net(x) - y) ** 2).mean(), net).abs().max()) > 0


def test_tensor_tuple_and_dict_forms_agree():
    a = torch.tensor([0.3, -1.2], dtype=torch.float64)
    b = torch.tensor(0.7, dtype=torch.float64)

    def f(a, b):
        return (a**3).sum() * b + torch.sin(a[0] * b) + (a[1] * b) ** 2

    a_, b_ = a.clone().requires_grad_(), b.clone().requires_grad_()
    expected = _reference(f(a_, b_), [a_, b_])
    torch.testing.assert_close(hessian(f, (a, b)), expected)
    torch.testing.assert_close(hessian(f, [a, b]), expected)
    torch.testing.assert_close(hessian(lambda a, b: f(a, b), {"a": a, "b": b}), expected)
    single = hessian(lambda t: f(t[:2], t[2]), torch.cat([a, b[None]]))
    torch.testing.assert_close(single, expected)


def test_frozen_parameters_are_excluded_and_state_restored():
    net, x, y = _mlp()
    net[0].weight.requires_grad_(False)
    before = [p.detach().clone() for p in net.parameters()]
    loss = lambda: ((net(x) - y) ** 2).mean()  # noqa: E731
    trainable = [p for p in net.parameters() if p.requires_grad]
    got = hessian(loss, net)
    assert got.shape == (17, 17)  # without the frozen 3*5 weight
    torch.testing.assert_close(got, _reference(loss(), trainable))
    assert [p.requires_grad for p in net.parameters()] == [False, True, True, True]
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), before))
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())


def test_labels():
    net, x, y = _mlp()
    table = hessian(lambda: ((net(x) - y) ** 2).mean(), net, labels=True)
    assert isinstance(table, pd.DataFrame)
    assert table.index[:2].tolist() == ["0.weight[0,0]", "0.weight[0,1]"]
    assert table.index[-1] == "2.bias[1]"
    named = hessian(
        lambda mu, beta: mu**2 * beta.sum(), {"mu": 1.0, "beta": torch.ones(2)}, labels=True
    )
    assert named.index.tolist() == ["mu", "beta[0]", "beta[1]"]


def test_hvp_and_diagonal():
    net, x, y = _mlp(3)
    loss = lambda: ((net(x) - y) ** 2).mean()  # noqa: E731
    H = hessian(loss, net)
    v = torch.randn(H.shape[0], dtype=torch.float64)
    torch.testing.assert_close(hvp(loss, net, v), H @ v)
    torch.testing.assert_close(hessian_diag(loss, net, chunk_size=7), torch.diagonal(H))


def test_parameters_without_influence_give_zero_rows():
    H = hessian(
        lambda a, b: (a**2).sum(),
        (torch.ones(2, dtype=torch.float64), torch.ones(1, dtype=torch.float64)),
    )
    np.testing.assert_array_equal(H.numpy(), np.diag([2.0, 2.0, 0.0]))


def test_bad_input():
    with pytest.raises(ValueError, match="must return a scalar"):
        hessian(lambda t: t * 2, torch.ones(3))
    with pytest.raises(TypeError, match="floating point"):
        hessian(lambda t: t.sum(), torch.ones(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="empty"):
        hessian(lambda: torch.tensor(0.0), {})
    frozen = nn.Linear(2, 1)
    frozen.requires_grad_(False)
    with pytest.raises(TypeError, match="no trainable parameters"):
        hessian(lambda: frozen(torch.ones(1, 2)).sum(), frozen)
    with pytest.raises(ValueError, match="v has 2 entries but there are 3"):
        hvp(lambda t: t.pow(2).sum(), torch.ones(3), torch.ones(2))


def test_gradient_matches_autograd():
    net, x, y = _mlp(4)
    loss = ((net(x) - y) ** 2).mean()
    expected = torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, list(net.parameters()))])
    got = gradient(lambda: ((net(x) - y) ** 2).mean(), net)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-14)


def test_float32_module_keeps_its_dtype():
    torch.manual_seed(5)
    net = nn.Linear(3, 2)  # float32
    x = torch.randn(20, 3)
    loss = lambda: net(x).pow(2).mean()  # noqa: E731
    got = hessian(loss, net)
    assert got.dtype == torch.float32
    torch.testing.assert_close(
        got, _reference(loss(), list(net.parameters())), rtol=1e-5, atol=1e-6
    )
    assert all(p.dtype == torch.float32 for p in net.parameters())


def test_python_numbers_and_tensor_labels():
    H = hessian(lambda mu, s: mu**2 * s**3, {"mu": 2, "s": 1.5})
    assert H.dtype == torch.float64
    expected = np.array([[2 * 1.5**3, 2 * 2 * 3 * 1.5**2], [2 * 2 * 3 * 1.5**2, 4 * 6 * 1.5]])
    np.testing.assert_allclose(H.numpy(), expected, rtol=1e-14)
    table = hessian(lambda t: (t**4).sum(), torch.ones(2, 2, dtype=torch.float64), labels=True)
    assert table.index.tolist() == ["x[0,0]", "x[0,1]", "x[1,0]", "x[1,1]"]
    np.testing.assert_allclose(table.to_numpy(), 12 * np.eye(4), rtol=1e-14)
    pair = hessian(lambda a, b: (a * b).sum(), [torch.ones(1), torch.ones(1)], labels=True)
    assert pair.columns.tolist() == ["arg0[0]", "arg1[0]"]


def test_hvp_and_diag_in_dict_form():
    params = {
        "a": torch.tensor([0.5, -0.3], dtype=torch.float64),
        "b": torch.tensor(1.2, dtype=torch.float64),
    }
    f = lambda a, b: torch.exp(a * b).sum() + a.prod() ** 2  # noqa: E731
    H = hessian(f, params)
    v = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    torch.testing.assert_close(hvp(f, params, v), H @ v, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(hessian_diag(f, params, chunk_size=2), torch.diagonal(H))


def test_more_bad_input():
    with pytest.raises(ValueError, match="0 scalars"):
        hessian(lambda t: t.sum(), torch.ones(0))
    with pytest.raises(TypeError, match="must return a torch tensor"):
        hessian(lambda t: 1.0, torch.ones(2))
    with pytest.raises(ValueError, match="chunk_size must be a positive"):
        hessian_diag(lambda t: t.pow(2).sum(), torch.ones(2), chunk_size=0)
    with pytest.raises(TypeError, match="params must be a tensor"):
        hessian(lambda t: t, "abc")
    with pytest.raises(ValueError, match="unknown method"):
        hessian(lambda t: t.pow(2).sum(), torch.ones(2), method="fd")


class _OldStyleCube(torch.autograd.Function):
    """A custom autograd Function without ``setup_context``: torch.func refuses it."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad


def test_functions_torch_func_cannot_transform_fall_back_to_the_loop():
    def f(t):
        return _OldStyleCube.apply(t).sum() * t[0]

    t = torch.tensor([0.4, 1.1], dtype=torch.float64)
    with pytest.raises(RuntimeError, match="setup_context"):
        hessian(f, t, method="func")
    expected = torch.tensor(
        [[12 * 0.4**2, 3 * 1.1**2], [3 * 1.1**2, 6 * 1.1 * 0.4]], dtype=torch.float64
    )
    torch.testing.assert_close(hessian(f, t), expected, rtol=1e-14, atol=0)
    t_ = t.clone().requires_grad_()
    torch.testing.assert_close(hessian(f, t, method="loop"), _reference(f(t_), [t_]))


class _CubeOnce(torch.autograd.Function):
    """``sum(x**3)`` with a backward marked ``@once_differentiable``."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x**3).sum()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad


_DETACHED = {
    "detach": lambda t: (t**2).sum().detach(),
    "item": lambda t: torch.tensor((t**2).sum().item(), dtype=torch.float64),
    "no_grad": lambda t: _under_no_grad(t),
}


def _under_no_grad(t: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return (t**2).sum()


@pytest.mark.parametrize("method", ["auto", "func", "loop"])
@pytest.mark.parametrize("kind", list(_DETACHED))
def test_a_detached_loss_raises_instead_of_a_zero_hessian(kind, method):
    t = torch.tensor([1.0, 2.0], dtype=torch.float64)
    with pytest.raises(AutogradError, match="does not depend on the parameters"):
        hessian(_DETACHED[kind], t, method=method)


@pytest.mark.parametrize("method", ["auto", "func", "loop"])
def test_a_once_differentiable_function_raises_instead_of_a_zero_hessian(method):
    t = torch.tensor([1.0, 2.0], dtype=torch.float64)
    with pytest.raises(AutogradError, match="_CubeOnce.*once_differentiable"):
        hessian(lambda x: _CubeOnce.apply(x), t, method=method)
    # its first derivative is fine
    torch.testing.assert_close(gradient(lambda x: _CubeOnce.apply(x), t), 3 * t**2)


@pytest.mark.parametrize("function", [hvp, hessian_diag, gradient])
def test_hvp_diagonal_and_gradient_refuse_a_detached_loss(function):
    t = torch.tensor([1.0, 2.0], dtype=torch.float64)
    arguments = (t, torch.ones(2, dtype=torch.float64)) if function is hvp else (t,)
    with pytest.raises(AutogradError, match="detached"):
        function(_DETACHED["detach"], *arguments)


@pytest.mark.parametrize("function", [hvp, hessian_diag])
def test_hvp_and_diagonal_refuse_a_once_differentiable_function(function):
    t = torch.tensor([1.0, 2.0], dtype=torch.float64)
    arguments = (t, torch.ones(2, dtype=torch.float64)) if function is hvp else (t,)
    with pytest.raises(AutogradError, match="once_differentiable"):
        function(lambda x: _CubeOnce.apply(x), *arguments)


def test_a_module_loss_that_is_detached_or_once_differentiable_raises():
    net, x, y = _mlp()
    with pytest.raises(AutogradError, match="does not depend on the parameters"):
        hessian(lambda: ((net(x) - y) ** 2).mean().detach(), net)
    with pytest.raises(AutogradError, match="once_differentiable"):
        hessian(lambda: _CubeOnce.apply(net(x) - y), net)
    with pytest.raises(AutogradError, match="does not depend on the parameters"):
        module_inference(net, nll=lambda: ((net(x) - y) ** 2).sum(dim=1).detach())


def test_genuine_zeros_still_work():
    t = torch.tensor([1.0, 2.0], dtype=torch.float64)
    zero = torch.zeros(2, 2, dtype=torch.float64)
    torch.testing.assert_close(hessian(lambda x: x.sum(), t), zero)  # linear
    torch.testing.assert_close(hessian(lambda x: 0 * x.sum() + 3, t), zero)  # constant
    expected = torch.diag(torch.tensor([6.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(hessian(lambda x: x[0] ** 3, t), expected)


class _Tied(nn.Module):
    """Two layers sharing one weight (tied parameters)."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(1, 1, bias=False).double()
        self.b = nn.Linear(1, 1, bias=False).double()
        self.b.weight = self.a.weight

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        return self.a(x1) + self.b(x2)


def test_tied_parameters_get_every_use_differentiated() -> None:
    """``y = w x1 + w x2``: the Hessian of the squared error is ``2 (x1 + x2)'(x1 + x2)``.
    Only the first owner of a shared weight was swapped: entries off by 37 of 27."""
    gen = torch.Generator().manual_seed(0)
    x1, x2 = (
        torch.randn(30, 1, generator=gen, dtype=torch.float64),
        torch.randn(30, 1, generator=gen, dtype=torch.float64),
    )
    y = torch.randn(30, 1, generator=gen, dtype=torch.float64)
    net = _Tied()

    def loss() -> torch.Tensor:
        return ((net(x1, x2) - y) ** 2).sum()

    s = x1 + x2
    expected = 2 * (s * s).sum().reshape(1, 1)
    for method in ("func", "loop"):
        torch.testing.assert_close(hessian(loss, net, method=method), expected, rtol=1e-13, atol=0)
    residual = net(x1, x2) - y
    torch.testing.assert_close(gradient(loss, net), (2 * residual * s).sum().reshape(1))
    torch.testing.assert_close(hessian_diag(loss, net), expected.reshape(1))
    assert net.b.weight is net.a.weight  # the module is left as it was


def test_a_loss_over_parameters_captured_outside_is_refused() -> None:
    """A penalty over ``list(net.parameters())`` taken earlier reads the original
    parameters, which the differentiation does not see: its terms were silently missing."""
    net = nn.Linear(3, 1).double()
    captured = list(net.parameters())
    x = torch.randn(10, 3, dtype=torch.float64)

    def penalised() -> torch.Tensor:
        return (net(x) ** 2).sum() + 5.0 * sum((p**2).sum() for p in captured)

    for call in (
        lambda: hessian(penalised, net),
        lambda: gradient(penalised, net),
        lambda: hessian_diag(penalised, net),
        lambda: hvp(penalised, net, torch.ones(4, dtype=torch.float64)),
    ):
        with pytest.raises(AutogradError, match="other than through the module"):
            call()

    def inside() -> torch.Tensor:
        return (net(x) ** 2).sum() + 5.0 * sum((p**2).sum() for p in net.parameters())

    eye = torch.eye(4, dtype=torch.float64)
    design = torch.cat([x, torch.ones(10, 1, dtype=torch.float64)], dim=1)
    torch.testing.assert_close(hessian(inside, net), 2 * design.T @ design + 10 * eye)


@pytest.mark.parametrize("layer", [nn.Dropout(0.3), nn.BatchNorm1d(3), nn.AlphaDropout(0.2)])
def test_modules_in_training_mode_that_draw_or_update_are_refused(layer) -> None:
    """Dropout gave the Hessian of one random mask; batch norm updated its running
    statistics at each evaluation (later predictions shifted)."""
    net = nn.Sequential(nn.Linear(3, 3), layer, nn.Linear(3, 1)).double()
    x = torch.randn(16, 3, dtype=torch.float64)
    before = {k: v.clone() for k, v in net.state_dict().items()}

    def loss() -> torch.Tensor:
        return (net(x) ** 2).sum()

    with pytest.raises(ValueError, match="training mode"):
        hessian(loss, net)
    for key, value in net.state_dict().items():
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)
    net.eval()
    first, second = hessian(loss, net), hessian(loss, net)
    torch.testing.assert_close(first, second, rtol=0, atol=0)
