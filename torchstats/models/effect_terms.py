"""The absorbed terms of a fixest formula on the rows of a fit, and their estimates.

From the formula's fixed-effects part and the rows' groups: the terms
:func:`~torchstats.solvers.demean.absorb` takes (each effect once, then its slopes), their
labels (``"f"``, ``"f[x]"``), the effects at an estimate normalised as fixest, and the
effects' part of the fitted values of the rows used or of new rows. Used by
:class:`~torchstats.models.instrumental.FixedEffectsIV`; the same rules as
:class:`~torchstats.models.fixed_effects_sample.FixedEffectsSample` of the OLS and GLM
fixed effects (which takes its labels from here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from torchstats.formula.fixed_effects import EffectGroups
from torchstats.formula.fixest_syntax import FixestFormula
from torchstats.models.iv_columns import numeric_column
from torchstats.solvers.demean import AbsorbTerm

__all__ = ["absorb_labels", "absorb_terms", "effects_of_frame", "effects_of_rows", "normalised"]


def absorb_terms(
    formula: FixestFormula, groups: EffectGroups, frame: pd.DataFrame, positions: np.ndarray
) -> tuple[AbsorbTerm, ...]:
    """The effects of ``formula`` on the rows ``positions`` of ``frame`` (CPU tensors):
    each term's own effect (once per group), then its slopes."""
    terms: list[AbsorbTerm] = []
    plain: set[str] = set()
    for term in formula.fixed_effects:
        j = groups.names.index(term.name)
        codes = torch.as_tensor(groups.codes[:, j])
        size = groups.n_levels[j]
        if term.with_effect and term.name not in plain:
            plain.add(term.name)
            terms.append(AbsorbTerm(codes, size))
        for slope in term.slopes:
            values = numeric_column(frame, slope)[positions]
            terms.append(AbsorbTerm(codes, size, torch.as_tensor(values)))
    return tuple(terms)


def absorb_labels(formula: FixestFormula) -> tuple[str, ...]:
    """A name for each of :func:`absorb_terms`: ``"f"``, or ``"f[x]"`` for a slope."""
    labels: list[str] = []
    for term in formula.fixed_effects:
        if term.with_effect and term.name not in labels:
            labels.append(term.name)
        labels.extend(f"{term.name}[{slope}]" for slope in term.slopes)
    return tuple(labels)


def normalised(
    absorbed: tuple[torch.Tensor, ...], terms: tuple[AbsorbTerm, ...], params: torch.Tensor
) -> list[torch.Tensor]:
    """Each term's coefficients at ``params``, normalised as fixest: every fixed effect
    after the first has its first level at 0.

    Parameters
    ----------
    absorbed : tuple of Tensor, each (n_levels, 1 + k + ...)
        The demeaning's effects of the columns ``[y, X, ...]``.
    terms : tuple of AbsorbTerm
        The terms, in the same order.
    params : Tensor, shape (k,)
        The coefficients of ``X``.
    """
    k = params.shape[0]
    effects = [e[:, 0] - e[:, 1 : 1 + k] @ params for e in absorbed]
    plain = [i for i, t in enumerate(terms) if t.slope is None]
    for i in plain[1:]:
        shift = effects[i][0].clone()
        effects[i] = effects[i] - shift
        effects[plain[0]] = effects[plain[0]] + shift
    return effects


def effects_of_rows(terms: tuple[AbsorbTerm, ...], effects: list[torch.Tensor]) -> torch.Tensor:
    """The effects' part of the fitted values of the rows used."""
    device, dtype = effects[0].device, effects[0].dtype
    total = torch.zeros(terms[0].codes.shape[0], dtype=dtype, device=device)
    for term, values in zip(terms, effects, strict=True):
        fitted = values[term.codes.to(device)]
        total = total + (fitted if term.slope is None else fitted * term.slope.to(fitted))
    return total


def effects_of_frame(
    groups: EffectGroups,
    labels: tuple[str, ...],
    effects: list[torch.Tensor],
    frame: pd.DataFrame,
) -> np.ndarray:
    """The effects' part of the predictions for the rows of ``frame``; NaN where a level
    was not in the fit (or a factor is missing)."""
    codes = groups.codes_of(frame)
    total = np.zeros(len(frame))
    for label, values in zip(labels, effects, strict=True):
        group, _, slope = label.partition("[")
        column = codes[:, groups.names.index(group)]
        share = np.where(column >= 0, values.cpu().numpy()[np.maximum(column, 0)], np.nan)
        total = total + (share if not slope else share * numeric_column(frame, slope.rstrip("]")))
    return total
