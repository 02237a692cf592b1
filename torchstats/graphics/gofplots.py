"""Quantile-quantile plots (statsmodels' ``qqplot``, ``qqline`` and ``plotting_pos``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from torchstats.drawing.axes import as_array, create_mpl_ax
from torchstats.formula.constant import add_constant
from torchstats.models.linear import OLS

__all__ = ["plotting_pos", "qqline", "qqplot"]

_LINES = ("45", "r", "s", "q")
_MARKERS = ".,ov^<>12348spP*hH+xXDd|_"


def plotting_pos(nobs: int, a: float = 0.0, b: float | None = None) -> np.ndarray:
    """Plotting positions ``(i - a) / (n + 1 - a - b)``, ``i = 1..n`` (``b`` defaults to ``a``)."""
    b = a if b is None else b
    return (np.arange(1.0, nobs + 1) - a) / (nobs + 1 - a - b)


def _distribution(
    data: np.ndarray, dist: Any, distargs: tuple, fit: bool, loc: float, scale: float
) -> tuple[Any, float, float]:
    """``(distribution, loc, scale)`` as statsmodels' ``ProbPlot`` sets them up."""
    if isinstance(dist, stats.distributions.rv_frozen):
        if fit or loc != 0 or scale != 1 or distargs != ():
            raise ValueError(
                "Frozen distributions cannot be combined with fit, loc, scale or distargs."
            )
        shapes = dist.dist.shapes
        numargs = 0 if shapes is None else len(shapes.split(","))
        args = dist.args
        frozen_loc = args[numargs] if len(args) >= numargs + 1 else dist.kwds.get("loc", loc)
        frozen_scale = (
            args[numargs + 1] if len(args) >= numargs + 2 else dist.kwds.get("scale", scale)
        )
        return dist, frozen_loc, frozen_scale
    if fit:
        fit_params = dist.fit(data)
        return dist(*fit_params[:-2], loc=0, scale=1), fit_params[-2], fit_params[-1]
    if distargs or loc != 0 or scale != 1:
        try:
            return dist(*distargs, loc=loc, scale=scale), loc, scale
        except Exception as exc:
            raise TypeError(
                "Initializing the distribution failed. This can occur if distargs contains "
                f"loc or scale: dist({', '.join(map(str, distargs))}, loc={loc}, scale={scale})"
            ) from exc
    return dist, loc, scale


def qqplot(
    data: Any,
    dist: Any = stats.norm,
    distargs: tuple = (),
    a: float = 0,
    loc: float = 0,
    scale: float = 1,
    fit: bool = False,
    line: str | None = None,
    ax: Any = None,
    **plotkwargs: Any,
) -> Any:
    """Sample quantiles against the quantiles of a distribution.

    Parameters
    ----------
    data : array-like or Tensor, shape (n,)
        E.g. a fit's residuals.
    dist : scipy.stats distribution or frozen distribution
        Default the standard normal.
    distargs : tuple
        Shape parameters of ``dist``.
    a : float
        Offset of the plotting positions ``(i - a) / (n + 1 - 2a)``.
    loc, scale : float
        Location and scale of ``dist``.
    fit : bool
        Fit ``dist``'s parameters to the data (``dist.fit``) and standardize the data.
    line : {None, "45", "s", "r", "q"}
        Reference line (see :func:`qqline`).
    ax : matplotlib Axes, optional
    **plotkwargs
        Passed to ``ax.plot``.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        An unknown ``line``, or a frozen ``dist`` with ``fit``, ``loc``, ``scale`` or
        ``distargs``.
    """
    values = np.sort(as_array(data))
    distribution, loc, scale = _distribution(values, dist, distargs, fit, loc, scale)
    theoretical = distribution.ppf(plotting_pos(values.shape[0], a))
    # statsmodels standardizes only if the fit moved both loc and scale
    sample = (values - loc) / scale if fit and loc != 0 and scale != 1 else values
    fig, ax = _draw(theoretical, sample, distribution, line, ax, **plotkwargs)
    ax.set_xlabel("Theoretical Quantiles")
    ax.set_ylabel("Sample Quantiles")
    return fig


def _draw(
    x: np.ndarray, y: np.ndarray, dist: Any, line: str | None, ax: Any, **kwargs: Any
) -> tuple[Any, Any]:
    """statsmodels' ``gofplots._do_plot`` (format ``"b"``, no steps)."""
    style = {"marker": "o", "markerfacecolor": "C0", "markeredgecolor": "C0", "linestyle": "none"}
    style.update(**kwargs)
    fig, ax = create_mpl_ax(ax, "qqplot")
    ax.set_xmargin(0.02)
    fmt = "" if "color" in style else "b"
    ax.plot(x, y, *([fmt] if fmt else []), **style)
    if line:
        if line not in _LINES:
            raise ValueError(f"{line} option for line not understood")
        qqline(ax, line, x=x, y=y, dist=dist)
    return fig, ax


def qqline(
    ax: Any,
    line: str,
    x: Any = None,
    y: Any = None,
    dist: Any = None,
    fmt: str = "r-",
    **lineoptions: Any,
) -> None:
    """Add a reference line to a quantile plot.

    Parameters
    ----------
    ax : matplotlib Axes
    line : {"45", "s", "r", "q"}
        ``"45"``: the diagonal over the union of the axis limits; ``"s"``: ``x`` scaled
        by the standard deviation of ``y`` plus its mean; ``"r"``: the OLS fit of ``y``
        on ``x`` (torchstats' OLS); ``"q"``: through the quartiles of ``y`` and ``dist``.
    x, y : array-like, optional
        The plotted points; required unless ``line="45"``.
    dist : scipy.stats distribution, optional
        Required for ``line="q"``.
    fmt : str
        Line format: a line style, a marker and a colour, as matplotlib's.
    **lineoptions
        Passed to ``ax.plot``.

    Raises
    ------
    ValueError
        An unknown ``line``, or no ``x`` and ``y`` for a line other than ``"45"``.
    """
    if line not in _LINES:
        raise ValueError(f"line must be one of {', '.join(_LINES)}, got {line!r}")
    options = dict(lineoptions)
    for style in ("-", "--", "-.", ":"):
        if style in fmt:
            options.setdefault("linestyle", style)
            fmt = fmt.replace(style, "")
            break
    for marker in _MARKERS:
        if marker in fmt:
            options.setdefault("marker", marker)
            fmt = fmt.replace(marker, "")
            break
    if fmt:
        options.setdefault("color", fmt)
    if line == "45":
        ends = list(zip(ax.get_xlim(), ax.get_ylim()))
        ends = [min(ends[0]), max(ends[1])]
        ax.plot(ends, ends, **options)
        ax.set_xlim(ends)
        ax.set_ylim(ends)
        return
    if x is None or y is None:
        raise ValueError("If line is not 45, x and y cannot be None.")
    x, y = as_array(x), as_array(y)
    if line == "r":
        ax.plot(x, as_array(OLS(y, add_constant(x)).fit().fittedvalues), **options)
    elif line == "s":
        ax.plot(x, x * np.std(y) + np.mean(y), **options)
    else:
        if not hasattr(dist, "ppf"):
            raise AttributeError("distribution must have a ppf method")
        q25, q75 = stats.scoreatpercentile(y, 25), stats.scoreatpercentile(y, 75)
        quartiles = dist.ppf([0.25, 0.75])
        slope = (q75 - q25) / np.diff(quartiles)
        ax.plot(x, slope * x + q25 - slope * quartiles[0], **options)
