"""``statsmodels.stats.stattools``: the residual statistics of a regression summary.

Durbin-Watson, Jarque-Bera and the omnibus normality test, as statsmodels computes them
(:mod:`torchstats.inference.residual_tests`, which the summaries use).
"""

from torchstats.inference.residual_tests import durbin_watson, jarque_bera, omni_normtest

__all__ = ["durbin_watson", "jarque_bera", "omni_normtest"]
