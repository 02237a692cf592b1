"""``etable``: several models side by side, with pyfixest's options.

Builds a :class:`~torchstats.tables.regression_table.RegressionTable` (text in a terminal,
HTML in Jupyter, LaTeX, Markdown, or a DataFrame laid out as pyfixest's
``etable(type="df")``) from any results that have statsmodels' attribute names: torchstats
results, statsmodels results, or any object with ``params``, ``bse``, ``tvalues``,
``pvalues``, ``nobs`` and ``model.endog_names`` (``conf_int`` for the interval tokens).

Fixed effects are read from a public ``fixef_names`` attribute: a results object of a
model with absorbed fixed effects exposes ``fixef_names: tuple[str, ...]`` (e.g.
``("firm", "year")``), and gets a marker in one row per fixed effect; results without the
attribute have none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, overload, runtime_checkable

import numpy as np
import pandas as pd

from torchstats._typing import check_option
from torchstats.errors import InvalidOptionError
from torchstats.summary.coefficient_names import (
    check_patterns,
    relabel_coefficient,
    select_coefficients,
)
from torchstats.tables.blocks import as_numpy, parameter_names
from torchstats.tables.cell_format import (
    CellElement,
    apply_digits,
    format_number,
    parse_coef_fmt,
    significance_stars,
)
from torchstats.tables.regression_table import Panel, RegressionTable

__all__ = ["etable", "EtableType", "MODEL_STATISTICS", "HasFixedEffects"]

EtableType = Literal["df", "md", "tex", "html", "text"]
HeadOrder = Literal["dh", "hd", "d", "h", ""]

DEFAULT_COEF_FMT = "b:.3f* \n (se:.3f)"
"""pyfixest's default cell: the coefficient with stars over the standard error."""
_DIGITS_COEF_FMT = "b* \n (se)"

DEFAULT_SIGNIF_CODE = (0.001, 0.01, 0.05)
"""pyfixest's default cutoffs of ``***``, ``**`` and ``*``."""

# Model statistics: key -> (label, attribute of statsmodels' results). The labels are
# maketables' ``DEFAULT_STAT_LABELS``, which pyfixest's etable prints.
MODEL_STATISTICS: dict[str, tuple[str, str]] = {
    "N": ("Observations", "nobs"),
    "se_type": ("S.E. type", "cov_type"),
    "r2": ("R²", "rsquared"),
    "adj_r2": ("Adj. R²", "rsquared_adj"),
    "r2_within": ("Within R²", "rsquared_within"),
    "adj_r2_within": ("Within Adj. R²", "rsquared_within_adj"),
    "pseudo_r2": ("Pseudo R²", "prsquared"),
    "ll": ("Log-likelihood", "llf"),
    "llnull": ("Null log-likelihood", "llnull"),
    "aic": ("AIC", "aic"),
    "bic": ("BIC", "bic"),
    "df_model": ("df(model)", "df_model"),
    "df_resid": ("df(resid)", "df_resid"),
    "deviance": ("Deviance", "deviance"),
    "fvalue": ("F statistic", "fvalue"),
    "f_pvalue": ("F p-value", "f_pvalue"),
}
# Shown by default when at least one model has them.
_DEFAULT_STATISTICS = ("N", "se_type", "r2", "adj_r2", "pseudo_r2")


@runtime_checkable
class HasFixedEffects(Protocol):
    """Results of a model with absorbed fixed effects, as etable reads them.

    Any results object with this attribute gets etable's fixed-effects rows; the names
    are those of the absorbed variables, as the formula spells them (``| firm + year``).
    """

    @property
    def fixef_names(self) -> tuple[str, ...]:
        """The fixed effects of the model, e.g. ``("firm", "year")``."""
        ...


@dataclass(frozen=True, slots=True)
class _Coefficients:
    """One model's coefficient statistics as numpy columns, indexed by name."""

    names: list[str]
    columns: dict[str, np.ndarray]


def _attribute(results: Any, name: str) -> Any:
    """``results.<name>``, or None where the results do not have it (or cannot give it)."""
    try:
        return getattr(results, name)
    except (AttributeError, NotImplementedError, ValueError, TypeError):
        return None


def _coefficients(results: Any, need_interval: bool) -> _Coefficients:
    names = [str(name) for name in parameter_names(results)]
    columns = {
        key: as_numpy(getattr(results, attribute)).astype(float).reshape(-1)
        for key, attribute in (("b", "params"), ("se", "bse"), ("t", "tvalues"), ("p", "pvalues"))
    }
    if columns["b"].size != len(names):
        raise InvalidOptionError(
            "etable shows single-equation models only: these results have "
            f"{columns['b'].size} parameters for {len(names)} names (a multi-equation "
            "or batched model); tabulate each equation's results separately"
        )
    if need_interval:
        bounds = as_numpy(results.conf_int(0.05)).astype(float).reshape(-1, 2)
        columns["ci95l"], columns["ci95u"] = bounds[:, 0], bounds[:, 1]
    return _Coefficients(names, columns)


def _cells(
    coefficients: _Coefficients,
    elements: Sequence[CellElement],
    signif_code: Sequence[float],
    custom: Mapping[str, Sequence[float]],
) -> dict[str, str]:
    """Each coefficient's cell text, built from the ``coef_fmt`` elements."""
    cells = {}
    for i, name in enumerate(coefficients.names):
        stars = significance_stars(float(coefficients.columns["p"][i]), signif_code)
        text = ""
        for element in elements:
            if not element.is_statistic:
                text += element.token
                continue
            source = coefficients.columns.get(element.token, custom.get(element.token))
            assert source is not None  # parse_coef_fmt knows only these tokens
            text += format_number(float(source[i]), element.format_spec)
            text += stars if element.stars else ""
        cells[name] = text
    return cells


def _coefficient_panel(
    models: Sequence[Any],
    coef_fmt: str,
    signif_code: Sequence[float],
    custom_stats: Mapping[str, Sequence[Sequence[float]]],
    keep: Sequence[str],
    drop: Sequence[str],
    exact_match: bool,
    labels: Mapping[str, str],
    cat_template: str,
) -> tuple[Panel, str]:
    elements, title = parse_coef_fmt(coef_fmt, custom_stats)
    need_interval = any(e.token in ("ci95l", "ci95u") for e in elements if e.is_statistic)
    columns: list[dict[str, str]] = []
    for i, results in enumerate(models):
        coefficients = _coefficients(results, need_interval)
        custom = {
            key: _custom_values(key, values, i, coefficients.names)
            for key, values in custom_stats.items()
        }
        columns.append(_cells(coefficients, elements, signif_code, custom))
    names = list(dict.fromkeys(name for column in columns for name in column))
    check_patterns(names, {"keep": keep, "drop": drop}, exact_match)
    names = select_coefficients(names, keep, drop, exact_match)
    if "Intercept" in names:
        names = [name for name in names if name != "Intercept"] + ["Intercept"]
    rows = tuple(
        (
            relabel_coefficient(name, labels, cat_template),
            tuple(column.get(name, "") for column in columns),
        )
        for name in names
    )
    return Panel("coef", rows), title


def _custom_values(
    key: str, values: Sequence[Sequence[float]], i: int, names: list[str]
) -> list[float]:
    model_values = list(values[i])
    if len(model_values) != len(names):
        raise InvalidOptionError(
            f"custom_stats[{key!r}][{i}] has {len(model_values)} values for model {i + 1}'s "
            f"{len(names)} coefficients; give one value per coefficient, in params order"
        )
    return [float(v) for v in model_values]


def _fixed_effects(results: Any) -> tuple[str, ...]:
    """The results' ``fixef_names``, checked: a tuple of names, or none."""
    names = _attribute(results, "fixef_names")
    if names is None:
        return ()
    if isinstance(names, str) or not all(isinstance(name, str) for name in names):
        raise InvalidOptionError(
            f"fixef_names of {type(results).__name__} is {names!r}; it must be a tuple of "
            'fixed-effect names such as ("firm", "year")'
        )
    return tuple(names)


def _fixed_effects_panel(
    models: Sequence[Any],
    labels: Mapping[str, str],
    felabels: Mapping[str, str],
    fe_present: str,
    fe_absent: str,
) -> Panel:
    """One row per fixed effect of any model (sorted, as pyfixest), marked per model."""
    per_model = [_fixed_effects(results) for results in models]
    names = sorted({name for model in per_model for name in model})
    rows = tuple(
        (
            felabels.get(name, labels.get(name, name)),
            tuple(fe_present if name in model else fe_absent for model in per_model),
        )
        for name in names
    )
    return Panel("fe", rows)


def _se_type(results: Any) -> str | None:
    """The covariance type; ``"by: f1+f2"`` for clusters named in ``cov_kwds`` (pyfixest)."""
    cov_type = _attribute(results, "cov_type")
    cov_kwds = _attribute(results, "cov_kwds")
    clusters = cov_kwds.get("clusters") if isinstance(cov_kwds, Mapping) else None
    if (
        isinstance(clusters, (tuple, list))
        and clusters
        and all(isinstance(c, str) for c in clusters)
    ):
        return "by: " + "+".join(clusters)
    return cov_type if isinstance(cov_type, str) else None


def _statistic(results: Any, key: str) -> str:
    if key == "se_type":
        return _se_type(results) or "-"
    value = _attribute(results, MODEL_STATISTICS[key][1])
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    number = float(np.squeeze(as_numpy(value)))
    return format_number(round(number) if key == "N" else number)


def _default_statistics(models: Sequence[Any]) -> list[str]:
    return [
        key
        for key in _DEFAULT_STATISTICS
        if any(_attribute(results, MODEL_STATISTICS[key][1]) is not None for results in models)
    ]


def _statistics_panel(
    models: Sequence[Any],
    model_stats: Sequence[str] | None,
    custom_model_stats: Mapping[str, Sequence[object]],
) -> Panel:
    keys = _default_statistics(models) if model_stats is None else list(model_stats)
    for key in keys:
        check_option(key, tuple(MODEL_STATISTICS), "model statistic")
    rows: list[tuple[str, tuple[str, ...]]] = []
    for label, values in custom_model_stats.items():
        if len(values) != len(models):
            raise InvalidOptionError(
                f"custom_model_stats[{label!r}] has {len(values)} values for {len(models)} "
                "models; give one value per model"
            )
        rows.append((label, tuple(_custom_cell(value) for value in values)))
    rows += [
        (MODEL_STATISTICS[key][0], tuple(_statistic(results, key) for results in models))
        for key in keys
    ]
    return Panel("stats", tuple(rows))


def _custom_cell(value: object) -> str:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return format_number(float(value))
    return str(value)


def _header(
    models: Sequence[Any],
    labels: Mapping[str, str],
    model_heads: Sequence[str] | Sequence[Sequence[str]] | None,
    head_order: str,
) -> tuple[tuple[str, ...], ...]:
    """Header levels in ``head_order`` (d: responses, h: model heads), then ``(1)``..."""
    check_option(head_order, HeadOrder, "head_order")
    n_models = len(models)
    responses = tuple(labels.get(name, name) for name in (_response(m) for m in models))
    heads: list[tuple[str, ...]] = []
    if model_heads is not None:
        nested = len(model_heads) > 0 and not isinstance(model_heads[0], str)
        levels = [list(level) for level in model_heads] if nested else [list(model_heads)]
        for level in levels:
            if len(level) != n_models:
                raise InvalidOptionError(
                    f"model_heads has a level of {len(level)} entries for {n_models} "
                    "models; give one heading per model"
                )
            heads.append(tuple(str(h) for h in level))
    header: list[tuple[str, ...]] = []
    for code in head_order:
        header += heads if code == "h" else [responses]
    header = [level for level in header if any(level)]
    return (*header, tuple(f"({i})" for i in range(1, n_models + 1)))


def _response(results: Any) -> str:
    model = _attribute(results, "model")
    name = _attribute(model, "endog_names") if model is not None else None
    return name if isinstance(name, str) else "y"


def _notes(coef_fmt: str, title: str, signif_code: Sequence[float]) -> str:
    """pyfixest's default note: the star cutoffs (if stars are shown) and the cell format."""
    parts = []
    if "*" in coef_fmt and signif_code:
        low, mid, high = signif_code
        parts.append(f"Significance levels: * p < {high}, ** p < {mid}, *** p < {low}.")
    parts.append(f"Format of coefficient cell: {title}")
    return " ".join(parts).replace("\n", " ")


def _patterns(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _check_signif_code(signif_code: Sequence[float]) -> None:
    codes = list(signif_code)
    if codes and not (
        len(codes) == 3 and all(0 < c < 1 for c in codes) and codes[0] < codes[1] < codes[2]
    ):
        raise InvalidOptionError(
            f"signif_code {codes} must be three ascending p-value cutoffs in (0, 1), e.g. "
            "[0.001, 0.01, 0.05], or [] for no stars"
        )


@overload
def etable(
    models: Any,
    type: None = None,
    signif_code: Sequence[float] = ...,
    coef_fmt: str | None = ...,
    custom_stats: Mapping[str, Sequence[Sequence[float]]] | None = ...,
    custom_model_stats: Mapping[str, Sequence[object]] | None = ...,
    keep: str | Sequence[str] | None = ...,
    drop: str | Sequence[str] | None = ...,
    exact_match: bool = ...,
    labels: Mapping[str, str] | None = ...,
    cat_template: str = ...,
    show_fe: bool = ...,
    felabels: Mapping[str, str] | None = ...,
    fe_present: str = ...,
    fe_absent: str = ...,
    notes: str = ...,
    model_heads: Sequence[str] | Sequence[Sequence[str]] | None = ...,
    head_order: HeadOrder = ...,
    model_stats: Sequence[str] | None = ...,
    digits: int | None = ...,
) -> RegressionTable: ...


@overload
def etable(
    models: Any,
    type: Literal["df"],
    signif_code: Sequence[float] = ...,
    coef_fmt: str | None = ...,
    custom_stats: Mapping[str, Sequence[Sequence[float]]] | None = ...,
    custom_model_stats: Mapping[str, Sequence[object]] | None = ...,
    keep: str | Sequence[str] | None = ...,
    drop: str | Sequence[str] | None = ...,
    exact_match: bool = ...,
    labels: Mapping[str, str] | None = ...,
    cat_template: str = ...,
    show_fe: bool = ...,
    felabels: Mapping[str, str] | None = ...,
    fe_present: str = ...,
    fe_absent: str = ...,
    notes: str = ...,
    model_heads: Sequence[str] | Sequence[Sequence[str]] | None = ...,
    head_order: HeadOrder = ...,
    model_stats: Sequence[str] | None = ...,
    digits: int | None = ...,
) -> pd.DataFrame: ...


@overload
def etable(
    models: Any,
    type: Literal["md", "tex", "html", "text"],
    signif_code: Sequence[float] = ...,
    coef_fmt: str | None = ...,
    custom_stats: Mapping[str, Sequence[Sequence[float]]] | None = ...,
    custom_model_stats: Mapping[str, Sequence[object]] | None = ...,
    keep: str | Sequence[str] | None = ...,
    drop: str | Sequence[str] | None = ...,
    exact_match: bool = ...,
    labels: Mapping[str, str] | None = ...,
    cat_template: str = ...,
    show_fe: bool = ...,
    felabels: Mapping[str, str] | None = ...,
    fe_present: str = ...,
    fe_absent: str = ...,
    notes: str = ...,
    model_heads: Sequence[str] | Sequence[Sequence[str]] | None = ...,
    head_order: HeadOrder = ...,
    model_stats: Sequence[str] | None = ...,
    digits: int | None = ...,
) -> str: ...


def etable(
    models: Any,
    type: EtableType | None = None,
    signif_code: Sequence[float] = DEFAULT_SIGNIF_CODE,
    coef_fmt: str | None = None,
    custom_stats: Mapping[str, Sequence[Sequence[float]]] | None = None,
    custom_model_stats: Mapping[str, Sequence[object]] | None = None,
    keep: str | Sequence[str] | None = None,
    drop: str | Sequence[str] | None = None,
    exact_match: bool = False,
    labels: Mapping[str, str] | None = None,
    cat_template: str = "{variable}={value}",
    show_fe: bool = True,
    felabels: Mapping[str, str] | None = None,
    fe_present: str = "x",
    fe_absent: str = "-",
    notes: str = "",
    model_heads: Sequence[str] | Sequence[Sequence[str]] | None = None,
    head_order: HeadOrder = "dh",
    model_stats: Sequence[str] | None = None,
    digits: int | None = None,
) -> RegressionTable | pd.DataFrame | str:
    r"""Several fitted models side by side, as pyfixest's ``etable``.

    Parameters
    ----------
    models : results or sequence of results
        torchstats or statsmodels results (anything with statsmodels' names), mixed freely.
    type : {"df", "md", "tex", "html", "text"}, optional
        What to return: a DataFrame laid out as pyfixest's ``type="df"``, Markdown, LaTeX,
        HTML or text. By default a :class:`RegressionTable`, which prints as text and
        displays as HTML in Jupyter (``.as_text()``, ``.as_html()``, ``.as_latex()``,
        ``.as_markdown()``, ``.to_frame()``).
    signif_code : sequence of float
        Three ascending p-value cutoffs of ``***``, ``**`` and ``*``; ``[]`` for none.
    coef_fmt : str, optional
        The coefficient cell: tokens ``b``, ``se``, ``t``, ``p``, ``ci95l``, ``ci95u`` and
        the keys of ``custom_stats``, each with an optional format spec (``b:.3f``) and
        ``*`` for the stars; ``\n`` breaks the line; other characters are kept. Default
        ``"b:.3f* \n (se:.3f)"``.
    custom_stats : dict, optional
        ``{token: [values of model 1, values of model 2, ...]}``, one value per parameter
        in ``params`` order, to use as tokens in ``coef_fmt``.
    custom_model_stats : dict, optional
        ``{row label: [one value per model]}``: rows above the model statistics.
    keep, drop : str or sequence of str, optional
        Regular expressions (searched in the coefficient names) of the coefficients to
        keep, in the order of the patterns, and then to drop.
    exact_match : bool
        Match ``keep`` and ``drop`` as whole names, not regular expressions.
    labels : dict, optional
        Display names of variables (responses, regressors, interaction parts, categorical
        variables, fixed effects).
    cat_template : str
        How a level of a categorical variable prints, with ``{variable}``, ``{value}``
        and ``{value_int}`` (``"2.0"`` as ``"2"``): ``C(g)[T.b]`` is ``g=b`` by default;
        ``""`` keeps the names as they are.
    show_fe : bool
        Show the fixed-effects rows (for results with ``fixef_names``).
    felabels : dict, optional
        Display names of fixed effects (before ``labels``).
    fe_present, fe_absent : str
        Markers of a fixed effect a model has and has not.
    notes : str
        The note under the table; by default the star cutoffs and the cell format.
    model_heads : sequence of str, or sequence of sequences of str, optional
        One heading per model (or several levels of them); equal neighbours span.
    head_order : {"dh", "hd", "d", "h", ""}
        Header levels above the model numbers: ``d`` the responses, ``h`` the headings.
    model_stats : sequence of str, optional
        Keys of :data:`MODEL_STATISTICS` to show at the bottom, in order. By default
        ``N``, ``se_type``, ``r2``, ``adj_r2`` and ``pseudo_r2``, each if any model has it;
        a model without a statistic shows ``-``. ``se_type`` is the ``cov_type``, or
        ``"by: f1+f2"`` for clusters named in ``cov_kwds["clusters"]`` (as pyfixest).
    digits : int, optional
        Decimals of the tokens of ``coef_fmt`` that have no format spec; without
        ``coef_fmt``, the default cell with this many decimals.

    Returns
    -------
    RegressionTable, DataFrame or str

    Raises
    ------
    InvalidOptionError
        For an unknown ``type``, ``head_order`` or statistic, bad ``signif_code``, a
        ``keep``/``drop`` pattern that is no regular expression, ``fixef_names`` that are
        not a tuple of names, and ``model_heads``, ``custom_stats`` or
        ``custom_model_stats`` of the wrong length.

    Warns
    -----
    SpecificationWarning
        For a ``keep`` or ``drop`` pattern that matches no coefficient.

    Notes
    -----
    Follows pyfixest 0.60's ``etable`` (maketables' ``ETable``): the same cell strings,
    coefficient order (first appearance, ``Intercept`` last), relabelling and default
    note. Differences: ``type="md"`` returns the Markdown rather than printing it, there
    is no ``"gt"`` output (``"html"`` or the default object display HTML), statistic
    values are read from statsmodels' attribute names, and ``digits`` applies to tokens
    without a format spec.
    """
    if type is not None:
        check_option(type, EtableType, "etable type")
    _check_signif_code(signif_code)
    if coef_fmt is None:
        coef_fmt = DEFAULT_COEF_FMT if digits is None else _DIGITS_COEF_FMT
    if digits is not None:
        coef_fmt = apply_digits(coef_fmt, digits)
    model_list = list(models) if isinstance(models, (list, tuple)) else [models]
    if not model_list:
        raise InvalidOptionError("etable needs at least one results object")
    labels = dict(labels or {})
    coefficients, title = _coefficient_panel(
        model_list,
        coef_fmt,
        signif_code,
        dict(custom_stats or {}),
        _patterns(keep),
        _patterns(drop),
        exact_match,
        labels,
        cat_template,
    )
    panels = [coefficients]
    if show_fe:
        panels.append(
            _fixed_effects_panel(model_list, labels, dict(felabels or {}), fe_present, fe_absent)
        )
    panels.append(_statistics_panel(model_list, model_stats, dict(custom_model_stats or {})))
    table = RegressionTable(
        _header(model_list, labels, model_heads, head_order),
        tuple(panels),
        notes or _notes(coef_fmt, title, signif_code),
    )
    outputs: dict[str, Callable[[], pd.DataFrame | str]] = {
        "df": table.to_frame,
        "md": table.as_markdown,
        "tex": table.as_latex,
        "html": table.as_html,
        "text": table.as_text,
    }
    return table if type is None else outputs[type]()
