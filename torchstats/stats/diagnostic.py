"""Regression diagnostics under statsmodels' module path ``statsmodels.stats.diagnostic``.

>>> from torchstats.stats.diagnostic import het_white, acorr_ljungbox   # doctest: +SKIP
"""

from torchstats.stats._store import GoldfeldQuandtResult, LMTestResult, ResultsStore
from torchstats.stats.autocorrelation import acorr_breusch_godfrey, acorr_ljungbox
from torchstats.stats.heteroskedasticity import het_breuschpagan, het_goldfeldquandt, het_white
from torchstats.stats.specification import (
    linear_harvey_collier,
    linear_rainbow,
    linear_reset,
    recursive_olsresiduals,
)

__all__ = [
    "het_breuschpagan",
    "het_white",
    "het_goldfeldquandt",
    "acorr_ljungbox",
    "acorr_breusch_godfrey",
    "linear_reset",
    "linear_harvey_collier",
    "linear_rainbow",
    "recursive_olsresiduals",
    "ResultsStore",
    "LMTestResult",
    "GoldfeldQuandtResult",
]
