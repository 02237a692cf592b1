"""Missing-data policy: which rows to drop, or which column to blame.

statsmodels' ``missing`` argument: ``"drop"`` removes rows with NaN/None in any used variable
(the default for formulas), ``"raise"`` refuses them, ``"none"`` passes them through (the
default for arrays, as in statsmodels). Original row labels are kept by the callers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from torchstats._typing import Missing, check_option
from torchstats.errors import MissingDataError

__all__ = ["check_missing_option", "missing_rows", "raise_on_missing"]


def check_missing_option(missing: str) -> Missing:
    """Validate the ``missing`` option, listing the choices on error."""
    return check_option(missing, Missing, "missing")


def _is_missing(values: object) -> np.ndarray:
    if isinstance(values, pd.DataFrame):
        return values.isna().to_numpy().any(axis=1)
    if isinstance(values, pd.Series):
        return values.isna().to_numpy()
    array = np.asarray(values)
    if array.dtype.kind == "f":
        mask = np.isnan(array)
    else:
        mask = pd.isna(array)
    return mask.reshape(mask.shape[0], -1).any(axis=1) if mask.ndim > 1 else mask


def missing_rows(columns: Mapping[str, object]) -> np.ndarray:
    """Boolean mask of rows where any of the named columns is missing.

    Parameters
    ----------
    columns : mapping of str to array-like
        Equal-length columns (Series, 1-d or 2-d arrays).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    masks = [_is_missing(v) for v in columns.values()]
    if not masks:
        return np.zeros(0, dtype=bool)
    return np.logical_or.reduce(masks)


def raise_on_missing(columns: Mapping[str, object]) -> None:
    """Raise :class:`MissingDataError` naming every column that holds missing values."""
    culprits = []
    for name, values in columns.items():
        count = int(_is_missing(values).sum())
        if count:
            culprits.append(f"{name!r} ({count} missing)")
    if culprits:
        raise MissingDataError(
            f"missing values (NaN/None) in {', '.join(culprits)} with missing='raise'; "
            "use missing='drop' to drop those rows, or fill them first"
        )
