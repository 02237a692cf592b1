"""The plots every influence class has (statsmodels' ``_BaseInfluenceMixin``).

They gather the measures here and draw through :mod:`torchstats.drawing`, which takes
arrays only; matplotlib is imported when a plot is drawn.
"""

from __future__ import annotations

from typing import Any

from scipy import stats

from torchstats.drawing.influence import draw_index, draw_influence
from torchstats.errors import SpecificationWarning, warn

__all__ = ["InfluencePlots", "high_leverage", "influence_plot_arrays", "row_labels"]


def high_leverage(results: Any) -> float:
    """statsmodels' leverage threshold ``2 (df_model + 1) / nobs``."""
    return 2.0 * (float(results.df_model) + 1) / float(results.nobs)


def row_labels(results: Any) -> Any:
    """The fit's row labels (``model.data.row_labels``; None for array input)."""
    return getattr(getattr(results.model, "data", None), "row_labels", None)


def influence_plot_arrays(
    influence: Any, external: bool, criterion: str, leverage: Any = None, resid: Any = None
) -> tuple[Any, Any, Any, str]:
    """``(leverage, resid, measure, ylabel)`` of statsmodels' ``_influence_plot``.

    Raises
    ------
    ValueError
        ``criterion`` starts with neither ``"coo"`` (Cook's distance) nor ``"dff"`` (DFFITS).
    """
    if criterion.lower().startswith("coo"):
        measure = influence.cooks_distance[0]
    elif criterion.lower().startswith("dff"):
        measure = abs(influence.dffits[0])
    else:
        raise ValueError(f"Criterion {criterion} not understood")
    if leverage is None:
        leverage = influence.hat_matrix_diag
    if resid is None:
        ylabel = "Studentized Residuals"
        resid = influence.resid_studentized_external if external else influence.resid_studentized
    else:
        ylabel = "Residuals"
    return leverage, resid, measure, ylabel


class InfluencePlots:
    """``plot_influence`` and ``plot_index`` of the influence classes."""

    results: Any

    def plot_influence(
        self,
        external: bool | None = None,
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
        external : bool, optional
            Externally studentized residuals; default False (statsmodels uses them by
            default only after a leave-one-out loop, which torchstats never runs).
        alpha : float
            Points with ``|resid| > t_{1-alpha/2}(df_resid)`` are labelled, as are those
            with leverage above ``2 (df_model + 1) / nobs``.
        criterion : {"cooks", "dffits"}
            The measure that sizes the markers.
        size : float
            Largest marker size.
        plot_alpha : float
            Marker transparency.
        ax : matplotlib Axes, optional
        **kwargs
            Ignored, as in statsmodels.

        Returns
        -------
        Figure

        Notes
        -----
        statsmodels' ``plot_influence``. Where the generalized leverage is unavailable,
        the exog hat matrix and Pearson residuals are plotted, with a
        :class:`~torchstats.errors.SpecificationWarning`.
        """
        influence: Any = self  # an OLSInfluence or MLEInfluence
        leverage = resid = None
        if influence.hat_matrix_diag is None:
            warn("Plot uses pearson residuals and exog hat matrix.", SpecificationWarning)
            leverage, resid = influence.hat_matrix_exog_diag, influence.resid
        leverage, resid, measure, ylabel = influence_plot_arrays(
            influence, bool(external), criterion, leverage, resid
        )
        return draw_influence(
            leverage,
            resid,
            measure,
            row_labels(self.results),
            cutoff=float(stats.t.ppf(1.0 - alpha / 2, self.results.df_resid)),
            high_leverage=high_leverage(self.results),
            ylabel=ylabel,
            size=size,
            plot_alpha=plot_alpha,
            ax=ax,
        )

    def plot_index(
        self,
        y_var: str = "cooks",
        threshold: Any = None,
        title: str | None = None,
        ax: Any = None,
        idx: int | None = None,
        **kwds: Any,
    ) -> Any:
        """An influence measure against the observation number (statsmodels' ``plot_index``).

        Parameters
        ----------
        y_var : str
            ``"cooks"``, ``"hat"``/``"leverage"``, ``"resid_studentized"``, ``"dfbeta"``
            (column ``idx`` of ``dfbetas``) or the name of any attribute (its element
            ``idx`` if given).
        threshold : float, optional
            Label the points with ``|y| > threshold``; default all of them.
        title : str, optional
            Default ``"Index Plot"``.
        ax : matplotlib Axes, optional
        idx : int, optional
            Column of ``dfbetas``, or element of the named attribute.
        **kwds
            Passed to ``ax.scatter``.

        Returns
        -------
        Figure
        """
        influence: Any = self  # an OLSInfluence or MLEInfluence
        if threshold is None:
            threshold = "all"
        if y_var == "dfbeta":
            y = influence.dfbetas[:, idx]
            ylabel = "DFBETA for " + self.results.model.exog_names[idx]
        elif y_var.startswith("cook"):
            y = influence.cooks_distance[0]
            ylabel = "Cook's distance"
        elif y_var.startswith(("hat", "lever")):
            y = influence.hat_matrix_diag
            ylabel = "Leverage (diagonal of hat matrix)"
        elif y_var.startswith("resid_stu"):
            y = influence.resid_studentized
            ylabel = "Internally Studentized Residuals"
        else:  # the name of an attribute, as statsmodels
            y = getattr(self, y_var)
            if idx is not None:
                y = y[idx]
            ylabel = y_var
        return draw_index(
            y, ylabel, row_labels(self.results), threshold=threshold, title=title, ax=ax, **kwds
        )
