"""Standard errors for models fitted in torch: an nn.Linear trained with Adam is lm()."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
import torch
from torch import nn

import torchstats as ts
from tests.conftest import DEVICES
from torchstats.errors import ConvergenceWarning, InvalidOptionError


def _regression(seed: int = 0, n: int = 200):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 1.0 + rng.normal(size=n)
    return X, y


def _train(module: nn.Module, loss_fn, steps: int = 4000, lr: float = 0.05) -> nn.Module:
    optimiser = torch.optim.Adam(module.parameters(), lr=lr)
    for _ in range(steps):
        optimiser.zero_grad()
        loss_fn().backward()
        optimiser.step()
    return module


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("seed", [0, 1])
def test_adam_trained_linear_model_reproduces_ols(seed, device):
    X, y = _regression(seed)
    Xt, yt = torch.tensor(X, device=device), torch.tensor(y, device=device)
    torch.manual_seed(seed)
    net = nn.Linear(3, 1).double().to(device)
    _train(net, lambda: ((net(Xt).squeeze(-1) - yt) ** 2).mean())
    res = ts.module_inference(net, residuals=lambda: net(Xt).squeeze(-1) - yt)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    order = [1, 2, 3, 0]  # the module's weight first, then its bias
    assert list(res.params.index) == ["weight[0,0]", "weight[0,1]", "weight[0,2]", "bias[0]"]
    np.testing.assert_allclose(res.params, ols.params[order], rtol=1e-8)
    np.testing.assert_allclose(res.bse, ols.bse[order], rtol=1e-8)
    np.testing.assert_allclose(res.pvalues, ols.pvalues[order], rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(res.conf_int(), ols.conf_int()[order], rtol=1e-8)
    np.testing.assert_allclose(res.llf, ols.llf, rtol=1e-12)
    assert res.use_t and res.df_resid == ols.df_resid


def test_exact_solution_gives_lm_standard_errors_to_rounding():
    X, y = _regression(2)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    net = nn.Linear(3, 1).double()
    with torch.no_grad():
        net.weight.copy_(torch.tensor(ols.params[1:])[None, :])
        net.bias.copy_(torch.tensor(ols.params[:1]))
    Xt, yt = torch.tensor(X), torch.tensor(y)
    res = ts.module_inference(net, residuals=lambda: net(Xt).squeeze(-1) - yt)
    np.testing.assert_allclose(res.bse, ols.bse[[1, 2, 3, 0]], rtol=1e-11)
    robust = ts.module_inference(net, residuals=lambda: net(Xt).squeeze(-1) - yt, cov_type="HC1")
    np.testing.assert_allclose(
        robust.bse, sm.OLS(y, sm.add_constant(X)).fit(cov_type="HC1").bse[[1, 2, 3, 0]], rtol=1e-10
    )


def test_negative_log_likelihood_of_a_logistic_module():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 2))
    y = (rng.random(400) < 1 / (1 + np.exp(-(X @ [1.0, -0.5] + 0.3)))).astype(float)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    torch.manual_seed(0)
    net = nn.Linear(2, 1).double()

    def nll():
        return nn.functional.binary_cross_entropy_with_logits(
            net(Xt).squeeze(-1), yt, reduction="none"
        )

    _train(net, lambda: nll().mean(), steps=3000)
    res = ts.module_inference(net, nll=nll)
    logit = sm.Logit(y, sm.add_constant(X)).fit(disp=0)
    np.testing.assert_allclose(res.bse, logit.bse[[1, 2, 0]], rtol=1e-6)
    assert not res.use_t


def test_an_untrained_module_warns():
    X, y = _regression(4)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    net = nn.Linear(3, 1).double()
    with pytest.warns(ConvergenceWarning, match="standard errors from the maximum"):
        res = ts.module_inference(net, residuals=lambda: net(Xt).squeeze(-1) - yt)
    assert not res.converged


def test_bad_input():
    net = nn.Linear(1, 1).double()
    x = torch.ones(5, 1, dtype=torch.float64)
    with pytest.raises(InvalidOptionError, match="exactly one of residuals= or nll="):
        ts.module_inference(net)
    with pytest.raises(InvalidOptionError, match="unknown scale 'bogus'"):
        ts.module_inference(net, residuals=lambda: net(x).squeeze(-1), scale="bogus")
