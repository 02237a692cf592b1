"""Families against statsmodels: variance, deviance, deviance residuals, log-likelihood."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
import torch

import torchstats as ts
from torchstats.errors import DesignError, InvalidOptionError

rng = np.random.default_rng(11)
N = 40
MU = rng.uniform(0.3, 4.0, N)
PROB = rng.uniform(0.05, 0.95, N)
VAR_WEIGHTS = rng.uniform(0.5, 2.0, N)
FREQ_WEIGHTS = rng.integers(1, 4, N).astype(float)

# name -> (ours, theirs, endog, mu)
CASES = {
    "gaussian": (ts.families.Gaussian(), sm.families.Gaussian(), rng.normal(2, 1, N), MU),
    "binomial": (
        ts.families.Binomial(),
        sm.families.Binomial(),
        (rng.random(N) < PROB) * 1.0,
        PROB,
    ),
    "binomial-prop": (
        ts.families.Binomial(),
        sm.families.Binomial(),
        rng.integers(0, 6, N) / 5,
        PROB,
    ),
    "poisson": (ts.families.Poisson(), sm.families.Poisson(), rng.poisson(MU) * 1.0, MU),
    "gamma": (ts.families.Gamma(), sm.families.Gamma(), rng.gamma(2.0, MU / 2), MU),
    "invgauss": (
        ts.families.InverseGaussian(),
        sm.families.InverseGaussian(),
        rng.wald(MU, 3.0),
        MU,
    ),
    "negbin": (
        ts.families.NegativeBinomial(alpha=0.6),
        sm.families.NegativeBinomial(alpha=0.6),
        rng.poisson(MU) * 1.0,
        MU,
    ),
    "tweedie-1.5": (
        ts.families.Tweedie(var_power=1.5),
        sm.families.Tweedie(var_power=1.5),
        np.where(rng.random(N) < 0.3, 0.0, rng.gamma(2.0, MU / 2)),
        MU,
    ),
    "tweedie-1": (
        ts.families.Tweedie(var_power=1.0),
        sm.families.Tweedie(var_power=1.0),
        rng.poisson(MU) * 1.0,
        MU,
    ),
    "tweedie-2-eql": (
        ts.families.Tweedie(var_power=1.6, eql=True),
        sm.families.Tweedie(var_power=1.6, eql=True),
        rng.gamma(2.0, MU / 2),
        MU,
    ),
}
T = torch.float64


def _t(values: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(values, dtype=T)


@pytest.mark.parametrize("name", CASES)
def test_variance_and_its_derivative(name: str) -> None:
    ours, theirs, _, mu = CASES[name]
    np.testing.assert_allclose(ours.variance(_t(mu)).numpy(), theirs.variance(mu), rtol=1e-13)
    np.testing.assert_allclose(
        ours.variance.deriv(_t(mu)).numpy(), theirs.variance.deriv(mu), rtol=1e-13
    )


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("scale", [1.0, 1.7])
def test_deviance_with_weights(name: str, scale: float) -> None:
    ours, theirs, y, mu = CASES[name]
    got = ours.deviance(_t(y), _t(mu), _t(VAR_WEIGHTS), _t(FREQ_WEIGHTS), scale)
    expected = theirs.deviance(y, mu, VAR_WEIGHTS, FREQ_WEIGHTS, scale)
    assert np.isclose(float(got), expected, rtol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_deviance_residuals(name: str) -> None:
    ours, theirs, y, mu = CASES[name]
    got = ours.resid_dev(_t(y), _t(mu), _t(VAR_WEIGHTS), 1.3)
    # the Tweedie unit deviance for 1 < p < 2 sums terms that cancel to ~1e-2 of their size
    rtol = 1e-10 if name.startswith("tweedie") else 1e-12
    np.testing.assert_allclose(got.numpy(), theirs.resid_dev(y, mu, VAR_WEIGHTS, 1.3), rtol=rtol)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("scale", [1.0, 0.8])
def test_loglike_with_weights(name: str, scale: float) -> None:
    ours, theirs, y, mu = CASES[name]
    got = ours.loglike(_t(y), _t(mu), _t(VAR_WEIGHTS), _t(FREQ_WEIGHTS), scale)
    expected = theirs.loglike(y, mu, VAR_WEIGHTS, FREQ_WEIGHTS, scale)
    assert np.isclose(float(got), expected, rtol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_starting_means(name: str) -> None:
    ours, theirs, y, _ = CASES[name]
    np.testing.assert_allclose(ours.starting_mu(_t(y)).numpy(), theirs.starting_mu(y), rtol=1e-15)


def test_tweedie_outside_one_to_two_has_no_likelihood() -> None:
    family = ts.families.Tweedie(var_power=2.5)
    assert torch.isnan(family.loglike_obs(_t(MU), _t(MU))).all()


@pytest.mark.parametrize(
    ("family", "endog", "message"),
    [
        (ts.families.Binomial(), [0.0, 1.5], r"\[0, 1\]"),
        (ts.families.Poisson(), [1.0, -1.0], "non-negative"),
        (ts.families.Gamma(), [1.0, 0.0], "positive"),
        (ts.families.InverseGaussian(), [-2.0, 1.0], "positive"),
    ],
)
def test_responses_outside_the_support_are_refused(family, endog, message) -> None:
    with pytest.raises(DesignError, match=message):
        family.check_endog(torch.tensor(endog, dtype=T))


def test_links_the_family_does_not_accept_are_refused() -> None:
    with pytest.raises(InvalidOptionError, match="Logit link is not available for the Poisson"):
        ts.families.Poisson(ts.families.links.Logit())
    with pytest.raises(TypeError, match="link instance"):
        ts.families.Poisson(ts.families.links.Log)


def test_negative_binomial_without_alpha_warns_like_statsmodels() -> None:
    with pytest.warns(UserWarning, match="alpha not set"):
        family = ts.families.NegativeBinomial()
    assert family.alpha == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ts.families.NegativeBinomial(alpha=0.5)
    with pytest.raises(InvalidOptionError, match="alpha must be positive"):
        ts.families.NegativeBinomial(alpha=0.0)
