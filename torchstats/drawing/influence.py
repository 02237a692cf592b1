"""Influence plots drawn from arrays: statsmodels' ``_influence_plot``,
``_plot_leverage_resid2`` and ``_BaseInfluenceMixin._plot_index``, mark for mark.

The callers (the influence classes and :mod:`torchstats.graphics`) compute the measures,
cutoffs and labels; these functions only draw, so they sit below the results layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from torchstats.drawing.axes import annotate_axes, as_array, create_mpl_ax

__all__ = ["draw_index", "draw_influence", "draw_leverage_resid2", "point_sizes"]

_FONT = {"fontsize": 16, "color": "black"}


def _labels(labels: Any, nobs: int) -> Any:
    return list(range(nobs)) if labels is None else labels


def point_sizes(measure: Any, size: float = 48) -> np.ndarray:
    """Marker areas from ``8**2`` to ``size**2``, linear in ``measure`` (statsmodels'
    rescaling of Cook's distance or ``|DFFITS|``; NaN if the measure is constant)."""
    measure = as_array(measure)
    old_range = np.ptp(measure)
    new_range = size**2 - 8**2
    return (measure - measure.min()) * new_range / old_range + 8**2


def draw_influence(
    leverage: Any,
    resid: Any,
    measure: Any,
    labels: Any,
    *,
    cutoff: float,
    high_leverage: float,
    ylabel: str,
    size: float = 48,
    plot_alpha: float = 0.75,
    ax: Any = None,
) -> Any:
    """Studentized residuals against leverage, marker area by ``measure``.

    Parameters
    ----------
    leverage, resid, measure : array-like, shape (n,)
        Hat diagonal, residuals and the influence measure sizing the markers.
    labels : sequence, optional
        Point labels (default ``0..n-1``); points with ``|resid| > cutoff`` or
        ``leverage > high_leverage`` are annotated.
    cutoff, high_leverage : float
        Residual and leverage thresholds.
    ylabel : str
        Label of the y axis.
    size, plot_alpha : float
        Largest marker size and marker transparency.
    ax : matplotlib Axes, optional

    Returns
    -------
    Figure
    """
    fig, ax = create_mpl_ax(ax, "plot_influence")
    leverage, resid = as_array(leverage), as_array(resid)
    psize = point_sizes(measure, size)
    large = np.logical_or(np.abs(resid) > cutoff, leverage > high_leverage)
    ax.scatter(leverage, resid, s=psize, alpha=plot_alpha)
    offsets = list(zip(-((psize / 2) ** 0.5), (psize / 2) ** 0.5))
    annotate_axes(
        np.where(large)[0],
        _labels(labels, len(resid)),
        list(zip(leverage, resid)),
        offsets,
        "x-large",
        ax,
    )
    ax.set_ylabel(ylabel, **_FONT)
    ax.set_xlabel("Leverage", **_FONT)
    ax.set_title("Influence Plot", **_FONT)
    return fig


def draw_leverage_resid2(
    leverage: Any,
    resid: Any,
    labels: Any,
    *,
    cutoff: float,
    high_leverage: float,
    ax: Any = None,
    **kwargs: Any,
) -> Any:
    """Leverage against squared z-scored residuals (statsmodels' ``plot_leverage_resid2``).

    ``resid`` is z-scored here (population standard deviation, as ``scipy.stats.zscore``);
    points with ``|z| > cutoff`` or ``leverage > high_leverage`` are annotated.
    """
    fig, ax = create_mpl_ax(ax, "plot_leverage_resid2")
    leverage, resid = as_array(leverage), as_array(resid)
    resid = (resid - resid.mean()) / resid.std()
    ax.plot(resid**2, leverage, "o", **kwargs)
    ax.set_xlabel("Normalized residuals**2")
    ax.set_ylabel("Leverage")
    ax.set_title("Leverage vs. Normalized residuals squared")
    large = np.logical_or(leverage > high_leverage, np.abs(resid) > cutoff)
    nobs = len(resid)
    annotate_axes(
        np.where(large)[0],
        _labels(labels, nobs),
        list(zip(resid**2, leverage)),
        [(0, 5)] * nobs,
        "large",
        ax=ax,
        ha="center",
        va="bottom",
    )
    ax.margins(0.075, 0.075)
    return fig


def draw_index(
    y: Any,
    ylabel: str,
    labels: Any,
    threshold: Any = "all",
    title: str | None = None,
    ax: Any = None,
    **kwds: Any,
) -> Any:
    """An influence measure against the observation number (statsmodels' ``_plot_index``).

    Points with ``|y| > threshold`` (all of them for ``"all"``) are annotated.
    """
    fig, ax = create_mpl_ax(ax, "plot_index")
    y = as_array(y)
    nobs = len(y)
    index = np.arange(nobs)
    ax.scatter(index, y, **kwds)
    large = np.ones(nobs, np.bool_) if threshold == "all" else np.abs(y) > threshold
    psize = 3 * np.ones(nobs)
    annotate_axes(
        np.where(large)[0],
        _labels(labels, nobs),
        list(zip(index, y)),
        list(zip(-psize, psize)),
        "large",
        ax,
    )
    ax.set_ylabel(ylabel, **_FONT)
    ax.set_xlabel("Observation", **_FONT)
    ax.set_title("Index Plot" if title is None else title, **_FONT)
    return fig
