"""The same fits on every available device give the same numbers (CUDA skipped without a GPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchstats as ts
from tests.conftest import DEVICES

FORMULAS = ["y ~ x1 * C(g) + np.log(x2) + I(x3**2)", "y ~ C(k) + x1 - 1"]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("method", ["qr", "cholesky", "pinv", "gd"])
@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_fit_on_device_matches_cpu(frame, device, method, formula):
    cpu = ts.ols(formula, frame).fit(method=method)
    dev = ts.ols(formula, frame, device=device).fit(method=method)
    assert dev.model.design.exog.device.type == device
    np.testing.assert_allclose(dev.params, cpu.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dev.bse, cpu.bse, rtol=1e-9)
    np.testing.assert_allclose(dev.rsquared, cpu.rsquared, rtol=1e-12)
    np.testing.assert_allclose(dev.llf, cpu.llf, rtol=1e-12)
    np.testing.assert_allclose(dev.predict(frame.head(5)), cpu.predict(frame.head(5)), rtol=1e-10)


@pytest.mark.parametrize("device", DEVICES)
def test_weighted_fit_on_device_matches_cpu(frame, device):
    cpu = ts.wls("y ~ x1 + C(g)", frame, weights=frame["w"]).fit()
    dev = ts.wls("y ~ x1 + C(g)", frame, weights=frame["w"], device=device).fit()
    np.testing.assert_allclose(dev.params, cpu.params, rtol=1e-10)
    np.testing.assert_allclose(dev.bse, cpu.bse, rtol=1e-10)


@pytest.mark.parametrize("device", DEVICES)
def test_tensor_input_keeps_its_device(device):
    rng = np.random.default_rng(0)
    X = torch.tensor(np.column_stack([np.ones(50), rng.normal(size=(50, 2))]), device=device)
    y = X @ torch.tensor([1.0, 2.0, -1.0], device=device, dtype=torch.float64)
    y = y + torch.tensor(rng.normal(size=50), device=device)
    res = ts.OLS(y, X).fit()
    assert res.params.device.type == device
    assert res.resid.device.type == device
    assert res.cov_params().device.type == device


@pytest.mark.parametrize("device", DEVICES)
def test_float32_on_device(frame, device):
    res = ts.ols("y ~ x1 + C(g)", frame, device=device, dtype=torch.float32).fit()
    reference = ts.ols("y ~ x1 + C(g)", frame).fit()
    assert res.model.design.exog.dtype == torch.float32
    np.testing.assert_allclose(res.params, reference.params, rtol=1e-5, atol=1e-6)
