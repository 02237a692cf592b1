"""The rows and absorbed effects of a fixed-effects model: what least squares and the GLMs
share.

:class:`FixedEffectsSample` is built once from the formula and the data, as fixest and
pyfixest do: rows with a missing value in a fixed effect (or a slope variable) are dropped;
singletons (an effect level with one row) are dropped, repeatedly, and counted
(``fixef_rm="singleton"``, the default; ``"none"`` keeps them); the effects absorb the
intercept. It holds the design of the rows used, their groups and positions in the data,
the demeaning's rule and the collinearity tolerance, and gives what every model on those
rows needs: the terms :func:`~torchstats.solvers.demean.absorb` takes and one
:class:`~torchstats.solvers.demean.AbsorbPlan` for them, the effects' counts for the degrees
of freedom, the cluster codes, the collinearity check, and the effects of an estimate
(normalised as fixest, as Series, and in the predictions ``X b + effects`` of new rows).

For two-stage least squares (``instrumental=True``) the design also carries the endogenous
regressors and the excluded instruments of the rows used, as the blocks
:attr:`~FixedEffectsSample.endogenous` and :attr:`~FixedEffectsSample.instruments`.

The sample is immutable: dropping rows (separated levels, a cluster left out for CRV3)
gives a new sample, whose terms and plan are built afresh; dropping collinear columns gives
one that keeps them (the rows and effects are the same).
:class:`~torchstats.models.fixed_effects.FixedEffectsOLS`,
:class:`~torchstats.models.fixed_effects_glm.FixedEffectsGLM` and
:class:`~torchstats.models.instrumental.FixedEffectsIV` each hold one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch

from torchstats.covariance.fixest import ClusterColumns, EffectCounts, cluster_columns
from torchstats.errors import (
    CollinearityWarning,
    EmptyDataError,
    InvalidOptionError,
    warn,
)
from torchstats.formula.design import Design, drop_columns
from torchstats.formula.fixed_effects import EffectGroups, singleton_rows
from torchstats.formula.fixest_syntax import FixestFormula, parse_fixest
from torchstats.formula.newdata import exog_for_prediction
from torchstats.models.fixed_effects_rows import (
    check_iv_part,
    data_frame,
    iv_blocks,
    keep_design_columns,
    numeric_column,
    rows_with_values,
    select_design_rows,
)
from torchstats.solvers.collinear_columns import independent_columns
from torchstats.solvers.demean import Absorbed, AbsorbPlan, AbsorbTerm, absorb

__all__ = ["FixedEffectsSample", "FixefRemoval"]

FixefRemoval = Literal["singleton", "none"]


@dataclass(frozen=True, eq=False)
class FixedEffectsSample:
    """The rows a fixed-effects model uses, their absorbed effects and the rules to absorb
    them (see the module notes).

    Not slotted: :attr:`absorb_terms` and :attr:`absorb_plan` are computed once per sample
    and cached on it.

    Attributes
    ----------
    formula : FixestFormula
        The parsed formula.
    frame : pandas.DataFrame
        The data as given (clusters and slopes are read from it by :attr:`positions`).
    design : Design
        Response and regressors of the rows used (the intercept dropped where effects
        absorb it; collinear regressors dropped once :meth:`drop_collinear` has run); for
        two-stage least squares also the blocks ``"endogenous"`` and ``"instruments"``.
    groups : EffectGroups
        The fixed-effect groups of the rows used.
    positions : ndarray of int
        Positions, in :attr:`frame`, of the rows used.
    n_singletons : int
        Rows dropped as singletons.
    fixef_rm : {"singleton", "none"}
        Whether singletons are dropped.
    fixef_tol, fixef_maxiter : float, int
        Stopping rule of the demeaning (see :func:`~torchstats.solvers.demean.absorb`).
    collin_tol : float
        A regressor is dropped when its residual on the effects and the earlier regressors
        keeps less than this share of its centred sum of squares.
    """

    formula: FixestFormula
    frame: pd.DataFrame
    design: Design
    groups: EffectGroups
    positions: np.ndarray
    n_singletons: int
    fixef_rm: FixefRemoval
    fixef_tol: float
    fixef_maxiter: int
    collin_tol: float

    @classmethod
    def from_formula(
        cls,
        formula: str,
        data: pd.DataFrame | Mapping[str, Any],
        *,
        weights: Any,
        missing: str,
        fixef_rm: FixefRemoval,
        fixef_tol: float,
        fixef_maxiter: int,
        collin_tol: float,
        context: Mapping[str, Any] | None,
        device: Any,
        dtype: Any,
        model: str,
        instrumental: bool = False,
    ) -> FixedEffectsSample:
        """The rows of ``data`` with every value present, singletons dropped (see the
        module notes).

        Parameters
        ----------
        formula : str
            ``"y ~ x1 + x2 | f1 + f2^f3 + f4[x1]"``; with ``instrumental``,
            ``"y ~ x1 | f1 | d1 + d2 ~ z1 + z2"`` (the effects part optional).
        data : pandas.DataFrame or mapping of columns
            The data.
        weights : str or array-like or None
            Non-negative weights (a column name, or one value per row of ``data``); rows of
            weight 0 are removed, as fixest removes them.
        missing : {"drop", "raise"}
            Rows with missing values: dropped (fixest) or an error.
        fixef_rm, fixef_tol, fixef_maxiter, collin_tol
            As the attributes.
        context : mapping or None
            The namespace formula names are looked up in.
        device, dtype
            Where the design's tensors live.
        model : str
            The model class building the sample, named in the error for an
            instrumental-variables part it does not fit.
        instrumental : bool
            Two-stage least squares: the formula must have an instrumental-variables part,
            whose endogenous regressors and instruments (without intercepts, dense) become
            the design's blocks.

        Raises
        ------
        InvalidOptionError
            An unknown ``fixef_rm`` or ``missing``, an instrumental-variables part without
            ``instrumental``, data that is not a DataFrame or a mapping.
        DesignError
            With ``instrumental``: no instrumental-variables part, or an endogenous variable
            also among the regressors.
        MissingDataError
            A missing fixed effect or slope variable with ``missing="raise"``.
        EmptyDataError
            No rows left.
        """
        if fixef_rm not in ("singleton", "none"):
            raise InvalidOptionError(f"fixef_rm must be 'singleton' or 'none', got {fixef_rm!r}")
        kind = "instrumental variables" if instrumental else "fixed effects"
        if missing not in ("drop", "raise"):
            raise InvalidOptionError(
                f"missing must be 'drop' or 'raise' with {kind}, got {missing!r}"
            )
        parsed = parse_fixest(formula)
        check_iv_part(formula, parsed, instrumental, model)
        frame = data_frame(data, kind.replace(" ", "-"))
        groups, positions, design = rows_with_values(
            parsed, frame, weights, missing, context, device, dtype, instrumental
        )
        row_weights = design.extras.get("weights")
        if row_weights is not None:
            # fixest removes rows of zero weight: they add nothing to the fit, and counted
            # in N they would shrink every small-sample correction (iid SEs 5% too small
            # with a tenth of the weights zero)
            weighted = (row_weights != 0).cpu().numpy()
            if not weighted.all():
                design = select_design_rows(design, weighted)
                positions = positions[weighted]
                groups = groups.restrict(weighted)
        n_singletons = 0
        if fixef_rm == "singleton" and groups.codes.shape[1]:
            alone = singleton_rows(groups.codes)
            n_singletons = int(alone.sum())
            if n_singletons:
                keep = ~alone
                design = select_design_rows(design, keep)
                positions = positions[keep]
                groups = groups.restrict(keep)
        if design.nobs == 0:
            raise EmptyDataError("no rows left after dropping missing values and singletons")
        # the effects absorb the intercept; without effects (``| 0``) it stays
        if parsed.fixed_effects:
            design = drop_columns(design, ["Intercept"])
        if instrumental:
            design = iv_blocks(design)
        return cls(
            parsed,
            frame,
            design,
            groups,
            positions,
            n_singletons,
            fixef_rm,
            fixef_tol,
            fixef_maxiter,
            collin_tol,
        )

    # --- the rows -----------------------------------------------------------------------------

    @property
    def row_weights(self) -> torch.Tensor | None:
        """The weights of the rows used (None without weights)."""
        return self.design.extras.get("weights")

    @property
    def endogenous(self) -> Design:
        """The endogenous regressors of the rows used (two-stage least squares only)."""
        return self.design.blocks["endogenous"]

    @property
    def instruments(self) -> Design:
        """The excluded instruments of the rows used (two-stage least squares only)."""
        return self.design.blocks["instruments"]

    def select_rows(self, keep: np.ndarray) -> FixedEffectsSample:
        """The sample of the rows ``keep`` (a mask over the rows used), groups renumbered."""
        return replace(
            self,
            design=select_design_rows(self.design, keep),
            positions=self.positions[keep],
            groups=self.groups.restrict(keep),
        )

    def keep_columns(self, kept: list[int], block: str | None = None) -> FixedEffectsSample:
        """The sample with only the columns at the positions ``kept`` of the regressors, or
        of the design's ``block``; the rows and effects (and their terms and plan, if built)
        are the same."""
        if block is None:
            design = keep_design_columns(self.design, kept)
        else:
            blocks = dict(self.design.blocks)
            blocks[block] = keep_design_columns(blocks[block], kept)
            design = replace(self.design, blocks=blocks)
        fewer = replace(self, design=design)
        # same rows, same effects: the terms and the plan already built still hold
        for name in ("absorb_terms", "absorb_plan"):
            if name in self.__dict__:
                fewer.__dict__[name] = self.__dict__[name]
        return fewer

    def rows_without(self, rows: np.ndarray) -> np.ndarray:
        """The mask of the rows used less ``rows``, and less the singletons that leaves.

        Notes
        -----
        pyfixest's CRV3 refits (``Feols._vcov_crv3_slow``) call ``feols``/``fepois`` on the
        rows used less a cluster without passing ``fixef_rm``, so they drop singletons (the
        default) whatever the model's ``fixef_rm``; so do these. A singleton is fitted
        exactly by its effect, so the coefficients are the same either way (to rounding).
        """
        keep = ~rows
        if self.groups.codes.shape[1]:
            keep[keep] = ~singleton_rows(self.groups.codes[keep])
        return keep

    def clusters(self, names: tuple[str, ...]) -> ClusterColumns:
        """The cluster codes of the rows used in the columns ``names`` of the data."""
        return cluster_columns(self.frame, self.positions, names)

    # --- the effects --------------------------------------------------------------------------

    @cached_property
    def absorb_terms(self) -> tuple[AbsorbTerm, ...]:
        """The effects as :func:`~torchstats.solvers.demean.absorb` takes them, in order:
        each term's own effect (once per group), then its slopes."""
        device = self.design.endog.device
        dtype = self.design.endog.dtype
        terms: list[AbsorbTerm] = []
        plain: set[str] = set()
        for term in self.formula.fixed_effects:
            j = self.groups.names.index(term.name)
            codes = torch.from_numpy(self.groups.codes[:, j]).to(device)
            size = self.groups.n_levels[j]
            if term.with_effect and term.name not in plain:
                plain.add(term.name)
                terms.append(AbsorbTerm(codes, size))
            for slope in term.slopes:
                values = numeric_column(self.frame, slope)[self.positions]
                terms.append(
                    AbsorbTerm(codes, size, torch.as_tensor(values, dtype=dtype, device=device))
                )
        return tuple(terms)

    @property
    def absorb_labels(self) -> tuple[str, ...]:
        """A name for each of :attr:`absorb_terms`: ``"f"``, or ``"f[x]"`` for a slope."""
        labels: list[str] = []
        for term in self.formula.fixed_effects:
            if term.with_effect and term.name not in labels:
                labels.append(term.name)
            labels.extend(f"{term.name}[{slope}]" for slope in term.slopes)
        return tuple(labels)

    @cached_property
    def absorb_plan(self) -> AbsorbPlan:
        """The effects' cross-tabulation patterns, built once and re-weighted by every
        demeaning that passes it."""
        return AbsorbPlan(self.absorb_terms)

    @property
    def effect_counts(self) -> EffectCounts:
        """The absorbed effects' levels and codes, for the degrees of freedom."""
        return EffectCounts(
            tuple(t.n_levels for t in self.absorb_terms), self._term_codes(), self.absorb_labels
        )

    def _term_codes(self) -> np.ndarray:
        """Each absorbed term's codes as a column: the groups' own codes when the terms are
        the groups in order (no copy), else stacked."""
        names = [label.split("[")[0] for label in self.absorb_labels]
        if names == list(self.groups.names):
            return self.groups.codes
        if not names:
            return np.zeros((self.design.nobs, 0), dtype=np.int64)
        return np.column_stack([t.codes.cpu().numpy() for t in self.absorb_terms])

    def df_resid(self, rank: int) -> float:
        """``nobs - rank - levels of the effects`` (and slopes), plus one reference level
        per fixed effect after the first."""
        counts = self.effect_counts
        return float(self.design.nobs - rank - sum(counts.n_levels) + counts.references)

    # --- demeaning and collinearity -----------------------------------------------------------

    def absorb(
        self,
        columns: torch.Tensor,
        weights: torch.Tensor | None,
        *,
        overwrite: bool = False,
        plan: AbsorbPlan | None = None,
    ) -> Absorbed:
        """:func:`~torchstats.solvers.demean.absorb` of ``columns`` (n, m) on the effects,
        with the sample's stopping rule."""
        return absorb(
            columns,
            self.absorb_terms,
            weights,
            tol=self.fixef_tol,
            maxiter=self.fixef_maxiter,
            overwrite=overwrite,
            plan=plan,
        )

    def drop_collinear(
        self, demeaned: torch.Tensor, weights: torch.Tensor | None
    ) -> tuple[FixedEffectsSample, list[int]]:
        """The sample without the regressors collinear with the effects or the earlier
        regressors, and the positions of those kept; dropping warns.

        Parameters
        ----------
        demeaned : Tensor, shape (n, k)
            The regressors with the effects projected out (with ``weights``).
        weights : Tensor, shape (n,), or None
            The weights of the projection.
        """
        design = self.design
        keep = independent_columns(demeaned, design.exog, weights, self.collin_tol)
        if len(keep) == design.k_exog:
            return self, keep
        dropped = [name for i, name in enumerate(design.exog_names) if i not in set(keep)]
        warn(
            f"{len(dropped)} regressor(s) dropped as collinear with the fixed effects or "
            f"with other regressors: {dropped}",
            CollinearityWarning,
        )
        return self.keep_columns(keep), keep

    # --- effects of an estimate ---------------------------------------------------------------

    def normalised(self, effects: list[torch.Tensor]) -> list[torch.Tensor]:
        """``effects`` (one per term) normalised as fixest: every fixed effect after the
        first has its first level at 0, the shift moved to the first."""
        effects = list(effects)
        plain = [i for i, t in enumerate(self.absorb_terms) if t.slope is None]
        for i in plain[1:]:
            shift = effects[i][0].clone()
            effects[i] = effects[i] - shift
            effects[plain[0]] = effects[plain[0]] + shift
        return effects

    def fixef_series(self, effects: list[torch.Tensor]) -> dict[str, pd.Series]:
        """The effects as Series indexed by level, by term name (``"f[x]"`` for slopes)."""
        result = {}
        for label, values in zip(self.absorb_labels, effects, strict=True):
            levels = self.groups.levels[self.groups.names.index(label.split("[")[0])]
            result[label] = pd.Series(values.cpu().numpy(), index=levels, name=label)
        return result

    def effects_of_rows(self, effects: list[torch.Tensor]) -> torch.Tensor:
        """The effects' part of the fitted values of the rows used: ``sum_t effects[t]``
        at each row's level (times its slope); zeros without effects."""
        total = torch.zeros_like(self.design.endog)
        for term, values in zip(self.absorb_terms, effects, strict=True):
            fitted = values[term.codes]
            total += fitted if term.slope is None else fitted * term.slope
        return total

    def effects_of_frame(self, effects: list[torch.Tensor], frame: pd.DataFrame) -> np.ndarray:
        """The effects' part of the predictions for the rows of ``frame``; NaN where a level
        was not in the fit (or a factor is missing)."""
        codes = self.groups.codes_of(frame)
        total = np.zeros(len(frame))
        for label, values in zip(self.absorb_labels, effects, strict=True):
            group, _, slope = label.partition("[")
            column = codes[:, self.groups.names.index(group)]
            share = np.where(column >= 0, values.cpu().numpy()[np.maximum(column, 0)], np.nan)
            total = total + (
                share if not slope else share * numeric_column(frame, slope.rstrip("]"))
            )
        return total

    def predict_frame(
        self, params: torch.Tensor, effects: list[torch.Tensor], frame: pd.DataFrame
    ) -> np.ndarray:
        """``X b + effects`` for the rows of ``frame`` (the design rebuilt from the
        formula); NaN where a level was not in the fit (or a factor is missing).

        Parameters
        ----------
        params : Tensor, shape (k,)
            The coefficients of the regressors.
        effects : list of Tensor
            Each absorbed term's coefficients, in the order of :attr:`absorb_terms`.
        frame : pandas.DataFrame
            The new rows.
        """
        design = self.design
        exog, _ = exog_for_prediction(design, frame, device=params.device, dtype=params.dtype)
        prediction = (exog @ params).cpu().numpy() if design.k_exog else np.zeros(len(frame))
        return prediction + self.effects_of_frame(effects, frame)
