"""Separation: the warning that a maximum likelihood estimate does not exist.

A regressor that separates the outcomes (a dummy that is 1 only where ``y = 0``) makes the
likelihood rise without bound along its coefficient: the fit stops where float64 stops
telling the points apart, with a coefficient near -30 and a standard error of 1e5 or more,
and looks converged. The binary, multinomial and count models and the GLMs of families
whose range has a boundary the response can take (the binomial's 0 and 1, counts' 0) warn
with statsmodels' :class:`~torchstats.errors.PerfectSeparationWarning` when rows are
predicted exactly at that boundary and the estimates diverge.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from torchstats.errors import PerfectSeparationWarning, warn
from torchstats.structured.blas import gram_matrix

__all__ = [
    "LOG_PERFECT_PREDICTION_TOL",
    "PERFECT_PREDICTION_TOL",
    "nearly_singular",
    "warn_if_diverging",
    "warn_if_separated",
]

# |y - p| below which an observation counts as perfectly predicted: the ``atol`` of
# ``np.allclose`` in statsmodels' ``DiscreteModel._check_perfect_pred``.
PERFECT_PREDICTION_TOL = 1e-8
#: Its log: a probability or mean compared on the log scale, without an ``exp`` pass.
LOG_PERFECT_PREDICTION_TOL = math.log(PERFECT_PREDICTION_TOL)
# Smallest eigenvalue of the information relative to X'X (the mean curvature weight along
# the flattest direction) below which that direction counts as unidentified, as a power of
# eps: sqrt(eps) = 1.5e-8 in float64. Weights are at most 1/4 (logit) and 2/pi (probit) and
# stay above ~1e-5 along every direction of a well-posed fit; the separated observations of
# a diverging fit contribute p(1 - p) < 1e-8, which falls to ~1e-12 by Newton's stop.
_FLAT_DIRECTION_EPS_POWER = 0.5


def nearly_singular(hessian: torch.Tensor, gram: torch.Tensor) -> bool:
    """Whether the information ``-H = X' W X`` is flat along some direction relative to
    ``gram = X'X``.

    The smallest eigenvalue of ``L^{-1} (-H) L^{-T}`` (``X'X = L L'``) is the smallest
    weighted-mean curvature over directions; a rank-deficient ``X`` is reported separately.
    A Hessian of ``m`` equations over the same ``X`` (MNLogit) is compared with
    ``I_m (x) X'X``.
    """
    factor, info = torch.linalg.cholesky_ex(gram)
    if int(info) != 0:
        return False
    factor = torch.block_diag(*[factor] * (hessian.shape[0] // factor.shape[0]))
    scaled = torch.linalg.solve_triangular(factor, -hessian, upper=False)
    scaled = torch.linalg.solve_triangular(factor, scaled.T, upper=False)
    eigenvalues = torch.linalg.eigvalsh((scaled + scaled.T) / 2)
    return bool(eigenvalues[0] <= torch.finfo(gram.dtype).eps ** _FLAT_DIRECTION_EPS_POWER)


def warn_if_separated(
    model_name: str, perfect: int, nobs: int, diverging: Callable[[], bool]
) -> None:
    """statsmodels' perfect-separation warning: every one of ``nobs`` observations
    predicted exactly (``perfect``), or some of them while the estimates diverge
    (``diverging()``: not converged, or a flat information)."""
    if perfect == 0:
        return
    if perfect == nobs:
        kind = "complete separation: every observation is predicted exactly"
    elif diverging():
        kind = (
            f"quasi-complete separation: {perfect} of {nobs} observations are predicted "
            "exactly and the estimates diverge"
        )
    else:
        return
    warn(
        f"{model_name}: perfect separation or prediction detected ({kind}). The maximum "
        "likelihood estimate does not exist and some parameters are not identified; their "
        "estimates and standard errors are meaningless. Remove or combine the regressors "
        "that separate the outcomes, or use penalised (Firth) regression",
        PerfectSeparationWarning,
    )


def warn_if_diverging(
    model_name: str,
    perfect: int,
    nobs: int,
    converged: bool,
    hessian: Callable[[], torch.Tensor],
    exog: Any,
) -> None:
    """:func:`warn_if_separated` with the likelihood models' divergence test: not
    converged, or ``hessian()`` (the block of the coefficients of ``exog``) flat against
    ``exog'exog`` (:func:`nearly_singular`); both computed only when rows are predicted
    exactly."""
    warn_if_separated(
        model_name,
        perfect,
        nobs,
        lambda: not converged or nearly_singular(hessian(), gram_matrix(exog)),
    )
