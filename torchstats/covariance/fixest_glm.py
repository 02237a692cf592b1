"""Covariances of GLMs with absorbed fixed effects, as fixest and pyfixest compute them.

The estimate of :class:`~torchstats.models.fixed_effects_glm.FixedEffectsGLM` ends with an
iteration of weighted least squares on the demeaned design; fixest's inference is that
last least-squares problem's: the bread is ``(X~'WX~)^{-1}``, the scores ``W e X~`` (``e``
the working residual), the corrections those of :func:`~torchstats.covariance.fixest.\
fixest_covariance`, and the tests are z tests. The iid covariance is the bread times the
dispersion: 1 for families with a fixed scale (Poisson, the binomial), else Pearson's
chi-squared over ``n - 1``, which fixest's default correction ``(n - 1) / (n - K)`` turns
into statsmodels' scale over ``n - K``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from torchstats.covariance.fixest import (
    ClusterColumns,
    EffectCounts,
    SmallSample,
    VcovChoice,
    fixest_covariance,
)
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import DesignError
from torchstats.families.families import Family

__all__ = ["fixest_glm_covariance", "glm_dispersion", "pearson_chi2", "z_tests"]


def pearson_chi2(
    family: Family, endog: torch.Tensor, mu: torch.Tensor, weights: torch.Tensor | None
) -> float:
    """Pearson's chi-squared ``sum(w (y - mu)^2 / V(mu))``.

    Parameters
    ----------
    family : Family
        Gives the variance function ``V``.
    endog, mu : Tensor, shape (n,)
        The response and the fitted means.
    weights : Tensor, shape (n,), or None
        Prior weights ``w`` (None: all 1).

    Returns
    -------
    float
    """
    prior = 1.0 if weights is None else weights
    return float(torch.sum(prior * (endog - mu) ** 2 / family.variance(mu)))


def glm_dispersion(
    family: Family,
    endog: torch.Tensor,
    mu: torch.Tensor,
    weights: torch.Tensor | None,
    df: float,
) -> float:
    """The dispersion: 1 for a family with a fixed scale, else :func:`pearson_chi2` over
    ``df``.

    Parameters
    ----------
    family, endog, mu, weights
        As :func:`pearson_chi2`.
    df : float
        The divisor: the residual degrees of freedom (statsmodels' ``scale``) or ``n - 1``
        (what fixest's iid covariance multiplies the bread by before its correction).

    Returns
    -------
    float
    """
    if family.fixed_scale:
        return 1.0
    return pearson_chi2(family, endog, mu, weights) / df


def fixest_glm_covariance(
    choice: VcovChoice,
    ssc: SmallSample,
    *,
    irls_weights: torch.Tensor,
    design: torch.Tensor,
    working_resid: torch.Tensor,
    params: torch.Tensor,
    effects: EffectCounts,
    clusters: ClusterColumns | None,
    leave_out: Callable[[np.ndarray], torch.Tensor] | None,
    scale: float,
) -> CovarianceResult:
    """The covariance ``choice`` of a fixed-effects GLM, with fixest's corrections, for z
    tests.

    Parameters
    ----------
    choice, ssc
        The estimator and the small-sample corrections
        (:func:`~torchstats.covariance.fixest.read_vcov`,
        :func:`~torchstats.covariance.fixest.read_small_sample`).
    irls_weights : Tensor, shape (n,)
        ``W`` of the last IRLS iteration, prior weights included.
    design : Tensor, shape (n, k)
        ``X~``: the design with the effects projected out in the last iteration.
    working_resid : Tensor, shape (n,)
        ``z~ - X~ b`` of the last iteration.
    params : Tensor, shape (k,)
        The estimate.
    effects : EffectCounts
        The absorbed effects (empty ``n_levels`` for none).
    clusters : ClusterColumns or None
        The cluster codes, for CRV1 and CRV3.
    leave_out : callable or None
        CRV3's refit: the estimate without the rows of a mask (pyfixest's
        ``_vcov_crv3_slow`` refits the model on the data without the cluster).
    scale : float
        What the iid covariance multiplies the bread by (see the module notes).

    Returns
    -------
    CovarianceResult
        With ``use_t=False``.

    Raises
    ------
    DesignError
        HC2/HC3 with absorbed effects (pyfixest refuses them too).

    Notes
    -----
    ``"iid"``, ``"hetero"``/``"HC1"``, ``{"CRV1": "g"}``, ``{"CRV3": "g"}`` (one- or
    two-way, ``"g1+g2"``), and ``"HC2"``/``"HC3"`` without absorbed effects (``| 0``):
    pyfixest's ``fepois``/``feglm`` estimators. HC2/HC3 take the leverages ``h`` of
    ``sqrt(W) X~`` (scores over ``sqrt(1 - h)`` or ``1 - h``); CRV3 is the jackknife
    ``sum_g (b_(-g) - b)(b_(-g) - b)'`` of the refits, times the CRV1 corrections.
    """
    if choice.kind in ("HC2", "HC3") and effects.n_levels:
        # pyfixest 0.60 refuses them too (feols_._deparse_vcov_input)
        raise DesignError(
            f"{choice.kind} is not available for GLMs with absorbed fixed effects (the "
            "leverages of the absorbed dummies are not computed; pyfixest refuses it too): "
            "use 'hetero' (HC1), {'CRV1': 'g'} or {'CRV3': 'g'}, or put the effects among "
            "the regressors as dummies, 'y ~ x + C(f) | 0'"
        )
    root = torch.sqrt(irls_weights)
    weighted = design * root.unsqueeze(1)
    resid = working_resid * root
    bread = torch.linalg.inv(weighted.T @ weighted)
    covariance = fixest_covariance(
        choice,
        ssc,
        bread=bread,
        design=weighted,
        resid=resid,
        effects=effects,
        clusters=clusters,
        params=params,
        leave_out=leave_out if choice.kind == "CRV3" else None,
        scale=scale,
    )
    return z_tests(covariance)


def z_tests(covariance: CovarianceResult) -> CovarianceResult:
    """``covariance`` for z tests (``use_t=False``), as fixest's GLMs."""
    return CovarianceResult(
        covariance.cov,
        covariance.cov_type,
        False,
        covariance.df_resid,
        covariance.description,
        covariance.kwds,
    )
