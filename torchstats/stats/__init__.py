"""Statistical tests without statsmodels: ``ts.stats`` mirrors ``statsmodels.stats``.

The diagnostics of ``statsmodels.stats.diagnostic``, ``multitest``,
``outliers_influence``, ``stattools`` and ``anova``, with statsmodels' signatures, defaults
and return types; they take torchstats results (``ts.ols(...).fit()``) and numpy, pandas or
torch inputs.

>>> import torchstats as ts
>>> ts.stats.het_breuschpagan(res.resid, res.model.exog)          # doctest: +SKIP
>>> ts.stats.multitest.multipletests(pvalues, method="fdr_bh")    # doctest: +SKIP
"""

from torchstats.stats import anova, diagnostic, multitest, outliers_influence, stattools
from torchstats.stats.anova import anova_lm
from torchstats.stats.diagnostic import (
    GoldfeldQuandtResult,
    LMTestResult,
    ResultsStore,
    acorr_breusch_godfrey,
    acorr_ljungbox,
    het_breuschpagan,
    het_goldfeldquandt,
    het_white,
    linear_harvey_collier,
    linear_rainbow,
    linear_reset,
    recursive_olsresiduals,
)
from torchstats.stats.multitest import fdrcorrection, fdrcorrection_twostage, multipletests
from torchstats.stats.outliers_influence import outlier_test, variance_inflation_factor
from torchstats.stats.stattools import durbin_watson, jarque_bera, omni_normtest

__all__ = [
    "anova",
    "anova_lm",
    "diagnostic",
    "multitest",
    "outliers_influence",
    "stattools",
    "durbin_watson",
    "jarque_bera",
    "omni_normtest",
    "het_breuschpagan",
    "het_white",
    "het_goldfeldquandt",
    "acorr_ljungbox",
    "acorr_breusch_godfrey",
    "linear_reset",
    "linear_harvey_collier",
    "linear_rainbow",
    "recursive_olsresiduals",
    "variance_inflation_factor",
    "outlier_test",
    "multipletests",
    "fdrcorrection",
    "fdrcorrection_twostage",
    "ResultsStore",
    "LMTestResult",
    "GoldfeldQuandtResult",
]
