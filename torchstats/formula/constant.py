"""Does the design contain a constant? statsmodels' rule, in torch; and ``add_constant``.

The answer decides centered vs uncentered R-squared, ``df_model`` and the F test, so it must
match statsmodels exactly (``statsmodels.base.data.ModelData._handle_constant``):

- a column whose max equals its min and whose mean is non-zero is an explicit constant
  (a column of ones is preferred when there are several);
- otherwise the constant is *implicit* if the ones vector lies in the column space (e.g. a
  full set of dummies with no intercept). statsmodels compares ``matrix_rank`` of ``X`` and
  ``[1, X]``; we measure the distance of ``1`` from the column space by QR, the same question
  asked without forming an ``n x (k+1)`` SVD.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
import torch

from torchstats._typing import check_option
from torchstats.errors import DesignError, ShapeMismatchError
from torchstats.solvers.scaling import numerical_rank
from torchstats.structured.block_matrix import BlockMatrix

__all__ = ["add_constant", "detect_constant", "constant_columns"]

HasConstant = Literal["skip", "add", "raise"]

# Relative distance of the ones vector from span(X) below which it is taken to lie in it.
# An implicit constant (dummies summing to one) gives ~1e-15; a genuine absence gives O(1).
_IMPLICIT_CONSTANT_TOL = 1e-8


def detect_constant(
    X: torch.Tensor, hasconst: bool | None = None, *, intercept_column: int | None = None
) -> tuple[int, int | None]:
    """Return ``(k_constant, const_idx)`` as statsmodels computes them.

    Parameters
    ----------
    X : Tensor, shape (n, k)
        Design matrix (finite).
    hasconst : bool, optional
        User override: True forces ``k_constant = 1``; False forces 0.
    intercept_column : int, optional
        Column known to be the formula's ``Intercept`` (all ones by construction), which
        spares a pass over the data.

    Returns
    -------
    k_constant : int
        1 if there is an explicit or implicit constant, else 0.
    const_idx : int or None
        Column of the explicit constant, None otherwise.
    """
    if hasconst is False:
        return 0, None
    if intercept_column is not None:
        return 1, intercept_column
    if X.shape[1] == 0:
        return (1 if hasconst else 0), None
    if isinstance(X, BlockMatrix):  # sparse dummy columns are not constant
        constant = [int(X.dense_index[j]) for j in constant_columns(X.dense)]
    else:
        constant = constant_columns(X)
    means = [float(_column(X, j).mean()) for j in constant]
    const_idx = next((c for c, m in zip(constant, means) if m == 1), None)
    if const_idx is None:
        const_idx = next((c for c, m in zip(constant, means) if m != 0), None)
    if const_idx is not None:
        return 1, const_idx
    if hasconst:
        return 1, None
    return (1 if _ones_in_span(X) else 0), None


def constant_columns(X: torch.Tensor) -> list[int]:
    """Indices of the columns whose values are all equal (statsmodels' ``max == min``).

    A column-wise min/max over a row-major design is a slow strided reduction (0.4 s for
    1e6 x 100); comparing a few rows first leaves only the constant candidates — usually
    just the intercept — to check in full.
    """
    n = X.shape[0]
    if n == 0:
        return []
    probe = X[[0, n // 3, n // 2, (2 * n) // 3, n - 1]]
    candidates = torch.nonzero((probe == probe[0]).all(dim=0)).flatten().tolist()
    return [j for j in candidates if bool((X[:, j] == X[0, j]).all())]


def _column(X: torch.Tensor | BlockMatrix, j: int) -> torch.Tensor:
    if isinstance(X, BlockMatrix):
        return X.dense[:, int(torch.nonzero(X.dense_index == j)[0])]
    return X[:, j]


def _ones_in_span(X: torch.Tensor | BlockMatrix) -> bool:
    if isinstance(X, BlockMatrix):
        # distance of 1 from span(X) through the Gram matrix: n - 1'X (X'X)^+ X'1
        sums = X.sum(dim=0)
        projection = float(sums @ torch.linalg.pinv(X.gram(), hermitian=True) @ sums)
        return X.shape[0] - projection <= 1e-10 * X.shape[0]  # Gram rounding ~1e-13
    norms = torch.linalg.vector_norm(X, dim=0)
    usable = X[:, norms > 0] / norms[norms > 0]
    if usable.shape[1] == 0:
        return False
    Q, R = torch.linalg.qr(usable)
    U, s, _ = torch.linalg.svd(R)
    rank = numerical_rank(s, tuple(usable.shape))
    basis = Q @ U[:, :rank]  # orthonormal basis of span(X), even when X is rank deficient
    ones = torch.ones(X.shape[0], dtype=X.dtype, device=X.device)
    distance = torch.linalg.vector_norm(ones - basis @ (basis.T @ ones))
    return float(distance) <= _IMPLICIT_CONSTANT_TOL * X.shape[0] ** 0.5


def add_constant(data: Any, prepend: bool = True, has_constant: HasConstant = "skip") -> Any:
    """Add a column of ones to a design matrix (statsmodels' ``sm.add_constant``).

    Parameters
    ----------
    data : array-like, Series, DataFrame or Tensor
        The design, shape (n,) or (n, k).
    prepend : bool
        Put the constant first (True) or last.
    has_constant : {"skip", "add", "raise"}
        What to do when a column is already constant and non-zero: return ``data``
        unchanged (a 2-d copy for pandas), add the ones anyway, or raise.

    Returns
    -------
    ndarray, DataFrame or Tensor
        The same kind as ``data``: pandas gets a float column named ``"const"`` (a Series
        becomes a DataFrame), numpy a float64 array, a tensor a floating tensor on the same
        device.

    Raises
    ------
    ValueError
        A constant column with ``has_constant="raise"`` (statsmodels' messages), more than
        two dimensions, or an unknown ``has_constant``.
    """
    check_option(has_constant, HasConstant, "has_constant")
    if isinstance(data, (pd.Series, pd.DataFrame)):
        return _add_constant_pandas(data, prepend, has_constant)
    x = data if isinstance(data, torch.Tensor) else np.asarray(data)
    if x.ndim > 2:
        raise ShapeMismatchError("Only implemented for 2-dimensional arrays")
    columns = x[:, None] if x.ndim == 1 else x
    constant = _constant_nonzero_columns(columns)
    if constant and has_constant == "skip":
        return columns
    if constant and has_constant == "raise":
        if x.ndim == 1:
            raise DesignError("data is constant.")
        raise DesignError(f"Column(s) {','.join(map(str, constant))} are constant.")
    if isinstance(columns, torch.Tensor):
        dtype = columns.dtype if columns.is_floating_point() else torch.float64
        ones = torch.ones((columns.shape[0], 1), dtype=dtype, device=columns.device)
        parts = [ones, columns.to(dtype)]
        return torch.cat(parts if prepend else parts[::-1], dim=1)
    stacked = [np.ones(columns.shape[0]), columns]
    return np.column_stack(stacked if prepend else stacked[::-1])


def _constant_nonzero_columns(x: Any) -> list[int]:
    """Columns whose values are all equal and non-zero (statsmodels' test, any array kind)."""
    if isinstance(x, torch.Tensor):
        same = (x == x[:1]).all(dim=0) & (x != 0).all(dim=0)
        return torch.nonzero(same).flatten().tolist()
    same = np.ptp(x, axis=0) == 0
    return np.flatnonzero(same & np.all(x != 0.0, axis=0)).tolist()


def _add_constant_pandas(data: pd.Series | pd.DataFrame, prepend: bool, has_constant: str) -> Any:
    """statsmodels' pandas branch (``add_trend(trend="c")``): a ``"const"`` column."""
    frame = pd.DataFrame(data) if isinstance(data, pd.Series) else data.copy()
    # by position: a repeated name would give a frame, read as "not constant"
    constant = [
        name for j, name in enumerate(frame.columns) if _is_nonzero_constant(frame.iloc[:, j])
    ]
    if constant:
        if has_constant == "raise":
            raise DesignError(
                "x contains one or more constant columns. Column(s) "
                f"{', '.join(map(str, constant))} are constant. Adding a constant with "
                "trend='c' is not allowed."
            )
        if has_constant == "skip":
            return frame
    ones = pd.DataFrame({"const": np.ones(len(frame))}, index=frame.index)
    return pd.concat([ones, frame] if prepend else [frame, ones], axis=1)


def _is_nonzero_constant(column: pd.Series) -> bool:
    try:
        return bool(np.ptp(column) == 0.0 and np.any(column != 0.0))
    except (TypeError, ValueError):  # text or mixed columns are not constants
        return False
