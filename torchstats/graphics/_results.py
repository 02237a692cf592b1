"""What the plots read from a fitted result, as host numpy arrays (duck-typed: any
torchstats or statsmodels regression result with ``model.exog``, ``model.exog_names``...)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from torchstats.drawing.axes import as_array

__all__ = ["exog_array", "name_and_index", "prediction_interval"]


def name_and_index(idx: Any, model: Any) -> tuple[Any, Any]:
    """Column name(s) and position(s) of ``idx`` (int, name, or a list of them; None for
    all columns), as statsmodels' ``maybe_name_or_idx``.

    Raises
    ------
    ValueError
        A name that is not a column of the model's design.
    """
    names = list(model.exog_names)
    if idx is None:
        idx = list(range(len(names)))
    if isinstance(idx, (int, np.integer)):
        return names[idx], int(idx)
    if isinstance(idx, (tuple, list)):
        pairs = [name_and_index(item, model) for item in idx]
        return [name for name, _ in pairs], [index for _, index in pairs]
    return idx, names.index(idx)


def exog_array(results: Any) -> np.ndarray:
    """The design ``model.exog`` as a dense float array."""
    return as_array(results.model.exog)


def prediction_interval(results: Any, alpha: float = 0.05) -> tuple[np.ndarray, ...]:
    """``(std, lower, upper)`` of in-sample predictions of new observations.

    Notes
    -----
    statsmodels' ``sandbox.regression.predstd.wls_prediction_std`` (what its ``plot_fit``
    and ``plot_regress_exog`` draw): variance ``mse_resid / w_i + x_i' V x_i`` with the
    fit's ``cov_params()`` ``V`` and weights ``w``; bounds ``fitted -+ t_{alpha/2} std``.
    """
    exog = exog_array(results)
    cov = as_array(results.cov_params())
    weights = getattr(results.model, "weights", None)
    weights = 1.0 if weights is None else as_array(weights)
    variance = float(results.mse_resid) / weights + (exog * (cov @ exog.T).T).sum(1)
    std = np.sqrt(variance)
    t = stats.t.isf(alpha / 2.0, results.df_resid)
    fitted = as_array(results.fittedvalues)
    return std, fitted - t * std, fitted + t * std
