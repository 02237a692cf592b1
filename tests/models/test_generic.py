"""Custom maximum likelihood: known closed forms, restricted fits and the three classical tests."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
import torch
from scipy import stats
from statsmodels.base.model import GenericLikelihoodModel as SMGeneric

import torchstats as ts
from tests.conftest import DEVICES
from torchstats.errors import ConvergenceWarning, HessianWarning, InvalidOptionError, NumericalError

D = torch.distributions


def _normal_data(seed: int = 0, n: int = 400) -> np.ndarray:
    return np.random.default_rng(seed).normal(1.3, 2.1, size=n)


def _normal_model(y: np.ndarray, device: str = "cpu") -> ts.MLE:
    yt = torch.tensor(y, device=device)
    return ts.MLE(
        lambda mu, sigma: D.Normal(mu, sigma).log_prob(yt),
        start_params={"mu": 0.0, "sigma": 1.0},
        positive=["sigma"],
        device=device,
    )


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_normal_mle_and_information(seed, device):
    y = _normal_data(seed)
    res = _normal_model(y, device).fit()
    n, mu, sigma = len(y), y.mean(), y.std()
    np.testing.assert_allclose(res.params, [mu, sigma], rtol=1e-10)
    np.testing.assert_allclose(res.bse, [sigma / math.sqrt(n), sigma / math.sqrt(2 * n)], rtol=1e-9)
    np.testing.assert_allclose(res.llf, stats.norm.logpdf(y, mu, sigma).sum(), rtol=1e-12)
    assert res.converged and res.nobs == n and res.df_resid == n - 2
    np.testing.assert_allclose(res.aic, -2 * res.llf + 4, rtol=1e-14)
    np.testing.assert_allclose(res.bic, -2 * res.llf + 2 * math.log(n), rtol=1e-14)


def test_opg_and_sandwich_against_hand_computed_scores():
    y = _normal_data(3)
    model = _normal_model(y)
    mu, sigma = y.mean(), y.std()
    scores = np.column_stack([(y - mu) / sigma**2, -1 / sigma + (y - mu) ** 2 / sigma**3])
    meat = scores.T @ scores
    hessian = np.diag([-len(y) / sigma**2, -2 * len(y) / sigma**2])
    bread = np.linalg.inv(-hessian)
    np.testing.assert_allclose(
        model.fit(cov_type="opg").cov_params(), np.linalg.inv(meat), rtol=1e-8
    )
    np.testing.assert_allclose(
        model.fit(cov_type="sandwich").cov_params(), bread @ meat @ bread, rtol=1e-8, atol=1e-14
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_poisson_rate_with_known_information(seed):
    y = np.random.default_rng(seed).poisson(3.7, size=300).astype(float)
    yt = torch.tensor(y)
    res = ts.MLE(
        lambda rate: D.Poisson(rate).log_prob(yt), start_params={"rate": 1.0}, positive=["rate"]
    ).fit()
    np.testing.assert_allclose(res.params["rate"], y.mean(), rtol=1e-10)
    np.testing.assert_allclose(res.bse["rate"], math.sqrt(y.mean() / len(y)), rtol=1e-9)


def test_vector_parameters_reproduce_least_squares():
    rng = np.random.default_rng(4)
    X = np.column_stack([np.ones(150), rng.normal(size=(150, 2))])
    y = X @ [0.5, 1.0, -2.0] + rng.normal(size=150)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    res = ts.MLE(
        lambda beta, sigma: D.Normal(Xt @ beta, sigma).log_prob(yt),
        start_params={"beta": torch.zeros(3), "sigma": 1.0},
        positive=["sigma"],
    ).fit()
    ols = sm.OLS(y, X).fit()
    assert list(res.params.index) == ["beta[0]", "beta[1]", "beta[2]", "sigma"]
    np.testing.assert_allclose(res.params.iloc[:3], ols.params, rtol=1e-9)
    # MLE standard errors use SSR / n where OLS uses SSR / (n - k)
    np.testing.assert_allclose(res.bse.iloc[:3], ols.bse * math.sqrt(147 / 150), rtol=1e-8)


def test_bounded_parameter():
    y = (np.random.default_rng(5).random(200) < 0.3).astype(float)
    yt = torch.tensor(y)
    res = ts.MLE(
        lambda p: D.Bernoulli(probs=p).log_prob(yt), start_params={"p": 0.5}, bounds={"p": (0, 1)}
    ).fit()
    p = y.mean()
    np.testing.assert_allclose(res.params["p"], p, rtol=1e-10)
    np.testing.assert_allclose(res.bse["p"], math.sqrt(p * (1 - p) / len(y)), rtol=1e-9)


def test_lbfgs_agrees_with_newton():
    model = _normal_model(_normal_data(6))
    np.testing.assert_allclose(model.fit(method="lbfgs").params, model.fit().params, rtol=1e-7)


# --- restricted fits and the three tests ----------------------------------------------------


@pytest.mark.parametrize("mu0", [1.0, 1.5])
def test_score_lr_and_wald_tests_against_hand_computed_values(mu0):
    y = _normal_data(7)
    n = len(y)
    model = _normal_model(y)
    full = model.fit()
    restricted = model.fit(fixed={"mu": mu0})
    sigma2_r = np.mean((y - mu0) ** 2)
    sigma2 = np.var(y)
    np.testing.assert_allclose(restricted.params, [mu0, math.sqrt(sigma2_r)], rtol=1e-10)
    assert np.isnan(restricted.bse["mu"]) and restricted.k_free == 1

    s_r = math.sqrt(sigma2_r)
    score = np.array([n * (y.mean() - mu0) / sigma2_r, 0.0])
    hessian = np.array(
        [
            [-n / sigma2_r, -2 * n * (y.mean() - mu0) / s_r**3],
            [-2 * n * (y.mean() - mu0) / s_r**3, -2 * n / sigma2_r],
        ]
    )
    lm = score @ np.linalg.solve(-hessian, score)
    score_test = restricted.score_test()
    np.testing.assert_allclose(score_test.statistic, lm, rtol=1e-8)
    np.testing.assert_allclose(score_test.pvalue, stats.chi2.sf(lm, 1), rtol=1e-8)
    assert score_test.df == 1

    lr = full.lr_test(restricted)
    np.testing.assert_allclose(lr.statistic, n * math.log(sigma2_r / sigma2), rtol=1e-9)
    assert lr.df == 1

    wald = full.wald_test(f"mu = {mu0}")
    np.testing.assert_allclose(wald.statistic, (y.mean() - mu0) ** 2 / (sigma2 / n), rtol=1e-9)
    np.testing.assert_allclose(wald.pvalue, stats.chi2.sf(wald.statistic, 1), rtol=1e-9)


def test_summary_of_a_restricted_fit():
    text = str(_normal_model(_normal_data(8)).fit(fixed={"mu": 1.0}).summary())
    assert "MLE Results" in text and "Parameters held fixed (not estimated): mu." in text


# --- warnings and errors -----------------------------------------------------------------------


def test_non_finite_loglike_at_start():
    yt = torch.tensor(_normal_data(9))

    def loglike(rate):  # an exponential likelihood: -inf for the negative observations
        return torch.where(yt >= 0, torch.log(rate) - rate * yt, -torch.inf)

    model = ts.MLE(loglike, start_params={"rate": 1.0}, positive=["rate"])
    with pytest.raises(NumericalError, match="not finite at the start values"):
        model.fit()


def test_non_positive_definite_hessian_warns():
    yt = torch.tensor(_normal_data(10))
    model = ts.MLE(  # only a + b is identified
        lambda a, b: D.Normal(a + b, 1.0).log_prob(yt), start_params={"a": 0.0, "b": 0.0}
    )
    with pytest.warns(HessianWarning, match="not negative definite"):
        res = model.fit()
    assert np.isnan(res.bse).all()


def test_non_convergence_warns():
    with pytest.warns(ConvergenceWarning, match="did not converge after 1 iterations"):
        res = _normal_model(_normal_data(11)).fit(maxiter=1)
    assert not res.converged and not res.mle_retvals["converged"]


def test_bad_options():
    model = _normal_model(_normal_data(12))
    with pytest.raises(InvalidOptionError, match="cannot fix unknown parameter"):
        model.fit(fixed={"nu": 1.0})
    with pytest.raises(InvalidOptionError, match="unknown method 'nm'"):
        model.fit(method="nm")
    with pytest.raises(ValueError, match="not strictly inside their bounds"):
        model.fit(start_params={"sigma": -1.0})
    with pytest.raises(InvalidOptionError, match="pass nobs="):
        ts.MLE(lambda mu: -(mu**2), start_params={"mu": 0.0})
    with pytest.raises(ValueError, match="per-observation log-likelihoods"):
        ts.MLE(lambda mu: -(mu**2), start_params={"mu": 0.0}, nobs=10).fit(cov_type="opg")


# --- GenericLikelihoodModel ---------------------------------------------------------------------


class TorchProbit(ts.GenericLikelihoodModel):
    def loglikeobs(self, params):
        q = 2 * self.endog - 1
        return torch.special.log_ndtr(q * (self.exog @ params))


class StatsmodelsProbit(SMGeneric):
    def loglikeobs(self, params):
        q = 2 * self.endog - 1
        return stats.norm.logcdf(q * (self.exog @ params))


def _probit_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = sm.add_constant(rng.normal(size=(300, 2)))
    y = (X @ [0.2, 0.8, -0.5] + rng.normal(size=300) > 0).astype(float)
    return y, X


@pytest.mark.parametrize("seed", [0, 1])
def test_generic_model_matches_analytic_probit(seed):
    y, X = _probit_data(seed)
    ours = TorchProbit(y, X).fit()
    analytic = sm.Probit(y, X).fit(disp=0)
    np.testing.assert_allclose(ours.params, analytic.params, rtol=1e-9)
    np.testing.assert_allclose(ours.bse, analytic.bse, rtol=1e-9)
    np.testing.assert_allclose(ours.llf, analytic.llf, rtol=1e-12)
    assert TorchProbit(y, X).exog_names == ["const", "x1", "x2"]


def test_generic_model_against_statsmodels_numerical_derivatives(seed=2):
    y, X = _probit_data(seed)
    ours = TorchProbit(y, X).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = StatsmodelsProbit(y, X).fit(disp=0, method="bfgs", maxiter=2000, gtol=1e-10)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-5)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-4)
    np.testing.assert_allclose(ours.llf, theirs.llf, rtol=1e-9)


def test_generic_model_summary_layout():
    y, X = _probit_data(3)
    text = str(TorchProbit(y, X).fit().summary())
    assert "TorchProbit Results" in text and "Maximum Likelihood" in text


def test_generic_model_requires_a_likelihood():
    with pytest.raises(NotImplementedError, match="define loglikeobs"):
        ts.GenericLikelihoodModel(np.ones(3), np.ones((3, 1))).fit()
