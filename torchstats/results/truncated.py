"""Results of the truncated and hurdle count models (statsmodels' ``TruncatedLFGenericResults``
and ``HurdleCountResults``).

Their models predict several statistics through ``predict(params, exog, exposure, offset,
which, y_values)`` (means of the truncated or hurdle distribution, the untruncated mean,
probabilities of each count...). Predictions here call that torch function: at the estimate
for :meth:`predict`, and through its exact Jacobian for the delta-method standard errors of
:meth:`get_prediction`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats._typing import check_option
from torchstats.covariance.result import CovarianceResult
from torchstats.results.count_diagnostic import CountDiagnostic
from torchstats.results.discrete import _DiscreteResults
from torchstats.results.prediction import (
    DeltaPredictionResults,
    LinkPredictionResults,
    delta_prediction,
)
from torchstats.solvers.result import SolverResult

__all__ = ["HurdleCountResults", "TruncatedLFResults"]


class _CountStatisticsResults(_DiscreteResults):
    """Results of a model whose ``predict`` offers several statistics; not public."""

    def _prediction(
        self, exog: torch.Tensor | None, which: str, options: dict[str, Any]
    ) -> Callable[[torch.Tensor], torch.Tensor]:
        """The prediction as a torch function of the parameters."""
        model = self.model

        def predicted(params: torch.Tensor) -> torch.Tensor:
            return model.predict(params, exog, which=which, **options)

        return predicted

    def _prediction_options(self, offset: Any, exposure: Any, y_values: Any) -> dict[str, Any]:
        return {"offset": offset, "exposure": exposure, "y_values": y_values}

    def predict(
        self,
        exog: Any = None,
        transform: bool = True,
        which: str = "mean",
        offset: Any = None,
        exposure: Any = None,
        y_values: Any = None,
    ) -> Any:
        """Predictions at the estimate (in sample when ``exog`` is None).

        Parameters
        ----------
        exog : DataFrame or array-like, optional
            New data: the original variables for formula models, else design rows.
        transform : bool
            Pass ``exog`` through the formula (default True).
        which : str
            The statistic; see the model's ``predict``.
        offset, exposure : array-like, optional
            For new data (zero and one when omitted, as statsmodels).
        y_values : array-like, optional
            The counts for the probabilities (default ``0..max(endog)``).

        Returns
        -------
        Series or ndarray (tensor for torch input)
            One value per row; probabilities are ``(m, K)``: an array in sample, a
            DataFrame indexed by the new rows for pandas data (as statsmodels).
        """
        options = self._prediction_options(offset, exposure, y_values)
        return self._predict_values(exog, transform, which, options, exposure)

    def _predict_values(
        self, exog: Any, transform: bool, which: str, options: dict[str, Any], exposure: Any
    ) -> Any:
        X, index = self._prediction_exog(exog, transform, exposure, "predict")
        values = self._prediction(None if exog is None else X, which, options)(
            self.fit_result.params
        )
        if values.ndim == 2:
            if exog is None or index is None or self._output.kind != "pandas":
                return self._output.plain(values)
            return pd.DataFrame(values.detach().cpu().numpy(), index=index)
        if exog is None or index is None:  # in sample: an array, as statsmodels
            return self._output.plain(values)
        return self._output.observations(values, index=index)

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
        """Predictions with delta-method standard errors and intervals.

        Every statistic but the linear predictor is a :class:`DeltaPredictionResults` (the
        exact Jacobian, symmetric normal intervals); ``which="linear"`` (not averaged) is a
        :class:`LinkPredictionResults` of the linear predictor. statsmodels maps
        ``which="mean"`` through a log link instead, which fits the untruncated mean, not
        this model's (see ``docs/differences.md``).

        Parameters
        ----------
        exog, transform, which, offset, exposure, y_values
            As for :meth:`predict`.
        row_labels : sequence, optional
            Index of the summary frame (default: the data's; none when averaged).
        average : bool
            Predict the mean over rows of the predictions times ``agg_weights``.
        agg_weights : array-like, optional
            Row weights of the average (not normalised, as statsmodels).
        """
        options = self._prediction_options(offset, exposure, y_values)
        return self._predict_with_errors(
            exog, transform, which, row_labels, average, agg_weights, options, exposure
        )

    def _predict_with_errors(
        self,
        exog: Any,
        transform: bool,
        which: str,
        row_labels: Any,
        average: bool,
        agg_weights: Any,
        options: dict[str, Any],
        exposure: Any,
    ) -> LinkPredictionResults | DeltaPredictionResults:
        check_option(which, self.model.predict_which, "which")
        params = self.fit_result.params
        X, index = self._prediction_exog(exog, transform, exposure, "get_prediction")
        function = self._prediction(None if exog is None else X, which, options)
        weights = None
        if agg_weights is not None:
            weights = torch.as_tensor(
                np.asarray(agg_weights, dtype=float), dtype=params.dtype, device=params.device
            )
        labels = None if average else (index if row_labels is None else row_labels)
        delta = delta_prediction(
            function,
            params,
            self.covariance.cov,
            average=average,
            agg_weights=weights,
            row_labels=labels,
        )
        if which != "linear" or average:
            return delta
        return LinkPredictionResults(
            torch.as_tensor(delta.predicted),
            torch.as_tensor(delta.var_pred),
            df=self.df_resid if self.use_t else None,
            df_resid=self.df_resid,
            row_labels=labels,
        )

    @cached_property
    def _fitted_mean(self) -> torch.Tensor:
        return self.model.predict(self.fit_result.params)

    @cached_property
    def _resid_pearson_tensor(self) -> torch.Tensor:
        variance = self.model.predict(self.fit_result.params, which="var")
        return self._resid_response / torch.sqrt(variance)

    @property
    def resid(self) -> Any:
        """``y - E(y)`` (statsmodels' ``CountResults.resid``)."""
        return self.resid_response

    def get_diagnostic(self, y_max: int | None = None) -> CountDiagnostic:
        """Specification tests of the count model (statsmodels' ``CountDiagnostic``), from
        the model's predicted probabilities."""
        return CountDiagnostic(self, y_max=y_max)


class TruncatedLFResults(_CountStatisticsResults):
    """A fitted truncated count model (statsmodels' ``TruncatedLFPoissonResults`` and
    ``TruncatedNegativeBinomialResults``)."""


class HurdleCountResults(_CountStatisticsResults):
    """A fitted hurdle model (statsmodels' ``HurdleCountResults``): the parameters of the
    zero model (``zm_`` names) then of the truncated count model.

    Parameters
    ----------
    model, fit, covariance, retvals, settings
        As for the other discrete results.
    parts : sequence of results
        The zero model's and the count model's own results.
    """

    _parts: tuple[Any, ...]

    def get_margeff(self, *args: Any, **kwargs: Any) -> Any:
        """Not available: the hurdle mean joins the zero and count parts, and the shared
        margins code would return the zero part's Poisson-mean derivative under the
        ``zm_`` names (statsmodels' fails with an IndexError).

        Raises
        ------
        NotImplementedError
            Always; the effects on the mean are the derivatives of ``predict()``.
        """
        raise NotImplementedError(
            "HurdleCountResults has no get_margeff (statsmodels' fails too): the hurdle mean "
            "combines the zero and the count part; differentiate predict() in the regressors "
            "(e.g. finite differences of res.predict(new)) for the effects on the mean"
        )

    def __init__(
        self,
        model: Any,
        fit: SolverResult,
        covariance: CovarianceResult,
        *,
        retvals: dict[str, Any],
        settings: dict[str, Any],
        parts: Sequence[Any],
    ) -> None:
        super().__init__(model, fit, covariance, retvals=retvals, settings=settings)
        object.__setattr__(self, "_parts", tuple(parts))

    @cached_property
    def _fitted_linear(self) -> torch.Tensor:
        """The count part's linear predictor (statsmodels takes the zero part's)."""
        return self.model.predict(self.fit_result.params, which="linear")

    @property
    def results_zero(self) -> Any:
        """The zero model's results (a count model censored at one)."""
        return self._parts[0]

    @property
    def results_count(self) -> TruncatedLFResults:
        """The zero-truncated count model's results."""
        return self._parts[1]

    @property
    def converged(self) -> bool:
        """Whether both parts converged (``mle_retvals["converged"]`` has each flag)."""
        return self.fit_result.converged

    def predict(
        self,
        exog: Any = None,
        transform: bool = True,
        which: str = "mean",
        offset: Any = None,
        exposure: Any = None,
        y_values: Any = None,
        exog_infl: Any = None,
    ) -> Any:
        """Predictions at the estimate (see ``HurdleCountModel.predict`` for ``which``).

        Parameters
        ----------
        exog, transform, which, y_values
            As for the truncated models' results.
        offset, exposure : None
            Not available.
        exog_infl : array-like, optional
            New rows of the zero part's design (models built with ``exog_infl``).
        """
        options = {**self._prediction_options(offset, exposure, y_values), "exog_infl": exog_infl}
        return self._predict_values(exog, transform, which, options, exposure)

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
        exog_infl: Any = None,
    ) -> LinkPredictionResults | DeltaPredictionResults:
        """Delta-method predictions, as the truncated models' (``exog_infl`` as in
        :meth:`predict`)."""
        options = {**self._prediction_options(offset, exposure, y_values), "exog_infl": exog_infl}
        return self._predict_with_errors(
            exog, transform, which, row_labels, average, agg_weights, options, exposure
        )
