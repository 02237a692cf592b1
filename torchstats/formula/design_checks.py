"""Checks of a built design, and of prediction inputs, that several models share.

:func:`check_finite` refuses NaN or infinite values that survived the missing-data policy
(statsmodels raises on them too), naming the columns; :func:`check_weights` refuses NaN,
infinite or negative weights (streamed chunks use both, so their errors are the in-memory
ones); :func:`matrix_rank` is the numerical rank with numpy's ``matrix_rank`` tolerance,
which gives statsmodels' ``df_model``; :func:`row_values` checks an offset or exposure given
for predictions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from torchstats._device import to_tensor
from torchstats.errors import DesignError, InvalidWeightsError, MissingDataError
from torchstats.formula.design import Design
from torchstats.solvers.scaling import column_scale, gram_in_range
from torchstats.structured.blas import gram_matrix
from torchstats.structured.block_matrix import BlockMatrix

__all__ = [
    "check_finite",
    "check_weights",
    "matrix_rank",
    "nonfinite_columns",
    "nonfinite_error",
    "row_values",
]


def check_finite(design: Design, *, extras: bool = True) -> None:
    """statsmodels refuses NaN/inf that survive the missing policy; so do we, naming columns
    (of the design and of its further designs, ``design.blocks``).

    ``extras=False`` leaves per-row extras (weights) to the model's own checks.
    """
    culprits = nonfinite_columns(design.endog, design.exog, design.exog_names)
    for name, block in design.blocks.items():
        bad = (~torch.isfinite(block.exog)).any(dim=0).tolist()
        culprits += [f"{name}: {column}" for column, b in zip(block.exog_names, bad) if b]
    if extras:
        culprits += [n for n, t in design.extras.items() if not bool(torch.isfinite(t).all())]
    if culprits:
        raise nonfinite_error(culprits)


def nonfinite_columns(
    endog: torch.Tensor, exog: torch.Tensor | BlockMatrix, exog_names: Sequence[str]
) -> list[str]:
    """``"endog"`` and the names of the design columns that hold NaN or inf.

    Column sums propagate NaN and inf: one reduction instead of an ``n x k`` boolean mask
    (an overflowing sum of finite values only sends the check to the entry-wise test).
    """
    culprits: list[str] = []
    if bool(torch.isfinite(exog.sum(dim=0)).all()) and bool(torch.isfinite(endog.sum())):
        return culprits
    if not bool(torch.isfinite(endog).all()):
        culprits.append("endog")
    if isinstance(exog, BlockMatrix):
        bad_columns = exog.nonfinite_columns()
    else:
        bad_columns = (~torch.isfinite(exog)).any(dim=0)
    return culprits + [name for name, bad in zip(exog_names, bad_columns.tolist()) if bad]


def nonfinite_error(culprits: Sequence[str], where: str = "") -> MissingDataError:
    """The error for NaN or inf in the named columns (``where``: e.g. which chunk)."""
    return MissingDataError(
        f"non-finite values (NaN or inf) in {', '.join(map(repr, culprits))}{where}; use "
        "missing='drop' to drop rows with NaN, and remove infinite values"
    )


def check_weights(weights: torch.Tensor, where: str = "") -> None:
    """Refuse NaN, infinite or negative weights; ``where`` says where they are (a chunk).

    Raises
    ------
    MissingDataError
        NaN weights (rows that ``missing="drop"`` would have dropped).
    InvalidWeightsError
        Infinite or negative weights.
    """
    if bool(torch.isnan(weights).any()):
        raise MissingDataError(
            f"weights contain NaN{where}; use missing='drop' to drop those rows or fill them"
        )
    if not bool(torch.isfinite(weights).all()):
        raise InvalidWeightsError(f"weights must be finite; found infinite values{where}")
    negative = int((weights < 0).sum())
    if negative:
        raise InvalidWeightsError(
            f"weights must be non-negative; found {negative} negative value(s){where}"
        )


#: Safety factor on the worst-case rounding bound of a computed Gram matrix (below).
_GRAM_BOUND_MARGIN = 10.0
#: Tall designs try the Gram route (one GEMM) before Householder QR, about 3x dearer.
_GRAM_ROUTE_ROWS_PER_COLUMN = 8


def matrix_rank(X: torch.Tensor) -> int:
    """Numerical rank of the column-equilibrated design, with numpy's tolerance: singular
    values of ``X_s = X D^{-1}`` (``D`` power-of-two column norms) above ``s_max max(n, k) eps``.

    Equilibrated, the rank does not depend on the columns' units: a column in other units
    (times 1e300, or 1e-150 beside another times 1e150) is not cut off, as numpy's
    ``matrix_rank`` of the unscaled design (statsmodels' rank) can cut it. Tall designs first
    try ``X_s'X_s``, computed within ``k n eps`` of the exact one (entrywise dot-product
    bounds): if its smallest eigenvalue exceeds ten times that, ``X_s`` has full column rank,
    and numpy's tolerance cannot cut a singular value while ``cond(X_s)`` stays below
    ``1 / (10 max(n, k) eps)``. Otherwise the singular values of ``R`` in ``X_s = QR`` decide.
    """
    n, k = X.shape
    if k == 0:
        return 0
    if n >= _GRAM_ROUTE_ROWS_PER_COLUMN * k and _gram_shows_full_rank(X):
        return k
    scaled = X / column_scale(X)
    R = torch.linalg.qr(scaled, mode="r")[1] if n >= k else scaled
    s = torch.linalg.svdvals(R)
    tol = s.max() * max(X.shape) * torch.finfo(X.dtype).eps
    return int((s > tol).sum())


def _gram_shows_full_rank(X: torch.Tensor) -> bool:
    n, k = X.shape
    eps = torch.finfo(X.dtype).eps
    gram = gram_matrix(X)
    if not gram_in_range(gram):  # a zero column, or columns near float64's limits
        return False
    norms = torch.sqrt(torch.diagonal(gram))
    eigenvalues = torch.linalg.eigvalsh(gram / norms[:, None] / norms[None, :])
    smallest, largest = float(eigenvalues[0]), float(eigenvalues[-1])
    if not smallest > _GRAM_BOUND_MARGIN * k * n * eps * largest:
        return False
    return math.sqrt(largest / smallest) * _GRAM_BOUND_MARGIN * max(n, k) * eps < 1


def row_values(value: Any, name: str, like: torch.Tensor) -> torch.Tensor:
    """A per-prediction input (offset, exposure): one value, or one per row of ``like``."""
    tensor = to_tensor(value, name=name, device=like.device, dtype=like.dtype).reshape(-1)
    if tensor.numel() not in (1, like.shape[0]):
        raise DesignError(
            f"{name} has {tensor.numel()} values but there are {like.shape[0]} predictions"
        )
    return tensor
