"""``info_criteria(crit, dk_params)`` and ``scale`` against live statsmodels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
import torch

import torchstats as ts
from tests.models.discrete_cases import make_discrete_frame
from torchstats.errors import InvalidOptionError
from torchstats.models.binary import Logit, Probit
from torchstats.models.count import NegativeBinomial, Poisson

DISCRETE = [
    (Logit, sm.Logit, "yb", ()),
    (Probit, sm.Probit, "yb", ()),
    (Poisson, sm.Poisson, "yc", ()),
    (NegativeBinomial, sm.NegativeBinomial, "yn", ("nb2",)),
    (NegativeBinomial, sm.NegativeBinomial, "yn", ("nb1",)),
    (NegativeBinomial, sm.NegativeBinomial, "yn", ("geometric",)),
]


def _design(seed: int):
    frame = make_discrete_frame(seed)
    return frame, sm.add_constant(frame[["x1", "x2"]])


def _discrete_pair(case, seed: int, cov_type: str = "nonrobust"):
    ours_cls, theirs_cls, response, args = case
    frame, X = _design(seed)
    ours = ours_cls(frame[response], X, *args).fit(cov_type=cov_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = theirs_cls(frame[response], X, *args).fit(
            disp=0, method="newton", maxiter=100, cov_type=cov_type
        )
    return ours, theirs


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", DISCRETE, ids=lambda c: c[0].__name__ + "".join(c[3]))
def test_discrete_info_criteria(case, seed, cov_type):
    ours, theirs = _discrete_pair(case, seed, cov_type)
    for crit in ("aic", "bic", "tic", "AIC"):
        for dk_params in (0, 1, 2.5):
            np.testing.assert_allclose(
                ours.info_criteria(crit, dk_params=dk_params),
                theirs.info_criteria(crit, dk_params=dk_params),
                rtol=1e-9,
                err_msg=f"{crit} {dk_params}",
            )
    np.testing.assert_allclose(ours.info_criteria("gbic"), theirs.info_criteria("gbic"), rtol=1e-9)
    np.testing.assert_allclose(ours.im_ratio, theirs.im_ratio, rtol=1e-7, atol=1e-9)
    assert ours.info_criteria("aic") == pytest.approx(ours.aic, rel=1e-12)  # a constant: k agree
    assert ours.scale == theirs.scale == 1.0


def test_unknown_criterion():
    ours, _ = _discrete_pair(DISCRETE[0], 0)
    with pytest.raises(InvalidOptionError, match="unknown information criterion 'hqic'.*'tic'"):
        ours.info_criteria("hqic")


GLM_FAMILIES = [
    (ts.families.Poisson, sm.families.Poisson, "yc"),
    (ts.families.Binomial, sm.families.Binomial, "yb"),
    (ts.families.Gaussian, sm.families.Gaussian, "x3"),
    (ts.families.Gamma, sm.families.Gamma, "x2"),
]


@pytest.mark.parametrize("family", GLM_FAMILIES, ids=lambda f: f[0].__name__)
def test_glm_info_criteria(family):
    ours_family, theirs_family, response = family
    frame, X = _design(2)
    ours = ts.GLM(frame[response], X, family=ours_family()).fit()
    theirs = sm.GLM(frame[response], X, family=theirs_family()).fit()
    for crit in ("aic", "bic"):
        for dk_params in (0, 1):
            np.testing.assert_allclose(
                ours.info_criteria(crit, dk_params=dk_params),
                theirs.info_criteria(crit, dk_params=dk_params),
                rtol=1e-10,
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels: QAIC only for count families
        expected = theirs.info_criteria("qaic", scale=1.7, dk_params=1)
        np.testing.assert_allclose(
            ours.info_criteria("qaic", scale=1.7, dk_params=1), expected, rtol=1e-10
        )
    np.testing.assert_allclose(ours.scale, theirs.scale, rtol=1e-10)


class _TorchProbit(ts.GenericLikelihoodModel):
    def loglikeobs(self, params):
        q = 2 * self.endog - 1
        return torch.special.log_ndtr(q * (self.exog @ params))


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_likelihood_engine_info_criteria(cov_type):
    # the same likelihood as statsmodels' Probit: the same llf, Hessian and scores
    frame, X = _design(3)
    ours = _TorchProbit(frame["yb"], X).fit(cov_type=cov_type)
    theirs = sm.Probit(frame["yb"], X).fit(disp=0, cov_type=cov_type)
    for crit in ("aic", "bic", "tic"):
        for dk_params in (0, 2):
            np.testing.assert_allclose(
                ours.info_criteria(crit, dk_params=dk_params),
                theirs.info_criteria(crit, dk_params=dk_params),
                rtol=1e-9,
            )
    np.testing.assert_allclose(ours.info_criteria("gbic"), theirs.info_criteria("gbic"), rtol=1e-9)
    assert ours.info_criteria("aic") == pytest.approx(ours.aic, rel=1e-14)
    assert ours.info_criteria("bic") == pytest.approx(ours.bic, rel=1e-14)


def test_likelihood_engine_info_criteria_with_fixed_parameters():
    y = torch.tensor(np.random.default_rng(4).normal(1.0, 2.0, 300))
    model = ts.MLE(
        lambda mu, sigma: torch.distributions.Normal(mu, sigma).log_prob(y),
        start_params={"mu": 0.0, "sigma": 1.0},
        positive=["sigma"],
    )
    restricted = model.fit(fixed={"mu": 1.0})
    # one estimated parameter: im_ratio is 1 x 1 and about 1 for a correct model
    assert restricted.im_ratio.shape == (1, 1)
    assert restricted.info_criteria("aic") == pytest.approx(-2 * restricted.llf + 2)
    assert abs(restricted.info_criteria("tic") - restricted.info_criteria("aic")) < 1.0
