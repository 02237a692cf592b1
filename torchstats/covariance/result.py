"""The record a covariance estimator returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["CovarianceResult"]


@dataclass(frozen=True, slots=True)
class CovarianceResult:
    """A parameter covariance and how inference with it is done.

    Attributes
    ----------
    cov : Tensor, shape (k, k)
        Covariance of the estimates.
    cov_type : str
        statsmodels' name of the estimator (``"nonrobust"``, ``"HC1"``, ...).
    use_t : bool
        Whether tests and intervals use Student's t (with ``df_resid``) or the normal.
    df_resid : float
        Denominator degrees of freedom for t and F tests.
    description : str
        The sentence statsmodels prints in the summary notes for this covariance.
    kwds : mapping
        The estimator's options (statsmodels' ``cov_kwds``).
    """

    cov: torch.Tensor
    cov_type: str
    use_t: bool
    df_resid: float
    description: str
    kwds: Mapping[str, Any] = field(default_factory=dict)
