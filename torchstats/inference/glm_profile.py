"""Profile-likelihood confidence intervals for GLM coefficients (R's ``confint(glm)``).

The limits of coefficient ``j`` solve ``(D(b) - D) / dispersion = q^2``, ``q`` the normal
quantile, where ``D(b)`` is the deviance with ``b_j`` fixed at ``b`` (``x_j b`` moved into
the offset, the other coefficients refitted by IRLS). The root is found by Brent's method,
so the limits are exact to the root tolerance; R (MASS's ``profile.glm`` and
``confint.profile.glm``) instead interpolates a spline through a grid of profile points and
agrees to about 1e-4 relative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from scipy import optimize, stats

from torchstats.errors import NumericalError
from torchstats.inference.glm_anova import refit_deviance

__all__ = ["profile_conf_int"]

#: Brent's tolerance on a limit, relative to the coefficient's standard error
_ROOT_XTOL = 1e-12
#: how far (in standard errors) the search for a bracket goes before giving up
_MAX_REACH = 1e3


def _limit(gap: Any, estimate: float, se: float, side: int) -> float:
    reach = 3.0
    while gap(estimate + side * reach * se) < 0:
        reach *= 1.5
        if reach > _MAX_REACH:
            raise NumericalError(
                f"the profile deviance stays below the cutoff {_MAX_REACH:g} standard errors "
                "from the estimate (is the coefficient unbounded, as under separation?)"
            )
    ends = sorted((estimate, estimate + side * reach * se))
    return float(optimize.brentq(gap, *ends, xtol=_ROOT_XTOL * se, rtol=4 * np.finfo(float).eps))


def profile_conf_int(
    model: Any,
    params: torch.Tensor,
    bse: np.ndarray,
    *,
    deviance: float,
    dispersion: float,
    alpha: float = 0.05,
    columns: Sequence[int] | None = None,
) -> np.ndarray:
    """``(m, 2)`` profile-likelihood limits of the coefficients ``columns`` (default all).

    Parameters
    ----------
    model : GLM
        Supplies ``design.exog``, ``irls_problem`` and ``deviance_mu``.
    params : Tensor, shape (k,)
        The estimate.
    bse : ndarray, shape (k,)
        Standard errors (they only scale the search for a bracket and the tolerance).
    deviance, dispersion : float
        The fit's deviance and dispersion (R's ``summary(glm)$dispersion``).
    alpha : float
        ``1 - level``.
    columns : sequence of int, optional
        Positions of the coefficients.

    Raises
    ------
    NumericalError
        Where the profile deviance never reaches the cutoff (an unbounded coefficient).
    """
    X = model.design.exog
    q2 = float(stats.norm.ppf(1 - alpha / 2)) ** 2
    wanted = list(range(X.shape[1])) if columns is None else list(columns)
    limits = np.empty((len(wanted), 2))
    for row, j in enumerate(wanted):
        others = [c for c in range(X.shape[1]) if c != j]
        rest, column, start = X[:, others], X[:, j], params[others]

        def gap(
            value: float,
            rest: torch.Tensor = rest,
            column: torch.Tensor = column,
            start: torch.Tensor = start,
        ) -> float:
            refit = refit_deviance(model, rest, column * value, start_params=start)
            return (refit - deviance) / dispersion - q2

        estimate, se = float(params[j]), float(bse[j])
        limits[row] = [_limit(gap, estimate, se, -1), _limit(gap, estimate, se, 1)]
    return limits
