"""Differences of log-gamma, digamma and trigamma at ``y + s`` and ``s``, accurate for any
size ``s``: the negative binomial's terms near its Poisson limit.

A negative binomial with size ``s`` (``1/alpha`` for NB2) has ``lgamma(y + s) - lgamma(s)``
in its log-probability, ``digamma(y + s) - digamma(s)`` in its score and the trigamma
difference in its Hessian. As ``alpha`` falls towards 0 the size grows, each value grows
like ``s log s`` (``log s``, ``1/s``) while their difference stays of order ``y log s``
(``y / s``, ``y / s^2``), and the difference taken directly keeps only ``eps s log s`` of
absolute accuracy: at ``alpha = 1e-12`` the log-likelihood was noise of order 1e-3 a row,
at 1e-16 of order one, and Newton in ``log(alpha)`` climbed that noise to log-likelihoods
above the Poisson supremum. Here, from ``s >= 100``, the differences come from Stirling's
series, whose leading differences are written so that nothing cancels:

- ``log_gamma_ratio(y, s) = lgamma(y + s) - lgamma(s) - y log(s)
  = (y + s - 1/2) log1p(y/s) - y + S(y + s) - S(s)``, ``S`` Stirling's correction
  ``1/(12x) - 1/(360x^3) + 1/(1260x^5) - 1/(1680x^7)``;
- ``digamma(y + s) - digamma(s) = log1p(y/s) + y / (2 s z) + y (y + 2s) / (12 s^2 z^2)
  + ...`` (``z = y + s``);
- ``trigamma(y + s) - trigamma(s) = -y / (s z) - y (y + 2s) / (2 s^2 z^2) - y (s^2 + s z
  + z^2) / (6 s^3 z^3) - ...``.

The terms left out are below ``1/(1188 s^9)``, ``1/(240 s^8)`` and ``1/(30 s^9)``: under
1e-18 of the values at ``s = 100``. Below that size the functions are evaluated directly,
whose error (``eps`` times ``lgamma(100) ~ 360``) is of the order of the rounding of a
log-probability. Both branches are smooth, so autograd differentiates either.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["digamma_difference", "log_gamma_ratio", "trigamma_difference"]

#: Sizes from which the series replace the direct differences (see the module).
ASYMPTOTIC_SIZE = 100.0


def log_gamma_ratio(y: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``lgamma(y + s) - lgamma(s) - y log(s)`` elementwise (``y >= 0``, ``s > 0``)."""
    return _by_size(y, s, _log_gamma_ratio_direct, _log_gamma_ratio_series)


def digamma_difference(y: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``digamma(y + s) - digamma(s)`` elementwise."""
    return _by_size(y, s, _digamma_direct, _digamma_series)


def trigamma_difference(y: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``trigamma(y + s) - trigamma(s)`` elementwise."""
    return _by_size(y, s, _trigamma_direct, _trigamma_series)


_Difference = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _by_size(
    y: torch.Tensor, s: torch.Tensor | float, direct: _Difference, series: _Difference
) -> torch.Tensor:
    """``direct`` below :data:`ASYMPTOTIC_SIZE`, ``series`` from it. One size (NB2's
    ``1/alpha``) takes one branch; sizes on both sides evaluate both on sizes clamped to
    their side (finite values, zero gradients where not taken)."""
    s = torch.as_tensor(s, dtype=y.dtype, device=y.device)
    if s.dim() == 0:
        return series(y, s) if float(s) >= ASYMPTOTIC_SIZE else direct(y, s)
    smallest, largest = torch.stack(torch.aminmax(s)).tolist()  # one host sync
    if smallest >= ASYMPTOTIC_SIZE:
        return series(y, s)
    if not largest >= ASYMPTOTIC_SIZE:
        return direct(y, s)
    return torch.where(
        s >= ASYMPTOTIC_SIZE,
        series(y, s.clamp(min=ASYMPTOTIC_SIZE)),
        direct(y, s.clamp(max=ASYMPTOTIC_SIZE)),
    )


def _log_gamma_ratio_direct(y: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    return torch.lgamma(y + s) - torch.lgamma(s) - torch.special.xlogy(y, s)


def _log_gamma_ratio_series(y: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    z = y + s
    leading = (z - 0.5) * torch.log1p(y / s) - y
    # S(z) - S(s): the first difference without cancellation, the rest below 3e-9
    correction = (
        -y / (12 * s * z)
        - (z.pow(-3) - s.pow(-3)) / 360
        + (z.pow(-5) - s.pow(-5)) / 1260
        - (z.pow(-7) - s.pow(-7)) / 1680
    )
    return leading + correction


def _digamma_direct(y: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    return torch.digamma(y + s) - torch.digamma(s)


def _digamma_series(y: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    z = y + s
    return (
        torch.log1p(y / s)
        + y / (2 * s * z)
        + y * (y + 2 * s) / (12 * (s * z) ** 2)
        + (z.pow(-4) - s.pow(-4)) / 120
        - (z.pow(-6) - s.pow(-6)) / 252
    )


def _trigamma_direct(y: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    return torch.polygamma(1, y + s) - torch.polygamma(1, s)


def _trigamma_series(y: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    z = y + s
    return (
        -y / (s * z)
        - y * (y + 2 * s) / (2 * (s * z) ** 2)
        - y * (s * s + s * z + z * z) / (6 * (s * z) ** 3)
        - (z.pow(-5) - s.pow(-5)) / 30
        + (z.pow(-7) - s.pow(-7)) / 42
    )
