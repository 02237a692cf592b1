"""Model summaries laid out exactly as statsmodels prints them (text, HTML, LaTeX)."""

from torchstats.summary.layouts import (
    discrete_summary,
    glm_summary,
    likelihood_summary,
    regression_summary,
    separation_note,
)
from torchstats.summary.side_by_side import HasFixedEffects, etable
from torchstats.summary.summary2 import Summary as Summary2
from torchstats.summary.summary2 import summary_col, summary_model, summary_params
from torchstats.tables.blocks import d_or_f, forg, params_table, top_table
from torchstats.tables.document import Summary
from torchstats.tables.regression_table import RegressionTable
from torchstats.tables.table import SummaryTable, latex_tabular

__all__ = [
    "HasFixedEffects",
    "Summary",
    "RegressionTable",
    "Summary2",
    "SummaryTable",
    "d_or_f",
    "discrete_summary",
    "etable",
    "forg",
    "glm_summary",
    "latex_tabular",
    "likelihood_summary",
    "params_table",
    "regression_summary",
    "separation_note",
    "summary_col",
    "summary_model",
    "summary_params",
    "top_table",
]
