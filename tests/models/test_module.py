"""Standard errors for modules fitted in torch, against statsmodels' OLS and Logit."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import torch
from scipy import stats
from torch import nn

from tests.conftest import DEVICES
from torchstats.errors import ConvergenceWarning, HessianWarning, InvalidOptionError
from torchstats.models.module import module_inference


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 3)) * [1.0, 3.0, 0.5] + [0.0, 2.0, -1.0]
    y = 1.5 + X @ [0.4, -0.2, 1.1] + rng.normal(size=200)
    return X, y


def _longley() -> tuple[np.ndarray, np.ndarray]:
    data = sm.datasets.longley.load_pandas()
    return data.exog.to_numpy(), data.endog.to_numpy()


def _linear(X: np.ndarray, device: str = "cpu", seed: int = 0) -> nn.Linear:
    torch.manual_seed(seed)
    return nn.Linear(X.shape[1], 1).double().to(device)


def _train_with_adam(net: nn.Module, X: torch.Tensor, y: torch.Tensor, steps: int = 3000) -> None:
    optimiser = torch.optim.Adam(net.parameters(), lr=0.05)
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, step_size=500, gamma=0.3)
    for _ in range(steps):
        optimiser.zero_grad()
        loss = ((net(X).squeeze(-1) - y) ** 2).mean()
        loss.backward()
        optimiser.step()
        schedule.step()


def _set_to_ols(net: nn.Linear, ols) -> None:
    with torch.no_grad():
        net.bias.copy_(torch.as_tensor(ols.params[:1]))
        net.weight.copy_(torch.as_tensor(ols.params[None, 1:]))


def _ols_order(values: pd.Series) -> np.ndarray:
    """Module order (weight[0,0..k-1], bias[0]) to OLS order (const first)."""
    return np.r_[values.iloc[-1], values.iloc[:-1]]


def _residuals(net: nn.Module, X: torch.Tensor, y: torch.Tensor):
    return lambda: y - net(X).squeeze(-1)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("seed", [0, 1])
def test_adam_trained_linear_model_reproduces_ols(seed, device):
    X, y = _data(seed)
    Xt, yt = torch.tensor(X, device=device), torch.tensor(y, device=device)
    net = _linear(X, device, seed=seed)
    _train_with_adam(net, Xt, yt)
    res = module_inference(net, residuals=_residuals(net, Xt, yt))
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    assert list(res.params.index) == ["weight[0,0]", "weight[0,1]", "weight[0,2]", "bias[0]"]
    # Adam with a decaying step converges to the least-squares solution to ~1e-12 here
    np.testing.assert_allclose(_ols_order(res.params), ols.params, rtol=1e-9)
    np.testing.assert_allclose(_ols_order(res.bse), ols.bse, rtol=1e-9)
    np.testing.assert_allclose(_ols_order(res.tvalues), ols.tvalues, rtol=1e-8)
    np.testing.assert_allclose(_ols_order(res.pvalues), ols.pvalues, rtol=1e-7, atol=1e-300)
    ci = res.conf_int().to_numpy()
    np.testing.assert_allclose(np.r_[ci[-1:], ci[:-1]], ols.conf_int(), rtol=1e-9)
    assert res.converged and res.use_t and res.df_resid == ols.df_resid


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dataset", ["seed0", "seed2", "longley"])
def test_exact_ols_weights_reproduce_ols(dataset, device):
    X, y = _longley() if dataset == "longley" else _data(int(dataset[-1]))
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    Xt, yt = torch.tensor(X, device=device), torch.tensor(y, device=device)
    net = _linear(X, device)
    _set_to_ols(net, ols)
    res = module_inference(net, residuals=_residuals(net, Xt, yt))
    # longley's design has condition number ~5e9: the Hessian's inverse keeps ~1e-8
    rtol = 1e-7 if dataset == "longley" else 1e-10
    np.testing.assert_allclose(_ols_order(res.bse), ols.bse, rtol=rtol)
    cov = res.cov_params().to_numpy()
    order = [3, 0, 1, 2] if X.shape[1] == 3 else [X.shape[1], *range(X.shape[1])]
    np.testing.assert_allclose(cov[np.ix_(order, order)], ols.cov_params(), rtol=2 * rtol)
    np.testing.assert_allclose(res.llf, ols.llf, rtol=1e-12)
    np.testing.assert_allclose(res.aic, ols.aic, rtol=1e-12)
    np.testing.assert_allclose(res.bic, ols.bic, rtol=1e-12)
    ci = res.conf_int().to_numpy()
    np.testing.assert_allclose(np.r_[ci[-1:], ci[:-1]], ols.conf_int(), rtol=rtol)


@pytest.mark.parametrize("cov_type", ["HC0", "HC1"])
def test_robust_covariances_reproduce_ols(cov_type):
    X, y = _data(3)
    ols = sm.OLS(y, sm.add_constant(X)).fit(cov_type=cov_type)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    net = _linear(X)
    _set_to_ols(net, ols)
    res = module_inference(net, residuals=_residuals(net, Xt, yt), cov_type=cov_type, use_t=False)
    np.testing.assert_allclose(_ols_order(res.bse), ols.bse, rtol=1e-10)
    np.testing.assert_allclose(_ols_order(res.pvalues), ols.pvalues, rtol=1e-8, atol=1e-300)
    assert res.cov_type == cov_type


def test_scale_rules():
    X, y = _data(4)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    Xt, yt = torch.tensor(X), torch.tensor(y)
    net = _linear(X)
    _set_to_ols(net, ols)
    mle = module_inference(net, residuals=_residuals(net, Xt, yt), scale="mle")
    np.testing.assert_allclose(_ols_order(mle.bse), ols.bse * math.sqrt(196 / 200), rtol=1e-10)
    assert not mle.use_t
    known = module_inference(net, residuals=_residuals(net, Xt, yt), scale=2.0)
    np.testing.assert_allclose(
        _ols_order(known.bse), ols.bse * math.sqrt(2.0 / ols.scale), rtol=1e-10
    )


def test_frozen_features_with_a_trained_head_is_ols_on_the_features():
    X, y = _data(5)
    torch.manual_seed(5)
    features = nn.Linear(3, 4).double()
    features.requires_grad_(False)
    net = nn.Sequential(features, nn.Tanh(), nn.Linear(4, 1).double())
    Xt, yt = torch.tensor(X), torch.tensor(y)
    Z = torch.tanh(features(Xt)).numpy()
    ols = sm.OLS(y, sm.add_constant(Z)).fit()
    _set_to_ols(net[2], ols)
    frozen_before = features.weight.detach().clone()
    res = module_inference(net, residuals=_residuals(net, Xt, yt))
    assert list(res.params.index)[-1] == "2.bias[0]" and len(res.params) == 5
    np.testing.assert_allclose(_ols_order(res.bse), ols.bse, rtol=1e-9)
    assert torch.equal(features.weight, frozen_before) and not features.weight.requires_grad
    assert all(p.requires_grad for p in net[2].parameters())
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())


def test_logistic_regression_from_a_cross_entropy_loss():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 2))
    y = (rng.random(300) < 1 / (1 + np.exp(-(0.3 + X @ [1.0, -0.8])))).astype(float)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    net = _linear(X)
    optimiser = torch.optim.LBFGS(
        net.parameters(),
        max_iter=200,
        tolerance_grad=1e-14,
        tolerance_change=0,
        line_search_fn="strong_wolfe",
    )

    def closure():
        optimiser.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(net(Xt).squeeze(-1), yt)
        loss.backward()
        return loss

    optimiser.step(closure)
    nll = lambda: nn.functional.binary_cross_entropy_with_logits(  # noqa: E731
        net(Xt).squeeze(-1), yt, reduction="none"
    )
    res = module_inference(net, nll=nll)
    logit = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(_ols_order(res.params), logit.params, rtol=1e-8)
    np.testing.assert_allclose(_ols_order(res.bse), logit.bse, rtol=1e-8)
    np.testing.assert_allclose(res.llf, logit.llf, rtol=1e-12)
    assert not res.use_t
    np.testing.assert_allclose(
        _ols_order(res.pvalues), 2 * stats.norm.sf(np.abs(logit.tvalues)), rtol=1e-7
    )
    sandwich = module_inference(net, nll=nll, cov_type="HC0")
    robust = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12, cov_type="HC0")
    np.testing.assert_allclose(_ols_order(sandwich.bse), robust.bse, rtol=1e-7)


def test_summary_and_wald_test():
    X, y = _data(7)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    Xt, yt = torch.tensor(X), torch.tensor(y)
    net = _linear(X)
    _set_to_ols(net, ols)
    res = module_inference(net, residuals=_residuals(net, Xt, yt))
    text = str(res.summary())
    assert "Linear Results" in text and re.search(r"weight\[0,1\]\s+-0\.\d+", text)
    assert "P>|t|" in text
    wald = res.wald_test("weight[0,0] = 0, weight[0,1] = weight[0,2]")
    expected = ols.f_test("x1 = 0, x2 = x3")
    np.testing.assert_allclose(wald.statistic, expected.fvalue, rtol=1e-9)
    np.testing.assert_allclose(wald.pvalue, expected.pvalue, rtol=1e-8)
    assert wald.df == 2 and wald.df_denom == 196


def test_unconverged_module_warns():
    X, y = _data(8)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    net = _linear(X)
    _train_with_adam(net, Xt, yt, steps=20)
    with pytest.warns(ConvergenceWarning, match="standard errors from the maximum"):
        res = module_inference(net, residuals=_residuals(net, Xt, yt))
    assert not res.converged


def test_over_parametrised_module_warns():
    X, y = _data(9)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    torch.manual_seed(9)
    net = nn.Sequential(nn.Linear(3, 1, bias=False), nn.Linear(1, 1)).double()  # w2 * (w1 x)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    with torch.no_grad():  # an exact optimum; the scale of w1 versus w2 is not identified
        net[0].weight.copy_(torch.as_tensor(ols.params[None, 1:]) * 2.0)
        net[1].weight.fill_(0.5)
        net[1].bias.fill_(float(ols.params[0]))
    with pytest.warns(HessianWarning, match="not negative definite"):
        res = module_inference(net, residuals=_residuals(net, Xt, yt))
    assert np.isnan(res.bse.iloc[:4]).all()
    # the intercept is identified: its standard error is OLS's, with n - rank residual df
    np.testing.assert_allclose(res.bse["1.bias[0]"], ols.bse[0], rtol=1e-8)
    assert res.df_resid == ols.df_resid


def test_bad_input():
    net = nn.Linear(2, 1).double()
    X, y = torch.ones(5, 2, dtype=torch.float64), torch.ones(5, dtype=torch.float64)
    with pytest.raises(InvalidOptionError, match="exactly one of residuals= or nll="):
        module_inference(net)
    with pytest.raises(InvalidOptionError, match="exactly one of residuals= or nll="):
        module_inference(net, residuals=lambda: y, nll=lambda: y)
    with pytest.raises(InvalidOptionError, match="scale= applies to residuals="):
        module_inference(net, nll=lambda: y, scale="mle")
    with pytest.raises(InvalidOptionError, match="unknown scale 'ssr'"):
        module_inference(net, residuals=lambda: y - net(X).squeeze(-1), scale="ssr")
    with pytest.raises(InvalidOptionError, match="more observations"):
        module_inference(net, residuals=lambda: y[:3] - net(X[:3]).squeeze(-1))
    with pytest.raises(InvalidOptionError, match="must be an nn.Module"):
        module_inference(lambda x: x, residuals=lambda: y)
    with pytest.raises(InvalidOptionError, match="unknown cov_type"):
        module_inference(net, residuals=lambda: y - net(X).squeeze(-1), cov_type="HC5")


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_an_nll_that_is_not_per_observation_is_refused(reduction) -> None:
    """A mean made the standard errors sqrt(n) too large; a sum made nobs 1 (BIC, df)."""
    torch.manual_seed(0)
    X = torch.randn(60, 3, dtype=torch.float64)
    labels = (torch.rand(60, dtype=torch.float64) < 0.5).double()
    clf = torch.nn.Linear(3, 1).double()
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    with pytest.raises(InvalidOptionError, match="one value per observation"):
        module_inference(clf, nll=lambda: bce(clf(X).squeeze(-1), labels, reduction=reduction))
