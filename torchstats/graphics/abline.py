"""Straight reference lines that follow the axes' limits (statsmodels' ``abline_plot``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from torchstats.drawing.axes import as_array, create_mpl_ax

__all__ = ["abline_plot"]


@cache
def _abline_class() -> type:
    """statsmodels' ``ABLine2D``: a ``Line2D`` redrawn across the x limits when they change
    (defined on first use, so that matplotlib is imported only when drawing)."""
    from matplotlib.lines import Line2D

    class ABLine2D(Line2D):
        def __init__(self, *args: Any, intercept: float, slope: float, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.intercept, self.slope = intercept, slope
            self.id_xlim_callback: Any = None
            self.id_ylim_callback: Any = None

        def remove(self) -> None:
            ax: Any = self.axes
            if self.id_xlim_callback:
                ax.callbacks.disconnect(self.id_xlim_callback)
            if self.id_ylim_callback:
                ax.callbacks.disconnect(self.id_ylim_callback)
            super().remove()

        def update_datalim(self, ax: Any) -> None:
            ax.set_autoscale_on(False)
            x = ax.get_xlim()
            self.set_data(
                x, [x[0] * self.slope + self.intercept, x[1] * self.slope + self.intercept]
            )
            ax.figure.canvas.draw()

    return ABLine2D


def abline_plot(
    intercept: float | None = None,
    slope: float | None = None,
    horiz: Any = None,
    vert: Any = None,
    model_results: Any = None,
    ax: Any = None,
    **kwargs: Any,
) -> Any:
    """Plot a line given an intercept and slope, or a two-parameter fit's ``params``.

    Parameters
    ----------
    intercept, slope : float, optional
        The line; required unless ``model_results`` is given.
    horiz, vert : float, optional
        Also draw a horizontal (``axhline``) or vertical (``axvline``) line there.
    model_results : results, optional
        A fit whose ``params`` are ``(intercept, slope)``; the line then spans the
        range of ``model.exog[:, 1]`` on new axes.
    ax : matplotlib Axes, optional
        The line spans its current x limits, which are kept.
    **kwargs
        Passed to ``Line2D``.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        Neither both ``intercept`` and ``slope`` nor ``model_results``.
    """
    x = ax.get_xlim() if ax is not None else None  # before anything changes them
    fig, ax = create_mpl_ax(ax, "abline_plot")
    if model_results:
        intercept, slope = (float(v) for v in as_array(model_results.params))
        if x is None:
            column = as_array(model_results.model.exog)[:, 1]
            x = [column.min(), column.max()]
    else:
        if intercept is None or slope is None:
            raise ValueError("specify slope and intercepty or model_results")
        if x is None:
            x = ax.get_xlim()
    assert intercept is not None and slope is not None
    data_y = [x[0] * slope + intercept, x[1] * slope + intercept]
    ax.set_xlim(x)
    line = _abline_class()(x, data_y, intercept=intercept, slope=slope, **kwargs)
    ax.add_line(line)
    line.id_xlim_callback = ax.callbacks.connect("xlim_changed", line.update_datalim)
    line.id_ylim_callback = ax.callbacks.connect("ylim_changed", line.update_datalim)
    # statsmodels calls ax.hline / ax.vline, which matplotlib does not have
    if horiz:
        ax.axhline(horiz)
    if vert:
        ax.axvline(vert)
    return fig
