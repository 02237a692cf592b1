"""Negative binomial models on counts without overdispersion: alpha runs to its boundary 0,
where the log-likelihood's supremum is the nested Poisson model's. The fits must reach that
supremum (not climb rounding noise past it, as they did when ``lgamma(y + 1/alpha) -
lgamma(1/alpha)`` was taken directly: +14 334 against -783.6 for a zero-inflated NB) and say
that alpha tends to 0."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchstats as ts
from torchstats.errors import ConvergenceWarning


def _underdispersed(seed: int, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal(n)])
    return rng.binomial(6, 0.3, n).astype(float), X


def _fit_warning_of_boundary(build):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = build().fit(disp=0)
    boundary = [w for w in caught if "alpha tends to 0" in str(w.message)]
    assert len(boundary) == 1 and boundary[0].category is ConvergenceWarning
    return res


PAIRS = {
    "nb2": (lambda y, X: ts.NegativeBinomial(y, X), lambda y, X: ts.Poisson(y, X)),
    "nb1": (lambda y, X: ts.NegativeBinomial(y, X, "nb1"), lambda y, X: ts.Poisson(y, X)),
    "nbp2": (lambda y, X: ts.NegativeBinomialP(y, X), lambda y, X: ts.Poisson(y, X)),
    "nbp1.5": (lambda y, X: ts.NegativeBinomialP(y, X, p=1.5), lambda y, X: ts.Poisson(y, X)),
    "nbp1": (lambda y, X: ts.NegativeBinomialP(y, X, p=1), lambda y, X: ts.Poisson(y, X)),
    "zinb": (
        lambda y, X: ts.ZeroInflatedNegativeBinomialP(y, X, exog_infl=np.ones((len(y), 1))),
        lambda y, X: ts.ZeroInflatedPoisson(y, X, exog_infl=np.ones((len(y), 1))),
    ),
    "truncated": (
        lambda y, X: ts.TruncatedLFNegativeBinomialP(y[y > 0], X[y > 0]),
        lambda y, X: ts.TruncatedLFPoisson(y[y > 0], X[y > 0]),
    ),
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", list(PAIRS))
def test_negative_binomial_reaches_the_poisson_supremum(name, seed):
    y, X = _underdispersed(seed)
    negbin, poisson = PAIRS[name]
    supremum = poisson(y, X).fit(disp=0).llf
    res = _fit_warning_of_boundary(lambda: negbin(y, X))
    assert float(np.asarray(res.params)[-1]) < 1e-6
    assert res.llf <= supremum + 1e-9 * abs(supremum)
    assert res.llf == pytest.approx(supremum, rel=1e-9)


def test_hurdle_negative_binomial_reaches_the_hurdle_poisson():
    y, X = _underdispersed(1)
    supremum = ts.HurdleCountModel(y, X).fit(disp=0).llf
    res = _fit_warning_of_boundary(lambda: ts.HurdleCountModel(y, X, dist="negbin"))
    assert res.llf == pytest.approx(supremum, rel=1e-9)
    assert res.llf <= supremum + 1e-9 * abs(supremum)


@pytest.mark.parametrize(
    "build",
    [
        lambda y, X: ts.ZeroInflatedPoisson(y, X),
        lambda y, X: ts.ZeroInflatedGeneralizedPoisson(y, X),
    ],
    ids=["zip", "zigp"],
)
def test_zero_inflation_tending_to_zero_says_so(build):
    """Counts with fewer zeros than Poisson's (a fifth of them made ones): the inflation
    intercept runs towards minus infinity (about -30 where Newton stops) and the fit says
    so; counts with excess zeros do not warn."""
    rng = np.random.default_rng(3)
    n = 2000
    X = np.column_stack([np.ones(n), 0.3 * rng.standard_normal(n)])
    y = rng.poisson(np.exp(X @ np.array([1.0, 0.5]))).astype(float)
    y = np.where((y == 0) & (rng.random(n) < 0.2), 1.0, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build(y, X).fit(disp=0)
    inflation = [w for w in caught if "zero inflation tends to 0" in str(w.message)]
    assert len(inflation) == 1 and inflation[0].category is ConvergenceWarning
    inflated = np.where(rng.random(n) < 0.3, 0.0, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build(inflated, X).fit(disp=0)
    assert not [w for w in caught if "zero inflation tends to 0" in str(w.message)]
