"""Lag-window kernels for HAC covariances (statsmodels' ``weights_func``)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = ["KERNELS", "bartlett", "uniform", "default_maxlags"]

Kernel = Callable[[int, torch.dtype, torch.device], torch.Tensor]


def bartlett(maxlags: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Bartlett (Newey-West) weights ``1 - l / (maxlags + 1)`` for ``l = 0..maxlags``.

    statsmodels ``sandwich_covariance.weights_bartlett``.
    """
    lags = torch.arange(maxlags + 1, dtype=dtype, device=device)
    return 1 - lags / (maxlags + 1)


def uniform(maxlags: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Uniform (truncated) weights: 1 for every lag up to ``maxlags``."""
    return torch.ones(maxlags + 1, dtype=dtype, device=device)


KERNELS: dict[str, Kernel] = {"bartlett": bartlett, "uniform": uniform}


def default_maxlags(nobs: int) -> int:
    """Newey-West's rule of thumb ``floor(4 (n/100)^(2/9))``, statsmodels' default."""
    return int(math.floor(4 * (nobs / 100.0) ** (2.0 / 9.0)))
