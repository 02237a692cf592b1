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


def _collinear_design(seed: int = 6, n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A full-rank design, the same with a fourth column x1 - x2, and ``L`` with
    ``L b`` of the second equal to the slopes of the first (estimable combinations)."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    collinear = np.column_stack([X, X[:, 1] - X[:, 2]])
    L = np.array([[0, 1, 0, 1.0], [0, 0, 1, -1.0]])
    return X, collinear, L


@pytest.mark.parametrize("family", ["gaussian", "poisson", "binomial", "gamma-log"])
@pytest.mark.parametrize(
    ("cov_type", "kwds"),
    [("HC0", {}), ("HC1", {}), ("HC3", {}), ("cluster", {"groups": "g"}), ("HAC", {"maxlags": 2})],
)
def test_rank_deficient_glm_robust_covariances_of_estimable_combinations(family, cov_type, kwds):
    """Any generalised inverse gives the same covariance of estimable combinations; an
    inverse of the rounded singular information gave noise (bse 1e6, NaN, up to 100% off)."""
    X, collinear, L = _collinear_design()
    rng = np.random.default_rng(1)
    eta = X @ np.array([0.2, 0.5, -0.4])
    families = ts.families
    chosen, y = {
        "gaussian": (families.Gaussian(), eta + rng.normal(size=len(eta))),
        "poisson": (families.Poisson(), rng.poisson(np.exp(eta)).astype(float)),
        "binomial": (
            families.Binomial(),
            (rng.uniform(size=len(eta)) < 1 / (1 + np.exp(-eta))) * 1.0,
        ),
        "gamma-log": (families.Gamma(families.links.Log()), rng.gamma(2.0, np.exp(eta) / 2.0)),
    }[family]
    kwds = {k: (rng.integers(0, 9, len(eta)) if v == "g" else v) for k, v in kwds.items()}
    full = ts.GLM(y, X, family=chosen).fit(cov_type=cov_type, cov_kwds=kwds)
    with pytest.warns(ts.CollinearityWarning):
        deficient = ts.GLM(y, collinear, family=chosen).fit(cov_type=cov_type, cov_kwds=kwds)
    np.testing.assert_allclose(
        L @ deficient.cov_params() @ L.T, full.cov_params()[1:, 1:], rtol=1e-9, atol=0
    )


@pytest.mark.parametrize(("cov_type", "kwds"), [("HC0", {}), ("HC1", {}), ("HC3", {})])
def test_rows_of_frequency_zero_count_for_nothing(cov_type, kwds):
    """Their scores are zero, not 0 / 0 (which made every bse NaN, without a warning)."""
    X, _, _ = _collinear_design()
    rng = np.random.default_rng(2)
    y = rng.poisson(np.exp(X @ np.array([0.2, 0.5, -0.4]))).astype(float)
    weights = rng.integers(1, 3, len(y)).astype(float)
    weights[[3, 50, 77]] = 0.0
    kept = weights > 0
    family = ts.families.Poisson()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ts.TorchstatsWarning)  # HC3: not fully supported
        ours = ts.GLM(y, X, family=family, freq_weights=weights).fit(cov_type=cov_type)
        without = ts.GLM(y[kept], X[kept], family=family, freq_weights=weights[kept]).fit(
            cov_type=cov_type
        )
    np.testing.assert_allclose(ours.bse, without.bse, rtol=1e-10)
    assert np.isfinite(ours.bse).all()
