"""Distributions of a latent error in torch: the ``F`` of threshold (ordinal) models.

An ordinal model observes in which interval between thresholds the latent ``x b + u`` falls,
so its likelihood needs the cdf ``F`` of ``u`` (and, for the derivatives, its density).
:func:`latent_distribution` turns what statsmodels' ``OrderedModel(distr=...)`` accepts into
a :class:`LatentDistribution` of torch functions:

- ``"logit"`` (``scipy.stats.logistic``) and ``"probit"`` (``scipy.stats.norm``);
- scipy distributions with a torch counterpart, frozen or not, with ``loc`` and ``scale``:
  ``norm``, ``logistic``, ``t`` (frozen with its ``df``), ``cauchy``, ``gumbel_l``
  (complementary log-log) and ``gumbel_r`` (log-log);
- a pair of torch callables ``(cdf, pdf)``.

Anything else (a scipy distribution without a torch counterpart, scipy's own functions)
raises :class:`~torchstats.errors.InvalidOptionError` naming the choices: the likelihood is
evaluated and differentiated in torch, on any device.

Every cdf and survival function is an ``autograd.Function`` whose derivative is the torch
pdf (itself differentiated by autograd): exact derivatives of every order, accurate in the
tails where differentiating the value formula would cancel, and values from any routine.
Student's t cdf has no torch function: it is the regularized incomplete beta function,
evaluated by its continued fraction (Lentz's method, each entry frozen once converged;
relative error below 1e-13 against scipy for ``df`` up to 1e3, 5e-12 at ``df = 1e5``). A
user's ``(cdf, pdf)`` pair is wrapped the same way: the values are ``cdf``'s, the
derivatives ``pdf``'s (which must be differentiable for Hessians).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import stats

from torchstats.errors import InvalidOptionError

__all__ = ["LatentDistribution", "latent_distribution"]

TensorFunction = Callable[[torch.Tensor], torch.Tensor]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
# Iterations of the incomplete-beta continued fraction. With the argument on the side where
# it converges (Numerical Recipes' ``betai`` rule), 40 reach the float64 plateau for every
# df tried (0.05 to 1e7, |t| from 1e-4 to 300); entries stop updating once converged.
_CONTINUED_FRACTION_ITERATIONS = 40
# Above this ``a``, log B(a, 1/2) is taken from Stirling's series, not from a difference
# of lgamma values (whose cancellation loses ~1e-11 at a = 5e4; scipy's betaln does too).
_STIRLING_ABOVE = 15.0
# Bisection of a torch pair's cdf for start values: the bracket doubles up to 2^60; 110
# halvings leave it below 2^-50 times its initial width (plenty for a start).
_QUANTILE_DOUBLINGS = 60
_BISECTION_STEPS = 110
# Beyond this |x| the Gumbel cdfs are 0 or 1 to float64 and exp(|x|) would overflow.
_GUMBEL_CLAMP = 40.0


@dataclass(frozen=True)
class LatentDistribution:
    """The cdf, survival function and density of a latent error, as torch functions.

    Attributes
    ----------
    name : str
        Shown in errors and the model's repr (``"logistic"``, ``"norm"``, ``"t(df=5)"``...).
    cdf, sf, pdf : callable
        Tensor to tensor, elementwise, differentiable twice by autograd; ``cdf`` and ``sf``
        each keep full relative accuracy in their lower tail (use ``sf`` for upper tails).
    ppf : callable
        Quantile function on host numpy values (for start values): scipy's, or bisection
        of the cdf for a torch pair.
    scipy : object
        What statsmodels' ``OrderedModel.distr`` holds: the scipy distribution, or the pair.
    """

    name: str
    cdf: TensorFunction
    sf: TensorFunction
    pdf: TensorFunction
    ppf: Callable[[np.ndarray], np.ndarray]
    scipy: Any


def latent_distribution(distr: Any) -> LatentDistribution:
    """The torch distribution behind statsmodels' ``distr`` argument.

    Parameters
    ----------
    distr : {"logit", "probit"}, scipy distribution or (cdf, pdf)
        See the module docstring for the scipy distributions that have torch counterparts.

    Raises
    ------
    InvalidOptionError
        An unknown string, a scipy distribution without a torch counterpart, a ``t`` without
        ``df``, a non-positive ``scale`` or ``df``, or a pair whose members are not callable.
    """
    if isinstance(distr, str):
        if distr not in ("logit", "probit"):
            raise InvalidOptionError(
                f"unknown distr {distr!r}; choose 'logit', 'probit', a scipy distribution "
                f"({', '.join(sorted(_SCIPY_FAMILIES))}) or a (cdf, pdf) pair of torch functions"
            )
        return _from_scipy(stats.logistic if distr == "logit" else stats.norm)
    if isinstance(distr, tuple) and len(distr) == 2:
        return _from_pair(distr)
    if isinstance(distr, stats.rv_continuous) or isinstance(
        getattr(distr, "dist", None), stats.rv_continuous
    ):
        return _from_scipy(distr)
    raise InvalidOptionError(
        f"distr must be 'logit', 'probit', a scipy distribution or a (cdf, pdf) pair of torch "
        f"functions, not {type(distr).__name__}"
    )


# --- scipy distributions with torch counterparts -------------------------------------------
#
# Each family gives the values of (cdf, sf, pdf). The cdf and sf are then wrapped so that
# their derivative is the pdf (_SmoothCdf): autograd of the value formulas would lose
# relative accuracy in the tails (the derivative of sigmoid as s (1 - s), of expm1 as
# 1 + expm1).

_Family = tuple[TensorFunction, TensorFunction, TensorFunction]


def _logistic(_: dict[str, float]) -> _Family:
    return (
        torch.sigmoid,
        lambda x: torch.sigmoid(-x),
        lambda x: torch.sigmoid(x) * torch.sigmoid(-x),
    )


def _normal(_: dict[str, float]) -> _Family:
    # erfc, not torch.special.ndtr, which loses relative accuracy in the lower tail
    # (4e-10 at x = -5, 0 below -9)
    return (
        lambda x: 0.5 * torch.special.erfc(-x * _SQRT_HALF),
        lambda x: 0.5 * torch.special.erfc(x * _SQRT_HALF),
        lambda x: torch.exp(-0.5 * x * x - _LOG_SQRT_2PI),
    )


def _cauchy(_: dict[str, float]) -> _Family:
    # atan2(1, -x) / pi is 1/2 + atan(x)/pi without cancellation in the lower tail
    return (
        lambda x: torch.atan2(torch.ones_like(x), -x) / math.pi,
        lambda x: torch.atan2(torch.ones_like(x), x) / math.pi,
        lambda x: 1 / (math.pi * (1 + x * x)),
    )


def _gumbel_l(_: dict[str, float]) -> _Family:
    """Minimum extreme value: ``F(x) = 1 - exp(-exp(x))`` (the complementary log-log)."""

    def exp_x(x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x.clamp(max=_GUMBEL_CLAMP))

    return (
        lambda x: -torch.expm1(-exp_x(x)),
        lambda x: torch.exp(-exp_x(x)),
        lambda x: exp_x(x) * torch.exp(-exp_x(x)),
    )


def _gumbel_r(shapes: dict[str, float]) -> _Family:
    """Maximum extreme value: ``F(x) = exp(-exp(-x))`` (the log-log): ``-u`` of gumbel_l."""
    cdf, sf, pdf = _gumbel_l(shapes)
    return lambda x: sf(-x), lambda x: cdf(-x), lambda x: pdf(-x)


def _student_t(shapes: dict[str, float]) -> _Family:
    df = shapes["df"]
    log_norm = -0.5 * math.log(df) - _log_beta_half(df / 2)
    return (
        lambda x: _student_t_cdf(x, df),
        lambda x: _student_t_cdf(-x, df),
        lambda x: torch.exp(log_norm - 0.5 * (df + 1) * torch.log1p(x * x / df)),
    )


def _smooth(
    cdf_values: TensorFunction, sf_values: TensorFunction, pdf: TensorFunction
) -> tuple[TensorFunction, TensorFunction]:
    """The cdf and sf with the pdf (and its negative) as their derivatives."""

    def negative_pdf(x: torch.Tensor) -> torch.Tensor:
        return -pdf(x)

    return (
        lambda x: _SmoothCdf.apply(x, cdf_values, pdf),
        lambda x: _SmoothCdf.apply(x, sf_values, negative_pdf),
    )


_SCIPY_FAMILIES: dict[str, Callable[[dict[str, float]], _Family]] = {
    "logistic": _logistic,
    "norm": _normal,
    "t": _student_t,
    "cauchy": _cauchy,
    "gumbel_l": _gumbel_l,
    "gumbel_r": _gumbel_r,
}


def _from_scipy(distr: Any) -> LatentDistribution:
    frozen = not isinstance(distr, stats.rv_continuous)
    family = distr.dist if frozen else distr
    name = getattr(family, "name", type(family).__name__)
    builder = _SCIPY_FAMILIES.get(name)
    if builder is None or type(family) is not type(getattr(stats, name)):
        raise InvalidOptionError(
            f"distr {name!r} has no torch counterpart here; use one of "
            f"{', '.join(sorted(_SCIPY_FAMILIES))} (scipy.stats), or pass its cdf and pdf "
            "as a pair of torch functions: distr=(cdf, pdf)"
        )
    values = _frozen_arguments(family, distr.args, distr.kwds) if frozen else {}
    shape_names = [s.strip() for s in family.shapes.split(",")] if family.shapes else []
    missing = [s for s in shape_names if s not in values]
    if missing:
        raise InvalidOptionError(
            f"scipy's {name} needs {', '.join(missing)}: pass a frozen distribution such as "
            f"stats.{name}({', '.join(f'{s}=5' for s in missing)})"
        )
    loc, scale = float(values.pop("loc", 0.0)), float(values.pop("scale", 1.0))
    if not scale > 0 or any(not v > 0 for v in values.values()):
        raise InvalidOptionError(f"{name} needs positive scale and shape parameters: {values}")
    cdf_values, sf_values, pdf = builder(values)
    cdf, sf = _smooth(cdf_values, sf_values, pdf)
    shown = ", ".join(
        f"{k}={v:g}"
        for k, v in {**values, "loc": loc, "scale": scale}.items()
        if (k, v) not in (("loc", 0.0), ("scale", 1.0))
    )
    distribution = LatentDistribution(
        name=f"{name}({shown})" if shown else name,
        cdf=cdf,
        sf=sf,
        pdf=pdf,
        ppf=lambda q: np.asarray(distr.ppf(q), dtype=float),
        scipy=distr,
    )
    return _standardized(distribution, loc, scale) if (loc, scale) != (0.0, 1.0) else distribution


def _frozen_arguments(family: Any, args: tuple[Any, ...], kwds: dict[str, Any]) -> dict[str, float]:
    """A frozen scipy distribution's shapes, ``loc`` and ``scale`` by name (scipy checked
    them when freezing)."""
    names = [s.strip() for s in family.shapes.split(",")] if family.shapes else []
    values = {**dict(zip([*names, "loc", "scale"], args)), **kwds}
    return {key: float(value) for key, value in values.items()}


def _standardized(distribution: LatentDistribution, loc: float, scale: float) -> LatentDistribution:
    """The distribution of ``loc + scale * u``."""

    def shift(f: TensorFunction) -> TensorFunction:
        return lambda x: f((x - loc) / scale)

    return LatentDistribution(
        name=distribution.name,
        cdf=shift(distribution.cdf),
        sf=shift(distribution.sf),
        pdf=lambda x: distribution.pdf((x - loc) / scale) / scale,
        ppf=distribution.ppf,
        scipy=distribution.scipy,
    )


# --- a user's torch pair -------------------------------------------------------------------


def _from_pair(pair: tuple[Any, Any]) -> LatentDistribution:
    cdf_function, pdf_function = pair
    if not (callable(cdf_function) and callable(pdf_function)):
        raise InvalidOptionError("distr=(cdf, pdf) needs two callables mapping tensors to tensors")
    cdf, sf = _smooth(cdf_function, lambda x: 1 - cdf_function(x), pdf_function)
    return LatentDistribution(
        name=getattr(cdf_function, "__name__", "cdf"),
        cdf=cdf,
        sf=sf,
        pdf=pdf_function,
        ppf=lambda q: _bisection_quantiles(cdf, q),
        scipy=pair,
    )


def _bisection_quantiles(cdf: TensorFunction, q: np.ndarray) -> np.ndarray:
    """``cdf^{-1}(q)`` by bisection (``q`` of 0 and 1 give -inf and inf): the bracket
    doubles until it holds every quantile, then halves to float64 resolution."""
    target = torch.as_tensor(np.asarray(q, dtype=float))
    inside = (target > 0) & (target < 1)
    half_width = torch.ones_like(target)
    for _ in range(_QUANTILE_DOUBLINGS):
        low_ok = cdf(-half_width) <= target
        high_ok = cdf(half_width) >= target
        if bool((low_ok & high_ok | ~inside).all()):
            break
        half_width = torch.where(low_ok & high_ok, half_width, 2 * half_width)
    low, high = -half_width, half_width.clone()
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        below = cdf(middle) < target
        low, high = torch.where(below, middle, low), torch.where(below, high, middle)
    quantiles = (low + high) / 2
    quantiles = torch.where(target <= 0, -torch.inf, torch.where(target >= 1, torch.inf, quantiles))
    return quantiles.numpy()


class _SmoothCdf(torch.autograd.Function):
    """``cdf(x)`` whose derivative is ``pdf(x)``: values from any routine, derivatives (of
    every order) from the differentiable torch density."""

    @staticmethod
    def forward(x: torch.Tensor, cdf: TensorFunction, pdf: TensorFunction) -> torch.Tensor:
        with torch.no_grad():
            return cdf(x)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        x, _, pdf = inputs
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)
        ctx.pdf = pdf

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (x,) = ctx.saved_tensors
        return grad * ctx.pdf(x), None, None

    @staticmethod
    def jvp(ctx: Any, tangent: torch.Tensor, *_: Any) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return tangent * ctx.pdf(x)

    @staticmethod
    def vmap(
        info: Any, in_dims: tuple[Any, ...], x: torch.Tensor, cdf: Any, pdf: Any
    ) -> tuple[torch.Tensor, Any]:
        # elementwise: the batched tensor goes through as it is, its batch dimension kept
        return _SmoothCdf.apply(x, cdf, pdf), in_dims[0]


# --- Student's t cdf -------------------------------------------------------------------------


def _student_t_cdf(x: torch.Tensor, df: float) -> torch.Tensor:
    """``P(T <= x)`` for ``df`` degrees of freedom from the tail ``I_z(df/2, 1/2) / 2``,
    ``z = df / (df + x^2)``; the continued fraction is evaluated for ``I_z(a, b)`` or for
    ``1 - I_{1-z}(b, a)``, whichever converges (per entry; infinite ``x`` allowed)."""
    x2 = x * x
    a, b = df / 2, 0.5
    log_z = -torch.log1p(x2 / df)
    log_w = -torch.log1p(df / x2)  # log(1 - z), without cancellation
    front = torch.exp(a * log_z + b * log_w - _log_beta_half(a))
    z = torch.exp(log_z)
    direct = z < (a + 1) / (a + b + 2)
    first, second = torch.full_like(x, a), torch.full_like(x, b)
    fraction = _beta_continued_fraction(
        torch.where(direct, first, second),
        torch.where(direct, second, first),
        torch.where(direct, z, torch.exp(log_w)),
    )
    incomplete = torch.where(direct, front * fraction / a, 1 - front * fraction / b)
    tail = incomplete / 2
    return torch.where(x > 0, 1 - tail, tail)


def _log_beta_half(a: float) -> float:
    """``log B(a, 1/2)``; Stirling's series for ``log Gamma(a + 1/2) - log Gamma(a)`` at
    large ``a`` avoids the cancellation of two large lgamma values."""
    if a < _STIRLING_ABOVE:
        return math.lgamma(a) + math.lgamma(0.5) - math.lgamma(a + 0.5)
    s = a + 0.5

    def series(z: float) -> float:
        return 1 / (12 * z) - 1 / (360 * z**3) + 1 / (1260 * z**5) - 1 / (1680 * z**7)

    log_ratio = (a - 0.5) * math.log1p(0.5 / a) + 0.5 * math.log(s) - 0.5 + series(s) - series(a)
    return math.lgamma(0.5) - log_ratio


def _beta_continued_fraction(a: torch.Tensor, b: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The continued fraction of ``I_x(a, b)`` (Numerical Recipes' ``betacf``, modified
    Lentz), per entry; converges fast for ``x < (a + 1) / (a + b + 2)``."""
    tiny = torch.finfo(x.dtype).tiny
    eps = torch.finfo(x.dtype).eps

    def guard(v: torch.Tensor) -> torch.Tensor:
        return torch.where(v.abs() < tiny, tiny, v)

    c = torch.ones_like(x)
    d = 1 / guard(1 - (a + b) * x / (a + 1))
    h = d
    done = torch.zeros_like(x, dtype=torch.bool)
    for m in range(1, _CONTINUED_FRACTION_ITERATIONS + 1):
        step = torch.ones_like(x)
        for numerator in (
            m * (b - m) * x / ((a - 1 + 2 * m) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 1 + 2 * m)),
        ):
            d = 1 / guard(1 + numerator * d)
            c = guard(1 + numerator / c)
            step = step * d * c
        h = torch.where(done, h, h * step)
        done = done | ((step - 1).abs() < eps)
    return h
