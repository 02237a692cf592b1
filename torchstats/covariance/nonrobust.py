"""The classical covariance: the scaled inverse Hessian."""

from __future__ import annotations

import torch

from torchstats.covariance.result import CovarianceResult

__all__ = ["nonrobust_covariance", "NONROBUST_DESCRIPTION"]

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
