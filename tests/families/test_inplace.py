"""The in-place twins of the IRLS formulas (:mod:`torchstats.families.inplace`) give the
expressions' numbers bit for bit, never write into their arguments, and stay out of
autograd."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

import torchstats as ts
from torchstats.families import links as L
from torchstats.families.families import Family

rng = np.random.default_rng(3)
N = 2_000
PROB = torch.tensor(np.concatenate([rng.uniform(0.0, 1.0, N - 4), [0.0, 1.0, 1e-300, 1 - 1e-17]]))
POSITIVE = torch.tensor(np.concatenate([rng.gamma(0.5, 3.0, N - 3), [1e-300, 1e300, 2.0]]))
FAMILIES: dict[str, tuple[Family, torch.Tensor, torch.Tensor]] = {
    "gaussian": (ts.families.Gaussian(), torch.tensor(rng.normal(0, 3, N)), POSITIVE),
    "binomial": (ts.families.Binomial(), (torch.rand(N, dtype=torch.float64) < PROB) * 1.0, PROB),
    "binomial-prop": (ts.families.Binomial(), torch.tensor(rng.integers(0, 7, N) / 6), PROB),
    "poisson": (ts.families.Poisson(), torch.poisson(POSITIVE.clamp(max=50)), POSITIVE),
    "gamma": (ts.families.Gamma(), torch.tensor(rng.gamma(2.0, 1.5, N)), POSITIVE),
    "gamma-log": (ts.families.Gamma(L.Log()), torch.tensor(rng.gamma(2.0, 1.5, N)), POSITIVE),
    "invgauss": (ts.families.InverseGaussian(), torch.tensor(rng.gamma(2.0, 1.5, N)), POSITIVE),
    "poisson-sqrt": (
        ts.families.Poisson(L.Sqrt()),
        torch.poisson(POSITIVE.clamp(max=50)),
        POSITIVE,
    ),
}


def _both(compute: Callable[[], torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """``compute()`` as the expressions run it (autograd on) and in place (autograd off)."""
    with torch.enable_grad():
        expression = compute()
    with torch.no_grad():
        in_place = compute()
    return expression, in_place


def _assert_bitwise(expression: torch.Tensor, in_place: torch.Tensor) -> None:
    assert expression.dtype == in_place.dtype and expression.shape == in_place.shape
    # equal_nan: a NaN produced by both (0 * log 0 at the boundary) is the same answer
    assert torch.equal(expression.isnan(), in_place.isnan())
    assert torch.equal(expression.nan_to_num(), in_place.nan_to_num())


@pytest.mark.parametrize("name", FAMILIES)
def test_family_formulas_are_bitwise_those_of_the_expressions(name: str) -> None:
    family, endog, mu = FAMILIES[name]
    endog_before, mu_before = endog.clone(), mu.clone()
    weights = torch.tensor(rng.uniform(0.5, 2.0, N))
    formulas = {
        "unit deviance": lambda: family._resid_dev(endog, mu),
        "deviance": lambda: family.deviance(endog, mu, weights, 1.0, 1.7),
        "unweighted deviance": lambda: family.deviance(endog, mu),
        "weights": lambda: family.weights(mu),
        "variance": lambda: family.variance(mu),
        "link derivative": lambda: family.link.deriv(mu),
        "mean": lambda: family.fitted(family.predict(mu)),
    }
    for compute in formulas.values():
        _assert_bitwise(*_both(compute))
    assert torch.equal(endog, endog_before) and torch.equal(mu, mu_before)  # inputs intact


@pytest.mark.parametrize(
    "link", [L.Logit(), L.Log(), L.InversePower(), L.InverseSquared(), L.Sqrt(), L.Identity()]
)
def test_link_formulas_are_bitwise_and_leave_their_argument(link: L.Link) -> None:
    mu = PROB[1:-4] if isinstance(link, L.Logit) else POSITIVE[:-2]
    eta = link(mu)
    before = (mu.clone(), eta.clone())
    _assert_bitwise(*_both(lambda: link.deriv(mu)))
    _assert_bitwise(*_both(lambda: link.inverse(eta)))
    assert torch.equal(mu, before[0]) and torch.equal(eta, before[1])


def test_formulas_keep_autograd_where_it_records() -> None:
    """With autograd on the expressions run: the gradient of the deviance is the exact
    one (binomial, logit link: d D / d eta = -2 (y - mu) at mu = sigmoid(eta))."""
    family, endog, _ = FAMILIES["binomial"]
    eta = torch.tensor(rng.normal(0, 1, N), requires_grad=True)
    family.deviance(endog, family.fitted(eta)).backward()
    assert eta.grad is not None
    expected = -2 * (endog - torch.sigmoid(eta.detach()))
    np.testing.assert_allclose(eta.grad.numpy(), expected.numpy(), rtol=1e-9, atol=1e-12)


def test_irls_fit_is_bitwise_that_of_the_expressions(monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole GLM fit (binomial with weights and an offset, gamma) with the twins switched
    off gives the same bits."""
    import torchstats.families.families as families_module
    import torchstats.families.links as links_module
    import torchstats.families.varfuncs as varfuncs_module

    X = np.column_stack([np.ones(500), rng.normal(size=(500, 3))])
    cases = [
        (
            (rng.random(500) < 0.4) * 1.0,
            ts.families.Binomial(),
            {"var_weights": rng.uniform(0.5, 2, 500), "offset": rng.normal(0, 0.1, 500)},
        ),
        (rng.gamma(2.0, 1.5, 500), ts.families.Gamma(L.Log()), {}),
    ]
    fits = [ts.GLM(y, X, family=f, **kw).fit() for y, f, kw in cases]
    for module in (families_module, links_module, varfuncs_module):
        monkeypatch.setattr(module, "in_place_allowed", lambda *tensors: False)
    for (y, f, kw), fit in zip(cases, fits):
        again = ts.GLM(y, X, family=f, **kw).fit()
        assert np.array_equal(np.asarray(fit.params), np.asarray(again.params))
        assert np.array_equal(np.asarray(fit.bse), np.asarray(again.bse))
        assert fit.deviance == again.deviance


def test_mixed_dtypes_keep_the_expressions_promotion() -> None:
    """A float32 mean with a float64 response: the expression promotes to float64, and so
    does the result with autograd off."""
    family, endog, mu = FAMILIES["binomial-prop"]
    with torch.no_grad():
        unit = family._resid_dev(endog, mu.float())
    assert unit.dtype == torch.float64
    _assert_bitwise(unit, family._resid_dev(endog, mu.float()))
