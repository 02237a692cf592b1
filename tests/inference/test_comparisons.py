"""Nested-model comparisons unpack as statsmodels' tuples; compare_lm_test against statsmodels."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import statsmodels.api as sm
import torch
import torch.distributions as D

import torchstats as ts
from torchstats.errors import TorchstatsWarning
from torchstats.inference.compare import TestResult


def _data(seed: int):
    rng = np.random.default_rng(seed)
    n = 120
    X = sm.add_constant(rng.normal(size=(n, 3)))
    y = X @ [1.0, 0.5, 0.2, 0.0] + rng.normal(size=n) * (1 + np.abs(X[:, 1]))
    weights = rng.uniform(0.5, 2.0, n)
    groups = rng.integers(0, 12, n)
    return y, X, weights, groups


def _pair(kind, y, X, weights, cov_type="nonrobust", cov_kwds=None):
    def fit(library, design, **fit_kwds):
        model = library.OLS(y, design) if kind == "ols" else library.WLS(y, design, weights)
        return model.fit(**fit_kwds)

    full_kwds = {"cov_type": cov_type, "cov_kwds": cov_kwds or {}}
    return (fit(ts, X, **full_kwds), fit(ts, X[:, :2])), (
        fit(sm, X, **full_kwds),
        fit(sm, X[:, :2]),
    )


COVS = [
    ("nonrobust", None),
    ("HC0", None),
    ("HC3", None),
    ("HAC", {"maxlags": 3}),
    ("cluster", "groups"),
]


@pytest.mark.parametrize("seed", [0])
@pytest.mark.parametrize("kind", ["ols", "wls"])
@pytest.mark.parametrize(("cov_type", "cov_kwds"), COVS, ids=[c[0] for c in COVS])
@pytest.mark.parametrize(("demean", "use_lr"), [(True, False), (False, False), (True, True)])
def test_compare_lm_test_equals_statsmodels(seed, kind, cov_type, cov_kwds, demean, use_lr):
    y, X, weights, groups = _data(seed)
    kwds = {"groups": groups} if cov_kwds == "groups" else cov_kwds
    (full, restricted), (sm_full, sm_restricted) = _pair(kind, y, X, weights, cov_type, kwds)
    lm, pvalue, df = full.compare_lm_test(restricted, demean=demean, use_lr=use_lr)
    theirs = sm_full.compare_lm_test(sm_restricted, demean=demean, use_lr=use_lr)
    np.testing.assert_allclose([lm, pvalue], theirs[:2], rtol=1e-10)
    assert df == theirs[2]


@pytest.mark.parametrize("kind", ["ols", "wls"])
def test_compare_tests_unpack_as_statsmodels(kind):
    y, X, weights, _ = _data(2)
    (full, restricted), (sm_full, sm_restricted) = _pair(kind, y, X, weights)
    for name in ("compare_f_test", "compare_lr_test", "compare_lm_test"):
        ours = getattr(full, name)(restricted)
        theirs = getattr(sm_full, name)(sm_restricted)
        stat, pvalue, df = ours
        assert isinstance(ours, tuple) and len(ours) == 3
        np.testing.assert_allclose([stat, pvalue], theirs[:2], rtol=1e-10)
        assert ours[2] == df == theirs[2] and ours[:2] == (ours.statistic, ours.pvalue)
    lr = full.compare_lr_test(restricted)
    sm_lr = sm_full.compare_lr_test(sm_restricted)
    np.testing.assert_allclose(
        [lr.statistic, lr.pvalue, lr.df_diff], [sm_lr.statistic, sm_lr.pvalue, sm_lr.df_diff]
    )
    with pytest.warns(TorchstatsWarning, match="likely invalid"):
        robust = _pair(kind, y, X, weights, "HC1")[0][0]
        robust.compare_lr_test(restricted)
    large = robust.compare_lr_test(restricted, large_sample=True)
    sm_robust = _pair(kind, y, X, weights, "HC1")[1][0]
    np.testing.assert_allclose(
        tuple(large)[:2],
        sm_robust.compare_lr_test(sm_restricted, large_sample=True)[:2],
        rtol=1e-10,
    )


def test_compare_lm_test_needs_a_nested_model():
    y, X, _, _ = _data(3)
    full = ts.OLS(y, X[:, [0, 1, 2]]).fit()
    other = ts.OLS(y, X[:, [0, 3]]).fit()
    with pytest.raises(ValueError, match="not nested"):
        full.compare_lm_test(other)


def test_likelihood_engine_tests_unpack():
    y = np.random.default_rng(4).normal(1.2, 2.0, size=200)
    yt = torch.tensor(y)
    model = ts.MLE(
        lambda mu, sigma: D.Normal(mu, sigma).log_prob(yt),
        start_params={"mu": 0.0, "sigma": 1.0},
        positive=["sigma"],
    )
    full, restricted = model.fit(), model.fit(fixed={"mu": 1.0})
    for result in (full.lr_test(restricted), restricted.score_test()):
        stat, pvalue, df = result
        assert (stat, pvalue, df) == (result.statistic, result.pvalue, result.df) == result
        assert result[0] == stat and df == 1
    # the Wald test is statsmodels' ContrastResults, as the other models' wald_test
    wald = full.wald_test("mu = 1")
    assert wald.df == wald.df_denom == 1 and wald.distribution == "chi2"


def test_test_result_is_an_immutable_tuple():
    result = TestResult(4.0, 0.05, 2.0, "F", 30.0)
    assert result == (4.0, 0.05, 2.0) and result.df_denom == 30.0 and result.df_num == 2.0
    copy = pickle.loads(pickle.dumps(result))
    assert copy == result and copy.kind == "F" and copy.df_denom == 30.0
    with pytest.raises(AttributeError):
        result.kind = "x"  # type: ignore[misc]
