"""The cluster jackknife (CRV3) of least squares: leave-one-cluster-out estimates.

Dropping cluster ``g`` moves the estimate by ``d_g = -(A - A_g)^{-1} X_g' W_g e_g`` with
``A = X'WX`` and ``A_g = X_g' W_g X_g`` (a rank-k update of the full fit; no refit), so the
whole jackknife costs one pass for the per-cluster Gram matrices and ``G`` small solves.
"""

from __future__ import annotations

import torch

from torchstats.covariance.scores import JackknifeScoreSource
from torchstats.errors import InvalidOptionError

__all__ = ["cluster_jackknife"]


def cluster_jackknife(
    scores: JackknifeScoreSource,
    bread: torch.Tensor,
    codes: torch.Tensor,
    n_groups: int,
    *,
    center: str,
) -> torch.Tensor:
    """``sum_g (b_(g) - c)(b_(g) - c)'`` over the leave-one-cluster-out estimates.

    Parameters
    ----------
    scores : JackknifeScoreSource
        In-memory scores ``x_i w_i e_i`` of a least-squares fit.
    bread : Tensor, shape (k, k)
        ``(X'WX)^{-1}``; its inverse is ``A`` (as statsmodels).
    codes : Tensor of int64, shape (n,)
        Cluster codes ``0..G-1``.
    n_groups : int
        ``G``, at least 2.
    center : {"estimate", "mean"}
        ``c``: the full-sample estimate (CRV3, statsmodels ``"cluster-crv3"``) or the mean
        of the ``b_(g)`` (statsmodels ``"cluster-jk"``).

    Returns
    -------
    Tensor, shape (k, k)
        Before the factor ``(G - 1) / G``.

    Raises
    ------
    InvalidOptionError
        If dropping a cluster leaves a rank-deficient design.

    Notes
    -----
    statsmodels ``sandwich_covariance._cluster_jackknife`` (MacKinnon, Nielsen & Webb 2023,
    "Fast and reliable jackknife and bootstrap methods for cluster-robust inference");
    pyfixest ``vcov={"CRV3": ...}`` and R ``sandwich::vcovJK`` / ``vcovCL(type="HC3")``
    differ only in the constant factor.
    """
    grams = scores.cluster_grams(codes, n_groups)
    sums = scores.group_sums(codes, n_groups)
    full = torch.linalg.inv(bread)
    full = 0.5 * (full + full.T)
    remaining = full - grams
    k = bread.shape[0]
    ranks = torch.linalg.matrix_rank(remaining)
    deficient = torch.nonzero(ranks < k).reshape(-1)
    if deficient.numel():
        raise InvalidOptionError(
            f"the cluster jackknife needs every leave-one-cluster-out fit: dropping cluster "
            f"{int(deficient[0])} (the {int(deficient[0]) + 1}th in sorted label order) leaves "
            "a rank-deficient design, typically a regressor or fixed effect that is constant "
            "within it; use cov_type='cluster' (CRV1)"
        )
    shifts = -torch.linalg.solve(remaining, sums[:, :, None])[:, :, 0]
    if center == "mean":
        shifts = shifts - shifts.mean(dim=0)
    cov = shifts.T @ shifts
    return 0.5 * (cov + cov.T)
