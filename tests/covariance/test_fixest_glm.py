"""Covariances of the fixed-effects GLMs as free functions (covariance/fixest_glm.py):
the dispersion, the iid bread, the refusals, and the NB2 log-likelihood."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import torch

from torchstats.covariance.fixest import EffectCounts, SmallSample, VcovChoice
from torchstats.covariance.fixest_glm import (
    fixest_glm_covariance,
    glm_dispersion,
    nb2_loglike_obs,
    negbin_profile_covariance,
    pearson_chi2,
)
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import DesignError, InvalidOptionError
from torchstats.families import families as F

RNG = np.random.default_rng(0)
N, K = 200, 2
X = torch.as_tensor(RNG.normal(size=(N, K)))
Y = torch.as_tensor(RNG.poisson(2.0, N).astype(float))
MU = torch.full((N,), 2.0, dtype=torch.float64)
W = torch.as_tensor(RNG.uniform(0.5, 2.0, N))
NO_EFFECTS = EffectCounts((), np.zeros((N, 0), dtype=np.int64), ())


def test_dispersion_is_one_for_fixed_scale_else_pearson_over_df() -> None:
    assert glm_dispersion(F.Poisson(), Y, MU, W, 10.0) == 1.0
    expected = float(torch.sum(W * (Y - MU) ** 2)) / 150.0
    assert glm_dispersion(F.Gaussian(), Y, MU, W, 150.0) == pytest.approx(expected, rel=1e-14)
    assert pearson_chi2(F.Poisson(), Y, MU, None) == pytest.approx(
        float(torch.sum((Y - MU) ** 2 / MU)), rel=1e-14
    )


def _covariance(
    choice: VcovChoice, small_sample: SmallSample, effects: EffectCounts, scale: float
) -> CovarianceResult:
    """The covariance of the module's weighted problem at zero coefficients, no clusters."""
    return fixest_glm_covariance(
        choice,
        small_sample,
        irls_weights=W,
        design=X,
        working_resid=Y - MU,
        params=torch.zeros(K, dtype=torch.float64),
        effects=effects,
        clusters=None,
        leave_out=None,
        scale=scale,
    )


def test_iid_without_correction_is_the_bread_times_the_scale() -> None:
    covariance = _covariance(VcovChoice("iid"), SmallSample(k_adj=False), NO_EFFECTS, 2.5)
    expected = 2.5 * torch.linalg.inv(X.T @ (X * W.unsqueeze(1)))
    torch.testing.assert_close(covariance.cov, expected, rtol=1e-12, atol=0)
    assert covariance.use_t is False


def test_hc3_with_absorbed_effects_is_refused() -> None:
    effects = EffectCounts((4,), RNG.integers(0, 4, (N, 1)), ("f",))
    with pytest.raises(DesignError, match="HC3 is not available for GLMs"):
        _covariance(VcovChoice("HC3"), SmallSample(), effects, 1.0)


def test_nb2_loglike_is_the_negative_binomial_pmf() -> None:
    alpha = 0.7
    expected = scipy.stats.nbinom.logpmf(Y.numpy(), 1 / alpha, 1 / (1 + alpha * MU.numpy()))
    values = nb2_loglike_obs(Y, MU, torch.tensor(alpha, dtype=torch.float64))
    np.testing.assert_allclose(values.numpy(), expected, rtol=1e-12)


def test_negbin_refuses_crv3_before_reading_clusters() -> None:
    with pytest.raises(InvalidOptionError, match="not available for the negative binomial"):
        negbin_profile_covariance(
            VcovChoice("CRV3", ("g",)),
            SmallSample(),
            endog=Y,
            exog=X,
            mu=MU,
            alpha=0.5,
            demean=lambda columns, weights: columns,
            params=torch.zeros(K, dtype=torch.float64),
            effects=NO_EFFECTS,
            clusters=None,
        )
