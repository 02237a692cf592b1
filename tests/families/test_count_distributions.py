"""The count log-probabilities against statsmodels' loglikeobs and scipy."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
import torch
from scipy import stats

from torchstats.families.count_distributions import (
    generalized_poisson_logpmf,
    negbin_p_logpmf,
    poisson_logpmf,
)


def _data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(60), rng.normal(size=60)])
    beta = np.array([0.5, 0.3])
    y = rng.poisson(np.exp(X @ beta) * rng.gamma(2.0, 0.5, size=60)).astype(float)
    return X, y, beta


def test_poisson_equals_scipy():
    X, y, beta = _data(0)
    mu = np.exp(X @ beta)
    got = poisson_logpmf(torch.tensor(y), torch.tensor(mu)).numpy()
    np.testing.assert_allclose(got, stats.poisson.logpmf(y, mu), rtol=1e-13)


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("alpha", [0.3, 1.7])
def test_negbin_p_equals_statsmodels(p, alpha):
    X, y, beta = _data(1)
    expected = sm.NegativeBinomialP(y, X, p=p).loglikeobs(np.r_[beta, alpha])
    mu = torch.tensor(np.exp(X @ beta))
    got = negbin_p_logpmf(torch.tensor(y), mu, torch.tensor(alpha, dtype=torch.float64), p).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_negbin_2_equals_scipy():
    X, y, beta = _data(2)
    mu, alpha = np.exp(X @ beta), 0.8
    alpha_t = torch.tensor(alpha, dtype=torch.float64)
    got = negbin_p_logpmf(torch.tensor(y), torch.tensor(mu), alpha_t, 2.0)
    expected = stats.nbinom.logpmf(y, 1 / alpha, 1 / (1 + alpha * mu))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("alpha", [-0.05, 0.4])
def test_generalized_poisson_equals_statsmodels(p, alpha):
    X, y, beta = _data(3)
    expected = sm.GeneralizedPoisson(y, X, p=p).loglikeobs(np.r_[beta, alpha])
    mu = torch.tensor(np.exp(X @ beta))
    alpha_t = torch.tensor(alpha, dtype=torch.float64)
    got = generalized_poisson_logpmf(torch.tensor(y), mu, alpha_t, p).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_generalized_poisson_sums_to_one():
    counts = torch.arange(0, 400, dtype=torch.float64)
    for alpha in (0.0, 0.2, -0.02):
        logp = generalized_poisson_logpmf(
            counts,
            torch.tensor(3.0, dtype=torch.float64),
            torch.tensor(alpha, dtype=torch.float64),
            1.0,
        )
        assert float(logp.exp().sum()) == pytest.approx(1.0, abs=1e-10)
