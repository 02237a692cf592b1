"""Binary-response models: :class:`Logit` and :class:`Probit`, as statsmodels'.

Both are single-index models: with ``eta = X b + offset`` the log-likelihood is a sum of
``l(y_i, eta_i)``, so the score is ``X' l'(eta)`` and the Hessian ``X' diag(l''(eta)) X``;
only the per-observation functions ``_index_loglike`` and ``_index_derivatives`` differ.

Perfect or quasi-complete separation has no finite maximum: Newton's iterates diverge and the
fitted probabilities of the separated observations reach 0 or 1. After the fit, observations
predicted to within ``1e-8`` (statsmodels' ``_check_perfect_pred`` tolerance) are counted;
if all are, or some are and the fit did not converge or the Hessian is singular along a
direction, :class:`~torchstats.errors.PerfectSeparationWarning` is issued (statsmodels 0.15
warns rather than raising :class:`~torchstats.errors.PerfectSeparationError`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import torch
from torch.nn.functional import logsigmoid

from torchstats._device import elementwise
from torchstats.errors import DesignError
from torchstats.families.links import normal_cdf
from torchstats.models.base import caller_context
from torchstats.models.constrained_fit import ConstrainedFitting
from torchstats.models.discrete import _DiscreteModel
from torchstats.models.separation import (
    PERFECT_PREDICTION_TOL,
    warn_if_diverging,
)
from torchstats.models.tensor_key import TensorKey
from torchstats.results.discrete import BinaryResults
from torchstats.solvers.result import SolverResult
from torchstats.structured.blas import gram_matrix, rmatvec

__all__ = ["Logit", "Probit"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)

_MODEL_DOC_PARAMETERS = """
    Parameters
    ----------
    endog : array-like or str
        Response in [0, 1] (numpy, pandas, torch; booleans are 0/1), or a formula such
        as ``"y ~ x1 + C(g)"``.
    exog : array-like or DataFrame
        Design matrix (no constant is added), or the data for a formula.
    offset : array-like or str, optional
        Added to the linear predictor with coefficient 1: one value per row (a pandas
        Series is matched to the rows by label, an array by position) or, with a formula,
        the name of a column of the data.
    missing : {"drop", "raise", "none"}, optional
        Missing-data policy; default ``"drop"`` for formulas, ``"none"`` for arrays.
    device, dtype
        Computation device (``"cpu"``, ``"cuda"``) and precision (float64 by default).
    context : int or mapping
        Namespace for names in a formula (0 = the caller's).
"""


class _Binary(ConstrainedFitting, _DiscreteModel):
    """Shared parts of Logit and Probit; not public."""

    _results_class = BinaryResults
    _allows_fractional = False
    _keeps_sparse_design = True

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        offset: Any = None,
        missing: str | None = None,
        *,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        self._setup(
            endog,
            exog,
            offset=offset,
            exposure=None,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
        )

    def _check_endog(self, y: torch.Tensor) -> None:
        outside = (y < 0) | (y > 1)
        if bool(outside.any()):
            raise DesignError(
                f"endog must be in the unit interval. {self.model_name} needs a 0/1 (or "
                f"boolean) response; {int(outside.sum())} value(s) lie outside [0, 1] "
                f"(min {float(y.min()):g}, max {float(y.max()):g})"
            )
        if not self._allows_fractional and bool(((y != 0) & (y != 1)).any()):
            raise DesignError(
                f"endog must be binary, either 0 or 1; {self.model_name} found "
                f"{int(((y != 0) & (y != 1)).sum())} fractional value(s) (Logit accepts "
                "proportions)"
            )

    # --- likelihood from the per-observation terms --------------------------------------------

    def _eta(self, params: Any) -> torch.Tensor:
        return self._linear(self._params_tensor(params))

    def loglikeobs(self, params: Any) -> torch.Tensor:
        """Per-observation log-likelihood, shape (n,)."""
        return self._index_loglike(self._eta(params))

    def score_factor(self, params: Any) -> torch.Tensor:
        """``l'(eta_i)``, shape (n,): ``score_obs`` is ``score_factor[:, None] * exog``."""
        return self._index_derivatives(self._eta(params))[0]

    def hessian_factor(self, params: Any) -> torch.Tensor:
        """``l''(eta_i)``, shape (n,): ``hessian`` is ``X' diag(hessian_factor) X``
        (statsmodels' ``hessian_factor``)."""
        return self._index_derivatives(self._eta(params))[1]

    def working_weights(self, params: Any) -> torch.Tensor:
        """IRLS working weights ``F'(eta)^2 / (F (1 - F))``, shape (n,): R's ``glm``
        weights, whose hat values give the HC2/HC3 leverages (equal to ``-l''(eta)`` for
        the logit, whose link is canonical)."""
        eta = self._eta(params)
        p = self.mean_of_linear(eta)
        return self._density(eta) ** 2 / (p * (1 - p))

    def score_obs(self, params: Any) -> torch.Tensor:
        """Per-observation score ``l'(eta_i) x_i``, shape (n, k)."""
        return self._scaled_rows(self.score_factor(params), "score_obs")

    def score(self, params: Any) -> torch.Tensor:
        """Gradient of the log-likelihood ``X' l'(eta)``, shape (k,)."""
        return rmatvec(self.design.exog, self._index_derivatives(self._eta(params))[0])

    def hessian(self, params: Any) -> torch.Tensor:
        """Hessian of the log-likelihood ``X' diag(l''(eta)) X``, shape (k, k)."""
        X = self.design.exog
        return gram_matrix(X, self._index_derivatives(self._eta(params))[1])

    def _internal_derivatives(
        self, theta: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        X = self.design.exog
        eta = self._linear(theta)
        value = self._known_objective(theta)
        if value is None:
            loglike, (d1, d2) = self._index_loglike_and_derivatives(eta)
            value = -loglike.sum()
        else:
            d1, d2 = self._index_derivatives(eta)
        return value, -rmatvec(X, d1), -gram_matrix(X, d2)

    def _index_loglike(self, eta: torch.Tensor) -> torch.Tensor:
        """``l(y_i, eta_i)``, shape (n,)."""
        raise NotImplementedError

    def _index_loglike_and_derivatives(
        self, eta: torch.Tensor
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """:meth:`_index_loglike` and :meth:`_index_derivatives` at once (a model whose
        two share a costly term overrides it)."""
        return self._index_loglike(eta), self._index_derivatives(eta)

    def _index_derivatives(self, eta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(dl/deta, d2l/deta2)`` per observation."""
        raise NotImplementedError

    # --- prediction and start -----------------------------------------------------------------

    def predict(
        self, params: Any, exog: Any = None, which: str = "mean", offset: Any = None
    ) -> torch.Tensor:
        """Probabilities (``"mean"``), linear predictor (``"linear"``) or ``p(1-p)`` (``"var"``).

        Without ``exog`` the model's own design and offset are used; with new ``exog`` the
        offset is zero unless given (statsmodels' rule).
        """
        return self.predict_at(params, exog, offset=offset, exposure=None, which=which)

    def influence_derivatives(self, params: Any) -> tuple[torch.Tensor | None, torch.Tensor]:
        eta = self._eta(params)
        return (
            self._scaled_rows(self._score_endog_factor(eta), "influence measures"),
            self._scaled_rows(self._density(eta), "influence measures"),
        )

    def mean_derivative(self, eta: torch.Tensor) -> torch.Tensor:
        return self._density(eta)

    def _score_endog_factor(self, eta: torch.Tensor) -> torch.Tensor:
        """``d l'(eta) / d y`` per observation."""
        raise NotImplementedError

    def _density(self, eta: torch.Tensor) -> torch.Tensor:
        """Density of the latent error at ``eta``: the derivative of ``mean_of_linear``."""
        raise NotImplementedError

    def pdf(self, X: Any) -> Any:
        """Density of the latent error at ``X``: the derivative of :meth:`cdf`.

        ``X`` is a number or array (numpy, pandas, list or tensor); the result is of the
        same kind (numpy for numbers and lists, as statsmodels).
        """
        return elementwise(self._density, X, self.design.exog)

    def cdf(self, X: Any) -> Any:
        """The inverse link: probability at linear predictor ``X`` (any kind, as :meth:`pdf`)."""
        return elementwise(self.mean_of_linear, X, self.design.exog)

    def variance(self, mean: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return mean * (1 - mean)

    def _start_params(self) -> torch.Tensor:
        X = self.design.exog
        return torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)

    # --- separation ---------------------------------------------------------------------------

    def _check_fit(self, params: torch.Tensor, found: SolverResult) -> None:
        y = self.design.endog
        perfect = int(
            ((y - self.mean_of_linear(self._linear(params))).abs() < PERFECT_PREDICTION_TOL).sum()
        )
        warn_if_diverging(
            self.model_name,
            perfect,
            self.design.nobs,
            found.converged,
            lambda: self.hessian(params),
            self.design.exog,
        )

    def generalized_residuals(self, params: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Logit(_Binary):
    __doc__ = (
        """Logistic regression, statsmodels' ``Logit``: ``P(y = 1) = 1 / (1 + exp(-X b))``.

    A proportion in [0, 1] is accepted as response (fractional logit, quasi-likelihood).
    """
        + _MODEL_DOC_PARAMETERS
        + """
    Notes
    -----
    ``loglikeobs`` is ``y log p + (1 - y) log(1 - p)``. For a 0/1 response it equals
    statsmodels' ``log F(q X b)`` with ``q = 2y - 1``; for proportions it is the Bernoulli
    quasi-likelihood, consistent with the score ``(y - p) x`` that both libraries maximise
    (statsmodels' ``llf`` differs there, its estimates do not).

    Examples
    --------
    >>> res = Logit("admit ~ gre + C(rank)", df).fit()   # doctest: +SKIP
    """
    )

    model_name = "Logit"
    _allows_fractional = True

    def mean_of_linear(self, eta: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(eta)

    def _density(self, eta: torch.Tensor) -> torch.Tensor:
        """Logistic density at ``eta``."""
        return torch.sigmoid(eta) * torch.sigmoid(-eta)

    def _index_loglike(self, eta: torch.Tensor) -> torch.Tensor:
        signs = self._signs
        if signs is not None:  # 0/1: the same numbers in one pass
            return logsigmoid(signs * eta)
        y = self.design.endog
        return y * logsigmoid(eta) + (1 - y) * logsigmoid(-eta)

    @cached_property
    def _signs(self) -> torch.Tensor | None:
        """``2 y - 1`` for a 0/1 response, whose ``loglikeobs`` is ``log sigmoid(q eta)``
        (the two-term form adds exact zeros); None for proportions."""
        y = self.design.endog
        return 2 * y - 1 if bool(((y == 0) | (y == 1)).all()) else None

    def _index_derivatives(self, eta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        p = torch.sigmoid(eta)
        return self.design.endog - p, -p * torch.sigmoid(-eta)

    def generalized_residuals(self, params: torch.Tensor) -> torch.Tensor:
        return self.design.endog - self.mean_of_linear(self._linear(params))

    def _score_endog_factor(self, eta: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(eta)


class Probit(_Binary):
    __doc__ = (
        """Probit regression, statsmodels' ``Probit``: ``P(y = 1) = Phi(X b)``.

    The response must be 0/1 (or boolean).
    """
        + _MODEL_DOC_PARAMETERS
        + """
    Notes
    -----
    ``loglikeobs`` is ``log Phi(q X b)``, ``q = 2y - 1``, evaluated by ``log_ndtr`` so that it
    stays finite and accurate far in the tails (statsmodels clips ``Phi`` at 2.2e-16); the
    inverse Mills ratio ``phi / Phi`` is computed as ``exp(log phi - log Phi)``.
    """
    )

    model_name = "Probit"

    def mean_of_linear(self, eta: torch.Tensor) -> torch.Tensor:
        return normal_cdf(eta)

    def _density(self, eta: torch.Tensor) -> torch.Tensor:
        """Standard normal density at ``eta``."""
        return torch.exp(-0.5 * eta * eta - _LOG_SQRT_2PI)

    _latest_log_cdf: tuple[TensorKey, torch.Tensor, TensorKey] | None = None
    """The latest ``(key of eta, log Phi(q eta), its key)`` computed without autograd, for
    :meth:`_log_cdf`."""

    def _index_loglike(self, eta: torch.Tensor) -> torch.Tensor:
        return self._log_cdf(eta)

    def _log_cdf(self, eta: torch.Tensor) -> torch.Tensor:
        """``log Phi(q eta)``, ``q = 2 y - 1``. The latest one is kept: ``log_ndtr`` is the
        costliest operation of a Probit fit (15 ns a number), and Newton asks for the
        derivatives (the inverse Mills ratio needs it) at the very ``eta`` whose objective
        its line search has just evaluated (:meth:`_linear` keeps that ``eta``). Kept while
        neither tensor changed (:class:`~torchstats.models.tensor_key.TensorKey`); tensors
        that require gradients are not kept."""
        latest = self._latest_log_cdf
        if latest is not None and latest[0].matches(eta) and latest[2].matches(latest[1]):
            return latest[1]
        log_cdf = torch.special.log_ndtr(self._signs * eta)
        keep = not (eta.requires_grad or log_cdf.requires_grad)
        self._latest_log_cdf = (TensorKey(eta), log_cdf, TensorKey(log_cdf)) if keep else None
        return log_cdf

    @cached_property
    def _signs(self) -> torch.Tensor:
        """``q = 2 y - 1`` (the response is 0/1)."""
        return 2 * self.design.endog - 1

    def _index_derivatives(self, eta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._index_loglike_and_derivatives(eta)[1]

    def _index_loglike_and_derivatives(
        self, eta: torch.Tensor
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """``log Phi(z)`` (``z = q eta``) once for the log-likelihood and the inverse Mills
        ratio."""
        q = self._signs
        z = q * eta
        log_cdf = self._log_cdf(eta)
        mills = torch.exp(-0.5 * z * z - _LOG_SQRT_2PI - log_cdf)
        return log_cdf, (q * mills, -mills * (mills + z))

    def generalized_residuals(self, params: torch.Tensor) -> torch.Tensor:
        eta = self._linear(params)
        y = self.design.endog
        density, cdf = self._density(eta), self.mean_of_linear(eta)
        return y * density / cdf - (1 - y) * density / (1 - cdf)

    def _score_endog_factor(self, eta: torch.Tensor) -> torch.Tensor:
        # statsmodels clips the probabilities at machine epsilon here
        eps = torch.finfo(eta.dtype).eps
        cdf = self.mean_of_linear(eta).clamp(eps, 1 - eps)
        return self._density(eta) / cdf / (1 - cdf)
