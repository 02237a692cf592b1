"""Array-level matplotlib drawing, below the results layer.

The influence classes' ``plot_influence`` and ``plot_index`` draw through these functions,
which take arrays and labels only and import nothing from results or models; the
user-facing plots of fitted results live above them in :mod:`torchstats.graphics`.
matplotlib is optional: it is imported when a plot is drawn, and its absence raises an
``ImportError`` that says how to install it.
"""

from torchstats.drawing.axes import annotate_axes, create_mpl_ax, create_mpl_fig, import_pyplot
from torchstats.drawing.count_probabilities import draw_probs
from torchstats.drawing.influence import draw_index, draw_influence, draw_leverage_resid2

__all__ = [
    "annotate_axes",
    "create_mpl_ax",
    "create_mpl_fig",
    "draw_index",
    "draw_influence",
    "draw_probs",
    "draw_leverage_resid2",
    "import_pyplot",
]
