"""Two-stage least squares with absorbed fixed effects: ``ts.ols("y ~ x | f | d ~ z", df)``.

The formula is fixest's: ``"y ~ exog | fe1 + fe2 | endog ~ z1 + z2"``, or without effects
``"y ~ exog | endog ~ z1 + z2"``. The effects are projected out of the response, the
included regressors, the endogenous regressors and the instruments in one
:func:`~torchstats.solvers.demean.absorb` call (Frisch-Waugh-Lovell holds for 2SLS
because the effects are among the instruments); then, with every column multiplied by
``sqrt(w)`` for weights,

    X = [exog, endog],   Z = [exog, instruments],   X^ = P_Z X,
    b = (X^'X^)^{-1} X^'y  (= (X'P_Z X)^{-1} X'P_Z y),

with ``X^`` from a QR of ``Z`` and ``b`` from the library's least-squares solver
(``method="auto"``: refined QR for small problems, a guarded Cholesky of ``X^'X^`` for
large well-conditioned ones). The covariances are fixest's
(:mod:`torchstats.covariance.fixest`) with the bread ``(X'P_Z X)^{-1}`` and the scores
``X^_i u_i`` of the structural residuals ``u = y - X b``: the sandwich pyfixest writes as
``bread tXZ (Z'Z)^-1 Omega (Z'Z)^-1 tZX bread`` (``Feols._vcov_hetero`` with
``_is_iv``). CRV3, HC2 and HC3 are refused, as pyfixest refuses them for IV.

The rows, singletons, effects and clusters are a
:class:`~torchstats.models.fixed_effects_sample.FixedEffectsSample`, as for
:class:`~torchstats.models.fixed_effects.FixedEffectsOLS`, whose design carries the
endogenous regressors and the instruments as blocks. A column collinear with the effects
and the columns before it is dropped with a warning (the regressors first; an endogenous
regressor or an instrument against the included regressors), and fewer instruments than
endogenous regressors is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats._device import OutputFormat
from torchstats.covariance.fixest import (
    ClusterColumns,
    VcovChoice,
    fixest_covariance,
    read_vcov,
    small_sample_for,
)
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import CollinearityWarning, DesignError, InvalidOptionError, warn
from torchstats.formula.design import Design
from torchstats.formula.fixest_syntax import FixestFormula
from torchstats.formula.newdata import exog_for_prediction
from torchstats.models.base import Model, caller_context, sized_threads
from torchstats.models.demean_cache import DemeanCache
from torchstats.models.fixed_effects_sample import FixedEffectsSample, FixefRemoval
from torchstats.models.fixed_effects_view import SampleView
from torchstats.results.instrumental import InstrumentalResults
from torchstats.solvers.collinear_columns import independent_columns
from torchstats.solvers.demean import Absorbed, column_major
from torchstats.solvers.least_squares import solve_least_squares
from torchstats.solvers.result import SolverResult

__all__ = ["FixedEffectsIV", "Instrumented"]

"""A variable name in a formula (the fit's size is rows times their number)."""


@dataclass(frozen=True)
class Instrumented:
    """The demeaned columns the 2SLS estimate is computed from, times ``sqrt(w)``.

    Attributes
    ----------
    endog : Tensor, shape (n,)
        The response.
    exog : Tensor, shape (n, k)
        The regressors ``[included exogenous, endogenous]``, in the order of ``params``.
    instruments : Tensor, shape (n, m)
        ``[included exogenous, excluded instruments]``.
    projected : Tensor, shape (n, k)
        ``X^ = P_Z X``, the regressors' fitted values on the instruments.
    n_included : int
        How many of the first columns of ``exog`` (and of ``instruments``) are exogenous.
    """

    endog: torch.Tensor
    exog: torch.Tensor
    instruments: torch.Tensor
    projected: torch.Tensor
    n_included: int


class FixedEffectsIV(SampleView, Model):
    """2SLS with fixed effects absorbed (pyfixest's ``feols`` with an IV part).

    Built by ``ts.ols``/``ts.wls`` when the formula has an instrumental-variables part; see
    the module notes and ``docs/instrumental-variables.md``.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 | f1 + f2 | d1 + d2 ~ z1 + z2 + z3"`` (the effects part is optional).
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
        A column is dropped when its residual on the effects and the earlier columns keeps
        less than this share of its centred sum of squares.
    device, dtype, context
        As for :func:`torchstats.ols`.
    demean_cache : DemeanCache, optional
        Demeaned columns shared by several models on the same rows and effects (multiple
        estimation): a column demeaned once is reused.

    Raises
    ------
    DesignError
        No instrumental-variables part, an endogenous variable also among the regressors,
        or fewer (independent) instruments than endogenous regressors.
    """

    model_name = "IV2SLS"

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
        sample = FixedEffectsSample.from_formula(
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
            instrumental=True,
        )
        self.fixest_formula: FixestFormula = sample.formula
        self._formula_text = formula
        # on the constructor's threads (torchstats._threads): the data's size decides
        self.sample, self._absorbed, self._instrumented = _demean(sample, demean_cache)
        """The rows used, their effects and the rules to absorb them; the regressors,
        endogenous regressors and instruments without the collinear columns."""
        self.design = self._regressors()

    # --- names and sizes ------------------------------------------------------------------------

    def _regressors(self) -> Design:
        """The regressors ``[included exogenous, endogenous]`` as one design (names, rows,
        the response); the instruments are :attr:`instrument_names`."""
        exog, endog = self.sample.design, self.sample.endogenous
        names = exog.exog_names + endog.exog_names
        return replace(
            exog,
            exog=torch.column_stack([exog.exog, endog.exog]),
            exog_names=names,
            output=OutputFormat(exog.output.kind, names, exog.output.row_index),
            terms=(),
            model_spec=None,
            spec_columns=None,
            blocks={},
        )

    @property
    def endogenous_names(self) -> tuple[str, ...]:
        """The endogenous regressors (the last parameters)."""
        return self.sample.endogenous.exog_names

    @property
    def instrument_names(self) -> tuple[str, ...]:
        """The excluded instruments."""
        return self.sample.instruments.exog_names

    @property
    def included_names(self) -> tuple[str, ...]:
        """The included exogenous regressors (the first parameters)."""
        return self.sample.design.exog_names

    @property
    def nobs(self) -> float:
        """Observations used (after missing values and singletons)."""
        return float(self._instrumented.endog.shape[0])

    @property
    def rank(self) -> int:
        """Number of coefficients."""
        return int(self._instrumented.exog.shape[1])

    @property
    def df_model(self) -> float:
        """Number of coefficients (less one for an intercept)."""
        return float(self.rank - ("Intercept" in self.included_names))

    @property
    def k_constant(self) -> int:
        """1 with an explicit intercept, 0 where the effects absorb it."""
        return int("Intercept" in self.included_names)

    @property
    def instrumented(self) -> Instrumented:
        """The demeaned, weighted columns of the estimate."""
        return self._instrumented

    @property
    def demeaning(self) -> Absorbed:
        """The demeaning of ``[y, exog, endog, instruments]``: residuals, effects, sweeps."""
        return self._absorbed

    def whitened(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The demeaned response and regressors multiplied by ``sqrt(w)`` (the residuals
        ``y - X b`` are the structural ones)."""
        return self._instrumented.endog, self._instrumented.exog

    # --- fit ----------------------------------------------------------------------------------

    @sized_threads
    def fit(
        self,
        vcov: str | Mapping[str, str] | None = None,
        ssc: Mapping[str, object] | None = None,
        *,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> InstrumentalResults:
        """Estimate by 2SLS; inference by ``vcov`` (pyfixest) or ``cov_type`` (statsmodels).

        Parameters
        ----------
        vcov : str or dict, optional
            ``"iid"`` (default), ``"hetero"`` (``"HC1"``), ``{"CRV1": "g"}`` or
            ``{"CRV1": "g1+g2"}``.
        ssc : dict, optional
            Small-sample corrections (see :mod:`torchstats.covariance.fixest`).
        cov_type, cov_kwds : optional
            statsmodels' spelling: ``"nonrobust"``, ``"HC0"``/``"HC1"``, ``"cluster"`` with
            ``cov_kwds={"groups": "g"}``.

        Raises
        ------
        InvalidOptionError
            CRV3, HC2 or HC3 (not defined here for IV, as in pyfixest).
        """
        data = self._instrumented
        fit = solve_least_squares(data.projected, data.endog, method="auto")
        choice = self.vcov_choice(vcov, cov_type, cov_kwds)
        covariance = self.sandwich(
            choice, ssc, data.projected, data.endog - data.exog @ fit.params, fit
        )
        return InstrumentalResults(self, fit, covariance, ssc=dict(ssc or {}))

    def vcov_choice(
        self,
        vcov: str | Mapping[str, str] | None,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> VcovChoice:
        """The covariance asked for; CRV3, HC2 and HC3 are refused for IV (as pyfixest)."""
        choice = read_vcov(vcov, cov_type, cov_kwds)
        if choice.kind in ("CRV3", "HC2", "HC3"):
            raise InvalidOptionError(
                f"{choice.kind} is not available for instrumental variables (pyfixest refuses "
                "it too); use 'iid', 'hetero' or {'CRV1': 'g'}"
            )
        return choice

    def sandwich(
        self,
        choice: VcovChoice,
        ssc: Mapping[str, object] | None,
        design: torch.Tensor,
        resid: torch.Tensor,
        fit: SolverResult,
    ) -> CovarianceResult:
        """fixest's covariance ``choice`` of a least-squares fit on the rows used.

        Parameters
        ----------
        choice, ssc
            The estimator and the small-sample corrections.
        design : Tensor, shape (n, k)
            The (whitened) regressors whose Gram matrix ``fit.normalized_cov`` inverts:
            ``X^`` for the 2SLS estimate, ``Z`` for a first stage.
        resid : Tensor, shape (n,)
            The (whitened) residuals: the structural ``y - X b`` for 2SLS.
        fit : SolverResult
            The estimate, with its ``normalized_cov``.
        """
        assert fit.normalized_cov is not None  # least squares always sets it
        return fixest_covariance(
            choice,
            small_sample_for(choice, ssc),
            bread=fit.normalized_cov,
            design=design,
            resid=resid,
            effects=self.effect_counts,
            clusters=self.cluster_columns(choice.clusters) if choice.clustered else None,
            params=fit.params,
        )

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
        """The 2SLS covariance asked for, by pyfixest's ``vcov``/``ssc`` or statsmodels'."""
        data = self._instrumented
        resid = data.endog - data.exog @ fit.params
        return self.sandwich(
            self.vcov_choice(vcov, cov_type, cov_kwds), ssc, data.projected, resid, fit
        )

    def cluster_columns(self, names: tuple[str, ...]) -> ClusterColumns:
        """Codes ``0 .. G-1`` of the rows used in each cluster column ``names``."""
        return self.sample.clusters(names)

    # --- effects and fitted values ----------------------------------------------------------------

    def effects(self, params: torch.Tensor) -> list[torch.Tensor]:
        """Each absorbed term's coefficients at ``params``, normalised as fixest: every
        fixed effect after the first has its first level at 0."""
        k = params.shape[0]
        return self.sample.normalised(
            [e[:, 0] - e[:, 1 : 1 + k] @ params for e in self._absorbed.effects]
        )

    def fixef(self, params: torch.Tensor) -> dict[str, pd.Series]:
        """The effects at ``params`` as Series indexed by level, by term name."""
        return self.sample.fixef_series(self.effects(params))

    def predict_frame(self, params: torch.Tensor, frame: pd.DataFrame | None) -> np.ndarray:
        """Fitted values ``X b + effects`` for ``frame`` (None: the rows used), with the
        endogenous regressors' values in ``frame`` (as linearmodels' ``predict``); NaN
        where a level of an effect was not in the fit."""
        effects = self.effects(params)
        if frame is None:
            fitted = self.design.exog @ params + self.sample.effects_of_rows(effects)
            return fitted.cpu().numpy()
        parts = [
            exog_for_prediction(part, frame, device=params.device, dtype=params.dtype)[0]
            for part in (self.sample.design, self.sample.endogenous)
            if part.k_exog
        ]
        prediction = (torch.column_stack(parts) @ params).cpu().numpy()
        return prediction + self.sample.effects_of_frame(effects, frame)


# --- demeaning and collinearity -------------------------------------------------------------------


def _demean(
    sample: FixedEffectsSample, cache: DemeanCache | None
) -> tuple[FixedEffectsSample, Absorbed, Instrumented]:
    """The demeaning of ``[y, exog, endog, instruments]`` (collinear columns dropped; the
    columns ``cache`` has for these rows and effects taken from it), the sample without
    those columns, and the weighted columns of the estimate."""
    exog, endog, instruments = sample.design, sample.endogenous, sample.instruments
    # a new tensor, stored column by column (the demeaning overwrites it); the sample's
    # plan, which the sample without the collinear columns keeps
    columns = column_major(exog.endog, exog.exog, endog.exog, instruments.exog)
    if cache is None:
        absorbed = sample.absorb(
            columns, sample.row_weights, overwrite=True, plan=sample.absorb_plan
        )
    else:
        names = (
            str(exog.endog_name),
            *exog.exog_names,
            *endog.exog_names,
            *instruments.exog_names,
        )
        absorbed = cache.absorb(sample, names, columns)
    resid = absorbed.resid
    k_x, k_d = exog.k_exog, endog.k_exog
    parts = (
        resid[:, 1 : 1 + k_x],
        resid[:, 1 + k_x : 1 + k_x + k_d],
        resid[:, 1 + k_x + k_d :],
    )
    kept_exog = _independent(sample, parts[0], exog, None)
    before = (parts[0][:, kept_exog], exog.exog[:, kept_exog])
    kept_endog = _independent(sample, parts[1], endog, before)
    kept_instr = _independent(sample, parts[2], instruments, before)
    if len(kept_instr) < len(kept_endog):
        raise DesignError(
            f"{len(kept_instr)} independent instrument(s) for {len(kept_endog)} endogenous "
            "regressor(s): give at least as many excluded instruments as endogenous "
            "regressors"
        )
    sample = (
        sample.keep_columns(kept_exog)
        .keep_columns(kept_endog, "endogenous")
        .keep_columns(kept_instr, "instruments")
    )
    order = [
        0,
        *(1 + i for i in kept_exog),
        *(1 + k_x + i for i in kept_endog),
        *(1 + k_x + k_d + i for i in kept_instr),
    ]
    if len(order) < resid.shape[1]:  # no copy when every column is kept
        absorbed = Absorbed(
            resid[:, order],
            tuple(e[:, order] for e in absorbed.effects),
            absorbed.n_iter,
            absorbed.converged,
        )
    instrumented = _instrument(absorbed.resid, sample.row_weights, len(kept_exog), len(kept_endog))
    return sample, absorbed, instrumented


def _independent(
    sample: FixedEffectsSample,
    demeaned: torch.Tensor,
    part: Design,
    before: tuple[torch.Tensor, torch.Tensor] | None,
) -> list[int]:
    """Columns of ``demeaned`` (the demeaned columns of ``part``) independent of the
    effects, of the columns ``before`` (demeaned and original) and of each other; the
    others are dropped with a warning."""
    weights, tol = sample.row_weights, sample.collin_tol
    if before is None:
        kept = independent_columns(demeaned, part.exog, weights, tol)
    else:
        k = before[0].shape[1]
        columns = torch.column_stack([before[0], demeaned])
        original = torch.column_stack([before[1], part.exog])
        keep = independent_columns(columns, original, weights, tol)
        kept = [j - k for j in keep if j >= k]
    dropped = [name for i, name in enumerate(part.exog_names) if i not in set(kept)]
    if dropped:
        warn(
            f"{len(dropped)} column(s) dropped as collinear with the fixed effects or with "
            f"other columns: {dropped}",
            CollinearityWarning,
        )
    return kept


def _instrument(
    resid: torch.Tensor, weights: torch.Tensor | None, k_x: int, k_d: int
) -> Instrumented:
    """The demeaned ``[y, exog, endog, instruments]`` times ``sqrt(w)``, and ``P_Z X``."""
    if weights is not None:
        resid = resid * torch.sqrt(weights).unsqueeze(1)
    y = resid[:, 0]
    X = resid[:, 1 : 1 + k_x + k_d]
    Z = torch.column_stack([resid[:, 1 : 1 + k_x], resid[:, 1 + k_x + k_d :]])
    Q, _ = torch.linalg.qr(Z)
    return Instrumented(y, X, Z, Q @ (Q.T @ X), k_x)
