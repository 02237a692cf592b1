"""Pairwise comparisons of the levels of a categorical term (statsmodels' ``t_test_pairwise``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from torchstats.inference.multitest import multipletests

__all__ = ["MultiCompResult", "pairwise_contrasts", "pairwise_labels", "multiple_t_tests"]


@dataclass(frozen=True)
class MultiCompResult:
    """Result of ``t_test_pairwise`` (statsmodels' ``MultiCompResult``).

    Attributes
    ----------
    result_frame : DataFrame
        The t test table of each pair (``coef, std err, t, P>|t|, Conf. Int. Low/Upp.``),
        with ``pvalue-<method>`` and ``reject-<method>`` columns; index ``"b-a"``...
    contrasts : ndarray, shape (m, k)
        The restriction matrix tested.
    term : str
        The term's name.
    contrast_labels : list of str
    term_encoding_matrix : ndarray, shape (levels, columns)
        How the levels are coded in the term's columns.
    """

    result_frame: pd.DataFrame
    contrasts: np.ndarray
    term: str
    contrast_labels: list[str]
    term_encoding_matrix: np.ndarray


def pairwise_labels(levels: Sequence[object]) -> list[str]:
    """``"j-i"`` for each pair ``i < j`` of levels, in statsmodels' order."""
    first, second = np.triu_indices(len(levels), 1)
    return [f"{levels[int(j)]}-{levels[int(i)]}" for i, j in zip(first, second)]


def pairwise_contrasts(encoding: np.ndarray, k_params: int, columns: Sequence[int]) -> np.ndarray:
    """Rows ``(e_j - e_i)' C`` for each pair ``i < j``, embedded at the term's columns.

    ``C`` (levels x columns) codes each level in the term's parameters, so a row is the
    difference of the fitted effects of levels ``j`` and ``i`` (statsmodels'
    ``-contrast_allpairs(k) @ C``).
    """
    k_level = encoding.shape[0]
    first, second = np.triu_indices(k_level, 1)
    differences = np.zeros((first.shape[0], k_level))
    differences[np.arange(first.shape[0]), second] = 1.0
    differences[np.arange(first.shape[0]), first] = -1.0
    contrasts = np.zeros((first.shape[0], k_params))
    contrasts[:, list(columns)] = differences @ encoding
    return contrasts


def multiple_t_tests(
    frame: pd.DataFrame, pvalues: np.ndarray, methods: str | list[str], alpha: float
) -> pd.DataFrame:
    """The t test table with adjusted p-values and reject decisions (statsmodels'
    ``t_test_multi``)."""
    out = frame.copy()
    for method in methods if isinstance(methods, list) else [methods]:
        reject, corrected, _, _ = multipletests(pvalues, alpha=alpha, method=method)
        out[f"pvalue-{method}"] = corrected
        out[f"reject-{method}"] = reject
    return out
