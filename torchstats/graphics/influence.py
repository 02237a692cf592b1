"""Influence plots of a fitted result (statsmodels' ``influence_plot`` and
``plot_leverage_resid2``)."""

from __future__ import annotations

from typing import Any

from scipy import stats

from torchstats.drawing.influence import draw_influence, draw_leverage_resid2
from torchstats.results.influence_plots import high_leverage, influence_plot_arrays, row_labels

__all__ = ["influence_plot", "plot_leverage_resid2"]


def influence_plot(
    results: Any,
    external: bool = True,
    alpha: float = 0.05,
    criterion: str = "cooks",
    size: float = 48,
    plot_alpha: float = 0.75,
    ax: Any = None,
    **kwargs: Any,
) -> Any:
    """Studentized residuals against leverage, marker area by Cook's distance or DFFITS.

    Parameters
    ----------
    results : regression results
        Any fit with ``get_influence()``.
    external : bool
        Externally studentized residuals (default), else internally.
    alpha : float
        Points with ``|resid| > t_{1-alpha/2}(df_resid)`` or leverage above
        ``2 (df_model + 1) / nobs`` are labelled.
    criterion : {"cooks", "dffits"}
        The measure that sizes the markers.
    size, plot_alpha : float
        Largest marker size and marker transparency.
    ax : matplotlib Axes, optional
    **kwargs
        Ignored, as in statsmodels.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        An unknown ``criterion``.
    """
    influence = results.get_influence()
    leverage, resid, measure, ylabel = influence_plot_arrays(influence, external, criterion)
    return draw_influence(
        leverage,
        resid,
        measure,
        row_labels(results),
        cutoff=float(stats.t.ppf(1.0 - alpha / 2, results.df_resid)),
        high_leverage=high_leverage(results),
        ylabel=ylabel,
        size=size,
        plot_alpha=plot_alpha,
        ax=ax,
    )


def plot_leverage_resid2(results: Any, alpha: float = 0.05, ax: Any = None, **kwargs: Any) -> Any:
    """Leverage against squared normalized residuals (statsmodels' ``plot_leverage_resid2``).

    Parameters
    ----------
    results : regression results
    alpha : float
        Points with ``|z| > z_{1-alpha/2}`` or leverage above ``2 (df_model + 1) / nobs``
        are labelled.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to ``ax.plot``.

    Returns
    -------
    Figure
    """
    influence = results.get_influence()
    return draw_leverage_resid2(
        influence.hat_matrix_diag,
        influence.resid,
        row_labels(results),
        cutoff=float(stats.norm.ppf(1.0 - alpha / 2)),
        high_leverage=high_leverage(results),
        ax=ax,
        **kwargs,
    )
