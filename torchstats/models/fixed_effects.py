"""Least squares with absorbed fixed effects: ``ts.ols("y ~ x1 + x2 | f1 + f2", df)``.

By the Frisch-Waugh-Lovell theorem the coefficients of ``x`` in a regression of ``y`` on
``x`` and the dummies of the effects are those of the regression of the residuals of ``y``
on the residuals of ``x``, both taken on the dummies. The dummies are never built: the
residuals come from :func:`~torchstats.solvers.demean.absorb` (alternating projections on
the coefficients of the effects, in torch), and the effects themselves from the same
projections (``fixef()``).

What fixest and pyfixest do, done here alike: rows with a missing value in a fixed effect
are dropped; singletons (an effect level with one row) are dropped, repeatedly, and
counted (``fixef_rm="singleton"``, the default; ``"none"`` keeps them); regressors
collinear with the effects (constant within every level) or with each other are dropped
with a :class:`~torchstats.errors.CollinearityWarning`; the intercept is absorbed. The rows,
the effects and these rules are the model's
:class:`~torchstats.models.fixed_effects_sample.FixedEffectsSample`, which the GLMs with
fixed effects hold too. The
covariances and small-sample corrections are fixest's
(:mod:`torchstats.covariance.fixest`), chosen by pyfixest's ``vcov=``/``ssc=`` or by
statsmodels' ``cov_type=``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.covariance.fixest import (
    fixest_covariance,
    read_vcov,
    small_sample_for,
)
from torchstats.covariance.result import CovarianceResult
from torchstats.formula.fixest_syntax import FixestFormula
from torchstats.models.base import Model, caller_context, sized_threads
from torchstats.models.demean_cache import DemeanCache
from torchstats.models.fixed_effects_sample import FixedEffectsSample, FixefRemoval
from torchstats.models.fixed_effects_view import SampleView
from torchstats.results.fixed_effects import FixedEffectsResults
from torchstats.solvers.demean import Absorbed, AbsorbTerm, absorb, column_major
from torchstats.solvers.least_squares import solve_least_squares
from torchstats.solvers.result import SolverResult

__all__ = ["FixedEffectsOLS"]


@dataclass(frozen=True)
class _Within:
    """The demeaned (and whitened) data the coefficients are estimated from."""

    endog: torch.Tensor
    exog: torch.Tensor
    absorbed: Absorbed


class FixedEffectsOLS(SampleView, Model):
    """OLS or WLS with fixed effects absorbed (fixest's ``feols``, pyfixest's ``feols``).

    Built by ``ts.ols``/``ts.wls`` when the formula has a fixed-effects part; see the module
    notes and ``docs/fixed-effects.md``.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 | f1 + f2^f3 + f4[x1]"``.
    data : pandas.DataFrame
        The data.
    weights : str or array-like, optional
        Positive analytic weights (a column name, or one value per row of ``data``).
    missing : {"drop", "raise"}
        Rows with missing values: dropped (fixest) or an error.
    fixef_rm : {"singleton", "none"}
        Drop singleton rows (default, as pyfixest) or keep them.
    fixef_tol, fixef_maxiter : float, int
        Stopping rule of the demeaning (see :func:`~torchstats.solvers.demean.absorb`).
    collin_tol : float
        A regressor is dropped when its residual on the effects and the earlier regressors
        keeps less than this share of its centred sum of squares.
    device, dtype, context
        As for :func:`torchstats.ols`.
    demean_cache : DemeanCache, optional
        Demeaned columns shared by several models on the same rows and effects (multiple
        estimation): a column demeaned once is reused.
    """

    model_name = "OLS"
    _results_class = FixedEffectsResults

    def __init__(
        self,
        formula: str,
        data: Any,
        *,
        weights: Any = None,
        missing: str = "drop",
        fixef_rm: FixefRemoval = "singleton",
        fixef_tol: float = 1e-10,
        fixef_maxiter: int = 10_000,
        collin_tol: float = 1e-10,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
        demean_cache: DemeanCache | None = None,
    ) -> None:
        self.sample = FixedEffectsSample.from_formula(
            formula,
            data,
            weights=weights,
            missing=missing,
            fixef_rm=fixef_rm,
            fixef_tol=fixef_tol,
            fixef_maxiter=fixef_maxiter,
            collin_tol=collin_tol,
            context=caller_context(context, 2),
            device=device,
            dtype=dtype,
            model=type(self).__name__,
        )
        """The rows used, their effects and the rules to absorb them (collinear regressors
        dropped)."""
        self.fixest_formula: FixestFormula = self.sample.formula
        self._formula_text = formula
        self._cache = demean_cache
        self.design = self.sample.design  # sizes the demeaning's threads (sized_threads)
        self.sample, self._within = self._demean(self.sample)
        self.design = self.sample.design

    # --- demeaning ---------------------------------------------------------------------------

    @sized_threads
    def _demean(self, sample: FixedEffectsSample) -> tuple[FixedEffectsSample, _Within]:
        """The demeaning of ``[y, X]`` and the sample without the collinear regressors."""
        design = sample.design
        names = (str(design.endog_name), *design.exog_names)
        # a new tensor, stored column by column (the demeaning overwrites it)
        columns = column_major(design.endog, design.exog)
        weights = sample.row_weights
        if self._cache is None:
            absorbed = sample.absorb(columns, weights, overwrite=True)
        else:
            absorbed = self._cache.absorb(sample, names, columns)
        endog, exog = absorbed.resid[:, 0], absorbed.resid[:, 1:]
        sample, keep = sample.drop_collinear(exog, weights)
        if len(keep) < design.k_exog:
            exog = exog[:, keep]
            absorbed = Absorbed(
                absorbed.resid[:, [0, *(1 + i for i in keep)]],
                tuple(e[:, [0, *(1 + i for i in keep)]] for e in absorbed.effects),
                absorbed.n_iter,
                absorbed.converged,
            )
        return sample, _Within(endog, exog, absorbed)

    # --- fit ----------------------------------------------------------------------------------

    def whitened(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The demeaned response and design multiplied by ``sqrt(w)``."""
        y, X = self._within.endog, self._within.exog
        if self.row_weights is None:
            return y, X
        root = torch.sqrt(self.row_weights)
        return root * y, X * root.unsqueeze(1)

    @property
    def demeaning(self) -> Absorbed:
        """The demeaning of ``[y, X]``: residuals, effects, sweeps, convergence."""
        return self._within.absorbed

    @sized_threads
    def fit(
        self,
        vcov: str | Mapping[str, str] | None = None,
        ssc: Mapping[str, object] | None = None,
        *,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> FixedEffectsResults:
        """Estimate the coefficients; inference by ``vcov`` (pyfixest) or ``cov_type``.

        Parameters
        ----------
        vcov : str or dict, optional
            ``"iid"`` (default), ``"hetero"``, ``"HC1"``-``"HC3"`` (HC2/HC3 without fixed
            effects), ``{"CRV1": "g"}``, ``{"CRV3": "g"}``, ``{"CRV1": "g1+g2"}``.
        ssc : dict, optional
            Small-sample corrections (see :mod:`torchstats.covariance.fixest`).
        cov_type, cov_kwds : optional
            statsmodels' spelling: ``"nonrobust"``, ``"HC0"``-``"HC3"``, ``"cluster"`` with
            ``cov_kwds={"groups": "g"}``.
        """
        y, X = self.whitened()
        if X.shape[1]:
            fit = solve_least_squares(X, y, method=_solver_for(X))
        else:
            empty = torch.zeros(0, dtype=y.dtype, device=y.device)
            fit = SolverResult(
                empty,
                "none",
                True,
                0,
                0.0,
                "no coefficients",
                0,
                torch.zeros((0, 0), dtype=y.dtype, device=y.device),
            )
        covariance = self.fixest_covariance(fit, vcov, ssc, cov_type, cov_kwds)
        return FixedEffectsResults(self, fit, covariance, ssc=dict(ssc or {}))

    def covariance(
        self,
        fit: SolverResult,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
    ) -> CovarianceResult:
        """statsmodels' door to the covariances (``get_robustcov_results``)."""
        del use_t  # fixest's inference always uses t
        return self.fixest_covariance(fit, None, None, cov_type, cov_kwds)

    def fixest_covariance(
        self,
        fit: SolverResult,
        vcov: str | Mapping[str, str] | None,
        ssc: Mapping[str, object] | None,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> CovarianceResult:
        """The covariance asked for, by pyfixest's ``vcov``/``ssc`` or statsmodels' name."""
        choice = read_vcov(vcov, cov_type, cov_kwds)
        y, X = self.whitened()
        resid = torch.neg_(X @ fit.params).add_(y)  # y - X b, without a second (n,) temporary
        bread = fit.normalized_cov
        assert bread is not None  # least squares always sets it
        clusters = self.sample.clusters(choice.clusters) if choice.clustered else None
        return fixest_covariance(
            choice,
            small_sample_for(choice, ssc),
            bread=bread,
            design=X,
            resid=resid,
            effects=self.effect_counts,
            clusters=clusters,
            params=fit.params,
            leave_out=self.params_without,
        )

    def params_without(self, rows: np.ndarray) -> torch.Tensor:
        """The coefficients refitted without ``rows`` (a mask over the rows used), the
        effects demeaned again and singletons dropped again, as pyfixest's CRV3 does."""
        keep = self.sample.rows_without(rows)
        design = self.design
        columns = torch.column_stack([design.endog, design.exog])[torch.as_tensor(keep)]
        mask = torch.as_tensor(keep, device=columns.device)
        terms = tuple(
            AbsorbTerm(
                torch.unique(t.codes[mask], return_inverse=True)[1],
                int(torch.unique(t.codes[mask]).shape[0]),
                None if t.slope is None else t.slope[mask],
            )
            for t in self.absorb_terms
        )
        weights = None if self.row_weights is None else self.row_weights[mask]
        tol, maxiter = self.sample.fixef_tol, self.sample.fixef_maxiter
        resid = absorb(columns, terms, weights, tol=tol, maxiter=maxiter).resid
        y, X = resid[:, 0], resid[:, 1:]
        if weights is not None:
            root = torch.sqrt(weights)
            y, X = root * y, X * root.unsqueeze(1)
        return torch.linalg.lstsq(
            X, y.unsqueeze(1), driver="gelsd" if X.device.type == "cpu" else None
        ).solution.squeeze(1)

    # --- effects and predictions ---------------------------------------------------------------

    def effects(self, params: torch.Tensor) -> list[torch.Tensor]:
        """Each absorbed term's coefficients at ``params``, normalised as fixest: every
        fixed effect after the first has its first level at 0."""
        return self.sample.normalised(
            [e[:, 0] - e[:, 1:] @ params for e in self._within.absorbed.effects]
        )

    def fixef(self, params: torch.Tensor) -> dict[str, pd.Series]:
        """The effects at ``params`` as Series indexed by level, by term name."""
        return self.sample.fixef_series(self.effects(params))

    def predict_frame(self, params: torch.Tensor, frame: pd.DataFrame | None) -> np.ndarray:
        """Fitted values ``X b + effects`` for ``frame`` (None: the rows used); NaN where a
        level was not in the fit."""
        effects = self.effects(params)
        if frame is None:
            fitted = self.design.exog @ params + self.sample.effects_of_rows(effects)
            return fitted.cpu().numpy()
        return self.sample.predict_frame(params, effects, frame)


# Below this many numbers in the demeaned design, Householder QR with double-double
# refinement (every certified digit); above, Cholesky of the equilibrated Gram matrix with
# one refinement step (12+ digits up to a condition number of 1e8, beyond which it warns and
# takes QR). The refinement's elementwise passes cost ~30 n k operations: at 1e6 x 1 they
# took 1.2 s against 0.02 s for the Gram route, and a whole fit of `y ~ x1 | f1` at 1e4 and
# 5e4 rows 7.5 and 24.6 ms against 4.4 and 6.9 ms. The bound is "auto"'s
# (solvers/least_squares.py).
_QR_BELOW_NUMBERS = 1 << 12


def _solver_for(X: torch.Tensor) -> str:
    return "qr" if X.shape[0] * X.shape[1] < _QR_BELOW_NUMBERS else "cholesky"
