"""Results of a least-squares fit, with statsmodels' ``RegressionResults`` names and values."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats._device import OutputFormat
from torchstats._typing import check_option
from torchstats.covariance.nonrobust import parameter_units
from torchstats.covariance.result import lost_range, out_of_range
from torchstats.errors import NumericalRangeError, TorchstatsWarning, warn
from torchstats.formula.newdata import exog_for_prediction
from torchstats.inference.compare import TestResult, regression_lm_test
from torchstats.inference.degrees_of_freedom import per_degree_of_freedom as _ratio
from torchstats.inference.distributions import chi2_pvalue, f_pvalue
from torchstats.results.base import LikelihoodResults
from torchstats.results.influence import OLSInfluence, outlier_test
from torchstats.results.prediction import PredictionResults
from torchstats.solvers.leverage import OrthonormalBasis
from torchstats.structured.block_matrix import row_quadratic
from torchstats.summary.layouts import regression_summary
from torchstats.summary.summary2 import regression_summary2

__all__ = ["RegressionResults"]

_CRITERIA = ("aic", "bic", "aicc", "hqic")


class RegressionResults(LikelihoodResults):
    """A fitted OLS or WLS model.

    Every statistic statsmodels' ``RegressionResults`` reports is available under the same
    name with the same value: ``params``, ``bse``, ``tvalues``, ``pvalues``, ``conf_int()``,
    ``cov_params()``, ``rsquared``, ``fvalue``, ``llf``, ``aic``, ``resid``,
    ``fittedvalues``, ``summary()``... Sums of squares use the weighted (whitened) residuals;
    ``resid`` and ``fittedvalues`` are on the original scale, as in statsmodels.
    """

    _robust_results_unlabelled = True

    # --- residuals and fitted values --------------------------------------------------------

    @cached_property
    def _fitted(self) -> torch.Tensor:
        return self.model.design.exog @ self.fit_result.params

    @cached_property
    def _resid(self) -> torch.Tensor:
        return self.model.design.endog - self._fitted

    @cached_property
    def _wresid(self) -> torch.Tensor:
        return self.model.fit_wresid(self.fit_result)

    @cached_property
    def _basis(self) -> OrthonormalBasis | None:
        return self.model.orthonormal_basis(self.fit_result)

    @cached_property
    def _leverage(self) -> torch.Tensor:
        return self.model.leverage(self.fit_result, self._basis)

    @property
    def fittedvalues(self) -> Any:
        """``X @ params``, labelled by the rows used in the fit."""
        return self._output.observations(self._fitted)

    @property
    def resid(self) -> Any:
        """``y - X @ params``, labelled by the rows used in the fit."""
        return self._output.observations(self._resid)

    @property
    def wresid(self) -> Any:
        """Whitened residuals ``sqrt(w) * (y - X @ params)``."""
        return self._output.observations(self._wresid)

    @property
    def resid_pearson(self) -> Any:
        """Whitened residuals over ``sqrt(scale)`` (statsmodels' ``resid_pearson``).

        An array (a tensor for tensor input), as statsmodels returns one. When the scale is
        zero to rounding (a perfect fit) the whitened residuals are returned undivided,
        with a warning, as statsmodels does.
        """
        wresid = self._wresid
        eps = torch.finfo(wresid.dtype).eps
        if math.sqrt(self.scale) < 10 * eps * float(self.model.design.endog.mean()):
            warn("All residuals are 0, cannot compute normed residuals.", TorchstatsWarning)
            values = wresid
        else:
            values = wresid / math.sqrt(self.scale)
        return values if self._output.kind == "torch" else values.detach().cpu().numpy()

    # --- degrees of freedom ------------------------------------------------------------------

    @property
    def nobs(self) -> float:
        """Number of observations used."""
        return float(self.model.design.nobs)

    @property
    def rank(self) -> int:
        """Numerical rank of the (whitened) design."""
        return self.fit_result.rank

    @property
    def k_constant(self) -> int:
        """1 if the design has a constant (explicit or implicit), else 0."""
        return self.model.k_constant

    @property
    def df_model(self) -> float:
        """``rank - k_constant``."""
        return float(self.rank - self.k_constant)

    @property
    def df_resid(self) -> float:
        """``nobs - rank``."""
        return float(self.model.design.nobs - self.rank)

    # --- sums of squares -----------------------------------------------------------------------
    # Sums of squares are kept divided by c^2, c the fit's response scale (1 unless the
    # response lies beyond 2^±480, see solvers.scaling.response_scale): ratios such as
    # R-squared and F come from those, and a sum itself is c^2 times it, refused with
    # NumericalRangeError where that leaves float64 (a response scaled by 1e300: 1e600).

    @property
    def _c(self) -> float:
        return self.fit_result.response_scale

    def _per_c(self, values: torch.Tensor) -> torch.Tensor:
        return values if self._c == 1.0 else values / self._c

    def _in_response_units(self, scaled: float, name: str) -> float:
        """``c^2 * scaled``, the value of a sum of squares (or a variance) ``name``."""
        if self._c == 1.0 or not math.isfinite(scaled):
            return scaled
        exponent = 2 * int(math.log2(self._c))
        try:
            value = math.ldexp(scaled, exponent)
        except OverflowError:
            value = math.inf
        if scaled != 0 and not sys.float_info.min <= abs(value) < math.inf:
            raise NumericalRangeError(
                f"{name} is {scaled:.6g} x 2^{exponent}, beyond float64's range: the response "
                f"is scaled by about 1e{round(math.log10(self._c))}. R-squared, F, the "
                "log-likelihood and the standard errors are computed in scaled form and are "
                f"right; rescale the response (e.g. divide it by a power of ten) for {name}"
            )
        return value

    @cached_property
    def _ssr_scaled(self) -> float:
        return self.model.fit_ssr_scaled(self.fit_result)

    @cached_property
    def _centered_tss_scaled(self) -> float:
        y = self._per_c(self.model.design.endog)
        weights = self.model.row_weights
        w = torch.ones_like(y) if weights is None else weights
        mean = (w @ y) / w.sum()
        return float(w @ (y - mean) ** 2)

    @cached_property
    def _uncentered_tss_scaled(self) -> float:
        wy = self._per_c(self.model.whitened_endog)
        return float(wy @ wy)

    @property
    def _tss_scaled(self) -> float:
        return self._centered_tss_scaled if self.k_constant else self._uncentered_tss_scaled

    @property
    def _ess_scaled(self) -> float:
        return self._tss_scaled - self._ssr_scaled

    @property
    def ssr(self) -> float:
        """Sum of squared (whitened) residuals."""
        return self._in_response_units(self._ssr_scaled, "ssr")

    @property
    def centered_tss(self) -> float:
        """Total sum of squares about the (weighted) mean."""
        return self._in_response_units(self._centered_tss_scaled, "centered_tss")

    @property
    def uncentered_tss(self) -> float:
        """Sum of squares of the whitened response."""
        return self._in_response_units(self._uncentered_tss_scaled, "uncentered_tss")

    @property
    def ess(self) -> float:
        """Explained sum of squares (uncentered without a constant)."""
        return self._in_response_units(self._ess_scaled, "ess")

    @cached_property
    def _response_constant(self) -> bool:
        """Whether the response is constant over the rows that count (centered; all zeros
        uncentered), for which R-squared and the F statistic are ``0 / 0`` (statsmodels: NaN
        or numbers of rounding noise). Compared value by value: a bound on the centered sum
        of squares, ``(n eps)^2`` times the uncentered one, judged an ordinary float32
        response constant (sd / mean below 0.12 at 1e6 rows) and made R-squared NaN."""
        if not self.k_constant:
            return self._tss_scaled == 0
        y, weights = self.model.design.endog, getattr(self.model, "row_weights", None)
        if y.shape[0] != self.nobs:  # streamed: the rows are not kept; sums of squares
            eps = torch.finfo(y.dtype).eps
            return self._tss_scaled <= (self.nobs * eps) ** 2 * self._uncentered_tss_scaled
        used = y if weights is None else y[weights > 0]
        return used.numel() == 0 or bool((used == used[0]).all())

    @property
    def rsquared(self) -> float:
        """R-squared; uncentered when the model has no constant, as statsmodels. NaN for a
        constant response (``0 / 0``)."""
        if self._response_constant:
            return math.nan
        return 1 - self._ssr_scaled / self._tss_scaled

    @property
    def rsquared_adj(self) -> float:
        """Adjusted R-squared ``1 - (n - k_constant) / df_resid * (1 - R^2)``."""
        return 1 - _ratio(self.nobs - self.k_constant, self.df_resid) * (1 - self.rsquared)

    @property
    def _mse_model_scaled(self) -> float:
        return math.nan if self.df_model == 0 else _ratio(self._ess_scaled, self.df_model)

    @property
    def _mse_resid_scaled(self) -> float:
        return math.nan if self.df_resid == 0 else self._ssr_scaled / self.df_resid

    @property
    def mse_model(self) -> float:
        """``ess / df_model``; NaN when there is no regressor besides the constant."""
        return self._in_response_units(self._mse_model_scaled, "mse_model")

    @property
    def mse_resid(self) -> float:
        """``ssr / df_resid``; NaN when ``df_resid`` is 0 (statsmodels)."""
        return self._in_response_units(self._mse_resid_scaled, "mse_resid")

    @property
    def mse_total(self) -> float:
        """Total sum of squares over ``df_resid + df_model``."""
        scaled = _ratio(self._tss_scaled, self.df_resid + self.df_model)
        return self._in_response_units(scaled, "mse_total")

    @property
    def scale(self) -> float:
        """Estimated error variance ``ssr / df_resid``; the given scale under
        ``cov_type="fixed scale"`` (as statsmodels)."""
        fixed = self.covariance.kwds.get("scale")
        if fixed is not None:
            return float(fixed)
        return self._in_response_units(_ratio(self._ssr_scaled, self.df_resid), "scale")

    @property
    def normalized_cov_params(self) -> Any:
        """``(X'WX)^{-1}``: the inverse Hessian per unit of scale."""
        fit = self.fit_result
        assert fit.normalized_cov is not None
        scaled = fit.scaled_normalized_cov
        if self._units is not None and scaled is not None:
            if lost_range(fit.normalized_cov, scaled):
                raise out_of_range("normalized_cov_params")
        return self._output.matrix(fit.normalized_cov)

    @cached_property
    def _units(self) -> torch.Tensor | None:
        """The parameters' units ``c / d`` when the covariance may leave float64's range
        (a response scale ``c`` other than 1, or columns scaled beyond 2^±256), else None."""
        return parameter_units(self.fit_result)

    # --- tests and information criteria --------------------------------------------------------

    @property
    def fvalue(self) -> float:
        """F statistic of the hypothesis that all non-constant coefficients are zero.

        With a robust covariance it is the Wald F test of that hypothesis using that
        covariance (statsmodels); NaN when the constant is implicit or nothing is tested.
        """
        if self.cov_type == "nonrobust":
            if self._response_constant:
                return math.nan
            return _ratio(self._mse_model_scaled, self._mse_resid_scaled)
        return self._robust_f[0]

    @property
    def f_pvalue(self) -> float:
        """p-value of :attr:`fvalue`."""
        if self.cov_type != "nonrobust":
            return self._robust_f[1]
        if math.isnan(self.fvalue):
            return math.nan
        return f_pvalue(self.fvalue, self.df_model, self.df_resid)

    @cached_property
    def _robust_f(self) -> tuple[float, float]:
        k = self.fit_result.params.shape[0]
        keep = list(range(k))
        if self.k_constant == 1:
            if self.model.const_idx is None:  # statsmodels #2444: implicit constant
                return math.nan, math.nan
            keep.pop(self.model.const_idx)
        if not keep:
            return math.nan, math.nan
        beta = self.fit_result.params[keep]
        cov = self.covariance.cov[keep][:, keep]
        # A cluster covariance with fewer clusters than constraints is singular: statsmodels'
        # wald_test then uses the pseudo-inverse and the rank as numerator df; so do we.
        # (numpy's matrix_rank: two-way cluster covariances can be indefinite)
        singular = torch.linalg.eigvalsh(cov).abs()
        rank = int((singular > singular.max() * len(keep) * torch.finfo(cov.dtype).eps).sum())
        wald = float(beta @ torch.linalg.pinv(cov, hermitian=True) @ beta)
        statistic = wald / rank
        return statistic, f_pvalue(statistic, rank, self.covariance.df_resid)

    @cached_property
    def llf(self) -> float:
        """Gaussian log-likelihood at the estimate."""
        return float(self.model.loglike(self.fit_result.params))

    @property
    def aic(self) -> float:
        """``-2 llf + 2 (df_model + k_constant)``."""
        return -2 * self.llf + 2 * (self.df_model + self.k_constant)

    @property
    def bic(self) -> float:
        """``-2 llf + log(nobs) (df_model + k_constant)``."""
        return -2 * self.llf + math.log(self.nobs) * (self.df_model + self.k_constant)

    def info_criteria(self, crit: str, dk_params: float = 0) -> float:
        """An information criterion with ``df_model + k_constant + dk_params`` parameters.

        Parameters
        ----------
        crit : {"aic", "bic", "aicc", "hqic"}
            The criterion (any case).
        dk_params : float
            Added to the parameter count; ``dk_params=1`` counts the error variance.

        Returns
        -------
        float
            ``-2 llf + 2 k`` (aic), ``-2 llf + log(n) k`` (bic), ``-2 llf + 2 k n / (n - k - 1)``
            (aicc; inf when ``n - k - 1 <= 0``) or ``-2 llf + 2 log(log(n)) k`` (hqic).

        Notes
        -----
        statsmodels' ``RegressionResults.info_criteria``.
        """
        kind = check_option(crit.lower() if isinstance(crit, str) else crit, _CRITERIA, "crit")
        k_params = self.df_model + self.k_constant + dk_params
        if kind == "aic":
            return -2 * self.llf + 2 * k_params
        if kind == "bic":
            return -2 * self.llf + math.log(self.nobs) * k_params
        if kind == "aicc":
            effective = self.nobs - k_params - 1.0  # statsmodels' aicc: inf without dof
            if effective <= 0:
                return math.inf
            return -2 * self.llf + 2 * k_params * self.nobs / effective
        return -2 * self.llf + 2 * math.log(math.log(self.nobs)) * k_params

    # --- heteroskedasticity-robust covariances (statsmodels' lazy attributes) ---------------------

    @cached_property
    def _hc_covariances(self) -> dict[str, torch.Tensor]:
        return {}

    def _hc_cov(self, kind: str) -> torch.Tensor:
        """The ``cov_type=kind`` covariance, computed once per results object."""
        cache = self._hc_covariances
        if kind not in cache:
            cache[kind] = self.model.covariance(self.fit_result, kind, None, None).cov
        return cache[kind]

    def _hc_se(self, kind: str) -> Any:
        return self._output.params(torch.sqrt(torch.diagonal(self._hc_cov(kind))))

    @property
    def cov_HC0(self) -> Any:  # noqa: N802 - statsmodels' name
        """White's covariance ``(X'WX)^-1 (sum w_i e_i^2 x_i x_i') (X'WX)^-1``: an array (a
        tensor for tensor input), the ``cov_params()`` of ``fit(cov_type="HC0")``."""
        return self._output.plain(self._hc_cov("HC0"))

    @property
    def cov_HC1(self) -> Any:  # noqa: N802 - statsmodels' name
        """:attr:`cov_HC0` times ``nobs / df_resid`` (``cov_type="HC1"``)."""
        return self._output.plain(self._hc_cov("HC1"))

    @property
    def cov_HC2(self) -> Any:  # noqa: N802 - statsmodels' name
        """HC0 with squared residuals over ``1 - h_i`` (``cov_type="HC2"``)."""
        return self._output.plain(self._hc_cov("HC2"))

    @property
    def cov_HC3(self) -> Any:  # noqa: N802 - statsmodels' name
        """HC0 with squared residuals over ``(1 - h_i)^2`` (``cov_type="HC3"``)."""
        return self._output.plain(self._hc_cov("HC3"))

    @property
    def HC0_se(self) -> Any:  # noqa: N802 - statsmodels' name
        """Standard errors from :attr:`cov_HC0` (labelled, as :attr:`bse`)."""
        return self._hc_se("HC0")

    @property
    def HC1_se(self) -> Any:  # noqa: N802 - statsmodels' name
        """Standard errors from :attr:`cov_HC1`."""
        return self._hc_se("HC1")

    @property
    def HC2_se(self) -> Any:  # noqa: N802 - statsmodels' name
        """Standard errors from :attr:`cov_HC2`."""
        return self._hc_se("HC2")

    @property
    def HC3_se(self) -> Any:  # noqa: N802 - statsmodels' name
        """Standard errors from :attr:`cov_HC3`."""
        return self._hc_se("HC3")

    # --- conditioning -----------------------------------------------------------------------------

    @cached_property
    def eigenvals(self) -> np.ndarray:
        """Eigenvalues of ``X'WX``, descending (squared singular values of the whitened design)."""
        values = self.fit_result.singular_values
        assert values is not None  # every least-squares solver provides them
        return np.sort((values.detach().cpu().double().numpy()) ** 2)[::-1].copy()

    @property
    def condition_number(self) -> float:
        """``sqrt(max eigenvalue / min eigenvalue)`` of ``X'WX``."""
        eigenvals = self.eigenvals
        return float(np.sqrt(eigenvals[0] / eigenvals[-1])) if eigenvals[-1] > 0 else math.inf

    # --- prediction and reporting ----------------------------------------------------------------

    def predict(self, exog: Any = None, transform: bool = True) -> Any:
        """Predictions ``exog @ params``; the fitted values when ``exog`` is None.

        For formula models ``exog`` is a DataFrame of the original variables, transformed
        through the stored formula (categorical levels and stateful transforms carry over;
        rows with missing values give NaN). An unseen categorical level raises
        :class:`~torchstats.errors.UnseenLevelError`.
        """
        if exog is None:  # an array, as statsmodels (fittedvalues keeps the row labels)
            return self._output.plain(self._fitted)
        design = self.model.design
        params = self.fit_result.params
        source = design if transform else replace(design, model_spec=None)
        X, index = exog_for_prediction(source, exog, device=params.device, dtype=params.dtype)
        if index is None:  # an array as the design (transform=False): an array, as statsmodels
            return self._output.plain(X @ params)
        return self._output.observations(X @ params, index=index)

    # --- covariances -----------------------------------------------------------------------------

    def get_prediction(
        self,
        exog: Any = None,
        transform: bool = True,
        weights: Any = None,
        row_labels: Any = None,
    ) -> PredictionResults:
        """Predicted means with standard errors, confidence and prediction intervals.

        Parameters
        ----------
        exog : DataFrame or array-like, optional
            New data (through the formula when ``transform``); the fitted data if None.
        transform : bool
            Pass ``exog`` through the model's formula.
        weights : array-like, optional
            WLS weights of the new observations, dividing the residual variance of the
            prediction intervals; for the fitted data the model's weights are used.
        row_labels : sequence, optional
            Index of :meth:`PredictionResults.summary_frame`.

        Returns
        -------
        PredictionResults
            ``summary_frame(alpha)`` has ``mean, mean_se, mean_ci_lower, mean_ci_upper,
            obs_ci_lower, obs_ci_upper``, as statsmodels.
        """
        design = self.model.design
        params = self.fit_result.params
        if exog is None:
            X = design.exog
            index = design.row_index
            if weights is None and self.model.row_weights is not None:
                weights = self.model.row_weights
        else:
            source = design if transform else replace(design, model_spec=None)
            X, index = exog_for_prediction(source, exog, device=params.device, dtype=params.dtype)
        var_resid = torch.full((X.shape[0],), self.scale, dtype=X.dtype, device=X.device)
        if weights is not None:
            # a Series by position, as statsmodels (torch reads a Series by its labels)
            given = np.asarray(weights, dtype=np.float64)
            var_resid = var_resid / torch.as_tensor(given, dtype=X.dtype, device=X.device)
        return PredictionResults(
            X @ params,
            row_quadratic(X, self.covariance.checked_cov()),
            df=self.df_resid if self.use_t else None,
            df_resid=self.df_resid,
            var_resid=var_resid,
            row_labels=pd.Index(row_labels) if row_labels is not None else index,
        )

    def compare_f_test(self, restricted: RegressionResults) -> TestResult:
        """F test of this model against a nested ``restricted`` one (statsmodels).

        Returns
        -------
        TestResult
            Unpacks as ``(f_value, p_value, df_diff)``, statsmodels' tuple; warns with robust
            covariances, under which the test is not valid.
        """
        _warn_if_robust(self, restricted, "F test for comparison")
        df_diff = restricted.df_resid - self.df_resid
        f_value = (restricted.ssr - self.ssr) / df_diff / self.ssr * self.df_resid
        return TestResult(
            f_value, float(f_pvalue(f_value, df_diff, self.df_resid)), df_diff, "F", self.df_resid
        )

    def compare_lr_test(
        self, restricted: RegressionResults, large_sample: bool = False
    ) -> TestResult:
        """Likelihood-ratio test against a nested ``restricted`` model.

        Parameters
        ----------
        restricted : RegressionResults
            A fit of a model nested in this one, on the same rows.
        large_sample : bool
            The heteroskedasticity-robust form: :meth:`compare_lm_test` with
            ``use_lr=True``, as statsmodels.

        Returns
        -------
        TestResult
            Unpacks as ``(lr_stat, p_value, df_diff)`` (statsmodels' ``CompareLRTestResult``:
            also ``.statistic``, ``.pvalue``, ``.df_diff``).
        """
        if large_sample:
            return self.compare_lm_test(restricted, use_lr=True)
        _warn_if_robust(self, restricted, "Likelihood Ratio test")
        df_diff = restricted.df_resid - self.df_resid
        statistic = -2 * (restricted.llf - self.llf)
        return TestResult(
            statistic, float(chi2_pvalue(statistic, df_diff)), df_diff, "likelihood-ratio"
        )

    def compare_lm_test(
        self, restricted: RegressionResults, demean: bool = True, use_lr: bool = False
    ) -> TestResult:
        """Lagrange-multiplier test of a nested ``restricted`` model (statsmodels).

        Parameters
        ----------
        restricted : RegressionResults
            A fit of a model nested in this one, on the same rows.
        demean : bool
            Centre the scores ``x_i e_i`` of the restricted residuals before estimating their
            covariance (the LM test then equals the large-sample LR test).
        use_lr : bool
            Estimate the covariance of the scores from this (full) model's residuals.

        Returns
        -------
        TestResult
            Unpacks as ``(lm_value, p_value, df_diff)``. The covariance of the scores follows
            this fit's ``cov_type`` (nonrobust, HC0-HC3, HAC with Bartlett weights, one-way
            cluster), as statsmodels.

        Raises
        ------
        ValueError
            The restricted model is not nested in this one.
        """
        wexog = self._host_dense(self.model.whitened_exog)
        wresid_full = self._host(self._wresid)
        wresid_restricted = self._host(restricted._wresid)
        restricted_wexog = self._host_dense(restricted.model.whitened_exog)
        if not _is_nested(wexog, wresid_full, restricted_wexog, self.rank, restricted.rank):
            raise ValueError("Restricted model is not nested by full model.")
        kwds = self.cov_kwds
        return regression_lm_test(
            wexog,
            wresid_restricted,
            wresid_full,
            restricted.df_resid - self.df_resid,
            cov_type=self.cov_type,
            maxlags=kwds.get("maxlags"),
            groups=kwds.get("groups"),
            demean=demean,
            use_lr=use_lr,
        )

    def _host_dense(self, matrix: Any) -> np.ndarray:
        dense = matrix if isinstance(matrix, torch.Tensor) else matrix.to_dense()
        return self._host(dense)

    def get_influence(self) -> OLSInfluence:
        """Outlier and influence measures (leverage, Cook's distance, DFBETAS, ...).

        Computed from closed-form leave-one-out identities, never the ``n x n`` hat matrix.

        Raises
        ------
        NumericalRangeError
            When the data are scaled so far that the measures' units leave float64.
        """
        self._require_data_units("Influence measures")
        return OLSInfluence(self)

    def outlier_test(
        self,
        method: str = "bonf",
        alpha: float = 0.05,
        labels: Any = None,
        order: bool = False,
        cutoff: float | None = None,
    ) -> Any:
        """Test each observation for being an outlier (statsmodels' ``outlier_test``).

        Externally studentized residuals with two-sided t p-values (``df_resid - 1``
        degrees of freedom) adjusted by ``multipletests(method)``; a DataFrame with columns
        ``student_resid, unadj_p, <method>(p)`` (an array without row labels). See
        :func:`torchstats.stats.outlier_test`.
        """
        return outlier_test(
            self, method=method, alpha=alpha, labels=labels, order=order, cutoff=cutoff
        )

    def _summary_notes(self) -> list[str]:
        notes = []
        if self.rank < self.model.design.k_exog:
            notes.append(
                f"The design matrix is rank deficient (rank {self.rank} < "
                f"{self.model.design.k_exog} columns); the minimum-norm solution is reported and "
                "some parameters are not identified."
            )
        if not self.converged:
            notes.append(f"The solver ({self.method}) did not converge: {self.fit_result.message}.")
        return notes

    def summary(
        self,
        yname: str | None = None,
        xname: list[str] | None = None,
        title: str | None = None,
        alpha: float = 0.05,
        slim: bool = False,
    ) -> Any:
        """statsmodels' regression summary: header, coefficient table, diagnostics and notes.

        Returns
        -------
        Summary
            Printable (``str``), with ``as_text()``, ``as_html()`` (and ``_repr_html_`` for
            Jupyter) and ``as_latex()``.
        """

        return regression_summary(
            self,
            yname=yname,
            xname=xname,
            title=title,
            alpha=alpha,
            slim=slim,
            extra_notes=self._summary_notes(),
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

        return regression_summary2(
            self, yname=yname, xname=xname, title=title, alpha=alpha, float_format=float_format
        )

    @cached_property
    def _results(self) -> RegressionResults:
        """statsmodels' unwrapped results, which its plots and ``OLSInfluence`` read through
        ``maybe_unwrap_results``: this fit with plain numpy attributes (``params``,
        ``resid``, ``fittedvalues``, ``cov_params()``...) for position-based indexing."""
        if self._output.kind == "numpy":
            return self
        return _PlainRegressionResults(self.model, self.fit_result, self.covariance)

    def __repr__(self) -> str:
        return f"<torchstats.RegressionResults {self.model!r}>"


class _PlainRegressionResults(RegressionResults):
    """A least-squares fit reporting plain numpy arrays whatever the input (``_results``)."""

    @cached_property
    def _output(self) -> OutputFormat:
        return replace(self.model.design.output, kind="numpy")


def _is_nested(
    wexog: np.ndarray,
    wresid_full: np.ndarray,
    restricted_wexog: np.ndarray,
    full_rank: int,
    restricted_rank: int,
) -> bool:
    """statsmodels' ``_is_nested``: same rows, more columns, and the full fit's residuals
    orthogonal to the restricted design (relative to the scale of the scores, where
    statsmodels' check is absolute)."""
    if wexog.shape[0] != restricted_wexog.shape[0] or full_rank <= restricted_rank:
        return False
    scores = restricted_wexog * wresid_full[:, None]
    scale = np.sqrt(np.mean(np.abs(restricted_wexog) ** 2)) * np.sqrt(np.mean(wresid_full**2))
    return bool(np.sqrt(np.mean(scores.mean(axis=0) ** 2)) <= 1e-8 * max(scale, 1e-300))


def _warn_if_robust(full: Any, restricted: Any, test: str) -> None:
    if full.cov_type != "nonrobust" or restricted.cov_type != "nonrobust":
        warn(
            f"{test} is likely invalid with robust covariance, proceeding anyway", TorchstatsWarning
        )
