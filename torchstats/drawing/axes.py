"""Figures and axes for the plots, with matplotlib imported only when one is drawn
(statsmodels' ``graphics/utils.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["annotate_axes", "as_array", "create_mpl_ax", "create_mpl_fig", "import_pyplot"]


def import_pyplot(caller: str) -> Any:
    """``matplotlib.pyplot``, or an ``ImportError`` naming ``caller`` and the fix.

    matplotlib is not a runtime dependency of torchstats: only drawing needs it.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed; "
            "install it with `pip install matplotlib`."
        ) from exc
    return plt


def create_mpl_ax(ax: Any = None, caller: str = "this plot") -> tuple[Any, Any]:
    """``(figure, ax)``: a new figure with one subplot when ``ax`` is None, else ``ax``'s
    figure (statsmodels' ``create_mpl_ax``)."""
    if ax is None:
        fig = import_pyplot(caller).figure()
        return fig, fig.add_subplot(111)
    return ax.figure, ax


def create_mpl_fig(fig: Any = None, figsize: Any = None, caller: str = "this plot") -> Any:
    """``fig``, or a new figure (statsmodels' ``create_mpl_fig``)."""
    if fig is None:
        return import_pyplot(caller).figure(figsize=figsize)
    return fig


def annotate_axes(
    index: Sequence[int] | np.ndarray,
    labels: Any,
    points: Sequence[Any],
    offset_points: Sequence[Any],
    size: Any,
    ax: Any,
    **kwargs: Any,
) -> Any:
    """Label the points at ``index`` with ``labels[i]``, offset by ``offset_points[i]``
    points (statsmodels' ``annotate_axes``)."""
    for i in index:
        ax.annotate(
            labels[i],
            points[i],
            xytext=offset_points[i],
            textcoords="offset points",
            size=size,
            **kwargs,
        )
    return ax


def as_array(values: Any) -> np.ndarray:
    """A float numpy array of a tensor, Series or array-like (host copy of a tensor)."""
    detach = getattr(values, "detach", None)
    if detach is not None:  # a torch tensor, possibly on a device
        values = detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64)
