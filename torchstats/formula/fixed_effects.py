"""Fixed effects from a DataFrame: group codes, singletons, levels for new data.

Each fixed-effect *group* (a factor, or a combination ``f1^f2``) becomes integer codes
``0 .. G-1`` on the rows, with the level each code stands for kept so that ``fixef()`` can
name the effects and ``predict`` can find the groups of new rows. Rows with a missing
factor value have no group and are dropped, as fixest does.

*Singletons* (a group with one row) are perfectly fitted by their effect: they carry no
information on the other coefficients but inflate the degrees of freedom. fixest and
pyfixest drop them (``fixef_rm="singleton"``), repeatedly, since dropping a row can make
another group a singleton.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from torchstats.errors import UnknownColumnError
from torchstats.formula.fixest_syntax import FixedEffectTerm

__all__ = ["EffectGroups", "encode_groups", "singleton_rows"]


@dataclass(frozen=True)
class EffectGroups:
    """The fixed-effect groups of some rows.

    Attributes
    ----------
    names : tuple of str
        One name per group (``"f"``, ``"f1^f2"``), in order of first appearance.
    codes : ndarray of int32, shape (n, len(names))
        Each row's code in each group; -1 where a factor value is missing. Column-major, so
        that each group's codes are one contiguous array (torch wraps it without a copy).
        int32 (half the memory of int64) below 2**31 rows, int64 beyond: a consumer that
        combines two groups' codes into one key (``a * n_levels_b + b``) casts to int64
        first.
    levels : tuple of pandas.Index
        The level of each code (a MultiIndex for a combination).
    """

    names: tuple[str, ...]
    codes: np.ndarray
    levels: tuple[pd.Index, ...]

    def restrict(self, keep: np.ndarray) -> EffectGroups:
        """The groups of the rows ``keep`` (a mask), with codes renumbered to the levels
        that remain, in their original order."""
        all_rows = bool(keep.all())
        if all_rows and all(
            np.bincount(self.codes[:, j], minlength=len(level)).all()
            for j, level in enumerate(self.levels)
        ):
            return self
        new_codes = np.empty((int(keep.sum()), len(self.names)), dtype=self.codes.dtype, order="F")
        levels = []
        for j, level in enumerate(self.levels):
            column = self.codes[:, j] if all_rows else self.codes[keep, j]
            present = np.bincount(column, minlength=len(level)) > 0
            if present.all():
                new_codes[:, j] = column
            else:
                new_codes[:, j] = (np.cumsum(present) - 1)[column]
            levels.append(level[present])
        return EffectGroups(self.names, new_codes, tuple(levels))

    @property
    def n_levels(self) -> tuple[int, ...]:
        """Number of levels of each group."""
        return tuple(len(level) for level in self.levels)

    def codes_of(self, frame: pd.DataFrame) -> np.ndarray:
        """Codes of new rows (-1 for a level not seen in the fit or a missing value)."""
        codes = np.empty((len(frame), len(self.names)), dtype=np.int64)
        for j, (name, level) in enumerate(zip(self.names, self.levels, strict=True)):
            columns = _columns(frame, name.split("^"))
            keys = level.get_indexer(
                pd.MultiIndex.from_arrays(columns) if len(columns) > 1 else pd.Index(columns[0])
            )
            codes[:, j] = keys
        return codes


def group_names(terms: tuple[FixedEffectTerm, ...]) -> tuple[str, ...]:
    """The distinct groups of ``terms``, in order."""
    return tuple(dict.fromkeys(term.name for term in terms))


def encode_groups(frame: pd.DataFrame, terms: tuple[FixedEffectTerm, ...]) -> EffectGroups:
    """Codes of every group of ``terms`` on the rows of ``frame``.

    Raises
    ------
    UnknownColumnError
        A factor is not a column of ``frame``.
    """
    names = group_names(terms)
    codes = np.empty((len(frame), len(names)), dtype=code_dtype(len(frame)), order="F")
    levels = []
    for j, name in enumerate(names):
        columns = _columns(frame, name.split("^"))
        if len(columns) == 1:
            codes[:, j], uniques = pd.factorize(columns[0], sort=True)
            levels.append(pd.Index(uniques))
        else:
            codes[:, j], level = _combine(columns)
            levels.append(level)
    return EffectGroups(names, codes, tuple(levels))


def code_dtype(n_rows: int) -> type[np.signedinteger]:
    """The dtype of group codes on ``n_rows`` rows: int32 while every code fits (fewer
    levels than rows), else int64."""
    return np.int32 if n_rows < 2**31 else np.int64


def _combine(columns: list[pd.Series]) -> tuple[np.ndarray, pd.MultiIndex]:
    """Codes of the combinations of several factors (sorted as tuples) and their levels."""
    key, uniques = pd.factorize(columns[0], sort=True)
    tuples = np.arange(len(uniques))[:, None]
    parts = [uniques]
    for column in columns[1:]:
        codes, values = pd.factorize(column, sort=True)
        present = (key >= 0) & (codes >= 0)
        combined, found = pd.factorize(key[present] * len(values) + codes[present], sort=True)
        key = np.full(len(key), -1, dtype=np.int64)
        key[present] = combined
        found = np.asarray(found)
        tuples = np.column_stack([tuples[found // len(values)], found % len(values)])
        parts.append(values)
    level = pd.MultiIndex.from_arrays(
        [pd.Index(part)[tuples[:, i]] for i, part in enumerate(parts)],
        names=[str(column.name) for column in columns],
    )
    return key.astype(np.int64), level


def _columns(frame: pd.DataFrame, names: list[str]) -> list[pd.Series]:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise UnknownColumnError(
            f"fixed effect {'^'.join(names)!r}: no column {missing[0]!r} in the data; the "
            "fixed-effects part takes column names"
        )
    return [frame[name] for name in names]


def singleton_rows(codes: np.ndarray) -> np.ndarray:
    """Rows to drop as singletons, repeatedly (a mask over the rows of ``codes``)."""
    drop = np.zeros(codes.shape[0], dtype=bool)
    while True:
        alone = np.zeros_like(drop)
        for column in codes.T:
            counts = np.bincount(column[~drop], minlength=int(column.max()) + 1)
            alone |= counts[column] == 1
        alone &= ~drop
        if not alone.any():
            return drop
        drop |= alone
