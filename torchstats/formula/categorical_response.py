"""A categorical response: outcome codes ``0..J-1`` and the outcomes they stand for.

statsmodels' multinomial models read ``endog`` as categories (``_numpy_to_dummies``,
``_pandas_to_dummies``): the sorted distinct values of numbers or text, the categories of
a pandas ``Categorical`` in their order (unused ones included), or an indicator matrix
whose columns are the outcomes. Both design doors call :func:`response_codes` (arrays) or
:func:`formula_response_codes` (the left-hand side a formula built) when a model asks for
a categorical response; the codes are the design's ``endog`` and the outcomes its
``endog_levels``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.errors import DesignError, ShapeMismatchError

__all__ = ["formula_response_codes", "response_codes"]


def response_codes(endog: Any) -> tuple[np.ndarray, tuple[Any, ...], str | None]:
    """Outcome codes of an array response, as statsmodels' ``MultinomialModel`` reads it.

    Parameters
    ----------
    endog : array-like
        One value per observation (numbers, text, booleans, a pandas ``Categorical``; a
        DataFrame of one column), or an (n, J) indicator matrix with one 1 per row.

    Returns
    -------
    codes : ndarray, shape (n,)
        Float codes ``0..J-1``; NaN where the response is missing.
    levels : tuple
        The outcome of each code.
    name : str or None
        The response's name where the input carries one (``"y"`` for an indicator
        DataFrame, as statsmodels), else None.

    Raises
    ------
    ShapeMismatchError
        More than two dimensions, or an indicator matrix whose rows do not hold one 1.
    """
    if isinstance(endog, torch.Tensor):
        endog = endog.detach().cpu().numpy()
    if isinstance(endog, pd.DataFrame):
        if endog.shape[1] == 1:
            codes, levels = _series_codes(endog.iloc[:, 0])
            return codes, levels, str(endog.columns[0])
        return _indicator_codes(endog.to_numpy()), tuple(endog.columns), "y"
    if isinstance(endog, pd.Series):
        codes, levels = _series_codes(endog)
        return codes, levels, None if endog.name is None else str(endog.name)
    values = np.asarray(endog)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim == 2 and values.dtype.kind not in "SUO":
        return _indicator_codes(values), tuple(range(values.shape[1])), None
    if values.ndim != 1:
        raise ShapeMismatchError(
            f"endog must be one value per observation or an indicator matrix, got shape "
            f"{values.shape}"
        )
    codes, levels = _series_codes(pd.Series(values))
    return codes, levels, None


def formula_response_codes(lhs: pd.DataFrame) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Outcome codes of a formula's left-hand side (formulaic's matrix).

    A numeric response (one column) has its sorted distinct values as outcomes; a
    categorical one (``C(y)``, text, a ``Categorical``) is encoded by formulaic as one
    indicator column per level, whose levels are the outcomes in formulaic's order.

    Raises
    ------
    DesignError
        The left-hand side is not one variable.
    """
    if lhs.shape[1] == 1:
        codes, levels = _series_codes(pd.Series(lhs.iloc[:, 0].to_numpy()))
        return codes, levels
    spec = lhs.model_spec
    states = list(spec.encoder_state.values())
    terms = [term for term in spec.terms if str(term) != "1"]
    levels = tuple(states[0][1].get("categories", ())) if len(states) == 1 else ()
    if len(terms) != 1 or len(levels) != lhs.shape[1]:
        raise DesignError(
            f"the response must be one variable; the left-hand side encodes to "
            f"{list(lhs.columns)}. Write a single (categorical) variable before '~'"
        )
    return _indicator_codes(lhs.to_numpy()), levels


def _series_codes(values: pd.Series) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Codes in the order of ``pd.get_dummies``: categories, else sorted distinct values."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categorical = values.array
    else:
        categorical = pd.Categorical(values)
    codes = np.asarray(categorical.codes, dtype=np.float64)
    codes[codes < 0] = np.nan
    return codes, tuple(categorical.categories)


def _indicator_codes(indicators: np.ndarray) -> np.ndarray:
    """Column of the one 1 in each row of an indicator matrix."""
    values = np.asarray(indicators, dtype=np.float64)
    valid = np.isin(values, (0.0, 1.0)).all(axis=1) & (values.sum(axis=1) == 1)
    missing = np.isnan(values).any(axis=1)
    if not (valid | missing).all():
        bad = int((~(valid | missing)).sum())
        raise ShapeMismatchError(
            f"endog is an indicator matrix with {bad} row(s) that do not hold exactly one 1; "
            "pass one category per observation or one 0/1 column per outcome"
        )
    codes = values.argmax(axis=1).astype(np.float64)
    codes[missing] = np.nan
    return codes
