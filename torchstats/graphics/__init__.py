"""statsmodels' regression graphics on torchstats results (``ts.graphics``, as
``sm.graphics``).

The plots take fitted results (duck-typed: torchstats' or statsmodels') and draw with
matplotlib, which is imported only when a plot is drawn. Partial-regression residuals
and reference-line fits use torchstats' own OLS.
"""

from torchstats.drawing.axes import create_mpl_ax, create_mpl_fig
from torchstats.graphics.abline import abline_plot
from torchstats.graphics.gofplots import plotting_pos, qqline, qqplot
from torchstats.graphics.influence import influence_plot, plot_leverage_resid2
from torchstats.graphics.partial_regression import (
    PartRegressPlotResult,
    plot_partregress,
    plot_partregress_grid,
)
from torchstats.graphics.regression import plot_ccpr, plot_ccpr_grid, plot_fit, plot_regress_exog

__all__ = [
    "PartRegressPlotResult",
    "abline_plot",
    "create_mpl_ax",
    "create_mpl_fig",
    "influence_plot",
    "plot_ccpr",
    "plot_ccpr_grid",
    "plot_fit",
    "plot_leverage_resid2",
    "plot_partregress",
    "plot_partregress_grid",
    "plot_regress_exog",
    "plotting_pos",
    "qqline",
    "qqplot",
]
