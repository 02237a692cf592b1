"""Spline bases in formulas, named and shaped as patsy (statsmodels) has them.

formulaic's ``bs``, ``cr`` and ``cc`` compute the same functions as patsy's (checked against
patsy to about 1e-16), but number the columns from 1 (``bs(x, df=4)[1]``) where patsy, and
so statsmodels, numbers them from 0 (``bs(x, df=4)[0]``), and formulaic drops the first
column of ``bs(x, include_intercept=True)`` in a model with an intercept, where patsy keeps
every column (a rank-deficient design, as in statsmodels). These wrappers keep formulaic's
values and state (knots carry over to ``predict``) and give patsy's columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from formulaic.materializers.types import FactorValues
from formulaic.transforms import TRANSFORMS
from formulaic.utils.stateful_transforms import stateful_transform

__all__ = ["PATSY_SPLINES"]


def _numbered_from_zero(transform: Callable[..., Any]) -> Callable[..., Any]:
    """``transform`` with its columns keyed 0, 1, ... and none dropped for an intercept."""

    def spline(x: Any, *args: Any, _state: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        values = transform(x, *args, _state=_state, **kwargs)
        return FactorValues(
            dict(enumerate(values.values())),
            kind="numerical",
            spans_intercept=False,
            format="{name}[{field}]",
            encoded=False,
        )

    spline.__name__ = spline.__qualname__ = getattr(transform, "__name__", "spline")
    spline.__doc__ = transform.__doc__
    return stateful_transform(spline)


PATSY_SPLINES: dict[str, Callable[..., Any]] = {
    name: _numbered_from_zero(TRANSFORMS[name]) for name in ("bs", "cr", "cc")
}
