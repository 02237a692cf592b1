"""Latent-error distributions in torch against scipy: values, tails and derivatives."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from scipy import stats

from torchstats.errors import InvalidOptionError
from torchstats.families.latent import latent_distribution

GRID = torch.linspace(-35.0, 35.0, 1401, dtype=torch.float64)

SCIPY_CASES = [
    pytest.param("logit", stats.logistic, id="logit"),
    pytest.param("probit", stats.norm, id="probit"),
    pytest.param(stats.t(5), stats.t(5), id="t5"),
    pytest.param(stats.t(df=0.7), stats.t(df=0.7), id="t0.7"),
    pytest.param(stats.t(30, loc=0.5, scale=2.0), stats.t(30, loc=0.5, scale=2.0), id="t30-loc"),
    pytest.param(stats.cauchy, stats.cauchy, id="cauchy"),
    pytest.param(stats.gumbel_l, stats.gumbel_l, id="gumbel_l"),
    pytest.param(stats.gumbel_r(scale=1.5), stats.gumbel_r(scale=1.5), id="gumbel_r"),
    pytest.param(stats.norm(loc=-1), stats.norm(loc=-1), id="norm-loc"),
]


def _relative_error(found: torch.Tensor, expected: np.ndarray) -> float:
    keep = np.isfinite(expected) & (np.abs(expected) > 1e-300)
    return float(np.max(np.abs(found.numpy()[keep] - expected[keep]) / np.abs(expected[keep])))


@pytest.mark.parametrize(("distr", "reference"), SCIPY_CASES)
@pytest.mark.parametrize("function", ["cdf", "sf", "pdf"])
def test_values_match_scipy_into_the_tails(distr, reference, function):
    found = getattr(latent_distribution(distr), function)(GRID)
    expected = getattr(reference, function)(GRID.numpy())
    # erfc's far lower tail (x < -30) and the t's incomplete beta are accurate to ~1e-13
    assert _relative_error(found, expected) < 1e-12


@pytest.mark.parametrize(("distr", "reference"), SCIPY_CASES)
def test_derivative_of_cdf_is_pdf_and_of_pdf_is_autograd(distr, reference):
    latent = latent_distribution(distr)
    x = GRID[::7].clone().requires_grad_(True)
    (first,) = torch.autograd.grad(latent.cdf(x).sum(), x, create_graph=True)
    torch.testing.assert_close(first, latent.pdf(x), rtol=1e-13, atol=1e-300)
    (second,) = torch.autograd.grad(first.sum(), x)
    (pdf_slope,) = torch.autograd.grad(latent.pdf(x).sum(), x)
    torch.testing.assert_close(second, pdf_slope, rtol=1e-13, atol=1e-300)
    step = 1e-5
    numeric = (latent.pdf(x + step) - latent.pdf(x - step)).detach() / (2 * step)
    torch.testing.assert_close(second, numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize(("distr", "reference"), SCIPY_CASES[:4])
def test_torch_func_transforms_work(distr, reference):
    """The Hessian by torch.func (forward over reverse) and jacfwd of scores."""
    latent = latent_distribution(distr)
    X = torch.linspace(-2, 2, 30, dtype=torch.float64).reshape(15, 2)

    def loglike(beta: torch.Tensor) -> torch.Tensor:
        return torch.log(latent.cdf(X @ beta + 0.5) - latent.cdf(X @ beta - 0.5)).sum()

    beta = torch.tensor([0.3, -0.2], dtype=torch.float64)
    hessian = torch.func.hessian(loglike)(beta)
    x = beta.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loglike(x), x, create_graph=True)
    loop = torch.stack([torch.autograd.grad(g, x, retain_graph=True)[0] for g in grad])
    torch.testing.assert_close(hessian, loop, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("df", [0.05, 1.0, 2.5, 7.0, 100.0, 1e4])
def test_student_t_cdf_against_exact_values(df):
    latent = latent_distribution(stats.t(df))
    x = torch.tensor([-300.0, -20.0, -3.0, -1.6, -0.3, -1e-6, 0.0, 1e-6, 2.0, 50.0])
    mpmath.mp.dps = 40

    def exact(v: float) -> float:
        tail = mpmath.betainc(df / 2, 0.5, 0, df / (df + mpmath.mpf(v) ** 2), regularized=True)
        return float(tail / 2 if v <= 0 else 1 - tail / 2)

    expected = np.array([exact(float(v)) for v in x])
    tolerance = 1e-13 if df <= 100 else 1e-11
    assert _relative_error(latent.cdf(x.double()), expected) < tolerance


def test_torch_pair_gives_values_from_cdf_and_derivatives_from_pdf():
    def cdf(x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x).detach()  # not differentiable itself

    def pdf(x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x) * torch.sigmoid(-x)

    latent = latent_distribution((cdf, pdf))
    x = GRID[::20].clone().requires_grad_(True)
    value = latent.cdf(x)
    (grad,) = torch.autograd.grad(value.sum(), x)
    torch.testing.assert_close(value.detach(), torch.sigmoid(x).detach())
    torch.testing.assert_close(grad, pdf(x).detach())
    q = np.array([0.0, 0.1, 0.5, 0.97, 1.0])
    np.testing.assert_allclose(latent.ppf(q), stats.logistic.ppf(q), rtol=1e-12, atol=1e-14)
    assert latent.scipy == (cdf, pdf)


def test_ppf_is_scipys_for_scipy_distributions():
    q = np.array([0.2, 0.55, 0.9])
    np.testing.assert_array_equal(latent_distribution(stats.t(3)).ppf(q), stats.t(3).ppf(q))
    np.testing.assert_array_equal(latent_distribution("probit").ppf(q), stats.norm.ppf(q))


def test_names():
    assert latent_distribution("logit").name == "logistic"
    assert latent_distribution(stats.t(df=5)).name == "t(df=5)"
    assert latent_distribution(stats.norm(scale=2)).name == "norm(scale=2)"
    assert latent_distribution(stats.logistic).scipy is stats.logistic


class _CLogLog(stats.rv_continuous):
    def _cdf(self, x):
        return 1 - np.exp(-np.exp(x))


@pytest.mark.parametrize(
    ("distr", "match"),
    [
        ("cloglog", "unknown distr 'cloglog'"),
        (stats.gamma(2), "no torch counterpart"),
        (_CLogLog(), "no torch counterpart"),
        (stats.t, "needs df: pass a frozen distribution"),
        (stats.t(0), "positive"),
        (stats.norm(scale=-1), "positive"),
        ((math.erf, 3), "two callables"),
        (np.exp, "not ufunc"),
    ],
)
def test_refused(distr, match):
    with pytest.raises(InvalidOptionError, match=match):
        latent_distribution(distr)
