"""Multiple estimation: one call, several fixed-effects regressions sharing the demeaning.

``ts.ols("y1 + y2 ~ x1 + csw(x2, x3) | f1 + f2", df)`` (see
:mod:`torchstats.formula.multiple_estimation`) and ``split="g"`` / ``fsplit="g"`` (one model
per level of ``g``; ``fsplit`` adds the full sample first) build one
:class:`~torchstats.models.fixed_effects.FixedEffectsOLS` per formula and sample. The models
share a :class:`~torchstats.models.fixed_effects.DemeanCache`: a variable is demeaned once
for all the models with the same rows, effects and weights (a stepwise sequence on one
sample demeans each regressor once).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from torchstats.errors import InvalidOptionError
from torchstats.formula.multiple_estimation import expand_formula
from torchstats.models.fixed_effects import DemeanCache, FixedEffectsOLS
from torchstats.results.multiple import MultipleResults

__all__ = ["MultipleEstimation"]


class MultipleEstimation:
    """Several fixed-effects least-squares models from one formula (pyfixest's
    ``FixestMulti``); :meth:`fit` fits them all with one covariance choice.

    Parameters
    ----------
    formula : str
        A formula with several responses or a stepwise function (or a single model, with
        ``split``).
    data : pandas.DataFrame
        The data.
    split, fsplit : str, optional
        A column: one model per level (``fsplit``: and the full sample first).
    **options
        Passed to every :class:`FixedEffectsOLS` (weights, missing, fixef_rm, ...).
    """

    def __init__(
        self,
        formula: str,
        data: pd.DataFrame,
        *,
        split: str | None = None,
        fsplit: str | None = None,
        **options: Any,
    ) -> None:
        if split is not None and fsplit is not None:
            raise InvalidOptionError("give split= or fsplit=, not both")
        column = split or fsplit
        samples: list[tuple[str, pd.DataFrame, Any]] = []
        weights = options.pop("weights", None)
        if fsplit is not None or column is None:
            samples.append(("", data, weights))
        if column is not None:
            if column not in data.columns:
                raise InvalidOptionError(f"split column {column!r} is not in the data")
            for level, rows in data.groupby(column, sort=True, dropna=True).groups.items():
                subset = data.loc[rows]
                subset_weights = weights
                if weights is not None and not isinstance(weights, str):
                    subset_weights = pd.Series(weights, index=data.index).loc[rows]
                samples.append((f"{column}={level}", subset, subset_weights))
        self.models: dict[str, FixedEffectsOLS] = {}
        """The models by label (formula, then ``; sample: g=level`` for a split)."""
        for sample, frame, sample_weights in samples:
            # one cache per sample: its keys are row positions within the sample's frame
            cache = DemeanCache()
            for single in expand_formula(formula):
                label = single if not sample else f"{single}; sample: {sample}"
                self.models[label] = FixedEffectsOLS(
                    single, frame, weights=sample_weights, demean_cache=cache, **options
                )

    def fit(
        self,
        vcov: str | Mapping[str, str] | None = None,
        ssc: Mapping[str, object] | None = None,
        *,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> MultipleResults:
        """Fit every model with the same covariance (see :meth:`FixedEffectsOLS.fit`)."""
        return MultipleResults(
            {
                label: model.fit(vcov, ssc, cov_type=cov_type, cov_kwds=cov_kwds)
                for label, model in self.models.items()
            }
        )

    def __repr__(self) -> str:
        return f"<torchstats.MultipleEstimation of {len(self.models)} models>"
