"""Covariances of GLMs with absorbed fixed effects, as fixest and pyfixest compute them.

The estimate of :class:`~torchstats.models.fixed_effects_glm.FixedEffectsGLM` ends with an
iteration of weighted least squares on the demeaned design; fixest's inference is that
last least-squares problem's: the bread is ``(X~'WX~)^{-1}``, the scores ``W e X~`` (``e``
the working residual), the corrections those of :func:`~torchstats.covariance.fixest.\
fixest_covariance`, and the tests are z tests. The iid covariance is the bread times the
dispersion: 1 for families with a fixed scale (Poisson, the binomial), else Pearson's
chi-squared over ``n - 1``, which fixest's default correction ``(n - 1) / (n - K)`` turns
into statsmodels' scale over ``n - K``.

The negative binomial with ``alpha`` estimated
(:class:`~torchstats.models.fixed_effects_negbin.FixedEffectsNegativeBinomial`) has its
own: the observed information with ``alpha`` and the effects profiled out, and the
sandwiches of the efficient scores (:func:`negbin_profile_covariance`).
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
from torchstats.errors import DesignError, InvalidOptionError
from torchstats.families.count_distributions import negbin_p_logpmf
from torchstats.families.families import Family
from torchstats.solvers.demean import column_major

__all__ = [
    "fixest_glm_covariance",
    "glm_dispersion",
    "nb2_loglike_obs",
    "negbin_profile_covariance",
    "pearson_chi2",
    "z_tests",
]


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


def nb2_loglike_obs(endog: torch.Tensor, mu: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """The NB2 log-likelihood of each row (statsmodels' ``nb2``, NB-P with ``p = 2``),
    differentiable in ``alpha``.

    Parameters
    ----------
    endog, mu : Tensor, shape (n,)
        The counts and their means.
    alpha : Tensor, shape ()
        The dispersion (``Var(y) = mu + alpha mu^2``).

    Returns
    -------
    Tensor, shape (n,)
    """
    return negbin_p_logpmf(endog, mu, alpha, 2)


def negbin_profile_covariance(
    choice: VcovChoice,
    ssc: SmallSample,
    *,
    endog: torch.Tensor,
    exog: torch.Tensor,
    mu: torch.Tensor,
    alpha: float,
    demean: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    params: torch.Tensor,
    effects: EffectCounts,
    clusters: ClusterColumns | None,
) -> CovarianceResult:
    """The covariance of the coefficients of NB2 with fixed effects, ``alpha`` and the
    effects profiled out: the observed information's (iid), or the sandwich of the
    efficient scores (hetero, CRV1), with fixest's corrections, for z tests.

    Parameters
    ----------
    choice, ssc
        The estimator (``"iid"``, ``"hetero"``/``"HC1"`` or CRV1) and the small-sample
        corrections.
    endog, mu : Tensor, shape (n,)
        The counts and the fitted means.
    exog : Tensor, shape (n, k)
        The regressors (not demeaned).
    alpha : float
        The estimated dispersion.
    demean : callable
        ``demean(columns, weights)``: the residuals of ``columns`` (n, m, column-major, may
        be overwritten) on the effects with ``weights``.
    params : Tensor, shape (k,)
        The estimate.
    effects : EffectCounts
        The absorbed effects.
    clusters : ClusterColumns or None
        The cluster codes, for CRV1.

    Returns
    -------
    CovarianceResult
        With ``use_t=False``.

    Raises
    ------
    InvalidOptionError
        Another estimator (CRV3, HC2, HC3).

    Notes
    -----
    With ``h = mu (1 + alpha y) / (1 + alpha mu)^2`` the observed weights,
    ``c = (y - mu) mu / (1 + alpha mu)^2`` the cross-derivative in ``eta`` and ``alpha``,
    ``v = c / h``, and ``X~, v~`` demeaned with weights ``h``::

        J_bb = X~'HX~,   J_ba = X~'c,   J_aa = j_aa - (v'Hv - v~'Hv~),
        cov = (J_bb - J_ba J_ba' / J_aa)^{-1}.

    The sandwich is ``B (sum_i e_i e_i') B`` with ``B`` the covariance above and the
    efficient scores ``e_i = x~_i g_i - a~_i J_ba / J_aa`` (``g = (y - mu) / (1 + alpha
    mu)``, ``a~`` alpha's score less ``(v - v~) g``), summed within clusters for CRV1.
    """
    if choice.kind not in ("iid", "hetero", "HC1", "CRV1"):
        raise InvalidOptionError(
            f"vcov {choice.kind!r} is not available for the negative binomial with fixed "
            "effects: choose 'iid', 'hetero' or {'CRV1': 'g'}"
        )
    y = endog
    a = torch.tensor(alpha, dtype=mu.dtype, device=mu.device)
    h = mu * (1 + a * y) / (1 + a * mu) ** 2
    c = (y - mu) * mu / (1 + a * mu) ** 2
    v = c / h
    resid = demean(column_major(exog, v), h)
    X, v_tilde = resid[:, :-1], resid[:, -1]
    j_bb = X.T @ (X * h.unsqueeze(1))
    j_ba = X.T @ c
    j_aa = -torch.func.hessian(lambda b: torch.sum(nb2_loglike_obs(y, mu, b)))(a)
    j_aa = j_aa - (v @ (h * v) - v_tilde @ (h * v_tilde))
    bread = torch.linalg.inv(j_bb - torch.outer(j_ba, j_ba) / j_aa)
    # Efficient scores: the coefficients' scores less their projection on the effects'
    # and alpha's (x~ g for the effects; alpha's own score, its effects part removed).
    g = (y - mu) / (1 + a * mu)
    score_alpha = torch.func.jacfwd(lambda b: nb2_loglike_obs(y, mu, b))(a)
    score_alpha = score_alpha - (v - v_tilde) * g
    scores = X * g.unsqueeze(1) - torch.outer(score_alpha, j_ba / j_aa)
    # fixest_covariance forms the scores as design * resid: hand it the scores whole.
    covariance = fixest_covariance(
        choice,
        ssc,
        bread=bread,
        design=scores,
        resid=torch.ones_like(y),
        effects=effects,
        clusters=clusters,
        params=params,
        scale=1.0,
    )
    return z_tests(covariance)
