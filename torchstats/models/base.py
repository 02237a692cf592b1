"""What every torchstats model is: a design plus a torch log-likelihood.

Fitting, the Hessian, covariances, tests and the summary are derived from the
:class:`LikelihoodModel` protocol. Closed-form scores and Hessians are optional speed-ups that
the tests check against autograd.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import pandas as pd
import torch
from formulaic.utils.context import capture_context

from torchstats._device import resolve_device, resolve_dtype
from torchstats.errors import DesignError
from torchstats.formula.arrays import design_from_arrays
from torchstats.formula.design import Design, design_from_formula

__all__ = ["LikelihoodModel", "build_design", "caller_context", "formula_rows"]


@runtime_checkable
class LikelihoodModel(Protocol):
    """A statistical model: data and a log-likelihood in torch."""

    design: Design

    def loglike(self, params: torch.Tensor) -> torch.Tensor:
        """Log-likelihood at ``params`` (a 0-d tensor, differentiable)."""
        ...

    def score(self, params: torch.Tensor) -> torch.Tensor:
        """Gradient of :meth:`loglike`, shape (k,)."""
        ...

    def hessian(self, params: torch.Tensor) -> torch.Tensor:
        """Hessian of :meth:`loglike`, shape (k, k)."""
        ...


def caller_context(context: int | Mapping[str, Any] | None, depth: int) -> Mapping[str, Any] | None:
    """The namespace formula names are looked up in.

    Parameters
    ----------
    context : int, mapping or None
        A mapping is used as is; an int is a frame offset from the user's call (0 = the
        caller of the public function), as formulaic's ``context`` argument.
    depth : int
        Frames between this function and the user's call, for the int case.
    """
    if context is None or isinstance(context, Mapping):
        return context
    return capture_context(context + depth + 1)


def formula_rows(data: Any, subset: Any) -> Any:
    """The rows of ``data`` a formula model uses: statsmodels' ``from_formula(subset=...)``.

    Parameters
    ----------
    data : DataFrame or mapping of column name to array
        The formula's data.
    subset : array-like or None
        A boolean mask (a Series is aligned by label), or labels of ``data.index``:
        ``data.loc[subset]``, taken before the design is built. None keeps every row.

    Raises
    ------
    DesignError
        ``subset`` names rows that are not in the data.
    """
    if subset is None:
        return data
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
    try:
        return frame.loc[subset]
    except (KeyError, IndexError, pd.errors.IndexingError) as error:
        raise DesignError(
            f"subset does not select rows of the data ({error}); pass a boolean mask with one "
            "value per row or labels of data.index, as statsmodels' data.loc[subset]"
        ) from None


def build_design(
    endog: Any,
    exog: Any,
    *,
    missing: str | None,
    extras: Mapping[str, Any] | None,
    context: Mapping[str, Any] | None,
    device: Any,
    dtype: Any,
) -> Design:
    """Dispatch to the formula door (``endog`` is a formula string) or the array door.

    ``missing=None`` means statsmodels' defaults: ``"drop"`` for formulas, ``"none"`` for arrays.
    """
    torch_device = resolve_device(device, endog, exog)
    torch_dtype = resolve_dtype(dtype)
    if isinstance(endog, str):
        return design_from_formula(
            endog,
            exog,
            missing=missing or "drop",  # type: ignore[arg-type]
            extras=extras,
            context=context,
            device=torch_device,
            dtype=torch_dtype,
        )
    return design_from_arrays(
        endog,
        exog,
        missing=missing or "none",  # type: ignore[arg-type]
        extras=extras,
        device=torch_device,
        dtype=torch_dtype,
    )
