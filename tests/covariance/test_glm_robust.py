"""Robust covariances of GLM fits against statsmodels, and the sandwich against a naive loop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import torchstats as ts
from tests.models.glm_cases import CASES, GlmCase, fitted_pair, glm_frame
from tests.parity import assert_matches

ROBUST = [
    ("HC0", ()),
    ("HC1", ()),
    ("cluster", (("groups", "cl"),)),
    ("cluster", (("groups", "cl"), ("use_correction", False))),
    ("HAC", (("maxlags", 2),)),
    ("HAC", (("maxlags", 5), ("use_correction", True))),
]
# every family once, with and without weights
ROBUST_CASES = [c for c in CASES if c.seed == 0][::2]


@pytest.mark.parametrize("case", ROBUST_CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("cov", ROBUST, ids=lambda c: c[0] + "".join(f"|{v}" for _, v in c[1]))
def test_robust_bse_pvalues_cov(case: GlmCase, cov: tuple) -> None:
    cov_type, kwds = cov
    ours, theirs = fitted_pair(case, cov_type, kwds)
    assert ours.cov_type == theirs.cov_type
    assert ours.use_t == theirs.use_t
    assert_matches(ours.cov_params(), theirs.cov_params(), rtol=1e-8)
    assert_matches(ours.bse, theirs.bse, rtol=1e-8)
    assert_matches(ours.pvalues, theirs.pvalues, rtol=1e-7)
    assert_matches(ours.conf_int(), theirs.conf_int(), rtol=1e-8)


@pytest.mark.parametrize("case", ROBUST_CASES[:4], ids=lambda c: c.id)
def test_get_robustcov_results_leaves_the_fit_unchanged(case: GlmCase) -> None:
    ours, theirs = fitted_pair(case)
    robust = ours.get_robustcov_results("HC0")
    assert ours.cov_type == "nonrobust" and robust.cov_type == "HC0"
    assert_matches(robust.params, ours.params, rtol=0)
    _, theirs_hc0 = fitted_pair(case, "HC0")
    assert_matches(robust.bse, theirs_hc0.bse, rtol=1e-8)


@pytest.mark.parametrize("case", ROBUST_CASES[:4], ids=lambda c: c.id)
def test_use_t_switches_to_student_t(case: GlmCase) -> None:
    frame = glm_frame(case.seed)
    ours_family, _ = case.families()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ts.glm(case.formula, frame, family=ours_family, **case.model_kwds()).fit(
            cov_type="HC0", use_t=True, **dict(case.fit_kwds)
        )
    assert res.use_t
    assert "t" in str(res.summary()).split("coef")[1].split("\n")[0]


def test_sandwich_against_a_per_observation_loop() -> None:
    """HC0 = H^{-1} (sum_i s_i s_i') H^{-1} with s_i = x_i (y_i - mu_i) for Poisson-log."""
    frame = glm_frame(0)
    res = ts.glm("yc ~ x1 + C(g)", frame, family=ts.families.Poisson()).fit(cov_type="HC0")
    X = res.model.exog
    y = res.model.endog
    mu = np.asarray(res.mu)
    bread = np.zeros((X.shape[1], X.shape[1]))
    meat = np.zeros_like(bread)
    for i in range(X.shape[0]):
        bread += mu[i] * np.outer(X[i], X[i])
        score = X[i] * (y[i] - mu[i])
        meat += np.outer(score, score)
    inverse = np.linalg.inv(bread)
    np.testing.assert_allclose(res.cov_params().to_numpy(), inverse @ meat @ inverse, rtol=1e-10)


def test_cluster_sandwich_against_a_per_cluster_loop() -> None:
    frame = glm_frame(1)
    res = ts.glm("yb ~ x1 + x2", frame, family=ts.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": frame["cl"]}
    )
    X = res.model.exog
    y = res.model.endog
    p = np.asarray(res.mu)
    bread = np.linalg.inv((X * (p * (1 - p))[:, None]).T @ X)
    groups = frame["cl"].to_numpy()
    meat = np.zeros_like(bread)
    for g in np.unique(groups):
        rows = groups == g
        total = (X[rows] * (y[rows] - p[rows])[:, None]).sum(axis=0)
        meat += np.outer(total, total)
    n, k, G = X.shape[0], X.shape[1], len(np.unique(groups))
    factor = G / (G - 1) * (n - 1) / (n - k)
    np.testing.assert_allclose(
        res.cov_params().to_numpy(), factor * bread @ meat @ bread, rtol=1e-10
    )


def test_hc2_needs_leverage_and_says_so() -> None:
    # GLMs have HC2/HC3 now (R's definition, tests/covariance/test_glm_hc_against_r.py); the
    # negative binomial's scores are not x_i f_i, so it has no leverages and refuses
    frame = glm_frame(0)
    model = ts.negativebinomial("yc ~ x1", frame)
    with pytest.raises(ts.errors.InvalidOptionError, match="HC2.*least-squares"):
        model.fit(cov_type="HC2", disp=0)


def test_cluster_with_weights_warns_as_statsmodels() -> None:
    frame = glm_frame(0)
    model = ts.glm("yc ~ x1", frame, family=ts.families.Poisson(), freq_weights=frame["fw"])
    with pytest.warns(ts.errors.SpecificationWarning, match="not fully supported"):
        model.fit(cov_type="cluster", cov_kwds={"groups": frame["cl"]})


def test_robust_covariance_keeps_the_device_and_dtype() -> None:
    frame = glm_frame(0)
    res = ts.glm("yc ~ x1", frame, family=ts.families.Poisson(), dtype=torch.float32).fit(
        cov_type="HC0"
    )
    assert res.covariance.cov.dtype == torch.float32
