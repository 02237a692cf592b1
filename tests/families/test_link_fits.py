"""GLM fits with the Cauchy, log-complement and negative binomial links against statsmodels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm

import torchstats as ts
from torchstats.errors import DomainWarning

rng = np.random.default_rng(11)
N = 400
X = np.column_stack([np.ones(N), rng.normal(size=(N, 2))])
X_UNIFORM = np.column_stack([np.ones(N), rng.uniform(0, 1, size=(N, 2))])


def _binary(mean: np.ndarray) -> np.ndarray:
    return (rng.random(N) < mean).astype(float)


def _negative_binomial(mean: np.ndarray, alpha: float) -> np.ndarray:
    return rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mean)).astype(float)


# (name, family factory for each library, endog, exog, GLM keywords)
CASES = [
    (
        "binomial-cauchy",
        lambda f: f.Binomial(f.links.Cauchy()),
        _binary(0.5 + np.arctan(X @ [0.2, 1.0, -0.7]) / np.pi),
        X,
        {},
    ),
    (
        "binomial-cauchy-weights",
        lambda f: f.Binomial(f.links.Cauchy()),
        _binary(0.5 + np.arctan(X @ [-0.5, 0.8, 0.3]) / np.pi),
        X,
        {"var_weights": rng.uniform(0.5, 2.0, N)},
    ),
    (
        "binomial-logc",
        lambda f: f.Binomial(f.links.LogC()),
        _binary(1 - np.exp(X_UNIFORM @ [-0.3, -0.8, -0.4])),
        X_UNIFORM,
        {},
    ),
    (
        "negbin-nblink",
        lambda f: f.NegativeBinomial(f.links.NegativeBinomial(0.8), alpha=0.8),
        _negative_binomial(1 / (0.8 * np.expm1(-(X_UNIFORM @ [-0.4, -0.6, -0.3]))), 0.8),
        X_UNIFORM,
        {},
    ),
    (
        "negbin-nblink-exposure",
        lambda f: f.NegativeBinomial(f.links.NegativeBinomial(), alpha=1.0),
        _negative_binomial(1 / np.expm1(-(X_UNIFORM @ [-1.0, -0.5, -0.7])), 1.0),
        X_UNIFORM,
        {"freq_weights": rng.integers(1, 4, N).astype(float)},
    ),
]


def _fits(case: tuple) -> tuple:
    _, family, endog, exog, kwargs = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DomainWarning of the unsafe links, in both
        ours = ts.GLM(endog, exog, family=family(ts.families), **kwargs).fit()
        theirs = sm.GLM(endog, exog, family=family(sm.families), **kwargs).fit()
    return ours, theirs


@pytest.fixture(scope="module", params=CASES, ids=[case[0] for case in CASES])
def fits(request: pytest.FixtureRequest) -> tuple:
    return _fits(request.param)


@pytest.mark.parametrize("name", ["params", "bse", "llf", "deviance", "pearson_chi2"])
def test_fit_matches_statsmodels(fits: tuple, name: str) -> None:
    ours, theirs = fits
    np.testing.assert_allclose(
        np.asarray(getattr(ours, name)), np.asarray(getattr(theirs, name)), rtol=1e-10
    )


def test_predictions_match_statsmodels(fits: tuple) -> None:
    ours, theirs = fits
    np.testing.assert_allclose(
        np.asarray(ours.fittedvalues), np.asarray(theirs.fittedvalues), rtol=1e-10
    )
    frame = ours.get_prediction().summary_frame()
    expected = theirs.get_prediction().summary_frame()
    np.testing.assert_allclose(frame.to_numpy(), expected.to_numpy(), rtol=1e-9)


def test_families_accept_the_links_statsmodels_accepts() -> None:
    links = ts.families.links
    ts.families.Binomial(links.Cauchy())
    ts.families.NegativeBinomial(links.NegativeBinomial(0.5), alpha=0.5)
    with pytest.raises(ts.errors.InvalidOptionError, match="LogC link is not available"):
        ts.families.Poisson(links.LogC())
    with pytest.raises(ts.errors.InvalidOptionError, match="Cauchy link is not available"):
        ts.families.Gamma(links.Cauchy())


def test_unsafe_links_warn_as_statsmodels() -> None:
    """Cauchy is safe for the binomial (statsmodels lists its CDFLink base); LogC and the
    negative binomial link can leave the range and warn, as in statsmodels."""
    y = (rng.random(N) < 0.4).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DomainWarning)
        ts.GLM(y, X, family=ts.families.Binomial(ts.families.links.Cauchy()))
    with pytest.warns(DomainWarning, match="LogC link"):
        ts.GLM(y, X_UNIFORM, family=ts.families.Binomial(ts.families.links.LogC()))
    family = ts.families.NegativeBinomial(ts.families.links.NegativeBinomial(), alpha=1.0)
    with pytest.warns(DomainWarning, match="NegativeBinomial link"):
        ts.GLM(y, X_UNIFORM, family=family)
