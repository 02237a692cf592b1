"""Statistical tests on fitted models: reference distributions and residual diagnostics."""

from torchstats.inference.distributions import (
    chi2_pvalue,
    critical_value,
    f_pvalue,
    two_sided_pvalues,
)
from torchstats.inference.residual_tests import durbin_watson, jarque_bera, omni_normtest

__all__ = [
    "chi2_pvalue",
    "critical_value",
    "durbin_watson",
    "f_pvalue",
    "jarque_bera",
    "omni_normtest",
    "two_sided_pvalues",
]
