"""Results of a least-squares fit with absorbed fixed effects.

statsmodels' names (``params``, ``bse``, ``tvalues``, ``pvalues``, ``conf_int()``,
``cov_params()``, ``t_test``, ``wald_test``, ``resid``, ``fittedvalues``, ``rsquared``,
``predict``, ``summary()``) and pyfixest's (``coef()``, ``se()``, ``tstat()``,
``pvalue()``, ``confint()``, ``tidy()``, ``fixef()``, ``vcov()``, ``r2_within``). Inference
uses Student's t with fixest's degrees of freedom (see
:mod:`torchstats.covariance.fixest`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.results.base import LikelihoodResults
from torchstats.results.pyfixest_tables import PyfixestTables

__all__ = ["FixedEffectsResults"]


class FixedEffectsResults(PyfixestTables, LikelihoodResults):
    """What a fixed-effects least-squares fit reports (see the module notes)."""

    # --- sizes ------------------------------------------------------------------------------

    @property
    def nobs(self) -> float:
        """Observations used (after missing values and singletons)."""
        return self.model.nobs

    @property
    def n_singletons(self) -> int:
        """Rows dropped as singletons."""
        return int(self.model.n_singletons)

    @property
    def fixef_names(self) -> tuple[str, ...]:
        """The fixed effects, as written in the formula (for tables)."""
        return tuple(self.model.fixef_names)

    @property
    def df_resid(self) -> float:
        """Observations less coefficients less the effects' levels (one fewer per effect
        after the first); the t tests use :attr:`df_inference`."""
        return self.model.df_resid

    @property
    def df_model(self) -> float:
        """Number of coefficients."""
        return self.model.df_model

    @property
    def df_inference(self) -> float:
        """Degrees of freedom of the t tests: fixest's ``N - K`` or ``G - 1``."""
        return self.covariance.df_resid

    # --- residuals and fit ------------------------------------------------------------------

    @cached_property
    def _whitened_resid(self) -> torch.Tensor:
        y, X = self.model.whitened()
        return y - X @ self.fit_result.params

    @cached_property
    def _resid(self) -> torch.Tensor:
        weights = self.model.row_weights
        return (
            self._whitened_resid if weights is None else self._whitened_resid / torch.sqrt(weights)
        )

    @property
    def resid(self) -> Any:
        """Residuals ``y - X b - effects`` of the rows used."""
        return self._output.observations(self._resid)

    @property
    def fittedvalues(self) -> Any:
        """``X b + effects`` of the rows used."""
        return self._output.observations(self.model.design.endog - self._resid)

    @cached_property
    def ssr(self) -> float:
        """Weighted sum of squared residuals."""
        return float(self._whitened_resid @ self._whitened_resid)

    @cached_property
    def _total_ss(self) -> float:
        y = self.model.design.endog
        weights = self.model.row_weights
        if weights is None:
            return float(((y - y.mean()) ** 2).sum())
        mean = (weights @ y) / weights.sum()
        return float(weights @ (y - mean) ** 2)

    @cached_property
    def _within_ss(self) -> float:
        y, _ = self.model.whitened()
        return float(y @ y)

    @property
    def _k_fe(self) -> int:
        """Parameters of the effects: their levels (and slopes) less the reference levels."""
        counts = self.model.effect_counts
        return sum(counts.n_levels) - counts.references if counts.n_levels else 0

    @property
    def rsquared(self) -> float:
        """``1 - SSR / TSS`` with the effects counted as fitted (pyfixest's ``_r2``)."""
        return 1 - self.ssr / self._total_ss

    @property
    def rsquared_adj(self) -> float:
        """Adjusted R-squared, pyfixest's ``_adj_r2``."""
        n, k = self.nobs, self.model.rank
        factor = (n - 1) / (n - k - self._k_fe) if self._k_fe else (n - 1) / (n - k)
        return 1 - self.ssr / self._total_ss * factor

    @property
    def rsquared_within(self) -> float:
        """R-squared of the demeaned regression, pyfixest's ``_r2_within`` (NaN without
        fixed effects)."""
        if not self._k_fe:
            return float("nan")
        return 1 - self.ssr / self._within_ss

    @property
    def rsquared_within_adj(self) -> float:
        """Adjusted within R-squared, pyfixest's ``_adj_r2_within`` (NaN without fixed
        effects)."""
        if not self._k_fe:
            return float("nan")
        n, k = self.nobs, self.model.rank
        return 1 - self.ssr / self._within_ss * (n - self._k_fe) / (n - k - self._k_fe)

    @property
    def rmse(self) -> float:
        """``sqrt(SSR / nobs)``."""
        return float(np.sqrt(self.ssr / self.nobs))

    # --- effects and predictions ------------------------------------------------------------

    def fixef(self) -> dict[str, pd.Series]:
        """The estimated effects, a Series per term indexed by level (slopes as ``"f[x]"``).

        With several fixed effects only their sum is identified; as fixest, every fixed
        effect after the first has its first level at 0.
        """
        return self.model.fixef(self.fit_result.params)

    def predict(self, newdata: pd.DataFrame | None = None) -> Any:
        """``X b + effects`` for ``newdata`` (None: the rows used); NaN where a level of an
        effect was not in the fit."""
        values = self.model.predict_frame(self.fit_result.params, newdata)
        if newdata is None:
            return self._output.observations(torch.as_tensor(values))
        return pd.Series(values, index=newdata.index)

    # --- other covariances ------------------------------------------------------------------

    def vcov(
        self, vcov: str | Mapping[str, str], ssc: Mapping[str, object] | None = None
    ) -> FixedEffectsResults:
        """A new results object with another covariance (pyfixest's ``vcov``; this one is
        left unchanged), with the fit's small-sample corrections unless ``ssc`` is given
        (as pyfixest)."""
        ssc = self._record.get("ssc") if ssc is None else ssc
        covariance = self.model.fixest_covariance(self.fit_result, vcov, ssc)
        return FixedEffectsResults(self.model, self.fit_result, covariance, ssc=dict(ssc or {}))

    # --- summary ----------------------------------------------------------------------------

    def summary(self, alpha: float = 0.05) -> str:
        """A fixest-style text summary: the fit, the effects, the coefficients, the fit
        statistics."""
        counts = self.model.effect_counts
        effects = ", ".join(
            f"{name} ({levels})" for name, levels in zip(counts.names, counts.n_levels, strict=True)
        )
        demeaning = self.model.demeaning
        singletons = f" ({self.n_singletons} singletons removed)" if self.n_singletons else ""
        sweeps = "converged" if demeaning.converged else "NOT converged"
        errors = f"{self.cov_type}{_clusters(self.cov_kwds)}"
        lines = [
            f"Estimation: OLS{' (weighted)' if self.model.row_weights is not None else ''}",
            f"Formula: {self.model.formula_text}",
            f"Dep. var.: {self.model.endog_names}",
            f"Observations: {int(self.nobs)}{singletons}",
            f"Fixed effects: {effects or 'none'}",
            f"Demeaning: {demeaning.n_iter} sweeps, {sweeps}",
            f"Standard errors: {errors}; t tests with {self.df_inference:g} df",
            "",
            self.tidy(alpha).to_string(float_format=lambda v: f"{v:.6g}"),
            "",
            f"RMSE: {self.rmse:.6g}   R2: {self.rsquared:.6g}   "
            f"R2 within: {self.rsquared_within:.6g}",
        ]
        return "\n".join(lines)


def _clusters(kwds: Mapping[str, Any]) -> str:
    clusters = kwds.get("clusters")
    return f" by {'+'.join(clusters)}" if clusters else ""
