"""Results of a GLM fit with absorbed fixed effects (fixest's ``feglm``/``fepois``).

statsmodels' names (``params``, ``bse``, ``tvalues``, ``pvalues``, ``conf_int()``,
``cov_params()``, ``deviance``, ``llf``, ``scale``, ``fittedvalues``, ``resid_response``,
``resid_working``, ``predict``, ``summary()``) and pyfixest's (``coef()``, ``se()``,
``tstat()``, ``pvalue()``, ``confint()``, ``tidy()``, ``fixef()``, ``vcov()``). The tests
are z tests, as fixest's and pyfixest's for GLMs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import pandas as pd
import torch

from torchstats.errors import InvalidOptionError
from torchstats.results.base import LikelihoodResults
from torchstats.results.pyfixest_tables import PyfixestTables

__all__ = ["FixedEffectsGLMResults", "GlmIterations"]


@dataclass(frozen=True)
class GlmIterations:
    """Where the IRLS iterations of a fixed-effects GLM ended.

    Attributes
    ----------
    params : Tensor, shape (k,)
        The coefficients.
    eta, mu : Tensor, shape (n,)
        Linear predictor (offset and effects included) and mean.
    deviance : float
        The (weighted) deviance at ``mu``.
    irls_weights : Tensor, shape (n,)
        ``w / (g'^2 V)`` of the last iteration, prior weights included.
    design : Tensor, shape (n, k)
        The design with the effects projected out in the last iteration.
    working_resid : Tensor, shape (n,)
        ``z~ - X~ b`` of the last iteration.
    n_iter : int
        IRLS iterations.
    converged : bool
        Whether the deviance rule was met.
    """

    params: torch.Tensor
    eta: torch.Tensor
    mu: torch.Tensor
    deviance: float
    irls_weights: torch.Tensor
    design: torch.Tensor
    working_resid: torch.Tensor
    n_iter: int
    converged: bool


class FixedEffectsGLMResults(PyfixestTables, LikelihoodResults):
    """What a fixed-effects GLM fit reports (see the module notes)."""

    @property
    def iterations(self) -> GlmIterations:
        """Where the IRLS iterations ended (weights, demeaned design, mean...)."""
        iterations: GlmIterations = self._record["iterations"]
        return iterations

    # --- sizes ------------------------------------------------------------------------------

    @property
    def nobs(self) -> float:
        """Observations used (after missing values, singletons and separated levels)."""
        return self.model.nobs

    @property
    def n_singletons(self) -> int:
        """Rows dropped as singletons."""
        return int(self.model.n_singletons)

    @property
    def n_separated(self) -> int:
        """Rows dropped because their fixed-effect level is perfectly separated."""
        return int(self.model.n_separated)

    @property
    def fixef_names(self) -> tuple[str, ...]:
        """The fixed effects, as written in the formula (for tables)."""
        return tuple(self.model.fixef_names)

    @property
    def df_resid(self) -> float:
        """Observations less coefficients less the effects' levels (one fewer per effect
        after the first)."""
        return self.model.df_resid

    @property
    def df_model(self) -> float:
        """Number of coefficients."""
        return self.model.df_model

    # --- fit --------------------------------------------------------------------------------

    @property
    def deviance(self) -> float:
        """The deviance (weighted with prior weights)."""
        return self.iterations.deviance

    @cached_property
    def scale(self) -> float:
        """The dispersion: 1 for Poisson, binomial and negative binomial; Pearson's
        chi-squared over :attr:`df_resid` otherwise."""
        return float(self.model.scale(self.iterations))

    @cached_property
    def llf(self) -> float:
        """The log-likelihood, for families with a fixed scale (Poisson, binomial, negative
        binomial); other families need a scale estimate and raise."""
        family = self.model.family
        if not family.fixed_scale:
            raise InvalidOptionError(
                f"llf is reported for families with a fixed scale only, not {family!r}: the "
                "likelihood of this family depends on the dispersion estimate"
            )
        weights = self.model.row_weights
        return float(
            family.loglike(
                self.model.design.endog, self.iterations.mu, 1.0 if weights is None else weights
            )
        )

    @property
    def fittedvalues(self) -> Any:
        """The means ``g^{-1}(eta)`` of the rows used."""
        return self._output.observations(self.iterations.mu)

    @property
    def resid_response(self) -> Any:
        """``y - mu`` of the rows used."""
        return self._output.observations(self.model.design.endog - self.iterations.mu)

    @property
    def resid_working(self) -> Any:
        """The working residuals of the last iteration (demeaned), as pyfixest's
        ``resid(type="working")``."""
        return self._output.observations(self.iterations.working_resid)

    # --- effects and predictions ------------------------------------------------------------

    def fixef(self) -> dict[str, pd.Series]:
        """The estimated effects on the link scale, a Series per term indexed by level.

        With several fixed effects only their sum is identified; as fixest, every fixed
        effect after the first has its first level at 0.
        """
        return self.model.glm_fixef(self.iterations)

    def predict(
        self,
        newdata: pd.DataFrame | None = None,
        type: Literal["response", "link"] = "response",  # noqa: A002 - pyfixest's name
        offset: Any = None,
    ) -> Any:
        """Predictions for ``newdata`` (None: the rows used): the mean (``"response"``) or
        the linear predictor (``"link"``); NaN where a level of an effect was not in the fit.

        ``offset`` (a column name or one value per row of ``newdata``) is added to the
        linear predictor of new rows; without it the fit's offset and exposure columns are
        read from ``newdata``, as fixest and pyfixest do (an offset given as values cannot
        be: a warning says the prediction leaves it out).
        """
        if type not in ("response", "link"):
            raise InvalidOptionError(f"type must be 'response' or 'link', got {type!r}")
        if newdata is None:
            values = self.iterations.eta if type == "link" else self.iterations.mu
            return self._output.observations(values)
        eta = self.model.glm_predict(self.iterations, newdata, offset)
        if type == "link":
            return pd.Series(eta, index=newdata.index)
        mu = self.model.family.fitted(torch.as_tensor(eta, dtype=torch.float64)).numpy()
        return pd.Series(mu, index=newdata.index)

    # --- other covariances ------------------------------------------------------------------

    def vcov(
        self, vcov: str | Mapping[str, str], ssc: Mapping[str, object] | None = None
    ) -> FixedEffectsGLMResults:
        """A new results object with another covariance (pyfixest's ``vcov``; this one is
        left unchanged), with the fit's small-sample corrections unless ``ssc`` is given
        (as pyfixest)."""
        ssc = self._record.get("ssc") if ssc is None else ssc
        covariance = self.model.glm_covariance(self.iterations, vcov, ssc)
        return FixedEffectsGLMResults(
            self.model, self.fit_result, covariance, iterations=self.iterations, ssc=dict(ssc or {})
        )

    # --- summary ----------------------------------------------------------------------------

    def summary(self, alpha: float = 0.05) -> str:
        """A fixest-style text summary: the fit, the effects, the coefficients, the deviance."""
        counts = self.model.effect_counts
        effects = ", ".join(
            f"{name} ({levels})" for name, levels in zip(counts.names, counts.n_levels, strict=True)
        )
        dropped = [
            f"{count} {what} removed"
            for count, what in ((self.n_singletons, "singletons"), (self.n_separated, "separated"))
            if count
        ]
        state = "converged" if self.converged else "NOT converged"
        clusters = self.cov_kwds.get("clusters")
        errors = f"{self.cov_type}{' by ' + '+'.join(clusters) if clusters else ''}"
        lines = [
            f"Estimation: GLM, {self.model.family!r}",
            f"Formula: {self.model.formula_text}",
            f"Dep. var.: {self.model.endog_names}",
            f"Observations: {int(self.nobs)}{' (' + ', '.join(dropped) + ')' if dropped else ''}",
            f"Fixed effects: {effects or 'none'}",
            f"IRLS: {self.n_iter} iterations, {state}",
            f"Standard errors: {errors}; z tests",
            "",
            self.tidy(alpha).to_string(float_format=lambda v: f"{v:.6g}"),
            "",
            f"Deviance: {self.deviance:.6g}   Dispersion: {self.scale:.6g}",
        ]
        return "\n".join(lines)
