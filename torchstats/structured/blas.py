"""Dense kernels of every large fit: Gram matrices ``X'X``, ``X' diag(w) X`` and the
matrix-vector products ``X v``, ``X' v``, each one pass over the data.

On a GPU each is one cuBLAS call. On the CPU, torch's GEMM does not use the symmetric
rank-k update (SYRK), and its GEMM and GEMV are slow on row-major designs (numpy arrays
wrapped without a copy), while numpy's matmul recognises ``A.T @ A`` and calls SYRK. The
CPU path therefore hands the shared, zero-copy buffers to numpy. Measured on the 2-core
development machine, float64, 1e6 x 50:

==============================  ===========  ===========
kernel                          torch        this module
==============================  ===========  ===========
``X'X``, row-major              0.34 s       0.10 s
``X'X``, column-major           0.18 s       0.10 s
``X' diag(w) X``, row-major     0.56 s       0.15 s
``X v``, row-major              0.064 s      0.033 s
``X' v``, row-major             0.082 s      0.054 s
``X v``, column-major           0.028 s      0.022 s
==============================  ===========  ===========

A weighted Gram with non-negative weights is ``Z'Z`` with ``Z = sqrt(w) X``, formed in
row chunks of a few megabytes so that no ``n x k`` copy of the design is made (in numpy,
or in torch when it runs on one thread);
non-positive weights (log-likelihood Hessians) negate it; weights of both signs take the
general product. Small problems, tensors that require gradients, other dtypes and
other devices stay in torch; anything else (a
:class:`~torchstats.structured.block_matrix.BlockMatrix`) uses its own ``@``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["cross_product", "gram_matrix", "matvec", "product", "rmatvec", "squared_row_norms"]

#: Bytes of the design per row chunk of a weighted Gram. Measured on 1e6 x 50 float64:
#: chunks of 2048 rows (0.8 MB) 0.21 s, 8192 (3.3 MB) 0.15 s, 32768 (13 MB) 0.20 s,
#: one copy of the whole design 0.25 s.
_CHUNK_BYTES = 4 << 20
#: Row blocks of weighted Gram products in torch (GPUs): large enough to keep a GPU busy,
#: small beside a design of gigabytes.
_DEVICE_CHUNK_BYTES = 64 << 20
#: Smaller problems (``n k^2`` below about a million multiply-adds) stay in torch: the
#: hand-over saves nothing there, and the documented NIST digits were measured with torch's
#: summation order.
_NUMPY_ROUTE_MIN_WORK = 1 << 20


def gram_matrix(X: Any, weights: torch.Tensor | None = None) -> torch.Tensor:
    """``X' X`` or ``X' diag(weights) X``, shape (k, k), on the device and dtype of ``X``.

    Parameters
    ----------
    X : Tensor or BlockMatrix, shape (n, k)
    weights : Tensor, shape (n,), optional
        Any sign; the product is symmetric.
    """
    if not isinstance(X, torch.Tensor):  # a BlockMatrix (sparse dummies) has its own
        return X.gram(weights)
    if not _numpy_route(X, weights):
        if weights is None:
            return X.T @ X
        large = X.numel() * X.shape[1] >= _NUMPY_ROUTE_MIN_WORK
        if X.requires_grad or weights.requires_grad or not large:
            return _symmetric((X * weights[:, None]).T @ X)
        if X.device.type == "cpu":  # torch on one thread: cache-sized blocks
            return _blocked_weighted_gram(X, weights, _CHUNK_BYTES)
        if X.numel() * X.element_size() <= 4 * _DEVICE_CHUNK_BYTES:
            return _symmetric((X * weights[:, None]).T @ X)
        return _blocked_weighted_gram(X, weights, _DEVICE_CHUNK_BYTES)
    design = X.numpy()
    if weights is None:
        return torch.from_numpy(design.T @ design)
    w = weights.numpy()
    if bool((w >= 0).all()):
        return torch.from_numpy(_root_weighted_gram(design, np.sqrt(w)))
    if bool((w <= 0).all()):
        return torch.from_numpy(-_root_weighted_gram(design, np.sqrt(-w)))
    return _symmetric(torch.from_numpy((design * w[:, None]).T @ design))


def _blocked_weighted_gram(
    X: torch.Tensor, weights: torch.Tensor, block_bytes: int
) -> torch.Tensor:
    """``X' diag(w) X`` in torch by row blocks of ``block_bytes`` written into one reused
    buffer: ``Z'Z`` with ``Z = sqrt(|w|) X`` when the weights share a sign, the weighted
    block times the block otherwise. No copy of the design; on the CPU blocks that stay in
    cache (one thread, 1e6 x 50: 4 MB blocks 0.16 s, 64 MB blocks 0.44 s, one weighted
    copy 0.52 s), on a GPU blocks large enough to keep it busy."""
    n, k = X.shape
    rows = min(n, max(256, block_bytes // max(1, k * X.element_size())))
    smallest, largest = torch.stack(torch.aminmax(weights)).tolist()  # NaN: neither sign
    sign = 1.0 if smallest >= 0 else -1.0 if largest <= 0 else 0.0
    factor = torch.sqrt(sign * weights) if sign else weights
    buffer = X.new_empty(rows, k)
    total = X.new_zeros(k, k)
    for start in range(0, n, rows):
        block = X[start : start + rows]
        scaled = torch.mul(block, factor[start : start + rows, None], out=buffer[: len(block)])
        total.addmm_(scaled.T, scaled if sign else block)
    return _symmetric(total if sign >= 0 else -total)


def _symmetric(product: torch.Tensor) -> torch.Tensor:
    """A GEMM's ``A'B`` with ``A = diag(w) B`` is symmetric up to rounding: make it exact."""
    return 0.5 * (product + product.T)


def cross_product(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """``A' B`` for two tall matrices with the same rows, shape (k, m) (a GEMM)."""
    if _numpy_route(A, B):
        return torch.from_numpy(A.numpy().T @ B.numpy())
    return A.T @ B


def product(A: torch.Tensor, B: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """``A @ B`` for a tall ``A`` (n, k) and a small ``B`` (k, m) (a GEMM).

    ``out`` (n, m), if given, receives the product: a loop over row blocks that reuses one
    buffer spares the page faults of a fresh block-sized allocation per block (1e6 x 50 in
    16 MB blocks: 0.15 s of 0.28 s).
    """
    if _numpy_route(A, B) and (out is None or _numpy_route(out, None)):
        if out is None:
            return torch.from_numpy(A.numpy() @ B.numpy())
        np.matmul(A.numpy(), B.numpy(), out=out.numpy())
        return out
    return A @ B if out is None else torch.matmul(A, B, out=out)


def squared_row_norms(Z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """``(Z * Z).sum(dim=1)`` written into ``out`` (n,), in one pass: numpy's ``einsum`` on
    the CPU, so that a loop of numpy GEMMs and these never wakes torch's thread pool (the
    two pools' waiting threads slow each other: 0.2 s against 0.1 s a pass at 1e6 x 50)."""
    if _numpy_route(Z, None) and out.device.type == "cpu" and out.dtype == Z.dtype:
        array = Z.numpy()
        np.einsum("ij,ij->i", array, array, out=out.numpy())
        return out
    return torch.sum(Z * Z, dim=1, out=out)


def matvec(X: Any, v: torch.Tensor) -> torch.Tensor:
    """``X @ v`` for a design ``X`` (n, k) and a vector ``v`` (k,)."""
    if _numpy_route(X, v):
        return torch.from_numpy(X.numpy() @ v.numpy())
    return X @ v


def rmatvec(X: Any, v: torch.Tensor) -> torch.Tensor:
    """``X.T @ v`` for a design ``X`` (n, k) and a vector ``v`` (n,)."""
    if _numpy_route(X, v):
        return torch.from_numpy(X.numpy().T @ v.numpy())
    return X.T @ v


def _numpy_route(X: Any, other: torch.Tensor | None) -> bool:
    """Whether a product goes to numpy's BLAS: large CPU products, unless torch runs on one
    thread (the thread policy of :mod:`torchstats._threads`, or the user's choice), where
    torch's single-threaded GEMM is as fast and numpy's own thread pool, which torchstats
    cannot size, would compete for the cores (OLS 1e5 x 20 with the other core busy: 61 ms
    against 10 ms)."""
    tensors = [X] if other is None else [X, other]
    if not isinstance(X, torch.Tensor) or X.numel() * X.shape[-1] < _NUMPY_ROUTE_MIN_WORK:
        return False
    if torch.get_num_threads() == 1:
        return False
    return all(
        isinstance(t, torch.Tensor)
        and t.device.type == "cpu"
        and t.dtype in (torch.float32, torch.float64)
        and not t.requires_grad
        and t.layout == torch.strided
        for t in tensors
    ) and (other is None or other.dtype == X.dtype)


def _root_weighted_gram(design: np.ndarray, root: np.ndarray) -> np.ndarray:
    """``Z'Z`` with ``Z = root[:, None] * design``, by row chunks written into one reused
    buffer: no copy of the design (a formula's column-major design included: 1e6 x 40, 0.62 s
    against 0.85 s for one weighted copy, and 4 MB instead of 320 MB)."""
    n, k = design.shape
    rows = max(256, _CHUNK_BYTES // max(1, k * design.itemsize))
    buffer = np.empty((min(rows, n), k), dtype=design.dtype)
    total = np.zeros((k, k), dtype=design.dtype)
    for start in range(0, n, rows):
        chunk = buffer[: min(rows, n - start)]
        np.multiply(design[start : start + rows], root[start : start + rows, None], out=chunk)
        total += chunk.T @ chunk
    return total
