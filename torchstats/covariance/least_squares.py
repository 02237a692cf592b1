"""Heteroscedasticity-robust covariances of least squares, in an orthonormal basis.

The HC sandwich ``(X'WX)^{-1} X' Omega X (X'WX)^{-1}`` formed as written cancels: the
result is smaller than its factors by up to ``cond(X)^2``, and on Longley
(``cond(X) = 5e9``) it keeps only 8 digits (statsmodels: 9). With ``Z = sqrt(w) X M``
orthonormal and ``(X'WX)^{-1} = M M'`` (:func:`~torchstats.solvers.leverage.orthonormal_basis`)
the same covariance is ``M (Z' Omega Z) M'``: the middle is a sum of positive terms, and
the leverages ``h_i = ||z_i||^2`` that HC2 and HC3 divide by come from the same basis. Its
error is about ``cond(X_s) eps`` for large designs, ``X_s`` the equilibrated design, and
``eps`` for small ones, whose basis is formed exactly rounded (Longley: 3e-16 against exact
rational arithmetic). Large designs pass over the rows twice for HC2/HC3 (the leverages
first, for one warning naming every observation of leverage one), once for HC0/HC1.

The results use this route where the basis is not ``well_conditioned``: below
``cond(X_s)^2 = 1e3`` the sandwich as written errs by less than 2e-13 and costs one pass
over the data less (see :mod:`torchstats.results.regression`).
"""

from __future__ import annotations

import pandas as pd
import torch

from torchstats.covariance.meats import leverage_factors, warn_leverage_one
from torchstats.solvers.leverage import OrthonormalBasis, leverage_one
from torchstats.structured.blas import gram_matrix
from torchstats.structured.block_matrix import BlockMatrix

__all__ = ["white_covariance"]


def white_covariance(
    basis: OrthonormalBasis,
    X: torch.Tensor | BlockMatrix,
    weights: torch.Tensor | None,
    wresid: torch.Tensor,
    leverage_power: int,
    *,
    leverage: torch.Tensor | None = None,
    row_labels: pd.Index | None = None,
) -> torch.Tensor:
    """HC0 (``leverage_power=0``), HC2 (1) or HC3 (2) covariance of a least-squares fit.

    Parameters
    ----------
    basis : OrthonormalBasis
        Of the weighted design ``sqrt(w) X``.
    X : Tensor or BlockMatrix, shape (n, k)
        The design, not whitened.
    weights : Tensor, shape (n,), optional
        WLS weights.
    wresid : Tensor, shape (n,)
        Whitened residuals ``sqrt(w) (y - X b)``.
    leverage_power : int
    leverage : Tensor, shape (n,), optional
        The leverages in ``basis`` (:func:`~torchstats.solvers.leverage.hat_diagonal`),
        required for HC2/HC3.
    row_labels : pandas.Index, optional
        To name observations of leverage one in the warning.

    Returns
    -------
    Tensor, shape (k, k)
        ``sum_i e_i^2 / (1 - h_i)^p b_i b_i'`` with ``b_i = (X'WX)^{-1} sqrt(w_i) x_i``
        (statsmodels' ``cov_HC0``-``cov_HC3`` before HC1's factor); NaN, with a
        :class:`~torchstats.errors.LeverageWarning`, where an observation of leverage one
        makes HC2/HC3 undefined.
    """
    factors = wresid**2
    if leverage_power:
        if leverage is None:
            raise ValueError("HC2 and HC3 need the leverages")
        factors = factors * leverage_factors(leverage, leverage_power)
        warn_leverage_one(leverage_one(leverage), leverage_power, row_labels)
    if weights is not None and basis.rows is None:  # blocks of X M: the rows' weights here
        factors = factors * weights
    M = basis.transform
    meat = torch.zeros_like(M)
    for start, U, _ in basis.blocks(X, weights):
        meat += gram_matrix(U, factors[start : start + U.shape[0]])
    cov = M @ meat @ M.T
    return 0.5 * (cov + cov.T)
