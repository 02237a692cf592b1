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
from typing import Any

import torch

from torchstats._device import arrays_in_public_methods
from torchstats.families.inplace import in_place_allowed

__all__ = [
    "normal_cdf",
    "Link",
    "Logit",
    "Probit",
    "Cauchy",
    "CLogLog",
    "LogLog",
    "Log",
    "LogC",
    "NegativeBinomial",
    "Power",
    "Identity",
    "InversePower",
    "InverseSquared",
    "Sqrt",
    "logit",
    "probit",
    "cauchy",
    "cloglog",
    "loglog",
    "log",
    "logc",
    "nbinom",
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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        arrays_in_public_methods(cls)  # numpy in, numpy out, as statsmodels' (tensors as is)

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

    def inverse_deriv2(self, eta: torch.Tensor) -> torch.Tensor:
        """``d^2 g^{-1}(eta) / d eta^2 = -g''(mu) / g'(mu)^3`` at ``mu = g^{-1}(eta)``."""
        mu = self.inverse(eta)
        return -self.deriv2(mu) / self.deriv(mu) ** 3

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


class Cauchy(Link):
    """``g(p) = tan(pi (p - 1/2))``, the standard Cauchy quantile function.

    statsmodels' ``Cauchy`` (a ``CDFLink`` of ``scipy.stats.cauchy``), with the same
    clipping of ``p``. scipy's ``tan(pi p - pi/2)`` and ``1/2 + atan(z) / pi`` lose the
    tails (relative error ``1e-16 / p`` near ``p = 0``); here both tails keep their
    relative precision: ``-1 / tan(pi p)`` (and ``1 / tan(pi (1 - p))``, ``1 - p`` being
    exact) for ``|p - 1/2| > 1/4``, and ``atan(-1 / z) / pi`` for ``z < 0``.
    """

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        p = _clip_unit(mu)
        centre = p - 0.5
        tail = torch.minimum(p, 1.0 - p)
        # the unused branch of each ``where`` stays finite, so that autograd adds no NaN
        safe_tail = torch.where(centre.abs() > 0.25, tail, 0.25)
        cotangent = torch.copysign(1.0 / torch.tan(math.pi * safe_tail), centre)
        return torch.where(centre.abs() > 0.25, cotangent, torch.tan(math.pi * centre))

    def inverse(self, eta: torch.Tensor) -> torch.Tensor:
        negative = eta < 0
        safe_eta = torch.where(negative, eta, -1.0)
        lower = torch.atan(-1.0 / safe_eta) / math.pi
        return torch.where(negative, lower, 0.5 + torch.atan(eta) / math.pi)

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        # pi (1 + z^2) = pi / sin(pi p)^2, with sin(pi p) = sin(pi min(p, 1 - p))
        return math.pi / self._sin_pi(mu) ** 2

    def deriv2(self, mu: torch.Tensor) -> torch.Tensor:
        # 2 pi^2 z (1 + z^2), statsmodels' 2 pi^2 sin(a) / cos(a)^3 with a = pi (p - 1/2)
        return 2.0 * math.pi**2 * self(mu) / self._sin_pi(mu) ** 2

    def inverse_deriv(self, eta: torch.Tensor) -> torch.Tensor:
        return 1.0 / (math.pi * (1.0 + eta * eta))

    def inverse_deriv2(self, eta: torch.Tensor) -> torch.Tensor:
        return -2.0 * eta / (math.pi * (1.0 + eta * eta) ** 2)

    @staticmethod
    def _sin_pi(mu: torch.Tensor) -> torch.Tensor:
        p = _clip_unit(mu)
        return torch.sin(math.pi * torch.minimum(p, 1.0 - p))


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


class LogC(Link):
    """``g(p) = log(1 - p)``, the log-complement link (``p = 1 - exp(eta)``, ``eta < 0``).

    statsmodels' ``LogC``, with ``log1p`` and ``expm1`` where it writes ``log(1 - p)`` and
    ``1 - exp(eta)`` (the same numbers but near ``p = 0``, where those lose precision).
    """

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        return torch.log1p(-_clip_unit(mu))

    def inverse(self, eta: torch.Tensor) -> torch.Tensor:
        return -torch.expm1(eta)

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        return -1.0 / (1.0 - _clip_unit(mu))

    def deriv2(self, mu: torch.Tensor) -> torch.Tensor:
        return -1.0 / (1.0 - _clip_unit(mu)) ** 2

    def inverse_deriv(self, eta: torch.Tensor) -> torch.Tensor:
        return -torch.exp(eta)

    def inverse_deriv2(self, eta: torch.Tensor) -> torch.Tensor:
        return -torch.exp(eta)


class NegativeBinomial(Link):
    """``g(mu) = log(mu / (mu + 1 / alpha))``, the canonical link of the negative binomial.

    statsmodels' ``NegativeBinomial`` link: ``mu = 1 / (alpha (exp(-eta) - 1))`` for
    ``eta < 0``. Written as ``-log1p(1 / (alpha mu))`` and ``1 / (alpha expm1(-eta))``,
    which keep their precision where ``mu / (mu + 1/alpha)`` is near 1 (large means);
    ``mu`` is clipped to ``[eps, inf)`` in the link, as statsmodels does (not in the
    derivatives, which statsmodels does not clip either).

    Parameters
    ----------
    alpha : float
        The negative binomial dispersion (statsmodels' default 1).
    """

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def __call__(self, mu: torch.Tensor) -> torch.Tensor:
        return -torch.log1p(1.0 / (self.alpha * _clip_positive(mu)))

    def inverse(self, eta: torch.Tensor) -> torch.Tensor:
        return 1.0 / (self.alpha * torch.expm1(-eta))

    def deriv(self, mu: torch.Tensor) -> torch.Tensor:
        return 1.0 / (mu + self.alpha * mu**2)

    def deriv2(self, mu: torch.Tensor) -> torch.Tensor:
        return -(1.0 + 2.0 * self.alpha * mu) / (mu + self.alpha * mu**2) ** 2

    def inverse_deriv(self, eta: torch.Tensor) -> torch.Tensor:
        return torch.exp(eta) / (self.alpha * torch.expm1(eta) ** 2)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha:g})"


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


class cauchy(Cauchy):  # noqa: N801
    """Alias of :class:`Cauchy`."""


class cloglog(CLogLog):  # noqa: N801
    """Alias of :class:`CLogLog`."""


class loglog(LogLog):  # noqa: N801
    """Alias of :class:`LogLog`."""


class log(Log):  # noqa: N801
    """Alias of :class:`Log`."""


class logc(LogC):  # noqa: N801
    """Alias of :class:`LogC`."""


class nbinom(NegativeBinomial):  # noqa: N801
    """Alias of :class:`NegativeBinomial`."""


class identity(Identity):  # noqa: N801
    """Alias of :class:`Identity`."""


class inverse_power(InversePower):  # noqa: N801
    """Alias of :class:`InversePower`."""


class inverse_squared(InverseSquared):  # noqa: N801
    """Alias of :class:`InverseSquared`."""


class sqrt(Sqrt):  # noqa: N801
    """Alias of :class:`Sqrt`."""
