"""Many small least-squares problems solved at once: one batched QR and SVD per call.

Groups are padded with zero rows to a common height ``m`` (zero rows change neither the
solution nor any sum of squares), so that ``torch.linalg.qr`` and ``torch.linalg.svd`` run
over a ``(G, m, k)`` batch in a few kernels, on the CPU or the GPU, with no Python loop over
groups. Each group is column-equilibrated first; the SVD of its ``R`` factor gives the rank
(numpy's ``matrix_rank`` tolerance) and statsmodels' minimum-norm answer for a
rank-deficient group, as ``pinv`` would, instead of a silently wrong one.
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
    Xs = X / scale[:, None, :]
    Q, R = torch.linalg.qr(Xs)
    U, S, Vh = torch.linalg.svd(R)
    eps = torch.finfo(X.dtype).eps
    size = torch.clamp(counts, min=k).to(X.dtype)
    keep = S > S[:, :1] * size[:, None] * eps
    inv_s = torch.where(keep, 1.0 / torch.where(keep, S, torch.ones_like(S)), torch.zeros_like(S))
    V = Vh.transpose(1, 2)
    projected = U.transpose(1, 2) @ (Q.transpose(1, 2) @ Y)  # (G, k, r)
    coef = V @ (inv_s[:, :, None] * projected) / scale[:, :, None]
    cov = (V * inv_s[:, None, :] ** 2) @ Vh
    cov = cov / (scale[:, :, None] * scale[:, None, :])
    hat_factor = Q @ U * keep[:, None, :]
    rank = keep.sum(dim=1)
    deficient = torch.nonzero(rank < k).reshape(-1)
    if deficient.numel():  # one host sync: statsmodels' pinv answer for those groups
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
