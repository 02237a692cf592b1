"""Zero-inflated count models: :class:`ZeroInflatedPoisson`,
:class:`ZeroInflatedNegativeBinomialP` and :class:`ZeroInflatedGeneralizedPoisson`, as
statsmodels' ``statsmodels.discrete.count_model``.

A zero comes from the inflation part with probability ``w = F(Z g)`` (``F`` the logistic or
normal cdf, ``Z`` the inflation design ``exog_infl``, a constant by default) or from the
count model ``f(y; mu, alpha)`` with ``mu = exp(X b + offset + log(exposure))``:
``P(0) = w + (1 - w) f(0)``, ``P(y) = (1 - w) f(y)`` for ``y > 0``. The parameters are
statsmodels': the inflation coefficients first (named ``inflate_<column>``), then the count
model's (``alpha`` last for the NB-P and generalised Poisson).

The inflation design is the model's further design ``exog_infl``
(:mod:`torchstats.formula.blocks`): an array, or a formula's right-hand side evaluated on the
model's data; rows missing in either design are dropped from both. The log-likelihood is
exact in the tails (``log w`` and ``log(1 - w)`` from ``logsigmoid``/``log_ndtr``, the zero
term by ``logaddexp``; statsmodels clips ``w`` at machine epsilon) and its derivatives are
autograd's (statsmodels' closed-form Hessian of the ZIP with logit inflation omits the cross
derivatives between the two parts; its ZINB and ZIGP Hessians and its probit scores are
numerical; docs/differences.md).
Newton starts at the count model's maximum and zero inflation coefficients; the scipy methods
start where statsmodels does and take its path.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import torch
from torch.nn.functional import logsigmoid

from torchstats._device import to_tensor
from torchstats._typing import check_option
from torchstats.errors import ConvergenceWarning, DesignError, warn
from torchstats.families.count_distributions import (
    poisson_logpmf,
)
from torchstats.formula.blocks import constant_block
from torchstats.formula.design import Design
from torchstats.models.base import caller_context
from torchstats.models.count import Poisson, _Count, warn_if_no_overdispersion
from torchstats.models.data import plain_array
from torchstats.models.discrete import _AUXILIARY_MAXITER
from torchstats.models.discrete_fit import fit_scipy, solve_newton
from torchstats.models.generalized_count import (
    GeneralizedPoisson,
    LogAlphaNewton,
    NegativeBinomialP,
    _check_power,
)
from torchstats.models.separation import (
    LOG_PERFECT_PREDICTION_TOL,
    warn_if_diverging,
)
from torchstats.results.count_probabilities import count_y_values, integer_pmf
from torchstats.results.zero_inflated import (
    PREDICT_WHICH,
    ZeroInflatedGeneralizedPoissonResults,
    ZeroInflatedNegativeBinomialResults,
    ZeroInflatedPoissonResults,
)
from torchstats.solvers.optimizers import check_optimizer_options
from torchstats.solvers.result import SolverResult

__all__ = [
    "INFLATIONS",
    "ZeroInflatedGeneralizedPoisson",
    "ZeroInflatedNegativeBinomialP",
    "ZeroInflatedPoisson",
]

INFLATIONS = ("logit", "probit")
"""Models of the inflation probability (statsmodels' ``inflation``)."""


# statsmodels' start of the inflation coefficients (ZIP: 0.1, the others 0) and of the
# generalised Poisson's alpha after its ZIP start.
_ZIP_INFLATE_START = 0.1
_ZIGP_ALPHA_START = 0.1
# statsmodels' iterations of the main-model fit behind its start values (Nelder-Mead) and of
# the ZIP fit behind the ZIGP start (BFGS): the methods' default maxiter of 35.
_STATSMODELS_START_MAXITER = 35
_INFLATE = "exog_infl"
_NO_INFLATION = 1e-6
"""Largest inflation probability below which a fit warns that the inflation tends to 0."""

_ZI_PARAMETERS = """
    Parameters
    ----------
    endog : array-like or str
        Non-negative counts, or a formula such as ``"y ~ x + C(g)"``.
    exog : array-like or DataFrame
        The count model's design (no constant is added), or the data for a formula.
    exog_infl : array-like or str, optional
        The inflation model's design: an array with one row per observation (a pandas
        object is matched to the rows by label), or with a formula a right-hand side such
        as ``"~ x1 + C(g)"`` evaluated on the same data. Default: a constant.
    offset, exposure : array-like or str, optional
        Of the count model's linear predictor, as in :class:`~torchstats.models.count.Poisson`.
    inflation : {"logit", "probit"}
        The model of the inflation probability.
    missing : {"drop", "raise", "none"}, optional
        Default ``"drop"`` for formulas, ``"none"`` for arrays; a row missing in either
        design is dropped from both.
    device, dtype, context
        As for the other models.
"""


class _ZeroInflated(_Count):
    """The shared parts of the zero-inflated models; not public.

    A subclass names its count model (``_main_class``) and gives its log-probabilities
    (``_main_logpmf``) and statsmodels' start values.
    """

    _main_class: Any = Poisson
    _inflate_start_value = 0.0
    inflation: str

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        exog_infl: Any = None,
        offset: Any = None,
        exposure: Any = None,
        inflation: str = "logit",
        missing: str | None = None,
        *,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        self.inflation = check_option(inflation, INFLATIONS, "inflation")
        self._setup(
            endog,
            exog,
            offset=offset,
            exposure=exposure,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
            blocks=None if exog_infl is None else {_INFLATE: exog_infl},
        )

    def _initialize(self, design: Design) -> None:
        if _INFLATE not in design.blocks:
            design = replace(design, blocks={**design.blocks, _INFLATE: constant_block(design)})
        super()._initialize(design)
        main_options = {k: v for k, v in self._options().items() if k != "inflation"}
        self.model_main = self._sibling(
            self._main_class,
            self.design.exog,  # dense where the design had sparse dummies
            self.design.exog_names,
            options=main_options,
            blocks={},
        )

    def _options(self) -> dict[str, Any]:
        return {"inflation": self.inflation}

    # --- names and sizes ------------------------------------------------------------------------

    @property
    def exog_infl(self) -> Any:
        """The inflation design, shape (n, k_inflate), as :attr:`exog`."""
        return plain_array(self.design, self.design.blocks[_INFLATE].exog)

    @property
    def k_inflate(self) -> int:
        """Columns of the inflation design (statsmodels' ``k_inflate``)."""
        return int(self.design.blocks[_INFLATE].exog.shape[1])

    @property
    def k_exog(self) -> int:
        """Parameters of the count model (statsmodels' ``k_exog``: ``alpha`` included)."""
        return self.design.k_exog + self.model_main.k_extra

    @property
    def k_extra(self) -> int:  # type: ignore[override]
        """Parameters besides the count design's columns: the inflation's and ``alpha``."""
        return self.k_inflate + self.model_main.k_extra

    @property
    def output(self) -> Any:
        """Parameter names: ``inflate_<column>``, the count design's columns, ``alpha``."""
        inflate = tuple(f"inflate_{name}" for name in self.design.blocks[_INFLATE].exog_names)
        names = inflate + self.model_main.output.param_names
        return type(self.design.output)(self.design.output.kind, names, self.design.row_index)

    def term_designs(self) -> list[tuple[str, Design]]:
        """The inflation design (``inflate_`` names) and the count design."""
        return [("inflate_", self.design.blocks[_INFLATE]), ("", self.design)]

    # --- likelihood -----------------------------------------------------------------------------

    def _split(self, params: Any) -> tuple[torch.Tensor, torch.Tensor]:
        params = self._params_tensor(params)
        return params[: self.k_inflate], params[self.k_inflate :]

    def _inflation_logprobs(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(log w, log(1 - w))`` at the inflation index ``Z g``."""
        if self.inflation == "logit":
            return logsigmoid(index), logsigmoid(-index)
        return torch.special.log_ndtr(index), torch.special.log_ndtr(-index)

    def _main_logpmf(
        self, y: torch.Tensor, mu: torch.Tensor, main_params: torch.Tensor
    ) -> torch.Tensor:
        """The count model's ``log f(y; mu)`` (broadcast)."""
        raise NotImplementedError

    def loglikeobs(self, params: Any) -> torch.Tensor:
        """``log(w + (1 - w) f(0))`` for zeros, ``log(1 - w) + log f(y)`` otherwise, shape (n,)."""
        gamma, main = self._split(params)
        log_w, log_1mw = self._inflation_logprobs(self.design.blocks[_INFLATE].exog @ gamma)
        y = self.design.endog
        mu = torch.exp(self.model_main._linear(main[: self.design.k_exog]))
        count = log_1mw + self._main_logpmf(y, mu, main)
        return torch.where(y == 0, torch.logaddexp(log_w, count), count)

    def _check_fit(self, params: torch.Tensor, found: SolverResult) -> None:
        """Warn when the inflation went to its boundary: with ``w`` below
        :data:`_NO_INFLATION` in every row the zeros are the count model's own, the
        log-likelihood rises only as the inflation index falls towards minus infinity
        (its supremum, the count model alone, lies on the boundary), and the inflation
        parameters' estimates and standard errors are not meaningful."""
        gamma, _ = self._split(params)
        inflation = self.design.blocks[_INFLATE].exog
        log_w, log_1mw = self._inflation_logprobs(inflation @ gamma)
        # zeros the inflation claims with probability 1 while its coefficients diverge (a
        # dummy that is 1 only on zero counts: near 34 with a standard error of 3e5)
        k = self.k_inflate
        warn_if_diverging(
            self.model_name,
            int(((self.design.endog == 0) & (log_1mw < LOG_PERFECT_PREDICTION_TOL)).sum()),
            self.design.nobs,
            found.converged,
            lambda: self.hessian(params)[:k, :k],
            inflation,
        )
        if float(log_w.max()) < math.log(_NO_INFLATION):
            warn(
                f"{self.model_name}: the zero inflation tends to 0 (largest inflation "
                f"probability {math.exp(float(log_w.max())):.3g}): the data have no excess "
                "zeros, the likelihood's supremum is the count model alone, and the "
                "inflation parameters' estimates and standard errors are not meaningful; "
                f"fit {self.model_main.model_name}",
                ConvergenceWarning,
            )

    # --- prediction ---------------------------------------------------------------------------

    def predict(  # type: ignore[override]
        self,
        params: Any,
        exog: Any = None,
        exog_infl: Any = None,
        exposure: Any = None,
        offset: Any = None,
        which: str = "mean",
        y_values: Any = None,
    ) -> torch.Tensor:
        """statsmodels' ``predict`` of the zero-inflated models, a torch function of ``params``.

        Parameters
        ----------
        params : array-like
        exog : array-like, optional
            New count-model rows (offset 0 and exposure 1 unless given); default the model's.
        exog_infl : array-like, optional
            New inflation rows; needed with new ``exog`` unless the inflation design is a
            constant.
        exposure, offset : array-like, optional
        which : {"mean", "mean-main", "linear", "mean-nonzero", "prob-zero", "prob-main", \
"var", "prob"}
            ``E(y)``, the count model's mean ``mu``, its linear predictor,
            ``E(y | y > 0)``, ``P(y = 0)``, ``1 - w``, ``Var(y)``, or ``P(y = k)`` for the
            ``y_values`` (default ``0..max(endog)``), shape ``(m, K)``.
        y_values : array-like, optional
        """
        check_option(which, PREDICT_WHICH, "which")
        gamma, main = self._split(params)
        eta = self.model_main.predict_at(
            main, exog, offset=offset, exposure=exposure, which="linear"
        )
        if which == "linear":
            return eta
        Z = self._inflation_rows(exog, exog_infl, eta.shape[0])
        log_w, log_1mw = self._inflation_logprobs(Z @ gamma)
        mu = torch.exp(eta)
        prob_main = torch.exp(log_1mw)
        if which == "mean-main":
            return mu
        if which == "prob-main":
            return prob_main
        if which == "mean":
            return prob_main * mu
        if which == "var":
            return prob_main * (self.model_main.variance(mu, main) + (1 - prob_main) * mu**2)
        if which == "prob":
            counts = count_y_values(y_values, self.design.endog)
            logf = log_1mw[:, None] + self._main_logpmf(counts[None, :], mu[:, None], main)
            logp = torch.where(counts == 0, torch.logaddexp(log_w[:, None], logf), logf)
            return integer_pmf(logp, counts[None, :])
        zero = torch.zeros_like(mu)
        log_p0 = torch.logaddexp(log_w, log_1mw + self._main_logpmf(zero, mu, main))
        if which == "prob-zero":
            return torch.exp(log_p0)
        return prob_main * mu / -torch.expm1(log_p0)  # mean-nonzero

    def _inflation_rows(self, exog: Any, exog_infl: Any, nrows: int) -> torch.Tensor:
        """The inflation design rows to predict at (the model's own in sample)."""
        block = self.design.blocks[_INFLATE]
        if exog_infl is not None:
            Z = to_tensor(
                exog_infl, name="exog_infl", device=block.exog.device, dtype=block.exog.dtype
            )
            if Z.ndim == 1:
                Z = Z[:, None] if self.k_inflate == 1 else Z[None, :]
            if Z.ndim != 2 or Z.shape[1] != self.k_inflate or Z.shape[0] != nrows:
                raise DesignError(
                    f"exog_infl has shape {tuple(Z.shape)}; the predictions need {nrows} "
                    f"row(s) of the {self.k_inflate} inflation column(s) "
                    f"{list(block.exog_names)}"
                )
            return Z
        if exog is None:
            return block.exog
        if block.exog_names == ("const",) and bool((block.exog == 1).all()):
            return torch.ones((nrows, 1), dtype=block.exog.dtype, device=block.exog.device)
        raise DesignError(
            f"predictions for new exog need exog_infl: the inflation design has columns "
            f"{list(block.exog_names)}; pass exog_infl with one row per row of exog"
        )

    # --- fitting ------------------------------------------------------------------------------

    def _main_fit(self) -> torch.Tensor:
        """The count model's maximum (Newton, from the count model's own Newton start), in
        the reported parametrisation."""
        main = self.model_main
        found, _ = solve_newton(main, main._default_start("newton"), _AUXILIARY_MAXITER)
        return main._from_internal(found.params)

    def _nelder_mead_main(self) -> torch.Tensor:
        """statsmodels' start of the count part: its model's ``fit(method="nm")`` (35
        iterations) from that model's default start."""
        main = self.model_main
        options = check_optimizer_options("nm", {}, main.model_name)
        found, _ = fit_scipy(
            main, main._default_start("nm"), "nm", _STATSMODELS_START_MAXITER, False, options
        )
        return found.params

    def _inflate_start(self, value: float) -> torch.Tensor:
        X = self.design.exog
        return torch.full((self.k_inflate,), value, dtype=X.dtype, device=X.device)

    def _start_params(self) -> torch.Tensor:
        """Newton's start: the count model's maximum and zero inflation coefficients
        (``w = 1/2`` whatever the scale of the inflation design; statsmodels' 0.1 for ZIP
        makes ``w`` near 1 where a regressor is large)."""
        main = self._main_fit()
        return torch.cat([self._inflate_start(0.0), main])

    def _statsmodels_start(self) -> torch.Tensor:
        """statsmodels' ``_get_start_params``: a Nelder-Mead fit of the count model."""
        main = self._nelder_mead_main()
        return torch.cat([self._inflate_start(self._inflate_start_value), main])

    def _default_start(self, method: str) -> torch.Tensor:
        """Newton: the count model's maximum; statsmodels' scipy methods: statsmodels'
        start, so that they take its path."""
        start = self._start_params() if method == "newton" else self._statsmodels_start()
        return self._to_internal(start)

    def null_loglike(self) -> float:
        """statsmodels' ``llnull``: the model with a constant count design and a constant
        inflation design, the same offset, exposure and inflation."""
        X = self.design.exog
        ones = torch.ones((X.shape[0], 1), dtype=X.dtype, device=X.device)
        null = self._sibling(type(self), ones, ("const",), blocks={})
        found, _ = solve_newton(null, null._default_start("newton"), _AUXILIARY_MAXITER)
        if not found.converged:
            warnings.warn(
                f"{self.model_name}: the constant-only model behind llnull did not converge "
                f"({found.message}); llnull, llr and prsquared are unreliable",
                ConvergenceWarning,
                stacklevel=3,
            )
        return float(null.loglike(null._from_internal(found.params)))

    def influence_derivatives(self, params: Any) -> tuple[torch.Tensor | None, torch.Tensor]:
        """Not available: refused with a clear error."""
        raise NotImplementedError(
            f"{self.model_name}: influence measures need the derivative of the scores in the "
            "response, which the zero-inflated likelihood does not have at 0 (statsmodels' "
            "hat_matrix_diag is None)"
        )

    def predict_mean(self, params: torch.Tensor, exog: torch.Tensor) -> torch.Tensor:
        """Not available: the mean depends on the count and the inflation designs, so
        ``get_margeff`` is refused (statsmodels raises too)."""
        raise NotImplementedError(
            f"{self.model_name}: marginal effects are not available (the mean depends on "
            "both exog and exog_infl); compare get_prediction(which='mean') at chosen rows"
        )


class ZeroInflatedPoisson(_ZeroInflated):
    __doc__ = (
        """Zero-inflated Poisson regression, statsmodels' ``ZeroInflatedPoisson``."""
        + _ZI_PARAMETERS
        + """
    Examples
    --------
    >>> ZeroInflatedPoisson("y ~ x1 + x2", df, exog_infl="~ x1").fit()  # doctest: +SKIP
    """
    )

    model_name = "ZeroInflatedPoisson"
    _results_class = ZeroInflatedPoissonResults
    _main_class = Poisson
    _inflate_start_value = _ZIP_INFLATE_START

    def _main_logpmf(
        self, y: torch.Tensor, mu: torch.Tensor, main_params: torch.Tensor
    ) -> torch.Tensor:
        return poisson_logpmf(y, mu)


class _PowerInflated(_ZeroInflated):
    """Zero-inflated NB-P and generalised Poisson: ``alpha`` last, a power ``p``."""

    p: float

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        exog_infl: Any = None,
        offset: Any = None,
        exposure: Any = None,
        inflation: str = "logit",
        p: float = 2,
        missing: str | None = None,
        *,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        self.p = _check_power(p)
        super().__init__(
            endog,
            exog,
            exog_infl,
            offset,
            exposure,
            inflation,
            missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1) if isinstance(endog, str) else None,
        )

    def _options(self) -> dict[str, Any]:
        return {"inflation": self.inflation, "p": self.p}

    def _main_logpmf(
        self, y: torch.Tensor, mu: torch.Tensor, main_params: torch.Tensor
    ) -> torch.Tensor:
        return self.model_main.logpmf(y, mu, main_params[-1])


class ZeroInflatedNegativeBinomialP(LogAlphaNewton, _PowerInflated):
    __doc__ = (
        """Zero-inflated NB-P regression, statsmodels' ``ZeroInflatedNegativeBinomialP``:
    the count model is :class:`~torchstats.models.generalized_count.NegativeBinomialP` with
    power ``p`` (default 2)."""
        + _ZI_PARAMETERS
        + """    p : float
        The NB-P's power.

    Notes
    -----
    Newton steps in ``log(alpha)``; statsmodels' scipy methods step in ``alpha``.
    """
    )

    model_name = "ZeroInflatedNegativeBinomialP"
    _results_class = ZeroInflatedNegativeBinomialResults
    _main_class = NegativeBinomialP

    def _check_fit(self, params: torch.Tensor, found: SolverResult) -> None:
        """Warn when the inflation or the count part's ``alpha`` went to the boundary
        (:func:`~torchstats.models.count.warn_if_no_overdispersion`)."""
        super()._check_fit(params, found)
        _, main = self._split(params)
        mu = torch.exp(self.model_main._linear(main[: self.design.k_exog]))
        warn_if_no_overdispersion(self.model_name, main[-1], (mu ** (self.p - 1)).max())


class ZeroInflatedGeneralizedPoisson(_PowerInflated):
    __doc__ = (
        """Zero-inflated generalised Poisson regression, statsmodels'
    ``ZeroInflatedGeneralizedPoisson``: the count model is
    :class:`~torchstats.models.generalized_count.GeneralizedPoisson` with power ``p``
    (default 2, as statsmodels' zero-inflated model)."""
        + _ZI_PARAMETERS
        + """    p : float
        The generalised Poisson's power.
    """
    )

    model_name = "ZeroInflatedGeneralizedPoisson"
    _results_class = ZeroInflatedGeneralizedPoissonResults
    _main_class = GeneralizedPoisson

    def _internal_objective(self, theta: torch.Tensor) -> torch.Tensor:
        """``-loglike``, infinite outside the generalised Poisson's domain (``1 + alpha
        mu^(p-1)`` or ``mu + alpha mu^(p-1) y`` not positive for some row), where statsmodels'
        floor of 1e-20 makes the log-likelihood unbounded: Newton's line search stays inside."""
        value = super()._internal_objective(theta)
        _, main = self._split(self._from_internal(theta))
        mu = torch.exp(self.model_main._linear(main[: self.design.k_exog]))
        spread = main[-1] * mu ** (self.p - 1)
        inside = ((1 + spread) > 0).all() & ((mu + spread * self.design.endog) > 0).all()
        return torch.where(inside, value, torch.full_like(value, float("inf")))

    def _statsmodels_start(self) -> torch.Tensor:
        """statsmodels' start: a zero-inflated Poisson with the same designs but no offset,
        no exposure and logit inflation, fitted by its default 35 BFGS steps, and
        ``alpha = 0.1``."""
        design = replace(self.design, extras={})
        poisson = ZeroInflatedPoisson.__new__(ZeroInflatedPoisson)
        poisson.inflation = "logit"
        poisson._initialize(design)
        options = check_optimizer_options("bfgs", {}, poisson.model_name)
        start = poisson._default_start("bfgs")
        found, _ = fit_scipy(poisson, start, "bfgs", _STATSMODELS_START_MAXITER, False, options)
        alpha = torch.full_like(found.params[:1], _ZIGP_ALPHA_START)
        return torch.cat([found.params, alpha])
