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

Rows, singletons and collinear columns are handled as in
:class:`~torchstats.models.fixed_effects.FixedEffectsOLS`; an instrument collinear with
the effects or the other instruments is dropped with a warning, and fewer instruments than
endogenous regressors is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch

from torchstats._device import OutputFormat
from torchstats._threads import fit_threads
from torchstats.covariance.fixest import (
    ClusterColumns,
    EffectCounts,
    VcovChoice,
    cluster_columns,
    fixest_covariance,
    read_small_sample,
    read_vcov,
)
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import (
    CollinearityWarning,
    DesignError,
    EmptyDataError,
    InvalidOptionError,
    MissingDataError,
    warn,
)
from torchstats.formula.design import Design, drop_columns
from torchstats.formula.fixed_effects import EffectGroups, encode_groups, singleton_rows
from torchstats.formula.fixest_syntax import FixestFormula, parse_fixest
from torchstats.formula.newdata import exog_for_prediction
from torchstats.models.base import Model, build_design, caller_context, sized_threads
from torchstats.models.effect_terms import (
    absorb_labels,
    absorb_terms,
    effects_of_frame,
    effects_of_rows,
    normalised,
)
from torchstats.models.iv_columns import (
    data_frame,
    keep_columns,
    numeric_column,
    select_block_rows,
)
from torchstats.results.instrumental import InstrumentalResults
from torchstats.solvers.collinear_columns import independent_columns
from torchstats.solvers.demean import Absorbed, AbsorbTerm, absorb
from torchstats.solvers.least_squares import solve_least_squares
from torchstats.solvers.result import SolverResult
from torchstats.structured.block_matrix import dense_within_limit

__all__ = ["FixedEffectsIV", "Instrumented"]

FixefRemoval = Literal["singleton", "none"]
# what needs the design dense (see dense_within_limit)
_IV_FIT = "an instrumental-variables fit"
_NAME = re.compile(r"[A-Za-z_.][A-Za-z0-9_.]*")
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


class FixedEffectsIV(Model):
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
    ) -> None:
        if fixef_rm not in ("singleton", "none"):
            raise InvalidOptionError(f"fixef_rm must be 'singleton' or 'none', got {fixef_rm!r}")
        if missing not in ("drop", "raise"):
            raise InvalidOptionError(
                f"missing must be 'drop' or 'raise' with instrumental variables, got {missing!r}"
            )
        self.fixest_formula: FixestFormula = parse_fixest(formula)
        if self.fixest_formula.endogenous is None or self.fixest_formula.instruments is None:
            raise DesignError(
                f"{formula!r} has no instrumental-variables part: write "
                "'y ~ x | endog ~ instruments' (or 'y ~ x | f | endog ~ instruments')"
            )
        self._formula_text = formula
        self._tolerance = (fixef_tol, fixef_maxiter)
        self._collin_tol = collin_tol
        self._frame = data_frame(data)
        context = caller_context(context, 2)
        self.n_singletons = 0
        """Rows dropped as singletons."""
        # small designs build and demean on one thread (see torchstats._threads): two
        # threads made a 1e4-row fit 2.3x slower on a loaded two-core machine
        with fit_threads(len(self._frame) * len(_NAME.findall(formula))):
            self._build(weights, missing, fixef_rm, context, device, dtype)

    def _build(
        self,
        weights: Any,
        missing: str,
        fixef_rm: FixefRemoval,
        context: Mapping[str, Any] | None,
        device: Any,
        dtype: Any,
    ) -> None:
        """Rows, singletons, the column blocks, the demeaning and the regressors' design."""
        groups, positions, design = self._rows(weights, missing, context, device, dtype)
        if fixef_rm == "singleton" and groups.codes.shape[1]:
            alone = singleton_rows(groups.codes)
            self.n_singletons = int(alone.sum())
            if self.n_singletons:
                keep = ~alone
                design = select_block_rows(
                    design, torch.as_tensor(keep, device=design.endog.device)
                )
                positions = positions[keep]
                groups = groups.restrict(keep)
        if design.nobs == 0:
            raise EmptyDataError("no rows left after dropping missing values and singletons")
        self.groups: EffectGroups = groups
        """The fixed-effect groups of the rows used."""
        self.positions: np.ndarray = positions
        """Positions, in the data as given, of the rows used."""
        self.row_weights: torch.Tensor | None = design.extras.get("weights")
        """The weights of the rows used (None without weights)."""
        self._blocks = self._split(design)
        self._absorbed, self._instrumented = self._demean()
        self.design = self._regressors()

    # --- rows and columns ---------------------------------------------------------------------

    def _rows(
        self,
        weights: Any,
        missing: str,
        context: Mapping[str, Any] | None,
        device: Any,
        dtype: Any,
    ) -> tuple[EffectGroups, np.ndarray, Design]:
        """Groups, positions and design (with the endogenous and instrument blocks) of the
        rows with every value present."""
        frame, parsed = self._frame, self.fixest_formula
        groups = encode_groups(frame, parsed.fixed_effects)
        absent = (groups.codes < 0).any(axis=1)
        for term in parsed.fixed_effects:
            for slope in term.slopes:
                absent |= ~np.isfinite(numeric_column(frame, slope))
        if absent.any() and missing == "raise":
            raise MissingDataError(
                f"{int(absent.sum())} rows have a missing fixed effect or slope variable "
                "(missing='raise'); drop them or use missing='drop'"
            )
        present = np.flatnonzero(~absent)
        if isinstance(weights, (np.ndarray, list, torch.Tensor)) and len(weights) == len(frame):
            weights = np.asarray(weights)[present]
        design = build_design(
            parsed.main,
            frame.iloc[present],
            missing=missing,
            extras=None if weights is None else {"weights": weights},
            context=context,
            device=device,
            dtype=dtype,
            blocks={
                "endogenous": f"~ {parsed.endogenous}",
                "instruments": f"~ {parsed.instruments}",
            },
        )
        kept = present if design.rows is None else present[design.rows.kept]
        return groups.restrict(np.isin(np.arange(len(frame)), kept)), kept, design

    def _split(self, design: Design) -> tuple[Design, Design, Design]:
        """(included exogenous, endogenous, excluded instruments) designs, intercepts
        dropped where the effects absorb them (and always from the IV part). Sparse dummies
        of a many-level factor are made dense (the columns are stacked and demeaned)."""
        design = replace(
            design,
            exog=dense_within_limit(design.exog, _IV_FIT),
            blocks={
                name: replace(block, exog=dense_within_limit(block.exog, _IV_FIT))
                for name, block in design.blocks.items()
            },
        )
        exog = design if not self.absorb_terms else drop_columns(design, ["Intercept"])
        endog = drop_columns(design.blocks["endogenous"], ["Intercept"])
        instruments = drop_columns(design.blocks["instruments"], ["Intercept"])
        both = set(endog.exog_names) & set(exog.exog_names)
        if both:
            raise DesignError(
                f"{sorted(both)} are both exogenous regressors and endogenous; list each "
                "variable once, on the left of the instrumental-variables part if endogenous"
            )
        return replace(exog, blocks={}), endog, instruments

    @cached_property
    def absorb_terms(self) -> tuple[AbsorbTerm, ...]:
        """The effects as :func:`~torchstats.solvers.demean.absorb` takes them: each
        term's own effect (once per group), then its slopes."""
        return absorb_terms(self.fixest_formula, self.groups, self._frame, self.positions)

    @property
    def absorb_labels(self) -> tuple[str, ...]:
        """A name for each of :attr:`absorb_terms`: ``"f"``, or ``"f[x]"`` for a slope."""
        return absorb_labels(self.fixest_formula)

    # --- demeaning ----------------------------------------------------------------------------

    def _demean(self) -> tuple[Absorbed, Instrumented]:
        exog, endog, instruments = self._blocks
        device, dtype = exog.endog.device, exog.endog.dtype
        columns = torch.column_stack([exog.endog, exog.exog, endog.exog, instruments.exog])
        terms = tuple(
            AbsorbTerm(
                t.codes.to(device),
                t.n_levels,
                None if t.slope is None else t.slope.to(device, dtype),
            )
            for t in self.absorb_terms
        )
        tol, maxiter = self._tolerance
        absorbed = absorb(columns, terms, self.row_weights, tol=tol, maxiter=maxiter)
        resid = absorbed.resid
        k_x, k_d = exog.k_exog, endog.k_exog
        parts = (
            resid[:, 1 : 1 + k_x],
            resid[:, 1 + k_x : 1 + k_x + k_d],
            resid[:, 1 + k_x + k_d :],
        )
        kept_exog = self._drop_collinear(parts[0], exog, None)
        before = (parts[0][:, kept_exog], exog.exog[:, kept_exog])
        kept_endog = self._drop_collinear(parts[1], endog, before)
        kept_instr = self._drop_collinear(parts[2], instruments, before)
        if len(kept_instr) < len(kept_endog):
            raise DesignError(
                f"{len(kept_instr)} independent instrument(s) for {len(kept_endog)} endogenous "
                "regressor(s): give at least as many excluded instruments as endogenous "
                "regressors"
            )
        self._blocks = (
            keep_columns(exog, kept_exog),
            keep_columns(endog, kept_endog),
            keep_columns(instruments, kept_instr),
        )
        order = [
            0,
            *(1 + i for i in kept_exog),
            *(1 + k_x + i for i in kept_endog),
            *(1 + k_x + k_d + i for i in kept_instr),
        ]
        absorbed = Absorbed(
            resid[:, order],
            tuple(e[:, order] for e in absorbed.effects),
            absorbed.n_iter,
            absorbed.converged,
        )
        return absorbed, self._instrument(absorbed.resid, len(kept_exog), len(kept_endog))

    def _drop_collinear(
        self,
        demeaned: torch.Tensor,
        part: Design,
        before: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> list[int]:
        """Columns of ``demeaned`` (the demeaned columns of ``part``) independent of the
        effects, of the columns ``before`` (demeaned and original) and of each other; the
        others are dropped with a warning."""
        if before is None:
            kept = independent_columns(demeaned, part.exog, self.row_weights, self._collin_tol)
        else:
            k = before[0].shape[1]
            columns = torch.column_stack([before[0], demeaned])
            original = torch.column_stack([before[1], part.exog])
            keep = independent_columns(columns, original, self.row_weights, self._collin_tol)
            kept = [j - k for j in keep if j >= k]
        dropped = [name for i, name in enumerate(part.exog_names) if i not in set(kept)]
        if dropped:
            warn(
                f"{len(dropped)} column(s) dropped as collinear with the fixed effects or with "
                f"other columns: {dropped}",
                CollinearityWarning,
            )
        return kept

    def _instrument(self, resid: torch.Tensor, k_x: int, k_d: int) -> Instrumented:
        if self.row_weights is not None:
            resid = resid * torch.sqrt(self.row_weights).unsqueeze(1)
        y = resid[:, 0]
        X = resid[:, 1 : 1 + k_x + k_d]
        Z = torch.column_stack([resid[:, 1 : 1 + k_x], resid[:, 1 + k_x + k_d :]])
        Q, _ = torch.linalg.qr(Z)
        return Instrumented(y, X, Z, Q @ (Q.T @ X), k_x)

    # --- names and sizes ------------------------------------------------------------------------

    def _regressors(self) -> Design:
        """The regressors ``[included exogenous, endogenous]`` as one design (names, rows,
        the response); the instruments are :attr:`instrument_names`."""
        exog, endog, _ = self._blocks
        names = exog.exog_names + endog.exog_names
        return replace(
            exog,
            exog=torch.column_stack([exog.exog, endog.exog]),
            exog_names=names,
            output=OutputFormat(exog.output.kind, names, exog.output.row_index),
            terms=(),
            model_spec=None,
            spec_columns=None,
        )

    @property
    def endogenous_names(self) -> tuple[str, ...]:
        """The endogenous regressors (the last parameters)."""
        return self._blocks[1].exog_names

    @property
    def instrument_names(self) -> tuple[str, ...]:
        """The excluded instruments."""
        return self._blocks[2].exog_names

    @property
    def included_names(self) -> tuple[str, ...]:
        """The included exogenous regressors (the first parameters)."""
        return self._blocks[0].exog_names

    @property
    def formula_text(self) -> str:
        """The formula as given."""
        return self._formula_text

    @property
    def fixef_names(self) -> tuple[str, ...]:
        """The fixed effects as written in the formula."""
        return self.fixest_formula.fixef_names

    @property
    def nobs(self) -> float:
        """Observations used (after missing values and singletons)."""
        return float(self._instrumented.endog.shape[0])

    @property
    def rank(self) -> int:
        """Number of coefficients."""
        return int(self._instrumented.exog.shape[1])

    @property
    def effect_counts(self) -> EffectCounts:
        """The absorbed effects' levels and codes, for the degrees of freedom."""
        codes = (
            np.column_stack([t.codes.cpu().numpy() for t in self.absorb_terms])
            if self.absorb_terms
            else np.zeros((int(self.nobs), 0), dtype=np.int64)
        )
        return EffectCounts(tuple(t.n_levels for t in self.absorb_terms), codes, self.absorb_labels)

    @property
    def df_resid(self) -> float:
        """``nobs - k - levels of the effects`` (and slopes), plus one reference level per fixed
        effect after the first."""
        counts = self.effect_counts
        return float(self.nobs - self.rank - sum(counts.n_levels) + counts.references)

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
            read_small_sample(ssc),
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
        return cluster_columns(self._frame, self.positions, names)

    # --- effects and fitted values ----------------------------------------------------------------

    def effects(self, params: torch.Tensor) -> list[torch.Tensor]:
        """Each absorbed term's coefficients at ``params``, normalised as fixest: every
        fixed effect after the first has its first level at 0."""
        return normalised(self._absorbed.effects, self.absorb_terms, params)

    def fixef(self, params: torch.Tensor) -> dict[str, pd.Series]:
        """The effects at ``params`` as Series indexed by level, by term name."""
        result = {}
        for label, values in zip(self.absorb_labels, self.effects(params), strict=True):
            levels = self.groups.levels[self.groups.names.index(label.split("[")[0])]
            result[label] = pd.Series(values.cpu().numpy(), index=levels, name=label)
        return result

    def predict_frame(self, params: torch.Tensor, frame: pd.DataFrame | None) -> np.ndarray:
        """Fitted values ``X b + effects`` for ``frame`` (None: the rows used), with the
        endogenous regressors' values in ``frame`` (as linearmodels' ``predict``); NaN
        where a level of an effect was not in the fit."""
        effects = self.effects(params)
        if frame is None:
            total = self.design.exog.to(params.dtype) @ params
            if effects:
                total = total + effects_of_rows(self.absorb_terms, effects)
            return total.cpu().numpy()
        parts = [
            exog_for_prediction(part, frame, device=params.device, dtype=params.dtype)[0]
            for part in self._blocks[:2]
            if part.k_exog
        ]
        prediction = (torch.column_stack(parts) @ params).cpu().numpy()
        return prediction + effects_of_frame(self.groups, self.absorb_labels, effects, frame)
