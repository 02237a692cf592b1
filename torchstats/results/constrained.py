"""Results of fits under linear equality constraints (``fit_constrained``).

The model's own results at the constrained estimate, with statsmodels' additions:
``constraints``, ``k_constr``, ``results_constrained`` (the fit of the free parameters) and
degrees of freedom that count the restrictions (``df_model - k_constr``,
``df_resid + k_constr``). The covariance is the restricted fit's, mapped back
(``T V T'``): parameters fixed by the constraints have standard errors of exactly 0.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import torch

from torchstats.errors import InvalidOptionError
from torchstats.inference.restriction import AffineRestriction, LinearConstraints
from torchstats.results.discrete import BinaryResults, CountResults
from torchstats.results.glm import GLMResults
from torchstats.solvers.result import SolverResult
from torchstats.summary.layouts import glm_summary
from torchstats.summary.summary2 import Summary as Summary2
from torchstats.tables.document import Summary

__all__ = [
    "CONSTRAINED_RESULTS",
    "ConstrainedBinaryResults",
    "ConstrainedCountResults",
    "ConstrainedGLMResults",
]

#: statsmodels' note under the summary of a constrained GLM.
CONSTRAINED_NOTE = "Model has been estimated subject to linear equality constraints."


class _Constrained:
    """What every constrained fit's results add (``restriction`` and ``results_constrained``
    travel in the results' record, so other covariances keep them)."""

    _record: dict[str, Any]
    model: Any
    fit_result: SolverResult

    @property
    def _restriction(self) -> AffineRestriction:
        restriction: AffineRestriction = self._record["restriction"]
        return restriction

    @property
    def constraints(self) -> LinearConstraints:
        """The restrictions ``R b = q`` (``constraint_matrix``, ``constraint_values``,
        ``variable_names``; printed one per line)."""
        return self._restriction.constraints

    @property
    def k_constr(self) -> int:
        """Number of restrictions."""
        return self._restriction.k_constr

    @property
    def results_constrained(self) -> Any:
        """The fit of the free parameters ``theta`` (``b = T theta + c``): the model with
        the design ``X T`` and ``X c`` added to the offset."""
        return self._record["results_constrained"]

    @property
    def df_model(self) -> float:
        """The model's ``df_model`` less the restrictions."""
        return float(self.model.df_model) - self.k_constr

    @property
    def df_resid(self) -> float:
        """The model's ``df_resid`` plus the restrictions."""
        return float(self.model.df_resid) + self.k_constr

    @cached_property
    def _tvalues(self) -> torch.Tensor:
        """``params / bse``; NaN for parameters the constraints fix, which were not
        estimated (statsmodels: NaN for a value of 0, inf and p = 0 for others)."""
        params, bse = self.fit_result.params, self._bse  # type: ignore[attr-defined]
        return torch.where(bse == 0, torch.nan, params / bse)

    def get_robustcov_results(self, *args: Any, **kwargs: Any) -> Any:
        """Refused: another covariance of a constrained fit comes from refitting.

        Raises
        ------
        InvalidOptionError
            Always; pass ``cov_type`` (and ``cov_kwds``) to ``fit_constrained``.
        """
        raise InvalidOptionError(
            "get_robustcov_results of a constrained fit would ignore the constraints; pass "
            "cov_type= (and cov_kwds=) to fit_constrained instead"
        )


class ConstrainedGLMResults(_Constrained, GLMResults):
    """A GLM fitted under linear equality constraints (``GLM.fit_constrained``)."""

    def summary(
        self,
        yname: str | None = None,
        xname: list[str] | None = None,
        title: str | None = None,
        alpha: float = 0.05,
    ) -> Summary:
        """The GLM summary with statsmodels' note on the constraints."""
        return glm_summary(
            self, yname=yname, xname=xname, title=title, alpha=alpha, extra_txt=[CONSTRAINED_NOTE]
        )


class _ConstrainedDiscrete(_Constrained):
    """statsmodels' note under both summaries of a constrained discrete model."""

    def _notes(self) -> list[str]:
        return [*super()._notes(), CONSTRAINED_NOTE]  # type: ignore[misc]

    def summary2(
        self,
        yname: str | None = None,
        xname: list[str] | None = None,
        title: str | None = None,
        alpha: float = 0.05,
        float_format: str = "%.4f",
    ) -> Summary2:
        """statsmodels' ``summary2()`` with its note on the constraints."""
        summary: Summary2 = super().summary2(  # type: ignore[misc]
            yname=yname, xname=xname, title=title, alpha=alpha, float_format=float_format
        )
        summary.add_text(CONSTRAINED_NOTE)
        return summary


class ConstrainedBinaryResults(_ConstrainedDiscrete, BinaryResults):
    """A Logit or Probit fitted under linear equality constraints."""


class ConstrainedCountResults(_ConstrainedDiscrete, CountResults):
    """A Poisson model fitted under linear equality constraints."""


CONSTRAINED_RESULTS: dict[type, type] = {
    GLMResults: ConstrainedGLMResults,
    BinaryResults: ConstrainedBinaryResults,
    CountResults: ConstrainedCountResults,
}
"""The constrained results class of each results class that statsmodels constrains."""
