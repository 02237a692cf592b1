"""Results of a GLM fit, with statsmodels' ``GLMResults`` names, values and conventions.

The covariance of an IRLS fit is ``scale (X' W X)^{-1}`` at the last working weights (the
inverse expected information); robust covariances use the observed Hessian as bread and the
per-observation scores as meat (statsmodels' generic sandwich, so HC1 equals HC0). ``llf``
is the full log-likelihood at the estimated scale, except the Gaussian family with the
identity link, where the scale is concentrated out (``SSR / wnobs``); ``bic`` is
``bic_llf``; ``llnull`` and ``null_deviance`` come from the constant-only model with the same
offset, exposure and weights.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np
import torch
from scipy import stats

from torchstats._typing import check_option
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import InvalidOptionError
from torchstats.families import families, links
from torchstats.formula.newdata import exog_for_prediction
from torchstats.inference.glm_profile import profile_conf_int
from torchstats.inference.score_tests import ScoreTestResult, glm_score_test
from torchstats.results.base import LikelihoodResults
from torchstats.results.likelihood_influence import GLMInfluence
from torchstats.results.prediction import (
    DeltaPredictionResults,
    LinkPredictionResults,
    PredictionResults,
    delta_prediction,
    prediction_variance,
)
from torchstats.solvers.result import SolverResult
from torchstats.summary.layouts import glm_summary
from torchstats.summary.summary2 import likelihood_summary2

__all__ = ["GLMResults"]


class GLMResults(LikelihoodResults):
    """A fitted GLM (statsmodels' ``GLMResults``).

    Parameters
    ----------
    model : GLM
    fit : SolverResult
        ``params``, ``scale`` (the dispersion at the estimate) and ``normalized_cov``:
        ``(X' W X)^{-1}`` of an IRLS fit, the inverse observed information at scale 1 of the
        other methods.
    covariance : CovarianceResult
    scaletype : None, str or float
        The ``fit(scale=...)`` rule it came from.
    history : dict
        How the fit went: ``method``, ``iteration``, ``settings`` (``mle_settings``);
        ``deviance`` (IRLS; ``fit_history``), ``retvals`` (the other methods;
        ``mle_retvals``), ``results_wls`` (IRLS with ``attach_wls=True``).
    **record
        A subclass's own fields (kept for results with another covariance).
    """

    _scaletype: Any
    _history: dict[str, Any]

    def __init__(
        self,
        model: Any,
        fit: SolverResult,
        covariance: CovarianceResult,
        *,
        scaletype: Any,
        history: dict[str, Any],
        **record: Any,
    ) -> None:
        super().__init__(model, fit, covariance, scaletype=scaletype, history=history, **record)
        object.__setattr__(self, "_scaletype", scaletype)
        object.__setattr__(self, "_history", dict(history))

    @property
    def _scale(self) -> float:
        return self.fit_result.scale

    @property
    def scaletype(self) -> Any:
        """The ``fit(scale=...)`` rule the scale came from (None: the family's default)."""
        return self._scaletype

    # --- sizes and fit record -----------------------------------------------------------

    @property
    def nobs(self) -> int:
        """Number of observations (rows)."""
        return int(self.model.nobs)

    @property
    def df_model(self) -> float:
        """``rank - 1``."""
        return self.model.df_model

    @property
    def df_resid(self) -> float:
        """``sum(freq_weights) - rank``."""
        return self.model.df_resid

    @property
    def k_constant(self) -> int:
        """1 if the design has a constant, else 0."""
        return self.model.k_constant

    @property
    def family(self) -> families.Family:
        """The model's family."""
        return self.model.family

    @property
    def scale(self) -> float:
        """The dispersion: 1, or Pearson's chi-squared over ``df_resid`` (or as fitted)."""
        return self._scale

    @property
    def method(self) -> str:
        """``"IRLS"``, or the likelihood optimizer (``"newton"``, ``"bfgs"``, ...)."""
        return str(self._history["method"])

    @property
    def fit_history(self) -> dict[str, Any]:
        """``iteration`` (count) and, for IRLS, ``deviance`` (the criterion at the start and
        after each step)."""
        history = {"iteration": self._history["iteration"]}
        if "deviance" in self._history:
            history["deviance"] = list(self._history["deviance"])
        return history

    @property
    def mle_settings(self) -> dict[str, Any]:
        """``optimizer`` and ``wls_method`` (IRLS, as statsmodels), or the optimizer's
        ``start_params``, ``maxiter`` and options (a copy)."""
        return dict(self._history["settings"])

    @property
    def mle_retvals(self) -> dict[str, Any]:
        """How the likelihood optimizer ended (statsmodels' ``mle_retvals``, a copy).

        Raises
        ------
        AttributeError
            For IRLS fits, which have none (as in statsmodels); see :attr:`fit_history`.
        """
        if "retvals" not in self._history:
            raise AttributeError(
                "IRLS fits have no mle_retvals (statsmodels' neither); see fit_history and "
                "converged, or fit with method='newton', 'bfgs', ..."
            )
        return dict(self._history["retvals"])

    @property
    def results_wls(self) -> Any:
        """The weighted least-squares fit of IRLS' last iteration (``attach_wls=True``).

        Raises
        ------
        AttributeError
            The fit was not IRLS with ``attach_wls=True``.
        """
        if "results_wls" not in self._history:
            raise AttributeError("results_wls exists after fit(method='IRLS', attach_wls=True)")
        return self._history["results_wls"]

    # --- fitted values and residuals ----------------------------------------------------

    @cached_property
    def _mu(self) -> torch.Tensor:
        return self.model.predict(self.fit_result.params)

    @property
    def mu(self) -> Any:
        """Fitted means ``g^{-1}(X b + offset)``: an array (a tensor for tensor input), as
        statsmodels' ``mu``."""
        return self._output.plain(self._mu)

    @property
    def fittedvalues(self) -> Any:
        """Fitted means, labelled by the rows used (statsmodels' GLM ``fittedvalues``)."""
        return self._output.observations(self._mu)

    @property
    def resid_response(self) -> Any:
        """``y - mu`` (times the trials of a ``(successes, failures)`` response, as
        statsmodels: successes minus their fitted number)."""
        return self._output.observations(self.model.resid_response_mu(self._mu))

    @cached_property
    def _resid_pearson_tensor(self) -> torch.Tensor:
        return self.model.resid_pearson_mu(self._mu)

    @property
    def resid_pearson(self) -> Any:
        """``(y - mu) sqrt(var_weights n_trials / V(mu))``."""
        return self._output.observations(self._resid_pearson_tensor)

    @property
    def resid_working(self) -> Any:
        """``(y - mu) g'(mu)``: the IRLS working residuals."""
        values = (self.model.design.endog - self._mu) * self.family.link.deriv(self._mu)
        return self._output.observations(values)

    @cached_property
    def _resid_deviance_tensor(self) -> torch.Tensor:
        return self.model.resid_deviance_mu(self._mu)

    @property
    def resid_deviance(self) -> Any:
        """``sign(y - mu) sqrt(var_weights d(y, mu))``."""
        return self._output.observations(self._resid_deviance_tensor)

    def _anscombe(self, scale: float) -> torch.Tensor:
        return self.model.resid_anscombe_mu(self._mu, scale)

    @property
    def resid_anscombe_scaled(self) -> Any:
        """Anscombe residuals at the fit's scale (statsmodels' formulas, per family); an
        array for pandas data too, as statsmodels."""
        return self._output.plain(self._anscombe(self._scale))

    @property
    def resid_anscombe_unscaled(self) -> Any:
        """Anscombe residuals at scale 1 (an array, as statsmodels)."""
        return self._output.plain(self._anscombe(1.0))

    @property
    def resid_anscombe(self) -> Any:
        """:attr:`resid_anscombe_scaled`, labelled by row for pandas data (statsmodels)."""
        return self._output.observations(self._anscombe(self._scale))

    # --- deviance and likelihood --------------------------------------------------------

    @cached_property
    def deviance(self) -> float:
        """``sum(freq_weights var_weights d(y, mu))``."""
        return float(self.model.deviance_mu(self._mu))

    @cached_property
    def pearson_chi2(self) -> float:
        """``sum(w (y - mu)^2 / V(mu))`` with the row weights (frequency, variance, trials)."""
        return float(self.model.pearson_chi2_mu(self._mu))

    @cached_property
    def _null_mu(self) -> torch.Tensor:
        """Fitted means of the constant-only model (same offset, exposure and weights)."""
        return self.model.null_mean()

    @property
    def null(self) -> Any:
        """Fitted values of the constant-only model (an array, as statsmodels)."""
        return self._output.plain(self._null_mu)

    @cached_property
    def null_deviance(self) -> float:
        """Deviance of the constant-only model."""
        return float(self.model.deviance_mu(self._null_mu))

    @cached_property
    def llnull(self) -> float:
        """Log-likelihood of the constant-only model at this fit's scale."""
        return float(self.model.loglike_mu(self._null_mu, scale=self._scale))

    def llf_scaled(self, scale: float | None = None) -> float:
        """Log-likelihood at ``scale`` (default: concentrated for Gaussian-identity, else
        the estimated scale)."""
        model = self.model
        if scale is None:
            if isinstance(self.family, families.Gaussian) and is_identity(self.family.link):
                scale = float(model.weighted_ssr_mu(self._mu)) / model.wnobs
            else:
                scale = self._scale
        return float(model.loglike_mu(self._mu, scale=scale))

    @cached_property
    def llf(self) -> float:
        """Log-likelihood at the estimate (see :meth:`llf_scaled`)."""
        return self.llf_scaled()

    def pseudo_rsquared(self, kind: str = "cs") -> float:
        """Cox-Snell (``"cs"``, default) or McFadden (``"mcf"``) pseudo R-squared.

        Cox-Snell's ``1 - exp(2 (llnull - llf) / n)`` counts the observations with their
        frequency weights (statsmodels divides by the rows: with frequency weights its
        value is not that of the expanded data)."""
        kind = kind.lower()
        if kind.startswith("mcf"):
            return 1 - self.llf / self.llnull
        if kind.startswith("cox") or kind in ("cs", "lr"):
            return 1 - math.exp((self.llnull - self.llf) * (2 / self.model.wnobs))
        raise ValueError("only McFadden ('mcf') and Cox-Snell ('cs') are available")

    def info_criteria(self, crit: str, scale: float | None = None, dk_params: float = 0) -> float:
        """``"aic"``, ``"bic"`` or ``"qaic"`` with ``df_model + 1 + dk_params`` parameters."""
        crit = crit.lower()
        k_params = self.df_model + 1 + dk_params
        if crit == "aic":
            return -2 * self.llf + 2 * k_params
        if crit == "bic":
            return -2 * self.llf + k_params * math.log(self.df_model + self.df_resid + 1)
        if crit == "qaic":
            if scale is None:
                raise InvalidOptionError("qaic needs the scale of the largest model")
            if not isinstance(
                self.family, (families.Poisson, families.NegativeBinomial, families.Binomial)
            ):
                warnings.warn(
                    "QAIC is only valid for Binomial, Poisson and Negative Binomial families.",
                    UserWarning,
                    stacklevel=2,
                )
            return -2 * self.llf_scaled(scale=1.0) / scale + 2 * k_params
        raise InvalidOptionError(f"unknown criterion {crit!r}; choose 'aic', 'bic' or 'qaic'")

    def score_test(
        self,
        exog_extra: Any = None,
        params_constrained: Any = None,
        hypothesis: str = "joint",
        cov_type: str | None = None,
        cov_kwds: Mapping[str, Any] | None = None,
        k_constraints: int | None = None,
        observed: bool = True,
    ) -> ScoreTestResult:
        """Score (LM) test for omitted variables or restrictions (statsmodels').

        Parameters
        ----------
        exog_extra : array-like, shape (n, k_extra), optional
            Regressors whose joint omission is tested.
        params_constrained : array-like, optional
            Estimates under ``k_constraints`` restrictions (default: this fit's).
        hypothesis : {"joint", "separate"}
            One chi-squared test, or a z test per parameter (``cov_type="nonrobust"``).
        cov_type : {"nonrobust", "HC0"}, optional
            Default: the fit's ``cov_type``. ``"HC0"`` (the robust LM statistic) needs
            ``exog_extra``.
        cov_kwds : mapping, optional
            Accepted, no effect (warns), as in statsmodels.
        k_constraints : int, optional
            Required without ``exog_extra``; also added to ``df_resid`` for the scale.
        observed : bool
            Observed (default) or expected information.

        Returns
        -------
        ScoreTestResult
            ``statistic, pvalue = result``; also ``distribution`` and ``k_constraint``.

        Warns
        -----
        SpecificationWarning
            With frequency or variance weights (statsmodels: "not verified").
        """
        return glm_score_test(
            self,
            exog_extra,
            params_constrained,
            hypothesis,
            cov_type,
            cov_kwds,
            k_constraints,
            observed,
        )

    @property
    def aic(self) -> float:
        """``-2 llf + 2 (df_model + 1)``."""
        return self.info_criteria("aic")

    @property
    def bic_llf(self) -> float:
        """``-2 llf + (df_model + 1) log(wnobs)``."""
        return self.info_criteria("bic")

    @property
    def bic(self) -> float:
        """:attr:`bic_llf` (statsmodels' definition since 0.14)."""
        return self.bic_llf

    @property
    def bic_deviance(self) -> float:
        """``deviance - df_resid log(wnobs)`` (statsmodels' older ``bic``)."""
        wnobs = self.model.wnobs
        return self.deviance - (wnobs - self.df_model - 1) * math.log(wnobs)

    # --- prediction ---------------------------------------------------------------------

    def _new_exog(self, exog: Any, transform: bool) -> tuple[torch.Tensor, Any]:
        design = self.model.design
        source = design if transform else replace(design, model_spec=None)
        params = self.fit_result.params
        return exog_for_prediction(source, exog, device=params.device, dtype=params.dtype)

    def predict(
        self,
        exog: Any = None,
        exposure: Any = None,
        offset: Any = None,
        transform: bool = True,
        which: str = "mean",
    ) -> Any:
        """Predicted means (``which="mean"``), linear predictors or unscaled variances.

        Parameters
        ----------
        exog : DataFrame or array-like, optional
            New data (the original variables for formula models); in sample when None,
            with the fit's offset and exposure.
        exposure, offset : array-like, optional
            For the predictions (default none for new data, as statsmodels).
        transform : bool
            Pass ``exog`` through the formula.
        which : {"mean", "linear", "var_unscaled"}
        """
        params = self.fit_result.params
        if exog is None:  # an array, as statsmodels (fittedvalues keeps the row labels)
            return self._output.plain(self.model.predict(params, None, exposure, offset, which))
        X, index = self._new_exog(exog, transform)
        values = self.model.predict(params, X, exposure, offset, which)
        if index is None:  # plain arrays in, plain arrays out (statsmodels)
            return self._output.plain(values)
        return self._output.observations(values, index=index)

    def get_prediction(
        self,
        exog: Any = None,
        exposure: Any = None,
        offset: Any = None,
        transform: bool = True,
        which: str | None = None,
        row_labels: Any = None,
        average: bool = False,
        agg_weights: Any = None,
    ) -> PredictionResults | LinkPredictionResults | DeltaPredictionResults:
        """Predictions with delta-method standard errors and intervals.

        ``which=None`` (statsmodels' default): means with columns ``mean, mean_se,
        mean_ci_lower, mean_ci_upper``; the interval is the linear predictor's interval
        mapped through the inverse link, ``mean_se`` is ``|d mu / d eta| se(eta)``.
        ``which="mean"``, ``"linear"`` or ``"var_unscaled"``: statsmodels' newer results
        with columns ``predicted, se, ci_lower, ci_upper`` (endpoint intervals for the
        mean, symmetric delta-method ones for the variance function). ``average=True``:
        the average over the rows of those predictions times ``agg_weights`` (not
        normalised, as statsmodels), with its delta-method standard error.
        """
        if which is not None:
            check_option(which, ("mean", "linear", "var_unscaled"), "which")
        params = self.fit_result.params
        if exog is None:
            X, index = self.model.design.exog, self._output.row_index
            rows = None
        else:
            X, index = self._new_exog(exog, transform)
            rows = X
        if average:
            return delta_prediction(
                self._prediction_function(rows, exposure, offset, which or "mean"),
                params,
                self.covariance.checked_cov(),
                average=True,
                agg_weights=None
                if agg_weights is None
                else torch.as_tensor(np.asarray(agg_weights, dtype=float)).to(params),
            )
        eta = self.model.predict(params, rows, exposure, offset, "linear")
        link = self.family.link
        labels = index if row_labels is None else row_labels
        if which is not None:
            return self._link_prediction(eta, X, which, labels)
        return PredictionResults(
            eta,
            prediction_variance(X, self.covariance.checked_cov()),
            df=self.df_resid if self.use_t else None,
            df_resid=self.df_resid,
            inverse_link=link.inverse,
            derivative=link.inverse_deriv,
            row_labels=index if row_labels is None else row_labels,
        )

    def _prediction_function(
        self, rows: torch.Tensor | None, exposure: Any, offset: Any, which: str
    ) -> Callable[[torch.Tensor], torch.Tensor]:
        """The prediction ``which`` as a torch function of the parameters (delta method)."""
        link, variance = self.family.link, self.family.variance

        def predicted(params: torch.Tensor) -> torch.Tensor:
            eta = self.model.predict(params, rows, exposure, offset, "linear")
            if which == "linear":
                return eta
            mean = link.inverse(eta)
            return variance(mean) if which == "var_unscaled" else mean

        return predicted

    def _link_prediction(
        self, eta: torch.Tensor, X: torch.Tensor, which: str, labels: Any
    ) -> LinkPredictionResults:
        link, variance = self.family.link, self.family.variance
        inverse: Any = None
        derivative: Any = None
        if which == "mean":
            inverse, derivative = link.inverse, link.inverse_deriv
        elif which == "var_unscaled":

            def inverse(e: torch.Tensor) -> torch.Tensor:
                return variance(link.inverse(e))

            def derivative(e: torch.Tensor) -> torch.Tensor:
                return variance.deriv(link.inverse(e)) * link.inverse_deriv(e)

        return LinkPredictionResults(
            eta,
            prediction_variance(X, self.covariance.checked_cov()),
            df=self.df_resid if self.use_t else None,
            df_resid=self.df_resid,
            inverse_link=inverse,
            derivative=derivative,
            row_labels=labels,
            interval="delta" if which == "var_unscaled" else "endpoint",
        )

    def get_distribution(
        self,
        exog: Any = None,
        exposure: Any = None,
        offset: Any = None,
        var_weights: Any = 1.0,
        n_trials: Any = 1.0,
    ) -> Any:
        """scipy's frozen distribution of the response at the predicted means (statsmodels).

        Gaussian ``norm(mu, sqrt(scale / var_weights))``, Poisson ``poisson(mu)``, Binomial
        ``binom(n_trials, mu)``, Gamma ``gamma(var_weights / scale, scale=mu scale /
        var_weights)``, inverse Gaussian ``invgauss(mu scale / var_weights, scale=
        var_weights / scale)``, negative binomial ``nbinom(1/alpha, (1/alpha) / (1/alpha +
        mu))``. The discrete families use scale 1, with a ``UserWarning`` when the fit's
        scale is not 1, as statsmodels.

        Raises
        ------
        InvalidOptionError
            For the Tweedie family (statsmodels has no distribution for it either).
        """
        family = self.family
        mean = self.predict(exog, exposure=exposure, offset=offset)
        mu = mean.detach().cpu().numpy() if isinstance(mean, torch.Tensor) else np.asarray(mean)
        discrete = (families.Binomial, families.Poisson, families.NegativeBinomial)
        if isinstance(family, discrete) and self._scale != 1.0:
            warnings.warn(
                "using scale=1, no exess dispersion in distribution", UserWarning, stacklevel=2
            )
        scale = np.asarray(self._scale, dtype=float) / np.asarray(var_weights, dtype=float)
        if isinstance(family, families.Gaussian):
            return stats.norm(loc=mu, scale=np.sqrt(scale))
        if isinstance(family, families.Poisson):
            return stats.poisson(mu)
        if isinstance(family, families.Binomial):
            return stats.binom(n=n_trials, p=mu)
        if isinstance(family, families.Gamma):
            return stats.gamma(1 / scale, scale=mu * scale)
        if isinstance(family, families.InverseGaussian):
            return stats.invgauss(mu * scale, scale=1 / scale)
        if isinstance(family, families.NegativeBinomial):
            size = 1.0 / family.alpha
            return stats.nbinom(size, size / (size + mu))
        raise InvalidOptionError(f"get_distribution is not available for {family!r}")

    def conf_int_profile(self, alpha: float = 0.05, cols: Any = None) -> Any:
        """Profile-likelihood confidence intervals (R's ``confint(glm)``), laid out as
        :meth:`conf_int` (columns ``0`` and ``1``).

        The limits solve ``(D(b_j) - D) / scale = z^2`` with ``z`` the normal quantile and
        ``D(b_j)`` the deviance refitted with coefficient ``j`` held at ``b_j``; they are
        exact roots, where R's (MASS) ``confint`` interpolates a spline through a grid of
        profile points (agreement about 1e-4). The dispersion is the fit's ``scale``.

        Parameters
        ----------
        alpha : float
            ``1 - alpha`` is the coverage.
        cols : sequence of int, optional
            Restrict to these parameters (positions).
        """

        if not 0 < alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
        params = self.fit_result.params
        columns = list(range(params.shape[0])) if cols is None else list(cols)
        limits = profile_conf_int(
            self.model,
            params,
            self._bse.detach().cpu().numpy(),
            deviance=self.deviance,
            dispersion=self.scale,
            alpha=alpha,
            columns=columns,
        )
        bounds = torch.as_tensor(limits, dtype=params.dtype, device=params.device)
        output = replace(
            self._output, param_names=tuple(self._output.param_names[c] for c in columns)
        )
        return output.table(bounds, [0, 1])

    def rstandard(self, type: str = "deviance") -> Any:
        """Standardized residuals, R's ``rstandard(glm, type=)``: deviance (default) or
        Pearson residuals over ``sqrt(scale (1 - h))``.

        ``h`` is R's ``hatvalues``: the leverage of the expected-information (IRLS) weights,
        ``get_influence(observed=False).hat_matrix_diag``. The Pearson version equals
        statsmodels' ``resid_studentized`` with that leverage.
        """
        check_option(type, ("deviance", "pearson"), "type")
        resid = self._resid_pearson_tensor if type == "pearson" else self._resid_deviance_tensor
        leverage = GLMInfluence(self, observed=False)._h
        values = resid / torch.sqrt(self._scale * (1 - leverage))
        return self._output.observations(_infinite_as_nan(values))

    def rstudent(self) -> Any:
        """Studentized (approximate leave-one-out) residuals, R's ``rstudent(glm)``.

        ``r_i = sign(d_i) sqrt(d_i^2 + h_i p_i^2 / (1 - h_i))`` from the deviance ``d`` and
        Pearson ``p`` residuals and R's leverage ``h`` (expected information); divided by
        the leave-one-out dispersion ``sigma_i = sqrt((sum d^2 - d_i^2 / (1 - h_i)) /
        (df_resid - 1))`` wherever the dispersion is estimated, as R does: every family
        but binomial and Poisson (the negative binomial too), and those two fitted with
        ``scale="X2"`` or ``"dev"`` (R's quasibinomial and quasipoisson).
        """
        deviance, pearson = self._resid_deviance_tensor, self._resid_pearson_tensor
        leverage = GLMInfluence(self, observed=False)._h
        values = torch.sign(deviance) * torch.sqrt(
            deviance**2 + leverage * pearson**2 / (1 - leverage)
        )
        fixed_dispersion = isinstance(self.family, (families.Binomial, families.Poisson))
        if not fixed_dispersion or isinstance(self._scaletype, str):
            leave_out = (deviance**2).sum() - deviance**2 / (1 - leverage)
            values = values / torch.sqrt(leave_out / (self.df_resid - 1))
        return self._output.observations(_infinite_as_nan(values))

    # --- influence ----------------------------------------------------------------------

    def get_influence(self, observed: bool = True) -> GLMInfluence:
        """Influence and outlier measures (statsmodels' ``GLMInfluence``), no ``n x n`` matrix.

        Parameters
        ----------
        observed : bool
            Leverage from the observed (default) or expected information.
        """
        self._require_data_units("Influence measures")
        return GLMInfluence(self, observed=observed)

    def get_hat_matrix_diag(self, observed: bool = True) -> Any:
        """Diagonal of the hat matrix of ``W^{1/2} X`` (observed or expected weights)."""
        return GLMInfluence(self, observed=observed).hat_matrix_diag

    # --- reporting ----------------------------------------------------------------------

    def summary(
        self,
        yname: str | None = None,
        xname: list[str] | None = None,
        title: str | None = None,
        alpha: float = 0.05,
    ) -> Any:
        """statsmodels' GLM summary: family, link, scale, deviance, Pearson chi2, coefficients.

        Returns
        -------
        Summary
            Printable, with ``as_text()``, ``as_html()`` and ``as_latex()``.
        """

        return glm_summary(self, yname=yname, xname=xname, title=title, alpha=alpha)

    def summary2(
        self,
        yname: str | None = None,
        xname: list[str] | None = None,
        title: str | None = None,
        alpha: float = 0.05,
        float_format: str = "%.4f",
    ) -> Any:
        """statsmodels' experimental summary (``summary2()``): a summary of DataFrames.

        Returns
        -------
        torchstats.summary.summary2.Summary
            ``tables`` (a list of DataFrames), ``as_text()``, ``as_html()``, ``as_latex()``.
        """

        return likelihood_summary2(
            self, yname=yname, xname=xname, title=title, alpha=alpha, float_format=float_format
        )

    def __repr__(self) -> str:
        return f"<torchstats.GLMResults {self.model!r}>"


def is_identity(link: links.Link) -> bool:
    return isinstance(link, links.Power) and link.power == 1.0


def _infinite_as_nan(values: torch.Tensor) -> torch.Tensor:
    """R's ``res[is.infinite(res)] <- NaN`` of ``rstandard``/``rstudent``: an observation of
    leverage one has no standardized residual."""
    return torch.where(torch.isinf(values), torch.full_like(values, float("nan")), values)
