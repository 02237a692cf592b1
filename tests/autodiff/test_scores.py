"""Per-observation scores against a loop of autograd.grad calls, one per observation."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.conftest import DEVICES
from torchstats.autodiff.scores import per_example_scores, score_obs

D = torch.distributions


def _reference(values: torch.Tensor, params: list[torch.Tensor]) -> torch.Tensor:
    rows = []
    for value in values.reshape(-1):
        grads = torch.autograd.grad(value, params, retain_graph=True, allow_unused=True)
        rows.append(
            torch.cat(
                [
                    (torch.zeros_like(p) if g is None else g).reshape(-1)
                    for g, p in zip(grads, params)
                ]
            )
        )
    return torch.stack(rows)


def _gamma_data(device: str = "cpu") -> torch.Tensor:
    torch.manual_seed(0)
    return D.Gamma(2.0, 0.7).sample((40,)).double().to(device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("mode", ["auto", "forward", "reverse"])
def test_dict_form_against_the_loop(mode, device):
    y = _gamma_data(device)
    params = {
        "shape": torch.tensor(1.7, dtype=torch.float64, device=device),
        "rate": torch.tensor([0.6], dtype=torch.float64, device=device),
    }

    def loglikeobs(shape, rate):
        return D.Gamma(shape, rate).log_prob(y)

    leaves = [v.clone().requires_grad_() for v in params.values()]
    expected = _reference(loglikeobs(*leaves), leaves)
    got = score_obs(loglikeobs, params, mode=mode)
    assert got.shape == (40, 2)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-14)


def test_module_form_and_per_example_form_agree():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    x = torch.randn(25, 3, dtype=torch.float64)
    y = torch.randn(25, dtype=torch.float64)
    nll = lambda: 0.5 * (net(x).squeeze(-1) - y) ** 2  # noqa: E731
    expected = _reference(nll(), list(net.parameters()))
    torch.testing.assert_close(score_obs(nll, net), expected, rtol=1e-12, atol=1e-14)

    def one(xi, yi, **named):
        out = torch.func.functional_call(net, named, (xi[None],))
        return 0.5 * (out.squeeze() - yi) ** 2

    per_example = per_example_scores(one, dict(net.named_parameters()), x, y, chunk_size=10)
    torch.testing.assert_close(per_example, expected, rtol=1e-12, atol=1e-14)


def test_per_example_tensor_form():
    torch.manual_seed(2)
    X = torch.randn(30, 2, dtype=torch.float64)
    y = torch.randn(30, dtype=torch.float64)
    beta = torch.tensor([0.3, -0.5], dtype=torch.float64)
    scores = per_example_scores(lambda b, xi, yi: -0.5 * (yi - xi @ b) ** 2, beta, X, y)
    expected = (y - X @ beta)[:, None] * X
    torch.testing.assert_close(scores, expected, rtol=1e-13, atol=1e-14)


def test_bad_input():
    with pytest.raises(ValueError, match="per-observation values"):
        score_obs(lambda t: t.pow(2).sum(), torch.ones(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="unknown mode"):
        score_obs(lambda t: t.pow(2), torch.ones(3), mode="central")
    with pytest.raises(ValueError, match="data to map over"):
        per_example_scores(lambda t: t.sum(), torch.ones(2))
    with pytest.raises(ValueError, match="differ in length"):
        per_example_scores(
            lambda t, a, b: (t * a).sum() * b, torch.ones(2), torch.ones(3, 2), torch.ones(4)
        )
    with pytest.raises(ValueError, match="one observation's scalar"):
        per_example_scores(lambda t, a: t * a, torch.ones(2), torch.ones(3, 2))
    with pytest.raises(TypeError, match="functional_call"):
        per_example_scores(lambda: None, nn.Linear(2, 1), torch.ones(3, 2))
