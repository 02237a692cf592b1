"""Results' scalars as numpy scalars, as statsmodels returns them.

statsmodels' results compute their statistics with numpy, so ``res.rsquared``, ``res.llf``
or ``res.aic`` are ``numpy.float64``, and user code calls numpy's scalar methods on them
(``res.rsquared.round(3)``, ``res.llf.item()``). torchstats computes them in torch and
converts with ``float``; :class:`NumpyScalars` turns the Python floats that public
properties return into ``numpy.float64``, a subclass of ``float``, so that nothing that
takes a float changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import numpy as np

from torchstats._threads import wrap_public_members

__all__ = ["NumpyScalars"]


def _numpy_float(getter: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @wraps(getter)
    def get(self: Any) -> Any:
        value = getter(self)
        return np.float64(value) if type(value) is float else value

    return get


class NumpyScalars:
    """A mixin: public properties and cached properties that each subclass defines return
    ``numpy.float64`` where they compute a Python ``float``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        wrap_public_members(cls, _numpy_float, methods=False)
