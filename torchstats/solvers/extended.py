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
Rump, Ogita & Oishi (2008). Accurate floating-point summation part I: faithful rounding.
SIAM J. Sci. Comput. 31(1).
Björck, Å. (1967). Iterative refinement of linear least squares solutions I. BIT 7.
"""

from __future__ import annotations

import torch

__all__ = ["two_sum", "two_prod", "split", "dd_matmul", "dd_matmul_t", "accurate_sum"]

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


def split(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Dekker's split ``a = hi + lo``, each with at most half the significand's bits."""
    c = _SPLITTER[a.dtype] * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(
    a: torch.Tensor, b: torch.Tensor, a_parts: tuple[torch.Tensor, torch.Tensor] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``p + e == a * b`` exactly, with ``p = fl(a * b)`` (Dekker). ``a_parts``: ``a``'s
    Dekker split (:func:`split`), when several products share ``a``."""
    p = a * b
    ah, al = split(a) if a_parts is None else a_parts
    bh, bl = split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def _padded_cat(parts: list[torch.Tensor]) -> torch.Tensor:
    """``torch.cat(parts)`` with zero rows appended up to a power of two (exact for sums)."""
    n = sum(part.shape[0] for part in parts)
    size = 1 << max(n - 1, 0).bit_length()
    if size > n:
        parts = [*parts, parts[0].new_zeros((size - n, *parts[0].shape[1:]))]
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def _distil(x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Pairwise two-sums along dim 0: ``s + sum(errors) == x.sum(0)`` exactly.

    Every rounding error of the pairwise sum is kept, so nothing is lost; the errors of a
    level are at most ``eps`` times its partial sums, hence ``sum|errors| <= L eps sum|x|``
    with ``L = ceil(log2(len(x)))``.
    """
    x = _padded_cat([x])
    errors = []
    while x.shape[0] > 1:
        half = x.shape[0] // 2
        x, e = two_sum(x[:half], x[half:])
        errors.append(e)
    return x[0], errors


def _sum2(parts: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairwise two-sums along dim 0 with the errors summed plainly alongside (Sum2).

    ``s + t`` equals the sum of all rows of ``parts`` up to ``~L^2 eps^2 sum|x|``, in a
    fixed order.
    """
    x = _padded_cat(parts)
    if x.shape[0] == 1:
        return x[0], torch.zeros_like(x[0])
    half = x.shape[0] // 2
    x, t = two_sum(x[:half], x[half:])
    while x.shape[0] > 1:
        half = x.shape[0] // 2
        x, e = two_sum(x[:half], x[half:])
        t = e + (t[:half] + t[half:])
    return x[0], t[0]


def _distilled_sum(
    large: torch.Tensor, small: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Three terms whose sum is ``large.sum(0) + small.sum(0)`` to ``~L^3 eps^3 sum|terms|``.

    ``small`` holds terms of order ``eps`` times ``large`` (the rounding errors of the
    products). An error-free pass over ``large`` (Ogita, Rump & Oishi's distillation, in
    pairwise order) leaves errors of order ``eps``; Sum2 over those and ``small`` loses
    only ``eps^3``: SumK with K = 3.
    """
    s1, errors = _distil(large)
    s2, rest = _sum2([*errors, small])
    return s1, s2, rest


def _to_double_double(
    s1: torch.Tensor, s2: torch.Tensor, rest: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised ``(hi, lo)`` of ``s1 + s2 + rest`` with a relative error ``~eps^2``."""
    a, b = two_sum(s1, s2)
    return two_sum(a, b + rest)


def dd_matmul(A: torch.Tensor, B: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``A @ B`` in double-double, for a short inner dimension.

    Parameters
    ----------
    A : Tensor, shape (n, k)
    B : Tensor, shape (k, m)

    Returns
    -------
    hi, lo : Tensor, shape (n, m)
        ``hi + lo`` equals ``A @ B`` with a relative error of about ``eps^2`` (2^-106 in
        float64) plus ``~L^3 eps^3`` times the sum of the absolute products, whatever the
        cancellation, the CPU or the order of any kernel's arithmetic.
    """
    n, k = A.shape
    m = B.shape[1]
    rows = max(1, _CHUNK_ELEMENTS // max(k * m, 1))
    hi = torch.empty(n, m, dtype=A.dtype, device=A.device)
    lo = torch.empty_like(hi)
    for start in range(0, n, rows):
        # every product of the chunk at once, (k, rows, m), each exact as p + e
        p, e = two_prod(A[start : start + rows].T[:, :, None], B[:, None, :])
        chunk = slice(start, start + rows)
        hi[chunk], lo[chunk] = _to_double_double(*_distilled_sum(p, e))
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
        As for :func:`dd_matmul`; row chunks are combined without loss (each chunk's three
        distilled terms are distilled again together).
    """
    n, k = A.shape
    m = B.shape[1]
    rows = max(1, _CHUNK_ELEMENTS // max(k * m, 1))
    parts: list[torch.Tensor] = []
    for start in range(0, n, rows):
        # every product of the chunk at once, (rows, k, m), each exact as p + e
        p, e = two_prod(A[start : start + rows, :, None], B[start : start + rows, None, :])
        parts.extend(_distilled_sum(p, e))
    if not parts:
        zeros = torch.zeros(k, m, dtype=A.dtype, device=A.device)
        return zeros, zeros.clone()
    if len(parts) == 3:
        return _to_double_double(*parts)
    stacked = torch.stack(parts)
    return _to_double_double(*_distilled_sum(stacked, torch.zeros_like(stacked[:1])))


def _extract(terms: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Split ``terms`` into high parts whose sum along ``dim`` is exact in any order, and
    the remainders (Rump, Ogita & Oishi's ExtractVector).

    With ``L`` terms, ``2^e >= max|p|`` (``frexp``) and ``sigma = 2^(e + t)``,
    ``t = bitlength(L) + 1``: each ``q = (sigma + p) - sigma`` is exact (Sterbenz), a
    multiple of ``2^(e+t-53)`` and at most ``max|p| + 2^(e+t-53)`` in size, so every partial
    sum of the ``q`` stays below ``2^(e+t)`` on that grid: exact, whatever the order of the
    reduction. The remainders ``p - q`` are exact and at most ``2^(e+t-53) <= 8 L u max|p|``
    (``u = 2^-53``).
    """
    peak = terms.abs().amax(dim=dim, keepdim=True)
    exponent = torch.frexp(peak).exponent
    bits = terms.shape[dim].bit_length() + 1
    sigma = torch.exp2((exponent + bits).to(terms.dtype))
    high = (terms + sigma) - sigma
    return high.sum(dim), terms - high


def accurate_sum(terms: torch.Tensor, dim: int) -> torch.Tensor:
    """The sum of ``terms`` along ``dim``, within about two ulps of the exact sum however
    much the terms cancel (float64, fewer than ``2^20`` terms; in float32 the last term
    below, ``64 L^4 u^3 max|p|`` with ``u = 2^-24``, bounds ``L`` to about a thousand).

    Two extractions (:func:`_extract`) leave the sums ``s1``, ``s2`` exact and remainders of
    at most ``64 L^2 u^2 max|p|``, whose plain sum errs by at most ``64 L^4 u^3 max|p|``;
    ``(s1 + s2) + s3`` then rounds twice. This costs about 25 elementwise operations
    whatever ``L`` (the pairwise double-double sums above take ``~10 log2(L)``), which is
    what makes the refinement of small least-squares problems cheap.
    """
    if not terms.shape[dim]:
        return terms.sum(dim)
    first, rest = _extract(terms, dim)
    second, rest = _extract(rest, dim)
    return (first + second) + rest.sum(dim)
