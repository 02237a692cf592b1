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
from functools import cached_property, wraps
from typing import Any

import numpy as np

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
        for name, member in list(vars(cls).items()):
            if name.startswith("_"):
                continue
            if isinstance(member, cached_property):
                member.func = _numpy_float(member.func)
            elif isinstance(member, property) and member.fget is not None:
                getter = _numpy_float(member.fget)
                setattr(cls, name, property(getter, member.fset, member.fdel, member.__doc__))
