"""Links against statsmodels' values, and their derivatives against autograd."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
import torch

from torchstats.families import links

UNIT = ["Logit", "Probit", "Cauchy", "LogC", "CLogLog", "LogLog"]
POSITIVE = ["Log", "NegativeBinomial", "Identity", "InversePower", "InverseSquared", "Sqrt"]
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
@pytest.mark.parametrize("method", ["inverse", "inverse_deriv", "inverse_deriv2"])
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
    d2mu = torch.autograd.grad(link.inverse_deriv(eta).sum(), eta)[0] if name != "Identity" else 0
    np.testing.assert_allclose(link.inverse_deriv2(eta).detach(), d2mu, rtol=1e-8, atol=1e-300)


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


@pytest.mark.parametrize("alpha", [0.05, 0.7, 2.5])
def test_negative_binomial_link_takes_alpha_like_statsmodels(alpha: float) -> None:
    ours, theirs = links.NegativeBinomial(alpha), sm.families.links.NegativeBinomial(alpha)
    mu = _means("Log")
    for method in ("__call__", "deriv", "deriv2"):
        expected = getattr(theirs, method)(mu.numpy())
        np.testing.assert_allclose(getattr(ours, method)(mu).numpy(), expected, rtol=1e-13)
    eta = ours(mu)
    for method in ("inverse", "inverse_deriv", "inverse_deriv2"):
        expected = getattr(theirs, method)(eta.numpy())
        np.testing.assert_allclose(getattr(ours, method)(eta).numpy(), expected, rtol=1e-13)
    assert repr(ours) == f"NegativeBinomial(alpha={alpha:g})"
    assert ours == links.NegativeBinomial(alpha) and ours != links.NegativeBinomial(alpha + 1)


def test_new_links_keep_precision_in_the_tails() -> None:
    """Where statsmodels' ``1 - exp``, ``log(1 - p)`` and scipy's Cauchy lose digits."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    p = [1e-12, 1e-6, 1e-3, 0.2, 0.26, 0.5, 0.74, 0.8, 0.999, 1 - 1e-9]
    exact = [float(mpmath.tan(mpmath.pi * (mpmath.mpf(v) - 0.5))) for v in p]
    z = links.Cauchy()(torch.tensor(p, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(z, exact, rtol=4e-16, atol=1e-300)
    eta = [-1e10, -1e3, -3.0, -0.5, 0.0, 0.5, 3.0]
    exact = [float(0.5 + mpmath.atan(mpmath.mpf(v)) / mpmath.pi) for v in eta]
    inverse = links.Cauchy().inverse(torch.tensor(eta, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(inverse, exact, rtol=4e-16)
    small = torch.tensor([1e-12, 1e-5], dtype=torch.float64)
    logc = links.LogC()
    np.testing.assert_allclose(logc.inverse(logc(small)).numpy(), small.numpy(), rtol=1e-15)
    large = torch.tensor([1e3, 1e8, 1e12], dtype=torch.float64)
    nbinom = links.NegativeBinomial(0.5)
    np.testing.assert_allclose(nbinom.inverse(nbinom(large)).numpy(), large.numpy(), rtol=1e-14)


def test_new_aliases_print_in_lower_case() -> None:
    for alias, cls in [("cauchy", "Cauchy"), ("logc", "LogC"), ("nbinom", "NegativeBinomial")]:
        link = getattr(links, alias)()
        assert isinstance(link, getattr(links, cls))
        assert type(link).__name__ == alias  # as statsmodels' deprecated aliases
