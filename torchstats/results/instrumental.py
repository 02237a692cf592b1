"""Results of a 2SLS fit (with or without absorbed fixed effects).

Everything :class:`~torchstats.results.fixed_effects.FixedEffectsResults` reports
(statsmodels' and pyfixest's names; the residuals are the structural ``y - X b -
effects``), and the instrumental-variables diagnostics: :attr:`first_stage` (one
:class:`~torchstats.results.iv_diagnostics.FirstStage` per endogenous regressor, with
pyfixest's first-stage F and effective F and linearmodels' partial R-squared),
:meth:`wu_hausman`, :attr:`sargan` and the Kleibergen-Paap statistics
(:attr:`kleibergen_paap`, :attr:`kleibergen_paap_f`), with linearmodels' names and
definitions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import pandas as pd
import torch

from torchstats.covariance.fixest import VcovChoice
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import InvalidOptionError
from torchstats.results.fixed_effects import FixedEffectsResults
from torchstats.results.iv_diagnostics import (
    FirstStage,
    IVTestStatistic,
    first_stages,
    kleibergen_paap,
    sargan,
    tested_columns,
    wu_hausman,
)
from torchstats.solvers.result import SolverResult

__all__ = ["InstrumentalResults"]


class InstrumentalResults(FixedEffectsResults):
    """What a 2SLS fit reports (see the module notes)."""

    @property
    def vcov_choice(self) -> VcovChoice:
        """The covariance estimator of this results object (pyfixest's name and clusters)."""
        clusters = tuple(self.covariance.kwds.get("clusters", ()))
        return VcovChoice(self.covariance.cov_type, clusters)  # type: ignore[arg-type]

    def vcov(
        self, vcov: str | Mapping[str, str], ssc: Mapping[str, object] | None = None
    ) -> InstrumentalResults:
        """A new results object with another covariance (pyfixest's ``vcov``; this one is
        left unchanged), with the fit's small-sample corrections unless ``ssc`` is given
        (as pyfixest)."""
        ssc = self._record.get("ssc") if ssc is None else ssc
        covariance = self.model.fixest_covariance(self.fit_result, vcov, ssc)
        return InstrumentalResults(self.model, self.fit_result, covariance, ssc=dict(ssc or {}))

    def get_robustcov_results(
        self, cov_type: str = "HC1", use_t: bool | None = None, **cov_kwds: Any
    ) -> InstrumentalResults:
        """statsmodels' door to another covariance (``"nonrobust"``, ``"HC0"``/``"HC1"``,
        ``"cluster"`` with ``groups="g"``), with fixest's default small-sample corrections;
        this one is left unchanged."""
        del use_t  # fixest's inference always uses t
        covariance = self.model.fixest_covariance(self.fit_result, None, None, cov_type, cov_kwds)
        return InstrumentalResults(self.model, self.fit_result, covariance, ssc={})

    # --- diagnostics --------------------------------------------------------------------------

    @cached_property
    def first_stage(self) -> dict[str, FirstStage]:
        """The first stage of each endogenous regressor, by name, with this fit's
        covariance and small-sample corrections.

        Notes
        -----
        ``fvalue`` is pyfixest's ``_f_stat_1st_stage`` and ``effective_f`` its ``_eff_F``
        (Olea and Pflueger 2013) where pyfixest defines them (one endogenous regressor,
        one-way clustering), except that the instruments' cross-product in the effective F
        is taken after partialling out the exogenous regressors, as Olea and Pflueger
        define it (pyfixest does not partial them out; the two agree with one excluded
        instrument, or without exogenous regressors besides the effects). pyfixest fits its
        first stage with the default ``ssc`` and only the first of two cluster columns;
        here the first stage uses the fit's ``ssc`` and all its cluster columns.
        """
        data = self.model.instrumented
        ssc = self._record.get("ssc")
        k = data.n_included

        def sandwich(
            choice: VcovChoice, design: torch.Tensor, resid: torch.Tensor, fit: SolverResult
        ) -> CovarianceResult:
            return self.model.sandwich(choice, ssc, design, resid, fit)

        names = (
            self.model.endogenous_names,
            self.model.included_names,
            self.model.instrument_names,
        )
        return first_stages(
            data.exog[:, k:], data.instruments, k, names, self.vcov_choice, sandwich
        )

    def first_stage_summary(self) -> pd.DataFrame:
        """One row per endogenous regressor: partial R-squared, first-stage F, its
        p-value, degrees of freedom and the effective F."""
        rows = {
            name: {
                "partial.rsquared": stage.partial_rsquared,
                "f.stat": stage.fvalue,
                "f.pval": stage.f_pvalue,
                "f.df_num": stage.df_num,
                "f.df_denom": stage.df_denom,
                "effective.f": stage.effective_f,
            }
            for name, stage in self.first_stage.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def wu_hausman(self, variables: str | Sequence[str] | None = None) -> IVTestStatistic:
        """Wu-Hausman test of the exogeneity of the endogenous regressors (all, or
        ``variables``), as linearmodels' ``wu_hausman``: an F statistic that assumes
        homoskedastic errors whatever the covariance of the fit."""
        data = self.model.instrumented
        tested, null = tested_columns(variables, self.model.endogenous_names, data.n_included)
        return wu_hausman(
            data.endog,
            data.exog,
            data.instruments,
            self._whitened_resid,
            tested,
            self.model.df_resid,
            null,
        )

    @cached_property
    def sargan(self) -> IVTestStatistic:
        """Sargan's test of the over-identifying restrictions (linearmodels' ``sargan``);
        a :class:`~torchstats.errors.DesignError` for an exactly identified model."""
        return sargan(
            self.model.instrumented.instruments,
            self._whitened_resid,
            len(self.model.endogenous_names),
            len(self.model.instrument_names),
        )

    @cached_property
    def _rank_tests(self) -> tuple[IVTestStatistic, float]:
        choice = self.vcov_choice
        if len(choice.clusters) > 1:
            raise InvalidOptionError(
                "the Kleibergen-Paap statistics are defined for one-way clustering only; use "
                "res.vcov({'CRV1': 'g'}) with one cluster column"
            )
        data = self.model.instrumented
        k = data.n_included
        clusters = None
        if choice.clustered:
            codes = self.model.cluster_columns(choice.clusters).codes[0]
            clusters = torch.as_tensor(codes, device=data.endog.device)
        p, q = len(self.model.endogenous_names), len(self.model.instrument_names)
        return kleibergen_paap(
            data.exog[:, k:],
            data.instruments[:, k:],
            data.instruments[:, :k],
            "iid" if choice.kind == "iid" else choice.kind,
            clusters,
            self.model.df_resid + p - q,
        )

    @property
    def kleibergen_paap(self) -> IVTestStatistic:
        """Kleibergen-Paap rk LM test of under-identification with this fit's covariance
        (Anderson's canonical-correlation LM for ``"iid"``), as linearmodels'
        ``first_stage.kleibergen_paap``; ``chi2(q - p + 1)``."""
        return self._rank_tests[0]

    @property
    def kleibergen_paap_f(self) -> float:
        """Kleibergen-Paap rk Wald F with this fit's covariance (Cragg-Donald's F for
        ``"iid"``), as linearmodels' ``first_stage.kleibergen_paap_f`` and Stata's
        ``ivreg2``; one-way clustering only."""
        return self._rank_tests[1]

    # --- summary ----------------------------------------------------------------------------

    def summary(self, alpha: float = 0.05) -> str:
        """A fixest-style text summary: the fit, the instruments, the coefficients and the
        first-stage statistics."""
        _, _, rest = super().summary(alpha).partition("\n")  # its first line says OLS
        weighted = " (weighted)" if self.model.row_weights is not None else ""
        instruments = (
            f"Endogenous: {', '.join(self.model.endogenous_names)}; "
            f"instruments: {', '.join(self.model.instrument_names)}"
        )
        stages = "\n".join(
            f"First stage {name}: F = {stage.fvalue:.6g} (p = {stage.f_pvalue:.4g}), "
            f"partial R2 = {stage.partial_rsquared:.6g}, effective F = {stage.effective_f:.6g}"
            for name, stage in self.first_stage.items()
        )
        return f"Estimation: IV (2SLS){weighted}\n{instruments}\n{rest}\n{stages}"
