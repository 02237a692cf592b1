"""Multiple-testing corrections (``statsmodels.stats.multitest``); they live in
:mod:`torchstats.inference.multitest`, next to the tests that use them."""

from torchstats.inference.multitest import fdrcorrection, fdrcorrection_twostage, multipletests

__all__ = ["multipletests", "fdrcorrection", "fdrcorrection_twostage"]
