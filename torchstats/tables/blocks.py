"""The building blocks of a model summary: the two-column header and the coefficient table.

Ports of statsmodels' ``iolib/summary.py`` functions ``forg``, ``d_or_f``, ``summary_top``
and ``summary_params``. They read a results object only through statsmodels' attribute
names (``params``, ``bse``, ``tvalues``, ``pvalues``, ``conf_int(alpha)``, ``nobs``,
``df_model``, ``df_resid``, ``llf``, ``model.endog_names``, ``model.exog_names``), so they
format a torchstats results object and a statsmodels one alike. Values may be torch
tensors (on any device), numpy arrays, pandas objects or Python scalars.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.tables.formats import TEXT_DEFAULT, TEXT_PARAMS, TEXT_TWO_COLUMNS
from torchstats.tables.table import SummaryTable

__all__ = [
    "HeaderItem",
    "as_numpy",
    "as_float",
    "forg",
    "d_or_f",
    "parameter_names",
    "top_table",
    "params_table",
    "equation_params_table",
]

HeaderItem = tuple[str, str | None]
"""A header line: its label and formatted value, or None for the default value."""

# Width statsmodels forces on the labels of the right-hand header column.
_RIGHT_LABEL_WIDTH = 21


def as_numpy(value: Any) -> np.ndarray:
    """Convert a tensor (any device), pandas object, array or scalar to a numpy array."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (pd.Series, pd.DataFrame, pd.Index)):
        return value.to_numpy()
    return np.asarray(value)


def as_float(value: Any) -> float:
    """Convert a scalar or one-element array/tensor to a Python float."""
    return float(np.squeeze(as_numpy(value)))


def forg(x: Any, prec: int = 3) -> str:
    """Fixed-point with ``prec`` decimals, or ``g`` format for very large/small numbers.

    Notes
    -----
    statsmodels ``iolib.summary.forg``: ``%9.3f`` (``%10.4f`` for ``prec=4``), switching
    to ``%9.3g`` (``%10.4g``) when ``|x| >= 1e4`` or ``|x| < 1e-4``.
    """
    if prec not in (3, 4):
        raise ValueError(f"`prec` argument must be either 3 or 4, not {prec}")
    value = as_float(x)
    width = 6 + prec
    kind = "g" if abs(value) >= 1e4 or abs(value) < 1e-4 else "f"
    return f"{value:{width}.{prec}{kind}}"


def d_or_f(x: Any, width: int = 6) -> str:
    """An integer-valued count as ``%6d``, a fractional one as ``%8.2f``, NaN as ``NaN``.

    Notes
    -----
    statsmodels ``iolib.summary.d_or_f``, used for ``nobs`` and degrees of freedom.
    """
    value = as_float(x)
    if math.isnan(value):
        return (width - 3) * " " + "NaN"
    if value // 1 == value:
        return f"{int(value):#6d}"
    return f"{value:#8.2f}"


def _endog_name(results: Any, yname: str | None) -> str:
    """``yname``, else ``model.endog_names``, else ``"y"`` (statsmodels ``_getnames``)."""
    if yname is not None:
        return yname
    name = getattr(results.model, "endog_names", None)
    return "y" if name is None else name


def parameter_names(results: Any, xname: Sequence[str] | None = None) -> list[str]:
    """Row labels of the coefficient table.

    ``xname`` if given, else ``model.exog_names``, else ``var_0, var_1, ...``. When the
    model's names are fewer than the parameters (an extra parameter such as
    NegativeBinomial's ``alpha``), the index of a pandas ``params`` is used instead.
    """
    if xname is not None:
        return list(xname)
    n_params = as_numpy(results.params).size
    names = getattr(results.model, "exog_names", None)
    if names is None:
        return [f"var_{i:d}" for i in range(n_params)]
    names = list(names)
    if len(names) != n_params and isinstance(results.params, pd.Series):
        return [str(name) for name in results.params.index]
    return names


def _default_values(results: Any, yname: str) -> dict[str, Callable[[], str]]:
    """Values of header lines given as ``(label, None)``, computed on demand."""
    now = time.localtime()
    return {
        "Dep. Variable:": lambda: yname,
        "Dependent Variable:": lambda: yname,
        "Model:": lambda: model_name(results.model),
        "Date:": lambda: time.strftime("%a, %d %b %Y", now),
        "Time:": lambda: time.strftime("%H:%M:%S", now),
        "No. Observations:": lambda: d_or_f(results.nobs),
        "Df Model:": lambda: d_or_f(results.df_model),
        "Df Residuals:": lambda: d_or_f(results.df_resid),
        "Log-Likelihood:": lambda: f"{as_float(results.llf):#8.5g}",
    }


def _fill(
    items: Sequence[HeaderItem], defaults: dict[str, Callable[[], str]]
) -> list[tuple[str, str]]:
    """Replace None values by their defaults; an unknown label raises ``KeyError``."""
    return [(label, defaults[label]() if value is None else value) for label, value in items]


def _block(items: Sequence[tuple[str, str]], title: str) -> SummaryTable:
    """One column of header lines: labels as stubs, values as data."""
    labels = [label for label, _ in items]
    return SummaryTable.from_data(
        [[value] for _, value in items], stubs=labels, title=title, text_format=TEXT_TWO_COLUMNS
    )


def top_table(
    results: Any,
    left: Sequence[HeaderItem],
    right: Sequence[HeaderItem] = (),
    title: str = "",
    yname: str | None = None,
) -> SummaryTable:
    """The two-column header of a summary (statsmodels ``summary_top``).

    Parameters
    ----------
    results : results object
        Source of the default values (see Notes).
    left, right : sequence of (str, str or None)
        Header lines of the left and right columns; the shorter column is padded with
        blank lines. A value of None takes the default for that label.
    title : str, optional
        Title centred above the table.
    yname : str, optional
        Name of the dependent variable; default ``model.endog_names``.

    Returns
    -------
    SummaryTable

    Notes
    -----
    Labels with defaults: ``Dep. Variable:``, ``Model:`` (model class name), ``Date:``,
    ``Time:``, ``No. Observations:``, ``Df Model:``, ``Df Residuals:``, ``Log-Likelihood:``.
    """
    defaults = _default_values(results, _endog_name(results, yname))
    left_lines, right_lines = _fill(left, defaults), _fill(right, defaults)
    if not right_lines:
        return _block(left_lines, title)
    blank = [(" ", " ")]
    left_lines += blank * (len(right_lines) - len(left_lines))
    right_lines += blank * (len(left_lines) - len(right_lines))
    right_lines = [(f"{'  ' + k:<{_RIGHT_LABEL_WIDTH}}", v) for k, v in right_lines]
    return _block(left_lines, title).hstack(_block(right_lines, title))


def params_table(
    results: Any,
    xname: Sequence[str] | None = None,
    alpha: float = 0.05,
    use_t: bool = True,
) -> SummaryTable:
    """The coefficient table: coef, std err, t or z, p-value and confidence interval.

    Parameters
    ----------
    results : results object
        Provides ``params``, ``bse``, ``tvalues``, ``pvalues`` and ``conf_int(alpha)``.
    xname : sequence of str, optional
        Row labels; default :func:`parameter_names`.
    alpha : float, optional
        Significance level of the confidence interval.
    use_t : bool, optional
        Label the statistic ``t`` and ``P>|t|`` (else ``z`` and ``P>|z|``).

    Returns
    -------
    SummaryTable

    Raises
    ------
    ValueError
        If the number of names differs from the number of parameters.

    Notes
    -----
    statsmodels ``summary_params``: coef with ``forg(prec=4)``, the other columns with
    ``forg``, the p-value with ``%#6.3f``.
    """
    params = as_numpy(results.params).reshape(-1)
    if params.size == 0:
        return SummaryTable.from_data([["No Model Parameters"]], text_format=TEXT_DEFAULT)
    names = parameter_names(results, xname)
    if len(names) != params.size:
        raise ValueError("xnames and params do not have the same length")
    bse, tvalues, pvalues = (
        as_numpy(values).reshape(-1) for values in (results.bse, results.tvalues, results.pvalues)
    )
    conf_int = as_numpy(results.conf_int(alpha)).reshape(-1, 2)
    return _coefficient_table(params, bse, tvalues, pvalues, conf_int, names, alpha, use_t)


def equation_params_table(
    results: Any,
    equation_names: Sequence[str],
    xname: Sequence[str] | None = None,
    alpha: float = 0.05,
    use_t: bool = True,
) -> SummaryTable:
    """One coefficient block per equation, stacked (statsmodels ``summary_params_2dflat``).

    Parameters
    ----------
    results : results object
        ``params``, ``bse``, ``tvalues`` and ``pvalues`` of shape ``(k, m)`` (one column
        per equation); ``conf_int(alpha)`` of ``m k`` rows, equation after equation.
    equation_names : sequence of str
        The ``m`` block titles, printed in each block's header corner.
    xname : sequence of str, optional
        The ``k`` row labels; default ``model.exog_names``.
    alpha, use_t
        As in :func:`params_table`.

    Raises
    ------
    ValueError
        If the number of titles differs from the number of equations.
    """
    params = as_numpy(results.params)
    if len(equation_names) != params.shape[1]:
        raise ValueError("endog_names has wrong length")
    names = list(xname) if xname is not None else list(results.model.exog_names)
    bse, tvalues, pvalues = (as_numpy(v) for v in (results.bse, results.tvalues, results.pvalues))
    conf_int = as_numpy(results.conf_int(alpha)).reshape(params.shape[1], -1, 2)
    blocks = [
        replace(
            _coefficient_table(
                params[:, j],
                bse[:, j],
                tvalues[:, j],
                pvalues[:, j],
                conf_int[j],
                names,
                alpha,
                use_t,
            ),
            title=title,
        )
        for j, title in enumerate(equation_names)
    ]
    return SummaryTable.stack(blocks)


def _coefficient_table(
    params: np.ndarray,
    bse: np.ndarray,
    tvalues: np.ndarray,
    pvalues: np.ndarray,
    conf_int: np.ndarray,
    names: Sequence[str],
    alpha: float,
    use_t: bool,
) -> SummaryTable:
    """statsmodels ``summary_params`` of the given columns."""
    data = [
        [forg(params[i], 4), forg(bse[i]), forg(tvalues[i]), f"{float(pvalues[i]):#6.3f}"]
        + [forg(conf_int[i, 0]), forg(conf_int[i, 1])]
        for i in range(params.size)
    ]
    stat = "t" if use_t else "z"
    lower, upper = float(alpha) / 2, 1 - float(alpha) / 2
    headers = ["coef", "std err", stat, f"P>|{stat}|", f"[{lower!s}", f"{upper!s}]"]
    return SummaryTable.from_data(data, headers=headers, stubs=names, text_format=TEXT_PARAMS)


def model_name(model: Any) -> str:
    """The model's statsmodels name: its ``model_name`` if set, else its class name."""
    return str(getattr(model, "model_name", type(model).__name__))
