"""Further designs on the same rows as a model's main design: :attr:`Design.blocks`.

A model may have more than one design matrix: a zero-inflated model has the count part's
``exog`` and the inflation part's ``exog_infl``. Each further design (a *block*) is named
and given either as an array, one row per observation (a pandas object is matched to the
data's rows by label, anything else by position, as offsets are), or, with a formula model,
as a right-hand side (``"~ x1 + C(g)"``) evaluated on the same data. All parts keep the same
rows: a row missing in any part is dropped from every part (``missing="drop"``) or refused
(``"raise"``). Each block is itself a :class:`~torchstats.formula.design.Design` with the
main design's response, rows and labels and its own columns, names and formula spec, so
predictions for new data rebuild it as they rebuild the main design
(:func:`~torchstats.formula.newdata.exog_for_prediction`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats._device import OutputFormat, to_tensor
from torchstats.errors import DesignError, MissingDataError, ShapeMismatchError
from torchstats.formula.alignment import DataRows, align_to_data, shared_row_index
from torchstats.formula.arrays import _exog_names, design_from_arrays
from torchstats.formula.design import Design, _as_frame, design_from_formula
from torchstats.formula.missing import check_missing_option

__all__ = ["constant_block", "design_with_blocks"]


def design_with_blocks(
    endog: Any,
    exog: Any,
    blocks: Mapping[str, Any],
    *,
    missing: str,
    extras: Mapping[str, Any] | None,
    context: Mapping[str, Any] | None,
    device: torch.device,
    dtype: torch.dtype,
) -> Design:
    """The main design (a formula, or endog and exog arrays) with its ``blocks``.

    Parameters
    ----------
    endog, exog
        As for :func:`~torchstats.formula.design.design_from_formula` (``endog`` a formula,
        ``exog`` its data) or :func:`~torchstats.formula.arrays.design_from_arrays`.
    blocks : mapping of str to array-like or str
        Each block's values: an array-like of shape (n, k) or (n,), or (formula models
        only) a right-hand-side formula such as ``"~ x1"``.
    missing : {"drop", "raise", "none"}
    extras, context, device, dtype
        As for the main design.

    Returns
    -------
    Design
        With ``blocks`` holding one Design per block, on the main design's rows.

    Raises
    ------
    DesignError
        A block formula without a formula model, or with a response.
    ShapeMismatchError
        A block array with another number of rows than the data.
    MissingDataError
        Missing values in a block with ``missing="raise"``.
    """
    missing = check_missing_option(missing)
    if isinstance(endog, str):
        return _formula_door(endog, exog, blocks, missing, extras, context, device, dtype)
    return _array_door(endog, exog, blocks, missing, extras, device, dtype)


def constant_block(design: Design) -> Design:
    """A block of one column of ones named ``const`` on ``design``'s rows (statsmodels'
    default ``exog_infl``)."""
    ones = torch.ones((design.nobs, 1), dtype=design.exog.dtype, device=design.exog.device)
    return _array_block(design, ones, ("const",))


# --- the formula door ----------------------------------------------------------------------


def _formula_door(
    formula: str,
    data: Any,
    blocks: Mapping[str, Any],
    missing: str,
    extras: Mapping[str, Any] | None,
    context: Mapping[str, Any] | None,
    device: torch.device,
    dtype: torch.dtype,
) -> Design:
    frame = _as_frame(data)
    extras = {
        name: _positional(align_to_data(values, name, frame.index, frame=frame))
        for name, values in (extras or {}).items()
        if values is not None
    }
    response = formula.split("~", 1)[0]
    formulas = {
        name: f"{response}~ {_right_hand_side(value, name)}"
        for name, value in blocks.items()
        if isinstance(value, str)
    }
    arrays = {
        name: _block_values(value, name, frame.index, len(frame), frame)
        for name, value in blocks.items()
        if not isinstance(value, str)
    }

    def build(text: str, rows: np.ndarray | None, part_missing: str) -> Design:
        """``text``'s design on the data's ``rows`` (None: all); the main formula takes
        the per-row extras."""
        part_extras = None
        if text is formula:
            part_extras = extras if rows is None else _take_all(extras, rows)
        return design_from_formula(
            text,
            frame if rows is None else frame.iloc[rows],
            missing=part_missing,  # type: ignore[arg-type]
            extras=part_extras,
            context=context,
            device=device,
            dtype=dtype,
        )

    main = build(formula, None, missing)
    kept = _rows_of(main)
    for text in formulas.values():
        # positions are unique: assume_unique skips numpy's unique() of both arrays, which
        # took 2.6 s of a 3e5-row fit with two blocks (and nothing once assumed)
        kept = np.intersect1d(kept, _rows_of(build(text, None, missing)), assume_unique=True)
    kept = _complete_rows(kept, arrays, missing)
    if len(kept) < main.nobs:
        main = _restricted(build(formula, kept, missing), kept, len(frame), frame.index, frame)
    rows = _rows_of(main)
    complete = "none" if missing == "none" else "raise"  # the rows kept are complete
    built = {
        name: _formula_block(main, build(text, rows, complete), blocks[name])
        for name, text in formulas.items()
    }
    for name, (values, names) in arrays.items():
        built[name] = _array_block(main, _on(main, values[rows]), names)
    return replace(main, blocks={name: built[name] for name in blocks})


def _right_hand_side(text: str, name: str) -> str:
    """``"~ x1 + x2"`` or ``"x1 + x2"`` as ``"x1 + x2"``; a response is refused."""
    left, tilde, right = text.partition("~")
    if tilde and left.strip():
        raise DesignError(
            f"{name}={text!r} has a response; give only the right-hand side, e.g. "
            f"{name}='~ {right.strip()}' (the model's response is used)"
        )
    return (right if tilde else left).strip()


def _formula_block(main: Design, block: Design, text: str) -> Design:
    """A block built from a formula, carrying the main design's response and rows."""
    output = OutputFormat(main.output.kind, block.exog_names, main.output.row_index)
    return replace(block, endog=main.endog, output=output, rows=main.rows, formula=text)


# --- the array door ------------------------------------------------------------------------


def _array_door(
    endog: Any,
    exog: Any,
    blocks: Mapping[str, Any],
    missing: str,
    extras: Mapping[str, Any] | None,
    device: torch.device,
    dtype: torch.dtype,
) -> Design:
    for name, value in blocks.items():
        if isinstance(value, str):
            raise DesignError(
                f"{name}={value!r} is a formula, which needs the model's formula and "
                f"DataFrame (e.g. Model('y ~ x', df, {name}='~ x')); pass the values instead"
            )
    index = shared_row_index(endog, exog)
    nrows = len(endog) if not isinstance(endog, torch.Tensor) else int(endog.shape[0])
    arrays = {name: _block_values(value, name, index, nrows) for name, value in blocks.items()}

    def build(rows: np.ndarray | None) -> Design:
        if rows is None:
            return design_from_arrays(
                endog,
                exog,
                missing=missing,  # type: ignore[arg-type]
                extras=extras,
                device=device,
                dtype=dtype,
            )
        part_extras = {
            name: _take(align_to_data(values, name, index), rows)
            for name, values in (extras or {}).items()
            if values is not None
        }
        return design_from_arrays(
            _take(endog, rows),
            _take(exog, rows),
            missing=missing,  # type: ignore[arg-type]
            extras=part_extras,
            device=device,
            dtype=dtype,
        )

    main = build(None)
    kept = _complete_rows(_rows_of(main), arrays, missing)
    if len(kept) < main.nobs:
        main = _restricted(build(kept), kept, nrows, index, None)
    rows = _rows_of(main)
    built = {
        name: _array_block(main, _on(main, values[rows]), names)
        for name, (values, names) in arrays.items()
    }
    return replace(main, blocks=built)


# --- shared parts ------------------------------------------------------------------------


def _block_values(
    value: Any, name: str, index: pd.Index | None, nrows: int, frame: pd.DataFrame | None = None
) -> tuple[torch.Tensor, tuple[str, ...]]:
    """A block array as a float64 CPU tensor of shape (nrows, k) and its column names
    (pandas labels, else statsmodels' ``const``/``x1``... names)."""
    aligned = align_to_data(value, name, index, frame=frame)
    values = to_tensor(aligned, name=name, device=torch.device("cpu"), dtype=torch.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] != nrows:
        raise ShapeMismatchError(
            f"{name} has shape {tuple(values.shape)} but the data have {nrows} rows; pass one "
            f"row of {name} per observation"
        )
    return values, _exog_names(aligned, values)


def _complete_rows(
    kept: np.ndarray, arrays: Mapping[str, tuple[torch.Tensor, tuple[str, ...]]], missing: str
) -> np.ndarray:
    """The rows of ``kept`` where no block array is missing (``"drop"``); ``"raise"``
    refuses missing values, ``"none"`` keeps them."""
    if missing == "none":
        return kept
    for name, (values, _) in arrays.items():
        incomplete = torch.isnan(values).any(dim=1).numpy()
        if not incomplete.any():
            continue
        if missing == "raise":
            raise MissingDataError(
                f"missing values (NaN) in {int(incomplete.sum())} row(s) of {name!r} with "
                "missing='raise'; use missing='drop' to drop those rows from every part"
            )
        kept = kept[~incomplete[kept]]
    return kept


def _rows_of(design: Design) -> np.ndarray:
    """Positions of ``design``'s rows in the data it was built from."""
    assert design.rows is not None  # both doors record them
    return design.rows.kept


def _restricted(
    design: Design, rows: np.ndarray, nrows: int, index: pd.Index | None, frame: Any
) -> Design:
    """``design``, built on the data's ``rows``, with its rows counted in the whole data."""
    return replace(design, rows=DataRows(nrows, rows[_rows_of(design)], index, frame))


def _array_block(main: Design, values: torch.Tensor, names: tuple[str, ...]) -> Design:
    return Design(
        endog=main.endog,
        exog=values,
        endog_name=main.endog_name,
        exog_names=names,
        output=OutputFormat(main.output.kind, names, main.output.row_index),
        terms=tuple((column, (i,)) for i, column in enumerate(names)),
        context=main.context,
        rows=main.rows,
    )


def _on(main: Design, values: torch.Tensor) -> torch.Tensor:
    return values.to(device=main.exog.device, dtype=main.exog.dtype)


def _positional(values: Any) -> Any:
    """Values already in the data's row order, as a numpy array (tensors stay tensors)."""
    if isinstance(values, (pd.Series, pd.DataFrame)):
        return values.to_numpy()
    return values if isinstance(values, torch.Tensor) else np.asarray(values)


def _take(values: Any, rows: np.ndarray) -> Any:
    """The ``rows`` (positions) of an array-like, keeping its type."""
    if isinstance(values, (pd.Series, pd.DataFrame)):
        return values.iloc[rows]
    if isinstance(values, torch.Tensor):
        return values[torch.as_tensor(rows, device=values.device)]
    return np.asarray(values)[rows]


def _take_all(values: Mapping[str, Any], rows: np.ndarray) -> dict[str, Any]:
    return {name: _take(v, rows) for name, v in values.items()}
