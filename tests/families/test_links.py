"""Links against statsmodels' values, and their derivatives against autograd."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
import torch

from torchstats.families import links

UNIT = ["Logit", "Probit", "CLogLog", "LogLog"]
POSITIVE = ["Log", "Identity", "InversePower", "InverseSquared", "Sqrt"]
ALL = UNIT + POSITIVE


def _means(name: str) -> torch.Tensor:
    rng = np.random.default_rng(3)
    values = rng.uniform(0.02, 0.98, 50) if name in UNIT else rng.uniform(0.2, 5.0, 50)
    return torch.as_tensor(values, dtype=torch.float64)


def _pair(name: str) -> tuple[links.Link, object]:
    return getattr(links, name)(), getattr(sm.families.links, name)()


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("method", ["__call__", "deriv", "deriv2"])
def test_link_maps_of_the_mean_match_statsmodels(name: str, method: str) -> None:
    ours, theirs = _pair(name)
    mu = _means(name)
    expected = getattr(theirs, method)(mu.numpy())
    np.testing.assert_allclose(getattr(ours, method)(mu).numpy(), expected, rtol=1e-7)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("method", ["inverse", "inverse_deriv"])
def test_link_maps_of_the_predictor_match_statsmodels(name: str, method: str) -> None:
    ours, theirs = _pair(name)
    eta = ours(_means(name))
    expected = getattr(theirs, method)(eta.numpy())
    np.testing.assert_allclose(getattr(ours, method)(eta).numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_inverse_inverts_the_link(name: str) -> None:
    link = getattr(links, name)()
    mu = _means(name)
    np.testing.assert_allclose(link.inverse(link(mu)).numpy(), mu.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_derivatives_equal_autograd(name: str) -> None:
    link = getattr(links, name)()
    mu = _means(name).requires_grad_(True)
    first = torch.autograd.grad(link(mu).sum(), mu, create_graph=True)[0]
    # a linear link has a constant first derivative: no graph, second derivative zero
    second = (
        torch.autograd.grad(first.sum(), mu)[0] if first.requires_grad else torch.zeros_like(mu)
    )
    np.testing.assert_allclose(link.deriv(mu).detach(), first.detach(), rtol=1e-10)
    np.testing.assert_allclose(link.deriv2(mu).detach(), second, rtol=1e-8)
    eta = link(mu).detach().requires_grad_(True)
    dmu = torch.autograd.grad(link.inverse(eta).sum(), eta)[0]
    np.testing.assert_allclose(link.inverse_deriv(eta).detach(), dmu, rtol=1e-10)


def test_power_link_and_aliases() -> None:
    mu = _means("Log")
    np.testing.assert_allclose(links.Power(0.5)(mu), links.Sqrt()(mu))
    assert isinstance(links.logit(), links.Logit)
    assert type(links.logit()).__name__ == "logit"  # printed as statsmodels prints aliases
    assert links.Power(2.0) == links.Power(2.0) and links.Power(2.0) != links.Power(3.0)


def test_probabilities_are_clipped_like_statsmodels() -> None:
    ours, theirs = _pair("Logit")
    edge = torch.tensor([0.0, 1.0], dtype=torch.float64)
    np.testing.assert_allclose(ours(edge).numpy(), theirs(edge.numpy()), rtol=1e-12)


def test_normal_cdf_keeps_both_tails() -> None:
    """``Phi`` to 1e-12 relative from -37 to 9 (torch.special.ndtr loses the lower tail)."""
    from scipy import special

    z = torch.linspace(-37.0, 9.0, 461, dtype=torch.float64)
    np.testing.assert_allclose(links.normal_cdf(z).numpy(), special.ndtr(z.numpy()), rtol=1e-12)
    np.testing.assert_allclose(
        links.Probit().inverse(z).numpy(), special.ndtr(z.numpy()), rtol=1e-12
    )
