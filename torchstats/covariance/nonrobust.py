"""The classical covariance: the scaled inverse Hessian."""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from torchstats.covariance.result import CovarianceResult
from torchstats.errors import NumericalRangeError
from torchstats.solvers.result import SolverResult

__all__ = [
    "nonrobust_covariance",
    "least_squares_covariance",
    "parameter_units",
    "require_data_units",
    "NONROBUST_DESCRIPTION",
]

NONROBUST_DESCRIPTION = (
    "Standard Errors assume that the covariance matrix of the errors is correctly specified."
)


def nonrobust_covariance(
    inverse_hessian: torch.Tensor, scale: float | torch.Tensor, *, df_resid: float, use_t: bool
) -> CovarianceResult:
    """``scale * H^{-1}``: statsmodels' ``cov_type="nonrobust"``.

    Parameters
    ----------
    inverse_hessian : Tensor, shape (k, k)
        Inverse of the Hessian of the negative log-likelihood per unit scale; for least
        squares ``(X'WX)^{-1}`` (statsmodels' ``normalized_cov_params``).
    scale : float
        Dispersion: ``ssr / df_resid`` for least squares, 1 for likelihood models whose
        Hessian already includes it.
    df_resid : float
        Residual degrees of freedom, for t and F tests.
    use_t : bool
        Whether inference uses the t distribution.
    """
    return CovarianceResult(
        cov=inverse_hessian * scale,
        cov_type="nonrobust",
        use_t=use_t,
        df_resid=df_resid,
        description=NONROBUST_DESCRIPTION,
        kwds={"description": NONROBUST_DESCRIPTION},
    )


# Parameters whose units c / d lie beyond 2^±256 may have variances beyond float64's range
# (u^2 beyond 2^±512, times (X_s'X_s)^{-1} up to 1e16 and a scale of any size).
_UNIT_EXPONENT_LIMIT = 256


def parameter_units(fit: SolverResult) -> torch.Tensor | None:
    """The units ``c / d`` of the parameters of a least-squares solve (``c`` the response's
    power-of-two scale, ``d`` the columns'), when the response was scaled or a column lies
    beyond ``2^±256``; else None, and the covariance is held in the data's units as usual."""
    d = fit.column_scale
    if d is None or fit.scaled_normalized_cov is None:
        return None
    limit = 2.0**_UNIT_EXPONENT_LIMIT
    if fit.response_scale == 1.0 and all(1 / limit <= value <= limit for value in d.tolist()):
        return None
    return fit.response_scale / d


def least_squares_covariance(
    fit: SolverResult, scale: float, *, df_resid: float, use_t: bool
) -> CovarianceResult:
    """``scale (X'WX)^{-1}`` of a least-squares solve (OLS, WLS, the last IRLS step).

    ``scale`` is in the squared units of the solved response, ``c^2`` times smaller than in
    the data's when the solver scaled the response by ``c``. When the parameters have units
    (:func:`parameter_units`) the covariance is also held as that of ``params / u``
    (:class:`CovarianceResult` ``units``), which stays within float64 whatever the scales.
    """
    assert fit.normalized_cov is not None
    units = parameter_units(fit)
    if units is None:  # c = 1 (a rank-deficient fit of a scaled response: may hold inf)
        c2 = fit.response_scale**2 if fit.response_scale < 2.0**500 else math.inf
        return nonrobust_covariance(fit.normalized_cov, scale * c2, df_resid=df_resid, use_t=use_t)
    assert fit.scaled_normalized_cov is not None
    unit_cov = scale * fit.scaled_normalized_cov
    materialized = unit_cov * units[:, None] * units[None, :]
    covariance = nonrobust_covariance(materialized, 1.0, df_resid=df_resid, use_t=use_t)
    return replace(covariance, units=units, unit_cov=unit_cov)


def require_data_units(fit: SolverResult, what: str) -> None:
    """Refuse ``what``, computed in the data's units, when those leave float64's range (a
    least-squares or IRLS fit of columns or a response scaled beyond about 1e±77).

    Raises
    ------
    NumericalRangeError
        Naming ``what`` and the remedy (rescale the data).
    """
    if parameter_units(fit) is not None:
        raise NumericalRangeError(
            f"{what} of this fit are computed in the data's units, and its columns or "
            "response are scaled so far (beyond about 1e±77) that those leave float64's "
            "range; params, bse, tvalues, pvalues, conf_int and tests are right. Rescale "
            "the data (e.g. divide a column or the response by a power of ten) for them"
        )
