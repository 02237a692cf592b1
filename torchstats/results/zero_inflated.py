"""Results of the zero-inflated count models (statsmodels' ``ZeroInflatedPoissonResults``,
``ZeroInflatedNegativeBinomialResults``, ``ZeroInflatedGeneralizedPoissonResults``).

The likelihood statistics, covariances and summary are the discrete models'; predictions take
the inflation design ``exog_infl`` besides ``exog`` and offer every statistic of
:data:`PREDICT_WHICH`. ``get_prediction`` is the delta method for every ``which`` (exact
Jacobian), as statsmodels' ``get_prediction_delta``.

statsmodels' ``fittedvalues`` of these models multiplies the count design by the first
parameters, which are the inflation's; here it is the count model's linear predictor ``X b``
(without offset), as for the other count models (docs/differences.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats._typing import check_option
from torchstats.families.scipy_counts import zigenpoisson, zinegbin, zipoisson
from torchstats.formula.newdata import exog_for_prediction
from torchstats.results.discrete import _as_tensor, _CountResults, _host
from torchstats.results.prediction import DeltaPredictionResults, delta_prediction

__all__ = [
    "PREDICT_WHICH",
    "ZeroInflatedGeneralizedPoissonResults",
    "ZeroInflatedNegativeBinomialResults",
    "ZeroInflatedPoissonResults",
]

PREDICT_WHICH = (
    "mean",
    "mean-main",
    "linear",
    "mean-nonzero",
    "prob-zero",
    "prob-main",
    "var",
    "prob",
)
"""Statistics ``predict(which=...)`` of the zero-inflated models (statsmodels')."""


class _ZeroInflatedResults(_CountResults):
    """What the zero-inflated results share; not public."""

    @cached_property
    def _fitted_linear(self) -> torch.Tensor:
        design = self.model.design
        start = self.model.k_inflate
        return design.exog @ self.fit_result.params[start : start + design.k_exog]

    @cached_property
    def _resid_pearson_tensor(self) -> torch.Tensor:
        variance = self.model.predict(self.fit_result.params, which="var")
        return self._resid_response / torch.sqrt(variance)

    @property
    def resid(self) -> Any:
        """``y - E(y)`` (statsmodels' ``resid``), labelled by row."""
        return self._output.observations(self._resid_response)

    def _prediction_rows(
        self, exog: Any, exog_infl: Any, transform: bool, exposure: Any, caller: str
    ) -> tuple[torch.Tensor | None, Any, Any]:
        """The count and inflation rows to predict at (None: the model's) and their labels."""
        X, index = self._prediction_exog(exog, transform, exposure, caller)
        block = self.model.design.blocks["exog_infl"]
        formula = transform and block.model_spec is not None
        source = exog_infl if exog_infl is not None else exog
        Z = exog_infl
        if formula and isinstance(source, (pd.DataFrame, Mapping)):
            Z, _ = exog_for_prediction(block, source, device=X.device, dtype=X.dtype)
        return (None if exog is None else X), Z, index

    def predict(  # type: ignore[override]
        self,
        exog: Any = None,
        transform: bool = True,
        exog_infl: Any = None,
        exposure: Any = None,
        offset: Any = None,
        which: str = "mean",
        y_values: Any = None,
    ) -> Any:
        """Predictions at the estimate (statsmodels' ``predict`` of the zero-inflated models).

        Parameters
        ----------
        exog : DataFrame or array-like, optional
            New data: the original variables for formula models, else count-design rows.
        transform : bool
            Pass ``exog`` (and a DataFrame ``exog_infl``) through the formulas.
        exog_infl : DataFrame or array-like, optional
            New inflation rows; by default, the model's in sample, else the new data
            through the inflation formula (formula models), or a constant.
        exposure, offset : array-like, optional
            For new data (one and zero when omitted, as statsmodels).
        which : {"mean", "mean-main", "linear", "mean-nonzero", "prob-zero", "prob-main", \
"var", "prob"}
            See the model's ``predict``.
        y_values : array-like, optional
            The counts for ``which="prob"`` (default ``0..max(endog)``).

        Returns
        -------
        Series or ndarray (tensor for torch input); ``which="prob"``: an ``(m, K)`` array,
        a DataFrame indexed by the new data's rows for pandas data.
        """
        check_option(which, PREDICT_WHICH, "which")
        X, Z, index = self._prediction_rows(exog, exog_infl, transform, exposure, "predict")
        values = self.model.predict(
            self.fit_result.params, X, Z, exposure, offset, which=which, y_values=y_values
        )
        if which == "prob":
            if exog is None or index is None or self._output.kind != "pandas":
                return self._output.plain(values)
            return pd.DataFrame(_host(values), index=index)
        if exog is None or index is None:  # in sample: an array, as statsmodels
            return self._output.plain(values)
        return self._output.observations(values, index=index)

    def get_prediction(  # type: ignore[override]
        self,
        exog: Any = None,
        exog_infl: Any = None,
        exposure: Any = None,
        offset: Any = None,
        which: str = "mean",
        average: bool = False,
        agg_weights: Any = None,
        y_values: Any = None,
        transform: bool = True,
        row_labels: Any = None,
    ) -> DeltaPredictionResults:
        """Delta-method predictions of any ``which`` with standard errors and intervals
        (statsmodels' ``ZeroInflatedResults.get_prediction``; the Jacobian is exact).

        Parameters are :meth:`predict`'s, and ``average`` (the mean over rows of the
        predictions times ``agg_weights``, not normalised) and ``row_labels``.
        """
        check_option(which, PREDICT_WHICH, "which")
        params, model = self.fit_result.params, self.model
        X, Z, index = self._prediction_rows(exog, exog_infl, transform, exposure, "get_prediction")

        def predicted(p: torch.Tensor) -> torch.Tensor:
            return model.predict(p, X, Z, exposure, offset, which=which, y_values=y_values)

        weights = None if agg_weights is None else _as_tensor(agg_weights, params)
        return delta_prediction(
            predicted,
            params,
            self.covariance.cov,
            average=average,
            agg_weights=weights,
            row_labels=None if average else (index if row_labels is None else row_labels),
        )

    def _frozen(self, mean: np.ndarray, inflation: np.ndarray) -> Any:
        raise NotImplementedError

    def get_distribution(  # type: ignore[override]
        self,
        exog: Any = None,
        exog_infl: Any = None,
        transform: bool = True,
        offset: Any = None,
        exposure: Any = None,
    ) -> Any:
        """scipy's frozen zero-inflated distribution at the predicted means and inflation
        probabilities (statsmodels' ``get_distribution``): ``zipoisson(mu, w)``,
        ``zinegbin(mu, alpha, p, w)`` or ``zigenpoisson(mu, alpha, p, w)``."""
        kwds = {"exog_infl": exog_infl, "offset": offset, "exposure": exposure}
        mean = self.predict(exog, transform, which="mean-main", **kwds)
        prob_main = self.predict(exog, transform, which="prob-main", **kwds)
        return self._frozen(np.asarray(_host(mean)), 1 - np.asarray(_host(prob_main)))


class ZeroInflatedPoissonResults(_ZeroInflatedResults):
    """A fitted zero-inflated Poisson model (statsmodels' ``ZeroInflatedPoissonResults``)."""

    def _frozen(self, mean: np.ndarray, inflation: np.ndarray) -> Any:
        return zipoisson(mean, inflation)


class ZeroInflatedNegativeBinomialResults(_ZeroInflatedResults):
    """A fitted zero-inflated NB-P model (statsmodels'
    ``ZeroInflatedNegativeBinomialResults``)."""

    def _frozen(self, mean: np.ndarray, inflation: np.ndarray) -> Any:
        return zinegbin(mean, float(self.fit_result.params[-1]), self.model.p, inflation)


class ZeroInflatedGeneralizedPoissonResults(_ZeroInflatedResults):
    """A fitted zero-inflated generalised Poisson model (statsmodels'
    ``ZeroInflatedGeneralizedPoissonResults``)."""

    def _frozen(self, mean: np.ndarray, inflation: np.ndarray) -> Any:
        return zigenpoisson(mean, float(self.fit_result.params[-1]), self.model.p, inflation)
