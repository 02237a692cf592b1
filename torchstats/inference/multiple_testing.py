"""p-value adjustments for several tests (a subset of statsmodels' ``multipletests``).

Used by ``t_test_pairwise``; the formulas and the order of operations are statsmodels'
``statsmodels.stats.multitest.multipletests``, so the adjusted p-values agree to rounding.
"""

from __future__ import annotations

import numpy as np

from torchstats.errors import InvalidOptionError

__all__ = ["adjust_pvalues"]

_ALIASES = {
    "b": "bonferroni",
    "bonf": "bonferroni",
    "bonferroni": "bonferroni",
    "s": "sidak",
    "sidak": "sidak",
    "hs": "holm-sidak",
    "holm-sidak": "holm-sidak",
    "h": "holm",
    "holm": "holm",
    "sh": "simes-hochberg",
    "simes-hochberg": "simes-hochberg",
    "ho": "hommel",
    "hommel": "hommel",
    "fdr_bh": "fdr_bh",
    "fdr_i": "fdr_bh",
    "fdr_p": "fdr_bh",
    "fdri": "fdr_bh",
    "fdrp": "fdr_bh",
    "fdr_by": "fdr_by",
    "fdr_n": "fdr_by",
    "fdr_c": "fdr_by",
    "fdrn": "fdr_by",
    "fdrcorr": "fdr_by",
}


def _step_down(pvals: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Reject the sorted hypotheses before the first p-value above its threshold."""
    above = np.nonzero(pvals > thresholds)[0]
    reject = np.ones(pvals.shape[0], dtype=bool)
    if above.size:
        reject[above[0] :] = False
    return reject


def _step_up(pvals: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Reject the sorted hypotheses up to the last p-value at or below its threshold."""
    below = np.nonzero(pvals <= thresholds)[0]
    reject = np.zeros(pvals.shape[0], dtype=bool)
    if below.size:
        reject[: below[-1] + 1] = True
    return reject


def _sorted_adjustment(pvals: np.ndarray, method: str, alpha: float) -> tuple[np.ndarray, ...]:
    n = pvals.shape[0]
    down = np.arange(n, 0, -1)
    if method == "bonferroni":
        return pvals <= alpha / n, pvals * float(n)
    if method == "sidak":
        return pvals <= 1 - (1 - alpha) ** (1.0 / n), -np.expm1(n * np.log1p(-pvals))
    if method == "holm-sidak":
        reject = _step_down(pvals, 1 - np.power(1.0 - alpha, 1.0 / down))
        return reject, np.maximum.accumulate(-np.expm1(down * np.log1p(-pvals)))
    if method == "holm":
        reject = _step_down(pvals, alpha / down)
        return reject, np.maximum.accumulate(pvals * down)
    if method == "simes-hochberg":
        reject = _step_up(pvals, alpha / down)
        return reject, np.minimum.accumulate((down * pvals)[::-1])[::-1]
    if method == "hommel":
        adjusted = pvals.copy()
        for m in range(n, 1, -1):
            cim = np.min(m * pvals[-m:] / np.arange(1, m + 1.0))
            adjusted[-m:] = np.maximum(adjusted[-m:], cim)
            adjusted[:-m] = np.maximum(adjusted[:-m], np.minimum(m * pvals[:-m], cim))
        return adjusted <= alpha, adjusted
    factor = np.arange(1, n + 1) / float(n)
    if method == "fdr_by":
        factor = factor / np.sum(1.0 / np.arange(1, n + 1))
    reject = _step_up(pvals, factor * alpha)
    return reject, np.minimum.accumulate((pvals / factor)[::-1])[::-1]


def adjust_pvalues(
    pvalues: np.ndarray, method: str = "hs", alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Reject decisions and adjusted p-values for a family of tests.

    Parameters
    ----------
    pvalues : array-like, shape (m,)
        Unadjusted p-values.
    method : str
        statsmodels' names: ``"bonferroni"`` (``"b"``), ``"sidak"`` (``"s"``),
        ``"holm-sidak"`` (``"hs"``), ``"holm"`` (``"h"``), ``"simes-hochberg"``
        (``"sh"``), ``"hommel"`` (``"ho"``), ``"fdr_bh"``, ``"fdr_by"``.
    alpha : float
        Family-wise error rate (or false discovery rate) of the reject decisions.

    Returns
    -------
    reject : ndarray of bool, shape (m,)
    pvals_corrected : ndarray, shape (m,)
        Capped at 1, in the input's order (statsmodels' ``multipletests(...)[:2]``).
    """
    key = method.lower() if isinstance(method, str) else method
    if key not in _ALIASES:
        raise InvalidOptionError(
            f"unknown multiple-testing method {method!r}; choose one of "
            + ", ".join(map(repr, sorted(set(_ALIASES))))
        )
    pvals = np.asarray(pvalues, dtype=float).reshape(-1)
    order = np.argsort(pvals)
    reject_sorted, corrected_sorted = _sorted_adjustment(pvals[order], _ALIASES[key], alpha)
    corrected_sorted = np.minimum(corrected_sorted, 1.0)
    reject, corrected = np.empty_like(reject_sorted), np.empty_like(corrected_sorted)
    reject[order], corrected[order] = reject_sorted, corrected_sorted
    return reject, corrected
