"""statsmodels' ``graphics.api`` import path (``import torchstats.graphics.api as smg``):
every plot of :mod:`torchstats.graphics`."""

from torchstats.graphics import *  # noqa: F403
from torchstats.graphics import __all__ as __all__  # noqa: PLC0414
