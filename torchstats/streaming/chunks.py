"""Design matrices chunk by chunk, with the columns the in-memory fit would have.

Every chunk must encode the same columns, in statsmodels' order, whatever levels it happens
to contain. :class:`ChunkDesigner` therefore fixes the levels of every categorical column up
front — given by the user, taken from a pandas ``Categorical`` dtype, or found in one pass
over just those columns — and builds each chunk through one formulaic ``ModelSpec``.

Stateful transforms (``center(x)``, ``scale(x)``) keep the state of the first chunk; the
in-memory fit would use the whole data's, so their constant parts can differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats._device import OutputFormat, to_tensor
from torchstats.errors import (
    DesignError,
    EmptyDataError,
    MissingDataError,
    NonNumericDataError,
    UnknownColumnError,
    UnseenLevelError,
)
from torchstats.formula.design import (
    Design,
    _materialize,
    _warn_numbers_as_text,
    check_variables,
    formula_namespace,
    plan_formula,
    with_categorical_booleans,
)
from torchstats.formula.design_checks import check_weights, nonfinite_columns, nonfinite_error
from torchstats.formula.missing import check_missing_option, missing_rows
from torchstats.formula.newdata import check_numeric_columns
from torchstats.formula.ordering import term_label
from torchstats.formula.parsing import formula_variables, parse_formula
from torchstats.streaming.distributed import Reducer
from torchstats.streaming.sources import ChunkSource

__all__ = ["Chunk", "ChunkDesigner"]


def _sorted_levels(column: str, values: list[Any]) -> list[Any]:
    """The levels in the in-memory fit's (sorted) order; levels of mixed types are refused.

    A column read as text in one chunk and as numbers in another (numbers stored as text in
    some files only) has levels that cannot be ordered, so no chunk's encoding would match
    the in-memory one.
    """
    try:
        return list(pd.Index(values).sort_values())
    except TypeError:
        kinds = sorted({type(v).__name__ for v in values})
        raise NonNumericDataError(
            f"column {column!r} holds values of different types across chunks ({', '.join(kinds)}"
            "), e.g. numbers stored as text in some chunks and numbers in others; give it one "
            f"type in every chunk, e.g. pd.to_numeric(chunk[{column!r}]) or "
            f"chunk[{column!r}].astype(str)"
        ) from None


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk's data, ready for torch.

    Attributes
    ----------
    endog : Tensor, shape (m,)
    exog : Tensor, shape (m, k)
    extras : mapping of str to Tensor, shape (m,)
        The per-row columns (``weights``, ``offset``, ``exposure``, ``freq_weights``,
        ``var_weights``) by role.
    frame : DataFrame
        The rows used, as read (for cluster labels and other columns).
    """

    endog: torch.Tensor
    exog: torch.Tensor
    extras: Mapping[str, torch.Tensor]
    frame: pd.DataFrame

    @property
    def weights(self) -> torch.Tensor | None:
        """The ``weights`` column (least squares), if any."""
        return self.extras.get("weights")


class ChunkDesigner:
    """Builds each chunk's design consistently with statsmodels' in-memory design.

    Parameters
    ----------
    formula : str
        Formula with a response.
    source : ChunkSource
        The data.
    row_columns : mapping of str to str
        Per-row columns by role, e.g. ``{"weights": "w"}`` (WLS) or ``{"offset": "o",
        "freq_weights": "f"}`` (GLM): weights must be finite and non-negative, an exposure
        positive, an offset finite.
    missing : {"drop", "raise"}
        Rows with missing values in used columns are dropped, or refused.
    categories : mapping of str to sequence, optional
        Levels of categorical columns, which spares the pass that finds them.
    context : mapping, optional
        The caller's namespace.
    reducer : Reducer
        Combines levels found by several processes (distributed fits).
    device, dtype
        Where and in which precision the chunks' tensors live.
    """

    def __init__(
        self,
        formula: str,
        source: ChunkSource,
        *,
        row_columns: Mapping[str, str],
        missing: str,
        categories: Mapping[str, Sequence[Any]] | None,
        context: Mapping[str, Any] | None,
        reducer: Reducer,
        device: torch.device,
        dtype: torch.dtype,
    ) -> None:
        self.missing = check_missing_option(missing)
        if self.missing == "none":
            raise DesignError("streamed fits support missing='drop' or 'raise', not 'none'")
        self.source = source
        self.row_columns = dict(row_columns)
        self.device, self.dtype = device, dtype
        namespace = formula_namespace(context)
        first = next(source.chunks(), None)
        if first is None:
            raise EmptyDataError(f"{source.description} holds no chunks")
        parsed = parse_formula(formula, first.columns)
        check_variables(parsed, first, namespace, formula)
        _warn_numbers_as_text(parsed, first)
        for role, column in self.row_columns.items():
            if column not in first.columns:
                raise UnknownColumnError(f"{role} column {column!r} is not in the data")
        self._response = formula_variables(parsed.lhs)
        self._rhs = formula_variables(parsed.rhs)
        # booleans are categorical on the right-hand side, as patsy has them
        namespace = with_categorical_booleans(namespace, parsed, first)
        self.plan = plan_formula(formula, first, namespace)
        self.columns = sorted(
            (self._response | self._rhs) & {str(c) for c in first.columns}
            | set(self.row_columns.values())
        )
        self.levels = self._find_levels(first, dict(categories or {}), reducer)
        matrices = _materialize(
            self.plan.ordered, self._prepared(first), namespace, "none", formula
        )
        self.spec = matrices.model_spec
        self.exog_names = tuple(str(c) for c in matrices.rhs.columns)
        self.endog_name = str(matrices.lhs.columns[0])
        if matrices.lhs.shape[1] != 1:
            raise NonNumericDataError(
                f"the response {str(self.plan.parsed.lhs)!r} is not a single numeric column"
            )
        self.terms = tuple(
            (term_label(t), tuple(idx))
            for t, idx in matrices.rhs.model_spec.term_indices.items()
            if idx
        )

    # --- levels -------------------------------------------------------------------------------

    def _find_levels(
        self, first: pd.DataFrame, given: dict[str, Sequence[Any]], reducer: Reducer
    ) -> dict[str, list[Any]]:
        """Levels of each categorical column, in the order the in-memory fit would use.

        Given levels are used as they are; booleans are ``[False, True]``; a pandas
        ``Categorical`` column keeps its categories (in order of first appearance across
        chunks); other columns get their sorted distinct values among the rows the fit
        uses (with ``missing="drop"``, rows with a value missing in a used column are not:
        their levels would be columns of zeros, as in memory they are not), found in one
        pass that reads only the used columns.
        """
        levels: dict[str, list[Any]] = {}
        to_scan = []
        for column in sorted(self.plan.categorical_columns):
            if column in given:
                levels[column] = list(given[column])
            elif pd.api.types.is_bool_dtype(first[column].dtype):
                levels[column] = [False, True]
            else:
                to_scan.append(column)
        if not to_scan:
            return levels
        seen: dict[str, dict[Any, None]] = {column: {} for column in to_scan}
        read = sorted(set(to_scan) | set(self.columns))
        for chunk in self.source.chunks(columns=read):
            if self.missing == "drop":
                chunk = chunk[~missing_rows({c: chunk[c] for c in self.columns})]
            for column in to_scan:
                values = chunk[column]
                found = (
                    values.cat.categories
                    if isinstance(values.dtype, pd.CategoricalDtype)
                    else pd.unique(values.dropna())
                )
                seen[column].update(dict.fromkeys(found))
        for column in to_scan:
            values = reducer.union(list(seen[column]))
            if isinstance(first[column].dtype, pd.CategoricalDtype):
                levels[column] = values
            else:
                levels[column] = _sorted_levels(column, values)
        return levels

    def _prepared(self, chunk: pd.DataFrame) -> pd.DataFrame:
        """Categorical columns with the fixed levels (an unknown level on a row the fit
        uses is an error; rows dropped for a missing value may hold levels no used row
        has, as their levels were not collected)."""
        chunk = chunk.reset_index(drop=True)
        if not self.levels:
            return chunk
        used: np.ndarray | None = None  # the rows the fit uses, found only when needed
        chunk = chunk.copy(deep=False)
        for column, levels in self.levels.items():
            values = chunk[column]
            encoded = pd.Categorical(values, categories=levels)
            unseen = (encoded.codes < 0) & values.notna().to_numpy()
            if unseen.any() and self.missing == "drop":
                if used is None:
                    present = [c for c in self.columns if c in chunk.columns]
                    used = ~missing_rows({c: chunk[c] for c in present})
                unseen &= used
            if unseen.any():
                raise UnseenLevelError(
                    f"column {column!r} holds level(s) {sorted(map(str, set(values[unseen])))[:5]} "
                    "outside its categories"
                )
            chunk[column] = encoded
        return chunk

    # --- chunks -------------------------------------------------------------------------------

    def chunks(self, extra_columns: Sequence[str] | None = None) -> Iterator[Chunk]:
        """One pass over the data: each chunk's response, design and weights.

        ``extra_columns`` (e.g. cluster labels) are read too and kept in ``Chunk.frame``.
        """
        columns = list(self.columns) + [c for c in extra_columns or () if c not in self.columns]
        for number, raw in enumerate(self.source.chunks(columns=columns)):
            missing = [c for c in extra_columns or () if c not in raw.columns]
            if missing:
                raise UnknownColumnError(f"column(s) {missing} are not in the data")
            chunk = self._chunk(
                raw, f"chunk {number} (counting from 0) of {self.source.description}"
            )
            if chunk is not None:
                yield chunk

    def _chunk(self, raw: pd.DataFrame, where: str) -> Chunk | None:
        """The chunk's tensors, refusing what the in-memory fit refuses (with its errors)."""
        frame = self._prepared(raw)
        if self.row_columns:
            given = frame[list(self.row_columns.values())]
            absent = given.isna().any(axis=1).to_numpy()
            if absent.any():
                if self.missing == "raise":
                    columns = [c for c in given.columns if given[c].isna().any()]
                    raise MissingDataError(
                        f"missing values in column(s) {columns} with missing='raise' ({where})"
                    )
                frame = frame.loc[~absent]
        if frame.empty:
            return None
        check_numeric_columns(self.spec.lhs, frame, where=where)
        check_numeric_columns(self.spec.rhs, frame, where=where)
        try:
            matrices = self.spec.get_model_matrix(
                frame, context=self.plan.namespace, na_action=self.missing
            )
        except ValueError as error:
            raise MissingDataError(f"in {where}: {error}") from None
        rhs, lhs = matrices.rhs, matrices.lhs
        if rhs.shape[0] == 0:
            return None
        rows = frame.loc[rhs.index]
        extras = {
            role: _row_values(rows[column], role, column, where, self.device, self.dtype)
            for role, column in self.row_columns.items()
        }
        # formulaic keeps the frame it was given in reference cycles (ModelSpec.from_spec's
        # closure over the data context calls itself), so the frame would outlive the chunk
        # until Python's cyclic collector runs, which left up to ten chunks' data behind in
        # a pass; the frame is this method's own copy, so empty it
        for column in list(frame.columns):
            del frame[column]
        endog = to_tensor(
            lhs.iloc[:, 0].to_numpy(), name="endog", device=self.device, dtype=self.dtype
        )
        # the spec's materializer built one column-major buffer: wrapped, not copied
        exog = to_tensor(rhs.to_numpy(), name="exog", device=self.device, dtype=self.dtype)
        culprits = nonfinite_columns(endog, exog, self.exog_names)
        if culprits:
            raise nonfinite_error(culprits, f" in {where}")
        return Chunk(endog=endog, exog=exog, extras=extras, frame=rows)

    def design(self) -> Design:
        """An empty :class:`Design` carrying names, spec and namespace (for ``predict``)."""
        k = len(self.exog_names)
        empty = torch.empty((0, k), dtype=self.dtype, device=self.device)
        return Design(
            endog=torch.empty(0, dtype=self.dtype, device=self.device),
            exog=empty,
            endog_name=self.endog_name,
            exog_names=self.exog_names,
            output=OutputFormat("pandas", self.exog_names, None),
            terms=self.terms,
            formula=self.plan.text,
            model_spec=self.spec.rhs,
            context=self.plan.namespace,
        )


def _row_values(
    values: pd.Series, role: str, column: str, where: str, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """A per-row column as a tensor, refusing values its role cannot take."""
    tensor = to_tensor(values.to_numpy(dtype=np.float64), name=role, device=device, dtype=dtype)
    if role.endswith("weights"):
        check_weights(tensor, f" in {where}")
    elif not bool(torch.isfinite(tensor).all()):
        raise DesignError(f"{role} column {column!r} holds infinite values in {where}")
    elif role == "exposure" and not bool((tensor > 0).all()):
        raise DesignError(
            f"exposure column {column!r} must be positive; found values <= 0 in {where}"
        )
    return tensor
