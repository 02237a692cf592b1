"""statsmodels' ``graphics.regressionplots`` import path (``from
torchstats.graphics.regressionplots import plot_partregress``): the regression plots, which
torchstats keeps in one module per concern."""

from torchstats.graphics.abline import abline_plot
from torchstats.graphics.influence import influence_plot, plot_leverage_resid2
from torchstats.graphics.partial_regression import plot_partregress, plot_partregress_grid
from torchstats.graphics.regression import plot_ccpr, plot_ccpr_grid, plot_fit, plot_regress_exog

__all__ = [
    "abline_plot",
    "influence_plot",
    "plot_ccpr",
    "plot_ccpr_grid",
    "plot_fit",
    "plot_leverage_resid2",
    "plot_partregress",
    "plot_partregress_grid",
    "plot_regress_exog",
]
