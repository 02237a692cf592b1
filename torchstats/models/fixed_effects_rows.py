"""The rows and columns a fixed-effects formula selects from the data: the helpers that
build a :class:`~torchstats.models.fixed_effects_sample.FixedEffectsSample`.

The rows with every value present (a missing fixed effect or slope variable drops the row,
as fixest, or raises), their design (with the endogenous and instrument blocks of a 2SLS
formula), and the row and column selections that keep the blocks in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.errors import DesignError, InvalidOptionError, MissingDataError
from torchstats.formula.design import Design, drop_columns
from torchstats.formula.fixed_effects import EffectGroups, encode_groups
from torchstats.formula.fixest_syntax import FixestFormula
from torchstats.models.base import build_design
from torchstats.structured.block_matrix import dense_within_limit

__all__ = [
    "check_iv_part",
    "data_frame",
    "iv_blocks",
    "keep_design_columns",
    "numeric_column",
    "rows_with_values",
    "select_design_rows",
]

# what needs the design dense (see dense_within_limit)
_IV_FIT = "an instrumental-variables fit"
_IV_BLOCKS = ("endogenous", "instruments")


def check_iv_part(formula: str, parsed: FixestFormula, instrumental: bool, model: str) -> None:
    """An instrumental-variables part exactly when ``instrumental``; ``model`` (the class
    building the sample) is named in the error.

    Raises
    ------
    InvalidOptionError
        An instrumental-variables part without ``instrumental``.
    DesignError
        No instrumental-variables part with ``instrumental``.
    """
    if not instrumental and parsed.endogenous is not None:
        raise InvalidOptionError(
            f"{model} does not fit the instrumental-variables part "
            f"'{parsed.endogenous} ~ {parsed.instruments}': instrumental variables with "
            "fixed effects are fitted by two-stage least squares only; use ts.ols(formula, "
            "data) (FixedEffectsIV), or drop the part"
        )
    if instrumental and (parsed.endogenous is None or parsed.instruments is None):
        raise DesignError(
            f"{formula!r} has no instrumental-variables part: write "
            "'y ~ x | endog ~ instruments' (or 'y ~ x | f | endog ~ instruments')"
        )


def rows_with_values(
    formula: FixestFormula,
    frame: pd.DataFrame,
    weights: Any,
    missing: str,
    context: Mapping[str, Any] | None,
    device: Any,
    dtype: Any,
    instrumental: bool,
) -> tuple[EffectGroups, np.ndarray, Design]:
    """Groups, positions and design of the rows with every value present (with the
    endogenous and instrument blocks, dense, for ``instrumental``).

    Raises
    ------
    MissingDataError
        A missing fixed effect or slope variable with ``missing="raise"``.
    DesignError
        Sparse dummies of a many-level factor among the regressors (OLS, GLM), or too many
        of them to make dense (2SLS).
    """
    groups = encode_groups(frame, formula.fixed_effects)
    absent = (groups.codes < 0).any(axis=1)
    for term in formula.fixed_effects:
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
        formula.main,
        frame.iloc[present] if absent.any() else frame,
        missing=missing,
        extras=None if weights is None else {"weights": weights},
        context=context,
        device=device,
        dtype=dtype,
        blocks={
            "endogenous": f"~ {formula.endogenous}",
            "instruments": f"~ {formula.instruments}",
        }
        if instrumental
        else None,
    )
    if instrumental:
        # 2SLS stacks the columns and demeans them: dummies of a many-level factor dense
        design = replace(
            design,
            exog=dense_within_limit(design.exog, _IV_FIT),
            blocks={
                name: replace(block, exog=dense_within_limit(block.exog, _IV_FIT))
                for name, block in design.blocks.items()
            },
        )
    if not isinstance(design.exog, torch.Tensor):
        raise DesignError(
            "a factor with many levels among the regressors of a fixed-effects formula: "
            "absorb it instead, 'y ~ x | f + g' (its slopes are the same)"
        )
    if design.rows is None:
        kept = present
    else:  # no copy when one of the two steps dropped no row
        full = len(present) == len(frame)
        kept = design.rows.kept if full else present[design.rows.kept]
    used = np.zeros(len(frame), dtype=bool)
    used[kept] = True
    return groups.restrict(used), kept, design


def iv_blocks(design: Design) -> Design:
    """``design`` with the intercepts dropped from its endogenous and instrument blocks.

    Raises
    ------
    DesignError
        A variable both among the regressors and endogenous.
    """
    blocks = {name: drop_columns(design.blocks[name], ["Intercept"]) for name in _IV_BLOCKS}
    both = set(blocks["endogenous"].exog_names) & set(design.exog_names)
    if both:
        raise DesignError(
            f"{sorted(both)} are both exogenous regressors and endogenous; list each "
            "variable once, on the left of the instrumental-variables part if endogenous"
        )
    return replace(design, blocks=blocks)


def select_design_rows(design: Design, keep: np.ndarray) -> Design:
    """``design.select_rows`` (which restricts its blocks too) of a numpy mask."""
    return design.select_rows(torch.as_tensor(keep, device=design.endog.device))


def keep_design_columns(design: Design, kept: list[int]) -> Design:
    """``design`` with only the columns at the positions ``kept``."""
    names = [name for i, name in enumerate(design.exog_names) if i not in set(kept)]
    return drop_columns(design, names) if names else design


def numeric_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The column ``name`` of ``frame`` as floats (a varying-slope variable).

    Raises
    ------
    InvalidOptionError
        No such column.
    """
    if name not in frame.columns:
        raise InvalidOptionError(f"varying-slope variable {name!r} is not a column of the data")
    return pd.to_numeric(frame[name], errors="raise").to_numpy(dtype=float)


def data_frame(data: pd.DataFrame | Mapping[str, Any], kind: str) -> pd.DataFrame:
    """``data`` as a DataFrame (a mapping of columns is converted); ``kind`` names the
    formulas in the error for anything else (arrays have no column names)."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        return pd.DataFrame(dict(data))
    raise InvalidOptionError(
        f"{kind} formulas take a pandas DataFrame (or a mapping of columns), not "
        f"{type(data).__name__}"
    )
