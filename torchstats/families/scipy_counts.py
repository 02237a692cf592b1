"""scipy distributions of the generalised and zero-inflated counts, as statsmodels'
``statsmodels.distributions.discrete``: what ``get_distribution()`` returns.

``genpoisson_p(mu, alpha, p)``, ``zipoisson(mu, w)``, ``zinegbin(mu, alpha, p, w)`` and
``zigenpoisson(mu, alpha, p, w)`` are ``scipy.stats.rv_discrete`` distributions with
statsmodels' names, shape parameters and ``mean``/``var``; ``w`` is the probability of an
inflated zero. The NB-P itself is scipy's ``nbinom(size, prob)`` with
:func:`negbin_p_size_prob`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats
from scipy.special import gammaln

__all__ = [
    "genpoisson_p",
    "negbin_p_size_prob",
    "zigenpoisson",
    "zinegbin",
    "zipoisson",
]

_TINY = np.nextafter(0, 1)


def negbin_p_size_prob(mu: Any, alpha: Any, p: Any) -> tuple[Any, Any]:
    """scipy's ``nbinom`` parameters of the NB-P: ``size = mu^(2-p) / alpha``,
    ``prob = size / (size + mu)`` (statsmodels' ``convert_params``)."""
    size = mu ** (2 - p) / alpha
    return size, size / (size + mu)


def _inflated_logpmf(x: Any, w: Any, logpmf: Any) -> Any:
    """``log(w + (1 - w) f(0))`` at zero, ``log(1 - w) + log f(x)`` elsewhere."""
    main = logpmf(x)
    return np.where(x == 0, np.log(w + (1 - w) * np.exp(main)), np.log1p(-w) + main)


class genpoisson_p_gen(stats.rv_discrete):  # noqa: N801 (scipy's naming)
    """Generalised Poisson: ``mean = mu``, ``var = mu (1 + alpha mu^(p-1))^2``."""

    def _argcheck(self, mu: Any, alpha: Any, p: Any) -> Any:
        return (mu >= 0) & ~np.isnan(alpha) & (p > 0)

    def _logpmf(self, x: Any, mu: Any, alpha: Any, p: Any) -> Any:
        a1 = np.maximum(_TINY, 1 + alpha * mu ** (p - 1.0))
        a2 = np.maximum(_TINY, mu + (a1 - 1.0) * x)
        return np.log(mu) + (x - 1.0) * np.log(a2) - x * np.log(a1) - gammaln(x + 1.0) - a2 / a1

    def _pmf(self, x: Any, mu: Any, alpha: Any, p: Any) -> Any:
        return np.exp(self._logpmf(x, mu, alpha, p))

    def mean(self, mu: Any, alpha: Any, p: Any) -> Any:
        return mu

    def var(self, mu: Any, alpha: Any, p: Any) -> Any:
        return mu * (1 + alpha * mu ** (p - 1)) ** 2


genpoisson_p = genpoisson_p_gen(name="genpoisson_p", longname="Generalized Poisson")


class zipoisson_gen(stats.rv_discrete):  # noqa: N801
    """Zero-inflated Poisson: ``mean = (1 - w) mu``, ``var = mean (1 + w mu)``."""

    def _argcheck(self, mu: Any, w: Any) -> Any:
        return (mu > 0) & (w >= 0) & (w <= 1)

    def _logpmf(self, x: Any, mu: Any, w: Any) -> Any:
        return _inflated_logpmf(x, w, lambda k: stats.poisson.logpmf(k, mu))

    def _pmf(self, x: Any, mu: Any, w: Any) -> Any:
        return np.exp(self._logpmf(x, mu, w))

    def _cdf(self, x: Any, mu: Any, w: Any) -> Any:
        return w + (1 - w) * stats.poisson.cdf(x, mu)

    def _ppf(self, q: Any, mu: Any, w: Any) -> Any:
        return np.where(q < w, 0.0, stats.poisson.ppf((q - w) / (1 - w), mu))

    def mean(self, mu: Any, w: Any) -> Any:
        return (1 - w) * mu

    def var(self, mu: Any, w: Any) -> Any:
        return (1 + w * mu) * (1 - w) * mu


zipoisson = zipoisson_gen(name="zipoisson", longname="Zero Inflated Poisson")


class zinegativebinomial_gen(stats.rv_discrete):  # noqa: N801
    """Zero-inflated NB-P: ``mean = (1 - w) mu``, ``var = mean (1 + alpha mu^(p-1) + w mu)``."""

    def _argcheck(self, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        return (mu > 0) & (w >= 0) & (w <= 1)

    def _logpmf(self, x: Any, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        size, prob = negbin_p_size_prob(mu, alpha, p)
        return _inflated_logpmf(x, w, lambda k: stats.nbinom.logpmf(k, size, prob))

    def _pmf(self, x: Any, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        return np.exp(self._logpmf(x, mu, alpha, p, w))

    def _cdf(self, x: Any, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        size, prob = negbin_p_size_prob(mu, alpha, p)
        return w + (1 - w) * stats.nbinom.cdf(x, size, prob)

    def _ppf(self, q: Any, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        size, prob = negbin_p_size_prob(mu, alpha, p)
        return np.where(q < w, 0.0, stats.nbinom.ppf((q - w) / (1 - w), size, prob))

    def mean(self, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        return (1 - w) * mu

    def var(self, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        return (1 + alpha * mu ** (p - 1) + w * mu) * (1 - w) * mu


zinegbin = zinegativebinomial_gen(
    name="zinegbin", longname="Zero Inflated Generalized Negative Binomial"
)


class zigeneralizedpoisson_gen(stats.rv_discrete):  # noqa: N801
    """Zero-inflated generalised Poisson: ``mean = (1 - w) mu``,
    ``var = mean ((1 + alpha mu^(p-1))^2 + w mu)``."""

    def _argcheck(self, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        return (mu > 0) & (w >= 0) & (w <= 1)

    def _logpmf(self, x: Any, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        return _inflated_logpmf(x, w, lambda k: genpoisson_p.logpmf(k, mu, alpha, p))

    def _pmf(self, x: Any, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        return np.exp(self._logpmf(x, mu, alpha, p, w))

    def mean(self, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        return (1 - w) * mu

    def var(self, mu: Any, alpha: Any, p: Any, w: Any) -> Any:
        return ((1 + alpha * mu ** (p - 1)) ** 2 + w * mu) * (1 - w) * mu


zigenpoisson = zigeneralizedpoisson_gen(
    name="zigenpoisson", longname="Zero Inflated Generalized Poisson"
)
