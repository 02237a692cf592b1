"""Results of a streamed GLM fit: statsmodels' ``GLMResults`` without per-row vectors.

The same :class:`~torchstats.results.glm.GLMResults`, fed by sums: the deviance, Pearson's
chi-squared and the weighted sum of squares come from the fit's last pass; the
log-likelihood and the constant-only model (``llnull``, ``null_deviance``) from passes of
their own, taken the first time they are asked for. Per-observation outputs (``mu``,
residuals, influence) are not kept; ``predict`` works on any new chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from torchstats.covariance.result import CovarianceResult
from torchstats.families import families
from torchstats.results.glm import GLMResults, is_identity
from torchstats.results.streaming import not_kept, per_row_refused
from torchstats.solvers.result import SolverResult

__all__ = ["StreamedDeviance", "StreamingGLMResults"]


@dataclass(frozen=True, slots=True)
class StreamedDeviance:
    """Sums at the estimate from the fit's last pass.

    Attributes
    ----------
    deviance, pearson_chi2 : float
    weighted_ssr : float
        ``sum w (y - mu)^2`` (the Gaussian identity model's concentrated scale).
    """

    deviance: float
    pearson_chi2: float
    weighted_ssr: float


class StreamingGLMResults(GLMResults):
    """A streamed GLM fit; statsmodels' names and values, without per-row vectors."""

    _sums: StreamedDeviance

    def __init__(
        self,
        model: Any,
        fit: SolverResult,
        covariance: CovarianceResult,
        *,
        scaletype: Any,
        history: dict[str, Any],
        sums: StreamedDeviance,
    ) -> None:
        super().__init__(model, fit, covariance, scaletype=scaletype, history=history, sums=sums)
        object.__setattr__(self, "_sums", sums)

    # --- scalars from the sums ------------------------------------------------------------------

    @property
    def deviance(self) -> float:
        """The deviance at the estimate."""
        return self._sums.deviance

    @property
    def pearson_chi2(self) -> float:
        """Pearson's chi-squared at the estimate."""
        return self._sums.pearson_chi2

    @cached_property
    def _null(self) -> tuple[float, float]:
        return self.model.null_fit(self._scale)

    @property
    def null_deviance(self) -> float:
        """Deviance of the constant-only model (its own IRLS passes)."""
        return self._null[0]

    @property
    def llnull(self) -> float:
        """Log-likelihood of the constant-only model at this fit's scale."""
        return self._null[1]

    def llf_scaled(self, scale: float | None = None) -> float:
        """Log-likelihood at ``scale`` (default: concentrated for Gaussian-identity, else
        the estimated scale); one pass over the data."""
        if scale is None:
            if isinstance(self.family, families.Gaussian) and is_identity(self.family.link):
                scale = self._sums.weighted_ssr / self.model.wnobs
            else:
                scale = self._scale
        return self.model.loglike_at(self.fit_result.params, scale)

    # --- what needs the data again ----------------------------------------------------------------

    @property
    def _mu(self) -> Any:
        raise not_kept("the fitted means")

    @property
    def _null_mu(self) -> Any:
        raise not_kept("the constant-only model's means (null)")

    resid_response = per_row_refused("resid_response")
    resid_pearson = per_row_refused("resid_pearson")
    resid_working = per_row_refused("resid_working")
    resid_deviance = per_row_refused("resid_deviance")
    resid_anscombe = per_row_refused("resid_anscombe")
    resid_anscombe_scaled = per_row_refused("resid_anscombe_scaled")
    resid_anscombe_unscaled = per_row_refused("resid_anscombe_unscaled")

    def get_influence(self, observed: bool = True) -> Any:
        raise not_kept("get_influence()")

    def get_prediction(self, exog: Any = None, *args: Any, **kwargs: Any) -> Any:
        if exog is None:
            raise not_kept("get_prediction() for the fitted data")
        return super().get_prediction(exog, *args, **kwargs)

    def predict(self, exog: Any = None, *args: Any, **kwargs: Any) -> Any:
        if exog is None:
            raise not_kept("predict() for the fitted data")
        return super().predict(exog, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<torchstats.StreamingGLMResults {self.model!r}>"
