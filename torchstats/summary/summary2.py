"""statsmodels' experimental summaries: ``summary2()`` and ``summary_col``.

A port of ``statsmodels.iolib.summary2``: a :class:`Summary` holds pandas DataFrames
(``.tables``) and renders them as text, HTML and LaTeX with the same padding, rules and
wrapping as statsmodels, through :class:`~torchstats.tables.table.SummaryTable`. The
model information is read through statsmodels' attribute names, so torchstats results
(and statsmodels' own) are summarized alike.
"""

from __future__ import annotations

import datetime
import re
import textwrap
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd

from torchstats.inference.residual_tests import durbin_watson, jarque_bera, omni_normtest
from torchstats.tables.blocks import as_numpy, model_name, parameter_names
from torchstats.tables.formats import HTML_DEFAULT, TableFormat
from torchstats.tables.table import SummaryTable

__all__ = [
    "Summary",
    "summary_model",
    "summary_params",
    "summary_col",
    "multinomial_summary2",
]

InfoDict = Mapping[str, Callable[[Any], Any] | Mapping[str, Callable[[Any], Any]]]

# statsmodels' ``_model_types``: the long model names of the title.
_MODEL_TYPES = {
    "OLS": "Ordinary least squares",
    "GLS": "Generalized least squares",
    "GLSAR": "Generalized least squares with AR(p)",
    "WLS": "Weighted least squares",
    "RLM": "Robust linear model",
    "NBin": "Negative binomial model",
    "GLM": "Generalized linear model",
}

# ``fmt_txt`` and ``fmt_latex`` of ``statsmodels.iolib.tableformatting``, over the
# defaults of ``SimpleTable`` (statsmodels merges them the same way).
_TEXT = TableFormat(table_dec_above="-", table_dec_below=None, header_dec_below="-")
_LATEX = TableFormat(
    colsep=" & ",
    row_post=r"  \\",
    table_dec_above=r"\hline",
    table_dec_below=r"\hline",
    header_dec_below=r"\hline",
    empty_align="l",
    latex_escape=True,
)
# ``summary_col``'s LaTeX joins the blocks of a table by a mid rule.
_LATEX_BLOCK_BREAK = re.compile(r"\\hline\n\\hline\n\\end{tabular}\n\\begin{tabular}{.*}\n")


def _formatter(element: Any, float_format: str = "%.4f") -> str:
    """``float_format % element``, or ``str(element)`` for what is not a number; stripped."""
    try:
        out = float_format % element
    except (ValueError, TypeError):
        out = str(element)
    return out.strip()


def _to_table(
    frame: pd.DataFrame,
    align: str = "r",
    float_format: str = "%.4f",
    header: bool = True,
    index: bool = True,
    pad_col: int = 0,
    pad_index: int = 0,
) -> SummaryTable:
    """statsmodels' ``_df_to_simpletable``: formatted cells, stubs and header of a frame."""
    cells = frame.map(lambda x: _formatter(x, float_format))
    headers = [str(x) for x in cells.columns.tolist()] if header else None
    if index:
        stubs: list[str] | None = [str(x) + pad_index * " " for x in cells.index.tolist()]
    else:
        cells.iloc[:, 0] = [str(x) + pad_index * " " for x in cells.iloc[:, 0]]
        stubs = None
    data = [[str(value) for value in row] for row in np.array(cells)]
    text = replace(_TEXT, data_aligns=align, colsep=" " * (pad_col + 1))
    latex = replace(_LATEX, data_aligns=align, header_align=align)  # type: ignore[arg-type]
    table = SummaryTable.from_data(data, headers=headers, stubs=stubs, text_format=text)
    return replace(table, html_format=HTML_DEFAULT, latex_format=latex)


class Summary:
    """A summary made of DataFrames (statsmodels' ``iolib.summary2.Summary``).

    Attributes
    ----------
    tables : list of DataFrame
        The blocks, top to bottom (header dictionaries as string frames, coefficients as
        float frames).
    settings : list of dict
        How each block is rendered (``index``, ``header``, ``float_format``, ``align``).
    extra_txt : list of str
        Notes printed below the tables.
    title : str or None
    """

    def __init__(self) -> None:
        self.tables: list[pd.DataFrame] = []
        self.settings: list[dict[str, Any]] = []
        self.extra_txt: list[str] = []
        self.title: str | None = None
        self._merge_latex = False

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return str(type(self)) + '\n"""\n' + self.__str__() + '\n"""'

    def _repr_html_(self) -> str:
        return self.as_html()

    def _repr_latex_(self) -> str:
        return self.as_latex()

    # --- building -------------------------------------------------------------------------

    def add_df(
        self,
        df: pd.DataFrame,
        index: bool = True,
        header: bool = True,
        float_format: str = "%.4f",
        align: str = "r",
    ) -> None:
        """Add a DataFrame block (with its row labels and column labels if asked)."""
        self.tables.append(df)
        self.settings.append(
            {"index": index, "header": header, "float_format": float_format, "align": align}
        )

    def add_array(self, array: Any, align: str = "r", float_format: str = "%.4f") -> None:
        """Add a 2-d array as a block without labels."""
        self.add_df(
            pd.DataFrame(array), index=False, header=False, float_format=float_format, align=align
        )

    def add_dict(
        self, d: Mapping[Any, Any], ncols: int = 2, align: str = "l", float_format: str = "%.4f"
    ) -> None:
        """Add ``label: value`` pairs laid out in ``ncols`` column pairs, filled down first."""
        keys = [_formatter(x, float_format) for x in d.keys()]
        values = [_formatter(x, float_format) for x in d.values()]
        data = np.array(list(zip(keys, values)))
        if data.shape[0] % ncols != 0:
            fill = ncols - data.shape[0] % ncols
            data = np.vstack([data, np.array(fill * [["", ""]])])
        data = reduce(lambda x, y: np.hstack([x, y]), np.split(data, ncols))
        self.add_array(data, align=align)

    def add_text(self, string: str) -> None:
        """Add a note below the tables (wrapped to the table width in text)."""
        self.extra_txt.append(string)

    def add_title(self, title: str | None = None, results: Any = None) -> None:
        """Set the title, or ``"Results: <model>"`` from ``results``."""
        if isinstance(title, str):
            self.title = title
        elif results is not None:
            name = model_name(results.model)
            self.title = "Results: " + _MODEL_TYPES.get(name, name)
        else:
            self.title = ""

    def add_base(
        self,
        results: Any,
        alpha: float = 0.05,
        float_format: str = "%.4f",
        title: str | None = None,
        xname: Sequence[str] | None = None,
        yname: str | None = None,
    ) -> None:
        """The model information and coefficient blocks and the title of ``results``."""
        param = summary_params(results, alpha=alpha, use_t=results.use_t)
        info = summary_model(results)
        if xname is not None:
            param.index = pd.Index(xname)
        if yname is not None:
            info["Dependent Variable:"] = yname
        self.add_dict(info, align="l")
        self.add_df(param, float_format=float_format)
        self.add_title(title=title, results=results)

    # --- rendering ---------------------------------------------------------------------------

    def _tables(
        self, pad_col: Sequence[int] | None = None, pad_index: Sequence[int] | None = None
    ) -> list[SummaryTable]:
        float_format = self.settings[0]["float_format"] if self.settings else "%.4f"
        pad_col = pad_col or [0] * len(self.tables)
        pad_index = pad_index or [0] * len(self.tables)
        return [
            _to_table(
                frame,
                align=settings["align"],
                float_format=float_format,
                header=settings["header"],
                index=settings["index"],
                pad_col=pad_col[i],
                pad_index=pad_index[i],
            )
            for i, (frame, settings) in enumerate(zip(self.tables, self.settings))
        ]

    def _measure(self) -> tuple[list[int], list[int], int]:
        """statsmodels' ``_measure_tables``: padding that brings each block to the widest."""
        lengths = [len(table.as_text().splitlines()[0]) for table in self._tables()]
        widest = max(lengths)
        pad_sep, pad_index = [], []
        for frame, length in zip(self.tables, lengths):
            nsep = max(frame.shape[1] - 1, 1)
            pad = int((widest - length) / nsep)
            pad_sep.append(pad)
            pad_index.append(widest - (length + nsep * pad))
        return pad_sep, pad_index, widest

    def as_text(self) -> str:
        """The summary as text: centred title, blocks between ``=`` rules, wrapped notes."""
        pad_col, pad_index, widest = self._measure()
        rule = widest * "="
        lines = "\n".join(t.as_text() for t in self._tables(pad_col, pad_index)).split("\n")
        lines[0] = rule
        lines.append(rule)
        title = self.title
        if title is not None:
            if len(title) < widest:
                title = " " * int(widest / 2 - len(title) / 2) + title
        else:
            title = ""
        notes = "\n".join("\n".join(textwrap.wrap(x, widest)) for x in self.extra_txt)
        return f"{title}\n" + "\n".join(lines) + f"\n{notes}"

    def as_html(self) -> str:
        """The blocks as ``simpletable`` HTML tables, then the notes."""
        tables = "\n".join(t.as_html() for t in self._tables())
        notes = "<br/>\n".join(x.replace("\n", "<br/>\n") for x in self.extra_txt)
        return f"{tables}<br/>\n{notes}"

    def as_latex(self, label: str = "") -> str:
        """The summary as a LaTeX ``table`` with a caption, label and the notes."""
        caption = "\\caption{" + (self.title if self.title is not None else "") + "}"
        body = "\n\n".join(t.as_latex_tabular() for t in self._tables())
        if self._merge_latex:
            body = _LATEX_BLOCK_BREAK.sub("\\\\midrule\n", body)
        framed = "\n".join(
            ("\\begin{table}", caption, "\\label{" + label + "}", body, "\\end{table}")
        )
        return framed + "\n\\bigskip\n" + " \\newline \n".join(self.extra_txt)


# --- blocks from a results object ----------------------------------------------------------------


def _now(results: Any) -> str:
    return datetime.datetime.now().strftime("%Y-%m-%d %H:%M")


def _class_name(obj: Any) -> str:
    return obj if isinstance(obj, str) else type(obj).__name__


def _link(results: Any) -> Any:
    link = getattr(results.family, "link", None)
    return results.model.link if link is None else link


def _solver_method(results: Any) -> str:
    """statsmodels' ``results.method``, which least-squares results do not have."""
    if not hasattr(results, "family") and not hasattr(results, "mle_retvals"):
        raise AttributeError("least-squares results have no method line")
    return str(results.method)


def _scale(results: Any) -> float:
    """``scale``; 1 for discrete models, as statsmodels' ``DiscreteResults``."""
    scale = getattr(results, "scale", None)
    if scale is None:
        if not hasattr(results, "llnull") or hasattr(results, "family"):
            raise AttributeError("no scale")
        return 1.0
    return float(np.squeeze(as_numpy(scale)))


def _info_getters(results: Any) -> dict[str, Callable[[Any], Any]]:
    """statsmodels' ``summary_model`` rows, each read from a results attribute."""
    r2 = "" if results.k_constant else " (uncentered)"
    return {
        "Model:": lambda x: model_name(x.model),
        "Model Family:": lambda x: _class_name(x.family),
        "Link Function:": lambda x: _class_name(_link(x)),
        "Dependent Variable:": lambda x: x.model.endog_names,
        "Date:": _now,
        "No. Observations:": lambda x: f"{int(x.nobs):#6d}",
        "Df Model:": lambda x: f"{int(x.df_model):#6d}",
        "Df Residuals:": lambda x: f"{int(x.df_resid):#6d}",
        "Converged:": lambda x: x.mle_retvals["converged"],
        "No. Iterations:": lambda x: x.mle_retvals["iterations"],
        "Method:": _solver_method,
        "Norm:": lambda x: x.fit_options["norm"],
        "Scale Est.:": lambda x: x.fit_options["scale_est"],
        "Cov. Type:": lambda x: x.fit_options["cov"],
        "R-squared" + r2 + ":": lambda x: f"{x.rsquared:#8.3f}",
        "Adj. R-squared" + r2 + ":": lambda x: f"{x.rsquared_adj:#8.3f}",
        "Pseudo R-squared:": lambda x: f"{x.prsquared:#8.3f}",
        "AIC:": lambda x: f"{x.aic:8.4f}",
        "BIC:": lambda x: f"{x.bic:8.4f}",
        "Log-Likelihood:": lambda x: f"{x.llf:#8.5g}",
        "LL-Null:": lambda x: f"{x.llnull:#8.5g}",
        "LLR p-value:": lambda x: f"{x.llr_pvalue:#8.5g}",
        "Deviance:": lambda x: f"{x.deviance:#8.5g}",
        "Pearson chi2:": lambda x: f"{x.pearson_chi2:#6.3g}",
        "F-statistic:": lambda x: f"{x.fvalue:#8.4g}",
        "Prob (F-statistic):": lambda x: f"{x.f_pvalue:#6.3g}",
        "Scale:": lambda x: f"{_scale(x):#8.5g}",
    }


def summary_model(results: Any) -> dict[str, Any]:
    """The model information rows statsmodels' ``summary_model`` finds for ``results``.

    Rows whose attribute the results do not have are left out, as in statsmodels.
    """
    out: dict[str, Any] = {}
    for key, getter in _info_getters(results).items():
        try:
            out[key] = getter(results)
        except (AttributeError, KeyError, NotImplementedError, TypeError):
            pass
    return out


def summary_params(
    results: Any,
    yname: str | None = None,
    xname: Sequence[str] | None = None,
    alpha: float = 0.05,
    use_t: bool = True,
    skip_header: bool = False,
    float_format: str = "%.4f",
) -> pd.DataFrame:
    """The coefficient block: ``Coef., Std.Err., t (z), P>|t|, [a/2, 1-a/2]`` per parameter."""
    columns = [as_numpy(results.params), as_numpy(results.bse)]
    columns += [as_numpy(results.tvalues), as_numpy(results.pvalues)]
    names = parameter_names(results, list(xname) if xname else None)
    return _params_frame(columns, as_numpy(results.conf_int(alpha)), names, alpha, use_t)


def _params_frame(
    columns: Sequence[np.ndarray],
    conf_int: np.ndarray,
    names: Sequence[str],
    alpha: float,
    use_t: bool,
) -> pd.DataFrame:
    """``params, bse, tvalues, pvalues`` and the interval bounds as statsmodels' block."""
    data = np.hstack([np.array(columns, dtype=float).T, conf_int.reshape(-1, 2)])
    frame = pd.DataFrame(data)
    stat = "t" if use_t else "z"
    frame.columns = pd.Index(
        ["Coef.", "Std.Err.", stat, f"P>|{stat}|", "[" + str(alpha / 2), str(1 - alpha / 2) + "]"]
    )
    frame.index = pd.Index(list(names))
    return frame


# --- several models side by side -----------------------------------------------------------------


def _col_params(
    result: Any, float_format: str = "%.4f", stars: bool = True, include_r2: bool = False
) -> pd.DataFrame:
    """One model's column: coefficients over their standard errors in parentheses."""
    res = summary_params(result)
    for col in res.columns[:2]:
        res[col] = res[col].apply(lambda x: float_format % x)
    res.iloc[:, 1] = "(" + res.iloc[:, 1] + ")"
    if stars:
        for level in (0.1, 0.05, 0.01):
            significant = res.iloc[:, 3] < level
            res.loc[significant, res.columns[0]] = res.loc[significant, res.columns[0]] + "*"
    stacked = res.iloc[:, :2].stack(future_stack=True)
    if include_r2:
        r2 = pd.Series(
            {
                ("R-squared", ""): getattr(result, "rsquared", np.nan),
                ("R-squared Adj.", ""): getattr(result, "rsquared_adj", np.nan),
            }
        )
        if r2.notna().any():
            stacked = pd.concat([stacked, r2.apply(lambda x: float_format % x)], axis=0)
    frame = pd.DataFrame(stacked)
    frame.columns = pd.Index([str(result.model.endog_names)])
    return frame


def _col_info(result: Any, info_dict: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One model's information rows, one per function of ``info_dict``."""
    info_dict = info_dict or {}
    out, index = [], []
    for name, func in info_dict.items():
        if isinstance(func, dict):
            continue
        try:
            out.append(func(result))
        except AttributeError:
            out.append("")
        index.append(name)
    return pd.DataFrame({str(result.model.endog_names): out}, index=index)


def _make_unique(names: Sequence[str]) -> list[str]:
    """The names, with ``" I"``, ``" II"``... appended to all of them if any repeat."""
    if len(set(names)) == len(names):
        return list(names)
    counter: defaultdict[str, str] = defaultdict(str)
    header = []
    for name in names:
        counter[name] += "I"
        header.append(name + " " + counter[name])
    return header


def _merge(x: pd.DataFrame, y: pd.DataFrame) -> pd.DataFrame:
    return x.merge(y, how="outer", right_index=True, left_index=True)


def _ordered_rows(summ: pd.DataFrame, regressor_order: Sequence[str], drop: bool) -> pd.DataFrame:
    varnames = summ.index.get_level_values(0).tolist()
    counts = pd.Series(varnames).value_counts()
    varnames = counts.loc[counts == 2].index.tolist()
    ordered = [x for x in regressor_order if x in varnames]
    unordered = [x for x in varnames if x not in regressor_order]
    new_order = ordered + unordered
    new_order += [x for x in summ.index.get_level_values(0) if x not in new_order]
    if drop:
        for name in unordered:
            new_order.remove(name)
    return summ.reindex(new_order, level=0)


def _fixed_effect_flag(fe: str, present: str, absent: str) -> Callable[[Any], str]:
    def flag(result: Any) -> str:
        names = parameter_names(result)
        return present if any(f"C({fe})" in name for name in names) else absent

    return flag


def summary_col(
    results: Any,
    float_format: str = "%.4f",
    model_names: Sequence[str] = (),
    stars: bool = False,
    info_dict: InfoDict | None = None,
    regressor_order: Sequence[str] = (),
    drop_omitted: bool = False,
    include_r2: bool = True,
    fixed_effects: Sequence[str] | None = None,
    fe_present: str = "Yes",
    fe_absent: str = "",
) -> Summary:
    """Several models side by side: coefficients over standard errors (``summary_col``).

    Parameters
    ----------
    results : results object or list of them
    float_format : str
        Format of the coefficients and standard errors.
    model_names : sequence of str, optional
        Column names; default each response's name (made unique with ``I``, ``II``...).
    stars : bool
        Mark coefficients with p < .1, .05, .01 by ``*``, ``**``, ``***``.
    info_dict : dict, optional
        ``{label: function(results)}`` rows below the coefficients; a nested dict keyed
        by a model class name applies to that model only.
    regressor_order : sequence of str, optional
        Regressors first in this order; the others follow unless ``drop_omitted``.
    drop_omitted : bool
        Keep only the regressors of ``regressor_order``.
    include_r2 : bool
        Add R-squared and adjusted R-squared rows.
    fixed_effects : sequence of str, optional
        Categorical variables whose ``C(name)`` dummies are replaced by a
        ``"<name> FE"`` row marked ``fe_present`` or ``fe_absent``.

    Returns
    -------
    Summary
        One block; ``as_text()``, ``as_html()``, ``as_latex()`` and ``tables`` as
        ``statsmodels.iolib.summary2.summary_col``.
    """
    if not isinstance(results, list):
        results = [results]
    cols = [
        _col_params(x, stars=stars, float_format=float_format, include_r2=include_r2)
        for x in results
    ]
    colnames = _make_unique(list(model_names) if model_names else [c.columns[0] for c in cols])
    for col, name in zip(cols, colnames):
        col.columns = pd.Index([name])
    index = list(cols[0].index)
    for col in cols[1:]:
        index += [key for key in col.index if key not in index]
    for special in (("R-squared", ""), ("R-squared Adj.", "")):
        if special in index:
            index.remove(special)
            index.append(special)
    summ = reduce(_merge, cols).reindex(index)
    if regressor_order:
        summ = _ordered_rows(summ, regressor_order, drop_omitted)
    labels: list[Any] = []
    level0 = summ.index.get_level_values(0)
    for i in range(0, level0.shape[0], 2):
        labels.append(level0[i])
        paired = i + 1 < level0.shape[0] and level0[i] == level0[i + 1]
        labels.append("" if paired else level0[i + 1])
    summ.index = pd.Index(labels)
    info: dict[str, Any] = dict(info_dict or {})
    if fixed_effects:
        for fe in fixed_effects:
            info[fe + " FE"] = _fixed_effect_flag(fe, fe_present, fe_absent)
    if info:
        infos = [_col_info(x, info.get(model_name(x.model), info)) for x in results]
    else:
        infos = [_col_info(x, getattr(x, "default_model_infos", None)) for x in results]
    for frame, name in zip(infos, _make_unique([f.columns[0] for f in infos]), strict=True):
        frame.columns = pd.Index([name])
    info_frame = reduce(_merge, infos)
    stacked = pd.DataFrame(np.vstack([summ, info_frame]))
    stacked.columns = summ.columns
    stacked.index = pd.Index(summ.index.tolist() + info_frame.index.tolist())
    summ = stacked.fillna("")
    if fixed_effects:
        labels_series = pd.Series(summ.index, index=summ.index)
        skip = labels_series.apply(lambda x: any(f"C({fe})" in x for fe in fixed_effects))
        summ = summ[~(skip | skip.shift(fill_value=False))]
        r2_rows = summ.index[summ.index.str.contains("R-squared")]
        summ = pd.concat([summ.drop(index=r2_rows), summ.loc[r2_rows]])
    smry = Summary()
    smry._merge_latex = True
    smry.add_df(summ, header=True, align="l")
    smry.add_text("Standard errors in parentheses.")
    if stars:
        smry.add_text("* p<.1, ** p<.05, ***p<.01")
    return smry


# --- the summary2() methods ----------------------------------------------------------------------

# statsmodels' thresholds for the multicollinearity notes (as in ``RegressionResults.summary``).
_SMALL_EIGENVALUE = 1e-10
_LARGE_CONDITION_NUMBER = 1000


def _regression_notes(results: Any) -> list[str]:
    """The notes of ``RegressionResults.summary2``, with statsmodels' odd inner spacing."""
    eigenvalues = as_numpy(results.eigenvals).reshape(-1)
    condno = float(np.squeeze(as_numpy(results.condition_number)))
    notes = []
    if not results.k_constant:
        notes.append(
            "R² is computed without centering (uncentered) since the                 "
            "model does not contain a constant."
        )
    if hasattr(results, "cov_type"):
        notes.append(results.cov_kwds["description"])
    # the design's rows against its columns (read without converting the design)
    if results.nobs < as_numpy(results.params).size:
        notes.append("The input rank is higher than the number of observations.")
    if eigenvalues[-1] < _SMALL_EIGENVALUE:
        notes.append(
            f"The smallest eigenvalue is {eigenvalues[-1]:6.3g}. This might indicate that"
            "                there are strong multicollinearity problems or that the design"
            "                matrix is singular."
        )
    elif condno > _LARGE_CONDITION_NUMBER:
        notes.append(
            f"The condition number is large, {condno:6.3g}. This might indicate"
            "                that there are strong multicollinearity or other numerical"
            "                problems."
        )
    if not notes:
        return []
    return ["Notes:", *(f"[{i + 1}] {text}" for i, text in enumerate(notes))]


def regression_summary2(
    results: Any,
    yname: str | None = None,
    xname: Sequence[str] | None = None,
    title: str | None = None,
    alpha: float = 0.05,
    float_format: str = "%.4f",
) -> Summary:
    """``RegressionResults.summary2``: model information, coefficients, residual tests, notes."""

    wresid = as_numpy(results.wresid).reshape(-1).astype(float)
    jb, jb_pvalue, skew, kurtosis = jarque_bera(wresid)
    omnibus, omnibus_pvalue = omni_normtest(wresid)
    condno = float(np.squeeze(as_numpy(results.condition_number)))
    diagnostic = {
        "Omnibus:": f"{omnibus:.3f}",
        "Prob(Omnibus):": f"{omnibus_pvalue:.3f}",
        "Skew:": f"{skew:.3f}",
        "Kurtosis:": f"{kurtosis:.3f}",
        "Durbin-Watson:": f"{durbin_watson(wresid):.3f}",
        "Jarque-Bera (JB):": f"{jb:.3f}",
        "Prob(JB):": f"{jb_pvalue:.3f}",
        "Condition No.:": f"{condno:.0f}",
    }
    smry = Summary()
    smry.add_base(
        results, alpha=alpha, float_format=float_format, xname=xname, yname=yname, title=title
    )
    smry.add_dict(diagnostic)
    for line in _regression_notes(results):
        smry.add_text(line)
    return smry


def likelihood_summary2(
    results: Any,
    yname: str | None = None,
    xname: Sequence[str] | None = None,
    title: str | None = None,
    alpha: float = 0.05,
    float_format: str = "%.4f",
) -> Summary:
    """``GLMResults.summary2`` and ``DiscreteResults.summary2``: information and coefficients."""
    smry = Summary()
    smry.add_base(
        results, alpha=alpha, float_format=float_format, xname=xname, yname=yname, title=title
    )
    return smry


def multinomial_summary2(results: Any, alpha: float = 0.05, float_format: str = "%.4f") -> Summary:
    """``MultinomialResults.summary2``: the model information, then one block per equation.

    Each block's first column, ``"<yname> = <i>"`` with ``i`` the equation's position,
    repeats the regressor names; the statistic is labelled ``t`` whatever ``use_t`` (both
    as statsmodels prints them).
    """
    smry = Summary()
    smry.add_dict(summary_model(results))
    params = as_numpy(results.params)
    k, m = params.shape
    bse, tvalues, pvalues = (as_numpy(v) for v in (results.bse, results.tvalues, results.pvalues))
    conf_int = as_numpy(results.conf_int(alpha)).reshape(m, k, 2)
    names = list(results.model.exog_names)
    for j in range(m):
        columns = [params[:, j], bse[:, j], tvalues[:, j], pvalues[:, j]]
        frame = _params_frame(columns, conf_int[j], names, alpha, use_t=True)
        frame.insert(0, f"{results.model.endog_names} = {j}", frame.index)
        smry.add_df(frame, index=False, header=True, float_format=float_format)
    smry.add_title(results=results)
    return smry
