"""Link functions of generalised linear models, in torch: ``eta = g(mu)``.

Each link gives ``g`` (``link(mu)``), its inverse ``g^{-1}`` (``link.inverse(eta)``), the
derivatives ``g'(mu)`` and ``g''(mu)`` (``deriv``, ``deriv2``: IRLS weights and the observed
information) and ``d mu / d eta`` (``inverse_deriv``: the delta method of predictions).
Names, formulas and the clipping of ``mu`` away from the boundary (``eps`` of the dtype,
``np.finfo(float).eps`` in float64) are statsmodels' ``genmod.families.links``, so the
numbers agree to rounding; the lower-case aliases (``links.logit()``) are kept for code
written against older statsmodels.
"""

from __future__ import annotations

import math

import torch

from torchstats.families.inplace import in_place_allowed

__all__ = [
    "normal_cdf",
    "Link",
    "Logit",
    "Probit",
    "CLogLog",
    "LogLog",
    "Log",
    "Power",
    "Identity",
    "InversePower",
    "InverseSquared",
    "Sqrt",
    "logit",
    "probit",
    "cloglog",
    "loglog",
    "log",
    "identity",
    "inverse_power",
    "inverse_squared",
    "sqrt",
]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)


def _eps(x: torch.Tensor) -> float:
    return float(torch.finfo(x.dtype).eps) if x.is_floating_point() else 2.220446049250313e-16


def _clip_unit(p: torch.Tensor) -> torch.Tensor:
    """``p`` clipped to ``[eps, 1 - eps]`` (statsmodels' ``Logit._clean``)."""
    eps = _eps(p)
    return p.clamp(eps, 1.0 - eps)


def _clip_positive(x: torch.Tensor) -> torch.Tensor:
    """``x`` clipped to ``[eps, inf)`` (statsmodels' ``Log._clean``)."""
    return x.clamp_min(_eps(x))


class Link:
    """A link function ``g``: subclasses define the four maps below."""

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        """``g(mu)``: the linear predictor of a mean."""
        raise NotImplementedError

    def inverse(self, eta: torch.Tensor) -> torch.Tensor:
        """``g^{-1}(eta)``: the mean of a linear predictor."""
        raise NotImplementedError

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        """``g'(mu)``."""
        raise NotImplementedError

    def deriv2(self, mu: torch.Tensor) -> torch.Tensor:
        """``g''(mu)``."""
        raise NotImplementedError

    def inverse_deriv(self, eta: torch.Tensor) -> torch.Tensor:
        """``d g^{-1}(eta) / d eta = 1 / g'(g^{-1}(eta))``."""
        return 1.0 / self.deriv(self.inverse(eta))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))


class Logit(Link):
    """``g(p) = log(p / (1 - p))``, the canonical link of the binomial family."""

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        p = _clip_unit(mu)
        return torch.log(p / (1.0 - p))

    def inverse(self, eta: torch.Tensor) -> torch.Tensor:
        if in_place_allowed(eta):
            return torch.neg(eta).exp_().add_(1.0).reciprocal_()
        return 1.0 / (1.0 + torch.exp(-eta))

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        p = _clip_unit(mu)
        if in_place_allowed(mu):
            return torch.rsub(p, 1.0).mul_(p).reciprocal_()
        return 1.0 / (p * (1.0 - p))

    def deriv2(self, mu: torch.Tensor) -> torch.Tensor:
        v = mu * (1.0 - mu)
        return (2.0 * mu - 1.0) / v**2

    def inverse_deriv(self, eta: torch.Tensor) -> torch.Tensor:
        t = torch.exp(eta)
        return t / (1.0 + t) ** 2


class Probit(Link):
    """``g(p) = Phi^{-1}(p)``, the standard normal quantile function."""

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        return torch.special.ndtri(_clip_unit(mu))

    def inverse(self, eta: torch.Tensor) -> torch.Tensor:
        return normal_cdf(eta)

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        return 1.0 / _normal_pdf(torch.special.ndtri(_clip_unit(mu)))

    def deriv2(self, mu: torch.Tensor) -> torch.Tensor:
        z = torch.special.ndtri(_clip_unit(mu))
        return z / _normal_pdf(z) ** 2

    def inverse_deriv(self, eta: torch.Tensor) -> torch.Tensor:
        return _normal_pdf(eta)


def normal_cdf(z: torch.Tensor) -> torch.Tensor:
    """Standard normal CDF ``Phi(z) = erfc(-z / sqrt(2)) / 2``, accurate in both tails.

    ``torch.special.ndtr`` (torch 2.x, CPU) loses the lower tail: relative error 4e-11 at
    ``z = -5``, 1e-4 at ``-7.45`` and 0 instead of 7.6e-24 at ``-10``; ``erfc`` of a
    positive argument keeps its relative precision (scipy's ``ndtr`` does the same): the
    relative error is the rounding of ``z`` amplified by ``z^2``, below 5e-13 at ``z = -37``
    (where ``Phi`` reaches 6e-300).
    """
    return 0.5 * torch.special.erfc(-z * _INV_SQRT_2)


def _normal_pdf(z: torch.Tensor) -> torch.Tensor:
    return _INV_SQRT_2PI * torch.exp(-0.5 * z * z)


class CLogLog(Link):
    """``g(p) = log(-log(1 - p))``, complementary log-log."""

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        p = _clip_unit(mu)
        return torch.log(-torch.log1p(-p))

    def inverse(self, eta: torch.Tensor) -> torch.Tensor:
        return 1.0 - torch.exp(-torch.exp(eta))

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        p = _clip_unit(mu)
        return 1.0 / ((p - 1.0) * torch.log1p(-p))

    def deriv2(self, mu: torch.Tensor) -> torch.Tensor:
        p = _clip_unit(mu)
        fl = torch.log1p(-p)
        return -1.0 / ((1.0 - p) ** 2 * fl) * (1.0 + 1.0 / fl)

    def inverse_deriv(self, eta: torch.Tensor) -> torch.Tensor:
        return torch.exp(eta - torch.exp(eta))


class LogLog(Link):
    """``g(p) = -log(-log(p))``."""

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        return -torch.log(-torch.log(_clip_unit(mu)))

    def inverse(self, eta: torch.Tensor) -> torch.Tensor:
        return torch.exp(-torch.exp(-eta))

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        p = _clip_unit(mu)
        return -1.0 / (p * torch.log(p))

    def deriv2(self, mu: torch.Tensor) -> torch.Tensor:
        p = _clip_unit(mu)
        return (1.0 + torch.log(p)) / (p * torch.log(p)) ** 2

    def inverse_deriv(self, eta: torch.Tensor) -> torch.Tensor:
        return torch.exp(-torch.exp(-eta) - eta)


class Log(Link):
    """``g(mu) = log(mu)``, the canonical link of the Poisson family."""

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        return torch.log(_clip_positive(mu))

    def inverse(self, eta: torch.Tensor) -> torch.Tensor:
        return torch.exp(eta)

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        if in_place_allowed(mu):
            return _clip_positive(mu).reciprocal_()
        return 1.0 / _clip_positive(mu)

    def deriv2(self, mu: torch.Tensor) -> torch.Tensor:
        return -1.0 / _clip_positive(mu) ** 2

    def inverse_deriv(self, eta: torch.Tensor) -> torch.Tensor:
        return torch.exp(eta)


class Power(Link):
    """``g(mu) = mu ** power`` (identity, inverse, inverse squared and sqrt are special cases).

    Parameters
    ----------
    power : float
        The exponent (statsmodels' default 1, the identity).
    """

    def __init__(self, power: float = 1.0) -> None:
        self.power = float(power)

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        return mu if self.power == 1 else torch.pow(mu, self.power)

    def inverse(self, eta: torch.Tensor) -> torch.Tensor:
        return eta if self.power == 1 else torch.pow(eta, 1.0 / self.power)

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        if self.power == 1:
            return torch.ones_like(mu)
        if in_place_allowed(mu):
            return torch.pow(mu, self.power - 1.0).mul_(self.power)
        return self.power * torch.pow(mu, self.power - 1.0)

    def deriv2(self, mu: torch.Tensor) -> torch.Tensor:
        if self.power == 1:
            return torch.zeros_like(mu)
        return self.power * (self.power - 1.0) * torch.pow(mu, self.power - 2.0)

    def inverse_deriv(self, eta: torch.Tensor) -> torch.Tensor:
        if self.power == 1:
            return torch.ones_like(eta)
        return torch.pow(eta, (1.0 - self.power) / self.power) / self.power

    def __repr__(self) -> str:
        return f"{type(self).__name__}(power={self.power:g})"


class Identity(Power):
    """``g(mu) = mu``, the canonical link of the Gaussian family."""

    def __init__(self) -> None:
        super().__init__(1.0)

    def __repr__(self) -> str:
        return "Identity()"


class InversePower(Power):
    """``g(mu) = 1 / mu``, the canonical link of the gamma family."""

    def __init__(self) -> None:
        super().__init__(-1.0)

    def __repr__(self) -> str:
        return "InversePower()"


class InverseSquared(Power):
    """``g(mu) = 1 / mu**2``, the canonical link of the inverse Gaussian family."""

    def __init__(self) -> None:
        super().__init__(-2.0)

    def __repr__(self) -> str:
        return "InverseSquared()"


class Sqrt(Power):
    """``g(mu) = sqrt(mu)``."""

    def __init__(self) -> None:
        super().__init__(0.5)

    def __repr__(self) -> str:
        return "Sqrt()"


# Lower-case aliases, as statsmodels' (``sm.families.links.logit()``); the summary prints
# the class name, so an alias prints in lower case there too, as in statsmodels.
class logit(Logit):  # noqa: N801
    """Alias of :class:`Logit`."""


class probit(Probit):  # noqa: N801
    """Alias of :class:`Probit`."""


class cloglog(CLogLog):  # noqa: N801
    """Alias of :class:`CLogLog`."""


class loglog(LogLog):  # noqa: N801
    """Alias of :class:`LogLog`."""


class log(Log):  # noqa: N801
    """Alias of :class:`Log`."""


class identity(Identity):  # noqa: N801
    """Alias of :class:`Identity`."""


class inverse_power(InversePower):  # noqa: N801
    """Alias of :class:`InversePower`."""


class inverse_squared(InverseSquared):  # noqa: N801
    """Alias of :class:`InverseSquared`."""


class sqrt(Sqrt):  # noqa: N801
    """Alias of :class:`Sqrt`."""
