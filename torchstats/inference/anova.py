"""Analysis of variance tables for least-squares fits (statsmodels' ``anova_lm``).

Type I: sequential sums of squares, from the Cholesky factor of the equilibrated ``X'WX``
(the effects ``L^{-1} X'Wy`` are ``Q'y`` of the QR factorisation, without forming ``Q``).
Types II and III: F tests of each term's columns (type II with the terms that contain it
projected out), as statsmodels computes them. Several nested models: the sequential
comparison table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import linalg, stats

from torchstats.errors import InvalidOptionError
from torchstats.solvers.scaling import column_scale, gram_in_range
from torchstats.structured.block_matrix import gram

__all__ = ["anova_lm"]


def anova_lm(
    *results: Any,
    typ: int | str = 1,
    robust: str | None = None,
    test: str = "F",
    scale: float | None = None,
) -> pd.DataFrame:
    """ANOVA table of one OLS/WLS fit, or comparison table of nested fits.

    Parameters
    ----------
    *results : RegressionResults
        One formula fit, or several nested fits in order of increasing size.
    typ : {1, 2, 3, "I", "II", "III"}
        Sums of squares type (one fit only for 2 and 3).
    robust : {None, "hc0", "hc1", "hc2", "hc3"}
        Covariance for the type II/III F tests.
    test : {"F"}
        The test reported.
    scale : float, optional
        Error variance for comparing several fits (default: the last fit's).

    Returns
    -------
    DataFrame
        statsmodels' columns: ``df, sum_sq, mean_sq, F, PR(>F)`` (type I),
        ``sum_sq, df, F, PR(>F)`` (types II, III), ``df_resid, ssr, df_diff, ss_diff, F,
        Pr(>F)`` (several fits).
    """
    if test != "F":
        raise InvalidOptionError(f"unknown test {test!r}; anova_lm supports 'F'")
    if not results:
        raise InvalidOptionError("anova_lm needs at least one fitted model")
    typ = {"I": 1, "II": 2, "III": 3}.get(typ, typ) if isinstance(typ, str) else typ
    if len(results) > 1:
        if typ != 1:
            raise InvalidOptionError(f"several models can only be compared with typ=1, not {typ}")
        return _compare(results, scale)
    fit = results[0]
    if fit.model.design.model_spec is None:
        raise InvalidOptionError("anova_lm needs a model built from a formula (it tests terms)")
    if typ == 1:
        return _type1(fit)
    if typ in (2, 3):
        return _type23(fit, typ, robust)
    raise InvalidOptionError(f"unknown ANOVA type {typ!r}; choose 1, 2 or 3")


def _terms(fit: Any) -> list[tuple[str, list[int], frozenset[str]]]:
    """(name, columns, factors) of each formula term, in column order."""
    spec = fit.model.design.model_spec
    out = []
    for term, columns in spec.term_indices.items():
        if not columns:
            continue
        factors = frozenset(str(f) for f in term.factors if str(f) != "1")
        out.append(("Intercept" if not factors else str(term), list(columns), factors))
    return out


def _type1(fit: Any) -> pd.DataFrame:
    X, y = fit.model.whitened_exog, fit.model.whitened_endog
    product = gram(X)
    if isinstance(X, torch.Tensor) and not gram_in_range(product):
        # equilibrated (exact powers of two; Q, hence the effects, unchanged), a copy made
        # only here: X'X of a column in units of 1e160 overflows, of 1e-160 loses digits to
        # subnormals
        X = X / column_scale(X)
        product = gram(X)
    factor = torch.linalg.cholesky(product)
    effects = torch.linalg.solve_triangular(factor, (X.T @ y)[:, None], upper=False)[:, 0]
    effects = effects.detach().cpu().double().numpy()
    rows = [
        (name, len(cols), float(np.sum(effects[cols] ** 2))) for name, cols, f in _terms(fit) if f
    ]
    table = pd.DataFrame(rows, columns=["term", "df", "sum_sq"]).set_index("term")
    table.loc["Residual"] = [fit.df_resid, fit.ssr]
    table.index.name = None
    table["df"] = table["df"].astype(float)
    table["mean_sq"] = table["sum_sq"] / table["df"]
    table["F"] = table["mean_sq"] / (fit.ssr / fit.df_resid)
    table["PR(>F)"] = stats.f.sf(table["F"], table["df"], fit.df_resid)
    table.loc["Residual", ["F", "PR(>F)"]] = np.nan
    return table[["df", "sum_sq", "mean_sq", "F", "PR(>F)"]]


def _type23(fit: Any, typ: int, robust: str | None) -> pd.DataFrame:
    tested = fit if robust is None else fit.get_robustcov_results(robust.upper())
    covariance = tested.covariance
    # Contrasts are built in the covariance's units where it has them (parameters of
    # columns in units of 1e160 have covariances beyond float64): f_test works in them too.
    units = None
    if covariance.units is not None and covariance.unit_cov is not None:
        units = covariance.units.detach().cpu().double().numpy()
        cov = covariance.unit_cov.detach().cpu().double().numpy()
    else:
        cov = covariance.cov.detach().cpu().double().numpy()
    k = fit.fit_result.params.shape[0]
    identity = np.eye(k)
    terms = _terms(fit)
    rows = []
    for name, cols, factors in terms:
        if typ == 2 and not factors:
            continue
        L = identity[cols]
        if typ == 2:
            L = _type2_contrast(terms, cols, factors, identity, cov)
        test = tested.f_test(L if units is None else L / units)
        rows.append((name, float(L.shape[0]), float(test.statistic), float(test.pvalue)))
    table = pd.DataFrame(rows, columns=["term", "df", "F", "PR(>F)"]).set_index("term")
    table.index.name = None
    table["sum_sq"] = table["F"] * table["df"] * fit.ssr / fit.df_resid
    table.loc["Residual"] = [fit.df_resid, np.nan, np.nan, fit.ssr]
    return table[["sum_sq", "df", "F", "PR(>F)"]]


def _type2_contrast(
    terms: list, cols: list[int], factors: frozenset[str], identity: np.ndarray, cov: np.ndarray
) -> np.ndarray:
    """statsmodels' type II contrast: the term's columns, with those of the terms that
    contain it projected out through the covariance (``anova2_lm_single``)."""
    containing = [c for _, other_cols, other in terms if factors < other for c in other_cols]
    if not containing:
        return identity[cols]
    L1 = identity[cols + containing]
    L2 = identity[containing]
    orthogonal, _ = linalg.qr(L1 @ cov @ L2.T)
    r = L1.shape[0] - L2.shape[0]
    return orthogonal[:, -r:].T @ L1


def _compare(results: tuple[Any, ...], scale: float | None) -> pd.DataFrame:
    table = pd.DataFrame(
        {"df_resid": [r.df_resid for r in results], "ssr": [r.ssr for r in results]}
    )
    table["df_diff"] = (-table["df_resid"].diff()).fillna(0.0)  # statsmodels' first row: 0
    if (table["df_diff"].dropna() < 0).any():
        raise InvalidOptionError(
            "Models must be passed in order of increasing complexity (decreasing residual "
            "degrees of freedom). Ensure the most restricted model is passed first."
        )
    table["ss_diff"] = -table["ssr"].diff()
    scale = results[-1].scale if not scale else scale
    table["F"] = table["ss_diff"] / table["df_diff"] / scale
    table["Pr(>F)"] = stats.f.sf(table["F"], table["df_diff"], table["df_resid"])
    table.loc[table["F"].isna(), "Pr(>F)"] = np.nan
    return table
