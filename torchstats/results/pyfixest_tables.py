"""pyfixest's accessors for results that have statsmodels' ``params``, ``bse``, ``tvalues``,
``pvalues`` and ``conf_int``: ``coef()``, ``se()``, ``tstat()``, ``pvalue()``,
``confint()`` and ``tidy()``, with pyfixest's names and column labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = ["PyfixestTables"]


class PyfixestTables:
    """Mixin: pyfixest's accessors on top of statsmodels' names (see the module notes)."""

    # supplied by the results class it is mixed into (declared only, never defined here)
    params: Any
    bse: Any
    tvalues: Any
    pvalues: Any
    conf_int: Callable[..., Any]

    def coef(self) -> pd.Series:
        """pyfixest's name for :attr:`params`."""
        return pd.Series(self.params, name="Estimate")

    def se(self) -> pd.Series:
        """pyfixest's name for :attr:`bse`."""
        return pd.Series(self.bse, name="Std. Error")

    def tstat(self) -> pd.Series:
        """pyfixest's name for :attr:`tvalues` (z statistics where inference is normal)."""
        return pd.Series(self.tvalues, name="t value")

    def pvalue(self) -> pd.Series:
        """pyfixest's name for :attr:`pvalues`."""
        return pd.Series(self.pvalues, name="Pr(>|t|)")

    def confint(self, alpha: float = 0.05) -> pd.DataFrame:
        """pyfixest's confidence intervals: columns ``"2.5%"``, ``"97.5%"``."""
        table = pd.DataFrame(self.conf_int(alpha))
        table.columns = [f"{100 * alpha / 2:g}%", f"{100 * (1 - alpha / 2):g}%"]
        return table

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """pyfixest's ``tidy()``: estimate, standard error, statistic, p-value and interval
        per coefficient."""
        table = pd.concat(
            [self.coef(), self.se(), self.tstat(), self.pvalue(), self.confint(alpha)], axis=1
        )
        table.index.name = "Coefficient"
        return table
