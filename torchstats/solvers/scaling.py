"""Equilibration: power-of-two scales that make columns (or a Gram matrix) unit-sized, and
the numerical rank rule the solvers share.

Powers of two scale exactly, so an equilibrated problem has exactly the solution of the
original one, rescaled; the scales are measured without overflow or underflow for columns
of any finite size (1e300, 1e-300).
"""

from __future__ import annotations

import math

import torch

__all__ = ["column_scale", "gram_in_range", "gram_scale", "numerical_rank", "response_scale"]

# Norms (and Gram diagonals, squared) outside [2^-480, 2^480] may have over- or underflowed
# in their sum of squares: such columns are measured again, scaled by their largest entry.
_SAFE_NORM_EXPONENT = 480
# Exponents of the powers of two that float64 represents exactly (subnormals included).
_EXPONENT_RANGE = (-1074, 1023)


def column_scale(X: torch.Tensor) -> torch.Tensor:
    """Power-of-two column scales ``d`` with ``X / d`` having column norms in [0.7, 1.4).

    Powers of two make the scaling exact, so the equilibrated problem has exactly the
    solution of the original one (rescaled); zero columns get scale 1. Columns of any
    finite scale are measured without overflow (1e300) or underflow (1e-300).
    """
    norms = torch.linalg.vector_norm(X, dim=0)
    low, high = 2.0**-_SAFE_NORM_EXPONENT, 2.0**_SAFE_NORM_EXPONENT
    if all(low < value < high for value in norms.tolist()):  # one host sync
        return torch.exp2(torch.round(torch.log2(norms)))
    exponents = _round_log2(norms)
    suspect = ~((norms > 2.0**-_SAFE_NORM_EXPONENT) & (norms < 2.0**_SAFE_NORM_EXPONENT))
    columns = X[:, suspect]
    peak = torch.exp2(torch.floor(_log2(columns.abs().amax(dim=0))))
    exponents[suspect] = _round_log2(torch.linalg.vector_norm(columns / peak, dim=0))
    exponents[suspect] += torch.log2(peak)
    return torch.exp2(exponents.clamp(*_EXPONENT_RANGE))


def response_scale(y: torch.Tensor) -> float:
    """A power of two ``c`` that brings ``y / c`` near one, or 1 when ``y`` is already there.

    Only a response beyond ``2^±480`` in absolute value is scaled: its sums of squares would
    leave float64's range (and the double-double refinement's splitting overflows at 1e300).
    """
    if not y.numel():
        return 1.0
    extremes = torch.aminmax(y)
    peak = max(-float(extremes.min), float(extremes.max))
    if peak == 0 or 2.0**-_SAFE_NORM_EXPONENT < peak < 2.0**_SAFE_NORM_EXPONENT:
        return 1.0
    return 2.0 ** max(_EXPONENT_RANGE[0], min(_EXPONENT_RANGE[1], math.floor(math.log2(peak))))


def _log2(values: torch.Tensor) -> torch.Tensor:
    """``log2`` with zeros (empty or zero columns) mapped to 0."""
    return torch.log2(torch.where(values > 0, values, torch.ones_like(values)))


def _round_log2(values: torch.Tensor) -> torch.Tensor:
    return torch.round(_log2(values))


def numerical_rank(singular_values: torch.Tensor, shape: tuple[int, int]) -> int:
    """Rank by numpy's ``matrix_rank`` rule: ``s > s.max() * max(n, k) * eps``."""
    if singular_values.numel() == 0:
        return 0
    eps = torch.finfo(singular_values.dtype).eps
    tol = singular_values.max() * max(shape) * eps
    return int((singular_values > tol).sum())


def gram_scale(gram: torch.Tensor, in_range: bool = False) -> torch.Tensor:
    """Power-of-two scales from the Gram diagonal, as :func:`column_scale` from the columns;
    ``in_range``: :func:`gram_in_range` holds (no zero diagonal entry to guard)."""
    roots = torch.sqrt(torch.diagonal(gram))
    return torch.exp2(torch.round(torch.log2(roots)) if in_range else _round_log2(roots))


def gram_in_range(gram: torch.Tensor) -> bool:
    """Whether no diagonal entry of ``X'X`` over- or underflowed (nor a column is zero, nor
    is one NaN): else the design is equilibrated from its columns (:func:`column_scale`)."""
    if not gram.shape[0]:
        return True
    smallest, largest = torch.stack(torch.aminmax(torch.diagonal(gram))).tolist()
    low, high = 2.0 ** (-2 * _SAFE_NORM_EXPONENT), 2.0 ** (2 * _SAFE_NORM_EXPONENT)
    return low < smallest and largest < high
