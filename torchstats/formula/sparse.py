"""The formula door for designs with many-level factors: dummies kept sparse.

formulaic materialises the design as a scipy sparse matrix (every coding rule, name and
order exactly as for the dense design); columns that are mostly non-zero (the intercept,
numeric regressors) become a dense block, the dummy columns a torch sparse block of a
:class:`~torchstats.structured.block_matrix.BlockMatrix`. A 1000-level factor at a million
rows then costs a million non-zeros, not eight gigabytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse
import torch
from formulaic import model_matrix
from formulaic.errors import FactorEvaluationError

from torchstats.errors import EmptyDataError, NonNumericDataError
from torchstats.formula.parsing import factor_error
from torchstats.structured.block_matrix import BlockMatrix

__all__ = ["needs_sparse_design", "sparse_model_matrices"]

# A categorical column gets sparse dummies when it has more than this many levels and its
# dense dummies would hold more than _SPARSE_ABOVE_ENTRIES entries (128 MB in float64):
# below either bound dense dummies are cheaper than sparse bookkeeping.
_SPARSE_ABOVE_LEVELS = 50
_SPARSE_ABOVE_ENTRIES = 1 << 24
# Columns with at most this fraction of non-zeros go into the sparse block.
_SPARSE_COLUMN_DENSITY = 0.25


def needs_sparse_design(frame: pd.DataFrame, categorical_columns: frozenset[str]) -> bool:
    """Whether some categorical column has so many levels that dense dummies would be wasteful."""
    for column in categorical_columns:
        levels = frame[column].nunique(dropna=True)
        if levels > _SPARSE_ABOVE_LEVELS and levels * len(frame) > _SPARSE_ABOVE_ENTRIES:
            return True
    return False


def sparse_model_matrices(
    formula: Any,
    frame: pd.DataFrame,
    namespace: Mapping[str, Any],
    text: str,
    *,
    drop_nonfinite: bool,
    device: torch.device,
    dtype: torch.dtype,
) -> tuple[np.ndarray, BlockMatrix, Any, np.ndarray]:
    """Materialise ``formula`` sparsely; drop rows whose values are not finite if asked.

    Returns
    -------
    endog : ndarray, shape (m,)
    exog : BlockMatrix, shape (m, k)
    spec : formulaic ModelSpec of the right-hand side (dense output, for new data)
    kept : ndarray of int
        Positions in ``frame`` of the rows kept.
    """
    try:
        matrices = model_matrix(
            formula, frame, context=namespace, na_action="ignore", output="sparse"
        )
    except FactorEvaluationError as error:
        raise factor_error(error, text) from None
    lhs, rhs = matrices.lhs, matrices.rhs
    if lhs.shape[1] != 1:
        raise NonNumericDataError(f"the response of {text!r} is not a single numeric column")
    endog = np.asarray(lhs.toarray() if scipy.sparse.issparse(lhs) else lhs, dtype=np.float64)[:, 0]
    csc = scipy.sparse.csc_matrix(rhs, dtype=np.float64)
    keep = _finite_rows(csc, endog) if drop_nonfinite else np.ones(len(endog), dtype=bool)
    if not keep.all():
        csc, endog = csc[keep], endog[keep]
    if csc.shape[0] == 0:
        raise EmptyDataError(f"no observations left for {text!r}")
    spec = rhs.model_spec.update(output="pandas")
    return endog, _block_matrix(csc, device=device, dtype=dtype), spec, np.flatnonzero(keep)


def _finite_rows(csc: scipy.sparse.csc_matrix, endog: np.ndarray) -> np.ndarray:
    """Rows whose response and stored design values are all finite (formulaic's ``drop``)."""
    keep = np.isfinite(endog)
    bad = ~np.isfinite(csc.data)
    if bad.any():
        keep[csc.indices[bad]] = False
    return keep


def _block_matrix(
    csc: scipy.sparse.csc_matrix, *, device: torch.device, dtype: torch.dtype
) -> BlockMatrix:
    n, k = csc.shape
    density = np.diff(csc.indptr) / max(n, 1)
    dense_columns = np.flatnonzero(density > _SPARSE_COLUMN_DENSITY)
    sparse_columns = np.flatnonzero(density <= _SPARSE_COLUMN_DENSITY)
    numpy_dtype = np.float64 if dtype == torch.float64 else np.float32
    dense = np.empty((len(dense_columns), n), dtype=numpy_dtype).T
    for slot, column in enumerate(dense_columns):
        dense[:, slot] = csc[:, column].toarray()[:, 0]
    coo = csc[:, sparse_columns].tocoo()
    indices = torch.as_tensor(np.vstack([coo.row, coo.col]).astype(np.int64))
    sparse = torch.sparse_coo_tensor(
        indices,
        torch.as_tensor(coo.data, dtype=dtype),
        (n, len(sparse_columns)),
        check_invariants=False,
    )
    return BlockMatrix(
        torch.from_numpy(dense).to(device=device, dtype=dtype),
        sparse.to(device),
        torch.as_tensor(dense_columns, dtype=torch.int64),
        torch.as_tensor(sparse_columns, dtype=torch.int64),
    )
