"""Multiple estimation: one call, several fixed-effects models (pyfixest's ``FixestMulti``).

``ts.ols("y1 + y2 ~ x1 + csw(x2, x3) | f1 + f2", df)`` (see
:mod:`torchstats.formula.multiple_estimation`) and ``split="g"`` / ``fsplit="g"`` (one model
per level of ``g``; ``fsplit`` adds the full sample first) build one model per formula and
sample, in pyfixest's order: the samples, then the fixed-effects steps, the responses, the
regressor steps and the instrument steps. The model is any fixed-effects model of the
package: least squares (:class:`~torchstats.models.fixed_effects.FixedEffectsOLS`, the
default), 2SLS (:class:`~torchstats.models.instrumental.FixedEffectsIV`), a GLM
(:class:`~torchstats.models.fixed_effects_glm.FixedEffectsGLM`, pyfixest's ``fepois`` and
``feglm``) or the negative binomial. Least-squares and 2SLS models share a
:class:`~torchstats.models.demean_cache.DemeanCache`: a variable is demeaned once for all
the models with the same rows, effects and weights (a stepwise sequence on one sample
demeans each regressor once, several responses of one IV formula its instruments once).
The GLMs' demeaning is weighted by each model's own IRLS weights, so there is nothing to
share (pyfixest shares it for ``feols`` only too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd

from torchstats.errors import InvalidOptionError
from torchstats.formula.multiple_estimation import expand_formula
from torchstats.models.demean_cache import DemeanCache
from torchstats.models.fixed_effects import FixedEffectsOLS
from torchstats.models.instrumental import FixedEffectsIV
from torchstats.results.multiple import MultipleResults

__all__ = ["MultipleEstimation"]

_PER_ROW = ("weights", "offset")
"""Options holding one value per row of the data (restricted to a split's rows)."""


class FixestModel(Protocol):
    """What multiple estimation needs of a model: pyfixest's ``fit`` signature."""

    def fit(
        self,
        vcov: str | Mapping[str, str] | None = None,
        ssc: Mapping[str, object] | None = None,
        *,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> Any:
        """Estimate, with the covariance asked for."""


class MultipleEstimation:
    """Several fixed-effects models from one formula (pyfixest's ``FixestMulti``);
    :meth:`fit` fits them all with one covariance choice.

    Parameters
    ----------
    formula : str
        A formula with several responses or stepwise functions (or a single model, with
        ``split``).
    data : pandas.DataFrame
        The data.
    split, fsplit : str, optional
        A column: one model per level (``fsplit``: and the full sample first).
    model : callable, default FixedEffectsOLS
        The model class (called as ``model(formula, data, **options)``).
    **options
        Passed to every model (weights, offset, family, missing, fixef_rm, ...); ``weights``
        and ``offset`` given as one value per row of ``data`` are restricted to a split's
        rows.
    """

    def __init__(
        self,
        formula: str,
        data: pd.DataFrame,
        *,
        split: str | None = None,
        fsplit: str | None = None,
        model: Callable[..., FixestModel] = FixedEffectsOLS,
        **options: Any,
    ) -> None:
        formulas = expand_formula(formula)
        self.models: dict[str, FixestModel] = {}
        """The models by label (formula, then ``; sample: g=level`` for a split)."""
        for sample, frame, sample_options in _samples(data, split, fsplit, options):
            if model is FixedEffectsOLS or model is FixedEffectsIV:
                # one cache per sample: its keys are row positions within the sample's frame
                sample_options = {**sample_options, "demean_cache": DemeanCache()}
            for single in formulas:
                label = single if not sample else f"{single}; sample: {sample}"
                self.models[label] = model(single, frame, **sample_options)

    def fit(
        self,
        vcov: str | Mapping[str, str] | None = None,
        ssc: Mapping[str, object] | None = None,
        *,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> MultipleResults:
        """Fit every model with the same covariance (see the models' ``fit``)."""
        return MultipleResults(
            {
                label: model.fit(vcov, ssc, cov_type=cov_type, cov_kwds=cov_kwds)
                for label, model in self.models.items()
            }
        )

    def __repr__(self) -> str:
        return f"<torchstats.MultipleEstimation of {len(self.models)} models>"


def _samples(
    data: pd.DataFrame, split: str | None, fsplit: str | None, options: Mapping[str, Any]
) -> list[tuple[str, pd.DataFrame, dict[str, Any]]]:
    """(label, rows, options) of each sample: the full one (unless ``split``), then one per
    level of the split column, in sorted order (missing levels left out, as pyfixest)."""
    if split is not None and fsplit is not None:
        raise InvalidOptionError("give split= or fsplit=, not both")
    column = split or fsplit
    samples: list[tuple[str, pd.DataFrame, dict[str, Any]]] = []
    if fsplit is not None or column is None:
        samples.append(("", data, dict(options)))
    if column is None:
        return samples
    if column not in data.columns:
        raise InvalidOptionError(f"split column {column!r} is not in the data")
    codes, levels = pd.factorize(data[column], sort=True)
    for code, level in enumerate(levels):
        positions = np.flatnonzero(codes == code)
        subset = dict(options)
        for name in _PER_ROW:
            values = subset.get(name)
            if values is not None and not isinstance(values, str):
                subset[name] = _rows_of(values, positions, data.index, name)
        samples.append((f"{column}={level}", data.iloc[positions], subset))
    return samples


def _rows_of(values: Any, positions: np.ndarray, index: pd.Index, name: str) -> Any:
    """The entries of a per-row option for the rows ``positions`` of the data (whose labels
    are ``index``): a Series matched by label, other values by position."""
    if isinstance(values, pd.Series):
        aligned = values if values.index.equals(index) else values.reindex(index)
        return aligned.iloc[positions]
    array = np.asarray(values)
    if array.ndim != 1 or len(array) != len(index):
        raise InvalidOptionError(
            f"{name} needs one value per row of the data ({len(index)}) to be split, got "
            f"shape {array.shape}"
        )
    return array[positions]
