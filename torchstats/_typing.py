"""Option types shared across torchstats, and the one place options are validated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeVar, get_args

import numpy as np
import pandas as pd
import torch

from torchstats.errors import InvalidOptionError

__all__ = [
    "ArrayLike",
    "Missing",
    "SolverMethod",
    "CovType",
    "check_option",
]

ArrayLike = np.ndarray | pd.Series | pd.DataFrame | torch.Tensor | Sequence[float]
"""Anything torchstats accepts as data: numpy, pandas, torch or a plain sequence."""

Missing = Literal["drop", "raise", "none"]
"""What to do with rows holding NaN/None: statsmodels' ``missing`` argument."""

SolverMethod = Literal["auto", "qr", "cholesky", "pinv", "gd"]
"""Least-squares solvers; see ``docs/solvers.md`` for what each does and its limits."""

CovType = Literal["nonrobust"]
"""Covariance estimators, named as statsmodels' ``cov_type``."""

_T = TypeVar("_T")


def check_option(value: Any, allowed: Any, name: str) -> Any:
    """Return ``value`` if it is one of the choices of the ``Literal`` type ``allowed``.

    Parameters
    ----------
    value : object
        The user's value.
    allowed : Literal type or sequence of str
        The valid choices.
    name : str
        The option's name, used in the error message.

    Raises
    ------
    InvalidOptionError
        Naming the option, the bad value and every valid choice.
    """
    choices = get_args(allowed) or tuple(allowed)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise InvalidOptionError(f"unknown {name} {value!r}; choose one of {listed}")
    return value
