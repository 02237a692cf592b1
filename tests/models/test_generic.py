"""Custom maximum likelihood: closed-form estimates and information, restricted fits, the
three classical tests, warnings and errors, and statsmodels' GenericLikelihoodModel."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import torch
from scipy import stats
from statsmodels.base.model import GenericLikelihoodModel as SMGeneric

from tests.conftest import DEVICES
from torchstats.errors import (
    AutogradError,
    ConvergenceWarning,
    HessianWarning,
    InvalidOptionError,
    NumericalError,
    SpecificationWarning,
)
from torchstats.models.generic import MLE, GenericLikelihoodModel

D = torch.distributions


def _normal_data(seed: int = 0, n: int = 400) -> np.ndarray:
    return np.random.default_rng(seed).normal(1.3, 2.1, size=n)


def _normal_model(y: np.ndarray, device: str = "cpu") -> MLE:
    yt = torch.tensor(y, device=device)
    return MLE(
        lambda mu, sigma: D.Normal(mu, sigma).log_prob(yt),
        start_params={"mu": 0.0, "sigma": 1.0},
        positive=["sigma"],
        device=device,
    )


# --- closed forms ---------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_normal_mle_and_information(seed, device):
    y = _normal_data(seed)
    res = _normal_model(y, device).fit()
    n, mu, sigma = len(y), y.mean(), y.std()
    np.testing.assert_allclose(res.params, [mu, sigma], rtol=1e-10)
    np.testing.assert_allclose(res.bse, [sigma / math.sqrt(n), sigma / math.sqrt(2 * n)], rtol=1e-9)
    np.testing.assert_allclose(res.llf, stats.norm.logpdf(y, mu, sigma).sum(), rtol=1e-12)
    assert res.converged and res.nobs == n and res.df_resid == n - 2 and res.df_model == 2
    assert list(res.params.index) == ["mu", "sigma"]
    np.testing.assert_allclose(res.aic, -2 * res.llf + 4, rtol=1e-14)
    np.testing.assert_allclose(res.bic, -2 * res.llf + 2 * math.log(n), rtol=1e-14)
    np.testing.assert_allclose(
        res.pvalues, 2 * stats.norm.sf(np.abs(res.params / res.bse)), rtol=1e-10
    )


def _normal_scores(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sigma = y.mean(), y.std()
    scores = np.column_stack([(y - mu) / sigma**2, -1 / sigma + (y - mu) ** 2 / sigma**3])
    hessian = np.diag([-len(y) / sigma**2, -2 * len(y) / sigma**2])
    return scores, hessian


@pytest.mark.parametrize("seed", [3, 4])
def test_opg_against_hand_computed_scores(seed):
    y = _normal_data(seed)
    scores, _ = _normal_scores(y)
    res = _normal_model(y).fit(cov_type="opg")
    np.testing.assert_allclose(res.cov_params(), np.linalg.inv(scores.T @ scores), rtol=1e-9)
    assert res.cov_type == "opg" and not res.use_t


@pytest.mark.parametrize("seed", [3, 4])
def test_sandwich_against_hand_computed_scores(seed):
    y = _normal_data(seed)
    scores, hessian = _normal_scores(y)
    bread = np.linalg.inv(-hessian)
    res = _normal_model(y).fit(cov_type="sandwich")
    expected = bread @ scores.T @ scores @ bread
    np.testing.assert_allclose(res.cov_params(), expected, rtol=1e-9, atol=1e-14)
    assert res.cov_type == "sandwich"


def test_statsmodels_named_covariances_match_the_cov_types():
    y = _normal_data(5)
    res = _normal_model(y).fit()
    np.testing.assert_allclose(
        res.covjac, _normal_model(y).fit(cov_type="opg").cov_params(), rtol=1e-14
    )
    np.testing.assert_allclose(
        res.covjhj, _normal_model(y).fit(cov_type="sandwich").cov_params(), rtol=1e-14
    )
    np.testing.assert_allclose(res.bsejac, np.sqrt(np.diag(res.covjac)), rtol=1e-14)
    np.testing.assert_allclose(res.bsejhj, np.sqrt(np.diag(res.covjhj)), rtol=1e-14)
    scores, hessian = _normal_scores(y)
    np.testing.assert_allclose(res.score_obsv, scores, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.hessv, hessian, rtol=1e-9, atol=1e-8)


@pytest.mark.parametrize("seed", [0, 1])
def test_exponential_rate_with_opg_and_sandwich(seed):
    y = np.random.default_rng(seed).exponential(1 / 2.5, size=250)
    yt, n = torch.tensor(y), len(y)
    model = MLE(
        lambda rate: D.Exponential(rate).log_prob(yt), start_params={"rate": 1.0}, positive=["rate"]
    )
    rate = 1 / y.mean()
    score = 1 / rate - y  # d/d rate of log(rate) - rate * y
    res = model.fit()
    np.testing.assert_allclose(res.params["rate"], rate, rtol=1e-11)
    np.testing.assert_allclose(res.bse["rate"], rate / math.sqrt(n), rtol=1e-10)
    opg = model.fit(cov_type="opg").bse["rate"]
    np.testing.assert_allclose(opg, 1 / math.sqrt(np.sum(score**2)), rtol=1e-10)
    sandwich = model.fit(cov_type="sandwich").bse["rate"]
    np.testing.assert_allclose(sandwich, rate**2 / n * math.sqrt(np.sum(score**2)), rtol=1e-10)


def test_gamma_rate_with_known_shape():
    shape = 3.0
    y = np.random.default_rng(6).gamma(shape, 1 / 1.7, size=300)
    yt, n = torch.tensor(y), len(y)
    res = MLE(
        lambda rate: D.Gamma(shape, rate).log_prob(yt),
        start_params={"rate": 1.0},
        positive=["rate"],
    ).fit()
    rate = shape / y.mean()
    np.testing.assert_allclose(res.params["rate"], rate, rtol=1e-11)
    np.testing.assert_allclose(res.bse["rate"], rate / math.sqrt(n * shape), rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1])
def test_poisson_rate_with_known_information(seed):
    y = np.random.default_rng(seed).poisson(3.7, size=300).astype(float)
    yt = torch.tensor(y)
    res = MLE(
        lambda rate: D.Poisson(rate).log_prob(yt), start_params={"rate": 1.0}, positive=["rate"]
    ).fit()
    np.testing.assert_allclose(res.params["rate"], y.mean(), rtol=1e-10)
    np.testing.assert_allclose(res.bse["rate"], math.sqrt(y.mean() / len(y)), rtol=1e-9)


def test_vector_parameters_reproduce_least_squares():
    rng = np.random.default_rng(4)
    X = np.column_stack([np.ones(150), rng.normal(size=(150, 2))])
    y = X @ [0.5, 1.0, -2.0] + rng.normal(size=150)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    res = MLE(
        lambda beta, sigma: D.Normal(Xt @ beta, sigma).log_prob(yt),
        start_params={"beta": torch.zeros(3), "sigma": 1.0},
        positive=["sigma"],
    ).fit()
    ols = sm.OLS(y, X).fit()
    assert list(res.params.index) == ["beta[0]", "beta[1]", "beta[2]", "sigma"]
    np.testing.assert_allclose(res.params.iloc[:3], ols.params, rtol=1e-10)
    # the MLE of the variance is SSR / n where OLS uses SSR / (n - k)
    np.testing.assert_allclose(res.bse.iloc[:3], ols.bse * math.sqrt(147 / 150), rtol=1e-9)
    np.testing.assert_allclose(res.llf, ols.llf, rtol=1e-12)


def test_bounded_parameter():
    y = (np.random.default_rng(5).random(200) < 0.3).astype(float)
    yt = torch.tensor(y)
    res = MLE(
        lambda p: D.Bernoulli(probs=p).log_prob(yt), start_params={"p": 0.5}, bounds={"p": (0, 1)}
    ).fit()
    p = y.mean()
    np.testing.assert_allclose(res.params["p"], p, rtol=1e-10)
    np.testing.assert_allclose(res.bse["p"], math.sqrt(p * (1 - p) / len(y)), rtol=1e-9)


# statsmodels' defaults stop at about 1e-5; these options ask scipy for full precision
TIGHT_OPTIONS = {
    "nm": {"xtol": 1e-10, "ftol": 1e-14, "maxfun": 10000},
    "powell": {"xtol": 1e-10, "ftol": 1e-14},
    "bfgs": {"gtol": 1e-8},
    "lbfgs": {"pgtol": 1e-10, "factr": 10.0},
    "cg": {"gtol": 1e-8},
    "ncg": {"avextol": 1e-12},
    "basinhopping": {"niter": 3, "seed": 0, "minimizer": {"method": "BFGS", "tol": 1e-12}},
    "minimize": {"min_method": "trust-exact", "gtol": 1e-8},
}


@pytest.mark.parametrize("method", sorted(TIGHT_OPTIONS))
def test_other_optimisers_agree_with_newton(method):
    model = _normal_model(_normal_data(6))
    newton = model.fit()
    other = model.fit(method=method, maxiter=2000, **TIGHT_OPTIONS[method])
    np.testing.assert_allclose(other.params, newton.params, rtol=1e-7)
    np.testing.assert_allclose(other.bse, newton.bse, rtol=1e-6)
    assert other.converged and other.mle_settings["optimizer"] == method
    assert other.mle_retvals["converged"] and other.mle_retvals["iterations"] > 0


def test_sum_loglike_with_nobs():
    y = _normal_data(7)
    yt = torch.tensor(y)
    res = MLE(
        lambda mu, sigma: D.Normal(mu, sigma).log_prob(yt).sum(),
        start_params={"mu": 0.0, "sigma": 1.0},
        positive=["sigma"],
        nobs=len(y),
    ).fit()
    np.testing.assert_allclose(res.params, [y.mean(), y.std()], rtol=1e-10)
    assert res.nobs == len(y)


# --- restricted fits and the three tests ----------------------------------------------------


def _hand_computed_tests(y: np.ndarray, mu0: float) -> dict[str, float]:
    n = len(y)
    sigma2_r, sigma2 = np.mean((y - mu0) ** 2), np.var(y)
    s_r = math.sqrt(sigma2_r)
    score = np.array([n * (y.mean() - mu0) / sigma2_r, 0.0])
    cross = -2 * n * (y.mean() - mu0) / s_r**3
    hessian = np.array([[-n / sigma2_r, cross], [cross, -2 * n / sigma2_r]])
    return {
        "sigma_r": s_r,
        "lm": float(score @ np.linalg.solve(-hessian, score)),
        "lr": n * math.log(sigma2_r / sigma2),
        "wald": (y.mean() - mu0) ** 2 / (sigma2 / n),
    }


@pytest.mark.parametrize("mu0", [1.0, 1.5])
def test_restricted_fit(mu0):
    y = _normal_data(7)
    restricted = _normal_model(y).fit(fixed={"mu": mu0})
    expected = _hand_computed_tests(y, mu0)
    np.testing.assert_allclose(restricted.params, [mu0, expected["sigma_r"]], rtol=1e-10)
    assert np.isnan(restricted.bse["mu"]) and restricted.k_free == 1
    np.testing.assert_allclose(
        restricted.bse["sigma"], expected["sigma_r"] / math.sqrt(2 * len(y)), rtol=1e-9
    )
    assert restricted.fixed_params == ["mu"] and restricted.df_resid == len(y) - 1


@pytest.mark.parametrize("mu0", [1.0, 1.5])
def test_score_test_against_hand_computed(mu0):
    y = _normal_data(7)
    expected = _hand_computed_tests(y, mu0)["lm"]
    result = _normal_model(y).fit(fixed={"mu": mu0}).score_test()
    np.testing.assert_allclose(result.statistic, expected, rtol=1e-9)
    np.testing.assert_allclose(result.pvalue, stats.chi2.sf(expected, 1), rtol=1e-9)
    assert result.df == 1 and result.distribution == "chi2"


@pytest.mark.parametrize("mu0", [1.0, 1.5])
def test_lr_test_against_hand_computed(mu0):
    y = _normal_data(7)
    model = _normal_model(y)
    result = model.fit().lr_test(model.fit(fixed={"mu": mu0}))
    expected = _hand_computed_tests(y, mu0)["lr"]
    np.testing.assert_allclose(result.statistic, expected, rtol=1e-9)
    np.testing.assert_allclose(result.pvalue, stats.chi2.sf(expected, 1), rtol=1e-9)
    assert result.df == 1


@pytest.mark.parametrize("mu0", [1.0, 1.5])
def test_wald_test_against_hand_computed(mu0):
    y = _normal_data(7)
    full = _normal_model(y).fit()
    expected = _hand_computed_tests(y, mu0)["wald"]
    for hypothesis in (f"mu = {mu0}", ([[1.0, 0.0]], [mu0])):
        result = full.wald_test(hypothesis)
        np.testing.assert_allclose(result.statistic, expected, rtol=1e-9)
        np.testing.assert_allclose(result.pvalue, stats.chi2.sf(expected, 1), rtol=1e-9)
        assert result.df == 1
    assert re.match(r"<Wald test \(chi2\): statistic=[\d.]+, p-value=", str(result))
    assert result.df_denom == 1 and result.dist is stats.chi2  # statsmodels' ContrastResults


def test_joint_restriction_of_a_vector_parameter():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(200, 3))
    y = rng.poisson(np.exp(0.3 + X @ [0.5, 0.0, 0.0]))
    Xt, yt = torch.tensor(X), torch.tensor(y, dtype=torch.float64)
    model = MLE(
        lambda a, beta: D.Poisson(torch.exp(a + Xt @ beta)).log_prob(yt),
        start_params={"a": 0.0, "beta": torch.zeros(3)},
    )
    full = model.fit()
    restricted = model.fit(fixed={"beta": 0.0})
    assert restricted.k_free == 1 and restricted.fixed_params == ["beta[0]", "beta[1]", "beta[2]"]
    np.testing.assert_allclose(restricted.params["a"], math.log(y.mean()), rtol=1e-11)
    glm = sm.GLM(y, np.ones((200, 1)), family=sm.families.Poisson()).fit()
    lm = glm.score_test(exog_extra=X)  # expected = observed information (canonical link)
    np.testing.assert_allclose(restricted.score_test().statistic, lm.statistic[0], rtol=1e-9)
    np.testing.assert_allclose(restricted.score_test().pvalue, lm.pvalue[0], rtol=1e-9)
    assert restricted.score_test().df == 3
    full_sm = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson()).fit()
    lr = full.lr_test(restricted)
    np.testing.assert_allclose(lr.statistic, 2 * (full_sm.llf - glm.llf), rtol=1e-9)
    wald = full.wald_test("beta[0] = 0, beta[1] = 0, beta[2] = 0")
    expected = full_sm.wald_test(np.eye(4)[1:], scalar=True, use_f=False)
    np.testing.assert_allclose(wald.statistic, expected.statistic, rtol=1e-8)
    assert wald.df == 3


def test_summary_notes():
    y = _normal_data(8)
    text = str(_normal_model(y).fit(fixed={"mu": 1.0}).summary())
    assert "MLE Results" in text and "Parameters held fixed (not estimated): mu." in text
    robust = str(_normal_model(y).fit(cov_type="sandwich").summary())
    assert "Covariance type: sandwich." in robust


# --- warnings and errors -----------------------------------------------------------------------


def test_non_finite_loglike_at_start():
    yt = torch.tensor(_normal_data(9))
    model = MLE(
        lambda mu, sigma: D.Normal(mu, sigma, validate_args=False).log_prob(yt),
        start_params={"mu": 0.0, "sigma": 0.0},
    )
    with pytest.raises(NumericalError, match="not finite at the start values"):
        model.fit()


def test_non_finite_gradient_during_the_fit():
    yt = torch.tensor(_normal_data(9))
    model = MLE(  # sqrt(|mu|) has an infinite (NaN) derivative at the start, mu = 0
        lambda mu: -0.5 * (yt - mu) ** 2 - torch.sqrt(torch.abs(mu)) / len(yt),
        start_params={"mu": 0.0},
    )
    with pytest.raises(NumericalError, match="not finite during the fit"):
        model.fit()


def _defined_below_two(start: float) -> MLE:
    """A normal mean whose log-likelihood is NaN for mu >= 2, with the maximum (the sample
    mean, about 3) where it is not defined."""
    yt = torch.tensor(np.random.default_rng(14).normal(3.0, 1.0, 100))
    return MLE(lambda mu: -0.5 * (yt - mu) ** 2 + 0 * torch.log(2 - mu), start_params={"mu": start})


def test_newton_toward_a_nan_region_raises():
    # Newton's full steps land in the NaN region again and again: the iterates only crawl
    # towards its edge, and the fit stops with NumericalError instead of a ConvergenceWarning
    with pytest.raises(NumericalError, match="not finite along the Newton direction"):
        _defined_below_two(0.0).fit()


@pytest.mark.parametrize("method", ["bfgs", "lbfgs", "cg"])
def test_gradient_methods_toward_a_nan_region_raise(method):
    with pytest.raises(NumericalError, match=f"not finite at .* tried by '{method}'"):
        _defined_below_two(0.0).fit(method=method)


@pytest.mark.parametrize("method", ["nm", "powell"])
def test_derivative_free_methods_do_not_report_the_edge_of_a_nan_region_converged(method):
    # scipy's simplex stops at mu = 2 "successfully"; the exact gradient there says otherwise
    with pytest.warns(ConvergenceWarning, match="log-likelihood is undefined.*not a maximum"):
        res = _defined_below_two(0.0).fit(method=method)
    assert not res.converged and not res.mle_retvals["converged"]
    np.testing.assert_allclose(res.params["mu"], 2.0, atol=1e-3)


@pytest.mark.parametrize("method", ["nm", "powell", "newton", "bfgs"])
def test_nan_region_away_from_the_maximum_is_only_avoided(method):
    # NaN for mu <= 2.5, maximum near 3: the searches from mu = 10 step into the NaN region
    # (Nelder-Mead and Powell do) and back, and converge to the maximum
    yt = torch.tensor(np.random.default_rng(14).normal(3.0, 1.0, 100))
    evaluated: list[float] = []

    def loglike(mu):
        evaluated.append(float(mu))
        return -0.5 * (yt - mu) ** 2 + 0 * torch.log(mu - 2.5)

    model = MLE(loglike, start_params={"mu": 10.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = model.fit(method=method)
    assert res.converged
    np.testing.assert_allclose(res.params["mu"], float(yt.mean()), rtol=1e-4)
    if method in ("nm", "powell"):
        assert min(evaluated) <= 2.5


def test_non_positive_definite_hessian_warns_and_gives_nan_where_unidentified():
    y, z = _normal_data(10), _normal_data(11)
    yt, zt = torch.tensor(y), torch.tensor(z)
    model = MLE(  # only a + b is identified; c is
        lambda a, b, c: D.Normal(a + b, 1.0).log_prob(yt) + D.Normal(c, 1.0).log_prob(zt),
        start_params={"a": 0.0, "b": 0.0, "c": 0.0},
    )
    with pytest.warns(
        HessianWarning, match=r"not negative definite.*standard errors of a, b are NaN"
    ):
        res = model.fit()
    assert np.isnan(res.bse["a"]) and np.isnan(res.bse["b"])
    np.testing.assert_allclose(res.bse["c"], 1 / math.sqrt(len(z)), rtol=1e-10)
    np.testing.assert_allclose(res.params["a"] + res.params["b"], y.mean(), rtol=1e-10)


def test_non_convergence_warns():
    with pytest.warns(ConvergenceWarning, match="did not converge after 1 iterations"):
        res = _normal_model(_normal_data(11)).fit(maxiter=1)
    assert not res.converged and not res.mle_retvals["converged"]
    assert "did not converge" in str(res.summary())


def test_bad_options():
    model = _normal_model(_normal_data(12))
    with pytest.raises(InvalidOptionError, match=r"cannot fix unknown parameter\(s\) \['nu'\]"):
        model.fit(fixed={"nu": 1.0})
    with pytest.raises(InvalidOptionError, match="unknown method 'simplex'; choose one of"):
        model.fit(method="simplex")
    with pytest.raises(InvalidOptionError, match="unknown option.*'gtol'.*method='nm'"):
        model.fit(method="nm", gtol=1e-8)
    with pytest.raises(InvalidOptionError, match="unknown cov_type 'HC9'; choose"):
        model.fit(cov_type="HC9")
    with pytest.raises(InvalidOptionError, match="start values of sigma are not strictly inside"):
        model.fit(start_params={"sigma": -1.0})
    with pytest.raises(InvalidOptionError, match=r"unknown parameter\(s\) \['tau'\]"):
        model.fit(start_params={"tau": 1.0})
    with pytest.raises(InvalidOptionError, match="pass nobs="):
        MLE(lambda mu: -(mu**2), start_params={"mu": 0.0})
    with pytest.raises(InvalidOptionError, match="non-empty mapping"):
        MLE(lambda mu: -(mu**2), start_params=[0.0])
    with pytest.raises(InvalidOptionError, match=r"unknown parameter\(s\) \['s'\]"):
        MLE(lambda mu: -(mu**2), start_params={"mu": 0.0}, positive=["s"], nobs=3)
    with pytest.raises(ValueError, match="per-observation values"):
        MLE(lambda mu: -(mu**2), start_params={"mu": 0.0}, nobs=10).fit(cov_type="opg")
    with pytest.raises(InvalidOptionError, match="fit with fixed"):
        model.fit().score_test()
    with pytest.raises(InvalidOptionError, match="fewer free parameters"):
        model.fit(fixed={"mu": 1.0}).lr_test(model.fit())


# --- GenericLikelihoodModel ---------------------------------------------------------------------


class TorchProbit(GenericLikelihoodModel):
    def loglikeobs(self, params):
        q = 2 * self.endog - 1
        return torch.special.log_ndtr(q * (self.exog @ params))


class StatsmodelsProbit(SMGeneric):
    """statsmodels' form: numerical score and Hessian."""

    def loglikeobs(self, params):
        q = 2 * self.endog - 1
        return stats.norm.logcdf(q * (self.exog @ params))


class AnalyticStatsmodelsProbit(StatsmodelsProbit):
    """The same model with statsmodels' analytic Probit derivatives."""

    def score(self, params):
        return sm.Probit(self.endog, self.exog).score(params)

    def hessian(self, params):
        return sm.Probit(self.endog, self.exog).hessian(params)


def _probit_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = sm.add_constant(rng.normal(size=(300, 2)))
    y = (X @ [0.2, 0.8, -0.5] + rng.normal(size=300) > 0).astype(float)
    return y, X


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("seed", [0, 1])
def test_generic_model_matches_analytic_probit(seed, device):
    y, X = _probit_data(seed)
    ours = TorchProbit(y, X, device=device).fit()
    analytic = sm.Probit(y, X).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(ours.params, analytic.params, rtol=1e-10)
    np.testing.assert_allclose(ours.bse, analytic.bse, rtol=1e-10)
    np.testing.assert_allclose(ours.llf, analytic.llf, rtol=1e-13)
    np.testing.assert_allclose(ours.aic, analytic.aic, rtol=1e-13)
    np.testing.assert_allclose(ours.bic, analytic.bic, rtol=1e-13)
    assert (ours.df_model, ours.df_resid) == (analytic.df_model, analytic.df_resid)
    assert isinstance(ours.params, np.ndarray)


def test_generic_model_against_statsmodels_numerical_derivatives(seed=2):
    y, X = _probit_data(seed)
    ours = TorchProbit(y, X).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = StatsmodelsProbit(y, X).fit(disp=0, method="bfgs", maxiter=2000, gtol=1e-10)
    # statsmodels differentiates numerically: a few digits only
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-5)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-4)
    np.testing.assert_allclose(ours.llf, theirs.llf, rtol=1e-9)
    np.testing.assert_allclose(ours.covjac, theirs.covjac, rtol=1e-4)
    np.testing.assert_allclose(ours.covjhj, theirs.covjhj, rtol=1e-4)


def test_nelder_mead_options_of_statsmodels_default_are_dropped_with_a_warning():
    # code written for statsmodels (whose default method here is Nelder-Mead) passes
    # maxfun; torchstats' default Newton refused it (InvalidOptionError)
    y, X = _probit_data(4)
    with pytest.warns(SpecificationWarning, match="'maxfun' of Nelder-Mead"):
        dropped = TorchProbit(y, X).fit(disp=0, maxiter=100, maxfun=5000)
    plain = TorchProbit(y, X).fit(disp=0, maxiter=100)
    np.testing.assert_array_equal(dropped.params, plain.params)
    nelder_mead = TorchProbit(y, X).fit(disp=0, method="nm", maxiter=5000, maxfun=5000)
    assert nelder_mead.mle_settings["optimizer"] == "nm"
    with pytest.raises(InvalidOptionError, match="maxfun"):  # asked for Newton: refused
        TorchProbit(y, X).fit(disp=0, method="newton", maxfun=5000)


def test_generic_model_summary_text_equals_statsmodels():
    y, X = _probit_data(3)
    ours_class = type("ProbitML", (TorchProbit,), {})  # the same model name in both titles
    theirs_class = type("ProbitML", (AnalyticStatsmodelsProbit,), {})
    ours = str(ours_class(y, X).fit().summary())
    theirs = str(theirs_class(y, X).fit(method="newton", disp=0).summary())
    # the date and the clock time (which may tick between the two summaries)
    mask = re.compile(r"^(Date|Time):.*?(?=[A-Za-z]\S*:|$)|\d\d:\d\d:\d\d", re.M)
    assert [mask.sub("", line) for line in ours.splitlines()] == [
        mask.sub("", line) for line in theirs.splitlines()
    ]
    assert "ProbitML Results" in ours and "z      P>|z|" in ours


class NormalRegression(GenericLikelihoodModel):
    """A hand-written normal regression with an extra parameter, in the nloglikeobs form."""

    def nloglikeobs(self, params):
        beta, log_sigma = params[:-1], params[-1]
        resid = self.endog - self.exog @ beta
        return 0.5 * math.log(2 * math.pi) + log_sigma + 0.5 * (resid / torch.exp(log_sigma)) ** 2


def _regression_data(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=120), "x2": rng.normal(size=120)})
    df["y"] = 1.0 + 0.5 * df["x1"] - 0.7 * df["x2"] + rng.normal(scale=0.8, size=120)
    return df


@pytest.mark.parametrize("seed", [0, 1])
def test_generic_normal_regression_matches_ols(seed):
    df = _regression_data(seed)
    X = sm.add_constant(df[["x1", "x2"]])
    res = NormalRegression(df["y"], X, extra_params_names=["log_sigma"]).fit()
    ols = sm.OLS(df["y"], X).fit()
    assert list(res.params.index) == ["const", "x1", "x2", "log_sigma"]
    np.testing.assert_allclose(res.params.iloc[:3], ols.params, rtol=1e-10)
    np.testing.assert_allclose(res.params["log_sigma"], 0.5 * math.log(ols.ssr / 120), rtol=1e-10)
    np.testing.assert_allclose(res.bse.iloc[:3], ols.bse * math.sqrt(117 / 120), rtol=1e-9)
    np.testing.assert_allclose(res.bse["log_sigma"], 1 / math.sqrt(2 * 120), rtol=1e-9)
    # statsmodels' degrees of freedom: rank(exog) - 1 and n - rank - k_extra
    assert (res.df_model, res.df_resid) == (2.0, 116.0)
    np.testing.assert_allclose(res.aic, -2 * res.llf + 2 * 4, rtol=1e-14)


def test_generic_from_formula_and_fixed():
    df = _regression_data(2)
    model = NormalRegression.from_formula("y ~ x1 + x2", df, extra_params_names=["log_sigma"])
    assert model.exog_names == ["Intercept", "x1", "x2", "log_sigma"]
    full = model.fit()
    restricted = model.fit(fixed={"x2": 0.0})
    ols_r = sm.OLS(df["y"], sm.add_constant(df[["x1"]])).fit()
    np.testing.assert_allclose(restricted.params.iloc[:2], ols_r.params, rtol=1e-10)
    assert np.isnan(restricted.bse["x2"])
    np.testing.assert_allclose(
        full.lr_test(restricted).statistic,
        120 * math.log(ols_r.ssr / sm.OLS(df["y"], sm.add_constant(df[["x1", "x2"]])).fit().ssr),
        rtol=1e-9,
    )


class SumOnly(GenericLikelihoodModel):
    def loglike(self, params):
        return D.Normal(params[0], torch.exp(params[1])).log_prob(self.endog).sum()


def test_generic_model_with_only_loglike_and_par_names():
    y = _normal_data(13)
    res = SumOnly(y).fit(start_params=[0.0, 0.0])
    assert res.model.exog_names == ["par0", "par1"]
    np.testing.assert_allclose(res.params, [y.mean(), math.log(y.std())], rtol=1e-10)
    np.testing.assert_allclose(res.bse[0], y.std() / math.sqrt(len(y)), rtol=1e-9)
    with pytest.raises(ValueError, match="per-observation values"):
        SumOnly(y).fit(start_params=[0.0, 0.0], cov_type="opg")


def test_generic_model_nelder_mead_like_statsmodels_default():
    # statsmodels' default optimizer, with its defaults (xtol = ftol = 1e-4): the same
    # objective from the same start takes the same simplex steps
    y, X = _probit_data(4)
    ours = TorchProbit(y, X).fit(method="nm", maxiter=5000)
    theirs = StatsmodelsProbit(y, X).fit(method="nm", maxiter=5000, disp=0)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-12)
    for key in ("iterations", "fcalls", "warnflag", "converged"):
        assert ours.mle_retvals[key] == theirs.mle_retvals[key]
    np.testing.assert_allclose(ours.mle_retvals["fopt"], theirs.mle_retvals["fopt"], rtol=1e-14)
    # ... and stops about 1e-4 from the maximum
    analytic = sm.Probit(y, X).fit(disp=0)
    np.testing.assert_allclose(ours.params, analytic.params, rtol=1e-3)


@pytest.mark.parametrize("method", ["bfgs", "lbfgs", "cg", "ncg", "powell", "minimize"])
def test_generic_model_scipy_methods_take_statsmodels_path(method):
    # the same objective -loglike/nobs, start (0.1) and scipy call: the same steps, with
    # exact autograd derivatives where statsmodels uses its analytic ones
    y, X = _probit_data(4)
    ours = TorchProbit(y, X).fit(method=method, maxiter=500)
    theirs = AnalyticStatsmodelsProbit(y, X).fit(method=method, maxiter=500, disp=0)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-9)
    assert set(theirs.mle_retvals) <= set(ours.mle_retvals)
    assert ours.mle_retvals["fcalls"] == theirs.mle_retvals["fcalls"]
    assert ours.mle_retvals["converged"] == theirs.mle_retvals["converged"] is True
    assert ours.mle_settings["optimizer"] == method


def test_generic_model_disp_prints_scipy_report(capsys):
    y, X = _probit_data(4)
    AnalyticStatsmodelsProbit(y, X).fit(method="bfgs", disp=1)
    theirs = capsys.readouterr().out
    TorchProbit(y, X).fit(method="bfgs", disp=True)
    assert capsys.readouterr().out == theirs
    with pytest.warns(FutureWarning, match="full_output=False has no effect"):
        TorchProbit(y, X).fit(full_output=False)


def test_generic_model_bad_input():
    with pytest.raises(NotImplementedError, match="must define loglikeobs"):
        GenericLikelihoodModel(np.ones(3), np.ones((3, 1))).fit()
    y, X = _probit_data(5)
    with pytest.raises(InvalidOptionError, match="start_params has 2 values; the model has 3"):
        TorchProbit(y, X).fit(start_params=[0.0, 0.0])
    with pytest.raises(InvalidOptionError, match=r"cannot fix unknown parameter\(s\) \['x9'\]"):
        TorchProbit(y, X).fit(fixed={"x9": 0.0})
    with pytest.raises(InvalidOptionError, match="pass start_params"):
        SumOnly(np.ones(4)).fit()


class ScipyProbit(GenericLikelihoodModel):
    """statsmodels' code ported as is: numpy and scipy, which autograd cannot see."""

    def loglikeobs(self, params):
        q = 2 * self.endog.numpy() - 1
        return stats.norm.logcdf(q * (self.exog.numpy() @ np.asarray(params)))


class RebuiltProbit(GenericLikelihoodModel):
    """scipy on values taken out of torch, wrapped back in a tensor."""

    def loglikeobs(self, params):
        q = 2 * self.endog - 1
        return torch.tensor(stats.norm.logcdf((q * (self.exog @ params)).detach().numpy()))


class DetachedProbit(GenericLikelihoodModel):
    """Torch only, but detached: autograd would take the gradient as zero."""

    def loglikeobs(self, params):
        q = 2 * self.endog - 1
        return torch.special.log_ndtr(q * (self.exog @ params).detach())


class FloatLoglike(GenericLikelihoodModel):
    def loglike(self, params):
        return float(torch.special.log_ndtr((2 * self.endog - 1) * (self.exog @ params)).sum())


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (ScipyProbit, "ScipyProbit: the log-likelihood (left torch|returned a ndarray)"),
        (RebuiltProbit, "RebuiltProbit: the log-likelihood left torch"),
        (DetachedProbit, "DetachedProbit: the log-likelihood does not depend on the parameters"),
        (FloatLoglike, "FloatLoglike: the log-likelihood (left torch|returned a float)"),
    ],
)
@pytest.mark.parametrize("method", ["newton", "lbfgs", "nm"])
def test_a_loglike_outside_torch_is_refused_with_the_fix(model, match, method):
    y, X = _probit_data(5)
    with pytest.raises(AutogradError, match=match + ".*torch.distributions"):
        model(y, X).fit(method=method)


def test_mle_with_a_numpy_loglike_is_refused():
    y = _normal_data()
    with pytest.raises(AutogradError, match="MLE: the log-likelihood returned a ndarray"):
        MLE(lambda mu: stats.norm.logpdf(y, np.asarray(mu), 1.0), start_params={"mu": 0.0})
    with pytest.raises(AutogradError, match="MLE: the log-likelihood left torch"):
        MLE(
            lambda mu: torch.tensor(stats.norm.logpdf(y, mu.detach().numpy(), 1.0)),
            start_params={"mu": 0.0},
            nobs=len(y),
        ).fit()


class _MeanLogit(GenericLikelihoodModel):
    """A logit whose per-observation values were averaged by mistake."""

    def loglikeobs(self, params):
        return torch.nn.functional.logsigmoid((2 * self.endog - 1) * (self.exog @ params)).mean()


class _BroadcastLogit(GenericLikelihoodModel):
    """An (n, 1) column against an (n,) vector: (n, n) values."""

    def loglikeobs(self, params):
        index = (self.exog @ params)[:, None]
        return torch.nn.functional.logsigmoid((2 * self.endog - 1) * index)


@pytest.mark.parametrize("model", [_MeanLogit, _BroadcastLogit])
def test_loglikeobs_of_the_wrong_shape_is_refused(model) -> None:
    """A mean gave standard errors sqrt(n) too large; the (n, n) slip garbage, converged."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=(60, 2)), np.ones(60)])
    y = (rng.random(60) < 0.5) * 1.0
    with pytest.raises(
        InvalidOptionError, match=r"one log-likelihood per observation, shape \(60,\)"
    ):
        model(y, X).fit(start_params=np.zeros(3), disp=0)


class _PoissonWithDerivatives(GenericLikelihoodModel):
    """A Poisson likelihood with hand-written derivatives (``wrong`` scales them)."""

    wrong = 1.0

    def loglikeobs(self, params):
        eta = self.exog @ params
        return self.endog * eta - torch.exp(eta) - torch.lgamma(self.endog + 1)

    def score(self, params):
        params = torch.as_tensor(params, dtype=torch.float64)
        return self.wrong * (self.exog.T @ (self.endog - torch.exp(self.exog @ params)))

    def hessian(self, params):
        params = torch.as_tensor(params, dtype=torch.float64)
        mu = torch.exp(self.exog @ params)
        return -self.wrong * (self.exog.T * mu) @ self.exog


def test_derivative_overrides_are_checked_against_autograd() -> None:
    """statsmodels fits with a subclass's score and hessian; torchstats uses autograd, so a
    wrong override would silently differ from what the subclass's author expects: warn."""
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(200), rng.normal(size=200)])
    y = rng.poisson(np.exp(0.2 + 0.5 * X[:, 1])).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpecificationWarning)
        right = _PoissonWithDerivatives(y, X).fit(disp=0)

    class Wrong(_PoissonWithDerivatives):
        wrong = 2.0

    with pytest.warns(SpecificationWarning, match="Wrong.score disagrees"):
        wrong = Wrong(y, X).fit(disp=0)
    np.testing.assert_allclose(wrong.bse, right.bse, rtol=1e-12)  # autograd's either way
