"""Rows and columns of an instrumental-variables model: the helpers of
:class:`~torchstats.models.instrumental.FixedEffectsIV` that are not about estimation.

The collinearity rule is :class:`~torchstats.models.fixed_effects.FixedEffectsOLS`'s (a
column is dropped when its residual on the effects and the earlier columns keeps less than
``tol`` of its centred sum of squares), extended to an intercept, which has no centred
variation and is measured against its raw sum of squares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.errors import InvalidOptionError
from torchstats.formula.design import Design, drop_columns

__all__ = [
    "data_frame",
    "independent_columns",
    "keep_columns",
    "numeric_column",
    "select_block_rows",
]


def select_block_rows(design: Design, keep: torch.Tensor) -> Design:
    """``design.select_rows`` applied to the design and each of its blocks."""
    blocks = {name: block.select_rows(keep) for name, block in design.blocks.items()}
    return replace(design.select_rows(keep), blocks=blocks)


def keep_columns(design: Design, kept: list[int]) -> Design:
    """``design`` with only the columns at the positions ``kept``."""
    names = [name for i, name in enumerate(design.exog_names) if i not in set(kept)]
    return drop_columns(design, names) if names else design


def independent_columns(
    demeaned: torch.Tensor, original: torch.Tensor, weights: torch.Tensor | None, tol: float
) -> list[int]:
    """Columns kept by a Cholesky pass over ``X~'WX~`` that drops a column whose residual
    keeps less than ``tol`` of its centred (weighted) sum of squares.

    Parameters
    ----------
    demeaned, original : Tensor, shape (n, k)
        The columns with the effects projected out, and as given.
    weights : Tensor, shape (n,), or None
        Row weights.
    tol : float
        The share of the sum of squares a column must keep.

    Returns
    -------
    list of int
        Positions of the columns kept, in order.
    """
    if demeaned.shape[1] == 0:
        return []
    w = weights
    centred = original - (original.mean(0) if w is None else (w @ original) / w.sum())
    reference = ((centred**2).sum(0) if w is None else w @ centred**2).cpu().numpy()
    weighted = demeaned if w is None else demeaned * w.unsqueeze(1)
    gram = (demeaned.T @ weighted).cpu().numpy()
    # an intercept has no centred variation: measure it against its raw sum of squares
    raw = ((original**2).sum(0) if w is None else w @ original**2).cpu().numpy()
    scale = np.where(reference > 0, reference, raw)
    keep: list[int] = []
    factor = np.zeros_like(gram)
    for j in range(gram.shape[0]):
        column = gram[keep, j]
        solved = np.linalg.solve(factor[np.ix_(keep, keep)].T, column) if keep else column
        remainder = gram[j, j] - float(solved @ solved)
        if remainder > tol * scale[j] and remainder > 0:
            factor[keep, j] = solved
            factor[j, j] = np.sqrt(remainder)
            keep.append(j)
    return keep


def data_frame(data: Any) -> pd.DataFrame:
    """``data`` as a DataFrame (a mapping of columns is converted).

    Raises
    ------
    InvalidOptionError
        Anything else (arrays have no column names for the formula).
    """
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        return pd.DataFrame(dict(data))
    raise InvalidOptionError(
        "instrumental-variables formulas take a pandas DataFrame (or a mapping of columns), "
        f"not {type(data).__name__}"
    )


def numeric_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The column ``name`` of ``frame`` as floats (a varying-slope variable).

    Raises
    ------
    InvalidOptionError
        No such column.
    """
    if name not in frame.columns:
        raise InvalidOptionError(f"varying-slope variable {name!r} is not a column of the data")
    return pd.to_numeric(frame[name], errors="raise").to_numpy(dtype=float)
