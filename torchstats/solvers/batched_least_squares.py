"""Many small least-squares problems solved at once: one batched QR and SVD per call.

Groups are padded with zero rows to a common height ``m`` (zero rows change neither the
solution nor any sum of squares), so that ``torch.linalg.qr`` runs over a ``(G, m, k)``
batch in a few kernels, on the CPU or the GPU, with no Python loop over groups. Each group
is column-equilibrated first. Groups whose ``R`` is certainly of full rank (Frobenius
condition number below numpy's ``matrix_rank`` cutoff) are solved with the triangular
inverse; only the others pay for an SVD of ``R``, which gives their rank, and a rank-deficient
group gets statsmodels' minimum-norm ``pinv`` answer, never a silently wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["BatchedSolution", "pad_groups", "solve_batched"]


@dataclass(frozen=True)
class BatchedSolution:
    """What :func:`solve_batched` found, one entry per group ``g`` and response ``j``.

    Attributes
    ----------
    params : Tensor, shape (G, r, k)
    normalized_cov : Tensor, shape (G, k, k)
        ``(X_g' X_g)^+``.
    rank : Tensor, shape (G,)
    resid : Tensor, shape (G, m, r)
        Residuals of the padded rows (zero on padding).
    hat_factor : Tensor, shape (G, m, k)
        ``A`` with ``A A' = X (X'X)^+ X'``: row sums of ``A**2`` are the leverages.
    """

    params: torch.Tensor
    normalized_cov: torch.Tensor
    rank: torch.Tensor
    resid: torch.Tensor
    hat_factor: torch.Tensor


def pad_groups(
    codes: torch.Tensor, n_groups: int, *columns: torch.Tensor
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Scatter rows into ``(G, m, ...)`` blocks by group code, zero-padded.

    Parameters
    ----------
    codes : Tensor, shape (n,)
        Group codes in ``0..G-1``.
    n_groups : int
    *columns : Tensor, shape (n, c)
        The row data to scatter.

    Returns
    -------
    counts : Tensor, shape (G,)
        Rows per group.
    blocks : list of Tensor, shape (G, m, c)
        ``m`` is the largest group (at least ``c`` of the first block, so that QR is
        reduced to a square ``R``).
    """
    order = torch.argsort(codes, stable=True)
    sorted_codes = codes[order]
    counts = torch.bincount(sorted_codes, minlength=n_groups)
    starts = torch.cumsum(counts, 0) - counts
    slot = torch.arange(codes.shape[0], device=codes.device) - starts[sorted_codes]
    height = max(int(counts.max()), columns[0].shape[1] if columns else 0)
    blocks = []
    for values in columns:
        block = values.new_zeros((n_groups, height, values.shape[1]))
        block[sorted_codes, slot] = values[order]
        blocks.append(block)
    return counts, blocks


def solve_batched(X: torch.Tensor, Y: torch.Tensor, counts: torch.Tensor) -> BatchedSolution:
    """Minimum-norm least squares ``min ||Y_g - X_g B_g||`` for every group at once.

    Parameters
    ----------
    X : Tensor, shape (G, m, k)
        Zero-padded designs (already multiplied by ``sqrt(w)`` for weighted problems).
    Y : Tensor, shape (G, m, r)
        Zero-padded responses (likewise whitened).
    counts : Tensor, shape (G,)
        Rows per group (for the rank tolerance).

    Returns
    -------
    BatchedSolution
    """
    k = X.shape[2]
    norms = torch.linalg.vector_norm(X, dim=1)
    scale = torch.where(norms > 0, norms, torch.ones_like(norms))
    Q, R = torch.linalg.qr(X / scale[:, None, :])
    QtY = Q.transpose(1, 2) @ Y
    # Fast path: R is well conditioned (cond_F(R) >= cond_2(R) below numpy's rank cutoff,
    # so the group is certainly of full rank): triangular inverse, no SVD.
    R_inv, info = torch.linalg.inv_ex(R)
    cond = torch.linalg.matrix_norm(R) * torch.linalg.matrix_norm(R_inv)
    limit = 1.0 / (torch.clamp(counts, min=k).to(X.dtype) * torch.finfo(X.dtype).eps)
    full = (info == 0) & torch.isfinite(cond) & (cond < limit)
    coef = R_inv @ QtY
    cov = R_inv @ R_inv.transpose(1, 2)
    hat_factor = Q.clone()
    rank = torch.full_like(counts, k)
    hard = torch.nonzero(~full).reshape(-1)
    if hard.numel():  # one host sync; the SVD is ten times the cost of the rest
        parts = _svd_solutions(Q[hard], R[hard], QtY[hard], counts[hard])
        coef[hard], cov[hard], hat_factor[hard], rank[hard] = parts
    coef = coef / scale[:, :, None]
    cov = cov / (scale[:, :, None] * scale[:, None, :])
    deficient = torch.nonzero(rank < k).reshape(-1)
    if deficient.numel():  # statsmodels' pinv answer for those groups
        coef[deficient], cov[deficient], hat_factor[deficient] = _pinv_solutions(
            X[deficient], Y[deficient]
        )
    return BatchedSolution(
        params=coef.transpose(1, 2),
        normalized_cov=cov,
        rank=rank,
        resid=Y - X @ coef,
        hat_factor=hat_factor,
    )


def _svd_solutions(
    Q: torch.Tensor, R: torch.Tensor, QtY: torch.Tensor, counts: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Ill-conditioned groups (equilibrated): rank by numpy's tolerance from the SVD of R."""
    k = R.shape[-1]
    U, S, Vh = torch.linalg.svd(R)
    size = torch.clamp(counts, min=k).to(R.dtype)
    keep = S > S[:, :1] * size[:, None] * torch.finfo(R.dtype).eps
    inv_s = torch.where(keep, 1.0 / torch.where(keep, S, torch.ones_like(S)), torch.zeros_like(S))
    V = Vh.transpose(1, 2)
    coef = V @ (inv_s[:, :, None] * (U.transpose(1, 2) @ QtY))
    cov = (V * inv_s[:, None, :] ** 2) @ Vh
    return coef, cov, Q @ U * keep[:, None, :], keep.sum(dim=1)


def _pinv_solutions(
    X: torch.Tensor, Y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Minimum-norm solutions of rank-deficient groups on the *unscaled* design.

    Equilibrating the columns would change which solution has the smallest norm; statsmodels
    reports ``pinv(X, rcond=1e-15) @ y``, so this does the same (an SVD of each such group).
    """
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    keep = S > 1e-15 * S[:, :1]
    inv_s = torch.where(keep, 1.0 / torch.where(keep, S, torch.ones_like(S)), torch.zeros_like(S))
    V = Vh.transpose(1, 2)
    coef = V @ (inv_s[:, :, None] * (U.transpose(1, 2) @ Y))
    cov = (V * inv_s[:, None, :] ** 2) @ Vh
    return coef, cov, U * keep[:, None, :]
