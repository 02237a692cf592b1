"""Collinearity and outlier measures (``statsmodels.stats.outliers_influence``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from torchstats.errors import InvalidOptionError, TorchstatsWarning, warn
from torchstats.results.influence import outlier_test
from torchstats.stats._inputs import as_float_array, auxiliary_ols

__all__ = ["variance_inflation_factor", "outlier_test"]

# statsmodels: columns with a standard deviation below this are left unstandardized, and a
# condition number of the (standardized) design above the second threshold warns.
_CONSTANT_STD = 1e-10
_ILL_CONDITIONED = 1e4


def variance_inflation_factor(exog: Any, exog_idx: int, *, standardize: bool = True) -> float:
    """Variance inflation factor ``1 / (1 - R^2)`` of one column of the design.

    Parameters
    ----------
    exog : array_like, DataFrame or Tensor, shape (n, k)
        Design matrix (with the constant, if the model has one).
    exog_idx : int
        Column whose VIF is computed: ``R^2`` of its regression on the other columns.
    standardize : bool
        Standardize the non-constant columns first (statsmodels 0.15's default), which
        changes nothing when the design has a constant.

    Returns
    -------
    float

    Warns
    -----
    UserWarning
        When the (standardized) design has a condition number above 1e4, as statsmodels.

    Notes
    -----
    ``statsmodels.stats.outliers_influence.variance_inflation_factor``; ``R^2`` is clipped
    to ``[0, 1 - 1e-15]`` so that an exactly collinear column gives ``1e15``.
    """
    x = as_float_array(exog, "exog", ndim=2)
    k_vars = x.shape[1]
    if not -k_vars <= exog_idx < k_vars:
        raise InvalidOptionError(f"exog_idx {exog_idx} is out of range for {k_vars} columns")
    working = x
    if standardize:
        stds = x.std(axis=0)
        keep = stds > _CONSTANT_STD
        working = x.copy()
        working[:, keep] = (x[:, keep] - x.mean(axis=0)[keep]) / stds[keep]
    condition = np.linalg.cond(working)
    if condition > _ILL_CONDITIONED:
        warn(
            f"The design matrix is poorly conditioned (condition number={condition:.2e}). "
            "VIF calculations may be numerically unstable.",
            TorchstatsWarning,
        )
    others = np.arange(k_vars) != (exog_idx % k_vars)
    r_squared = auxiliary_ols(working[:, exog_idx], working[:, others]).rsquared
    r_squared = float(np.clip(r_squared, 0.0, 1.0 - 1e-15))
    return 1.0 / (1.0 - r_squared)
