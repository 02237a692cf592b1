"""Lower-case formula entry points, as ``statsmodels.formula.api``: ``ts.ols("y ~ x", df)``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from torchstats.errors import InvalidOptionError
from torchstats.families.families import Binomial, Gaussian
from torchstats.families.families import Poisson as PoissonFamily
from torchstats.families.links import Probit as ProbitLink
from torchstats.formula.fixest_syntax import uses_fixest_syntax
from torchstats.formula.multiple_estimation import uses_multiple_estimation, uses_stepwise
from torchstats.models.base import caller_context, formula_rows
from torchstats.models.batched_ols import BatchedOLS
from torchstats.models.binary import Logit, Probit
from torchstats.models.count import NegativeBinomial, Poisson
from torchstats.models.fixed_effects import FixedEffectsOLS
from torchstats.models.fixed_effects_glm import FixedEffectsGLM
from torchstats.models.fixed_effects_negbin import FixedEffectsNegativeBinomial
from torchstats.models.generalized_count import GeneralizedPoisson, NegativeBinomialP
from torchstats.models.glm import GLM
from torchstats.models.hurdle import HurdleCountModel
from torchstats.models.instrumental import FixedEffectsIV
from torchstats.models.linear import OLS, WLS
from torchstats.models.multinomial import MNLogit
from torchstats.models.multiple import MultipleEstimation
from torchstats.models.ordinal import OrderedModel
from torchstats.models.streaming import StreamingOLS
from torchstats.models.streaming_discrete import StreamingDiscrete
from torchstats.models.streaming_glm import StreamingGLM
from torchstats.models.truncated import TruncatedLFNegativeBinomialP, TruncatedLFPoisson
from torchstats.models.zero_inflated import (
    ZeroInflatedGeneralizedPoisson,
    ZeroInflatedNegativeBinomialP,
    ZeroInflatedPoisson,
)
from torchstats.streaming.sources import is_chunked

__all__ = [
    "ols",
    "wls",
    "batched_ols",
    "batched_wls",
    "glm",
    "logit",
    "probit",
    "poisson",
    "negativebinomial",
    "mnlogit",
    "negativebinomialp",
    "generalizedpoisson",
    "truncatedlfpoisson",
    "truncatedlfnegativebinomialp",
    "hurdlecountmodel",
    "zeroinflatedpoisson",
    "zeroinflatednegativebinomialp",
    "zeroinflatedgeneralizedpoisson",
    "ordered_model",
]


def ols(
    formula: str,
    data: Any,
    *,
    subset: Any = None,
    missing: str = "drop",
    hasconst: bool | None = None,
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
    **fixef: Any,
) -> OLS:
    """Ordinary least squares from a formula: ``ts.ols("y ~ x1 + C(g)", df).fit()``.

    Parameters
    ----------
    formula : str
        Formula with a response; names are data columns or variables of the caller.
    data : pandas.DataFrame
        The data.
    subset : array-like, optional
        Rows to use, statsmodels' ``subset``: a boolean mask (a Series is aligned by label)
        or labels of ``data.index``; ``data.loc[subset]`` is taken before the design.
    missing : {"drop", "raise", "none"}
        Missing-value policy.
    hasconst : bool, optional
        Override constant detection.
    device, dtype
        Computation device (``"cpu"``, ``"cuda"``) and precision (float64 by default).
    context : int or mapping
        Namespace for the formula (0 = the caller's).

    Returns
    -------
    OLS
        Or :class:`~torchstats.models.streaming.StreamingOLS` when ``data`` is chunked: a
        list of DataFrames, a callable returning chunks, a Parquet path or a pyarrow Dataset;
        or :class:`~torchstats.models.fixed_effects.FixedEffectsOLS` for a formula with
        fixed effects in fixest's syntax, ``"y ~ x | f1 + f2"`` (options in ``fixef``:
        ``fixef_rm``, ``fixef_tol``, ``fixef_maxiter``, ``collin_tol``; see
        ``docs/fixed-effects.md``).
    """
    if uses_fixest_syntax(formula) or uses_multiple_estimation(formula) or _splits(fixef):
        return _fixed_effects(  # type: ignore[return-value]
            formula, data, subset, None, missing, device, dtype, caller_context(context, 1), fixef
        )
    if fixef:
        raise InvalidOptionError(f"{sorted(fixef)} apply only to fixed effects ('y ~ x | f')")
    if is_chunked(data):
        _refuse_subset(subset)
        return StreamingOLS(  # type: ignore[return-value]
            formula,
            data,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1),
        )
    return OLS(
        formula,
        formula_rows(data, subset),
        missing=missing,
        hasconst=hasconst,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def wls(
    formula: str,
    data: Any,
    weights: Any = 1.0,
    *,
    subset: Any = None,
    missing: str = "drop",
    hasconst: bool | None = None,
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
    **fixef: Any,
) -> WLS:
    """Weighted least squares from a formula: ``ts.wls("y ~ x", df, weights=df.w).fit()``.

    Parameters are those of :func:`ols`, plus ``weights``: proportional to inverse
    variances, one per row of ``data`` (a Series is matched to the rows by label, an array by
    position) or the name of a column (the only form for chunked data).

    Returns
    -------
    WLS
        Or :class:`~torchstats.models.streaming.StreamingOLS` for chunked data, or
        :class:`~torchstats.models.fixed_effects.FixedEffectsOLS` for fixed effects.
    """
    if uses_fixest_syntax(formula) or uses_multiple_estimation(formula) or _splits(fixef):
        return _fixed_effects(  # type: ignore[return-value]
            formula,
            data,
            subset,
            weights,
            missing,
            device,
            dtype,
            caller_context(context, 1),
            fixef,
        )
    if fixef:
        raise InvalidOptionError(f"{sorted(fixef)} apply only to fixed effects ('y ~ x | f')")
    if is_chunked(data):
        _refuse_subset(subset)
        return StreamingOLS(  # type: ignore[return-value]
            formula,
            data,
            weights=weights,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1),
        )
    return WLS(
        formula,
        formula_rows(data, subset),
        weights,
        missing=missing,
        hasconst=hasconst,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def _splits(options: Mapping[str, Any]) -> bool:
    return options.get("split") is not None or options.get("fsplit") is not None


def _fixest_route(formula: str, options: Mapping[str, Any], responses: bool = True) -> bool:
    """Whether a GLM formula goes to the fixed-effects models: a fixest part, a split, a
    stepwise function or (with ``responses``) several responses. ``ts.glm`` passes
    ``responses=False``: there ``"successes + failures ~ x"`` keeps statsmodels' meaning,
    the binomial's two-column response."""
    several = uses_multiple_estimation if responses else uses_stepwise
    return uses_fixest_syntax(formula) or _splits(options) or several(formula)


def _fixed_effects(
    formula: str,
    data: Any,
    subset: Any,
    weights: Any,
    missing: str,
    device: Any,
    dtype: Any,
    context: Mapping[str, Any] | None,
    options: Mapping[str, Any],
) -> FixedEffectsOLS | FixedEffectsIV:
    if is_chunked(data):
        raise InvalidOptionError(
            "fixed effects are absorbed in memory only; pass a DataFrame (chunked data is not "
            "supported with a fixed-effects formula yet)"
        )
    unknown = set(options) - {
        "fixef_rm",
        "fixef_tol",
        "fixef_maxiter",
        "collin_tol",
        "split",
        "fsplit",
    }
    if unknown:
        raise InvalidOptionError(
            f"unknown option(s) {sorted(unknown)}: fixed-effects fits take fixef_rm, fixef_tol, "
            "fixef_maxiter, collin_tol, split, fsplit"
        )
    # an instrumental-variables part is the one after a "|" with its own "~" (read without
    # parse_fixest, which does not take multiple-estimation syntax such as csw0(f1, f2))
    instrumented = "~" in formula.partition("|")[2]
    if uses_multiple_estimation(formula) or _splits(options):
        return MultipleEstimation(  # type: ignore[return-value]
            formula,
            formula_rows(data, subset),
            model=FixedEffectsIV if instrumented else FixedEffectsOLS,
            weights=None if isinstance(weights, (int, float)) and weights == 1.0 else weights,
            missing=missing,
            device=device,
            dtype=dtype,
            context=context,
            **options,
        )
    model = FixedEffectsIV if instrumented else FixedEffectsOLS
    return model(
        formula,
        formula_rows(data, subset),
        weights=None if isinstance(weights, (int, float)) and weights == 1.0 else weights,
        missing=missing,
        device=device,
        dtype=dtype,
        context=context,
        **options,
    )


_GLM_OPTIONS = frozenset(
    {
        "fixef_rm",
        "fixef_tol",
        "fixef_maxiter",
        "collin_tol",
        "glm_tol",
        "glm_maxiter",
        "separation",
        "weights",
        "split",
        "fsplit",
    }
)


def _fixed_effects_glm(
    formula: str,
    data: Any,
    subset: Any,
    family: Any,
    per_row: tuple[Any, Any, Any],
    missing: str,
    device: Any,
    dtype: Any,
    context: Mapping[str, Any] | None,
    options: Mapping[str, Any],
) -> FixedEffectsGLM:
    """A :class:`FixedEffectsGLM` (or a :class:`MultipleEstimation` of them); ``per_row`` is
    (offset, exposure, var_weights)."""
    if is_chunked(data):
        raise InvalidOptionError(
            "fixed effects are absorbed in memory only; pass a DataFrame (chunked data is not "
            "supported with a fixed-effects formula yet)"
        )
    unknown = set(options) - _GLM_OPTIONS
    if unknown:
        raise InvalidOptionError(
            f"unknown option(s) {sorted(unknown)}: fixed-effects GLMs take "
            f"{', '.join(sorted(_GLM_OPTIONS))}"
        )
    offset, exposure, var_weights = per_row
    frame = formula_rows(data, subset)
    settings = dict(options)
    if var_weights is not None:
        if "weights" in settings:
            raise InvalidOptionError("give var_weights or weights, not both")
        settings["weights"] = var_weights
    if "weights" in settings:
        settings["weights"] = _aligned(frame, settings["weights"])
    if uses_multiple_estimation(formula) or _splits(settings):
        return MultipleEstimation(  # type: ignore[return-value]
            formula,
            frame,
            model=FixedEffectsGLM,
            family=Gaussian() if family is None else family,
            offset=_with_exposure(frame, offset, exposure),
            offset_columns=_offset_columns(offset, exposure),
            missing=missing,
            device=device,
            dtype=dtype,
            context=context,
            **settings,
        )
    return FixedEffectsGLM(
        formula,
        frame,
        Gaussian() if family is None else family,
        offset=_with_exposure(frame, offset, exposure),
        offset_columns=_offset_columns(offset, exposure),
        missing=missing,
        device=device,
        dtype=dtype,
        context=context,
        **settings,
    )


def _fixed_effects_negbin(
    formula: str,
    data: Any,
    subset: Any,
    loglike_method: str,
    per_row: tuple[Any, Any],
    missing: str,
    device: Any,
    dtype: Any,
    context: Mapping[str, Any] | None,
    options: Mapping[str, Any],
) -> FixedEffectsNegativeBinomial:
    """A :class:`FixedEffectsNegativeBinomial`; ``per_row`` is (offset, exposure)."""
    if loglike_method != "nb2":
        raise InvalidOptionError(
            f"fixed effects are available for loglike_method='nb2' only, got {loglike_method!r}"
        )
    if is_chunked(data):
        raise InvalidOptionError(
            "fixed effects are absorbed in memory only; pass a DataFrame (chunked data is not "
            "supported with a fixed-effects formula yet)"
        )
    allowed = (_GLM_OPTIONS - {"weights"}) | {"alpha_tol", "alpha_maxiter"}
    unknown = set(options) - allowed
    if unknown:
        raise InvalidOptionError(
            f"unknown option(s) {sorted(unknown)}: the fixed-effects negative binomial takes "
            f"{', '.join(sorted(allowed))}"
        )
    frame = formula_rows(data, subset)
    offset, exposure = per_row
    if uses_multiple_estimation(formula) or _splits(options):
        return MultipleEstimation(  # type: ignore[return-value]
            formula,
            frame,
            model=FixedEffectsNegativeBinomial,
            offset=_with_exposure(frame, offset, exposure),
            offset_columns=_offset_columns(offset, exposure),
            missing=missing,
            device=device,
            dtype=dtype,
            context=context,
            **options,
        )
    return FixedEffectsNegativeBinomial(
        formula,
        frame,
        offset=_with_exposure(frame, offset, exposure),
        offset_columns=_offset_columns(offset, exposure),
        missing=missing,
        device=device,
        dtype=dtype,
        context=context,
        **options,
    )


def _offset_columns(offset: Any, exposure: Any) -> tuple[str | None, str | None]:
    """The column names of the offset and exposure, for predictions on new data; (None,
    None) unless every one given is a name."""
    given = [v for v in (offset, exposure) if v is not None]
    if not all(isinstance(v, str) for v in given):
        return (None, None)
    return (offset, exposure)


def _with_exposure(frame: Any, offset: Any, exposure: Any) -> Any:
    """The offset plus ``log(exposure)`` (each a column name or one value per row; a Series
    is matched to the rows by label)."""
    if exposure is None:
        return _aligned(frame, offset)
    log_exposure = np.log(np.asarray(_aligned(frame, exposure), dtype=float))
    if not np.isfinite(log_exposure).all():
        raise InvalidOptionError("exposure must be positive and present in every row")
    if offset is None:
        return log_exposure
    return log_exposure + np.asarray(_aligned(frame, offset), dtype=float)


def _aligned(frame: Any, values: Any) -> Any:
    """A column's values, or a Series reordered to the rows of ``frame`` by label."""
    if isinstance(values, str):
        if values not in frame.columns:
            raise InvalidOptionError(f"{values!r} is not a column of the data")
        return frame[values].to_numpy(dtype=float)
    if isinstance(values, pd.Series) and not values.index.equals(frame.index):
        return values.reindex(frame.index).to_numpy(dtype=float)
    return values


def _refuse_frequency_weights(freq_weights: Any) -> None:
    if freq_weights is not None:
        raise InvalidOptionError(
            "freq_weights are not supported with fixed effects; pass var_weights (prior "
            "weights, as fixest's and pyfixest's weights) or repeat the rows"
        )


def batched_ols(
    formula: str,
    data: Any,
    by: Any = None,
    *,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> BatchedOLS:
    """One OLS per group (``by``) and per response, fitted in one batched call.

    ``ts.batched_ols("y ~ x", df, by="firm").fit()``; ``"y1 + y2 ~ x"`` fits each response.
    ``by`` is a column name, a list of them, or one label per row.
    """
    return BatchedOLS(
        formula,
        data,
        groups=by,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def batched_wls(
    formula: str,
    data: Any,
    weights: Any,
    by: Any = None,
    *,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> BatchedOLS:
    """One WLS per group and response (``weights`` one per row), in one batched call."""
    return BatchedOLS(
        formula,
        data,
        groups=by,
        weights=weights,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def glm(
    formula: str,
    data: Any,
    family: Any = None,
    offset: Any = None,
    exposure: Any = None,
    freq_weights: Any = None,
    var_weights: Any = None,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
    **fixef: Any,
) -> GLM:
    """Generalised linear model from a formula: ``ts.glm("y ~ x", df, family=...).fit()``.

    Parameters
    ----------
    formula : str
        Formula with a response.
    data : pandas.DataFrame
        The data.
    family : Family, optional
        E.g. ``ts.families.Poisson()``; default Gaussian.
    offset, exposure, freq_weights, var_weights : array-like or str, optional
        Per-row values (a Series is matched to the rows by label, an array by position) or
        the name of a column of ``data``, as :class:`~torchstats.models.glm.GLM`.
    subset, missing, device, dtype, context
        As :func:`ols`.

    Returns
    -------
    GLM
        Or :class:`~torchstats.models.streaming_glm.StreamingGLM` when ``data`` is chunked
        (a list of DataFrames, a callable returning chunks, a Parquet path or a pyarrow
        Dataset); its per-row arguments must then name columns. Fixed effects in
        fixest's syntax (``"y ~ x | f"``) give a
        :class:`~torchstats.models.fixed_effects_glm.FixedEffectsGLM`; stepwise functions
        or ``split=``/``fsplit=`` (or several responses with a ``|``) a
        :class:`~torchstats.models.multiple.MultipleEstimation` of them. Several responses
        without a ``|`` keep statsmodels' meaning (the binomial's successes and failures).
    """
    if _fixest_route(formula, fixef, responses=False):
        _refuse_frequency_weights(freq_weights)
        return _fixed_effects_glm(  # type: ignore[return-value]
            formula,
            data,
            subset,
            family,
            (offset, exposure, var_weights),
            missing,
            device,
            dtype,
            caller_context(context, 1),
            fixef,
        )
    if fixef:
        raise InvalidOptionError(f"{sorted(fixef)} apply only to fixed effects ('y ~ x | f')")
    if is_chunked(data):
        _refuse_subset(subset)
        return StreamingGLM(  # type: ignore[return-value]
            formula,
            data,
            family,
            offset=offset,
            exposure=exposure,
            freq_weights=freq_weights,
            var_weights=var_weights,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1),
        )
    return GLM(
        formula,
        formula_rows(data, subset),
        family=family,
        offset=offset,
        exposure=exposure,
        freq_weights=freq_weights,
        var_weights=var_weights,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def logit(
    formula: str,
    data: Any,
    offset: Any = None,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
    **fixef: Any,
) -> Logit:
    """Logistic regression from a formula: ``ts.logit("y ~ x + C(g)", df).fit()``.

    Chunked ``data`` (a list of DataFrames, a callable returning chunks, a Parquet path or
    a pyarrow Dataset) gives a :class:`~torchstats.models.streaming_discrete.StreamingDiscrete`
    fit in passes over the data; its per-row arguments must then name columns.

    Fixed effects in fixest's syntax (``"y ~ x | f1 + f2"``) give a
    :class:`~torchstats.models.fixed_effects_glm.FixedEffectsGLM`; several responses,
    stepwise functions (``sw``, ``csw``, ``sw0``, ``csw0``) or ``split=``/``fsplit=`` give a
    :class:`~torchstats.models.multiple.MultipleEstimation` of them (pyfixest's multiple
    estimation; see ``docs/fixed-effects-glm.md``).
    """
    if _fixest_route(formula, fixef):
        return _fixed_effects_glm(  # type: ignore[return-value]
            formula,
            data,
            subset,
            Binomial(),
            (offset, None, None),
            missing,
            device,
            dtype,
            caller_context(context, 1),
            fixef,
        )
    if fixef:
        raise InvalidOptionError(f"{sorted(fixef)} apply only to fixed effects ('y ~ x | f')")
    if is_chunked(data):
        _refuse_subset(subset)
        return StreamingDiscrete(  # type: ignore[return-value]
            "Logit",
            formula,
            data,
            offset=offset,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1),
        )
    return Logit(
        formula,
        formula_rows(data, subset),
        offset=offset,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def probit(
    formula: str,
    data: Any,
    offset: Any = None,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
    **fixef: Any,
) -> Probit:
    """Probit regression from a formula: ``ts.probit("y ~ x + C(g)", df).fit()``.

    Chunked ``data`` (a list of DataFrames, a callable returning chunks, a Parquet path or
    a pyarrow Dataset) gives a :class:`~torchstats.models.streaming_discrete.StreamingDiscrete`
    fit in passes over the data; its per-row arguments must then name columns.

    Fixed effects in fixest's syntax (``"y ~ x | f1 + f2"``) give a
    :class:`~torchstats.models.fixed_effects_glm.FixedEffectsGLM`; several responses,
    stepwise functions (``sw``, ``csw``, ``sw0``, ``csw0``) or ``split=``/``fsplit=`` give a
    :class:`~torchstats.models.multiple.MultipleEstimation` of them (pyfixest's multiple
    estimation; see ``docs/fixed-effects-glm.md``).
    """
    if _fixest_route(formula, fixef):
        return _fixed_effects_glm(  # type: ignore[return-value]
            formula,
            data,
            subset,
            Binomial(ProbitLink()),
            (offset, None, None),
            missing,
            device,
            dtype,
            caller_context(context, 1),
            fixef,
        )
    if fixef:
        raise InvalidOptionError(f"{sorted(fixef)} apply only to fixed effects ('y ~ x | f')")
    if is_chunked(data):
        _refuse_subset(subset)
        return StreamingDiscrete(  # type: ignore[return-value]
            "Probit",
            formula,
            data,
            offset=offset,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1),
        )
    return Probit(
        formula,
        formula_rows(data, subset),
        offset=offset,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def poisson(
    formula: str,
    data: Any,
    offset: Any = None,
    exposure: Any = None,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
    **fixef: Any,
) -> Poisson:
    """Poisson regression from a formula: ``ts.poisson("n ~ x", df, exposure=df.t).fit()``.

    Chunked ``data`` (a list of DataFrames, a callable returning chunks, a Parquet path or
    a pyarrow Dataset) gives a :class:`~torchstats.models.streaming_discrete.StreamingDiscrete`
    fit in passes over the data; its per-row arguments must then name columns.

    Fixed effects in fixest's syntax (``"y ~ x | f1 + f2"``) give a
    :class:`~torchstats.models.fixed_effects_glm.FixedEffectsGLM`; several responses,
    stepwise functions (``sw``, ``csw``, ``sw0``, ``csw0``) or ``split=``/``fsplit=`` give a
    :class:`~torchstats.models.multiple.MultipleEstimation` of them (pyfixest's multiple
    estimation; see ``docs/fixed-effects-glm.md``).
    """
    if _fixest_route(formula, fixef):
        return _fixed_effects_glm(  # type: ignore[return-value]
            formula,
            data,
            subset,
            PoissonFamily(),
            (offset, exposure, None),
            missing,
            device,
            dtype,
            caller_context(context, 1),
            fixef,
        )
    if fixef:
        raise InvalidOptionError(f"{sorted(fixef)} apply only to fixed effects ('y ~ x | f')")
    if is_chunked(data):
        _refuse_subset(subset)
        return StreamingDiscrete(  # type: ignore[return-value]
            "Poisson",
            formula,
            data,
            offset=offset,
            exposure=exposure,
            missing=missing,
            device=device,
            dtype=dtype,
            context=caller_context(context, 1),
        )
    return Poisson(
        formula,
        formula_rows(data, subset),
        offset=offset,
        exposure=exposure,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def negativebinomial(
    formula: str,
    data: Any,
    loglike_method: str = "nb2",
    offset: Any = None,
    exposure: Any = None,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
    **fixef: Any,
) -> NegativeBinomial:
    """Negative binomial regression (NB2, NB1 or geometric) from a formula.

    Fixed effects (``"y ~ x | f"``, NB2 only) give a
    :class:`~torchstats.models.fixed_effects_negbin.FixedEffectsNegativeBinomial`; several
    responses, stepwise functions or ``split=``/``fsplit=`` a
    :class:`~torchstats.models.multiple.MultipleEstimation` of them.
    """
    if _fixest_route(formula, fixef):
        return _fixed_effects_negbin(  # type: ignore[return-value]
            formula,
            data,
            subset,
            loglike_method,
            (offset, exposure),
            missing,
            device,
            dtype,
            caller_context(context, 1),
            fixef,
        )
    if fixef:
        raise InvalidOptionError(f"{sorted(fixef)} apply only to fixed effects ('y ~ x | f')")
    return NegativeBinomial(
        formula,
        formula_rows(data, subset),
        loglike_method,
        offset=offset,
        exposure=exposure,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def mnlogit(
    formula: str,
    data: Any,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> MNLogit:
    """Multinomial logit from a formula: ``ts.mnlogit("C(choice) ~ x1 + x2", df).fit()``
    (a numeric, text or categorical response needs no ``C()``)."""
    return MNLogit(
        formula,
        formula_rows(data, subset),
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def negativebinomialp(
    formula: str,
    data: Any,
    p: float = 2,
    offset: Any = None,
    exposure: Any = None,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> NegativeBinomialP:
    """NB-P regression (variance ``mu + alpha mu^p``) from a formula."""
    return NegativeBinomialP(
        formula,
        formula_rows(data, subset),
        p,
        offset=offset,
        exposure=exposure,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def generalizedpoisson(
    formula: str,
    data: Any,
    p: float = 1,
    offset: Any = None,
    exposure: Any = None,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> GeneralizedPoisson:
    """Generalised Poisson regression (variance ``mu (1 + alpha mu^(p-1))^2``) from a
    formula."""
    return GeneralizedPoisson(
        formula,
        formula_rows(data, subset),
        p,
        offset=offset,
        exposure=exposure,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def zeroinflatedpoisson(
    formula: str,
    data: Any,
    exog_infl: Any = None,
    offset: Any = None,
    exposure: Any = None,
    inflation: str = "logit",
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> ZeroInflatedPoisson:
    """Zero-inflated Poisson regression from a formula:
    ``ts.zeroinflatedpoisson("y ~ x1 + x2", df, exog_infl="~ x1")``.

    ``exog_infl`` is the inflation design: a right-hand-side formula evaluated on ``data``
    (rows missing in either part are dropped from both), or an array (statsmodels'
    ``from_formula``); default a constant.
    """
    return ZeroInflatedPoisson(
        formula,
        formula_rows(data, subset),
        exog_infl,
        offset=offset,
        exposure=exposure,
        inflation=inflation,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def zeroinflatednegativebinomialp(
    formula: str,
    data: Any,
    exog_infl: Any = None,
    offset: Any = None,
    exposure: Any = None,
    inflation: str = "logit",
    p: float = 2,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> ZeroInflatedNegativeBinomialP:
    """Zero-inflated NB-P regression from a formula (``exog_infl`` as for
    :func:`zeroinflatedpoisson`)."""
    return ZeroInflatedNegativeBinomialP(
        formula,
        formula_rows(data, subset),
        exog_infl,
        offset=offset,
        exposure=exposure,
        inflation=inflation,
        p=p,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def zeroinflatedgeneralizedpoisson(
    formula: str,
    data: Any,
    exog_infl: Any = None,
    offset: Any = None,
    exposure: Any = None,
    inflation: str = "logit",
    p: float = 2,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> ZeroInflatedGeneralizedPoisson:
    """Zero-inflated generalised Poisson regression from a formula (``exog_infl`` as for
    :func:`zeroinflatedpoisson`)."""
    return ZeroInflatedGeneralizedPoisson(
        formula,
        formula_rows(data, subset),
        exog_infl,
        offset=offset,
        exposure=exposure,
        inflation=inflation,
        p=p,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def truncatedlfpoisson(
    formula: str,
    data: Any,
    offset: Any = None,
    exposure: Any = None,
    truncation: int = 0,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> TruncatedLFPoisson:
    """Left-truncated Poisson regression (counts above ``truncation``) from a formula."""
    return TruncatedLFPoisson(
        formula,
        formula_rows(data, subset),
        offset=offset,
        exposure=exposure,
        truncation=truncation,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def truncatedlfnegativebinomialp(
    formula: str,
    data: Any,
    offset: Any = None,
    exposure: Any = None,
    truncation: int = 0,
    p: float = 2,
    *,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> TruncatedLFNegativeBinomialP:
    """Left-truncated NB-P regression (counts above ``truncation``) from a formula."""
    return TruncatedLFNegativeBinomialP(
        formula,
        formula_rows(data, subset),
        offset=offset,
        exposure=exposure,
        truncation=truncation,
        p=p,
        missing=missing,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def hurdlecountmodel(
    formula: str,
    data: Any,
    dist: str = "poisson",
    zerodist: str = "poisson",
    p: float = 2,
    pzero: float = 2,
    *,
    exog_infl: Any = None,
    subset: Any = None,
    missing: str = "drop",
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> HurdleCountModel:
    """Hurdle count model (a zero model and a zero-truncated count model) from a formula:
    ``ts.hurdlecountmodel("n ~ x", df, dist="negbin").fit()``."""
    return HurdleCountModel(
        formula,
        formula_rows(data, subset),
        dist=dist,
        zerodist=zerodist,
        p=p,
        pzero=pzero,
        missing=missing,
        exog_infl=exog_infl,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )


def _refuse_subset(subset: Any) -> None:
    if subset is not None:
        raise InvalidOptionError(
            "subset is not available for chunked data; filter the chunks (or the Parquet "
            "dataset) instead"
        )


def ordered_model(
    formula: str,
    data: Any,
    offset: Any = None,
    distr: Any = "probit",
    *,
    subset: Any = None,
    missing: str = "drop",
    hasconst: bool | None = None,
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> OrderedModel:
    """Ordinal regression from a formula (statsmodels' ``OrderedModel.from_formula``):
    ``ts.ordered_model("rating ~ x + C(g)", df, distr="logit").fit()``.

    The response is an ordered pandas Categorical or numeric (its sorted values are the
    levels); the formula's intercept is dropped (the thresholds take its place).
    """
    return OrderedModel(
        formula,
        formula_rows(data, subset),
        offset=offset,
        distr=distr,
        missing=missing,
        hasconst=hasconst,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )
