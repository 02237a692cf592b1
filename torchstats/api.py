"""Lower-case formula entry points, as ``statsmodels.formula.api``: ``ts.ols("y ~ x", df)``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torchstats.models.base import caller_context
from torchstats.models.linear import OLS, WLS

__all__ = ["ols", "wls"]


def ols(
    formula: str,
    data: Any,
    *,
    missing: str = "drop",
    hasconst: bool | None = None,
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> OLS:
    """Ordinary least squares from a formula: ``ts.ols("y ~ x1 + C(g)", df).fit()``.

    Parameters
    ----------
    formula : str
        Formula with a response; names are data columns or variables of the caller.
    data : pandas.DataFrame
        The data.
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
    """
    return OLS(
        formula,
        data,
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
    missing: str = "drop",
    hasconst: bool | None = None,
    device: Any = None,
    dtype: Any = None,
    context: int | Mapping[str, Any] | None = 0,
) -> WLS:
    """Weighted least squares from a formula: ``ts.wls("y ~ x", df, weights=df.w).fit()``.

    Parameters are those of :func:`ols`, plus ``weights`` (one per row of ``data``,
    proportional to inverse variances).

    Returns
    -------
    WLS
    """
    return WLS(
        formula,
        data,
        weights,
        missing=missing,
        hasconst=hasconst,
        device=device,
        dtype=dtype,
        context=caller_context(context, 1),
    )
