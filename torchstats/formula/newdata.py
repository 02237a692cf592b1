"""Design matrices for new data, built exactly as the fitted design was (for ``predict``)."""

from __future__ import annotations

import builtins
import copy
import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch
from formulaic.errors import FactorEncodingError, FactorEvaluationError
from formulaic.model_spec import ModelSpec
from formulaic.parser.types import Factor
from formulaic.transforms import TRANSFORMS

from torchstats._device import to_tensor
from torchstats.errors import (
    DesignError,
    NonNumericDataError,
    ShapeMismatchError,
    UnknownColumnError,
    UnseenLevelError,
)
from torchstats.formula.design import (
    OUTSIDE_LEVELS_WARNING,
    Design,
    _as_frame,
)
from torchstats.formula.missing import missing_rows
from torchstats.formula.parsing import expression_variables, factor_error, formula_variables

__all__ = ["check_numeric_columns", "exog_for_prediction"]


def exog_for_prediction(
    design: Design, new_data: Any, *, device: torch.device, dtype: torch.dtype
) -> tuple[torch.Tensor, pd.Index | None]:
    """The design matrix for new data, built as the fit's design was.

    For formula designs the stored ModelSpec rebuilds the columns (categorical levels and
    stateful transforms carry over; rows with missing values give NaN predictions, as in
    statsmodels). For array designs ``new_data`` must have the same number of columns.

    Returns
    -------
    exog : Tensor, shape (m, k)
    index : pandas.Index or None
        Labels for the predictions (the new data's index for pandas input).

    Raises
    ------
    UnseenLevelError
        A categorical level that was not in the fitted data.
    ShapeMismatchError, UnknownColumnError, NonNumericDataError
    """
    if design.model_spec is None:
        X = to_tensor(new_data, name="exog", device=device, dtype=dtype)
        if X.ndim == 1:
            X = X[:, None] if design.k_exog == 1 else X[None, :]
        if X.ndim != 2 or X.shape[1] != design.k_exog:
            raise ShapeMismatchError(
                f"new exog has shape {tuple(X.shape)} but the model has {design.k_exog} columns"
            )
        return X, _array_labels(new_data, X.shape[0])
    rhs_formula = design.model_spec.formula
    used = formula_variables(rhs_formula)
    frame = _as_frame(_series_as_frame(new_data, set(used)))
    # pandas input keeps its labels; so does a mapping of Series (statsmodels' dict(frame))
    labelled = isinstance(new_data, (pd.Series, pd.DataFrame)) or (
        isinstance(new_data, Mapping)
        and any(isinstance(value, pd.Series) for value in new_data.values())
    )
    labels = frame.index if labelled else None
    missing_vars = sorted(
        name
        for name in used
        if name not in {str(c) for c in frame.columns}
        and name not in (design.context or {})
        and name not in TRANSFORMS
        and not hasattr(builtins, name)
    )
    if missing_vars:
        raise UnknownColumnError(
            f"new data lacks column(s) {', '.join(map(repr, missing_vars))} used by the model"
        )
    check_numeric_columns(design.model_spec, frame, where="the new data")
    # formulaic writes the new data's factor kinds and encoder states into the spec it
    # builds from: a failed or mismatched call would change the fitted model for good
    spec = design.model_spec.update(
        encoder_state=copy.deepcopy(design.model_spec.encoder_state),
        transform_state=copy.deepcopy(design.model_spec.transform_state),
    )
    # the fit's namespace (design.context) names its categorical booleans
    frame = frame.reset_index(drop=True)
    incomplete = missing_rows({c: frame[c] for c in frame.columns if str(c) in used})
    # Rows with missing values predict NaN (statsmodels); only complete rows are encoded
    # first, so that a missing categorical value is not mistaken for an unseen level.
    complete = frame if not incomplete.any() else frame.loc[~incomplete]
    values = np.full((len(frame), design.k_exog), np.nan)
    values[~incomplete if incomplete.size else slice(None)] = _encode(design, spec, complete)
    # A missing number that the formula handles (x.fillna(0), np.isnan(x), I(x > 0)) gave
    # the fit a row, and gives one here: those rows are encoded too unless a categorical
    # factor is missing there, and keep NaN where the encoding does (np.log(x)).
    categories = _categorical_variables(spec)
    retry = incomplete.copy()
    for column in frame.columns:
        if str(column) in categories:
            retry &= ~frame[column].isna().to_numpy()
    if retry.any():
        try:
            values[retry] = _encode(design, spec, frame.loc[retry])
        except DesignError:  # a transform that refuses missing values: NaN, as before
            pass
    X = to_tensor(values, name="exog", device=device, dtype=dtype)
    return X, pd.RangeIndex(X.shape[0]) if labels is None else labels


def _encode(design: Design, spec: ModelSpec, frame: pd.DataFrame) -> np.ndarray:
    """The fitted design's columns for the rows of ``frame`` (see :func:`exog_for_prediction`)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=OUTSIDE_LEVELS_WARNING)
        try:
            matrix = spec.get_model_matrix(
                _categories_as_fitted(spec, frame), context=design.context, na_action="ignore"
            )
        except FactorEvaluationError as error:
            raise factor_error(error, design.formula or "") from None
        except FactorEncodingError as error:
            raise NonNumericDataError(
                f"new data do not encode as the fitted design did: {error}; give each "
                "column the type it had when fitting"
            ) from None
        except Warning as warning:
            values = re.search(r"\{.*\}", str(warning))
            raise UnseenLevelError(
                f"new data hold categorical level(s) not seen when fitting: "
                f"{values.group() if values else warning}"
            ) from None
        except ValueError as error:
            raise DesignError(f"cannot build the design for new data: {error}") from None
    encoded = matrix.to_numpy(dtype=np.float64)
    if design.spec_columns is not None:  # columns the fit dropped (drop_columns)
        encoded = encoded[:, list(design.spec_columns)]
    return encoded


def _categorical_variables(spec: ModelSpec) -> set[str]:
    """The data columns whose values the fitted design encodes as categories: columns looked
    up by name and read by ``C(...)``. A missing value there must not be encoded (formulaic
    would code it as the reference level); other categorical expressions (``I(x > 0)``,
    ``np.isnan(x)``) turn a missing value into a category themselves."""
    names: set[str] = set()
    for expr, (kind, _state) in spec.encoder_state.items():
        if kind != Factor.Kind.CATEGORICAL:
            continue
        if expr.startswith("C("):
            names |= expression_variables(expr)
        elif expr.isidentifier() or not expression_variables(expr):
            names.add(expr)  # a column looked up by name (perhaps not an identifier)
    return names


def _array_labels(new_data: Any, rows: int) -> pd.Index | None:
    """Labels of new array-design rows: the frame's index, a one-row Series' name (statsmodels
    labels that row ``[series.index.name]``), a column Series' index; None for arrays."""
    if isinstance(new_data, pd.DataFrame):
        return new_data.index
    if isinstance(new_data, pd.Series):
        return pd.Index([new_data.name]) if rows == 1 and len(new_data) > 1 else new_data.index
    return None


def _series_as_frame(new_data: Any, variables: set[str]) -> Any:
    """A Series as a one-row frame (its index names the variables), or as one column when its
    name is a variable of the formula (statsmodels' guess in ``_transform_predict_exog``)."""
    if not isinstance(new_data, pd.Series):
        return new_data
    if isinstance(new_data.name, str) and new_data.name in variables:
        return new_data.to_frame()
    return new_data.to_frame().T.infer_objects()


def _categories_as_fitted(spec: ModelSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the numbers of columns that were categorical when fitting as
    objects, so that they are matched against the fitted levels: formulaic evaluates a
    column by its dtype and would put the codes 1, 2, 3 of a text factor into every dummy
    column (statsmodels' patsy refuses them as unseen levels)."""
    changed = {
        expr: frame[expr].astype(object)
        for expr, (kind, _state) in spec.encoder_state.items()
        if kind == Factor.Kind.CATEGORICAL
        and expr in frame.columns
        and pd.api.types.is_numeric_dtype(frame[expr].dtype)
        and not pd.api.types.is_bool_dtype(frame[expr].dtype)  # read as categories anyway
    }
    return frame.assign(**changed) if changed else frame


def check_numeric_columns(spec: ModelSpec, frame: pd.DataFrame, *, where: str) -> None:
    """Refuse data whose column is text where the fitted (or first chunk's) column was numeric.

    formulaic would encode the text as a factor and fail with "too many columns"; the
    error here names the column, ``where`` it is (e.g. ``"the new data"``) and the fix.
    """
    for expr, (kind, _state) in spec.encoder_state.items():
        if kind != Factor.Kind.NUMERICAL or expr not in frame.columns:
            continue
        dtype = frame[expr].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise NonNumericDataError(
                f"column {expr!r} of {where} is {dtype} but was numeric when fitting (numbers "
                f"stored as text?); convert it first, e.g. with pd.to_numeric(data[{expr!r}])"
            )
