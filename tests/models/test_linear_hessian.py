"""Inference comes from the Hessian: closed forms of OLS/WLS equal autograd, and give cov_params.

The Gaussian log-likelihood with the variance concentrated out has Hessian ``-n X'WX / SSR`` at
the estimate. statsmodels' (and R's) covariance ``s^2 (X'WX)^{-1}`` is its negated inverse
rescaled by ``n / df_resid``; these tests prove each link of that chain with torch.func.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf
import torch
from statsmodels.tools.numdiff import approx_hess

import torchstats as ts


def assert_close_scaled(actual: torch.Tensor, expected: torch.Tensor, rtol: float) -> None:
    """Relative agreement, with entries that are zero by structure compared on the max scale."""
    atol = rtol * float(expected.abs().max())
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol)


FORMULAS = ["y ~ x1 * C(g) + np.log(x2)", "y ~ C(k) + x3 - 1", "y ~ x1 + I(x3**2)"]


def _model(kind: str, formula: str, frame):
    if kind == "ols":
        return ts.ols(formula, frame)
    return ts.wls(formula, frame, weights=frame["w"])


@pytest.mark.parametrize("kind", ["ols", "wls"])
@pytest.mark.parametrize("formula", FORMULAS)
def test_closed_form_hessian_equals_autograd(frame, kind, formula):
    model = _model(kind, formula, frame)
    params = model.fit().fit_result.params
    autograd = torch.func.hessian(model.loglike)(params)
    assert_close_scaled(model.hessian(params), autograd, rtol=1e-10)
    # away from the optimum the outer-product term matters too
    shifted = params + 0.1
    assert_close_scaled(model.hessian(shifted), torch.func.hessian(model.loglike)(shifted), 1e-10)


@pytest.mark.parametrize("kind", ["ols", "wls"])
@pytest.mark.parametrize("formula", FORMULAS)
def test_closed_form_score_equals_autograd(frame, kind, formula):
    model = _model(kind, formula, frame)
    params = model.fit().fit_result.params + 0.05
    assert_close_scaled(model.score(params), torch.func.grad(model.loglike)(params), 1e-10)


@pytest.mark.parametrize("kind", ["ols", "wls"])
@pytest.mark.parametrize("formula", FORMULAS)
def test_cov_params_is_the_rescaled_inverse_autograd_hessian(frame, kind, formula):
    model = _model(kind, formula, frame)
    res = model.fit()
    params = res.fit_result.params
    hessian = torch.func.hessian(model.loglike)(params)
    cov_from_hessian = -torch.linalg.inv(hessian) * res.nobs / res.df_resid
    expected = torch.tensor(res.cov_params().to_numpy())
    assert_close_scaled(cov_from_hessian, expected, rtol=1e-9)


def test_score_vanishes_at_the_estimate(frame):
    model = ts.ols("y ~ x1 * C(g)", frame)
    res = model.fit()
    score = model.score(res.fit_result.params)
    assert float(score.abs().max()) < 1e-9 * float(model.score(torch.zeros_like(score)).abs().max())


@pytest.mark.parametrize("kind", ["ols", "wls"])
def test_loglike_equals_statsmodels_at_arbitrary_params(frame, kind):
    formula = "y ~ x1 + C(g)"
    ours = _model(kind, formula, frame)
    theirs = (
        smf.ols(formula, frame) if kind == "ols" else smf.wls(formula, frame, weights=frame["w"])
    )
    params = np.array([0.3, -0.2, 0.5, 1.1])
    np.testing.assert_allclose(
        float(ours.loglike(torch.tensor(params))), theirs.loglike(params), rtol=1e-12
    )


def test_hessian_equals_numerical_hessian_of_statsmodels_loglike(frame):
    """An oracle independent of torch: finite differences of statsmodels' own loglike.

    (statsmodels' analytic ``OLS.hessian(params)`` for the profile likelihood uses ``X'X / SSR``
    where the second derivative of ``log SSR`` needs ``2 X'X / SSR``: it disagrees with its
    own ``loglike``. We compare with the function, not that formula.)
    """
    formula = "y ~ x1 + C(g)"
    params = np.array([0.3, -0.2, 0.5, 1.1])
    numerical = approx_hess(params, smf.ols(formula, frame).loglike)
    ours = ts.ols(formula, frame).hessian(torch.tensor(params)).numpy()
    np.testing.assert_allclose(ours, numerical, rtol=1e-5, atol=1e-6 * np.abs(numerical).max())
