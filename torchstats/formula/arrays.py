"""The array door: a :class:`Design` from endog and exog given as numpy, pandas or torch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats._device import OutputFormat, output_kind_of, to_tensor
from torchstats._typing import Missing
from torchstats.errors import EmptyDataError, MissingDataError, ShapeMismatchError
from torchstats.formula.alignment import DataRows, align_to_data, shared_row_index
from torchstats.formula.categorical_response import response_codes
from torchstats.formula.constant import constant_columns
from torchstats.formula.design import Design
from torchstats.formula.missing import check_missing_option

__all__ = ["design_from_arrays"]


def design_from_arrays(
    endog: Any,
    exog: Any,
    *,
    missing: Missing = "none",
    extras: Mapping[str, Any] | None = None,
    device: torch.device,
    dtype: torch.dtype,
    categorical_response: bool = False,
) -> Design:
    """Build a :class:`Design` from endog and exog arrays (numpy, pandas or torch).

    No constant is added, as in ``statsmodels.api.OLS``. Names follow statsmodels:
    pandas labels when given, else ``y`` and ``const``/``x1``...``xk``. With pandas data,
    pandas ``extras`` are matched to the rows by label, arrays by position (see
    :mod:`torchstats.formula.alignment`). With ``categorical_response`` the response is read
    as categories (numbers, text, a ``Categorical`` or an indicator matrix): ``endog``
    holds the codes ``0..J-1`` and ``endog_levels`` the outcomes (see
    :func:`~torchstats.formula.categorical_response.response_codes`).

    Raises
    ------
    ShapeMismatchError, RowLabelError, NonNumericDataError, MissingDataError, EmptyDataError
    """
    missing = check_missing_option(missing)
    if exog is None:
        raise ShapeMismatchError("exog is required: pass the design matrix (no constant is added)")
    levels, response_name = None, None
    if categorical_response:
        codes, levels, response_name = response_codes(endog)
        y = to_tensor(codes, name="endog", device=device, dtype=dtype)
    else:
        y = to_tensor(endog, name="endog", device=device, dtype=dtype)
    X = to_tensor(exog, name="exog", device=device, dtype=dtype)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ShapeMismatchError(f"endog must be one-dimensional, got shape {tuple(y.shape)}")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ShapeMismatchError(f"exog must be two-dimensional, got shape {tuple(X.shape)}")
    if X.shape[0] != y.shape[0]:
        raise ShapeMismatchError(
            f"endog has {y.shape[0]} rows but exog has {X.shape[0]}; they must have the same length"
        )
    row_index = shared_row_index(endog, exog)
    extra_tensors = {}
    for name, values in (extras or {}).items():
        if values is None:
            continue
        values = align_to_data(values, name, row_index)
        tensor = to_tensor(values, name=name, device=device, dtype=dtype).reshape(-1)
        if tensor.shape[0] != y.shape[0]:
            raise ShapeMismatchError(
                f"{name} has {tensor.shape[0]} values but endog has {y.shape[0]} rows"
            )
        extra_tensors[name] = tensor

    exog_names = _exog_names(exog, X)
    endog_name = _endog_name(endog) if response_name is None else response_name
    rows = DataRows(y.shape[0], np.arange(y.shape[0]), row_index)
    if missing != "none":
        y, X, extra_tensors, rows = _handle_array_missing(
            y, X, extra_tensors, rows, missing, endog_name, exog_names
        )
    if y.shape[0] == 0:
        raise EmptyDataError(
            "no observations" + (" left after dropping missing rows" if missing == "drop" else "")
        )
    kind = output_kind_of(endog, exog)
    return Design(
        endog=y,
        exog=X,
        endog_name=endog_name,
        exog_names=exog_names,
        output=OutputFormat(kind, exog_names, rows.used_index),
        extras=extra_tensors,
        terms=tuple((name, (i,)) for i, name in enumerate(exog_names)),
        rows=rows,
        endog_levels=levels,
    )


def _exog_names(exog: Any, X: torch.Tensor) -> tuple[str, ...]:
    if isinstance(exog, pd.DataFrame):
        return tuple(str(c) for c in exog.columns)
    if isinstance(exog, pd.Series):
        return (str(exog.name) if exog.name is not None else "x1",)
    # statsmodels.base.data._make_exog_names: a zero-variance column is "const" (the first
    # one; columns with NaN/inf are not constant, and are refused later anyway).
    k = X.shape[1]
    names = [f"x{i}" for i in range(1, k + 1)]
    if X.shape[0] > 1:
        constant = constant_columns(X)
        if constant:
            names = [f"x{i}" for i in range(1, k)]
            names.insert(constant[0], "const")
    return tuple(names)


def _endog_name(endog: Any) -> str:
    if isinstance(endog, pd.Series) and endog.name is not None:
        return str(endog.name)
    if isinstance(endog, pd.DataFrame) and endog.shape[1] == 1:
        return str(endog.columns[0])
    return "y"


def _handle_array_missing(
    y: torch.Tensor,
    X: torch.Tensor,
    extras: dict[str, torch.Tensor],
    rows: DataRows,
    missing: str,
    endog_name: str,
    exog_names: tuple[str, ...],
) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor], DataRows]:
    y_nan = torch.isnan(y)
    X_nan = torch.isnan(X)
    extra_nan = {name: torch.isnan(t) for name, t in extras.items()}
    bad = y_nan | X_nan.any(dim=1)
    for mask in extra_nan.values():
        bad = bad | mask
    if not bool(bad.any()):
        return y, X, extras, rows
    if missing == "raise":
        counts = {endog_name: int(y_nan.sum())}
        counts.update({name: int(c) for name, c in zip(exog_names, X_nan.sum(dim=0).tolist())})
        counts.update({name: int(m.sum()) for name, m in extra_nan.items()})
        culprits = [f"{name!r} ({count} missing)" for name, count in counts.items() if count]
        raise MissingDataError(
            f"missing values (NaN) in {', '.join(culprits)} with missing='raise'; "
            "use missing='drop' to drop those rows"
        )
    keep = ~bad
    kept = replace(rows, kept=np.flatnonzero(keep.cpu().numpy()))
    return y[keep], X[keep], {name: t[keep] for name, t in extras.items()}, kept
