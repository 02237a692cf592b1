"""Wald, F and t tests as free functions of (params, cov, constraints), against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import torch

from torchstats.errors import ConstraintError, TorchstatsWarning
from torchstats.inference.wald import constraint_matrix, f_test, t_test, wald_test

HYPOTHESES = ["x1 = 0", "x1 = x2", "x1 + x2 = 1, x3 = 0", ["x1 = 0.5", "Intercept = 2 * x3"]]


def _fit(seed: int):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.normal(size=(80, 3)), columns=["x1", "x2", "x3"])
    df["y"] = 1 + df["x1"] - 0.5 * df["x2"] + rng.normal(size=80)
    return smf.ols("y ~ x1 + x2 + x3", df).fit()


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("hypothesis", HYPOTHESES, ids=str)
def test_chi2_wald_test_equals_statsmodels(hypothesis, seed):
    sm_res = _fit(seed)
    ours = wald_test(sm_res.params, sm_res.cov_params(), hypothesis)
    theirs = sm_res.wald_test(hypothesis, use_f=False, scalar=True)
    np.testing.assert_allclose(ours.statistic, theirs.statistic, rtol=1e-12)
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue, rtol=1e-10)
    assert ours.df == theirs.df_denom and ours.distribution == "chi2"


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("hypothesis", HYPOTHESES, ids=str)
def test_f_test_equals_statsmodels(hypothesis, seed):
    sm_res = _fit(seed)
    ours = f_test(sm_res.params, sm_res.cov_params(), hypothesis, df_denom=sm_res.df_resid)
    theirs = sm_res.f_test(hypothesis)
    np.testing.assert_allclose(ours.statistic, theirs.fvalue, rtol=1e-12)
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue, rtol=1e-10)
    assert (ours.df, ours.df_denom) == (theirs.df_num, theirs.df_denom)


@pytest.mark.parametrize("hypothesis", HYPOTHESES, ids=str)
def test_t_test_equals_statsmodels(hypothesis):
    sm_res = _fit(2)
    ours = t_test(sm_res.params, sm_res.cov_params(), hypothesis, df=sm_res.df_resid)
    theirs = sm_res.t_test(hypothesis)
    np.testing.assert_allclose(ours.effect, theirs.effect, rtol=1e-12)
    np.testing.assert_allclose(ours.sd, theirs.sd.reshape(-1), rtol=1e-12)
    np.testing.assert_allclose(ours.statistic, theirs.tvalue.reshape(-1), rtol=1e-12)
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue.reshape(-1), rtol=1e-10)
    z = t_test(sm_res.params, sm_res.cov_params(), hypothesis)
    assert z.distribution == "norm"


def test_tensor_inputs_matrix_form_and_names():
    sm_res = _fit(3)
    theta = torch.tensor(sm_res.params.to_numpy())
    cov = torch.tensor(sm_res.cov_params().to_numpy())
    names = list(sm_res.params.index)
    by_name = wald_test(theta, cov, "x1 = x2, x3 = 0.25", names=names)
    R = np.array([[0.0, 1, -1, 0], [0, 0, 0, 1]])
    by_matrix = wald_test(theta, cov, R, q=[0.0, 0.25])
    by_tuple = wald_test(sm_res.params.to_numpy(), cov.numpy(), (R, np.array([0.0, 0.25])))
    np.testing.assert_allclose(by_matrix.statistic, by_name.statistic, rtol=1e-14)
    np.testing.assert_allclose(by_tuple.statistic, by_name.statistic, rtol=1e-14)
    diff = R @ sm_res.params.to_numpy() - [0, 0.25]
    expected = diff @ np.linalg.solve(R @ sm_res.cov_params().to_numpy() @ R.T, diff)
    np.testing.assert_allclose(by_name.statistic, expected, rtol=1e-12)
    assert constraint_matrix("x0 = 1", ["x0", "x1"])[1].tolist() == [1.0]


def test_redundant_constraints_use_the_rank():
    sm_res = _fit(4)
    hypothesis = "x1 = 0, x2 = 0, x1 + x2 = 0"
    with pytest.warns(TorchstatsWarning, match="does not have full rank"):
        ours = wald_test(sm_res.params, sm_res.cov_params(), hypothesis)
    with pytest.warns(Warning):
        theirs = sm_res.wald_test(hypothesis, use_f=False, scalar=True)
    np.testing.assert_allclose(ours.statistic, theirs.statistic, rtol=1e-10)
    assert ours.df == 2


def test_bad_input():
    sm_res = _fit(5)
    params, cov = sm_res.params, sm_res.cov_params()
    with pytest.raises(ConstraintError, match="unknown parameter 'x9'"):
        wald_test(params, cov, "x9 = 0")
    with pytest.raises(ConstraintError, match=r"cov has shape \(3, 3\) but there are 4"):
        wald_test(params, cov.iloc[:3, :3], "x1 = 0")
    with pytest.raises(ConstraintError, match="3 names given for 4 parameters"):
        wald_test(params, cov, "x1 = 0", names=["a", "b", "c"])
    with pytest.raises(ConstraintError, match="q goes with a constraint matrix"):
        wald_test(params, cov, "x1 = 0", q=[1.0])
    nan_cov = cov.to_numpy().copy()
    nan_cov[1, :] = nan_cov[:, 1] = np.nan
    with pytest.raises(ConstraintError, match="involve x1, which has no finite estimate"):
        wald_test(params, nan_cov, "x1 = 0")
    ok = wald_test(params, nan_cov, "x2 = 0")  # a NaN elsewhere does not matter
    assert np.isfinite(ok.statistic)
