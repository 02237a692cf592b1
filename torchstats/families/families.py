"""Exponential families of generalised linear models, in torch.

A family is a link, a variance function and a log-likelihood: IRLS needs ``weights(mu)``
and the deviance; results need ``loglike_obs``, ``resid_dev`` and the starting means.
Definitions, including variance and frequency weights and the constants of every
log-likelihood, are statsmodels' ``genmod.families.family``, so ``llf``, ``aic``,
``deviance`` and the residuals agree with it to rounding.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch

from torchstats._device import arrays_in_public_methods
from torchstats.errors import DesignError, InvalidOptionError
from torchstats.families import links as L
from torchstats.families import varfuncs as V
from torchstats.families.gamma_differences import log_gamma_ratio
from torchstats.families.inplace import in_place_allowed, times

__all__ = [
    "Family",
    "Gaussian",
    "Binomial",
    "Poisson",
    "Gamma",
    "InverseGaussian",
    "NegativeBinomial",
    "Tweedie",
]

Weights = torch.Tensor | float

# Terms of the bd0 series of Poisson's unit deviance (|v| < 0.1, so the last is below
# 1e-16 of the first).
_BD0_TERMS = 8


class Family:
    """A link, a variance function and a log-likelihood.

    Subclasses set ``links`` (accepted link classes), ``safe_links`` (those that keep the
    mean in the family's range), ``default_link`` and ``fixed_scale`` (True when the
    dispersion is 1 rather than estimated), and define ``_resid_dev`` and ``loglike_obs``.

    Parameters
    ----------
    link : Link, optional
        A link instance (``ts.families.links.Log()``); default the family's usual link.
    check_link : bool
        Refuse links the family does not list (statsmodels' ``check_link``).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        arrays_in_public_methods(cls)  # numpy in, numpy out, as statsmodels' (tensors as is)

    links: tuple[type[L.Link], ...] = ()
    safe_links: tuple[type[L.Link], ...] = ()
    default_link: type[L.Link] = L.Identity
    fixed_scale = False
    variance: V.VarianceFunction

    def __init__(self, link: L.Link | None = None, check_link: bool = True) -> None:
        link = self.default_link() if link is None else link
        if isinstance(link, type):
            raise TypeError(
                f"pass a link instance such as {link.__name__}(), not the class {link.__name__}"
            )
        if not isinstance(link, L.Link):
            raise TypeError(f"link must be a torchstats link, got {type(link).__name__}")
        if check_link and not isinstance(link, self.links):
            names = ", ".join(cls.__name__ for cls in self.links)
            raise InvalidOptionError(
                f"the {type(link).__name__} link is not available for the "
                f"{type(self).__name__} family; choose one of {names}"
            )
        self.link = link

    @property
    def link_is_safe(self) -> bool:
        """Whether the link maps every linear predictor to a valid mean."""
        return isinstance(self.link, self.safe_links)

    def check_endog(self, endog: torch.Tensor) -> None:
        """Raise :class:`~torchstats.errors.DesignError` for responses outside the support."""

    def valid_mean(self, mu: torch.Tensor) -> torch.Tensor:
        """Whether each mean lies in the family's range (positive, or in [0, 1])."""
        return torch.isfinite(mu)

    def boundary_fit(self, endog: torch.Tensor, mu: torch.Tensor, tol: float) -> torch.Tensor:
        """Rows whose response lies on a boundary of the family's range that the mean can
        only approach (0 for counts; 0 and 1 for the binomial) and whose mean is within
        ``tol`` of it: the rows a separating regressor predicts exactly while its
        coefficient runs to infinity. None for families without such a boundary."""
        return torch.zeros(mu.shape, dtype=torch.bool, device=mu.device)

    def starting_mu(self, endog: torch.Tensor, mean: float | None = None) -> torch.Tensor:
        """IRLS start ``(y + mean(y)) / 2``; ``mean`` is the whole response's mean when
        ``endog`` is a part of it (a chunk of streamed data)."""
        return (endog + (endog.mean() if mean is None else mean)) / 2.0

    def weights(self, mu: torch.Tensor) -> torch.Tensor:
        """IRLS weights ``1 / (g'(mu)^2 V(mu))``."""
        if in_place_allowed(mu):  # the same operations on one temporary
            return (self.link.deriv(mu) ** 2).mul_(self.variance(mu)).reciprocal_()
        return 1.0 / (self.link.deriv(mu) ** 2 * self.variance(mu))

    def score_factor(
        self, endog: torch.Tensor, mu: torch.Tensor, weights: Weights, scale: float
    ) -> torch.Tensor:
        """``(y - mu) w / (g'(mu) V(mu) scale)``: the GLM score is ``X' factor``
        (``weights`` the row weights: frequency x variance x trials)."""
        factor = (endog - mu) / self.link.deriv(mu) / self.variance(mu)
        return factor * weights / scale

    def hessian_factor(
        self,
        endog: torch.Tensor,
        mu: torch.Tensor,
        weights: Weights,
        scale: float,
        observed: bool = True,
    ) -> torch.Tensor:
        """``h`` with the GLM Hessian ``-X' diag(h) X`` (statsmodels' ``hessian_factor``).

        Expected information: ``w / (g'^2 V scale)``; the observed one multiplies it by
        ``1 + (y - mu) (V g'' + V' g') / (g' V)``, which is 1 for canonical links.
        """
        link, variance = self.link, self.variance
        expected = weights / (link.deriv(mu) ** 2 * variance(mu)) / scale
        if not observed:
            return expected
        residual = (endog - mu) / link.deriv(mu) / variance(mu)
        curvature = variance(mu) * link.deriv2(mu) + variance.deriv(mu) * link.deriv(mu)
        return expected * (1 + residual * curvature)

    def fitted(self, eta: torch.Tensor) -> torch.Tensor:
        """The mean of a linear predictor, ``g^{-1}(eta)``."""
        return self.link.inverse(eta)

    def predict(self, mu: torch.Tensor) -> torch.Tensor:
        """The linear predictor of a mean, ``g(mu)``."""
        return self.link(mu)

    def _resid_dev(self, endog: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        """Unit deviances ``d(y_i, mu_i)``, before weights and scale."""
        raise NotImplementedError

    def deviance(
        self,
        endog: torch.Tensor,
        mu: torch.Tensor,
        var_weights: Weights = 1.0,
        freq_weights: Weights = 1.0,
        scale: float = 1.0,
    ) -> torch.Tensor:
        """``sum(freq_weights * var_weights * d(y, mu)) / scale`` (a 0-d tensor)."""
        unit = self._resid_dev(endog, mu)
        return torch.sum(times(times(unit, freq_weights), var_weights)) / scale

    def resid_dev(
        self, endog: torch.Tensor, mu: torch.Tensor, var_weights: Weights = 1.0, scale: float = 1.0
    ) -> torch.Tensor:
        """Deviance residuals ``sign(y - mu) sqrt(var_weights d(y, mu) / scale)``."""
        unit = self._residual_unit_deviance(endog, mu) * var_weights / scale
        return torch.sign(endog - mu) * torch.sqrt(unit.clamp_min(0.0))

    def _residual_unit_deviance(self, endog: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        """The unit deviances behind each deviance residual: :meth:`_resid_dev`, unless a
        family computes small ones more accurately at a cost the fit's deviance sums,
        whose rounding is that of their total, need not pay."""
        return self._resid_dev(endog, mu)

    def loglike_obs(
        self, endog: torch.Tensor, mu: torch.Tensor, var_weights: Weights = 1.0, scale: float = 1.0
    ) -> torch.Tensor:
        """Per-observation log-likelihood ``(n,)``."""
        raise NotImplementedError

    def loglike(
        self,
        endog: torch.Tensor,
        mu: torch.Tensor,
        var_weights: Weights = 1.0,
        freq_weights: Weights = 1.0,
        scale: float = 1.0,
    ) -> torch.Tensor:
        """``sum(freq_weights * loglike_obs)`` (a 0-d tensor)."""
        return torch.sum(self.loglike_obs(endog, mu, var_weights, scale) * freq_weights)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(link={self.link!r})"


def _clip_positive(x: torch.Tensor) -> torch.Tensor:
    return x.clamp_min(float(torch.finfo(x.dtype).eps))


def _clip_positive_(x: torch.Tensor) -> torch.Tensor:
    """:func:`_clip_positive` in place."""
    return x.clamp_min_(float(torch.finfo(x.dtype).eps))


def _require(condition: torch.Tensor, family: str, message: str) -> None:
    bad = int((~condition).sum())
    if bad:
        raise DesignError(f"{family} family: {message} ({bad} observation(s) violate it)")


class Gaussian(Family):
    """Normal responses, ``V(mu) = 1``; default link identity."""

    links = (L.Log, L.Identity, L.InversePower)
    safe_links = links
    default_link = L.Identity
    variance = V.Constant()

    def _resid_dev(self, endog: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        if in_place_allowed(endog, mu):
            return torch.sub(endog, mu).pow_(2)
        return (endog - mu) ** 2

    def loglike_obs(
        self, endog: torch.Tensor, mu: torch.Tensor, var_weights: Weights = 1.0, scale: float = 1.0
    ) -> torch.Tensor:
        value = -var_weights * (endog - mu) ** 2 / scale
        value = value - torch.log(scale / torch.as_tensor(var_weights, dtype=mu.dtype))
        return (value - math.log(2 * math.pi)) / 2


class Poisson(Family):
    """Counts, ``V(mu) = mu``; default link log; scale fixed at 1."""

    links = (L.Log, L.Identity, L.Sqrt)
    safe_links = (L.Log,)
    default_link = L.Log
    fixed_scale = True
    variance = V.Power(1.0)

    def valid_mean(self, mu: torch.Tensor) -> torch.Tensor:
        return mu > 0

    def boundary_fit(self, endog: torch.Tensor, mu: torch.Tensor, tol: float) -> torch.Tensor:
        return (endog == 0) & (mu < tol)

    def check_endog(self, endog: torch.Tensor) -> None:
        _require(endog >= 0, "Poisson", "the response must be non-negative")

    def _resid_dev(self, endog: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        if in_place_allowed(endog, mu):
            unit = _clip_positive_(torch.div(endog, mu)).log_().mul_(endog)
            return unit.sub_(torch.sub(endog, mu)).mul_(2)
        return 2 * (endog * torch.log(_clip_positive(endog / mu)) - (endog - mu))

    def _residual_unit_deviance(self, endog: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        """``2 (y log(y/mu) - (y - mu))`` cancels where ``y`` is close to ``mu`` and both
        are large (2.4e-4 relative at y = 8.5e8, mu = y - 368; statsmodels the same); there
        it is R's ``bd0`` series (Loader 2000): with ``v = (y - mu)/(y + mu)``, ``(y - mu) v
        + 2 y sum_j v^(2j+1)/(2j+1)``, every term positive."""
        direct = self._resid_dev(endog, mu)
        close = (endog - mu).abs() < 0.1 * (endog + mu)
        if not bool(close.any()):
            return direct
        v = (endog - mu) / (endog + mu)
        v2 = v * v
        term = 2 * endog * v
        series = (endog - mu) * v
        for j in range(1, _BD0_TERMS + 1):  # |v| < 0.1: each term 1e-2 of the one before
            term = term * v2
            series = series + term / (2 * j + 1)
        return torch.where(close, 2 * series, direct)

    def loglike_obs(
        self, endog: torch.Tensor, mu: torch.Tensor, var_weights: Weights = 1.0, scale: float = 1.0
    ) -> torch.Tensor:
        return var_weights / scale * (endog * torch.log(mu) - mu - torch.lgamma(endog + 1))


class Gamma(Family):
    """Positive continuous responses, ``V(mu) = mu**2``; default link inverse."""

    links = (L.Log, L.Identity, L.InversePower)
    safe_links = (L.Log,)
    default_link = L.InversePower
    variance = V.Power(2.0)

    def valid_mean(self, mu: torch.Tensor) -> torch.Tensor:
        return mu > 0

    def check_endog(self, endog: torch.Tensor) -> None:
        _require(endog > 0, "Gamma", "the response must be positive")

    def _resid_dev(self, endog: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        if in_place_allowed(endog, mu):
            unit = _clip_positive_(torch.div(endog, mu)).log_().neg_()
            return unit.add_(torch.sub(endog, mu).div_(mu)).mul_(2)
        return 2 * (-torch.log(_clip_positive(endog / mu)) + (endog - mu) / mu)

    def loglike_obs(
        self, endog: torch.Tensor, mu: torch.Tensor, var_weights: Weights = 1.0, scale: float = 1.0
    ) -> torch.Tensor:
        ratio = _clip_positive(endog / mu)
        shape = torch.as_tensor(var_weights, dtype=mu.dtype, device=mu.device) / scale
        value = shape * torch.log(shape * ratio) - shape * ratio
        return value - torch.lgamma(shape) - torch.log(endog)


class Binomial(Family):
    """Binary outcomes or proportions in [0, 1], ``V(mu) = mu (1 - mu)``; link logit.

    Counts of successes out of ``n`` trials are given to ``GLM`` as a two-column response
    ``(successes, failures)`` (``"s + f ~ x"``), as in statsmodels and R's ``cbind``; the
    model then fits the proportions with ``n`` as a weight and adds the binomial
    coefficients to the log-likelihood (:meth:`loglike_trials_obs`).
    """

    links = (L.Logit, L.Probit, L.Cauchy, L.Log, L.LogC, L.CLogLog, L.LogLog, L.Identity)
    safe_links = (L.Logit, L.Probit, L.Cauchy, L.CLogLog, L.LogLog)
    default_link = L.Logit
    fixed_scale = True
    variance = V.Binomial()

    def valid_mean(self, mu: torch.Tensor) -> torch.Tensor:
        return (mu >= 0) & (mu <= 1)

    def boundary_fit(self, endog: torch.Tensor, mu: torch.Tensor, tol: float) -> torch.Tensor:
        return ((endog == 0) & (mu < tol)) | ((endog == 1) & (mu > 1 - tol))

    def check_endog(self, endog: torch.Tensor) -> None:
        _require((endog >= 0) & (endog <= 1), "Binomial", "the response must lie in [0, 1]")

    def starting_mu(self, endog: torch.Tensor, mean: float | None = None) -> torch.Tensor:
        """IRLS start ``(y + 0.5) / 2`` (``mean`` is not used)."""
        return (endog + 0.5) / 2

    def _resid_dev(self, endog: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        if in_place_allowed(endog, mu):
            shifted = torch.add(mu, 1e-20)
            unit = _clip_positive_(torch.div(endog, shifted, out=shifted)).log_().mul_(endog)
            failures = torch.rsub(endog, 1.0)
            shifted_c = torch.rsub(mu, 1.0).add_(1e-20)
            unit_c = _clip_positive_(torch.div(failures, shifted_c, out=shifted_c))
            return unit.add_(unit_c.log_().mul_(failures)).mul_(2)
        ratio = _clip_positive(endog / (mu + 1e-20))
        ratio_c = _clip_positive((1.0 - endog) / (1.0 - mu + 1e-20))
        return 2 * (endog * torch.log(ratio) + (1 - endog) * torch.log(ratio_c))

    def loglike_obs(
        self, endog: torch.Tensor, mu: torch.Tensor, var_weights: Weights = 1.0, scale: float = 1.0
    ) -> torch.Tensor:
        # statsmodels: ln C(n, y) + y log(mu / (1 - mu)) + n log(1 - mu), with n = 1.
        combinations = -torch.lgamma(endog + 1) - torch.lgamma(2 - endog)
        odds = torch.log((mu + 1e-20) / (1 - mu + 1e-20))
        return (combinations + endog * odds + torch.log(1 - mu + 1e-20)) * var_weights

    def loglike_trials_obs(
        self,
        endog: torch.Tensor,
        mu: torch.Tensor,
        n_trials: torch.Tensor,
        var_weights: Weights = 1.0,
    ) -> torch.Tensor:
        """Log-likelihood of ``n_trials * endog`` successes in ``n_trials`` trials.

        statsmodels: ``ln C(n, y) + y log(mu / (1 - mu)) + n log(1 - mu)`` with ``y`` the
        number of successes, times ``var_weights``.
        """
        successes = endog * n_trials
        combinations = (
            torch.lgamma(n_trials + 1)
            - torch.lgamma(successes + 1)
            - torch.lgamma(n_trials - successes + 1)
        )
        odds = torch.log((mu + 1e-20) / (1 - mu + 1e-20))
        return (combinations + successes * odds + n_trials * torch.log(1 - mu + 1e-20)) * (
            var_weights
        )


class InverseGaussian(Family):
    """Positive responses, ``V(mu) = mu**3``; default link inverse squared."""

    links = (L.InverseSquared, L.InversePower, L.Identity, L.Log)
    safe_links = (L.InverseSquared, L.Log)
    default_link = L.InverseSquared
    variance = V.Power(3.0)

    def valid_mean(self, mu: torch.Tensor) -> torch.Tensor:
        return mu > 0

    def check_endog(self, endog: torch.Tensor) -> None:
        _require(endog > 0, "InverseGaussian", "the response must be positive")

    def _resid_dev(self, endog: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        return (endog - mu) ** 2 / (endog * mu**2)

    def loglike_obs(
        self, endog: torch.Tensor, mu: torch.Tensor, var_weights: Weights = 1.0, scale: float = 1.0
    ) -> torch.Tensor:
        weights = torch.as_tensor(var_weights, dtype=mu.dtype, device=mu.device)
        value = -weights * (endog - mu) ** 2 / (scale * endog * mu**2)
        value = value - torch.log(scale * endog**3 / weights) - math.log(2 * math.pi)
        return value / 2


class NegativeBinomial(Family):
    """Over-dispersed counts, ``V(mu) = mu + alpha mu**2`` with ``alpha`` known; link log.

    Parameters
    ----------
    link : Link, optional
    alpha : float, optional
        The dispersion (default 1.0 with a warning, as statsmodels). To estimate it, use
        :func:`torchstats.negativebinomial`.
    """

    links = (L.Log, L.CLogLog, L.Identity, L.NegativeBinomial, L.Power)
    safe_links = (L.Log,)
    default_link = L.Log
    fixed_scale = True

    def __init__(
        self, link: L.Link | None = None, alpha: float | None = None, check_link: bool = True
    ) -> None:
        if alpha is None:
            warnings.warn(
                "Negative binomial dispersion parameter alpha not set; using alpha=1.0",
                UserWarning,
                stacklevel=2,
            )
            alpha = 1.0
        if not alpha > 0:
            raise InvalidOptionError(f"alpha must be positive, got {alpha!r}")
        self.alpha = float(alpha)
        self.variance = V.NegativeBinomial(self.alpha)
        super().__init__(link, check_link)

    def valid_mean(self, mu: torch.Tensor) -> torch.Tensor:
        return mu > 0

    def boundary_fit(self, endog: torch.Tensor, mu: torch.Tensor, tol: float) -> torch.Tensor:
        return (endog == 0) & (mu < tol)

    def check_endog(self, endog: torch.Tensor) -> None:
        _require(endog >= 0, "NegativeBinomial", "the response must be non-negative")

    def _resid_dev(self, endog: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        inv_alpha = 1 / self.alpha
        value = endog * torch.log(_clip_positive(endog / mu))
        value = value - (endog + inv_alpha) * torch.log((endog + inv_alpha) / (mu + inv_alpha))
        return 2 * value

    def loglike_obs(
        self, endog: torch.Tensor, mu: torch.Tensor, var_weights: Weights = 1.0, scale: float = 1.0
    ) -> torch.Tensor:
        # statsmodels' y log(a mu) - (y + 1/a) log1p(a mu) + lgamma(y + 1/a) - lgamma(1/a),
        # with the log-gamma difference that does not cancel as a tends to 0
        a = self.alpha
        inv_alpha = torch.as_tensor(1 / a, dtype=mu.dtype, device=mu.device)
        value = log_gamma_ratio(endog, inv_alpha) + endog * torch.log(mu)
        value = value - (endog + inv_alpha) * torch.log1p(a * mu)
        return var_weights / scale * (value - torch.lgamma(endog + 1))

    def __repr__(self) -> str:
        return f"NegativeBinomial(link={self.link!r}, alpha={self.alpha:g})"


class Tweedie(Family):
    """Tweedie responses, ``V(mu) = mu**var_power``; default link log.

    Parameters
    ----------
    link : Link, optional
    var_power : float
        ``p``: 1 is Poisson-like, 2 gamma-like; ``1 < p < 2`` compound Poisson-gamma.
    eql : bool
        Use Nelder and Pregibon's extended quasi-likelihood for ``llf`` (statsmodels'
        option). Without it, ``1 < p < 2`` uses the series density (through
        ``scipy.special.log_wright_bessel``, on the host) and other powers give NaN.
    """

    links = (L.Log, L.Power)
    safe_links = (L.Log, L.Power)
    default_link = L.Log

    def __init__(
        self,
        link: L.Link | None = None,
        var_power: float = 1.0,
        eql: bool = False,
        check_link: bool = True,
    ) -> None:
        if eql and not 1 <= var_power <= 2:
            raise InvalidOptionError("Tweedie: with eql=True var_power must lie in [1, 2]")
        self.var_power = float(var_power)
        self.eql = eql
        self.variance = V.Power(self.var_power)
        super().__init__(link, check_link)

    def valid_mean(self, mu: torch.Tensor) -> torch.Tensor:
        return mu > 0

    def boundary_fit(self, endog: torch.Tensor, mu: torch.Tensor, tol: float) -> torch.Tensor:
        return (endog == 0) & (mu < tol)

    def check_endog(self, endog: torch.Tensor) -> None:
        _require(endog >= 0, "Tweedie", "the response must be non-negative")

    def _resid_dev(self, endog: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        p = self.var_power
        if p == 1:
            safe = torch.where(endog == 0, torch.ones_like(endog), endog)
            dev = torch.where(endog == 0, mu, endog * torch.log(safe / mu) + (mu - endog))
        elif p == 2:
            dev = (endog - mu) / mu - torch.log(_clip_positive(endog) / mu)
        else:
            dev = (
                endog ** (2 - p) / ((1 - p) * (2 - p))
                - endog * mu ** (1 - p) / (1 - p)
                + mu ** (2 - p) / (2 - p)
            )
        return 2 * dev

    def loglike_obs(
        self, endog: torch.Tensor, mu: torch.Tensor, var_weights: Weights = 1.0, scale: float = 1.0
    ) -> torch.Tensor:
        p = self.var_power
        if p == 1:
            return Poisson().loglike_obs(endog, mu, var_weights, scale)
        if p == 2:
            return Gamma().loglike_obs(endog, mu, var_weights, scale)
        if self.eql:
            weights = torch.as_tensor(var_weights, dtype=mu.dtype, device=mu.device)
            value = math.log(2 * math.pi * scale) + p * torch.log(endog) - torch.log(weights)
            u = endog ** (2 - p) - (2 - p) * endog * mu ** (1 - p) + (1 - p) * mu ** (2 - p)
            u = u * weights / (scale * (1 - p) * (2 - p))
            return -value / 2 - u
        if not 1 < p < 2:
            return torch.full_like(mu, float("nan"))
        return _tweedie_series_loglike(endog, mu, var_weights, scale, p)

    def __repr__(self) -> str:
        return f"Tweedie(link={self.link!r}, var_power={self.var_power:g})"


def _tweedie_series_loglike(
    endog: torch.Tensor, mu: torch.Tensor, var_weights: Any, scale: float, p: float
) -> torch.Tensor:
    """The compound Poisson-gamma log-density (statsmodels' ``Tweedie.loglike_obs``).

    Its series term needs ``log_wright_bessel``, which torch lacks: computed with scipy on
    the host (a statistic of the fit, not part of the IRLS loop).
    """
    from scipy import special

    y = endog.detach().cpu().double().numpy()
    m = mu.detach().cpu().double().numpy()
    weights = var_weights
    if isinstance(weights, torch.Tensor):
        weights = weights.detach().cpu().double().numpy()
    phi = np.broadcast_to(scale / np.asarray(weights, dtype=float), y.shape)
    theta = m ** (1 - p) / (1 - p)
    kappa = m ** (2 - p) / (2 - p)
    alpha = (2 - p) / (1 - p)
    value = (y * theta - kappa) / phi
    positive = y > 0
    x = ((p - 1) * phi[positive] / y[positive]) ** alpha / ((2 - p) * phi[positive])
    value[positive] += np.log(1 / y[positive]) + special.log_wright_bessel(-alpha, 0, x)
    return torch.as_tensor(value, dtype=mu.dtype, device=mu.device)
