"""Variance functions ``V(mu)`` of the exponential families: ``Var(y) = scale * V(mu) / w``.

statsmodels' ``genmod.families.varfuncs`` in torch, with the same clipping (``|mu|`` for
powers, ``mu`` kept in ``[eps, 1 - eps]`` for the binomial and ``[eps, inf)`` for the
negative binomial) so that fitted values on the boundary give the same numbers.
"""

from __future__ import annotations

from typing import Any

import torch

from torchstats._device import arrays_in_public_methods
from torchstats.families.inplace import in_place_allowed

__all__ = ["VarianceFunction", "Constant", "Power", "Binomial", "NegativeBinomial"]


def _eps(x: torch.Tensor) -> float:
    return float(torch.finfo(x.dtype).eps)


class VarianceFunction:
    """``V(mu)`` and its derivative ``V'(mu)``; subclasses define both."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        arrays_in_public_methods(cls)  # numpy in, numpy out, as statsmodels' (tensors as is)

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        """``dV / d mu``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class Constant(VarianceFunction):
    """``V(mu) = 1`` (Gaussian)."""

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(mu)

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(mu)


class Power(VarianceFunction):
    """``V(mu) = |mu| ** power`` (Poisson 1, gamma 2, inverse Gaussian 3, Tweedie p)."""

    def __init__(self, power: float = 1.0) -> None:
        self.power = float(power)

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        if in_place_allowed(mu):
            return torch.abs(mu).pow_(self.power)
        return torch.pow(torch.abs(mu), self.power)

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        return self.power * torch.pow(torch.abs(mu), self.power - 1.0) * torch.sign(mu)


class Binomial(VarianceFunction):
    """``V(mu) = mu (1 - mu)`` for a proportion, ``mu`` clipped to ``[eps, 1 - eps]``."""

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        p = mu.clamp(_eps(mu), 1.0 - _eps(mu))
        if in_place_allowed(mu):
            return torch.rsub(p, 1.0).mul_(p)
        return p * (1.0 - p)

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        return 1.0 - 2.0 * mu.clamp(_eps(mu), 1.0 - _eps(mu))


class NegativeBinomial(VarianceFunction):
    """``V(mu) = mu + alpha mu**2``, ``mu`` clipped to ``[eps, inf)``."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        p = mu.clamp_min(_eps(mu))
        return p + self.alpha * p * p

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        return 1.0 + 2.0 * self.alpha * mu.clamp_min(_eps(mu))
