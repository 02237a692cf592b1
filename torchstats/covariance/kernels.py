"""Lag-window kernels for HAC covariances (statsmodels' ``weights_func``)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np
import torch

from torchstats.errors import InvalidOptionError

__all__ = ["KERNELS", "bartlett", "uniform", "default_maxlags", "kernel_weights"]

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


def kernel_weights(
    kernel: object, maxlags: object, cov_type: str, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Weights for lags ``0..maxlags`` from a kernel name or a statsmodels-style callable.

    Parameters
    ----------
    kernel : str or callable
        ``"bartlett"`` or ``"uniform"``, or a function of ``maxlags`` returning the
        ``maxlags + 1`` weights (statsmodels' ``weights_func``, e.g.
        ``sandwich_covariance.weights_bartlett``).
    maxlags : int
        Highest lag, required (statsmodels has no default either).
    cov_type : str
        For the error messages.

    Raises
    ------
    InvalidOptionError
        If ``maxlags`` is missing or not a non-negative integer, or the kernel is unknown.
    """
    if maxlags is None:
        raise InvalidOptionError(
            f"cov_type={cov_type!r} needs cov_kwds={{'maxlags': L}}; Newey-West's rule of "
            "thumb floor(4 (n/100)^(2/9)) is torchstats.covariance.kernels.default_maxlags(n)"
        )
    # numbers.Real admits numpy's integers and floats (np.floor(...).astype(int) rules of thumb)
    if isinstance(maxlags, (bool, np.bool_)) or not isinstance(maxlags, numbers.Real):
        raise InvalidOptionError(f"maxlags must be a non-negative integer, got {maxlags!r}")
    value = float(maxlags)
    if not math.isfinite(value) or value < 0 or int(value) != value:
        raise InvalidOptionError(f"maxlags must be a non-negative integer, got {maxlags!r}")
    lags = int(value)
    if isinstance(kernel, str):
        if kernel not in KERNELS:
            raise InvalidOptionError(
                f"unknown HAC kernel {kernel!r}; choose one of {', '.join(map(repr, KERNELS))}"
            )
        return KERNELS[kernel](lags, dtype, device)
    if callable(kernel):
        weights = torch.as_tensor(kernel(lags), dtype=dtype, device=device).reshape(-1)
        if weights.shape[0] < lags + 1:
            raise InvalidOptionError(
                f"the kernel returned {weights.shape[0]} weights for maxlags={lags}; it must "
                f"return maxlags + 1 = {lags + 1}"
            )
        return weights[: lags + 1]
    raise InvalidOptionError(
        f"kernel must be 'bartlett', 'uniform' or a function of maxlags, got {kernel!r}"
    )
