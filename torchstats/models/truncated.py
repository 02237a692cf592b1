"""Truncated count models, statsmodels' ``discrete.truncated_model``: :class:`TruncatedLFPoisson`
and :class:`TruncatedLFNegativeBinomialP`, and the censored count model behind the zero part
of :class:`~torchstats.models.hurdle.HurdleCountModel`.

A left-truncated model keeps the observations above the truncation point ``t`` (default 0,
the zero-truncated model) and models them with the count distribution conditioned on
``Y > t``: ``log P(Y = y) - log(1 - P(Y <= t))``, with the Poisson or NB-P distribution of
mean ``mu = exp(X b + offset + log(exposure))`` (:mod:`~torchstats.families.count_truncation`).
The censored model sees only whether a count is zero: ``log P(Y = 0)`` or
``log(1 - P(Y = 0))``. Scores and Hessians are taken by autograd (statsmodels differentiates
the Hessian numerically); the negative binomial's Newton steps in ``log(alpha)``, its scipy
methods in ``alpha`` itself, as statsmodels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from torchstats._typing import check_option
from torchstats.autodiff.hessian import gradient, hessian
from torchstats.errors import DesignError, NumericalError
from torchstats.families.count_truncation import (
    count_logpmf,
    log1mexp,
    log_prob_at_most,
    log_prob_zero,
    truncated_moments,
)
from torchstats.formula.design import Design
from torchstats.formula.design_checks import check_finite
from torchstats.models.base import caller_context
from torchstats.models.count import (
    _COUNT_PARAMETERS,
    LogAlphaParameters,
    Poisson,
    _Count,
    warn_if_no_overdispersion,
)
from torchstats.models.discrete import _AUXILIARY_MAXITER
from torchstats.models.discrete_fit import fit_scipy, solve_newton
from torchstats.models.generalized_count import NegativeBinomialP
from torchstats.results.count_probabilities import count_y_values
from torchstats.results.truncated import TruncatedLFResults
from torchstats.solvers.optimizers import check_optimizer_options
from torchstats.solvers.result import SolverResult

__all__ = ["TruncatedLFPoisson", "TruncatedLFNegativeBinomialP", "TRUNCATED_PREDICT_WHICH"]

TRUNCATED_PREDICT_WHICH = ("mean", "linear", "mean-main", "var", "prob", "prob-base")
"""Statistics of the truncated models' ``predict(which=...)`` (statsmodels')."""

# statsmodels' default for NegativeBinomialP.fit: 35 BFGS steps (the start of its
# truncated and censored models' scipy fits).
_NBP_START_MAXITER = 35


class _CountDistribution(LogAlphaParameters, _Count):
    """A count model on the Poisson (``dist="poisson"``) or NB-P (``"negbin"``, variance
    ``mu + alpha mu^p``) distribution; not public.

    The NB-P's ``alpha`` is the last parameter. Newton steps in ``log(alpha)``; statsmodels'
    scipy methods step in ``alpha`` (its truncated and censored models do not transform).
    """

    dist: str = "poisson"
    p: float = 2.0

    @classmethod
    def _from_design(cls, design: Design, **options: Any) -> Any:
        """The model on an existing design (a hurdle model's part, a start-value fit)."""
        model = cls.__new__(cls)
        model.__dict__.update(options)
        model._initialize(design)
        return model

    def _options(self) -> dict[str, Any]:
        return {"dist": self.dist, "p": self.p}

    @property
    def k_extra(self) -> int:  # type: ignore[override]
        """1 (``alpha``) for the negative binomial, 0 for Poisson."""
        return 1 if self.dist == "negbin" else 0

    def _extra_names(self) -> tuple[str, ...]:
        return ("alpha",) if self.k_extra else ()

    def _mean_alpha(self, params: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(mu, alpha)`` at ``params`` (alpha None for Poisson)."""
        params = self._params_tensor(params)
        mu = torch.exp(self._linear(params[: self.design.k_exog]))
        return mu, params[-1] if self.k_extra else None

    def _check_fit(self, params: torch.Tensor, found: SolverResult) -> None:
        """Warn when the negative binomial's ``alpha`` went to the boundary
        (:func:`~torchstats.models.count.warn_if_no_overdispersion`)."""
        mu, alpha = self._mean_alpha(params)
        if alpha is not None:
            warn_if_no_overdispersion(self.model_name, alpha, (mu ** (self.p - 1)).max())

    # --- Newton in log(alpha), scipy in alpha -------------------------------------------------

    def _internal_derivatives(
        self, theta: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if not self.k_extra:
            return super()._internal_derivatives(theta)
        theta = theta.detach()
        curvature = hessian(self._internal_objective, theta)
        assert isinstance(curvature, torch.Tensor)
        return self._internal_objective(theta).detach(), self._internal_gradient(theta), curvature

    def _internal_gradient(self, theta: torch.Tensor) -> torch.Tensor:
        return gradient(self._internal_objective, theta.detach())

    def _internal_value_grad(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.k_extra:
            return super()._internal_value_grad(theta)
        return self._internal_objective(theta).detach(), self._internal_gradient(theta)

    def _steps_internally(self, method: str) -> bool:
        return False

    # --- start values: the count model without truncation or censoring -----------------------

    def _start_params(self) -> torch.Tensor:
        return self._plain_count_fit("newton")

    def _default_start(self, method: str) -> torch.Tensor:
        return self._to_internal(self._plain_count_fit(method))

    def _plain_count_fit(self, method: str) -> torch.Tensor:
        """statsmodels' start: the plain Poisson or NB-P model fitted to the same rows.

        Poisson by Newton (statsmodels' ``Poisson.fit``); :class:`NegativeBinomialP` from its
        own start, by Newton for ``method="newton"`` and otherwise by statsmodels' default
        ``NegativeBinomialP.fit`` (35 BFGS steps in ``alpha``), so that scipy's methods take
        statsmodels' path.

        Counts cut off below are less dispersed than the whole distribution, so the plain
        NB-P fit of the kept rows often puts ``alpha`` at its boundary 0 (statsmodels' BFGS
        even past it, to a negative ``alpha`` whose truncated likelihood is NaN), where the
        truncated likelihood is flat in ``log(alpha)`` and Newton cannot leave it. Such a
        start ``alpha`` is raised to NB-P's own floor (``_min_start_alpha``, statsmodels'
        0.05 for its moment start); the model's maximum, boundary or not, is then found
        from there. Where statsmodels' BFGS start fails outright, Newton's is taken; where
        that fails too (``alpha`` run to 0 until the likelihood overflowed), NB-P's own start.
        """
        if not self.k_extra:
            poisson = self._sibling(Poisson, self.design.exog, self.design.output.param_names)
            found, _ = solve_newton(poisson, poisson._beta_start(), _AUXILIARY_MAXITER)
            return found.params
        plain = NegativeBinomialP.__new__(NegativeBinomialP)
        plain.p = self.p
        plain._initialize(self.design)
        start = plain._start_params()
        params = None
        if method != "newton":
            options = check_optimizer_options("bfgs", {}, plain.model_name)
            try:
                found, _ = fit_scipy(plain, start, "bfgs", _NBP_START_MAXITER, False, options)
                params = found.params
            except NumericalError:
                params = None  # alpha left its domain: Newton's start below
        if params is None:
            try:
                found, _ = solve_newton(plain, plain._to_internal(start), _AUXILIARY_MAXITER)
                params = plain._from_internal(found.params)
            except NumericalError:  # alpha ran to 0 until its log-likelihood overflowed
                params = start
        floor = torch.as_tensor(plain._min_start_alpha, dtype=params.dtype, device=params.device)
        return torch.cat([params[:-1], torch.maximum(params[-1:], floor)])


class _TruncatedLF(_CountDistribution):
    """statsmodels' ``TruncatedLFGeneric``: counts above ``truncation``; not public."""

    _results_class = TruncatedLFResults
    truncation: int = 0

    def _setup_truncated(
        self,
        endog: Any,
        exog: Any,
        *,
        offset: Any,
        exposure: Any,
        truncation: int,
        missing: str | None,
        device: Any,
        dtype: Any,
        context: Mapping[str, Any] | None,
    ) -> None:
        if isinstance(truncation, bool) or int(truncation) != truncation or truncation < -1:
            raise DesignError(
                f"truncation must be an integer >= -1 (counts <= truncation are cut off; -1 "
                f"cuts off nothing), got {truncation!r}"
            )
        self.truncation = int(truncation)
        self._setup(
            endog,
            exog,
            offset=offset,
            exposure=exposure,
            missing=missing,
            device=device,
            dtype=dtype,
            context=context,
        )

    def _initialize(self, design: Design) -> None:
        # before the rows at or below the cut are dropped: NaN compares False and would
        # leave with them, silently (every other model refuses a missing response)
        check_finite(design)
        _Count._check_endog(self, design.endog)
        kept = design.select_rows(design.endog > self.truncation)
        if kept.nobs == 0:
            raise DesignError(
                f"no count exceeds the truncation point {self.truncation}, so "
                f"{self.model_name} has no observations (max endog {float(design.endog.max()):g})"
            )
        super()._initialize(kept)

    def _options(self) -> dict[str, Any]:
        return {**super()._options(), "truncation": self.truncation}

    def _check_endog(self, y: torch.Tensor) -> None:
        """Checked before truncation (:meth:`_initialize`)."""

    @property
    def df_resid(self) -> float:
        """``nobs - rank - k_extra``: statsmodels counts ``alpha`` here."""
        return float(self.design.nobs - self.rank - self.k_extra)

    def loglikeobs(self, params: Any) -> torch.Tensor:
        """``log P(Y = y) - log(1 - P(Y <= truncation))`` per observation, shape (n,)."""
        mu, alpha = self._mean_alpha(params)
        ll = count_logpmf(self.design.endog, mu, alpha, self.p)
        if self.truncation < 0:
            return ll
        return ll - log1mexp(log_prob_at_most(self.truncation, mu, alpha, self.p))

    def predict(
        self,
        params: Any,
        exog: Any = None,
        exposure: Any = None,
        offset: Any = None,
        which: str = "mean",
        y_values: Any = None,
    ) -> torch.Tensor:
        """statsmodels' ``TruncatedLFGeneric.predict``.

        Parameters
        ----------
        params : array-like
        exog : array-like, optional
            New design rows; default the model's (with its offset and exposure).
        exposure, offset : array-like, optional
            For new rows (one and zero when omitted, as statsmodels).
        which : {"mean", "linear", "mean-main", "var", "prob", "prob-base"}
            ``E(y | y > t)``; the linear predictor; the untruncated mean ``mu``; the
            truncated variance; the truncated probabilities of ``y_values`` (0 at and below
            ``t``), shape (m, K); the untruncated probabilities, shape (m, K).
        y_values : array-like, optional
            Counts for ``"prob"`` and ``"prob-base"`` (default ``0..max(endog)``).

        Returns
        -------
        Tensor, shape (m,) or (m, K)
        """
        check_option(which, TRUNCATED_PREDICT_WHICH, "which")
        params = self._params_tensor(params)
        eta = self.predict_at(params, exog, offset=offset, exposure=exposure, which="linear")
        if which == "linear":
            return eta
        mu = torch.exp(eta)
        alpha = params[-1] if self.k_extra else None
        if which == "mean-main":
            return mu
        if which in ("mean", "var"):
            mean, variance = truncated_moments(self.truncation, mu, alpha, self.p)
            return mean if which == "mean" else variance
        counts = count_y_values(y_values, self.design.endog)[None, :]
        probs = _pmf(counts, mu[:, None], alpha, self.p)
        if which == "prob-base":
            return probs
        log_tail = log1mexp(log_prob_at_most(self.truncation, mu, alpha, self.p))
        conditional = probs * torch.exp(-log_tail)[:, None]
        # 0 below the cut, NaN where the mean is (as scipy's truncated pmf)
        return torch.where(counts > self.truncation, conditional, 0 * conditional)


def _pmf(
    counts: torch.Tensor, mu: torch.Tensor, alpha: torch.Tensor | None, p: float
) -> torch.Tensor:
    """``P(Y = counts)``, 0 at negative or fractional counts (as scipy)."""
    valid = (counts >= 0) & (counts == torch.floor(counts))
    safe = torch.where(valid, counts, torch.zeros_like(counts))
    probs = torch.exp(count_logpmf(safe, mu, alpha, p))
    return torch.where(valid, probs, torch.zeros_like(probs))


_TRUNCATION_DOC = """
    truncation : int
        Counts at or below it are dropped and the rest modelled conditionally on
        ``Y > truncation`` (default 0: zero-truncated; -1 truncates nothing).
"""


class TruncatedLFPoisson(_TruncatedLF):
    __doc__ = (
        """Left-truncated Poisson regression, statsmodels' ``TruncatedLFPoisson``.

    ``P(Y = y | Y > t) = Poisson(y; mu) / (1 - P(Y <= t))`` with
    ``mu = exp(X b + offset + log(exposure))``; rows with ``y <= t`` are dropped.
    """
        + _COUNT_PARAMETERS.rstrip()
        + _TRUNCATION_DOC
        + """
    Examples
    --------
    >>> res = TruncatedLFPoisson("visits ~ age + C(region)", df).fit()  # doctest: +SKIP
    >>> res.predict(which="mean")  # E(y | y > 0)                       # doctest: +SKIP
    """
    )

    model_name = "TruncatedLFPoisson"
    predict_which = TRUNCATED_PREDICT_WHICH

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        offset: Any = None,
        exposure: Any = None,
        truncation: int = 0,
        missing: str | None = None,
        *,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        self._setup_truncated(
            endog,
            exog,
            offset=offset,
            exposure=exposure,
            truncation=truncation,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
        )


class TruncatedLFNegativeBinomialP(_TruncatedLF):
    __doc__ = (
        """Left-truncated NB-P regression, statsmodels' ``TruncatedLFNegativeBinomialP``.

    The NB-P distribution has mean ``mu`` and variance ``mu + alpha mu^p`` (``p=2``: NB2,
    ``p=1``: NB1); ``alpha`` is the last parameter. Rows with ``y <= truncation`` are
    dropped and the rest modelled conditionally on ``Y > truncation``.
    """
        + _COUNT_PARAMETERS.rstrip()
        + _TRUNCATION_DOC
        + """    p : float
        The NB-P power (default 2).
    """
    )

    model_name = "TruncatedLFNegativeBinomialP"
    predict_which = TRUNCATED_PREDICT_WHICH
    dist = "negbin"

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        offset: Any = None,
        exposure: Any = None,
        truncation: int = 0,
        p: float = 2,
        missing: str | None = None,
        *,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        self.p = float(p)
        self._setup_truncated(
            endog,
            exog,
            offset=offset,
            exposure=exposure,
            truncation=truncation,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
        )


class _CensoredCount(_CountDistribution):
    """Counts seen only as zero or positive: statsmodels' ``_RCensored`` (the zero part of
    the hurdle model); not public.

    ``log P(Y = 0)`` for a zero, ``log(1 - P(Y = 0))`` for a positive count, in the rows'
    own order (statsmodels' ``loglikeobs`` puts the zeros first).
    """

    model_name = "CensoredCount"
    _results_class = TruncatedLFResults  # as statsmodels' _RCensored
    predict_which = ("mean", "linear", "prob-zero", "prob-main")

    def _check_endog(self, y: torch.Tensor) -> None:
        super()._check_endog(y)
        if bool((y > 0).all()):
            raise DesignError(
                "endog has no zeros, so the zero part of the hurdle model has no finite "
                "maximum likelihood estimate (P(y = 0) goes to 0)"
            )

    def loglikeobs(self, params: Any) -> torch.Tensor:
        """``log P(Y = 0)`` where ``y = 0``, ``log(1 - P(Y = 0))`` elsewhere, shape (n,)."""
        mu, alpha = self._mean_alpha(params)
        log_zero = log_prob_zero(mu, alpha, self.p)
        return torch.where(self.design.endog == 0, log_zero, log1mexp(log_zero))

    def null_loglike(self) -> float:
        """The constant-only model leaves ``P(Y = 0)`` free: its maximum is the Bernoulli
        log-likelihood at the share of zeros (whatever the distribution; statsmodels fits
        the censored Poisson to the same value)."""
        y = self.design.endog
        zeros = float((y == 0).sum())
        positive = float(y.shape[0]) - zeros
        return _xlogx(zeros) + _xlogx(positive) - _xlogx(zeros + positive)

    def predict(
        self,
        params: Any,
        exog: Any = None,
        exposure: Any = None,
        offset: Any = None,
        which: str = "mean",
        y_values: Any = None,
    ) -> torch.Tensor:
        """``mu`` (``"mean"``, as statsmodels), the linear predictor, ``P(y = 0)`` or
        ``P(y > 0)``."""
        check_option(which, self.predict_which, "which")
        params = self._params_tensor(params)
        eta = self.predict_at(params, exog, offset=offset, exposure=exposure, which="linear")
        if which in ("mean", "linear"):
            return torch.exp(eta) if which == "mean" else eta
        log_zero = log_prob_zero(torch.exp(eta), params[-1] if self.k_extra else None, self.p)
        return torch.exp(log_zero) if which == "prob-zero" else -torch.expm1(log_zero)

    def prob_zero(self, params: Any, exog: torch.Tensor | None = None) -> torch.Tensor:
        """``P(Y = 0)`` at ``params`` for the design rows ``exog`` (default the model's)."""
        params = self._params_tensor(params)
        X = self.design.exog if exog is None else exog
        mu = torch.exp(X @ params[: self.design.k_exog])
        return torch.exp(log_prob_zero(mu, params[-1] if self.k_extra else None, self.p))


def _xlogx(value: float) -> float:
    return 0.0 if value == 0 else value * math.log(value)
