"""Generalised linear models: statsmodels' ``GLM`` in torch, fitted by IRLS on any device.

    res = ts.glm("claims ~ age + C(region)", df, family=ts.families.Poisson(),
                 exposure=df["years"]).fit()
    res = ts.GLM(y, X, family=ts.families.Gamma(ts.families.links.Log())).fit(cov_type="HC0")

The model holds the design, the family and the per-observation offset, exposure and
weights; :func:`~torchstats.solvers.irls.fit_irls` finds the estimate and
:class:`~torchstats.results.glm.GLMResults` reports it. Score and Hessian are closed forms
(statsmodels' ``score_factor`` and ``hessian_factor``), tested against autograd of the
log-likelihood. Conventions follow statsmodels: ``freq_weights`` repeat observations
(``df_resid = sum(freq_weights) - rank``), ``var_weights`` divide the variance; the
dispersion is 1 for the binomial, Poisson and negative binomial families and Pearson's
chi-squared over ``df_resid`` otherwise (``fit(scale=...)`` chooses ``"X2"``, ``"dev"`` or a
number); the covariance of IRLS fits is the inverse expected information times the scale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np
import torch

from torchstats._device import to_tensor
from torchstats._typing import check_option
from torchstats.covariance.design_scores import DesignScores
from torchstats.covariance.nonrobust import least_squares_covariance, require_data_units
from torchstats.covariance.result import CovarianceResult
from torchstats.covariance.sandwich import SandwichInputs, canonical_cov_type
from torchstats.errors import (
    ConvergenceWarning,
    DesignError,
    DomainWarning,
    InvalidOptionError,
    InvalidWeightsError,
    SpecificationWarning,
    warn,
)
from torchstats.families import links as L
from torchstats.families.anscombe import anscombe_residuals
from torchstats.families.families import Binomial, Family, Gaussian
from torchstats.families.statsmodels_families import from_statsmodels_family
from torchstats.formula.design_checks import check_finite, row_values
from torchstats.inference.degrees_of_freedom import per_degree_of_freedom, warn_no_residual_df
from torchstats.models.base import Model, build_design, caller_context, sized_threads
from torchstats.models.binomial_counts import binomial_counts, proportions_of_trials
from torchstats.models.constrained_fit import ConstrainedFitting
from torchstats.models.data import plain_array
from torchstats.models.glm_fit import (
    IrlsOptions,
    check_irls_arguments,
    fit_by_gradient,
    fit_by_irls,
)
from torchstats.models.regularized_fit import fit_glm_regularized
from torchstats.models.separation import PERFECT_PREDICTION_TOL, warn_if_separated
from torchstats.results.glm import GLMResults
from torchstats.results.regularized import RegularizedGLMRefitResults, RegularizedResults
from torchstats.solvers.irls import IrlsProblem, fit_irls
from torchstats.solvers.leverage import hat_diagonal
from torchstats.solvers.optimizers import OPTIMIZER_METHODS
from torchstats.solvers.pseudo_inverse import inverse_of_rank
from torchstats.solvers.result import SolverResult
from torchstats.structured.blas import gram_matrix, matvec, rmatvec
from torchstats.structured.block_matrix import dense_within_limit, scale_rows

__all__ = ["GLM", "GLM_FIT_METHODS", "GLM_PREDICT_WHICH"]

GLM_FIT_METHODS = ("IRLS", *OPTIMIZER_METHODS)
"""``fit(method=...)``: iteratively reweighted least squares (default), or one of statsmodels'
likelihood optimizers (``method`` is not case sensitive)."""

GLM_PREDICT_WHICH = ("mean", "linear", "var_unscaled")
"""Statistics ``predict(which=...)`` returns (statsmodels' names)."""

_EXTRAS = ("offset", "exposure", "freq_weights", "var_weights")
# Change of the linear predictor of rows fitted at the boundary, in one Fisher-scoring step
# from the estimate, above which the estimates still diverge (GLM._newton_moves): such a
# step is ~1 along a separating direction (~0.1 for probit at eta = -8), below 1e-6 at a
# converged maximum.
DIVERGING_STEP = 1e-2


class GLM(ConstrainedFitting, Model):
    """A generalised linear model (statsmodels' ``GLM``).

    Parameters
    ----------
    endog : str or array-like
        A formula (then ``exog`` is the DataFrame) or the response, shape (n,). For the
        Binomial family also counts ``(successes, failures)``: ``"s + f ~ x"`` or shape
        (n, 2).
    exog : DataFrame or array-like, optional
        The data for a formula, or the design matrix (no constant added).
    family : Family, optional
        Default :class:`~torchstats.families.Gaussian` with the identity link.
    offset : array-like or str, optional
        Added to the linear predictor.
    exposure : array-like or str, optional
        Its log is added to the linear predictor (log link only).
    freq_weights : array-like or str, optional
        Frequency weights: observation ``i`` stands for ``freq_weights[i]`` identical ones.
    var_weights : array-like or str, optional
        Variance weights: ``Var(y_i) = scale V(mu_i) / var_weights[i]``.

        Each of these four is a number, one value per row (a pandas Series is matched to
        the rows by label, an array by position) or, with a formula, the name of a column
        of the data.
    missing : {"drop", "raise", "none"}, optional
        Default "drop" for formulas, "none" for arrays.
    hasconst : bool, optional
        Override constant detection (``k_constant``).
    device, dtype
        Computation device and precision (float64 by default).
    context : int or mapping
        Namespace for the formula (0 = the caller's).

    Raises
    ------
    DesignError
        A response outside the family's support, negative or all-zero weights, a
        non-positive exposure.
    InvalidOptionError
        ``exposure`` without the log link, a link the family does not accept.

    Warns
    -----
    DomainWarning
        The link can produce means outside the family's range (e.g. identity for Poisson).
    """

    model_name = "GLM"
    _results_class = GLMResults
    _df_model_assumes_constant = True

    def __init__(
        self,
        endog: Any,
        exog: Any = None,
        family: Family | None = None,
        offset: Any = None,
        exposure: Any = None,
        freq_weights: Any = None,
        var_weights: Any = None,
        missing: str | None = None,
        *,
        hasconst: bool | None = None,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        self.family = checked_family(family)
        namespace = caller_context(context, 1) if isinstance(endog, str) else None
        given = dict(zip(_EXTRAS, (offset, exposure, freq_weights, var_weights), strict=True))
        scalars = {
            k: v
            for k, v in given.items()
            if v is not None and not isinstance(v, str) and np.ndim(v) == 0
        }
        extras = {k: v for k, v in given.items() if v is not None and k not in scalars}
        counts = binomial_counts(endog, exog, self.family, namespace)
        if counts is not None:
            endog, extras[counts.key] = counts.successes, counts.failures
        self.design = build_design(
            endog,
            exog,
            missing=missing,
            extras=extras or None,
            context=namespace,
            device=device,
            dtype=dtype,
        )
        self._hasconst = hasconst
        check_finite(self.design)
        self._response_names = None if counts is None else counts.names
        self._n_trials: torch.Tensor | None = None
        if counts is not None:
            failures = self.design.extras[counts.key].reshape(-1)
            self._response_columns = torch.stack([self.design.endog, failures], dim=1)
            self.design, self._n_trials = proportions_of_trials(self.design, counts)
            del extras[counts.key]
        self._data = {k: self._per_row(k, v) for k, v in {**extras, **scalars}.items()}
        self._check_data()

    # --- data ---------------------------------------------------------------------------

    def _per_row(self, name: str, value: Any) -> torch.Tensor:
        if name not in self.design.extras:
            X = self.design.exog
            return torch.full((X.shape[0],), float(value), dtype=X.dtype, device=X.device)
        return self.design.extras[name].reshape(-1)

    def _check_data(self) -> None:
        self.family.check_endog(self.design.endog)
        exposure = self._data.get("exposure")
        if exposure is not None:
            if not isinstance(self.family.link, L.Log):
                raise InvalidOptionError(
                    "exposure can only be used with the log link (its log is added to the "
                    f"linear predictor); the {type(self.family.link).__name__} link was given"
                )
            if bool((exposure <= 0).any()):
                raise DesignError(
                    f"exposure must be positive; found {int((exposure <= 0).sum())} value(s) <= 0"
                )
        for name in ("freq_weights", "var_weights"):
            weights = self._data.get(name)
            if weights is not None and bool((weights < 0).any()):
                raise InvalidWeightsError(
                    f"{name} must be non-negative; found {int((weights < 0).sum())} negative "
                    "value(s)"
                )
            if weights is not None and not bool((weights > 0).any()):
                raise InvalidWeightsError(f"all {name} are zero; nothing to fit")

    @property
    def endog_names(self) -> Any:
        """Name of the response (the two names of a ``(successes, failures)`` response)."""
        return self.design.endog_name if self._response_names is None else self._response_names

    @property
    def nobs(self) -> int:
        """Number of observations (rows, whatever their frequency weights)."""
        return self.design.nobs

    @cached_property
    def offset(self) -> Any:
        """The offset, shape (n,), as :attr:`endog`, or None."""
        offset = self._data.get("offset")
        return None if offset is None else plain_array(self.design, offset)

    @cached_property
    def exposure(self) -> Any:
        """``log(exposure)``, shape (n,), as :attr:`endog`, or None.

        statsmodels stores the log (``np.exp(model.exposure)`` gives the exposure back).
        """
        exposure = self._data.get("exposure")
        return None if exposure is None else plain_array(self.design, torch.log(exposure))

    @cached_property
    def freq_weights(self) -> Any:
        """Frequency weights (ones when not given), as :attr:`endog`."""
        return plain_array(self.design, self._freq_weights)

    @cached_property
    def var_weights(self) -> Any:
        """Variance weights (ones when not given), as :attr:`endog`."""
        return plain_array(self.design, self._var_weights)

    @cached_property
    def n_trials(self) -> Any:
        """Binomial trials per row: successes + failures of a two-column response, else 1."""
        return plain_array(self.design, self._trials)

    @cached_property
    def iweights(self) -> Any:
        """``freq_weights * var_weights`` (statsmodels' ``iweights``, without the trials)."""
        return plain_array(self.design, self._freq_weights * self._var_weights)

    @property
    def _trials(self) -> torch.Tensor:
        return torch.ones_like(self.design.endog) if self._n_trials is None else self._n_trials

    @property
    def _freq_weights(self) -> torch.Tensor:
        return self._data.get("freq_weights", torch.ones_like(self.design.endog))

    @property
    def _var_weights(self) -> torch.Tensor:
        return self._data.get("var_weights", torch.ones_like(self.design.endog))

    @property
    def _trial_var_weights(self) -> torch.Tensor:
        """``var_weights * n_trials``: what divides each row's variance."""
        if self._n_trials is None:
            return self._var_weights
        return self._var_weights * self._n_trials

    @property
    def _row_weights(self) -> torch.Tensor:
        """``freq_weights * var_weights * n_trials``: each row's weight in the likelihood."""
        return self._freq_weights * self._trial_var_weights

    @cached_property
    def _offset_exposure(self) -> torch.Tensor | None:
        """Offset plus log exposure, or None."""
        parts = [self._data.get("offset")]
        if "exposure" in self._data:
            parts.append(torch.log(self._data["exposure"]))
        present = [p for p in parts if p is not None]
        if not present:
            return None
        return present[0] if len(present) == 1 else present[0] + present[1]

    @property
    def wnobs(self) -> float:
        """Weighted number of observations: ``sum(freq_weights)``."""
        weights = self._data.get("freq_weights")
        return float(self.design.nobs) if weights is None else float(weights.sum())

    @property
    def df_resid(self) -> float:
        """``wnobs - rank``."""
        return self.wnobs - self.rank

    # --- likelihood ---------------------------------------------------------------------

    def _params_tensor(self, params: Any) -> torch.Tensor:
        X = self.design.exog
        if isinstance(params, torch.Tensor):
            return params.to(device=X.device, dtype=X.dtype).reshape(-1)
        values = np.array(params, dtype=float).reshape(-1)
        return torch.as_tensor(values, dtype=X.dtype, device=X.device)

    def _mean(self, params: torch.Tensor) -> torch.Tensor:
        eta = matvec(self.design.exog, params)
        offset = self._offset_exposure
        return self.family.fitted(eta if offset is None else eta + offset)

    def scale_rule(
        self, scaletype: Any = None, df_resid: float | None = None
    ) -> Callable[[torch.Tensor], float]:
        """``mu -> scale`` for ``fit(scale=...)``: None (the family's), "X2", "dev" or a number.

        ``df_resid`` (default the model's) divides Pearson's chi-squared and the deviance;
        score tests count the restrictions in it, as statsmodels does.

        Raises
        ------
        InvalidOptionError
            An unknown scale type.
        """
        df = self.df_resid if df_resid is None else df_resid
        if scaletype is None:
            if self.family.fixed_scale:
                return lambda mu: 1.0
            return lambda mu: per_degree_of_freedom(self._pearson_chi2(mu), df)
        if isinstance(scaletype, str):
            key = scaletype.lower()
            if key == "x2":
                return lambda mu: per_degree_of_freedom(self._pearson_chi2(mu), df)
            if key == "dev":
                return lambda mu: per_degree_of_freedom(float(self.deviance_mu(mu)), df)
        elif isinstance(scaletype, (int, float)) and not isinstance(scaletype, bool):
            return lambda mu: float(scaletype)
        raise InvalidOptionError(
            f"unknown scale {scaletype!r}; choose None (the family's default), 'X2' (Pearson), "
            "'dev' (deviance) or a number"
        )

    def _pearson_chi2(self, mu: torch.Tensor) -> float:
        resid = (self.design.endog - mu) ** 2 * self._row_weights / self.family.variance(mu)
        return float(resid.sum())

    def deviance_mu(self, mu: torch.Tensor) -> torch.Tensor:
        """Deviance at the means ``mu`` (a 0-d tensor)."""
        return self.family.deviance(
            self.design.endog, mu, self._trial_var_weights, self._freq_weights
        )

    @property
    def given_weights(self) -> tuple[str, ...]:
        """Which of ``freq_weights`` and ``var_weights`` were given (not all ones)."""
        return tuple(n for n in ("freq_weights", "var_weights") if n in self._data)

    def pearson_chi2_mu(self, mu: torch.Tensor) -> torch.Tensor:
        """``sum(w (y - mu)^2 / V(mu))`` with the row weights (frequency x variance x
        trials) at the means ``mu`` (a 0-d tensor)."""
        resid = self.design.endog - mu
        return torch.sum(resid**2 / self.family.variance(mu) * self._row_weights)

    def weighted_ssr_mu(self, mu: torch.Tensor) -> torch.Tensor:
        """``sum(w (y - mu)^2)`` with the row weights (a 0-d tensor)."""
        return torch.sum((self.design.endog - mu) ** 2 * self._row_weights)

    def resid_response_mu(self, mu: torch.Tensor) -> torch.Tensor:
        """``(y - mu)`` times the trials (successes minus their fitted number)."""
        return (self.design.endog - mu) * self._trials

    def resid_pearson_mu(self, mu: torch.Tensor) -> torch.Tensor:
        """``(y - mu) sqrt(var_weights n_trials / V(mu))``."""
        return (self.design.endog - mu) * torch.sqrt(
            self._trial_var_weights / self.family.variance(mu)
        )

    def resid_deviance_mu(self, mu: torch.Tensor) -> torch.Tensor:
        """``sign(y - mu) sqrt(var_weights n_trials d(y, mu))``."""
        return self.family.resid_dev(self.design.endog, mu, self._trial_var_weights, 1.0)

    def resid_anscombe_mu(self, mu: torch.Tensor, scale: float) -> torch.Tensor:
        """Anscombe residuals at the means ``mu`` and ``scale`` (statsmodels' formulas)."""
        return anscombe_residuals(
            self.family, self.design.endog, mu, self._var_weights, scale, self._trials
        )

    def null_mean(self) -> torch.Tensor:
        """Fitted means of the constant-only model with the same offset, exposure and
        weights (behind ``llnull`` and ``null_deviance``); warns when it does not converge."""
        y, weights = self.design.endog, self._row_weights
        if self._offset_exposure is None:
            return torch.full_like(y, float((weights * y).sum() / weights.sum()))
        # IRLS from the family's starting means, whose first step fits the intercept to the
        # working response less the offset (R's null deviance); statsmodels starts at the
        # intercept link(mean(y)), which ignores the offset: with a log link and offset
        # log(0.01) its IRLS drifts to means of 1e38 (llnull -8220 against 314) or to NaN
        ones = torch.ones((y.shape[0], 1), dtype=y.dtype, device=y.device)
        with torch.no_grad():
            found = fit_irls(self.irls_problem(None, exog=ones))
        if not found.solution.converged:
            warn(
                "GLM: the constant-only model behind llnull and null_deviance did not "
                "converge; both are unreliable",
                ConvergenceWarning,
            )
        return found.mu

    def estimate_scale(self, mu: Any) -> float:
        """The family's default dispersion at ``mu``: 1 or Pearson's chi-squared / df_resid."""
        return self.scale_rule(None)(self._params_tensor(mu))

    def loglike_mu(self, mu: Any, scale: float = 1.0) -> torch.Tensor:
        """Log-likelihood at the means ``mu`` with a given scale (a 0-d tensor)."""
        mu = self._params_tensor(mu)
        if self._n_trials is not None:
            assert isinstance(self.family, Binomial)
            values = self.family.loglike_trials_obs(
                self.design.endog, mu, self._n_trials, self._var_weights
            )
            return torch.sum(values * self._freq_weights)
        return self.family.loglike(
            self.design.endog, mu, self._var_weights, self._freq_weights, scale
        )

    def loglike(self, params: Any, scale: float | None = None) -> torch.Tensor:
        """Log-likelihood at ``params``; the scale is estimated at them when not given."""
        mu = self._mean(self._params_tensor(params))
        if scale is None:
            scale = self.scale_rule(None)(mu)
        return self.loglike_mu(mu, scale)

    def score_factor(self, params: Any, scale: float | None = None) -> torch.Tensor:
        """``(y - mu) w / (g'(mu) V(mu) scale)`` with the row weights ``w`` (frequency, variance
        and trials): ``score_obs = factor[:, None] * X``."""
        mu = self._mean(self._params_tensor(params))
        scale = self.scale_rule(None)(mu) if scale is None else scale
        return self.family.score_factor(self.design.endog, mu, self._row_weights, scale)

    def score_obs(self, params: Any, scale: float | None = None) -> torch.Tensor:
        """Per-observation gradient of the log-likelihood, shape (n, k)."""
        scaled = scale_rows(self.design.exog, self.score_factor(params, scale))
        return dense_within_limit(scaled, "GLM's score_obs")

    def score(self, params: Any, scale: float | None = None) -> torch.Tensor:
        """Gradient of the log-likelihood, shape (k,)."""
        return rmatvec(self.design.exog, self.score_factor(params, scale))

    def hessian_factor(
        self, params: Any, scale: float | None = None, observed: bool = True
    ) -> torch.Tensor:
        """Weights ``h`` with ``hessian = -X' diag(h) X`` (observed or expected information).

        Notes
        -----
        Expected: ``w / (g'^2 V scale)`` (row weights ``w``); observed adds the factor
        ``1 + (y - mu) (V g'' + V' g') / (g' V)``, which vanishes for canonical links.
        statsmodels' ``GLM.hessian_factor``.
        """
        params = self._params_tensor(params)
        mu = self._mean(params)
        scale = self.scale_rule(None)(mu) if scale is None else scale
        return self.family.hessian_factor(self.design.endog, mu, self._row_weights, scale, observed)

    def hessian(
        self, params: Any, scale: float | None = None, observed: bool = True
    ) -> torch.Tensor:
        """Hessian of the log-likelihood, shape (k, k) (observed by default, as statsmodels)."""
        X = self.design.exog
        factor = self.hessian_factor(params, scale, observed)
        return -gram_matrix(X, factor)

    def information(self, params: Any, scale: float | None = None) -> torch.Tensor:
        """Expected (Fisher) information, shape (k, k)."""
        return -self.hessian(params, scale, observed=False)

    # --- prediction ---------------------------------------------------------------------

    def predict(
        self,
        params: Any,
        exog: Any = None,
        exposure: Any = None,
        offset: Any = None,
        which: str = "mean",
    ) -> torch.Tensor:
        """Predictions for a design matrix, as a tensor (results convert to the input kind).

        In sample (``exog`` None) the model's offset and exposure are used unless given; for
        new ``exog`` they default to none, as statsmodels.
        """
        params = self._params_tensor(params)
        if exog is None:
            X = self.design.exog
            eta = X @ params
            eta = eta + self._prediction_offset(eta, offset, exposure, True)
            return predict_from_linear(self.family, eta, which)
        return predict_new(self.family, params, exog, exposure, offset, which)

    def _prediction_offset(
        self, eta: torch.Tensor, offset: Any, exposure: Any, in_sample: bool
    ) -> torch.Tensor | float:
        """The offset and log exposure given for the predictions, else (in sample) the
        model's."""
        total = given_offset(self.family, eta, offset, exposure)
        if in_sample and offset is None and "offset" in self._data:
            total = total + self._data["offset"]
        if in_sample and exposure is None and "exposure" in self._data:
            total = total + torch.log(self._data["exposure"])
        return total

    # --- fitting ------------------------------------------------------------------------

    def irls_problem(self, scaletype: Any = None, exog: torch.Tensor | None = None) -> IrlsProblem:
        """The model's data as an :class:`~torchstats.solvers.irls.IrlsProblem`."""
        return IrlsProblem(
            exog=self.design.exog if exog is None else exog,
            endog=self.design.endog,
            family=self.family,
            offset=self._offset_exposure,
            var_weights=(
                self._trial_var_weights
                if self._n_trials is not None
                else self._data.get("var_weights")
            ),
            freq_weights=self._data.get("freq_weights"),
            scale_of=self.scale_rule(scaletype),
        )

    @sized_threads
    def fit(
        self,
        start_params: Any = None,
        maxiter: int = 100,
        method: str = "IRLS",
        tol: float = 1e-8,
        scale: Any = None,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
        full_output: bool = True,
        disp: bool = False,
        max_start_irls: int = 3,
        *,
        wls_method: str = "auto",
        rtol: float = 0.0,
        atol: float | None = None,
        tol_criterion: str = "deviance",
        attach_wls: bool = False,
        optim_hessian: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Fit by IRLS (default) or by maximising the log-likelihood, as statsmodels.

        Parameters
        ----------
        start_params : array-like, optional
            Start values (default: IRLS from the family's starting means; the other methods
            from ``max_start_irls`` IRLS iterations).
        maxiter : int
            Iteration limit (statsmodels' 100).
        method : {"IRLS", "newton", "bfgs", "lbfgs", "nm", "powell", "cg", "ncg", \
"basinhopping", "minimize"}
            Iteratively reweighted least squares, or statsmodels' ``_fit_gradient``: torch's
            Newton or a scipy optimizer on ``-loglike(params, scale=1) / nobs`` with the
            closed-form score and Hessian (see :mod:`~torchstats.models.glm_fit`).
        tol : float
            IRLS: the default ``atol`` (statsmodels' 1e-8); for the other methods, that of
            the start iterations (as statsmodels, their optimizer does not use it).
        scale : None, "X2", "dev" or float
            The dispersion: the family's default (1 or Pearson), Pearson's chi-squared,
            the deviance, each over ``df_resid``, or a fixed value.
        cov_type : {"nonrobust", "eim", "HC0", "HC1", "HC2", "HC3", "cluster", "HAC"}
            Covariance of the estimates (statsmodels' names; HC1 equals HC0 for GLMs, as
            statsmodels' generic sandwich). ``"eim"`` is the nonrobust covariance from the
            expected information (what IRLS gives anyway; the other methods use the
            observed information for ``"nonrobust"``).
        cov_kwds : mapping, optional
            ``groups``, ``maxlags``, ``use_correction``, ...
        use_t : bool, optional
            Student's t with ``df_resid`` (default False, normal inference).
        full_output : bool
            ``False`` has no effect: warns (``FutureWarning`` for the likelihood methods, as
            statsmodels; ``SpecificationWarning`` for IRLS).
        disp : bool
            Print the optimizer's report (statsmodels' Newton lines, scipy's for the
            others); IRLS prints nothing and warns that ``disp`` has no effect.
        max_start_irls : int
            IRLS iterations giving the start values of the other methods (statsmodels' 3;
            no effect with IRLS or ``start_params``).
        wls_method : {"auto", "qr", "cholesky", "pinv", "lstsq"}
            Least-squares solver of each IRLS step (``"lstsq"``, statsmodels' default, is
            solved as ``"pinv"``).
        rtol, atol : float
            IRLS convergence: successive criteria within ``atol + rtol * |current|``
            (statsmodels' ``rtol=0``; ``atol`` defaults to ``tol``).
        tol_criterion : {"deviance", "params"}
            What IRLS watches.
        attach_wls : bool
            IRLS: attach the WLS fit of the last iteration as ``results.results_wls``.
        optim_hessian : {"oim", "eim"}, optional
            The Hessian the likelihood methods optimise with: observed (default) or
            expected.
        **kwargs
            Options of the likelihood method, named as statsmodels names them (``gtol``,
            ``xtol``, ``ftol``, ``maxfun``, ``min_method``, ...; ``ftol`` for Newton).

        Returns
        -------
        GLMResults

        Warns
        -----
        ConvergenceWarning
            IRLS or the optimizer stopped at ``maxiter``.
        SpecificationWarning
            An argument that has no effect with the chosen method.
        DegreesOfFreedomWarning
            The scale is estimated but ``df_resid`` is 0: it is inf or NaN (as statsmodels'),
            and so are the standard errors.

        Raises
        ------
        InvalidOptionError
            An unknown method, option, scale or cov_type.
        NumericalError
            A non-finite deviance or log-likelihood at the start or along the fit.
        """

        key = method.lower() if isinstance(method, str) else method
        key = "IRLS" if key == "irls" else key
        check_option(key, GLM_FIT_METHODS, "method")
        eim = isinstance(cov_type, str) and cov_type.lower() == "eim"
        cov_type = "nonrobust" if eim else cov_type
        canonical_cov_type(cov_type)
        if not isinstance(maxiter, int) or maxiter < 0:
            raise InvalidOptionError(f"maxiter must be a non-negative integer, got {maxiter!r}")
        self.scale_rule(scale)  # refuse an unknown scale before fitting
        start = None if start_params is None else self._params_tensor(start_params)
        if start is not None and start.shape[0] != self.design.k_exog:
            raise DesignError(
                f"start_params has {start.shape[0]} values; the model has {self.design.k_exog}"
            )
        irls = IrlsOptions.checked(wls_method, rtol, atol, tol_criterion)
        if key == "IRLS":
            check_irls_arguments(full_output, disp, max_start_irls, optim_hessian, kwargs)
            fit, history = fit_by_irls(
                self,
                start=start,
                maxiter=maxiter,
                tol=tol,
                scaletype=scale,
                irls=irls,
                attach_wls=attach_wls,
            )
        else:
            if attach_wls:
                warn(
                    f"GLM: attach_wls has no effect with method={key!r}: only IRLS ends "
                    "with a weighted least-squares fit",
                    SpecificationWarning,
                )
            fit, history = fit_by_gradient(
                self,
                start=start,
                method=key,
                maxiter=maxiter,
                tol=tol,
                scaletype=scale,
                disp=disp,
                full_output=full_output,
                max_start_irls=max_start_irls,
                irls=irls,
                optim_hessian=optim_hessian,
                eim=eim,
                options=kwargs,
            )
        estimated = isinstance(scale, str) or (scale is None and not self.family.fixed_scale)
        if estimated and self.df_resid == 0:
            warn_no_residual_df("GLM", self.wnobs, self.rank, "the dispersion (scale)")
        return self._report(fit, cov_type, cov_kwds, use_t, scaletype=scale, history=history)

    @sized_threads
    def fit_regularized(
        self,
        method: str = "elastic_net",
        alpha: Any = 0.0,
        start_params: Any = None,
        refit: bool = False,
        opt_method: str = "bfgs",
        **kwargs: Any,
    ) -> RegularizedResults | RegularizedGLMRefitResults:
        """Elastic-net penalised fit (statsmodels' ``GLM.fit_regularized``).

        Minimises ``-loglike(b, scale=1) / n + alpha ((1 - L1_wt) |b|^2 / 2 + L1_wt |b|_1)``
        (``n`` rows; weights, offset and exposure inside the log-likelihood) exactly, to
        the KKT conditions (see ``docs/regularized.md``).

        Parameters
        ----------
        method : {"elastic_net", "l1_slsqp"}
            The same problem (``"l1_slsqp"`` needs ``L1_wt=1``).
        alpha : float or array-like
            Penalty weight, a scalar or one per coefficient.
        start_params : array-like, optional
            Start values (default zeros; the unpenalised fit where zeros lie outside the
            link's domain).
        refit : bool
            Refit the GLM on the nonzero coefficients' columns: GLM results with the
            dropped coefficients 0 (standard error 0) and statsmodels' degrees of freedom
            (``len(selected)``, ``nobs - len(selected)``).
        opt_method : str
            statsmodels' scipy method of the ridge path; accepted, unused.
        **kwargs
            ``L1_wt`` (default 1), ``maxiter`` (50), ``zero_tol`` (1e-10); ``cnvrg_tol``,
            ``check_step`` and the ``*_kwds`` are accepted and unused.

        Returns
        -------
        RegularizedResults or RegularizedGLMRefitResults

        Warns
        -----
        ConvergenceWarning
            ``maxiter`` ran out before the KKT conditions held.
        """
        return fit_glm_regularized(self, method, alpha, start_params, refit, opt_method, kwargs)

    def _restricted_model(self, exog: torch.Tensor, shift: torch.Tensor | None = None) -> GLM:
        """This GLM (response, family, weights, offset, exposure) with another design and
        ``shift`` added to its offset: the model of a constrained fit's free parameters, or
        of a penalised fit's selected columns (no shift)."""
        given = self._data.get("offset")  # a scalar offset lives here only, per row
        offset = given if shift is None else shift if given is None else shift + given
        names = tuple(f"x{i + 1}" for i in range(exog.shape[1]))
        output = replace(self.design.output, param_names=names)
        model = GLM.__new__(GLM)
        model.family = self.family
        model.design = replace(
            self.design,
            exog=exog,
            exog_names=names,
            output=output,
            terms=(),
            model_spec=None,
            extras=self.design.extras
            if offset is None
            else {**self.design.extras, "offset": offset},
        )
        model._hasconst = None
        model._response_names = self._response_names
        model._n_trials = self._n_trials
        model._response_columns = self._response_columns
        model._data = self._data if offset is None else {**self._data, "offset": offset}
        return model

    # --- covariances ----------------------------------------------------------------------------

    def classical_covariance(self, fit: SolverResult, use_t: bool | None) -> CovarianceResult:
        """``scale`` times ``fit.normalized_cov`` (``(X'WX)^{-1}`` of IRLS, the inverse
        information at scale 1 of the likelihood methods); normal inference by default."""
        return least_squares_covariance(fit, fit.scale, df_resid=self.df_resid, use_t=bool(use_t))

    def sandwich_inputs(self, fit: SolverResult, cov_type: str) -> SandwichInputs:
        """Observed-information bread and scores (statsmodels' ``_get_sandwich_arrays``).

        Frequency weights enter the scores once; the meat would square them, so for every
        type but ``cluster`` the scores are divided by ``sqrt(freq_weights)``, as statsmodels
        does. HC2/HC3 are R's ``sandwich::vcovHC``: its leverages (those of the design
        weighted by the IRLS weights) and its bread, the inverse expected information (the
        observed one of the other types differs from it for non-canonical links). A
        rank-deficient design gets the pseudo-inverse of the information of its rank, under
        which the covariances of estimable combinations are those of the full-rank fit.
        """
        require_data_units(fit, "Robust covariances")
        params, scale = fit.params, fit.scale
        kind = canonical_cov_type(cov_type)
        if kind not in ("nonrobust", "HC0", "HC1") and self._data.keys() & {
            "freq_weights",
            "var_weights",
        }:
            warn(f"cov_type {cov_type!r} is not fully supported with weights", SpecificationWarning)
        # R's HC2/HC3 (sandwich::vcovHC) take the expected information, as glm's bread; the
        # other types statsmodels' observed one (the same for canonical links)
        observed = kind not in ("HC2", "HC3")
        bread = inverse_of_rank(-self.hessian(params, scale=scale, observed=observed), self.rank)
        # the scores x_i f_i are never formed (see DesignScores): f is score_factor
        factor = self.score_factor(params, scale=scale)
        if "freq_weights" in self._data and kind != "cluster":
            # a row of frequency zero has score zero (not 0 / 0)
            root = torch.sqrt(self._freq_weights)
            factor = torch.where(root > 0, factor / torch.where(root > 0, root, 1.0), 0.0)
        X = self.design.exog

        def leverage() -> torch.Tensor:
            weights = self.hessian_factor(params, scale=scale, observed=False)
            return hat_diagonal(X, weights)

        scores = DesignScores(X, factor, leverage=leverage, row_labels=self.output.row_index)
        return SandwichInputs(
            bread=bread,
            scores=scores,
            df_resid=self.df_resid,  # of t and F tests: frequency weights count as rows
            hc1_correction=False,
            leverage_available=kind in ("HC2", "HC3"),
            aliased=X.shape[1] - self.rank,
        )

    def _warn_if_outside_range(self, mu: torch.Tensor) -> None:
        """statsmodels reports such fits as converged; the likelihood is not valid there."""
        invalid = int((~self.family.valid_mean(mu)).sum())
        if invalid:
            warn(
                f"GLM: {invalid} fitted mean(s) lie outside the range of the "
                f"{type(self.family).__name__} family (the {type(self.family.link).__name__} "
                "link does not keep them there); llf, deviance and standard errors are not "
                "valid. Use the family's canonical link or constrain the model",
                DomainWarning,
            )

    def _warn_if_separated(self, mu: torch.Tensor, params: torch.Tensor, converged: bool) -> None:
        """The discrete models' separation warning: rows whose response lies on a boundary
        of the family's range (0 or 1 for the binomial, 0 for counts) and whose mean the
        fit sends there (within 1e-8), while the estimates diverge. A dummy that is 1 only
        on rows of ``y = 0`` otherwise gave a coefficient near -25 with a standard error of
        1e4, reported converged (statsmodels' GLM warns only when every mean equals its
        response, as the IRLS loop does here)."""
        at_boundary = self.family.boundary_fit(self.design.endog, mu, PERFECT_PREDICTION_TOL)
        perfect = int(at_boundary.sum())
        if perfect == 0 or perfect == self.design.nobs:  # none, or IRLS's complete case
            return
        warn_if_separated(
            "GLM",
            perfect,
            self.design.nobs,
            lambda: not converged or self._newton_moves(params, at_boundary),
        )

    def _newton_moves(self, params: torch.Tensor, rows: torch.Tensor) -> bool:
        """Whether a Fisher-scoring step from ``params`` still moves the linear predictor of
        ``rows`` by more than :data:`DIVERGING_STEP`. At a maximum the step vanishes; along
        a separating direction each step keeps the same size (about 1 for the exponential
        tails of the log and logit links, ``1 / |eta|`` for probit's), however long IRLS
        ran, while the information there falls with the means, like ``mu`` (logit, Poisson)
        or ``mu^(2 - p)`` (Tweedie), too slowly for a flatness test to catch in every family."""
        information = self.information(params, scale=1.0)
        step = torch.linalg.pinv(information, hermitian=True) @ self.score(params, scale=1.0)
        moved = matvec(self.design.exog, step)[rows].abs()
        return bool(moved.max() > DIVERGING_STEP)

    def __repr__(self) -> str:
        source = f"formula={self.design.formula!r}" if self.design.formula else "arrays"
        return f"<torchstats.GLM {source}, family={self.family!r}, nobs={self.design.nobs}>"


def predict_new(
    family: Family, params: torch.Tensor, exog: Any, exposure: Any, offset: Any, which: str
) -> torch.Tensor:
    """GLM predictions for new rows ``exog`` (offset and exposure default to none)."""
    X = to_tensor(exog, name="exog", device=params.device, dtype=params.dtype)
    X = X[None, :] if X.ndim == 1 else X
    eta = X @ params
    eta = eta + given_offset(family, eta, offset, exposure)
    return predict_from_linear(family, eta, which)


def given_offset(
    family: Family, eta: torch.Tensor, offset: Any, exposure: Any
) -> torch.Tensor | float:
    """``offset + log(exposure)`` of those given for predictions (0 when neither is)."""
    total: torch.Tensor | float = 0.0
    if offset is not None:
        total = total + row_values(offset, "offset", eta)
    if exposure is not None:
        if not isinstance(family.link, L.Log):
            raise InvalidOptionError("exposure can only be used with the log link")
        values = row_values(exposure, "exposure", eta)
        if bool((values <= 0).any()):
            raise DesignError("exposure must be positive (its log enters the predictor)")
        total = total + torch.log(values)
    return total


def predict_from_linear(family: Family, eta: torch.Tensor, which: str) -> torch.Tensor:
    """``which`` of statsmodels' GLM predictions from the linear predictor."""
    check_option(which, GLM_PREDICT_WHICH, "which")
    if which == "linear":
        return eta
    mean = family.fitted(eta)
    return mean if which == "mean" else family.variance(mean)


def checked_family(family: Any) -> Family:
    if family is None:
        return Gaussian()
    if isinstance(family, type):
        raise TypeError(
            f"pass a family instance such as {family.__name__}(), not the class {family.__name__}"
        )
    if not isinstance(family, Family):
        translated = from_statsmodels_family(family)  # sm.families.Poisson() reads as ours
        if translated is None:
            raise TypeError(
                f"family must be a torchstats family (ts.families.Poisson(), ...), got "
                f"{type(family).__name__}"
            )
        family = translated
    if not family.link_is_safe:
        warn(
            f"The {type(family.link).__name__} link function does not respect the domain of "
            f"the {type(family).__name__} family.",
            DomainWarning,
        )
    return family
