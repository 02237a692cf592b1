"""From user data to a :class:`Design`: the response, the design matrix and their labels.

Two doors lead in: :func:`design_from_formula` here (a formula and a DataFrame, through
formulaic, with statsmodels' column names and order) and
:func:`~torchstats.formula.arrays.design_from_arrays` (endog and exog as numpy, pandas or
torch). Both settle missing rows, device and dtype, and return the same frozen record;
models never see pandas.
"""

from __future__ import annotations

import builtins
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
from formulaic import Formula, ModelSpec, model_matrix
from formulaic.errors import FactorEvaluationError
from formulaic.formula import SimpleFormula
from formulaic.parser.types import Factor
from formulaic.transforms import TRANSFORMS

from torchstats._device import OutputFormat, to_tensor
from torchstats._typing import Missing
from torchstats.errors import (
    DesignError,
    EmptyDataError,
    MissingDataError,
    NonNumericDataError,
    NumbersAsTextWarning,
    ShapeMismatchError,
    UnknownColumnError,
    UnseenLevelError,
    warn,
)
from torchstats.formula.alignment import DataRows, align_to_data
from torchstats.formula.categorical_response import formula_response_codes
from torchstats.formula.contrasts import PATSY_CONTRASTS, from_patsy
from torchstats.formula.materializer import CATEGORICAL_BOOLEANS, ColumnMajorMaterializer
from torchstats.formula.missing import check_missing_option, missing_rows, raise_on_missing
from torchstats.formula.ordering import patsy_term_order, term_label
from torchstats.formula.parsing import (  # noqa: F401 (_parsed: its cache statistics)
    _parsed,
    factor_error,
    factor_variables,
    formula_variables,
    parse_formula,
)
from torchstats.formula.pickled_namespace import reduced_namespace, restored_namespace
from torchstats.formula.sparse import needs_sparse_design, sparse_model_matrices
from torchstats.formula.splines import PATSY_SPLINES
from torchstats.structured.block_matrix import select_rows

__all__ = [
    "Design",
    "OUTSIDE_LEVELS_WARNING",
    "FormulaPlan",
    "design_from_formula",
    "drop_columns",
    "formula_namespace",
    "with_categorical_booleans",
    "plan_formula",
]

# Rows evaluated to learn which factors are categorical before the full materialisation.
# Factor kinds depend on dtypes, not values, so a few rows suffice; 64 keeps the probe
# negligible next to the full build even for narrow data.
_KIND_PROBE_ROWS = 64

# Names available in every formula, as patsy users expect ``np.log(x)``, ``C(g, Sum)`` and
# ``bs(x, df=4)`` to work (patsy's contrasts and spline columns replace formulaic's), and
# ``scale(x)`` to be patsy's: its alias of ``standardize`` (dividing by the n standard
# deviation, ``ddof=0``; formulaic's own ``scale`` divides by the n - 1 one).
_DEFAULT_CONTEXT: dict[str, Any] = {
    "np": np,
    "numpy": np,
    **PATSY_CONTRASTS,
    **PATSY_SPLINES,
    "scale": TRANSFORMS["standardize"],
}


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
    rows : DataRows or None
        The rows of the data as given and which of them are used, to match per-row
        arguments given at fit time (cluster groups) to the rows.
    endog_levels : tuple or None
        For a categorical response (``categorical_response=True``): the outcome of each
        code ``0..J-1`` that ``endog`` holds (see
        :mod:`~torchstats.formula.categorical_response`).
    blocks : mapping of str to Design
        Further designs on the same rows, by name (e.g. a zero-inflated model's
        ``exog_infl``): each with this design's response, rows and labels and its own
        columns (see :mod:`torchstats.formula.blocks`).
    spec_columns : tuple of int or None
        The columns of ``model_spec``'s matrix the design keeps, when some were dropped
        (:func:`drop_columns`); None keeps them all.
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
    rows: DataRows | None = None
    endog_levels: tuple[Any, ...] | None = None
    blocks: Mapping[str, Design] = field(default_factory=dict)
    spec_columns: tuple[int, ...] | None = None

    def __getstate__(self) -> list[Any]:
        """The fields, with the namespace reduced to what the formula needs (a module or
        the caller's other variables cannot or need not be pickled)."""
        return [
            reduced_namespace(self.context, self.formula, _DEFAULT_CONTEXT)
            if item.name == "context"
            else getattr(self, item.name)
            for item in fields(self)
        ]

    def __setstate__(self, state: list[Any]) -> None:
        for item, value in zip(fields(self), state, strict=True):
            if item.name == "context":
                value = restored_namespace(value, _DEFAULT_CONTEXT)
            object.__setattr__(self, item.name, value)

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

    def select_rows(self, keep: torch.Tensor) -> Design:
        """The design restricted to the rows where ``keep`` is True, in their order.

        For models that use only some observations by definition (statsmodels' truncated
        count models keep the counts above the truncation point): the response, design,
        per-row extras, row labels and :class:`DataRows` positions are all restricted, so
        later per-row arguments (cluster groups) still match by label or position.

        Parameters
        ----------
        keep : Tensor of bool, shape (nobs,)
        """
        positions = torch.nonzero(keep).reshape(-1)
        index = self.output.row_index
        output = OutputFormat(
            self.output.kind,
            self.output.param_names,
            None if index is None else index[positions.cpu().numpy()],
        )
        rows = self.rows
        if rows is not None:
            rows = DataRows(rows.nrows, rows.kept[positions.cpu().numpy()], rows.index, rows.frame)
        # every other field (the kept spec columns, the outcome levels) stays as it is
        return replace(
            self,
            endog=self.endog[positions],
            exog=select_rows(self.exog, positions),  # type: ignore[arg-type]  # see _sparse_design
            output=output,
            extras={name: values[positions] for name, values in self.extras.items()},
            rows=rows,
            blocks={name: block.select_rows(keep) for name, block in self.blocks.items()},
        )


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
    categorical_response: bool = False,
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
    extras : mapping of str to array-like or str, optional
        Per-row arguments such as ``weights``: pandas objects are matched to the rows of
        ``data`` by label, arrays by position, and a string names a column of ``data``
        (see :mod:`torchstats.formula.alignment`).
    context : mapping, optional
        Names the formula may use besides the data columns (the caller's namespace).
    device, dtype
        Where and in which precision the tensors live.
    categorical_response : bool
        Read the response as categories (``y`` numeric, text, ``C(y)`` or a
        ``Categorical``): ``endog`` holds the codes ``0..J-1`` and ``endog_levels`` the
        outcomes (multinomial models).

    Raises
    ------
    UnknownColumnError, NonNumericDataError, MissingDataError, EmptyDataError,
    ShapeMismatchError, RowLabelError, DesignError
    """
    missing = check_missing_option(missing)
    frame = _as_frame(data)
    extras = {
        name: align_to_data(values, name, frame.index, frame=frame)
        for name, values in (extras or {}).items()
        if values is not None
    }
    parsed = parse_formula(formula, frame.columns)
    namespace = formula_namespace(context)
    check_variables(parsed, frame, namespace, formula)
    _warn_numbers_as_text(parsed, frame)

    data_frame, original_index = frame, frame.index
    frame = frame.reset_index(drop=True)
    namespace = with_categorical_booleans(namespace, parsed, frame)
    extra_arrays = _extras_as_arrays(extras, len(frame))

    if missing == "raise":
        required = formula_variables(parsed.rhs) | formula_variables(parsed.lhs)
        response = sorted(formula_variables(parsed.lhs))
        used = [c for c in response if c in frame.columns] + [
            c for c in frame.columns if str(c) in required and c not in response
        ]
        raise_on_missing({**{name: frame[name] for name in used}, **extra_arrays})
    elif missing == "drop" and extra_arrays:
        keep = ~missing_rows(extra_arrays)
        if not keep.all():
            frame = frame.loc[keep]

    plan = plan_formula(formula, frame, namespace)
    if missing == "none":
        _refuse_missing_categories(frame, plan.categorical_columns)
    if not categorical_response and needs_sparse_design(frame, plan.categorical_columns):
        return _sparse_design(plan, frame, data_frame, extra_arrays, missing, device, dtype)
    ordered = plan.ordered
    matrices = _materialize(ordered, frame, namespace, missing, formula)
    lhs, rhs = matrices.lhs, matrices.rhs
    if lhs.shape[1] != 1 and not categorical_response:
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
    levels = None
    if categorical_response:
        codes, levels = formula_response_codes(lhs)
        endog = to_tensor(codes, name="endog", device=device, dtype=dtype)
        endog_name = str(lhs.columns[0]) if lhs.shape[1] == 1 else str(lhs.model_spec.terms[0])
    else:
        endog = to_tensor(lhs.iloc[:, 0].to_numpy(), name="endog", device=device, dtype=dtype)
        endog_name = str(lhs.columns[0])
    # The materializer built the design as one column-major buffer: wrap it, no copy.
    exog = to_tensor(rhs.to_numpy(), name="exog", device=device, dtype=dtype)
    del matrices, lhs, rhs
    # every row kept (positions 0 .. n-1 in order): the data's own labels, not a copy
    every_row = len(positions) == len(original_index)
    return Design(
        endog=endog,
        exog=exog,
        endog_name=endog_name,
        exog_names=exog_names,
        output=OutputFormat(
            "pandas", exog_names, original_index if every_row else original_index[positions]
        ),
        extras={
            name: to_tensor(values[positions], name=name, device=device, dtype=dtype)
            for name, values in extra_arrays.items()
        },
        terms=tuple((term_label(t), tuple(idx)) for t, idx in spec.term_indices.items() if idx),
        formula=formula,
        model_spec=spec,
        context=namespace,
        rows=DataRows(len(data_frame), positions, original_index, data_frame),
        endog_levels=levels,
    )


def drop_columns(design: Design, names: Sequence[str]) -> Design:
    """The design without the columns ``names`` (those it has), as statsmodels'
    ``from_formula(drop_cols=...)``.

    The term indices are renumbered; for a formula design the kept columns of the
    ModelSpec's matrix are recorded (``spec_columns``) so that designs for new data drop the
    same columns.

    Raises
    ------
    DesignError
        The design is sparse (a many-level factor): its columns cannot be dropped.
    """
    drop = [i for i, name in enumerate(design.exog_names) if name in set(names)]
    if not drop:
        return design
    if not isinstance(design.exog, torch.Tensor):
        raise DesignError(f"cannot drop {names} from a sparse design (a many-level factor)")
    keep = [i for i in range(design.k_exog) if i not in drop]
    position = {old: new for new, old in enumerate(keep)}
    exog_names = tuple(design.exog_names[i] for i in keep)
    terms = tuple(
        (label, tuple(position[i] for i in columns if i in position))
        for label, columns in design.terms
    )
    spec_columns = design.spec_columns or tuple(range(design.k_exog))
    return replace(
        design,
        exog=design.exog[:, keep],
        exog_names=exog_names,
        output=OutputFormat(design.output.kind, exog_names, design.output.row_index),
        terms=tuple((label, columns) for label, columns in terms if columns),
        spec_columns=tuple(spec_columns[i] for i in keep) if design.model_spec else None,
    )


def formula_namespace(context: Mapping[str, Any] | None) -> dict[str, Any]:
    """The names a formula can use: ``np``/``numpy``, patsy's contrasts and splines, then the
    caller's context (patsy's contrast objects there read as torchstats' own)."""
    return {**_DEFAULT_CONTEXT, **{name: from_patsy(v) for name, v in (context or {}).items()}}


def _sparse_design(
    plan: FormulaPlan,
    frame: pd.DataFrame,
    data_frame: pd.DataFrame,
    extra_arrays: dict[str, np.ndarray],
    missing: str,
    device: torch.device,
    dtype: torch.dtype,
) -> Design:
    """The design of a formula with many-level factors, their dummies kept sparse."""
    required = formula_variables(plan.parsed.rhs) | formula_variables(plan.parsed.lhs)
    used = [c for c in frame.columns if str(c) in required]
    if missing == "drop":
        keep = ~missing_rows({c: frame[c] for c in used})
        if not keep.all():
            frame = frame.loc[keep]
    endog, exog, spec, kept = sparse_model_matrices(
        plan.ordered,
        frame,
        plan.namespace,
        plan.text,
        drop_nonfinite=missing == "drop",
        device=device,
        dtype=dtype,
    )
    positions = frame.index.to_numpy()[kept]
    original_index = data_frame.index
    exog_names = tuple(str(c) for c in spec.column_names)
    return Design(
        endog=to_tensor(endog, name="endog", device=device, dtype=dtype),
        exog=exog,  # type: ignore[arg-type]
        endog_name=str(plan.parsed.lhs),
        exog_names=exog_names,
        output=OutputFormat("pandas", exog_names, original_index[positions]),
        extras={
            name: to_tensor(values[positions], name=name, device=device, dtype=dtype)
            for name, values in extra_arrays.items()
        },
        terms=tuple((term_label(t), tuple(idx)) for t, idx in spec.term_indices.items() if idx),
        formula=plan.text,
        model_spec=spec,
        context=plan.namespace,
        rows=DataRows(len(data_frame), positions, original_index, data_frame),
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
        "formula data must be a pandas DataFrame or a mapping of columns, "
        f"not {type(data).__name__}"
    )


def check_variables(
    parsed: Any, frame: pd.DataFrame, namespace: Mapping[str, Any], formula: str
) -> None:
    """Refuse a formula naming variables in neither the data nor the namespace."""
    columns = {str(c) for c in frame.columns}
    unknown = sorted(
        name
        for name in formula_variables(parsed.rhs) | formula_variables(parsed.lhs)
        if name not in columns
        and name not in namespace
        and name not in TRANSFORMS
        and not hasattr(builtins, name)
    )
    if unknown:
        shown = ", ".join(map(repr, list(frame.columns)[:20]))
        more = ", ..." if frame.shape[1] > 20 else ""
        raise UnknownColumnError(
            f"unknown column(s) {', '.join(map(repr, unknown))} in formula {formula!r}: not in "
            f"the data (columns: {shown}{more}) nor in the calling namespace"
        )


def _warn_numbers_as_text(parsed: Any, frame: pd.DataFrame) -> None:
    """Warn about text or object columns used bare in the formula that hold only numbers.

    statsmodels (patsy) encodes any object column as a factor, without a word; numbers
    stored as text (``"1.5"``) or as Python objects in an ``object`` column (what a column
    with mixed missing markers often becomes) then become one dummy per distinct value,
    often one per row. The fit follows statsmodels; the warning names the column and the
    fix. ``C(x)`` says the factor is meant and is not warned about.
    """
    for term in parsed.rhs:
        for factor in term.factors:
            name = factor.expr
            if factor.eval_method != Factor.EvalMethod.LOOKUP or name not in frame.columns:
                continue
            column = frame[name]
            if not (
                pd.api.types.is_object_dtype(column.dtype)
                or pd.api.types.is_string_dtype(column.dtype)
            ):
                continue
            levels = pd.Series(column.dropna().unique())
            stored_as = _numbers_stored_as(levels)
            if stored_as is not None:
                warn(
                    f"column {name!r} holds numbers stored as {stored_as} ({column.dtype} "
                    f"dtype); it enters the formula as a categorical factor with {len(levels)} "
                    "levels, as statsmodels treats text and objects. To use it as a number "
                    f"convert it first, df[{name!r}] = pd.to_numeric(df[{name!r}]); write "
                    f"C({name}) to keep the factor without this warning",
                    NumbersAsTextWarning,
                )


def _numbers_stored_as(levels: pd.Series) -> str | None:
    """``"text"`` or ``"objects"`` if every level is a number written so, else None."""
    if levels.empty:
        return None
    if all(isinstance(v, str) for v in levels):
        return "text" if pd.to_numeric(levels, errors="coerce").notna().all() else None
    numbers = all(
        isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
        for v in levels
    )
    return "objects" if numbers else None


def with_categorical_booleans(
    namespace: dict[str, Any], parsed: Any, frame: pd.DataFrame
) -> dict[str, Any]:
    """``namespace`` naming, under :data:`CATEGORICAL_BOOLEANS`, the right-hand side's
    boolean columns and its expressions, which the materializer makes categorical where
    their values are boolean, as patsy treats every boolean factor (``I(x > 0)``: levels
    False and True). The columns keep their values, so ``I(flag * x)`` multiplies them; a
    boolean response (column or expression) stays numeric (0/1), which is what binary
    models want. The namespace travels with the design, so ``predict`` reads the same."""
    response = formula_variables(parsed.lhs)
    rhs = formula_variables(parsed.rhs)
    booleans = {
        str(c)
        for c in frame.columns
        if str(c) in rhs and str(c) not in response and pd.api.types.is_bool_dtype(frame[c].dtype)
    }
    names = booleans | (_expressions(parsed.rhs) - _expressions(parsed.lhs) - response)
    return {**namespace, CATEGORICAL_BOOLEANS: frozenset(names)} if names else namespace


def _expressions(side: Any) -> set[str]:
    """The factors of a formula side that Python evaluates (``I(x > 0)``, ``np.log(x)``)."""
    return {
        factor.expr
        for term in side
        for factor in term.factors
        if factor.eval_method == Factor.EvalMethod.PYTHON
    }


def _extras_as_arrays(extras: Mapping[str, Any], nrows: int) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for name, values in extras.items():
        if isinstance(values, torch.Tensor):
            values = values.detach().cpu().numpy()
        try:
            array = (
                np.asarray(values, dtype=np.float64)
                if not isinstance(values, pd.Series)
                else (values.to_numpy(dtype=np.float64, na_value=np.nan))
            )
        except (TypeError, ValueError) as error:
            raise NonNumericDataError(f"{name} must be numeric: {error}") from None
        if array.ndim != 1 or array.shape[0] != nrows:
            raise ShapeMismatchError(
                f"{name} has shape {array.shape} but the data have {nrows} rows; "
                f"pass one {name} value per row"
            )
        arrays[name] = array
    return arrays


@dataclass(frozen=True, slots=True)
class FormulaPlan:
    """A parsed formula with statsmodels' term order and what its factors are.

    Attributes
    ----------
    text : str
        The formula as written.
    parsed : formulaic Formula
        Terms in formula order.
    ordered : formulaic Formula
        Terms in statsmodels' (patsy's) order, ready to materialise.
    namespace : mapping
        Names available to the formula.
    categorical_columns : frozenset of str
        Data columns that enter the formula through categorical factors.
    """

    text: str
    parsed: Any
    ordered: Any
    namespace: Mapping[str, Any]
    categorical_columns: frozenset[str]


def plan_formula(formula: str, frame: pd.DataFrame, namespace: Mapping[str, Any]) -> FormulaPlan:
    """Parse ``formula``, learn its factors' kinds from ``frame`` and order its terms.

    ``frame`` may be a sample of the data (the kinds depend on dtypes, not values).
    """
    parsed = parse_formula(formula, frame.columns)
    kinds = _factor_kinds(parsed, frame, namespace, formula)
    categorical: set[str] = set()
    for term in parsed.rhs:
        for factor in term.factors:
            if kinds.get(factor.expr) != Factor.Kind.CATEGORICAL:
                continue
            # a column looked up, or inside C(...), is categorical; the variables of another
            # categorical expression are not (k of I(k == 0), a boolean, stays numeric)
            if factor.eval_method == Factor.EvalMethod.LOOKUP or factor.expr.startswith("C("):
                categorical |= factor_variables(factor)
    columns = {str(c) for c in frame.columns}
    return FormulaPlan(
        text=formula,
        parsed=parsed,
        ordered=_ordered_formula(parsed, kinds),
        namespace=namespace,
        categorical_columns=frozenset(categorical & columns),
    )


#: formulaic's DataMismatchWarning for categorical values outside the nominated levels (or
#: unseen when fitting), which it codes as the reference level: raised as errors.
OUTSIDE_LEVELS_WARNING = ".*categories outside of the nominated levels.*"


def _refuse_missing_categories(frame: pd.DataFrame, columns: frozenset[str]) -> None:
    """With ``missing="none"``, refuse missing values in the columns of categorical factors:
    formulaic encodes them as zero rows of dummies, the reference level (statsmodels'
    patsy raises); a missing number is refused by the finiteness check."""
    bad = [c for c in frame.columns if str(c) in columns and bool(frame[c].isna().any())]
    if bad:
        raise MissingDataError(
            f"missing values in categorical column(s) {', '.join(map(repr, map(str, bad)))} "
            "with missing='none' (they would be coded as the reference level); use "
            "missing='drop' to drop those rows, or fill them"
        )


def _factor_kinds(
    parsed: Any, frame: pd.DataFrame, namespace: Mapping[str, Any], formula: str
) -> dict[str, Any]:
    """Kind (numerical/categorical) of each right-hand-side factor, from a few rows."""
    known = _kinds_from_dtypes(parsed, frame)
    if known is not None:
        return known
    try:
        probe = _materialize(parsed, frame.head(_KIND_PROBE_ROWS), namespace, "none", formula)
    except DesignError:
        # e.g. a full-length array from the caller's namespace cannot align with a few rows
        probe = _materialize(parsed, frame, namespace, "none", formula)
    return {expr: kind for expr, (kind, _state) in probe.rhs.model_spec.encoder_state.items()}


def _kinds_from_dtypes(parsed: Any, frame: pd.DataFrame) -> dict[str, Any] | None:
    """Factor kinds read off the data's dtypes, or None if some factor must be evaluated.

    A column looked up by name is numerical when its dtype is numeric, categorical otherwise;
    ``C(...)`` is categorical. Anything else (``np.log(x)``, ``I(...)``, names from the
    caller's namespace) needs formulaic to evaluate it on a few rows.
    """
    kinds: dict[str, Any] = {}
    for term in parsed.rhs:
        for factor in term.factors:
            expr = factor.expr
            if factor.eval_method == Factor.EvalMethod.LITERAL:
                continue
            if factor.eval_method == Factor.EvalMethod.LOOKUP and expr in frame.columns:
                dtype = frame[expr].dtype
                numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(
                    dtype
                )
                kinds[expr] = Factor.Kind.NUMERICAL if numeric else Factor.Kind.CATEGORICAL
            elif expr.startswith("C("):
                kinds[expr] = Factor.Kind.CATEGORICAL
            else:
                return None
    return kinds


def _ordered_formula(parsed: Any, kinds: Mapping[str, Any]) -> Any:
    """Reorder the right-hand-side terms as patsy does (see :mod:`.ordering`)."""
    terms = list(parsed.rhs)
    numeric = {expr for expr, kind in kinds.items() if kind == Factor.Kind.NUMERICAL}
    ordered = patsy_term_order(terms, numeric)
    if ordered == terms:
        return parsed
    return Formula(lhs=parsed.lhs, rhs=SimpleFormula(ordered, _ordering="none"))


def _materialize(
    formula: Any, frame: pd.DataFrame, namespace: Mapping[str, Any], missing: str, text: str
) -> Any:
    na_action = {"drop": "drop", "raise": "raise", "none": "ignore"}[missing]
    try:
        with warnings.catch_warnings():
            # formulaic codes values outside C(x, levels=[...]) as the reference level
            warnings.filterwarnings("error", message=OUTSIDE_LEVELS_WARNING)
            return model_matrix(
                formula,
                frame,
                context=namespace,
                na_action=na_action,
                materializer=ColumnMajorMaterializer,
            )
    except Warning as warning:
        values = re.search(r"\{.*\}", str(warning))
        raise UnseenLevelError(
            f"the data hold values {values.group() if values else ''} outside the levels "
            f"given to C(..., levels=[...]) in {text!r}; add them to the levels, or drop those "
            "rows (formulaic would code them as the reference level)"
        ) from None
    except FactorEvaluationError as error:
        raise factor_error(error, text) from None
    except DesignError:
        raise
    except ValueError as error:
        if "null values" in str(error):
            raise MissingDataError(
                f"missing values after evaluating formula {text!r} with missing='raise': {error}"
            ) from None
        raise DesignError(f"cannot build the design for {text!r}: {error}") from None


def _numeric_matrix(matrix: pd.DataFrame) -> np.ndarray:
    return matrix.to_numpy(dtype=np.float64)
