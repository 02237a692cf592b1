"""Likelihood-ratio and score tests as free functions, against statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from torchstats.errors import InvalidOptionError
from torchstats.inference.compare import TestResult, lr_test, score_test


def _poisson_data(seed: int):
    rng = np.random.default_rng(seed)
    X = sm.add_constant(rng.normal(size=(250, 3)))
    y = rng.poisson(np.exp(X @ [0.2, 0.4, 0.0, -0.1]))
    return y, X


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lr_test_equals_statsmodels_compare_lr_test(seed):
    y, X = _poisson_data(seed)
    full = sm.GLM(y, X, family=sm.families.Poisson()).fit()
    restricted = sm.GLM(y, X[:, :2], family=sm.families.Poisson()).fit()
    ours = lr_test(full.llf, restricted.llf, 2)
    # statsmodels' GLM has no compare_lr_test; its definition, from OLS's, is 2 * diff on chi2
    np.testing.assert_allclose(ours.statistic, 2 * (full.llf - restricted.llf), rtol=1e-14)
    np.testing.assert_allclose(ours.pvalue, stats.chi2.sf(ours.statistic, 2), rtol=1e-14)
    ols_full = sm.OLS(y, X).fit()
    ols_restricted = sm.OLS(y, X[:, :2]).fit()
    lr, pvalue, df = ols_full.compare_lr_test(ols_restricted)
    ours = lr_test(ols_full.llf, ols_restricted.llf, df)
    np.testing.assert_allclose([ours.statistic, ours.pvalue], [lr, pvalue], rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_score_test_equals_statsmodels_glm_score_test(seed):
    y, X = _poisson_data(seed)
    restricted = sm.GLM(y, X[:, :2], family=sm.families.Poisson()).fit(tol=1e-12)
    params = np.r_[restricted.params, 0.0, 0.0]
    full_model = sm.GLM(y, X, family=sm.families.Poisson())
    ours = score_test(full_model.score(params), full_model.hessian(params), 2)
    theirs = restricted.score_test(exog_extra=X[:, 2:])
    np.testing.assert_allclose(ours.statistic, theirs.statistic[0], rtol=1e-9)
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue[0], rtol=1e-9)
    assert ours.df == theirs.k_constraint == 2


def test_result_record():
    result = lr_test(-10.0, -12.5, 1)
    assert isinstance(result, TestResult) and result.statistic == 5.0
    assert result.distribution == "chi2" and result.df_num == 1 and result.df_denom is None
    assert str(result) == "likelihood-ratio test (chi2): statistic=5, p-value=0.02535, df=1"
    with pytest.raises(AttributeError):
        result.statistic = 1.0  # type: ignore[misc]


def test_bad_input():
    with pytest.raises(InvalidOptionError, match="fewer free parameters"):
        lr_test(-10.0, -12.0, 0)
    with pytest.raises(
        InvalidOptionError, match=r"score has 2 entries but the Hessian has shape \(3, 3\)"
    ):
        score_test(np.ones(2), -np.eye(3), 1)
    with pytest.raises(InvalidOptionError, match="df must be positive"):
        score_test(np.ones(2), -np.eye(2), 0)
