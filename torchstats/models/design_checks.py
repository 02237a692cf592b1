"""Checks of a built design, and of prediction inputs, that several models share.

:func:`check_finite` refuses NaN or infinite values that survived the missing-data policy
(statsmodels raises on them too), naming the columns; :func:`matrix_rank` is the numerical
rank with numpy's ``matrix_rank`` tolerance, which gives statsmodels' ``df_model``;
:func:`row_values` checks an offset or exposure given for predictions.
"""

from __future__ import annotations

from typing import Any

import torch

from torchstats._device import to_tensor
from torchstats.errors import DesignError, MissingDataError
from torchstats.formula.design import Design

__all__ = ["check_finite", "matrix_rank", "row_values"]


def check_finite(design: Design) -> None:
    """statsmodels refuses NaN/inf that survive the missing policy; so do we, naming columns."""
    culprits = [] if bool(torch.isfinite(design.endog).all()) else ["endog"]
    bad_columns = (~torch.isfinite(design.exog)).any(dim=0).tolist()
    culprits += [name for name, bad in zip(design.exog_names, bad_columns) if bad]
    culprits += [n for n, t in design.extras.items() if not bool(torch.isfinite(t).all())]
    if culprits:
        raise MissingDataError(
            f"non-finite values (NaN or inf) in {', '.join(map(repr, culprits))}; use "
            "missing='drop' to drop rows with NaN, and remove infinite values"
        )


def matrix_rank(X: torch.Tensor) -> int:
    """Rank from the singular values of ``R`` in ``X = QR`` (numpy's tolerance)."""
    if X.shape[1] == 0:
        return 0
    R = torch.linalg.qr(X, mode="r")[1] if X.shape[0] >= X.shape[1] else X
    s = torch.linalg.svdvals(R)
    tol = s.max() * max(X.shape) * torch.finfo(X.dtype).eps
    return int((s > tol).sum())


def row_values(value: Any, name: str, like: torch.Tensor) -> torch.Tensor:
    """A per-prediction input (offset, exposure): one value, or one per row of ``like``."""
    tensor = to_tensor(value, name=name, device=like.device, dtype=like.dtype).reshape(-1)
    if tensor.numel() not in (1, like.shape[0]):
        raise DesignError(
            f"{name} has {tensor.numel()} values but there are {like.shape[0]} predictions"
        )
    return tensor
