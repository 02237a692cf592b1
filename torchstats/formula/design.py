"""From user data to a :class:`Design`: the response, the design matrix and their labels.

Two doors lead in: :func:`design_from_formula` (a formula and a DataFrame, through formulaic,
with statsmodels' column names and order) and :func:`design_from_arrays` (endog and exog as
numpy, pandas or torch). Both settle missing rows, device and dtype, and return the same
frozen record; models never see pandas.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from formulaic import Formula, ModelSpec, model_matrix
from formulaic.errors import FactorEvaluationError, FormulaicError
from formulaic.formula import SimpleFormula
from formulaic.parser.types import Factor

from torchstats._device import OutputFormat, output_kind_of, to_tensor
from torchstats._typing import Missing
from torchstats.errors import (
    DesignError,
    EmptyDataError,
    MissingDataError,
    NonNumericDataError,
    ShapeMismatchError,
    UnknownColumnError,
    UnseenLevelError,
)
from torchstats.formula.missing import check_missing_option, missing_rows, raise_on_missing
from torchstats.formula.ordering import patsy_term_order, term_label

__all__ = ["Design", "design_from_formula", "design_from_arrays", "exog_for_prediction"]

# Rows evaluated to learn which factors are categorical before the full materialisation.
# Factor kinds depend on dtypes, not values, so a few rows suffice; 64 keeps the probe
# negligible next to the full build even for narrow data.
_KIND_PROBE_ROWS = 64

# Names available in every formula, as patsy users expect ``np.log(x)`` to work.
_DEFAULT_CONTEXT: dict[str, Any] = {"np": np, "numpy": np}


@dataclass(frozen=True, slots=True)
class Design:
    """A model's data, ready for torch.

    Attributes
    ----------
    endog : Tensor, shape (n,)
        Response.
    exog : Tensor, shape (n, k)
        Design matrix.
    endog_name : str
        Name of the response (``"y"`` for unnamed arrays, as statsmodels).
    exog_names : tuple of str
        Column names, in statsmodels' order and spelling.
    output : OutputFormat
        How results leave torchstats (pandas/numpy/torch) and their labels.
    extras : mapping of str to Tensor
        Other per-observation arrays (weights, offsets), aligned with the kept rows.
    terms : tuple of (str, tuple of int)
        Each formula term's statsmodels name and its column indices (one term per column
        for array input).
    formula : str or None
        The formula, for formula-built designs.
    model_spec : formulaic ModelSpec or None
        The right-hand side's spec, to rebuild the design for new data in ``predict``.
    context : mapping or None
        The caller's namespace captured at model creation, for ``predict``.
    """

    endog: torch.Tensor
    exog: torch.Tensor
    endog_name: str
    exog_names: tuple[str, ...]
    output: OutputFormat
    extras: Mapping[str, torch.Tensor] = field(default_factory=dict)
    terms: tuple[tuple[str, tuple[int, ...]], ...] = ()
    formula: str | None = None
    model_spec: ModelSpec | None = None
    context: Mapping[str, Any] | None = None

    @property
    def nobs(self) -> int:
        """Number of observations kept."""
        return int(self.exog.shape[0])

    @property
    def k_exog(self) -> int:
        """Number of design columns."""
        return int(self.exog.shape[1])

    @property
    def row_index(self) -> pd.Index | None:
        """Labels of the kept rows (pandas input only)."""
        return self.output.row_index


# --- formula door ------------------------------------------------------------------------


def design_from_formula(
    formula: str,
    data: Any,
    *,
    missing: Missing = "drop",
    extras: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    device: torch.device,
    dtype: torch.dtype,
) -> Design:
    """Build a :class:`Design` from a formula and a DataFrame, as statsmodels' ``from_formula``.

    Parameters
    ----------
    formula : str
        Wilkinson formula with a response, e.g. ``"y ~ x1 * C(g) + np.log(x2)"``.
    data : pandas.DataFrame or mapping of column name to array
        The data.
    missing : {"drop", "raise", "none"}
        Missing-value policy; ``"drop"`` keeps the original labels of the remaining rows.
    extras : mapping of str to array-like, optional
        Per-row arrays such as ``weights``, positionally aligned with ``data``.
    context : mapping, optional
        Names the formula may use besides the data columns (the caller's namespace).
    device, dtype
        Where and in which precision the tensors live.

    Raises
    ------
    UnknownColumnError, NonNumericDataError, MissingDataError, EmptyDataError,
    ShapeMismatchError, DesignError
    """
    missing = check_missing_option(missing)
    frame = _as_frame(data)
    parsed = _parse_formula(formula)
    namespace = {**_DEFAULT_CONTEXT, **(context or {})}
    _check_variables(parsed, frame, namespace, formula)

    original_index = frame.index
    frame = _prepare_frame(
        frame.reset_index(drop=True),
        rhs_variables={str(v) for v in parsed.rhs.required_variables},
        response_variables={str(v) for v in parsed.lhs.required_variables},
    )
    extra_arrays = _extras_as_arrays(extras or {}, len(frame))

    if missing == "raise":
        used = [str(v) for v in parsed.required_variables if v in frame.columns]
        raise_on_missing({**{name: frame[name] for name in used}, **extra_arrays})
    elif missing == "drop" and extra_arrays:
        keep = ~missing_rows(extra_arrays)
        if not keep.all():
            frame = frame.loc[keep]

    ordered = _statsmodels_formula(parsed, frame, namespace, formula)
    matrices = _materialize(ordered, frame, namespace, missing, formula)
    lhs, rhs = matrices.lhs, matrices.rhs
    if lhs.shape[1] != 1:
        raise NonNumericDataError(
            f"the response {str(parsed.lhs)!r} is not a single numeric column (it encodes to "
            f"{list(lhs.columns)}); use a numeric response"
        )
    positions = rhs.index.to_numpy()
    if positions.size == 0:
        raise EmptyDataError(
            f"no observations left for {formula!r}"
            + (" after dropping rows with missing values" if missing == "drop" else "")
        )

    exog_names = tuple(str(c) for c in rhs.columns)
    spec = rhs.model_spec
    return Design(
        endog=to_tensor(lhs.iloc[:, 0].to_numpy(), name="endog", device=device, dtype=dtype),
        exog=to_tensor(_numeric_matrix(rhs), name="exog", device=device, dtype=dtype),
        endog_name=str(lhs.columns[0]),
        exog_names=exog_names,
        output=OutputFormat("pandas", exog_names, original_index[positions]),
        extras={
            name: to_tensor(values[positions], name=name, device=device, dtype=dtype)
            for name, values in extra_arrays.items()
        },
        terms=tuple((term_label(t), tuple(idx)) for t, idx in spec.term_indices.items() if idx),
        formula=formula,
        model_spec=spec,
        context=namespace,
    )


def _as_frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        try:
            return pd.DataFrame(dict(data))
        except ValueError as error:
            raise ShapeMismatchError(f"cannot make a DataFrame of the data: {error}") from None
    raise DesignError(
        f"formula data must be a pandas DataFrame or a mapping of columns, not {type(data).__name__}"
    )


def _parse_formula(formula: str) -> Any:
    if not isinstance(formula, str):
        raise DesignError(f"formula must be a string such as 'y ~ x', not {type(formula).__name__}")
    try:
        parsed = Formula(formula, _ordering="none")
    except FormulaicError as error:
        raise DesignError(f"cannot parse formula {formula!r}: {error}") from None
    if not hasattr(parsed, "lhs") or not list(parsed.lhs):
        raise DesignError(f"formula {formula!r} has no response; write it as 'y ~ x1 + ...'")
    if len(list(parsed.lhs)) != 1:
        raise DesignError(f"formula {formula!r} must have exactly one response term")
    return parsed


def _check_variables(
    parsed: Any, frame: pd.DataFrame, namespace: Mapping[str, Any], formula: str
) -> None:
    columns = {str(c) for c in frame.columns}
    unknown = sorted(
        str(v)
        for v in parsed.required_variables
        if str(v) not in columns and str(v) not in namespace and not hasattr(builtins, str(v))
    )
    if unknown:
        shown = ", ".join(map(repr, list(frame.columns)[:20]))
        more = ", ..." if frame.shape[1] > 20 else ""
        raise UnknownColumnError(
            f"unknown column(s) {', '.join(map(repr, unknown))} in formula {formula!r}: not in "
            f"the data (columns: {shown}{more}) nor in the calling namespace"
        )


def _prepare_frame(
    frame: pd.DataFrame, *, rhs_variables: set[str], response_variables: set[str]
) -> pd.DataFrame:
    """Make boolean right-hand-side columns categorical, as patsy treats them.

    A boolean response stays numeric (0/1), which is what binary models want.
    """
    to_convert = [
        c
        for c in frame.columns
        if str(c) in rhs_variables
        and str(c) not in response_variables
        and pd.api.types.is_bool_dtype(frame[c].dtype)
    ]
    if not to_convert:
        return frame
    frame = frame.copy(deep=False)
    for column in to_convert:
        frame[column] = pd.Categorical(frame[column], categories=[False, True])
    return frame


def _extras_as_arrays(extras: Mapping[str, Any], nrows: int) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for name, values in extras.items():
        if values is None:
            continue
        if isinstance(values, torch.Tensor):
            values = values.detach().cpu().numpy()
        array = np.asarray(values, dtype=np.float64) if not isinstance(values, pd.Series) else (
            values.to_numpy(dtype=np.float64, na_value=np.nan)
        )
        if array.ndim != 1 or array.shape[0] != nrows:
            raise ShapeMismatchError(
                f"{name} has shape {array.shape} but the data have {nrows} rows; "
                f"pass one {name} value per row"
            )
        arrays[name] = array
    return arrays


def _statsmodels_formula(
    parsed: Any, frame: pd.DataFrame, namespace: Mapping[str, Any], formula: str
) -> Any:
    """Reorder the right-hand-side terms as patsy does (see :mod:`.ordering`)."""
    terms = list(parsed.rhs)
    if len(terms) < 2:
        return parsed
    probe = _materialize(parsed, frame.head(_KIND_PROBE_ROWS), namespace, "none", formula)
    numeric = {
        expr
        for expr, (kind, _state) in probe.rhs.model_spec.encoder_state.items()
        if kind == Factor.Kind.NUMERICAL
    }
    ordered = patsy_term_order(terms, numeric)
    if ordered == terms:
        return parsed
    return Formula(lhs=parsed.lhs, rhs=SimpleFormula(ordered, _ordering="none"))


def _materialize(
    formula: Any, frame: pd.DataFrame, namespace: Mapping[str, Any], missing: str, text: str
) -> Any:
    na_action = {"drop": "drop", "raise": "raise", "none": "ignore"}[missing]
    try:
        return model_matrix(formula, frame, context=namespace, na_action=na_action)
    except FactorEvaluationError as error:
        raise _factor_error(error, text) from None
    except ValueError as error:
        if "null values" in str(error):
            raise MissingDataError(
                f"missing values after evaluating formula {text!r} with missing='raise': {error}"
            ) from None
        raise DesignError(f"cannot build the design for {text!r}: {error}") from None


def _factor_error(error: FactorEvaluationError, formula: str) -> DesignError:
    cause = error.__cause__
    if isinstance(cause, NameError):
        return UnknownColumnError(f"in formula {formula!r}: {error}")
    if isinstance(cause, TypeError):
        return NonNumericDataError(
            f"in formula {formula!r}: {error} (is a text column used where a number is needed?)"
        )
    return DesignError(f"in formula {formula!r}: {error}")


def _numeric_matrix(matrix: pd.DataFrame) -> np.ndarray:
    return matrix.to_numpy(dtype=np.float64)


# --- array door --------------------------------------------------------------------------


def design_from_arrays(
    endog: Any,
    exog: Any,
    *,
    missing: Missing = "none",
    extras: Mapping[str, Any] | None = None,
    device: torch.device,
    dtype: torch.dtype,
) -> Design:
    """Build a :class:`Design` from endog and exog arrays (numpy, pandas or torch).

    No constant is added, as in ``statsmodels.api.OLS``. Names follow statsmodels:
    pandas labels when given, else ``y`` and ``const``/``x1``...``xk``.

    Raises
    ------
    ShapeMismatchError, NonNumericDataError, MissingDataError, EmptyDataError
    """
    missing = check_missing_option(missing)
    if exog is None:
        raise ShapeMismatchError("exog is required: pass the design matrix (no constant is added)")
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
    extra_tensors = {}
    for name, values in (extras or {}).items():
        if values is None:
            continue
        tensor = to_tensor(values, name=name, device=device, dtype=dtype).reshape(-1)
        if tensor.shape[0] != y.shape[0]:
            raise ShapeMismatchError(
                f"{name} has {tensor.shape[0]} values but endog has {y.shape[0]} rows"
            )
        extra_tensors[name] = tensor

    exog_names = _exog_names(exog, X)
    endog_name = _endog_name(endog)
    row_index = _row_index(endog, exog)
    if missing != "none":
        y, X, extra_tensors, row_index = _handle_array_missing(
            y, X, extra_tensors, row_index, missing, endog_name, exog_names
        )
    if y.shape[0] == 0:
        raise EmptyDataError("no observations" + (" left after dropping missing rows" if missing == "drop" else ""))
    kind = output_kind_of(endog, exog)
    return Design(
        endog=y,
        exog=X,
        endog_name=endog_name,
        exog_names=exog_names,
        output=OutputFormat(kind, exog_names, row_index),
        extras=extra_tensors,
        terms=tuple((name, (i,)) for i, name in enumerate(exog_names)),
    )


def _exog_names(exog: Any, X: torch.Tensor) -> tuple[str, ...]:
    if isinstance(exog, pd.DataFrame):
        return tuple(str(c) for c in exog.columns)
    if isinstance(exog, pd.Series):
        return (str(exog.name) if exog.name is not None else "x1",)
    # statsmodels.base.data._make_exog_names: a zero-variance column is "const".
    k = X.shape[1]
    names = [f"x{i}" for i in range(1, k + 1)]
    if X.shape[0] > 1:
        variance = X.var(dim=0)
        if bool((variance == 0).any()):
            const_at = int(torch.argmin(variance))
            names = [f"x{i}" for i in range(1, k)]
            names.insert(const_at, "const")
    return tuple(names)


def _endog_name(endog: Any) -> str:
    if isinstance(endog, pd.Series) and endog.name is not None:
        return str(endog.name)
    if isinstance(endog, pd.DataFrame) and endog.shape[1] == 1:
        return str(endog.columns[0])
    return "y"


def _row_index(endog: Any, exog: Any) -> pd.Index | None:
    for value in (endog, exog):
        if isinstance(value, (pd.Series, pd.DataFrame)):
            return value.index
    return None


def _handle_array_missing(
    y: torch.Tensor,
    X: torch.Tensor,
    extras: dict[str, torch.Tensor],
    row_index: pd.Index | None,
    missing: str,
    endog_name: str,
    exog_names: tuple[str, ...],
) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor], pd.Index | None]:
    y_nan = torch.isnan(y)
    X_nan = torch.isnan(X)
    extra_nan = {name: torch.isnan(t) for name, t in extras.items()}
    bad = y_nan | X_nan.any(dim=1)
    for mask in extra_nan.values():
        bad = bad | mask
    if not bool(bad.any()):
        return y, X, extras, row_index
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
    if row_index is not None:
        row_index = row_index[keep.cpu().numpy()]
    return y[keep], X[keep], {name: t[keep] for name, t in extras.items()}, row_index


# --- new data for predict -----------------------------------------------------------------


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
        index = new_data.index if isinstance(new_data, (pd.Series, pd.DataFrame)) else None
        return X, index
    frame = _as_frame(new_data)
    rhs_formula = design.model_spec.formula
    missing_vars = sorted(
        str(v)
        for v in rhs_formula.required_variables
        if str(v) not in {str(c) for c in frame.columns}
        and str(v) not in (design.context or {})
        and not hasattr(builtins, str(v))
    )
    if missing_vars:
        raise UnknownColumnError(
            f"new data lacks column(s) {', '.join(map(repr, missing_vars))} used by the model"
        )
    used = {str(v) for v in rhs_formula.required_variables}
    frame = _prepare_frame(frame.reset_index(drop=True), rhs_variables=used, response_variables=set())
    incomplete = missing_rows({c: frame[c] for c in frame.columns if str(c) in used})
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*categories outside of the nominated levels.*")
        try:
            matrix = design.model_spec.get_model_matrix(
                frame, context=design.context, na_action="ignore"
            )
        except FactorEvaluationError as error:
            raise _factor_error(error, design.formula or "") from None
        except Warning as warning:
            raise UnseenLevelError(
                f"new data hold categorical level(s) not seen when fitting: {warning}"
            ) from None
        except ValueError as error:
            raise DesignError(f"cannot build the design for new data: {error}") from None
    values = _numeric_matrix(matrix)
    if incomplete.any():  # statsmodels predicts NaN for rows with missing values
        values[incomplete] = np.nan
    X = to_tensor(values, name="exog", device=device, dtype=dtype)
    index = new_data.index if isinstance(new_data, pd.DataFrame) else pd.RangeIndex(X.shape[0])
    return X, index
