"""Per-row arguments matched to the rows of the data: weights, offsets, cluster labels.

One rule for every argument that holds one value per observation (``weights``, ``offset``,
``exposure``, ``freq_weights``, ``var_weights``, cluster ``groups``, panel ``time``):

- a pandas Series or DataFrame is matched **by label** when the data are pandas: indexed
  like the data, it is used as it is; indexed by the same labels in another order, it is
  reordered; other labels raise :class:`~torchstats.errors.RowLabelError`, which names the
  argument and a few labels that do not match;
- numpy arrays, lists and tensors are matched **by position** (their length is checked);
- with a formula, a string names a column of the data (``weights="w"``).

statsmodels passes these arguments through ``np.asarray``, so it pairs a pandas object with
the rows by position: a shuffled Series silently weights the wrong rows. Labels are matched
on the data as given, before rows with missing values are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.errors import DesignError, RowLabelError, UnknownColumnError

__all__ = ["DataRows", "align_to_data", "named_columns", "shared_row_index"]

# Labels quoted in an error message.
_SHOWN = 3


def named_columns(values: Any, name: str, frame: pd.DataFrame | None) -> Any:
    """The data column(s) a string (or a list of one or two strings) names, else ``values``.

    Parameters
    ----------
    values : object
        A per-row argument; ``"w"`` or ``["firm", "year"]`` name columns of ``frame``.
    name : str
        The argument's name, for messages.
    frame : DataFrame or None
        The formula's data (None for the array door, where a string cannot name a column).

    Raises
    ------
    UnknownColumnError
        A string that is not a column of ``frame``.
    DesignError
        A string where there is no DataFrame to look it up in.
    """
    if isinstance(values, str):
        if frame is None:
            raise DesignError(
                f"{name}={values!r} names a column, which works with a formula and its "
                f"DataFrame only (e.g. ts.wls('y ~ x', df, weights='w')); pass the values, "
                f"e.g. {name}=df[{values!r}]"
            )
        if values not in frame.columns:
            raise UnknownColumnError(
                f"{name}={values!r} is not a column of the data; pass a column name or one "
                "value per row"
            )
        return frame[values]
    if (
        frame is not None
        and isinstance(values, (list, tuple))
        and 1 <= len(values) <= 2 < len(frame)
        and all(isinstance(v, str) and v in frame.columns for v in values)
    ):
        return frame[list(values)]
    return values


def shared_row_index(endog: Any, exog: Any) -> pd.Index | None:
    """The row labels of pandas ``endog``/``exog`` (None if neither is pandas).

    Raises
    ------
    RowLabelError
        If both are pandas with different indexes, which statsmodels refuses too
        (``PandasData._check_integrity``).
    """
    indexes = [v.index for v in (endog, exog) if isinstance(v, (pd.Series, pd.DataFrame))]
    if len(indexes) == 2 and not indexes[0].equals(indexes[1]):
        raise RowLabelError(
            "the indices of endog and exog are not aligned (statsmodels refuses them too): "
            "their rows are paired by position, so give both the same index, e.g. "
            "exog = exog.loc[endog.index], or pass numpy arrays"
        )
    return indexes[0] if indexes else None


def align_to_data(
    values: Any, name: str, index: pd.Index | None, *, frame: pd.DataFrame | None = None
) -> Any:
    """``values`` in the row order of the data whose row labels are ``index``.

    Parameters
    ----------
    values : Series, DataFrame, array-like or str
        A per-row argument; a string names a column of ``frame``.
    name : str
        The argument's name, for messages.
    index : pandas.Index or None
        The data's row labels; None for numpy or torch data (then everything is positional).
    frame : DataFrame, optional
        The formula's data.

    Returns
    -------
    object
        pandas objects reordered by label, anything else unchanged (the caller checks its
        length).

    Raises
    ------
    RowLabelError
        A pandas object whose labels are not the data's row labels.
    UnknownColumnError, DesignError
        As :func:`named_columns`.
    """
    values = named_columns(values, name, frame)
    if index is None or not isinstance(values, (pd.Series, pd.DataFrame)):
        return values
    if values.index.equals(index):
        return values
    _check_labels(values.index, name, required=index, allowed=index)
    return values.reindex(index)


@dataclass(frozen=True, slots=True)
class DataRows:
    """The rows of the data a design was built from, for per-row arguments given later.

    Cluster ``groups`` and panel ``time`` come with ``fit(cov_kwds=...)``, after rows with
    missing values were dropped; :meth:`select` matches them to the rows used.

    Attributes
    ----------
    nrows : int
        Number of rows of the data as given.
    kept : numpy.ndarray of int, shape (nobs,)
        Positions of the rows used, in the data as given.
    index : pandas.Index or None
        Row labels of the data as given (None for numpy or torch data).
    frame : DataFrame or None
        The formula's data, in which a string names a column.
    """

    nrows: int
    kept: np.ndarray
    index: pd.Index | None = None
    frame: pd.DataFrame | None = None

    @property
    def used_index(self) -> pd.Index | None:
        """Labels of the rows used (None for numpy or torch data)."""
        if self.index is None or len(self.kept) == self.nrows:
            return self.index
        return self.index[self.kept]

    def select(self, values: Any, name: str) -> Any:
        """``values`` for the rows used, in their order.

        A pandas object is matched by label: its index must hold the label of every row used
        and no label outside the data (so both ``df["firm"]`` and ``df.dropna()["firm"]``
        work, in any order). An array is matched by position: one value per row used, or one
        per row of the data as given (the dropped rows are then left out). A string, or a
        list of one or two strings, names columns of the formula's data.

        Raises
        ------
        RowLabelError
            A pandas object lacking a row used, or with labels outside the data.
        UnknownColumnError, DesignError
            As :func:`named_columns`.
        """
        values = named_columns(values, name, self.frame)
        if self.index is not None and isinstance(values, (pd.Series, pd.DataFrame)):
            return self._by_label(values, self.index, name)
        if len(self.kept) < self.nrows and _length(values) == self.nrows:
            if isinstance(values, torch.Tensor):
                return values[torch.as_tensor(self.kept, device=values.device)]
            return np.asarray(values)[self.kept]
        return values

    def _by_label(
        self, values: pd.Series | pd.DataFrame, index: pd.Index, name: str
    ) -> pd.Series | pd.DataFrame:
        used = index if len(self.kept) == self.nrows else index[self.kept]
        if values.index.equals(used):
            return values
        if values.index.equals(index):
            return values.iloc[self.kept]
        _check_labels(values.index, name, required=used, allowed=index)
        return values.reindex(used)


def _length(values: Any) -> int | None:
    if isinstance(values, (torch.Tensor, np.ndarray)):
        return int(values.shape[0]) if values.ndim else None
    return len(values) if isinstance(values, (list, tuple, pd.Series, pd.DataFrame)) else None


def _check_labels(labels: pd.Index, name: str, *, required: pd.Index, allowed: pd.Index) -> None:
    """Refuse labels that miss a ``required`` one or hold one outside ``allowed``."""
    for owner, index in ((name, labels), ("the data", allowed)):
        if index.has_duplicates:
            repeated = list(index[index.duplicated()].unique()[:_SHOWN])
            raise RowLabelError(
                f"{name} cannot be matched to the data's rows by label: the index of {owner} "
                f"repeats labels (e.g. {repeated}) and differs from the data's; make the "
                f"labels unique (reset_index), or pass {name}.to_numpy() to match by position"
            )
    lacking = required.difference(labels, sort=False)
    foreign = labels.difference(allowed, sort=False)
    if len(lacking) or len(foreign):
        problems = []
        if len(lacking):
            problems.append(
                f"{len(lacking)} row(s) of the data have no {name} value "
                f"(labels {list(lacking[:_SHOWN])}{', ...' * (len(lacking) > _SHOWN)})"
            )
        if len(foreign):
            problems.append(
                f"{len(foreign)} label(s) of {name} are not rows of the data "
                f"({list(foreign[:_SHOWN])}{', ...' * (len(foreign) > _SHOWN)})"
            )
        raise RowLabelError(
            f"{name} is matched to the data's rows by its index, but {' and '.join(problems)}; "
            f"index {name} like the data (e.g. with the data's own column), or pass "
            f"{name}.to_numpy() to match by position"
        )
