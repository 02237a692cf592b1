"""Columns collinear with absorbed effects and with each other, as fixest detects them.

A column is dropped when its residual on the effects and the earlier kept columns keeps
less than ``tol`` of its centred (weighted) sum of squares; an intercept, which has no
centred variation, is measured against its raw sum of squares. Used by every fixed-effects
model (least squares, GLMs, instrumental variables).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["independent_columns"]


def independent_columns(
    demeaned: torch.Tensor, original: torch.Tensor, weights: torch.Tensor | None, tol: float
) -> list[int]:
    """Columns kept by a Cholesky pass over ``X~'WX~`` that drops a column whose residual
    keeps less than ``tol`` of its centred (weighted) sum of squares.

    Parameters
    ----------
    demeaned, original : Tensor, shape (n, k)
        The columns with the effects projected out, and as given.
    weights : Tensor, shape (n,), or None
        Row weights.
    tol : float
        The share of the sum of squares a column must keep.

    Returns
    -------
    list of int
        Positions of the columns kept, in order.
    """
    if demeaned.shape[1] == 0:
        return []
    w = weights
    centred = original - (original.mean(0) if w is None else (w @ original) / w.sum())
    reference = ((centred**2).sum(0) if w is None else w @ centred**2).cpu().numpy()
    weighted = demeaned if w is None else demeaned * w.unsqueeze(1)
    gram = (demeaned.T @ weighted).cpu().numpy()
    # an intercept has no centred variation: measure it against its raw sum of squares
    raw = ((original**2).sum(0) if w is None else w @ original**2).cpu().numpy()
    scale = np.where(reference > 0, reference, raw)
    keep: list[int] = []
    factor = np.zeros_like(gram)
    for j in range(gram.shape[0]):
        column = gram[keep, j]
        solved = np.linalg.solve(factor[np.ix_(keep, keep)].T, column) if keep else column
        remainder = gram[j, j] - float(solved @ solved)
        if remainder > tol * scale[j] and remainder > 0:
            factor[keep, j] = solved
            factor[j, j] = np.sqrt(remainder)
            keep.append(j)
    return keep
