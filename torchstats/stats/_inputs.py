"""Inputs of the statistical tests: arrays from numpy, pandas or torch, and auxiliary fits.

The tests take what statsmodels' take (arrays, Series, DataFrames) and also torch tensors on
any device; they run on the host in float64, as the tests are a handful of small
regressions. Auxiliary regressions go through torchstats' own :class:`~torchstats.OLS`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.errors import ShapeMismatchError
from torchstats.models.linear import OLS

__all__ = ["host_array", "as_float_array", "auxiliary_ols", "model_arrays"]


def host_array(values: Any) -> np.ndarray:
    """``values`` (numpy, pandas, a list or a tensor on any device) as a float64 array."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().numpy()
    if isinstance(values, (pd.Series, pd.DataFrame)):
        return values.to_numpy(dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


def as_float_array(values: Any, name: str, ndim: int) -> np.ndarray:
    """``values`` as a float64 numpy array with ``ndim`` dimensions (1 or 2).

    A 1-d input becomes one column when ``ndim == 2``; a single column or row becomes a
    vector when ``ndim == 1``.

    Raises
    ------
    ShapeMismatchError
        When the input cannot be read with that many dimensions.
    """
    array = host_array(values)
    if ndim == 1 and array.ndim == 2 and 1 in array.shape:
        array = array.reshape(-1)
    elif ndim == 2 and array.ndim == 1:
        array = array[:, None]
    if array.ndim != ndim:
        raise ShapeMismatchError(
            f"{name} must be {ndim}-dimensional, got an array of shape {array.shape}"
        )
    return array


def auxiliary_ols(endog: np.ndarray, exog: np.ndarray, **fit_kwargs: Any) -> Any:
    """An OLS fit of an auxiliary regression.

    A rank-deficient auxiliary design (a dummy regressor and its square are the same column
    in White's test) gets the minimum-norm fit and its rank, with a
    :class:`~torchstats.errors.CollinearityWarning`, where statsmodels warns too.
    """

    return OLS(endog, exog).fit(**fit_kwargs)


def model_arrays(results: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The response, design and (WLS) weights of a fitted least-squares model, on the host.

    Accepts torchstats results and statsmodels' regression results alike.
    """
    model = results.model
    endog = as_float_array(model.endog, "endog", ndim=1)
    exog = as_float_array(model.exog, "exog", ndim=2)
    weights = getattr(model, "weights", None)
    if weights is None or np.isscalar(weights):
        return endog, exog, None
    array = as_float_array(weights, "weights", ndim=1)
    return endog, exog, (None if bool(np.all(array == 1.0)) else array)
