"""Inverses of information matrices whose rank is known."""

from __future__ import annotations

import torch

__all__ = ["inverse_of_rank"]


def inverse_of_rank(matrix: torch.Tensor, rank: int) -> torch.Tensor:
    """Inverse of a symmetric ``(k, k)`` matrix, or its pseudo-inverse of rank ``rank``.

    A full-rank matrix is inverted as it is. Below full rank the ``rank`` eigenvalues of
    largest magnitude are inverted and the others taken as zero: the Moore-Penrose inverse
    of the matrix the rank says it is. Left to a tolerance, rounding turns an exactly
    singular information matrix (``X'WX`` of a design with collinear columns) into one
    with eigenvalues of order ``eps`` whose inverses, 1e15 or so, swamp every variance.

    Parameters
    ----------
    matrix : Tensor, shape (k, k)
        Symmetric (an information matrix or a negative Hessian).
    rank : int
        Its rank, known from the design (e.g. the rank of ``X``).

    Returns
    -------
    Tensor, shape (k, k)
        Symmetric.
    """
    k = matrix.shape[0]
    if rank >= k:
        return torch.linalg.inv(matrix)
    symmetric = 0.5 * (matrix + matrix.T)
    values, vectors = torch.linalg.eigh(symmetric)
    kept = torch.argsort(values.abs(), descending=True)[:rank]
    basis = vectors[:, kept]
    inverse = (basis / values[kept]) @ basis.T
    return 0.5 * (inverse + inverse.T)
