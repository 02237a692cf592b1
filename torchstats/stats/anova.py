"""``statsmodels.stats.anova``: analysis of variance tables of least-squares fits.

>>> from torchstats.stats.anova import anova_lm     # doctest: +SKIP
>>> anova_lm(ts.ols("y ~ x * C(g)", df).fit(), typ=2)  # doctest: +SKIP
"""

from torchstats.inference.anova import anova_lm

__all__ = ["anova_lm"]
