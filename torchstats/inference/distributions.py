"""Reference distributions for Wald-type inference: t with ``df`` degrees of freedom, or normal.

scipy evaluates the distribution functions (torch has no Student-t CDF); only ``k`` numbers
cross to the host, and results return on the statistic's device and dtype.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import stats

__all__ = ["two_sided_pvalues", "critical_value", "f_pvalue", "chi2_pvalue"]


def _host(values: torch.Tensor) -> np.ndarray:
    return values.detach().cpu().double().numpy()


def two_sided_pvalues(statistic: torch.Tensor, df: float | None) -> torch.Tensor:
    """``2 * P(T > |t|)`` for Student's t with ``df`` degrees of freedom, or normal if None.

    Matches statsmodels: ``stats.t.sf(np.abs(t), df) * 2`` / ``stats.norm.sf(np.abs(z)) * 2``.
    """
    values = np.abs(_host(statistic))
    tail = stats.norm.sf(values) if df is None else stats.t.sf(values, df)
    return torch.as_tensor(2 * tail, dtype=statistic.dtype, device=statistic.device)


def critical_value(alpha: float, df: float | None) -> float:
    """Two-sided critical value ``q`` with ``P(|T| > q) = alpha``."""
    return float(stats.norm.ppf(1 - alpha / 2) if df is None else stats.t.ppf(1 - alpha / 2, df))


def f_pvalue(statistic: float, df_num: float, df_denom: float) -> float:
    """Upper tail of the F distribution, NaN for a NaN statistic."""
    return float(stats.f.sf(statistic, df_num, df_denom))


def chi2_pvalue(statistic: float, df: float) -> float:
    """Upper tail of the chi-squared distribution."""
    return float(stats.chi2.sf(statistic, df))
