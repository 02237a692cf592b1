"""Results of a streamed least-squares fit: every statistic, without per-row vectors.

The same :class:`~torchstats.results.regression.RegressionResults`, fed by sums instead of
residual vectors: sums of squares, the log-likelihood and the summary's diagnostics come
from :class:`StreamedMoments`; robust covariances from one more pass over the data.
Per-observation outputs (``resid``, ``fittedvalues``, influence) are not kept; ``predict``
works on any new chunk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from torchstats.covariance.result import CovarianceResult
from torchstats.errors import TorchstatsError
from torchstats.inference.residual_tests import ResidualMoments, diagnostics_from_moments
from torchstats.results.regression import RegressionResults
from torchstats.solvers.result import SolverResult

__all__ = ["StreamedMoments", "StreamingRegressionResults", "not_kept", "per_row_refused"]


def not_kept(name: str) -> TorchstatsError:
    """The error for a per-observation output of a streamed fit."""
    return TorchstatsError(
        f"{name} is not available for a streamed fit: per-observation values are not "
        "kept; compute them chunk by chunk, e.g. results.predict(chunk)"
    )


def per_row_refused(name: str) -> Any:
    """A property refusing the per-observation output ``name`` of a streamed fit."""

    def refuse(self: Any) -> Any:
        raise not_kept(name)

    return property(refuse, doc=f"Not kept for streamed data ({name} is per row).")


@dataclass(frozen=True, slots=True)
class StreamedMoments:
    """Scalar sums of a streamed fit.

    Attributes
    ----------
    nobs : int
    ssr, centered_tss, uncentered_tss, sum_log_w : float
    residual_moments : ResidualMoments
        For the summary's omnibus, Jarque-Bera and Durbin-Watson statistics.
    """

    nobs: int
    ssr: float
    centered_tss: float
    uncentered_tss: float
    sum_log_w: float
    residual_moments: ResidualMoments

    @classmethod
    def from_sums(cls, stats: Any, residuals: Any, *, ssr: Any) -> StreamedMoments:
        """From the sufficient statistics and the residual pass."""
        nobs = int(round(float(stats.nobs)))
        central = [float(v) / nobs for v in residuals.central]
        return cls(
            nobs=nobs,
            ssr=float(ssr),
            centered_tss=float(residuals.centered_tss),
            uncentered_tss=float(stats.yty),
            sum_log_w=float(stats.sum_log_w),
            residual_moments=ResidualMoments(
                nobs=nobs,
                m2=central[0],
                m3=central[1],
                m4=central[2],
                sum_squares=float(residuals.ssr),
                sum_squared_differences=float(residuals.squared_differences),
            ),
        )


class StreamingRegressionResults(RegressionResults):
    """A streamed OLS/WLS fit; statsmodels' names and values, without per-row vectors."""

    _moments: StreamedMoments

    def __init__(
        self,
        model: Any,
        fit: SolverResult,
        covariance: CovarianceResult,
        *,
        moments: StreamedMoments,
    ) -> None:
        super().__init__(model, fit, covariance, moments=moments)
        object.__setattr__(self, "_moments", moments)

    # --- scalars from the sums ---------------------------------------------------------------

    @property
    def nobs(self) -> float:
        return float(self._moments.nobs)

    @property
    def df_resid(self) -> float:
        return float(self._moments.nobs - self.rank)

    # the sums of squares of RegressionResults come from these (a streamed response is not
    # rescaled, so they are the sums themselves)
    @property
    def _ssr_scaled(self) -> float:
        return self._moments.ssr

    @property
    def _centered_tss_scaled(self) -> float:
        return self._moments.centered_tss

    @property
    def _uncentered_tss_scaled(self) -> float:
        return self._moments.uncentered_tss

    @property
    def llf(self) -> float:
        half = self.nobs / 2.0
        return (
            -half * math.log(2 * math.pi)
            - half * math.log(self.ssr / self.nobs)
            - half
            + 0.5 * self._moments.sum_log_w
        )

    def _footer_diagnostics(self) -> dict[str, float]:
        return diagnostics_from_moments(self._moments.residual_moments)

    # --- what needs the data again --------------------------------------------------------------

    def _not_kept(self, name: str) -> TorchstatsError:
        return TorchstatsError(
            f"{name} is not available for a streamed fit: per-observation values are not "
            "kept; compute them chunk by chunk, e.g. chunk['y'] - results.predict(chunk)"
        )

    @property
    def resid(self) -> Any:
        raise self._not_kept("resid")

    @property
    def wresid(self) -> Any:
        raise self._not_kept("wresid")

    @property
    def fittedvalues(self) -> Any:
        raise self._not_kept("fittedvalues")

    def get_influence(self) -> Any:
        raise self._not_kept("get_influence()")

    def get_prediction(self, exog: Any = None, *args: Any, **kwargs: Any) -> Any:
        if exog is None:
            raise self._not_kept("get_prediction() for the fitted data")
        return super().get_prediction(exog, *args, **kwargs)

    def predict(self, exog: Any = None, transform: bool = True) -> Any:
        if exog is None:
            raise self._not_kept("predict() for the fitted data")
        return super().predict(exog, transform)
