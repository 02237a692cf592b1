"""Count models: :class:`Poisson` and :class:`NegativeBinomial` (NB2, NB1, geometric).

The mean is ``mu = exp(X b + offset + log(exposure))``. The negative binomial adds the
dispersion ``alpha`` as last parameter (named ``alpha``, as statsmodels): the variance is
``mu + alpha mu^2`` (NB2), ``mu + alpha mu`` (NB1) or ``mu + mu^2`` (geometric, no ``alpha``).

Per observation, the log-likelihood and its first and second derivatives in ``eta`` and
``alpha`` have closed forms (``_nb_terms``); the score is ``[X' l_eta, sum l_alpha]`` and
the Hessian is assembled from the second derivatives. The fit steps in ``log(alpha)``
(chain rule below) so that ``alpha`` stays positive; the reported parameter, its standard
error and every public method use ``alpha`` itself, as statsmodels reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, NamedTuple

import torch
from torch.nn.functional import softplus

from torchstats._typing import check_option
from torchstats.errors import ConvergenceWarning, DesignError, warn
from torchstats.families.gamma_differences import (
    digamma_difference,
    log_gamma_ratio,
    trigamma_difference,
)
from torchstats.models.base import caller_context
from torchstats.models.constrained_fit import ConstrainedFitting
from torchstats.models.data import plain_array
from torchstats.models.discrete import _AUXILIARY_MAXITER, _DiscreteModel
from torchstats.models.discrete_fit import derivatives_in_alpha, solve_newton
from torchstats.models.separation import (
    LOG_PERFECT_PREDICTION_TOL,
    warn_if_diverging,
)
from torchstats.results.discrete import CountResults, NegativeBinomialResults
from torchstats.solvers.result import SolverResult
from torchstats.structured.blas import gram_matrix, rmatvec
from torchstats.structured.block_matrix import dense_within_limit

__all__ = ["LogAlphaParameters", "Poisson", "NegativeBinomial", "LOGLIKE_METHODS"]

LOGLIKE_METHODS = ("nb2", "nb1", "geometric")
"""Variance functions of :class:`NegativeBinomial` (statsmodels' ``loglike_method``)."""

# statsmodels' floor on the moment estimate of alpha used as start value.
_MIN_START_ALPHA = 0.05
# statsmodels' start of the Poisson coefficients other than the constant.
_SLOPE_START = 0.001

_COUNT_PARAMETERS = """
    Parameters
    ----------
    endog : array-like or str
        Non-negative counts (numpy, pandas, torch), or a formula such as ``"y ~ x + C(g)"``.
    exog : array-like or DataFrame
        Design matrix (no constant is added), or the data for a formula.
    offset : array-like or str, optional
        Added to the linear predictor with coefficient 1: one value per row (a pandas
        Series is matched to the rows by label, an array by position) or, with a formula,
        the name of a column of the data.
    exposure : array-like or str, optional
        Positive; its log is added to the linear predictor. Given as ``offset``.
    missing : {"drop", "raise", "none"}, optional
        Missing-data policy; default ``"drop"`` for formulas, ``"none"`` for arrays.
    device, dtype
        Computation device (``"cpu"``, ``"cuda"``) and precision (float64 by default).
    context : int or mapping
        Namespace for names in a formula (0 = the caller's).
"""


class _Count(_DiscreteModel):
    """Shared parts of the count models; not public."""

    accepts_exposure = True

    @cached_property
    def zero_counts(self) -> torch.Tensor:
        """Mask of the observations with a count of zero, shape (n,)."""
        return self.design.endog == 0

    @cached_property
    def _log_factorials(self) -> torch.Tensor:
        """``log(y!)`` per observation: a constant of every log-likelihood evaluation."""
        return torch.lgamma(self.design.endog + 1)

    def _check_endog(self, y: torch.Tensor) -> None:
        if bool((y < 0).any()):
            raise DesignError(
                f"endog must be non-negative counts; {self.model_name} found "
                f"{int((y < 0).sum())} negative value(s) (min {float(y.min()):g})"
            )
        if not bool((y > 0).any()):
            raise DesignError(
                f"endog is zero for every observation, so {self.model_name} has no finite "
                "maximum likelihood estimate (the mean goes to 0)"
            )

    @cached_property
    def exposure(self) -> Any:
        """``log(exposure)``, shape (n,), as :attr:`endog`, or None (statsmodels stores the
        log, too: ``np.exp(model.exposure)`` gives the exposure back)."""
        exposure = self._log_exposure
        return None if exposure is None else plain_array(self.design, exposure)

    def predict(
        self,
        params: Any,
        exog: Any = None,
        exposure: Any = None,
        offset: Any = None,
        which: str = "mean",
    ) -> torch.Tensor:
        """Mean ``exp(eta)``, linear predictor ``eta`` or variance, at ``params``.

        Without ``exog`` the model's own design, offset and exposure are used; with new
        ``exog`` they are zero (offset) and one (exposure) unless given, as in statsmodels.
        ``exposure`` is given on its own scale; its log is taken here.
        """
        return self.predict_at(params, exog, offset=offset, exposure=exposure, which=which)

    def mean_of_linear(self, eta: torch.Tensor) -> torch.Tensor:
        return torch.exp(eta)

    def mean_derivative(self, eta: torch.Tensor) -> torch.Tensor:
        return torch.exp(eta)

    def _constant_start(self) -> torch.Tensor:
        """``log(mean(y / exp(offset)))``: the constant-only estimate (statsmodels' start)."""
        y = self.design.endog
        offset = self._total_offset
        ratio = y if offset is None else y / torch.exp(offset)
        return torch.log(ratio.mean())

    def _beta_start(self, slope: float = 0.0) -> torch.Tensor:
        """With an explicit constant, its constant-only estimate and ``slope`` for the other
        coefficients; zeros without one.

        statsmodels' ``Poisson.fit`` starts at ``slope = 0.001``; torch's Newton starts at 0,
        the constant-only maximum, from which ``exp`` cannot overflow (0.001 times a
        regressor in the hundreds of thousands, Longley's GNP, starts at ``exp(400)``:
        statsmodels' Newton fails there and a damped Newton crawls back one unit a step).
        """
        X = self.design.exog
        const_idx = self._constant[1]
        if const_idx is None:
            return torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
        start = torch.full((X.shape[1],), slope, dtype=X.dtype, device=X.device)
        start[const_idx] = self._constant_start()
        return start


class Poisson(ConstrainedFitting, _Count):
    __doc__ = (
        """Poisson regression, statsmodels' ``Poisson``: ``y ~ Poisson(exp(X b + offset))``."""
        + _COUNT_PARAMETERS
        + """
    Examples
    --------
    >>> res = Poisson("visits ~ age + C(region)", df, exposure=df["years"]).fit()  # doctest: +SKIP
    """
    )

    model_name = "Poisson"
    _keeps_sparse_design = True
    _results_class = CountResults

    def _check_fit(self, params: torch.Tensor, found: SolverResult) -> None:
        """Warn when zeros are predicted exactly while the estimates diverge
        (:func:`warn_if_zeros_separated`)."""
        warn_if_zeros_separated(self, params, found)

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        offset: Any = None,
        exposure: Any = None,
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
            exposure=exposure,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
        )

    def _terms(self, params: Any) -> tuple[torch.Tensor, torch.Tensor]:
        eta = self._linear(self._params_tensor(params))
        return eta, torch.exp(eta)

    def loglikeobs(self, params: Any) -> torch.Tensor:
        """``-mu + y eta - log(y!)`` per observation, shape (n,)."""
        eta, mu = self._terms(params)
        y = self.design.endog
        return -mu + y * eta - self._log_factorials

    def score_factor(self, params: Any) -> torch.Tensor:
        """``y - mu``, shape (n,): ``score_obs`` is ``score_factor[:, None] * exog``."""
        _, mu = self._terms(params)
        return self.design.endog - mu

    def hessian_factor(self, params: Any) -> torch.Tensor:
        """``-mu``, shape (n,): ``hessian`` is ``X' diag(hessian_factor) X`` (statsmodels'
        ``hessian_factor``)."""
        return -self._terms(params)[1]

    def working_weights(self, params: Any) -> torch.Tensor:
        """IRLS working weights ``mu``, shape (n,) (R's ``glm`` weights of the Poisson log
        link, whose hat values give the HC2/HC3 leverages)."""
        return self._terms(params)[1]

    def score_obs(self, params: Any) -> torch.Tensor:
        """``(y - mu) x`` per observation, shape (n, k)."""
        return self._scaled_rows(self.score_factor(params), "score_obs")

    def score(self, params: Any) -> torch.Tensor:
        """``X' (y - mu)``, shape (k,)."""
        _, mu = self._terms(params)
        return rmatvec(self.design.exog, self.design.endog - mu)

    def hessian(self, params: Any) -> torch.Tensor:
        """``-X' diag(mu) X``, shape (k, k)."""
        _, mu = self._terms(params)
        X = self.design.exog
        return -gram_matrix(X, mu)

    def _internal_derivatives(
        self, theta: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        eta, mu = self._terms(theta)
        X, y = self.design.exog, self.design.endog
        value = self._known_objective(theta)
        if value is None:
            value = (mu - y * eta + self._log_factorials).sum()
        return value, rmatvec(X, mu - y), gram_matrix(X, mu)

    def variance(self, mean: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return mean

    def influence_derivatives(self, params: Any) -> tuple[torch.Tensor | None, torch.Tensor]:
        _, mu = self._terms(params)
        X = dense_within_limit(self.design.exog, "Poisson's influence measures")
        return X, mu[:, None] * X

    def _start_params(self) -> torch.Tensor:
        return self._beta_start()

    def _default_start(self, method: str) -> torch.Tensor:
        """statsmodels' start (slopes 0.001) for its scipy methods, so that they take its
        path; the constant-only maximum for torch's Newton."""
        return self._beta_start(0.0 if method == "newton" else _SLOPE_START)


class LogAlphaParameters:
    """Newton's internal parametrisation of a count model whose last parameter, ``alpha``,
    must stay positive: ``(b, log alpha)``; the identity when the model has no ``alpha``
    (``k_extra == 0``: the geometric, Poisson truncated models). A mixin, listed before
    the model's base class (NegativeBinomial, NB-P, the truncated and zero-inflated NB-P).
    """

    k_extra: int

    def _to_internal(self, params: torch.Tensor) -> torch.Tensor:
        if not self.k_extra:
            return params
        if not bool(params[-1] > 0):
            raise DesignError(
                f"alpha must be positive; start_params has alpha = {float(params[-1])}"
            )
        return torch.cat([params[:-1], torch.log(params[-1:])])

    def _from_internal(self, theta: torch.Tensor) -> torch.Tensor:
        return torch.cat([theta[:-1], torch.exp(theta[-1:])]) if self.k_extra else theta

    def _reported_derivatives(
        self,
        theta: torch.Tensor,
        derivatives: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Newton's last derivatives (of the negative log-likelihood) at ``theta``, as the
        log-likelihood, score and Hessian in ``(b, alpha)``
        (:func:`~torchstats.models.discrete_fit.derivatives_in_alpha`): the Hessian is not
        computed again at the estimate."""
        if self.k_extra:
            return derivatives_in_alpha(theta, derivatives)
        value, gradient, hessian = derivatives
        return -value, -gradient, -hessian


class NegativeBinomial(LogAlphaParameters, _Count):
    __doc__ = (
        """Negative binomial regression, statsmodels' ``NegativeBinomial``.

    ``loglike_method`` picks the variance: ``"nb2"`` (default) ``mu + alpha mu^2``,
    ``"nb1"`` ``mu + alpha mu``, ``"geometric"`` ``mu + mu^2``. For NB2 and NB1 the
    parameters are the coefficients followed by ``alpha``.
    """
        + _COUNT_PARAMETERS
        + """
    Notes
    -----
    The fit steps in ``log(alpha)``; ``alpha`` and its standard error (from the Hessian in
    ``alpha``) are reported as statsmodels reports them. statsmodels' default optimizer is
    BFGS (35 iterations); here it is Newton, which reaches the same maximum more precisely.
    """
    )

    model_name = "NegativeBinomial"
    _keeps_sparse_design = True
    _results_class = NegativeBinomialResults

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        loglike_method: str = "nb2",
        offset: Any = None,
        exposure: Any = None,
        missing: str | None = None,
        *,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        self.loglike_method = check_option(loglike_method, LOGLIKE_METHODS, "loglike_method")
        self._setup(
            endog,
            exog,
            offset=offset,
            exposure=exposure,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
        )

    def _options(self) -> dict[str, Any]:
        return {"loglike_method": self.loglike_method}

    @property
    def k_extra(self) -> int:  # type: ignore[override]
        """1 (``alpha``) for NB2 and NB1, 0 for the geometric model."""
        return 0 if self.loglike_method == "geometric" else 1

    def _extra_names(self) -> tuple[str, ...]:
        return ("alpha",) if self.k_extra else ()

    def _check_fit(self, params: torch.Tensor, found: SolverResult) -> None:
        """Warn when zeros are predicted exactly while the estimates diverge
        (:func:`warn_if_zeros_separated`), or ``alpha`` went to the boundary
        (:func:`warn_if_no_overdispersion`)."""
        warn_if_zeros_separated(self, params, found)
        if not self.k_extra:
            return
        eta, alpha = self._split(params)
        mean = torch.exp(eta) if self.loglike_method == "nb2" else torch.ones(())
        warn_if_no_overdispersion(self.model_name, alpha, mean.max())

    # --- likelihood ---------------------------------------------------------------------------

    @property
    def _response(self) -> _Counts:
        return _Counts(self.design.endog, self._log_factorials)

    def _split(self, params: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(eta, alpha)`` at ``params`` (alpha is 1 for the geometric model)."""
        params = self._params_tensor(params)
        k = self.design.k_exog
        eta = self._linear(params[:k])
        alpha = params[k] if self.k_extra else torch.ones((), dtype=eta.dtype, device=eta.device)
        return eta, alpha

    def loglikeobs(self, params: Any) -> torch.Tensor:
        """Per-observation log-likelihood, shape (n,)."""
        eta, alpha = self._split(params)
        return _nb_terms(self._response, eta, alpha, self.loglike_method, order=0)[0]

    def score_obs(self, params: Any) -> torch.Tensor:
        """Per-observation score ``[l_eta x_i, l_alpha]``, shape (n, k + k_extra)."""
        eta, alpha = self._split(params)
        terms = _nb_terms(self._response, eta, alpha, self.loglike_method, order=1)
        columns = [self._scaled_rows(terms[1], "score_obs")]
        if self.k_extra:
            columns.append(terms[2][:, None])
        return torch.cat(columns, dim=1)

    def _design_score_parts(self, params: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """``l_eta`` and ``alpha``'s score column: the sandwich never forms ``score_obs``."""
        eta, alpha = self._split(params)
        terms = _nb_terms(self._response, eta, alpha, self.loglike_method, order=1)
        return terms[1], terms[2][:, None] if self.k_extra else None

    def score(self, params: Any) -> torch.Tensor:
        """Gradient of the log-likelihood, shape (k + k_extra,)."""
        eta, alpha = self._split(params)
        terms = _nb_terms(self._response, eta, alpha, self.loglike_method, order=1)
        grad = rmatvec(self.design.exog, terms[1])
        return torch.cat([grad, terms[2].sum()[None]]) if self.k_extra else grad

    def hessian(self, params: Any) -> torch.Tensor:
        """Hessian of the log-likelihood in ``(b, alpha)``, shape (k + k_extra,) * 2."""
        eta, alpha = self._split(params)
        terms = _nb_terms(self._response, eta, alpha, self.loglike_method, order=2)
        return self._assemble_hessian(terms[3], terms[4], terms[5])

    def _assemble_hessian(
        self, d_ee: torch.Tensor, d_ea: torch.Tensor | None, d_aa: torch.Tensor | None
    ) -> torch.Tensor:
        X = self.design.exog
        block = gram_matrix(X, d_ee)
        if not self.k_extra:
            return block
        assert d_ea is not None and d_aa is not None
        cross = rmatvec(X, d_ea)
        top = torch.cat([block, cross[:, None]], dim=1)
        bottom = torch.cat([cross, d_aa.sum()[None]])[None, :]
        return torch.cat([top, bottom], dim=0)

    # --- fitting in log(alpha) ----------------------------------------------------------------

    def _internal_split(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(eta, alpha)`` at the internal ``theta = (b, log alpha)``: :meth:`_split` of
        the reported parameters, with ``eta`` from ``theta``'s own ``b`` (a view), which
        :meth:`_linear` recognises when Newton asks again at the same ``theta``."""
        if not self.k_extra:
            return self._split(theta)
        k = self.design.k_exog
        return self._linear(theta[:k]), torch.exp(theta[k])

    def _internal_loglike(self, theta: torch.Tensor) -> torch.Tensor:
        eta, alpha = self._internal_split(theta)
        return _nb_terms(self._response, eta, alpha, self.loglike_method, order=0)[0].sum()

    def _internal_derivatives(
        self, theta: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Negative log-likelihood, gradient and Hessian in ``(b, log alpha)``.

        With ``lambda = log alpha``: ``l_lambda = alpha l_alpha``,
        ``l_eta,lambda = alpha l_eta,alpha``, ``l_lambda,lambda = alpha^2 l_alpha,alpha +
        alpha l_alpha``.
        """
        eta, alpha = self._internal_split(theta)
        ll, d_e, d_a, d_ee, d_ea, d_aa = _nb_terms(
            self._response, eta, alpha, self.loglike_method, order=2
        )
        X = self.design.exog
        grad = rmatvec(X, d_e)
        if self.k_extra:
            grad = torch.cat([grad, (alpha * d_a.sum())[None]])
            d_ea = alpha * d_ea
            d_aa = alpha * alpha * d_aa + alpha * d_a
        return -ll.sum(), -grad, -self._assemble_hessian(d_ee, d_ea, d_aa)

    def _default_start(self, method: str) -> torch.Tensor:
        """The Poisson fit and the moment estimate ``a`` of ``alpha``; for the scipy methods
        that step in ``log(alpha)``, ``a`` itself starts ``log(alpha)``.

        That is statsmodels' start (``NegativeBinomial.fit`` appends ``a`` untransformed to
        its default start, transforming only start values the user gives): the same start
        makes the same path, which matters where the default 35 BFGS steps stop short.
        """
        start = self._start_params()
        if self.k_extra and self._steps_internally(method) and method != "newton":
            return start
        return self._to_internal(start)

    def _steps_internally(self, method: str) -> bool:
        """statsmodels' Newton-CG steps in ``alpha`` (its ``_transparams`` is off for
        ``"newton"`` and ``"ncg"``); every other scipy method in ``log(alpha)``."""
        return method != "ncg"

    def _internal_value_grad(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        params = self._from_internal(theta)
        grad = self.score(params)
        if self.k_extra:
            grad = torch.cat([grad[:-1], grad[-1:] * params[-1:]])  # d/dlog(alpha)
        return -self.loglike(params), -grad

    def influence_derivatives(self, params: Any) -> tuple[torch.Tensor | None, torch.Tensor]:
        """No derivative of the score in the response (as statsmodels): no leverage."""
        eta, _ = self._split(params)
        mean_params = self._scaled_rows(torch.exp(eta), "influence measures")
        padding = mean_params.new_zeros((mean_params.shape[0], self.k_extra))
        return None, torch.cat([mean_params, padding], dim=1)

    def variance(self, mean: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        if self.loglike_method == "geometric":
            return mean * (1 + mean)
        alpha = params[-1]
        return mean * (1 + alpha * mean) if self.loglike_method == "nb2" else mean * (1 + alpha)

    def _start_params(self) -> torch.Tensor:
        """A Poisson fit, then statsmodels' moment estimate of ``alpha`` (at least 0.05)."""
        poisson = self._sibling(Poisson, self.design.exog, self.design.output.param_names)
        found, _ = solve_newton(poisson, poisson._beta_start(), _AUXILIARY_MAXITER)
        beta = found.params
        if not self.k_extra:
            return beta
        mu = poisson.predict(beta)
        resid = self.design.endog - mu
        df_resid = max(self.design.nobs - poisson.rank, 1)
        if self.loglike_method == "nb2":
            alpha = ((resid**2 / mu - 1) / mu).sum() / df_resid
        else:
            alpha = (resid**2 / mu - 1).sum() / df_resid
        return torch.cat([beta, alpha.clamp(min=_MIN_START_ALPHA)[None]])


#: ``alpha * max(mu)`` below which the negative binomial's variance is Poisson's to six
#: digits (``mu (1 + alpha mu)``; NB1: ``mu (1 + alpha)``).
_NO_OVERDISPERSION = 1e-6


def warn_if_zeros_separated(model: _Count, params: torch.Tensor, found: SolverResult) -> None:
    """The binary models' separation warning for counts: rows with ``y = 0`` whose mean
    the fit sends to 0 (below ``PERFECT_PREDICTION_TOL``), while the estimates diverge (not
    converged, or a flat information). A regressor that is nonzero only on rows of zero
    counts (a dummy) has no finite estimate: Newton stops with its coefficient near -30 and
    a standard error of 1e6 (statsmodels warns that it did not converge)."""
    k = model.design.k_exog
    # mean < tol as eta < log(tol): no exp pass; the zero counts' mask is the model's
    perfect = int(
        (model.zero_counts & (model._linear(params[:k]) < LOG_PERFECT_PREDICTION_TOL)).sum()
    )
    warn_if_diverging(
        model.model_name,
        perfect,
        model.design.nobs,
        found.converged,
        lambda: model.hessian(params)[:k, :k],
        model.design.exog,
    )


def warn_if_no_overdispersion(model_name: str, alpha: torch.Tensor, largest: torch.Tensor) -> None:
    """Warn when a negative binomial's ``alpha`` went to the boundary: with ``alpha`` times
    the ``largest`` factor it multiplies in the variance (``mu`` for NB2, ``mu^(p-1)`` for
    NB-P, 1 for NB1) below :data:`_NO_OVERDISPERSION` the variance is Poisson's to six
    digits, the log-likelihood rises only as ``alpha`` falls towards 0 (its supremum, the
    Poisson model, lies on the boundary) and the estimate is where float64 stopped telling
    the points apart, not a maximum."""
    if float(alpha * largest) < _NO_OVERDISPERSION:
        warn(
            f"{model_name}: alpha tends to 0 (estimate {float(alpha):.3g}): the data show no "
            "overdispersion, the likelihood's supremum is the Poisson model on the boundary "
            "alpha = 0, and alpha's standard error is not meaningful; fit a Poisson model",
            ConvergenceWarning,
        )


class _Counts(NamedTuple):
    """The response and its ``log(y!)`` (``lgamma(y + 1)``, computed once per model)."""

    y: torch.Tensor
    log_factorials: torch.Tensor


def _nb_terms(
    counts: _Counts, eta: torch.Tensor, alpha: torch.Tensor, method: str, order: int
) -> tuple[Any, ...]:
    """Log-likelihood and derivatives per observation: ``(l, l_e, l_a, l_ee, l_ea, l_aa)``.

    ``e`` is the linear predictor and ``a`` is ``alpha``; entries beyond ``order`` are None.
    The geometric model is NB2 with ``alpha = 1`` and no ``alpha`` derivatives.
    """
    if method == "nb1":
        return _nb1_terms(counts, eta, alpha, order)
    return _nb2_terms(counts, eta, alpha, order, geometric=method == "geometric")


def _nb2_terms(
    counts: _Counts, eta: torch.Tensor, alpha: torch.Tensor, order: int, *, geometric: bool
) -> tuple[Any, ...]:
    """NB2 with ``theta = 1/alpha``: ``l = lgamma(y+theta) - lgamma(theta) - lgamma(y+1)
    - (theta + y) log(1 + alpha mu) + y (log alpha + eta)`` (statsmodels' ``_ll_nb2``)."""
    y = counts.y
    mu = torch.exp(eta)
    if geometric:
        # theta = 1: log(1 + mu) = softplus(eta) stays finite for large eta.
        ll = y * eta - (1 + y) * softplus(eta)
        if order == 0:
            return ll, None, None, None, None, None
        d_e = (y - mu) / (1 + mu)
        d_ee = -(1 + y) * mu / (1 + mu) ** 2 if order > 1 else None
        return ll, d_e, None, d_ee, None, None
    theta = 1 / alpha
    log1p_am = torch.log1p(alpha * mu)
    # lgamma(y + theta) - lgamma(theta) + y log(alpha) is log_gamma_ratio(y, theta): the
    # gamma differences that do not cancel as alpha tends to 0 (gamma_differences)
    ll = log_gamma_ratio(y, theta) - counts.log_factorials - (theta + y) * log1p_am + y * eta
    if order == 0:
        return ll, None, None, None, None, None
    one_am = 1 + alpha * mu
    d_e = (y - mu) / one_am
    dg = digamma_difference(y, theta)
    d_theta = dg - log1p_am + alpha * (mu - y) / one_am
    d_a = -d_theta / alpha**2
    if order == 1:
        return ll, d_e, d_a, None, None, None
    d_ee = -mu * (1 + alpha * y) / one_am**2
    d_ea = -mu * (y - mu) / one_am**2
    trigamma = trigamma_difference(y, theta)
    d_tt = trigamma + alpha**2 * mu / one_am + alpha**2 * (y - mu) / one_am**2
    d_aa = d_tt / alpha**4 + 2 * d_theta / alpha**3
    return ll, d_e, d_a, d_ee, d_ea, d_aa


def _nb1_terms(
    counts: _Counts, eta: torch.Tensor, alpha: torch.Tensor, order: int
) -> tuple[Any, ...]:
    """NB1 with size ``s = mu/alpha``: ``l = lgamma(y+s) - lgamma(s) - lgamma(y+1)
    - s log(1+alpha) + y log(alpha/(1+alpha))`` (statsmodels' ``_ll_nb1``)."""
    y = counts.y
    s = torch.exp(eta) / alpha
    c = torch.log1p(alpha)
    # lgamma(y + s) - lgamma(s) + y log(alpha) = log_gamma_ratio(y, s) + y eta
    ll = log_gamma_ratio(y, s) - counts.log_factorials - (s + y) * c + y * eta
    if order == 0:
        return ll, None, None, None, None, None
    D = digamma_difference(y, s) - c
    d_e = s * D
    d_a = -(s / alpha) * D - s / (1 + alpha) + y / (alpha * (1 + alpha))
    if order == 1:
        return ll, d_e, d_a, None, None, None
    T = trigamma_difference(y, s)
    d_ee = s * D + s**2 * T
    d_ea = -s * D / alpha - s**2 * T / alpha - s / (1 + alpha)
    d_aa = (
        2 * s * D / alpha**2
        + s**2 * T / alpha**2
        + 2 * s / (alpha * (1 + alpha))
        + s / (1 + alpha) ** 2
        - y * (1 + 2 * alpha) / (alpha**2 * (1 + alpha) ** 2)
    )
    return ll, d_e, d_a, d_ee, d_ea, d_aa
