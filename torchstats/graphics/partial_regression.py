"""Partial regression (added-variable) plots, with the partialling-out fits done by
torchstats' OLS (statsmodels' ``plot_partregress`` and ``plot_partregress_grid``)."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from formulaic import model_matrix

from torchstats.drawing.axes import annotate_axes, as_array, create_mpl_ax, create_mpl_fig
from torchstats.graphics._results import exog_array, name_and_index
from torchstats.graphics.abline import abline_plot
from torchstats.models.linear import OLS

__all__ = ["PartRegressPlotResult", "plot_partregress", "plot_partregress_grid"]


class PartRegressPlotResult(NamedTuple):
    """``plot_partregress``'s figure and the ``(x, y)`` residuals it plotted (None when
    there was nothing to partial out)."""

    fig: Any
    coords: tuple[Any, Any] | None


def _formula_matrix(formula: str, data: Any) -> pd.DataFrame:
    """The design of a right-hand-side formula, with its column names (which name the
    axes, as statsmodels' patsy design matrices do)."""
    return pd.DataFrame(model_matrix(formula, data)).astype(np.float64)


def _as_response(values: Any) -> Any:
    """A one-column response as a vector (a named Series keeps its name)."""
    if isinstance(values, pd.DataFrame) and values.shape[1] == 1:
        return values.iloc[:, 0]
    if isinstance(values, np.ndarray) and values.ndim == 2 and values.shape[1] == 1:
        return values[:, 0]
    return values


def _empty(rhs: Any) -> bool:
    return (isinstance(rhs, np.ndarray) and rhs.size == 0) or (
        isinstance(rhs, pd.DataFrame) and rhs.empty
    )


def plot_partregress(
    endog: Any,
    exog_i: Any,
    exog_others: Any,
    data: Any = None,
    title_kwargs: dict[str, Any] | None = None,
    obs_labels: Any = True,
    label_kwargs: dict[str, Any] | None = None,
    ax: Any = None,
    ret_coords: bool = False,
    eval_env: int = 1,
    *,
    result_object: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Residuals of ``endog`` against residuals of ``exog_i``, both on ``exog_others``.

    Parameters
    ----------
    endog, exog_i : array-like or str
        Response and the regressor of interest; strings are formulas evaluated in
        ``data`` (without intercept).
    exog_others : array-like, str or list of str
        The regressors partialled out; a string or list of terms is a formula (with
        intercept) in ``data``.
    data : DataFrame, optional
        Data of the formulas; its index labels the points.
    title_kwargs, label_kwargs : dict, optional
        Passed to ``set_title`` and to the point annotations.
    obs_labels : bool or array-like
        Label the points: True uses ``data``'s or ``exog_i``'s index, else ``0..n-1``.
    ax : matplotlib Axes, optional
    ret_coords : bool
        Return a :class:`PartRegressPlotResult` with the plotted residuals.
    eval_env : int
        Accepted for statsmodels compatibility; formulas see ``data`` only.
    result_object : bool, optional
        Return a :class:`PartRegressPlotResult` even without ``ret_coords``; left None
        (and ``ret_coords`` False), a ``FutureWarning`` announces statsmodels' change of
        default, as statsmodels 0.15 does.
    **kwargs
        Passed to ``ax.plot`` for the points.

    Returns
    -------
    Figure or PartRegressPlotResult

    Raises
    ------
    ValueError
        ``obs_labels`` of the wrong length.
    """
    label_kwargs = {} if label_kwargs is None else dict(label_kwargs)
    title_kwargs = {} if title_kwargs is None else title_kwargs
    fig, ax = create_mpl_ax(ax, "plot_partregress")
    if isinstance(endog, str):
        endog = _formula_matrix(endog + "-1", data)
    if isinstance(exog_others, str):
        rhs = _formula_matrix(exog_others, data)
    elif isinstance(exog_others, list):
        rhs = _formula_matrix("+".join(exog_others), data)
    else:
        rhs = exog_others
    if isinstance(exog_i, str):
        exog_i = _formula_matrix(exog_i + "-1", data)
    endog, exog_i = _as_response(endog), _as_response(exog_i)
    if _empty(rhs):
        endog, exog_i = as_array(endog), as_array(exog_i)
        ax.plot(endog, exog_i, "o", **kwargs)
        fitted_line = OLS(endog, exog_i).fit()
        x_name, y_name, coords = "x", "y", None
    else:
        res_y, res_x = OLS(endog, rhs).fit(), OLS(exog_i, rhs).fit()
        x_resid, y_resid = as_array(res_x.resid), as_array(res_y.resid)
        x_name, y_name = res_x.model.endog_names, res_y.model.endog_names
        ax.plot(x_resid, y_resid, "o", **kwargs)
        fitted_line = OLS(y_resid, x_resid).fit()
        coords = (res_x.resid, res_y.resid)
    fig = abline_plot(0, float(as_array(fitted_line.params)[0]), color="k", ax=ax)
    if x_name == "y":  # an unnamed regressor is named y by the fit
        x_name = "x"
    ax.set_xlabel(f"e({x_name} | X)")
    ax.set_ylabel(f"e({y_name} | X)")
    ax.set_title("Partial Regression Plot", **title_kwargs)
    if obs_labels is True:
        if data is not None:
            obs_labels = data.index
        elif hasattr(exog_i, "index"):
            obs_labels = exog_i.index
        else:
            obs_labels = list(range(len(exog_i)))
    if obs_labels is not False:
        if len(obs_labels) != len(exog_i):
            raise ValueError("obs_labels does not match length of exog_i")
        if coords is None:
            raise ValueError("obs_labels need regressors to partial out (exog_others)")
        label_kwargs.update({"ha": "center", "va": "bottom"})
        annotate_axes(
            range(len(obs_labels)),
            obs_labels,
            list(zip(x_resid, y_resid)),
            [(0, 5)] * len(obs_labels),
            "x-large",
            ax=ax,
            **label_kwargs,
        )
    if result_object is None and not ret_coords:
        warnings.warn(
            "plot_partregress currently returns a bare figure when ret_coords=False. In "
            "statsmodels 0.16 or after July 2027, whichever is later, the default behavior "
            "will switch to always returning a PartRegressPlotResult NamedTuple, which also "
            "carries the coordinates. Set result_object=True to switch now, or "
            "result_object=False to keep the current behavior and silence this warning.",
            FutureWarning,
            stacklevel=2,
        )
    if result_object or ret_coords:
        return PartRegressPlotResult(fig, coords)
    return fig


def plot_partregress_grid(
    results: Any, exog_idx: Any = None, grid: tuple[int, int] | None = None, fig: Any = None
) -> Any:
    """Partial regression plots of several regressors of a fit, in a grid.

    Parameters
    ----------
    results : regression results
    exog_idx : list of int or str, optional
        The regressors; default all.
    grid : (nrows, ncols), optional
        Default one column for up to two plots, else two.
    fig : Figure, optional

    Returns
    -------
    Figure
    """
    fig = create_mpl_fig(fig, caller="plot_partregress_grid")
    _, exog_idx = name_and_index(exog_idx, results.model)
    y = pd.Series(as_array(results.model.endog), name=results.model.endog_names)
    exog = exog_array(results)
    k_vars = exog.shape[1]
    nrows = (len(exog_idx) + 1) // 2
    ncols = 1 if nrows == len(exog_idx) else 2
    if grid is not None:
        nrows, ncols = grid
    # statsmodels leaves title_kwargs undefined (a NameError) for one column
    title_kwargs = {"fontdict": {"fontsize": "small"}} if ncols > 1 else {}
    other_names = np.array(results.model.exog_names)
    for i, idx in enumerate(exog_idx):
        others = [j for j in range(k_vars) if j != idx]
        exog_others = pd.DataFrame(exog[:, others], columns=other_names[others])
        ax = fig.add_subplot(nrows, ncols, i + 1)
        plot_partregress(
            y,
            pd.Series(exog[:, idx], name=other_names[idx]),
            exog_others,
            ax=ax,
            title_kwargs=title_kwargs,
            obs_labels=False,
            result_object=False,
        )
        ax.set_title("")
    fig.suptitle("Partial Regression Plot", fontsize="large")
    fig.tight_layout()
    fig.subplots_adjust(top=0.95)
    return fig
