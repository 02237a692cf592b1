"""Results of :class:`~torchstats.models.generalized_count.NegativeBinomialP` and
:class:`~torchstats.models.generalized_count.GeneralizedPoisson` (statsmodels'
``NegativeBinomialPResults`` and ``GeneralizedPoissonResults``).

They are the negative binomial's results (``lnalpha``, ``lnalpha_std_err``, and ``aic``/
``bic`` counting ``k_constant``, as statsmodels) with the model's own count distribution
behind ``predict(which="prob")`` and ``get_distribution()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy import stats

from torchstats.families.scipy_counts import genpoisson_p, negbin_p_size_prob
from torchstats.results.count_probabilities import integer_pmf
from torchstats.results.discrete import NegativeBinomialResults

__all__ = ["GeneralizedPoissonResults", "NegativeBinomialPResults"]


class _PowerCountResults(NegativeBinomialResults):
    """Probabilities from the model's ``logpmf``; not public."""

    def _count_probabilities(
        self, params: torch.Tensor, mean: torch.Tensor, counts: torch.Tensor
    ) -> torch.Tensor:
        logp = self.model.logpmf(counts[None, :], mean[:, None], params[-1])
        return integer_pmf(logp, counts[None, :])

    def _frozen(self, mean: np.ndarray, alpha: float, p: float) -> Any:
        raise NotImplementedError

    def get_distribution(
        self, exog: Any = None, transform: bool = True, offset: Any = None, exposure: Any = None
    ) -> Any:
        """scipy's frozen distribution at the predicted means (statsmodels'
        ``get_distribution``)."""
        mean = self.predict(exog, transform=transform, offset=offset, exposure=exposure)
        mean = np.asarray(mean.detach().cpu() if isinstance(mean, torch.Tensor) else mean)
        return self._frozen(mean, float(self.fit_result.params[-1]), self.model.p)


class NegativeBinomialPResults(_PowerCountResults):
    """A fitted NB-P model (statsmodels' ``NegativeBinomialPResults``); ``get_distribution``
    is scipy's ``nbinom(size, prob)`` with ``size = mu^(2-p) / alpha``."""

    def _frozen(self, mean: np.ndarray, alpha: float, p: float) -> Any:
        return stats.nbinom(*negbin_p_size_prob(mean, alpha, p))


class GeneralizedPoissonResults(_PowerCountResults):
    """A fitted generalised Poisson model (statsmodels' ``GeneralizedPoissonResults``);
    ``get_distribution`` is ``genpoisson_p(mu, alpha, p)``."""

    def _frozen(self, mean: np.ndarray, alpha: float, p: float) -> Any:
        return genpoisson_p(mean, alpha, p)
