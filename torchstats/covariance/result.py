"""The record a covariance estimator returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from torchstats.errors import NumericalRangeError

__all__ = ["CovarianceResult", "lost_range", "out_of_range"]


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
    units, unit_cov : Tensor or None, shapes (k,) and (k, k)
        Set when the covariance may leave float64's range (columns or a response scaled
        beyond about 1e±77): per-parameter powers of two ``u`` and the covariance of
        ``params / u``, which stays representable. ``cov`` is then its materialisation
        ``u_i u_j unit_cov_ij``, with inf or 0 where that over- or underflowed: read it
        through :meth:`checked_cov`; standard errors and tests use the scaled form.
    """

    cov: torch.Tensor
    cov_type: str
    use_t: bool
    df_resid: float
    description: str
    kwds: Mapping[str, Any] = field(default_factory=dict)
    units: torch.Tensor | None = None
    unit_cov: torch.Tensor | None = None

    def standard_errors(self) -> torch.Tensor:
        """Square roots of the variances, computed in the scaled form when there is one."""
        if self.units is None or self.unit_cov is None:
            return torch.sqrt(torch.diagonal(self.cov))
        return self.units * torch.sqrt(torch.diagonal(self.unit_cov))

    def checked_cov(self) -> torch.Tensor:
        """``cov``, or :class:`~torchstats.errors.NumericalRangeError` where a variance in
        it over- or underflowed float64 (it cannot be returned without losing it)."""
        if self.unit_cov is not None and lost_range(self.cov, self.unit_cov):
            raise out_of_range("the covariance of the estimates")
        return self.cov


def lost_range(materialized: torch.Tensor, scaled: torch.Tensor) -> bool:
    """Whether a matrix's diagonal over- or underflowed when ``scaled`` was brought to its
    units (``materialized``): an entry that is inf, or below the smallest normal float64,
    where the scaled one is finite and nonzero."""
    value, reference = torch.diagonal(materialized), torch.diagonal(scaled)
    tiny = torch.finfo(value.dtype).tiny
    lost = ~torch.isfinite(value) | (value.abs() < tiny)
    return bool((lost & torch.isfinite(reference) & (reference != 0)).any())


def out_of_range(what: str) -> NumericalRangeError:
    """The error for a matrix that cannot be returned in the data's units."""
    return NumericalRangeError(
        f"{what} lies beyond float64's range (variances above 1.8e308 or below 2.2e-308: the "
        "columns or the response are scaled by about 1e±150 or more). bse, tvalues, pvalues, "
        "conf_int, t_test and wald_test are computed in scaled form and are right, but the "
        "matrix cannot be returned; rescale the data (e.g. divide a column or the response by "
        "a power of ten) to get it"
    )
