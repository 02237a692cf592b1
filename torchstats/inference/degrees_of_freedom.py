"""Zero residual degrees of freedom: statsmodels' inf/NaN values, and a warning that says so.

With as many parameters as observations (``df_resid = n - rank = 0``) the fit reproduces the
data exactly: the error variance ``SSR / df_resid`` is ``0 / 0``, or a rounding error over
zero, and every standard error, test and interval built on it is undefined. statsmodels
reports inf or NaN there (``SSR / 0`` in numpy) with at most a numpy ``RuntimeWarning``;
torchstats reports the same values and a :class:`~torchstats.errors.DegreesOfFreedomWarning`
that names the cause and the fix.
"""

from __future__ import annotations

import math

from torchstats.errors import DegreesOfFreedomWarning, warn

__all__ = ["per_degree_of_freedom", "warn_no_residual_df"]


def per_degree_of_freedom(total: float, df: float) -> float:
    """``total / df`` with numpy's value for ``df = 0``: ``±inf``, or NaN for ``0 / 0``."""
    if df == 0:
        return math.nan if total == 0 or math.isnan(total) else math.copysign(math.inf, total)
    return total / df


def warn_no_residual_df(model: str, nobs: float, rank: int, undefined: str) -> None:
    """Warn that ``df_resid = 0`` leaves ``undefined`` (e.g. "the scale") without a value."""
    warn(
        f"{model}: no residual degrees of freedom are left ({nobs:g} observations, rank "
        f"{rank}): the fit reproduces the data exactly, so {undefined} and the standard errors, "
        "tests and intervals built on it are undefined (inf or NaN, as in statsmodels). Fit "
        "fewer parameters than observations: add observations or drop regressors.",
        DegreesOfFreedomWarning,
    )
