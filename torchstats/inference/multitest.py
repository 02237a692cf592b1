"""Multiple-testing corrections of p-values (``statsmodels.stats.multitest``).

Every method of statsmodels' ``multipletests`` except the local-FDR one (``"lfdr"``): the
family-wise error rate procedures of Bonferroni, Sidak, Holm(-Sidak), Simes-Hochberg and
Hommel, and the false-discovery-rate procedures of Benjamini-Hochberg, Benjamini-Yekutieli,
the two-stage Benjamini(-Krieger)-Yekutieli/Hochberg and Gavrilov-Benjamini-Sarkar. The
arithmetic follows statsmodels step for step (including ``expm1``/``log1p`` for Sidak), so
the adjusted p-values agree to rounding.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.errors import InvalidOptionError, ShapeMismatchError

__all__ = ["multipletests", "fdrcorrection", "fdrcorrection_twostage"]

# statsmodels' ``multitest_alias``: every accepted spelling -> the canonical method name.
_ALIASES: dict[str, str] = {
    alias: group[0]
    for group in (
        ("b", "bonf", "bonferroni"),
        ("s", "sidak"),
        ("h", "holm"),
        ("hs", "holm-sidak"),
        ("sh", "simes-hochberg"),
        ("ho", "hommel"),
        ("fdr_bh", "fdr_i", "fdr_p", "fdri", "fdrp"),
        ("fdr_by", "fdr_n", "fdr_c", "fdrn", "fdrcorr"),
        ("fdr_tsbh", "fdr_2sbh"),
        ("fdr_tsbky", "fdr_2sbky", "fdr_twostage"),
        ("fdr_gbs",),
    )
    for alias in group
}


def _pvalue_vector(pvals: Any) -> np.ndarray:
    """p-values (numpy, pandas, a list or a tensor) as a float64 vector."""
    if isinstance(pvals, torch.Tensor):
        array = pvals.detach().cpu().double().numpy()
    elif isinstance(pvals, (pd.Series, pd.DataFrame)):
        array = pvals.to_numpy(dtype=np.float64)
    else:
        array = np.asarray(pvals, dtype=np.float64)
    if array.ndim == 2 and 1 in array.shape:
        array = array.reshape(-1)
    if array.ndim != 1:
        raise ShapeMismatchError(
            f"pvals must be 1-dimensional, got an array of shape {array.shape}"
        )
    return array


def _first_false_onwards(reject: np.ndarray) -> np.ndarray:
    """A step-down rule: nothing is rejected after the first hypothesis that is not."""
    out = reject.copy()
    failed = np.nonzero(~reject)[0]
    if failed.size:
        out[failed[0] :] = False
    return out


def _up_to_last_true(reject: np.ndarray) -> np.ndarray:
    """A step-up rule: everything up to the last rejected hypothesis is rejected."""
    out = reject.copy()
    passed = np.nonzero(reject)[0]
    if passed.size:
        out[: passed[-1]] = True
    return out


def _sorted_correction(
    pvals: np.ndarray, alpha: float, method: str, maxiter: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rejections and adjusted p-values of ascending p-values."""
    n = len(pvals)
    if n == 0:
        return np.zeros(0, dtype=bool), pvals.copy()
    down = np.arange(n, 0, -1)
    if method == "b":
        return pvals <= alpha / n, pvals * float(n)
    if method == "s":
        return pvals <= 1 - (1.0 - alpha) ** (1.0 / n), -np.expm1(n * np.log1p(-pvals))
    if method == "hs":
        reject = _first_false_onwards(pvals <= 1 - np.power(1.0 - alpha, 1.0 / down))
        return reject, np.maximum.accumulate(-np.expm1(down * np.log1p(-pvals)))
    if method == "h":
        reject = _first_false_onwards(pvals <= alpha / down)
        return reject, np.maximum.accumulate(pvals * down)
    if method == "sh":
        reject = _up_to_last_true(pvals <= alpha / down)
        return reject, np.minimum.accumulate((down * pvals)[::-1])[::-1]
    if method == "ho":
        adjusted = pvals.copy()
        for m in range(n, 1, -1):
            cim = np.min(m * pvals[-m:] / np.arange(1, m + 1.0))
            adjusted[-m:] = np.maximum(adjusted[-m:], cim)
            adjusted[:-m] = np.maximum(adjusted[:-m], np.minimum(m * pvals[:-m], cim))
        return adjusted <= alpha, adjusted
    if method == "fdr_bh":
        return fdrcorrection(pvals, alpha, "indep", is_sorted=True)
    if method == "fdr_by":
        return fdrcorrection(pvals, alpha, "negcorr", is_sorted=True)
    if method in ("fdr_tsbh", "fdr_tsbky"):
        kind = "bh" if method == "fdr_tsbh" else "bky"
        reject, adjusted, _, _ = fdrcorrection_twostage(
            pvals, alpha, kind, maxiter=maxiter, is_sorted=True
        )
        return reject, adjusted
    # fdr_gbs: adaptive step-down of Gavrilov, Benjamini & Sarkar (2009)
    ranks = np.arange(1, n + 1)
    raw = np.maximum.accumulate((n + 1.0 - ranks) / ranks * pvals / (1.0 - pvals))
    adjusted = np.minimum.accumulate(raw[::-1])[::-1]
    return adjusted <= alpha, adjusted


def multipletests(
    pvals: Any,
    alpha: float = 0.05,
    method: str = "hs",
    maxiter: int = 1,
    is_sorted: bool = False,
    returnsorted: bool = False,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Test results and p-values adjusted for multiple testing (statsmodels' signature).

    Parameters
    ----------
    pvals : array_like or Tensor, shape (m,)
        Uncorrected p-values.
    alpha : float
        Family-wise error rate (or false discovery rate for the ``fdr_*`` methods).
    method : str
        ``"bonferroni"``, ``"sidak"``, ``"holm-sidak"`` (default), ``"holm"``,
        ``"simes-hochberg"``, ``"hommel"``, ``"fdr_bh"``, ``"fdr_by"``, ``"fdr_tsbh"``,
        ``"fdr_tsbky"`` or ``"fdr_gbs"``, or one of statsmodels' aliases (``"b"``,
        ``"bonf"``, ``"hs"``, ``"fdr_i"``, ...).
    maxiter : int
        Iterations of the two-stage FDR methods (``-1`` or None: until stable).
    is_sorted : bool
        ``pvals`` are already ascending; the results stay in that order.
    returnsorted : bool
        Return the results in ascending order of the p-values.

    Returns
    -------
    reject : ndarray of bool
        Whether each hypothesis is rejected at ``alpha``.
    pvals_corrected : ndarray
        Adjusted p-values (capped at 1).
    alphacSidak, alphacBonf : float
        Sidak ``1 - (1 - alpha)^(1/m)`` and Bonferroni ``alpha / m`` per-test levels
        (NaN for no tests).

    Raises
    ------
    InvalidOptionError
        For an unknown ``method`` (``"lfdr"`` is not provided).
    """
    name = _ALIASES.get(str(method).lower())
    if name is None:
        raise InvalidOptionError(
            f"method {method!r} is not recognized; use one of {sorted(set(_ALIASES.values()))} "
            "or their statsmodels aliases"
        )
    values = _pvalue_vector(pvals)
    order = np.arange(len(values)) if is_sorted else np.argsort(values)
    ordered = values[order]
    n = len(values)
    alpha_sidak = 1 - np.power(1.0 - alpha, 1.0 / n) if n else np.nan
    alpha_bonf = alpha / float(n) if n else np.nan
    reject, adjusted = _sorted_correction(ordered, alpha, name, maxiter)
    adjusted = np.minimum(adjusted, 1.0)
    if is_sorted or returnsorted:
        return reject, adjusted, alpha_sidak, alpha_bonf
    reject_out = np.empty_like(reject)
    reject_out[order] = reject
    adjusted_out = np.empty_like(adjusted)
    adjusted_out[order] = adjusted
    return reject_out, adjusted_out, alpha_sidak, alpha_bonf


def fdrcorrection(
    pvals: Any, alpha: float = 0.05, method: str = "indep", is_sorted: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini-Hochberg (``"indep"``) or Benjamini-Yekutieli (``"negcorr"``) FDR correction.

    Returns ``(reject, pvals_corrected)`` as statsmodels' ``fdrcorrection``; ``method``
    also accepts ``"i"``, ``"p"``, ``"poscorr"`` (BH) and ``"n"`` (BY).
    """
    if method not in ("i", "indep", "p", "poscorr", "n", "negcorr"):
        raise InvalidOptionError(
            f"method {method!r} is not recognized; use 'indep' (Benjamini-Hochberg) or "
            "'negcorr' (Benjamini-Yekutieli)"
        )
    values = _pvalue_vector(pvals)
    order = np.arange(len(values)) if is_sorted else np.argsort(values)
    ordered = values[order]
    n = len(ordered)
    ecdf = np.arange(1, n + 1) / float(n)
    if method in ("n", "negcorr"):
        ecdf = ecdf / np.sum(1.0 / np.arange(1, n + 1))
    reject = _up_to_last_true(ordered <= ecdf * alpha)
    adjusted = np.minimum.accumulate((ordered / ecdf)[::-1])[::-1]
    adjusted = np.minimum(adjusted, 1.0)
    if is_sorted:
        return reject, adjusted
    reject_out = np.empty_like(reject)
    reject_out[order] = reject
    adjusted_out = np.empty_like(adjusted)
    adjusted_out[order] = adjusted
    return reject_out, adjusted_out


def fdrcorrection_twostage(
    pvals: Any,
    alpha: float = 0.05,
    method: str = "bky",
    maxiter: int | None = 1,
    iter: int | None = None,  # noqa: A002 - statsmodels' positional slot
    is_sorted: bool = False,
) -> tuple[np.ndarray, np.ndarray, int, list[float]]:
    """Two-stage FDR correction estimating the number of true nulls (statsmodels).

    Parameters
    ----------
    pvals : array_like, shape (m,)
    alpha : float
    method : {"bky", "bh"}
        Benjamini, Krieger & Yekutieli (2006), or the Benjamini-Hochberg variant.
    maxiter : int or None
        Iterations of the estimate of the number of nulls; ``-1`` or None: until stable.
    iter : None
        statsmodels' retired spelling of ``maxiter``, kept in its position (so that
        positional calls work); anything but None raises ``TypeError``, as there.
    is_sorted : bool

    Returns
    -------
    reject : ndarray of bool
    pvals_corrected : ndarray
    m0 : int
        Estimated number of true null hypotheses.
    alpha_stages : list of float
        The level used at each stage.
    """
    if method not in ("bky", "bh"):
        raise InvalidOptionError(f"method {method!r} is not recognized; use 'bky' or 'bh'")
    if iter is not None:
        raise TypeError("iter keyword is not longer allowed, use maxiter keyword instead.")
    values = _pvalue_vector(pvals)
    n = len(values)
    iterations = n if maxiter in (-1, None) else int(maxiter)
    order = np.arange(n) if is_sorted else np.argsort(values)
    ordered = values[order]
    fact = 1.0 + alpha if method == "bky" else 1.0
    alpha_prime = alpha / fact
    stages = [alpha_prime]
    reject, adjusted = fdrcorrection(ordered, alpha_prime, "indep", is_sorted=True)
    rejected = int(reject.sum())
    if rejected in (0, n):
        adjusted = adjusted * fact
    else:
        previous = rejected
        nulls = float(n)
        for iteration in range(iterations):
            nulls = 1.0 * n - previous
            # every hypothesis rejected: no nulls left, every one rejected at any level
            alpha_star = alpha_prime * n / nulls if nulls > 0 else math.inf
            stages.append(alpha_star)
            reject, adjusted = fdrcorrection(ordered, alpha_star, "indep", is_sorted=True)
            rejected = int(reject.sum())
            if iteration >= iterations - 1 or rejected == previous:
                break
            previous = rejected
        adjusted = adjusted * (nulls / n)
        if method == "bky":
            adjusted = adjusted * (1.0 + alpha)
    adjusted = np.minimum(adjusted, 1.0)
    if is_sorted:
        return reject, adjusted, n - rejected, stages
    reject_out = np.empty_like(reject)
    reject_out[order] = reject
    adjusted_out = np.empty_like(adjusted)
    adjusted_out[order] = adjusted
    return reject_out, adjusted_out, n - rejected, stages
