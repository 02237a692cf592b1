"""Double-double ("extended precision") kernels for residuals in iterative refinement.

A least-squares solution computed in float64 by a backward-stable method (Householder QR) has
a relative error of about ``cond(X)^2 * eps`` when the residual is large. Iterative refinement
removes that error if the residuals it corrects are computed in higher precision (Björck 1967).
torch has no quad precision, so products are made exact with Dekker's splitting and sums
with Knuth's two-sum; each value is a pair ``(hi, lo)`` whose sum carries about 106 bits.

Everything here is elementwise torch code and runs on any device. Nothing may be fused or
reordered: torch evaluates each operation as written, which these algorithms rely on.

References
----------
Dekker, T. J. (1971). A floating-point technique for extending the available precision.
Ogita, Rump & Oishi (2005). Accurate sum and dot product. SIAM J. Sci. Comput. 26(6).
Björck, Å. (1967). Iterative refinement of linear least squares solutions I. BIT 7.
"""

from __future__ import annotations

import torch

__all__ = ["two_sum", "two_prod", "dd_matmul", "dd_matmul_t"]

_SPLITTER = {torch.float64: 134217729.0, torch.float32: 4097.0}  # 2^ceil(p/2) + 1

# Products handled at once by the matmuls below (rows x k x m); bounds the temporaries to
# a few times _CHUNK_ELEMENTS doubles whatever the size of the problem.
_CHUNK_ELEMENTS = 1 << 21


def two_sum(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``s + e == a + b`` exactly, with ``s = fl(a + b)`` (Knuth)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


def _split(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    c = _SPLITTER[a.dtype] * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``p + e == a * b`` exactly, with ``p = fl(a * b)`` (Dekker)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def _tree_sum(hi: torch.Tensor, lo: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum double-doubles along dim 0 by pairwise two-sums; returns shape ``hi.shape[1:]``."""
    while hi.shape[0] > 1:
        if hi.shape[0] % 2:
            pad = torch.zeros_like(hi[:1])
            hi = torch.cat([hi, pad])
            lo = torch.cat([lo, pad])
        s, e = two_sum(hi[0::2], hi[1::2])
        hi, lo = s, e + lo[0::2] + lo[1::2]
    return hi[0], lo[0]


def dd_matmul(A: torch.Tensor, B: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``A @ B`` in double-double, for a short inner dimension.

    Parameters
    ----------
    A : Tensor, shape (n, k)
    B : Tensor, shape (k, m)

    Returns
    -------
    hi, lo : Tensor, shape (n, m)
        ``hi + lo`` equals ``A @ B`` to about twice working precision.
    """
    n, k = A.shape
    m = B.shape[1]
    rows = max(1, _CHUNK_ELEMENTS // max(k * m, 1))
    hi = torch.empty(n, m, dtype=A.dtype, device=A.device)
    lo = torch.empty_like(hi)
    for start in range(0, n, rows):
        # every product of the chunk at once, (k, rows, m), then a pairwise sum over k
        p, e = two_prod(A[start : start + rows].T[:, :, None], B[:, None, :])
        hi[start : start + rows], lo[start : start + rows] = _tree_sum(p, e)
    return hi, lo


def dd_matmul_t(A: torch.Tensor, B: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``A.T @ B`` in double-double, for a long inner dimension (the rows).

    Parameters
    ----------
    A : Tensor, shape (n, k)
    B : Tensor, shape (n, m)

    Returns
    -------
    hi, lo : Tensor, shape (k, m)
    """
    n, k = A.shape
    m = B.shape[1]
    rows = max(1, _CHUNK_ELEMENTS // max(k * m, 1))
    hi = torch.zeros(k, m, dtype=A.dtype, device=A.device)
    lo = torch.zeros_like(hi)
    for start in range(0, n, rows):
        # every product of the chunk at once, (rows, k, m), then a pairwise sum over rows
        p, e = two_prod(A[start : start + rows, :, None], B[start : start + rows, None, :])
        s, t = _tree_sum(p, e)
        hi, u = two_sum(hi, s)
        lo = lo + (u + t)
    return hi, lo
