"""Results of streamed Logit, Probit and Poisson fits: the in-memory classes without per-row
vectors.

:class:`~torchstats.results.discrete.BinaryResults` and
:class:`~torchstats.results.discrete.CountResults` read the model through its public
methods (``loglike``, ``null_loglike``, ``hessian``, ...), which a streamed model answers
with passes over the data; what needs the rows themselves (fitted values, residuals,
influence, in-sample predictions) is refused with the way to compute it chunk by chunk.
"""

from __future__ import annotations

from typing import Any

from torchstats.results.discrete import BinaryResults, CountResults
from torchstats.results.streaming import not_kept, per_row_refused
from torchstats.summary.layouts import separation_note_of_counts

__all__ = ["StreamingBinaryResults", "StreamingCountResults"]


class _StreamedRows:
    """The per-row outputs a streamed fit does not keep (a mixin of the results below)."""

    fittedvalues = per_row_refused("fittedvalues")
    resid_response = per_row_refused("resid_response")
    resid_pearson = per_row_refused("resid_pearson")
    resid_dev = per_row_refused("resid_dev")
    resid_generalized = per_row_refused("resid_generalized")
    resid = per_row_refused("resid")
    im_ratio = per_row_refused("im_ratio (per-row scores)")

    def get_influence(self) -> Any:
        raise not_kept("get_influence()")

    def pred_table(self, threshold: float = 0.5) -> Any:
        raise not_kept("pred_table()")

    def get_margeff(self, *args: Any, **kwargs: Any) -> Any:
        raise not_kept("get_margeff() (averages over the fitted rows)")


def _predict(
    results: Any, exog: Any, transform: bool, which: str, offset: Any, exposure: Any
) -> Any:
    """Predictions for new data through the model's public ``predict``."""
    if exog is None:
        raise not_kept("predict() for the fitted data")
    X, index = results._prediction_exog(exog, transform, exposure, "predict")
    values = results.model.predict(results.fit_result.params, X, offset, exposure, which)
    if index is None:
        return results._output.plain(values)
    return results._output.observations(values, index=index)


class StreamingBinaryResults(_StreamedRows, BinaryResults):
    """A streamed Logit or Probit fit; statsmodels' names and values."""

    def predict(
        self,
        exog: Any = None,
        transform: bool = True,
        which: str = "mean",
        offset: Any = None,
        exposure: Any = None,
        y_values: Any = None,
    ) -> Any:
        """Predictions for new data (``which`` "mean" or "linear")."""
        return _predict(self, exog, transform, which, offset, exposure)

    def _notes(self) -> list[str]:
        """statsmodels' separation note, from one pass over the data."""
        close = self.model.close_predictions(self.fit_result.params)
        return separation_note_of_counts(close, self.nobs)


class StreamingCountResults(_StreamedRows, CountResults):
    """A streamed Poisson fit; statsmodels' names and values."""

    def predict(
        self,
        exog: Any = None,
        transform: bool = True,
        which: str = "mean",
        offset: Any = None,
        exposure: Any = None,
        y_values: Any = None,
    ) -> Any:
        """Predictions for new data (``which`` "mean" or "linear")."""
        return _predict(self, exog, transform, which, offset, exposure)

    def get_diagnostic(self, y_max: int | None = None) -> Any:
        raise not_kept("get_diagnostic() (per-row predicted probabilities)")
