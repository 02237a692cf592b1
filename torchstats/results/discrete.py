"""Results of the discrete models, with statsmodels' ``DiscreteResults`` names and values.

:class:`BinaryResults` (Logit, Probit), :class:`CountResults` (Poisson) and
:class:`NegativeBinomialResults` share the likelihood statistics of ``_DiscreteResults``:
``llf``, ``llnull`` (the constant-only model with the same offset and exposure), ``llr``,
``llr_pvalue``, ``prsquared``, ``aic``, ``bic``, residuals and ``predict``. statsmodels'
conventions are kept where they surprise: ``df_model`` is ``rank - 1`` even without a
constant, ``fittedvalues`` is ``X b`` without the offset, ``method`` is ``"MLE"`` (the solver
is ``mle_settings["optimizer"]``) and ``nobs`` is an int.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from torchstats._typing import check_option
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import InvalidOptionError
from torchstats.formula.newdata import exog_for_prediction
from torchstats.inference.distributions import chi2_pvalue
from torchstats.inference.information_criteria import im_ratio, info_criterion
from torchstats.inference.score_tests import ScoreTestResult, discrete_score_test
from torchstats.results.base import LikelihoodResults
from torchstats.results.count_diagnostic import CountDiagnostic, PoissonDiagnostic
from torchstats.results.count_probabilities import (
    count_distribution,
    count_pmf,
    count_y_values,
)
from torchstats.results.likelihood_influence import MLEInfluence
from torchstats.results.margins import DiscreteMargins
from torchstats.results.prediction import (
    DeltaPredictionResults,
    LinkPredictionResults,
    delta_prediction,
    prediction_variance,
)
from torchstats.solvers.result import SolverResult
from torchstats.summary.layouts import discrete_summary, separation_note
from torchstats.summary.summary2 import likelihood_summary2

__all__ = ["BinaryResults", "CountResults", "NegativeBinomialResults"]


class _DiscreteResults(LikelihoodResults):
    """Statistics every discrete model reports; not public.

    Parameters
    ----------
    model : Logit, Probit, Poisson or NegativeBinomial
    fit : SolverResult
        The solver's record, with ``params`` in the reported parametrisation.
    covariance : CovarianceResult
    retvals : dict
        statsmodels' ``mle_retvals``: ``converged``, ``iterations``, ``fopt``, ``warnflag``,
        ``fit_history``, ...
    settings : dict
        statsmodels' ``mle_settings``: ``optimizer``, ``start_params``, ``maxiter``.
    **record
        A subclass's own fields (kept for results with another covariance).
    """

    _retvals: dict[str, Any]
    _settings: dict[str, Any]

    def __init__(
        self,
        model: Any,
        fit: SolverResult,
        covariance: CovarianceResult,
        *,
        retvals: dict[str, Any],
        settings: dict[str, Any],
        **record: Any,
    ) -> None:
        super().__init__(model, fit, covariance, retvals=retvals, settings=settings, **record)
        object.__setattr__(self, "_retvals", dict(retvals))
        object.__setattr__(self, "_settings", dict(settings))

    @property
    def mle_retvals(self) -> dict[str, Any]:
        """How the optimisation ended (a copy): ``converged``, ``iterations``, ``fopt``, ..."""
        return dict(self._retvals)

    @property
    def mle_settings(self) -> dict[str, Any]:
        """How the optimisation was set up (a copy): ``optimizer``, ``start_params``, ..."""
        return dict(self._settings)

    @property
    def method(self) -> str:
        """``"MLE"``, as statsmodels; the solver is ``mle_settings["optimizer"]``."""
        return "MLE"

    # --- sizes --------------------------------------------------------------------------------

    @property
    def nobs(self) -> int:
        """Number of observations (an int, as statsmodels' discrete results)."""
        return int(self.model.nobs)

    @property
    def df_model(self) -> float:
        """``rank - 1`` (statsmodels assumes a constant)."""
        return self.model.df_model

    @property
    def df_resid(self) -> float:
        """``nobs - rank``."""
        return self.model.df_resid

    @property
    def k_constant(self) -> int:
        """1 if the design has a constant (explicit or implicit), else 0."""
        return self.model.k_constant

    # --- likelihood statistics ----------------------------------------------------------------

    @cached_property
    def llf(self) -> float:
        """Log-likelihood at the estimate."""
        return float(self.model.loglike(self.fit_result.params))

    @cached_property
    def llnull(self) -> float:
        """Log-likelihood of the constant-only model with the same offset and exposure."""
        return self.model.null_loglike()

    @property
    def llr(self) -> float:
        """Likelihood-ratio statistic ``-2 (llnull - llf)``."""
        return -2 * (self.llnull - self.llf)

    @property
    def llr_pvalue(self) -> float:
        """Chi-squared (``df_model`` degrees of freedom) p-value of :attr:`llr`."""
        return chi2_pvalue(self.llr, self.df_model)

    @property
    def prsquared(self) -> float:
        """McFadden's pseudo R-squared ``1 - llf / llnull``."""
        return 1 - self.llf / self.llnull

    @property
    def _k_information(self) -> float:
        return self.df_model + 1 + self.model.k_extra

    @property
    def aic(self) -> float:
        """``-2 (llf - (df_model + 1 + k_extra))``."""
        return -2 * (self.llf - self._k_information)

    @property
    def bic(self) -> float:
        """``-2 llf + log(nobs) (df_model + 1 + k_extra)``."""
        return -2 * self.llf + math.log(self.nobs) * self._k_information

    @property
    def scale(self) -> float:
        """1.0: the discrete models have no dispersion to estimate (statsmodels' ``scale``)."""
        return 1.0

    @cached_property
    def im_ratio(self) -> np.ndarray:
        """The information-matrix ratio ``(-H)^{-1} S'S`` (``V (-H)`` with a robust
        covariance ``V``), the identity when the model is correct (statsmodels')."""
        params = self.fit_result.params
        return im_ratio(
            self.model.hessian(params),
            self.model.score_obs(params),
            self.covariance.cov,
            nonrobust=self.cov_type == "nonrobust",
        )

    def info_criteria(self, crit: str, dk_params: float = 0) -> float | tuple[float, float]:
        """An information criterion, as statsmodels' ``DiscreteResults.info_criteria``.

        Parameters
        ----------
        crit : {"aic", "bic", "tic", "gbic"}
            ``aic`` and ``bic`` count ``df_model + 1 + k_extra + dk_params`` parameters and
            take ``log(df_model + df_resid + 1)``; ``tic`` is ``-2 llf + 2 trace(im_ratio)``;
            ``gbic`` returns ``(gbic, gbicp)`` (Lv and Liu 2014).
        dk_params : float
            Correction to the number of parameters (``aic``, ``bic``; ``gbic`` uses
            ``df_model + 1``, as statsmodels).

        Returns
        -------
        float, or (float, float) for ``"gbic"``
        """
        if isinstance(crit, str) and crit.lower() == "gbic":
            k_params = self.df_model + 1
            return info_criterion(
                "gbic", self.llf, k_params, k_params + self.df_resid, self.im_ratio
            )
        k_params = self.df_model + 1 + self.model.k_extra + dk_params
        nobs = self.df_model + self.df_resid + 1
        ratio = self.im_ratio if isinstance(crit, str) and crit.lower() == "tic" else None
        return info_criterion(crit, self.llf, k_params, nobs, ratio)

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
            Regressors whose joint omission is tested (Logit, Probit, Poisson).
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
            Required without ``exog_extra``.
        observed : bool
            Only the observed information is available (``False`` raises).

        Returns
        -------
        ScoreTestResult
            ``statistic, pvalue = result``; also ``distribution`` and ``k_constraint``.
        """
        return discrete_score_test(
            self,
            exog_extra,
            params_constrained,
            hypothesis,
            cov_type,
            cov_kwds,
            k_constraints,
            observed,
        )

    # --- fitted values and residuals ----------------------------------------------------------

    @cached_property
    def _fitted_linear(self) -> torch.Tensor:
        return self.model.design.exog @ self.fit_result.params[: self.model.design.k_exog]

    @cached_property
    def _fitted_mean(self) -> torch.Tensor:
        return self.model.predict(self.fit_result.params)

    @cached_property
    def _resid_response(self) -> torch.Tensor:
        return self.model.design.endog - self._fitted_mean

    @property
    def fittedvalues(self) -> Any:
        """Linear predictor ``X b`` without offset or exposure (statsmodels' definition)."""
        return self._output.observations(self._fitted_linear)

    @property
    def resid_response(self) -> Any:
        """``y - E(y)``, the mean including offset and exposure."""
        return self._output.observations(self._resid_response)

    @cached_property
    def _resid_pearson_tensor(self) -> torch.Tensor:
        variance = self.model.variance(self._fitted_mean, self.fit_result.params)
        return self._resid_response / torch.sqrt(variance)

    @property
    def resid_pearson(self) -> Any:
        """``(y - E(y)) / sqrt(Var(y))`` with the model's variance function."""
        return self._output.observations(self._resid_pearson_tensor)

    def get_margeff(
        self,
        at: str = "overall",
        method: str = "dydx",
        atexog: Any = None,
        dummy: bool = False,
        count: bool = False,
    ) -> DiscreteMargins:
        """Marginal effects with delta-method standard errors (statsmodels' ``get_margeff``).

        Parameters
        ----------
        at : {"overall", "mean", "median", "zero", "all"}
            Average of the effects at every observation (default), the effect at the
            regressors' means, medians or at zero (constant columns kept), or the effect at
            every observation (``margeff`` only).
        method : {"dydx", "eyex", "dyex", "eydx"}
            ``dy/dx``, ``d(lny)/d(lnx)``, ``dy/d(lnx)``, ``d(lny)/dx``.
        atexog : mapping or array-like, optional
            Regressor values to use before ``at`` applies: ``{column index or name: value
            or values}``, or design rows with ``k`` columns.
        dummy, count : bool
            Treat 0/1 (``dummy``) or non-negative integer (``count``) columns as discrete:
            the change from 0 to 1, or half the change from ``x - 1`` to ``x + 1``.

        Returns
        -------
        DiscreteMargins
            ``margeff``, ``margeff_se``, ``margeff_cov``, ``tvalues``, ``pvalues``,
            ``conf_int(alpha)``, ``summary(alpha)``, ``summary_frame(alpha)``.

        Notes
        -----
        The effects differentiate ``model.predict_mean`` by autograd, and the standard
        errors use the exact Jacobian of the effects (statsmodels differentiates
        numerically); the covariance is the fit's (robust if the fit is). With an exposure
        the effects are on the mean per unit of exposure (exposure one), as statsmodels;
        a model with an offset raises ``NotImplementedError``, as statsmodels.
        """
        return DiscreteMargins(self, (at, method, atexog, dummy, count))

    def get_influence(self) -> MLEInfluence:
        """One-step influence and outlier measures (statsmodels' ``MLEInfluence``)."""
        return MLEInfluence(self)

    # --- prediction ---------------------------------------------------------------------------

    def predict(
        self,
        exog: Any = None,
        transform: bool = True,
        which: str = "mean",
        offset: Any = None,
        exposure: Any = None,
        y_values: Any = None,
    ) -> Any:
        """Predictions at the estimate; in sample (with the fit's offset) when ``exog`` is None.

        Parameters
        ----------
        exog : DataFrame or array-like, optional
            New data: the original variables for formula models (transformed through the
            stored formula; an unseen level raises
            :class:`~torchstats.errors.UnseenLevelError`), else a design matrix.
        transform : bool
            Pass ``exog`` through the formula (default True).
        which : {"mean", "linear", "var", "prob"}
            The mean (probabilities or expected counts), linear predictor, variance, or
            (count models) the probability of each count in ``y_values``: an ``(m, K)``
            array, a DataFrame indexed by the new data's rows for pandas data.
        offset, exposure : array-like, optional
            For new data (zero and one when omitted, as statsmodels).
        y_values : array-like, optional
            The counts for ``which="prob"`` (default ``0..max(endog)``).
        """
        if which == "prob":
            return self._predict_prob(exog, transform, offset, exposure, y_values)
        X, index = self._prediction_exog(exog, transform, exposure, "predict")
        values = self.model.predict_at(
            self.fit_result.params,
            None if exog is None else X,
            offset=offset,
            exposure=exposure,
            which=which,
        )
        if exog is None:  # an array, as statsmodels (fittedvalues keeps the row labels)
            return self._output.plain(values)
        if index is None:  # plain arrays in, plain arrays out (statsmodels)
            return self._output.plain(values)
        return self._output.observations(values, index=index)

    def _prediction_exog(
        self, exog: Any, transform: bool, exposure: Any, caller: str
    ) -> tuple[torch.Tensor, Any]:
        """The design rows to predict at and their labels (the fit's own when ``exog`` is None)."""
        model, params = self.model, self.fit_result.params
        if exposure is not None and not model.accepts_exposure:
            raise TypeError(f"{type(model).__name__}.{caller} takes no exposure")
        if exog is None:
            return model.design.exog, self._output.row_index
        source = model.design if transform else replace(model.design, model_spec=None)
        return exog_for_prediction(source, exog, device=params.device, dtype=params.dtype)

    #: ``get_prediction(which=...)`` choices (the count models add ``"var"`` and ``"prob"``)
    _prediction_which: tuple[str, ...] = ("mean", "linear")

    def _predict_prob(
        self, exog: Any, transform: bool, offset: Any, exposure: Any, y_values: Any
    ) -> Any:
        raise InvalidOptionError(
            f"unknown which 'prob' for {type(self.model).__name__}: which='prob' is for "
            "count models; choose 'mean', 'linear' or 'var'"
        )

    def _delta_function(
        self, X: torch.Tensor | None, which: str, offset: Any, exposure: Any, y_values: Any
    ) -> Callable[[torch.Tensor], torch.Tensor]:
        """The prediction as a torch function of the parameters (for the delta method)."""
        model = self.model

        def predicted(params: torch.Tensor) -> torch.Tensor:
            return model.predict_at(params, X, offset=offset, exposure=exposure, which=which)

        return predicted

    def get_prediction(
        self,
        exog: Any = None,
        transform: bool = True,
        which: str = "mean",
        row_labels: Any = None,
        average: bool = False,
        agg_weights: Any = None,
        y_values: Any = None,
        offset: Any = None,
        exposure: Any = None,
    ) -> LinkPredictionResults | DeltaPredictionResults:
        """Predictions with standard errors and intervals (statsmodels' ``get_prediction``).

        ``which="mean"``: the interval maps the linear predictor's interval through the
        inverse link, the standard error is the delta method's; ``which="linear"``: the
        linear predictor. ``which="var"`` or ``"prob"`` (count models; ``prob`` at
        ``y_values``) or
        ``average=True`` (the mean over rows of the predictions times ``agg_weights``, not
        normalised): a :class:`DeltaPredictionResults` with delta-method standard errors
        from the exact Jacobian (statsmodels differentiates numerically). In sample
        (``exog`` None) the fit's offset and exposure are used, as :meth:`predict` does
        (statsmodels 0.15 drops them there).

        Parameters
        ----------
        exog : DataFrame or array-like, optional
            New data, as for :meth:`predict`.
        transform : bool
            Pass ``exog`` through the formula (default True).
        which : {"mean", "linear", "var", "prob"}
        row_labels : sequence, optional
            Index of the summary frame (default: the data's; none when averaged).
        average : bool
            Average the predictions over the rows.
        agg_weights : array-like, optional
            Row weights of the average (not normalised, as statsmodels).
        y_values : array-like, optional
            The counts for ``which="prob"`` (default ``0..max(endog)``).
        offset, exposure : array-like, optional
            For new data (zero and one when omitted, as statsmodels).
        """
        check_option(which, self._prediction_which, "which")
        params, model = self.fit_result.params, self.model
        X, index = self._prediction_exog(exog, transform, exposure, "get_prediction")
        if average or which in ("var", "prob"):
            function = self._delta_function(
                None if exog is None else X, which, offset, exposure, y_values
            )
            weights = None if agg_weights is None else _as_tensor(agg_weights, params)
            labels = None if average else (index if row_labels is None else row_labels)
            return delta_prediction(
                function,
                params,
                self.covariance.cov,
                average=average,
                agg_weights=weights,
                row_labels=labels,
            )
        linear = model.predict_at(
            params, None if exog is None else X, offset=offset, exposure=exposure, which="linear"
        )
        k = model.design.k_exog
        variance = prediction_variance(X, self.covariance.cov[:k, :k])
        mean = which == "mean"
        return LinkPredictionResults(
            linear,
            variance,
            df=self.df_resid if self.use_t else None,
            df_resid=self.df_resid,
            inverse_link=model.mean_of_linear if mean else None,
            derivative=model.mean_derivative if mean else None,
            row_labels=index if row_labels is None else row_labels,
        )

    # --- reporting ----------------------------------------------------------------------------

    def summary(
        self,
        yname: str | None = None,
        xname: list[str] | None = None,
        title: str | None = None,
        alpha: float = 0.05,
    ) -> Any:
        """statsmodels' discrete-model summary: header with ``converged:``, coefficient table.

        Returns
        -------
        Summary
            Printable, with ``as_text()``, ``as_html()`` and ``as_latex()``.
        """

        return discrete_summary(
            self, yname=yname, xname=xname, title=title, alpha=alpha, extra_txt=self._notes()
        )

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

    def _notes(self) -> list[str]:
        return []

    def __repr__(self) -> str:
        return f"<torchstats.{type(self).__name__} {self.model!r}>"


class BinaryResults(_DiscreteResults):
    """A fitted Logit or Probit model (statsmodels' ``LogitResults``/``ProbitResults``)."""

    _prediction_which = ("mean", "linear", "var")

    def pred_table(self, threshold: float = 0.5) -> Any:
        """2x2 table: rows observed 0/1, columns predicted 0/1 (``p > threshold``).

        Returns
        -------
        ndarray (tensor for torch input), shape (2, 2)
            Counts as floats, as statsmodels' ``np.histogram2d``.
        """
        y = self.model.design.endog
        observed = (y >= 0.5).long()
        predicted = (self._fitted_mean > threshold).long()
        counts = torch.bincount(2 * observed + predicted, minlength=4).reshape(2, 2)
        return self._output.plain(counts.to(y.dtype))

    @property
    def resid_dev(self) -> Any:
        """Deviance residuals ``sign(y - p) sqrt(-2 log L_i)`` for a 0/1 response."""
        y, p = self.model.design.endog, self._fitted_mean
        values = -(1 - y) * torch.sqrt(2 * torch.abs(torch.log1p(-p))) + y * torch.sqrt(
            2 * torch.abs(torch.log(p))
        )
        return self._output.observations(values)

    @property
    def resid_generalized(self) -> Any:
        """Generalised residuals: ``y - p`` (Logit); ``y phi/Phi - (1-y) phi/(1-Phi)`` (Probit)."""
        return self._output.observations(self.model.generalized_residuals(self.fit_result.params))

    def get_distribution(self, exog: Any = None, transform: bool = True, offset: Any = None) -> Any:
        """scipy's frozen ``bernoulli(p)`` at the predicted probabilities (statsmodels)."""
        mean = self.predict(exog, transform=transform, offset=offset)
        return stats.bernoulli(np.asarray(_host(mean)))

    def _notes(self) -> list[str]:
        """statsmodels' separation note: fitted ``cdf(X b)`` (no offset) within 1e-4 of y."""

        return separation_note(self.model.design.endog, self.model.cdf(self._fitted_linear))


class _CountResults(_DiscreteResults):
    """Predictive distributions of the count models; not public."""

    @property
    def resid_response(self) -> Any:
        """``y - E(y)``, the mean including offset and exposure (an array for pandas data
        too, as statsmodels' count results)."""
        return self._output.plain(self._resid_response)

    @property
    def resid_pearson(self) -> Any:
        """``(y - E(y)) / sqrt(Var(y))`` (an array, as statsmodels' count results)."""
        return self._output.plain(self._resid_pearson_tensor)

    _prediction_which = ("mean", "linear", "var", "prob")

    def _dispersion(self, params: torch.Tensor) -> tuple[str | None, torch.Tensor | None]:
        method = getattr(self.model, "loglike_method", None)
        return method, params[-1] if method in ("nb2", "nb1") else None

    def _delta_function(
        self, X: torch.Tensor | None, which: str, offset: Any, exposure: Any, y_values: Any
    ) -> Callable[[torch.Tensor], torch.Tensor]:
        if which != "prob":
            return super()._delta_function(X, which, offset, exposure, y_values)
        model = self.model
        counts = count_y_values(y_values, model.design.endog)

        def probabilities(params: torch.Tensor) -> torch.Tensor:
            mean = model.predict_at(params, X, offset=offset, exposure=exposure, which="mean")
            return self._count_probabilities(params, mean, counts)

        return probabilities

    def _count_probabilities(
        self, params: torch.Tensor, mean: torch.Tensor, counts: torch.Tensor
    ) -> torch.Tensor:
        """``P(y = k)``, shape ``(m, K)``, at the means ``(m,)`` and counts ``(K,)``: the
        model's distribution, a differentiable function of ``params``."""
        method, alpha = self._dispersion(params)
        return count_pmf(mean, counts, loglike_method=method, alpha=alpha)

    def _predict_prob(
        self, exog: Any, transform: bool, offset: Any, exposure: Any, y_values: Any
    ) -> Any:
        X, index = self._prediction_exog(exog, transform, exposure, "predict")
        params = self.fit_result.params
        values = self._delta_function(
            None if exog is None else X, "prob", offset, exposure, y_values
        )(params)
        if exog is None or index is None or self._output.kind != "pandas":
            return self._output.plain(values)  # statsmodels: an array in sample
        return pd.DataFrame(_host(values), index=index)

    def get_distribution(
        self, exog: Any = None, transform: bool = True, offset: Any = None, exposure: Any = None
    ) -> Any:
        """scipy's frozen distribution at the predicted means (statsmodels'
        ``get_distribution``): ``poisson(mu)``, ``nbinom(size, prob)`` (``size = 1/alpha``
        for nb2, ``mu/alpha`` for nb1) or ``geom(1/(1+mu), loc=-1)``."""
        mean = self.predict(exog, transform=transform, offset=offset, exposure=exposure)
        method, alpha = self._dispersion(self.fit_result.params)
        return count_distribution(
            np.asarray(_host(mean)),
            loglike_method=method,
            alpha=None if alpha is None else float(alpha),
        )

    def get_diagnostic(self, y_max: int | None = None) -> CountDiagnostic:
        """Specification tests of the count model (statsmodels' ``CountDiagnostic``)."""
        return CountDiagnostic(self, y_max=y_max)


class CountResults(_CountResults):
    """A fitted Poisson model (statsmodels' ``PoissonResults``)."""

    @property
    def resid(self) -> Any:
        """``y - E(y)`` (statsmodels' ``CountResults.resid``), labelled by row."""
        return self._output.observations(self._resid_response)

    def predict_prob(
        self,
        n: Any = None,
        exog: Any = None,
        exposure: Any = None,
        offset: Any = None,
        transform: bool = True,
    ) -> Any:
        """Probabilities of the counts ``n`` (default ``0..max(endog)``), shape ``(m, K)``:
        ``predict(which="prob", y_values=n)`` as an array (statsmodels' ``predict_prob``)."""
        values = self.predict(
            exog, transform=transform, which="prob", offset=offset, exposure=exposure, y_values=n
        )
        return values.to_numpy() if isinstance(values, pd.DataFrame) else values

    def get_diagnostic(self, y_max: int | None = None) -> PoissonDiagnostic:
        """Specification tests of the Poisson model (statsmodels' ``PoissonDiagnostic``):
        dispersion and zero-inflation tests."""
        return PoissonDiagnostic(self, y_max=y_max)


class NegativeBinomialResults(_CountResults):
    """A fitted negative binomial model (statsmodels' ``NegativeBinomialResults``)."""

    @property
    def resid(self) -> Any:
        """``y - E(y)``, labelled by row."""
        return self._output.observations(self._resid_response)

    @property
    def lnalpha(self) -> float:
        """``log(alpha)``."""
        return float(torch.log(self.fit_result.params[-1]))

    @property
    def lnalpha_std_err(self) -> float:
        """``bse(alpha) / alpha``: the delta-method standard error of ``log(alpha)``."""
        return float(self._bse[-1] / self.fit_result.params[-1])

    @property
    def _k_information(self) -> float:
        # statsmodels' NegativeBinomialResults counts k_constant here, not an assumed 1.
        return self.df_model + self.k_constant + self.model.k_extra


def _host(values: Any) -> Any:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def _as_tensor(values: Any, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values, dtype=float), dtype=like.dtype, device=like.device)
