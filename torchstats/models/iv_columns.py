"""Rows and columns of an instrumental-variables model: the helpers of
:class:`~torchstats.models.instrumental.FixedEffectsIV` that are not about estimation.

The collinearity rule is :func:`torchstats.solvers.collinear_columns.independent_columns`,
shared with the other fixed-effects models.
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
