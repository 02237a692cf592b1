"""GLM families and links: ``ts.families.Poisson(ts.families.links.Log())``."""

from torchstats.families import links, varfuncs
from torchstats.families.families import (
    Binomial,
    Family,
    Gamma,
    Gaussian,
    InverseGaussian,
    NegativeBinomial,
    Poisson,
    Tweedie,
)

__all__ = [
    "Family",
    "Gaussian",
    "Binomial",
    "Poisson",
    "Gamma",
    "InverseGaussian",
    "NegativeBinomial",
    "Tweedie",
    "links",
    "varfuncs",
]
