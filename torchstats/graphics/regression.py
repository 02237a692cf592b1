"""Fit, residual and component-plus-residual plots of one regressor (statsmodels'
``plot_fit``, ``plot_regress_exog``, ``plot_ccpr`` and ``plot_ccpr_grid``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from torchstats.drawing.axes import as_array, create_mpl_ax, create_mpl_fig
from torchstats.formula.constant import add_constant
from torchstats.graphics._results import exog_array, name_and_index, prediction_interval
from torchstats.graphics.abline import abline_plot
from torchstats.graphics.partial_regression import plot_partregress
from torchstats.models.linear import OLS

__all__ = ["plot_ccpr", "plot_ccpr_grid", "plot_fit", "plot_regress_exog"]


def plot_fit(
    results: Any,
    exog_idx: Any,
    y_true: Any = None,
    ax: Any = None,
    vlines: bool = True,
    **kwargs: Any,
) -> Any:
    """Response and fitted values against one regressor, with prediction intervals.

    Parameters
    ----------
    results : regression results
    exog_idx : int or str
        Position or name of the regressor.
    y_true : array-like, optional
        True values, drawn as a line.
    ax : matplotlib Axes, optional
    vlines : bool
        Draw the 95% prediction interval of each fitted value.
    **kwargs
        Passed to ``ax.plot`` for the fitted values.

    Returns
    -------
    Figure
    """
    fig, ax = create_mpl_ax(ax, "plot_fit")
    exog_name, exog_idx = name_and_index(exog_idx, results.model)
    x1 = exog_array(results)[:, exog_idx]
    order = np.argsort(x1)
    y = as_array(results.model.endog)[order]
    x1 = x1[order]
    ax.plot(x1, y, "bo", label=results.model.endog_names)
    if y_true is not None:
        ax.plot(x1, np.asarray(y_true)[order], "b-", label="True values")
    fitted = as_array(results.fittedvalues)
    ax.plot(x1, fitted[order], "D", color="r", label="fitted", **kwargs)
    if vlines is True:
        _, lower, upper = prediction_interval(results)
        ax.vlines(x1, lower[order], upper[order], linewidth=1, color="k", alpha=0.7)
    ax.set_title(f"Fitted values versus {exog_name}")
    ax.set_xlabel(exog_name)
    ax.set_ylabel(results.model.endog_names)
    ax.legend(loc="best", numpoints=1)
    return fig


def plot_regress_exog(results: Any, exog_idx: Any, fig: Any = None) -> Any:
    """Four plots of one regressor: response and fit, residuals, partial regression, CCPR.

    Parameters
    ----------
    results : regression results
    exog_idx : int or str
        Position or name of the regressor.
    fig : Figure, optional

    Returns
    -------
    Figure
    """
    fig = create_mpl_fig(fig, caller="plot_regress_exog")
    exog_name, exog_idx = name_and_index(exog_idx, results.model)
    y_name = results.model.endog_names
    exog = exog_array(results)
    x1 = exog[:, exog_idx]
    _, lower, upper = prediction_interval(results)

    ax = fig.add_subplot(2, 2, 1)
    ax.plot(x1, as_array(results.model.endog), "o", color="b", alpha=0.9, label=y_name)
    ax.plot(x1, as_array(results.fittedvalues), "D", color="r", label="fitted", alpha=0.5)
    ax.vlines(x1, lower, upper, linewidth=1, color="k", alpha=0.7)
    ax.set_title("Y and Fitted vs. X", fontsize="large")
    ax.set_xlabel(exog_name)
    ax.set_ylabel(y_name)
    ax.legend(loc="best")

    ax = fig.add_subplot(2, 2, 2)
    ax.plot(x1, as_array(results.resid), "o")
    ax.axhline(y=0, color="black")
    ax.set_title(f"Residuals versus {exog_name}", fontsize="large")
    ax.set_xlabel(exog_name)
    ax.set_ylabel("resid")

    ax = fig.add_subplot(2, 2, 3)
    others = np.ones(exog.shape[1], bool)
    others[exog_idx] = False
    data = getattr(results.model, "data", None)
    endog = getattr(data, "orig_endog", None)
    plot_partregress(
        as_array(results.model.endog) if endog is None else endog,
        pd.Series(x1, name=exog_name, index=getattr(data, "row_labels", None)),
        exog[:, others],
        obs_labels=False,
        ax=ax,
        result_object=False,
    )
    ax.set_title("Partial regression plot", fontsize="large")

    ax = fig.add_subplot(2, 2, 4)
    plot_ccpr(results, exog_idx, ax=ax)
    ax.set_title("CCPR Plot", fontsize="large")
    fig.suptitle(f"Regression Plots for {exog_name}", fontsize="large")
    fig.tight_layout()
    fig.subplots_adjust(top=0.90)
    return fig


def plot_ccpr(results: Any, exog_idx: Any, ax: Any = None) -> Any:
    """Component and component-plus-residual plot: ``x_i b_i + e`` against ``x_i``, with
    the line ``x_i b_i``.

    Parameters
    ----------
    results : regression results
    exog_idx : int or str
        Position or name of the regressor.
    ax : matplotlib Axes, optional

    Returns
    -------
    Figure
    """
    fig, ax = create_mpl_ax(ax, "plot_ccpr")
    exog_name, exog_idx = name_and_index(exog_idx, results.model)
    x1 = exog_array(results)[:, exog_idx]
    x1beta = x1 * as_array(results.params)[exog_idx]
    ax.plot(x1, x1beta + as_array(results.resid), "o")
    intercept, slope = as_array(OLS(x1beta, add_constant(x1)).fit().params)
    fig = abline_plot(intercept, slope, ax=ax)
    ax.set_title("Component and component plus residual plot")
    ax.set_ylabel(f"Residual + {exog_name}*beta_{exog_idx:d}")
    ax.set_xlabel(f"{exog_name}")
    return fig


def plot_ccpr_grid(
    results: Any, exog_idx: Any = None, grid: tuple[int, int] | None = None, fig: Any = None
) -> Any:
    """CCPR plots of several regressors in a grid (constant columns are skipped).

    Parameters
    ----------
    results : regression results
    exog_idx : list of int or str, optional
        The regressors; default all.
    grid : (nrows, ncols), optional
        Default two columns for more than two plots, else one.
    fig : Figure, optional

    Returns
    -------
    Figure
    """
    fig = create_mpl_fig(fig, caller="plot_ccpr_grid")
    _, exog_idx = name_and_index(exog_idx, results.model)
    if grid is not None:
        nrows, ncols = grid
    elif len(exog_idx) > 2:
        nrows, ncols = int(np.ceil(len(exog_idx) / 2.0)), 2
    else:
        nrows, ncols = len(exog_idx), 1
    exog = exog_array(results)
    seen_constant = 0
    for i, idx in enumerate(exog_idx):
        if exog[:, idx].var() == 0:
            seen_constant = 1
            continue
        ax = fig.add_subplot(nrows, ncols, i + 1 - seen_constant)
        fig = plot_ccpr(results, exog_idx=idx, ax=ax)
        ax.set_title("")
    fig.suptitle("Component-Component Plus Residual Plot", fontsize="large")
    fig.tight_layout()
    fig.subplots_adjust(top=0.95)
    return fig
