"""Analysis of deviance tables for GLMs: R's ``anova(glm)`` and ``anova(glm1, glm2, ...)``.

One fit: the sequential table, each formula term added in turn to the constant-only (or
empty) model, the smaller models refitted by IRLS with the fit's offset, exposure and
weights. Several nested fits: their residual deviances and differences. statsmodels has no
such table; the columns, the dispersion and the tests are R's (``stats:::anova.glm``,
``anova.glmlist`` and ``stat.anova``).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from torchstats.errors import ConvergenceWarning, InvalidOptionError, warn
from torchstats.families import families
from torchstats.solvers.irls import fit_irls

__all__ = ["anova_glm", "refit_deviance"]

_TESTS = ("Chisq", "LRT", "F")

#: IRLS tolerance of the refitted submodels: tighter than statsmodels' 1e-8 so that their
#: deviances (and profile limits) are converged to rounding (IRLS converges quadratically)
REFIT_TOL = 1e-12


def refit_deviance(
    model: Any,
    exog: torch.Tensor,
    extra_offset: torch.Tensor | None = None,
    start_params: torch.Tensor | None = None,
) -> float:
    """Deviance of ``model`` refitted on the columns ``exog`` (``(n, m)``, ``m`` may be 0),
    with ``extra_offset`` added to the model's offset and exposure.

    Raises a :class:`~torchstats.errors.ConvergenceWarning` when the refit does not converge.
    """
    problem = model.irls_problem(None, exog=exog)
    if extra_offset is not None:
        offset = extra_offset if problem.offset is None else problem.offset + extra_offset
        problem = dataclasses.replace(problem, offset=offset)
    if exog.shape[1] == 0:
        eta = problem.offset if problem.offset is not None else torch.zeros_like(problem.endog)
        return float(model.deviance_mu(model.family.link.inverse(eta)))
    with torch.no_grad():
        fits = [fit_irls(problem, tol=REFIT_TOL)]
        if start_params is not None:
            # IRLS from the full fit's coefficients saves iterations but can wander off
            # once the pinned coefficient is far from its estimate (a profile's tail):
            # binomial refits "converged" 87 deviance units above the minimum and moved
            # a profile limit by 0.1%-5%. The smaller deviance of the two starts is the
            # submodel's (its minimum is unique)
            fits.append(fit_irls(problem, start_params=start_params, tol=REFIT_TOL))
    converged = [f for f in fits if f.solution.converged]
    if not converged:
        warn(
            "GLM: a refitted submodel did not converge; its deviance is unreliable",
            ConvergenceWarning,
        )
        converged = fits
    deviances = [float(model.deviance_mu(f.mu)) for f in converged]
    finite = [d for d in deviances if math.isfinite(d)]
    return min(finite) if finite else deviances[0]


def _sequential(results: Any) -> pd.DataFrame:
    design = results.model.design
    if design.model_spec is None:
        raise InvalidOptionError(
            "anova_glm with one model needs a formula fit (it adds the formula's terms in "
            "turn); for array fits pass the nested fits: anova_glm(small, large)"
        )
    X = design.exog
    names, resid_df, resid_dev = ["NULL"], [], []
    columns: list[int] = []
    terms = []
    for term, term_columns in design.model_spec.term_indices.items():
        factors = [str(f) for f in term.factors if str(f) != "1"]
        if not factors:  # the intercept starts the NULL model
            columns.extend(term_columns)
        else:
            terms.append((str(term), list(term_columns)))
    df_full = float(results.df_resid) + X.shape[1]  # sum(freq_weights), R's n.ok
    resid_df.append(df_full - len(columns))
    resid_dev.append(refit_deviance(results.model, X[:, columns]))
    for index, (name, term_columns) in enumerate(terms):
        columns = columns + term_columns
        names.append(name)
        resid_df.append(df_full - len(columns))
        last = index == len(terms) - 1
        resid_dev.append(results.deviance if last else refit_deviance(results.model, X[:, columns]))
    resid_df_arr, resid_dev_arr = np.array(resid_df), np.array(resid_dev)
    table = pd.DataFrame(
        {
            "Df": np.r_[np.nan, -np.diff(resid_df_arr)],
            "Deviance": np.r_[np.nan, np.maximum(0, -np.diff(resid_dev_arr))],
            "Resid. Df": resid_df_arr,
            "Resid. Dev": resid_dev_arr,
        },
        index=names,
    )
    return table


def _nested(fits: tuple[Any, ...]) -> pd.DataFrame:
    resid_df = np.array([float(fit.df_resid) for fit in fits])
    resid_dev = np.array([float(fit.deviance) for fit in fits])
    return pd.DataFrame(
        {
            "Resid. Df": resid_df,
            "Resid. Dev": resid_dev,
            "Df": np.r_[np.nan, -np.diff(resid_df)],
            "Deviance": np.r_[np.nan, -np.diff(resid_dev)],
        },
        index=range(1, len(fits) + 1),
    )


def _add_test(
    table: pd.DataFrame, test: str, dispersion: float, df_dispersion: float
) -> pd.DataFrame:
    """R's ``stat.anova``: chi-squared or F tests of the deviance differences."""
    df = table["Df"].to_numpy()
    deviance = table["Deviance"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        if test in ("Chisq", "LRT"):
            values = deviance / dispersion * np.sign(df)
            values[(df == 0) | (values < 0)] = np.nan
            table["Pr(>Chi)"] = stats.chi2.sf(values, np.abs(df))
            return table
        f_value = deviance / df / dispersion
        f_value[(df == 0) | (f_value < 0)] = np.nan
        table["F"] = f_value
        if np.isinf(df_dispersion):  # F(d, inf) is chi2(d) / d; scipy gives NaN there
            table["Pr(>F)"] = stats.chi2.sf(f_value * np.abs(df), np.abs(df))
        else:
            table["Pr(>F)"] = stats.f.sf(f_value, np.abs(df), df_dispersion)
    return table


def anova_glm(
    *results: Any, test: str | None = None, dispersion: float | None = None
) -> pd.DataFrame:
    """Analysis of deviance of one GLM fit (sequential terms) or of several nested fits.

    Parameters
    ----------
    *results : GLMResults
        One formula fit, or nested fits (same response and data) in the order to compare.
    test : {None, "Chisq", "LRT", "F"}
        R's ``test``: none, chi-squared on ``Deviance / dispersion`` (``"LRT"`` is the same)
        or ``F = Deviance / Df / dispersion`` on ``(Df, df_dispersion)``.
    dispersion : float, optional
        Default: the (largest) fit's ``scale`` (1 for binomial and Poisson, Pearson's
        chi-squared over ``df_resid`` for the others), as R's ``summary(glm)$dispersion``.

    Returns
    -------
    DataFrame
        One fit: ``Df, Deviance, Resid. Df, Resid. Dev`` indexed by ``NULL`` and the
        formula's terms; several: ``Resid. Df, Resid. Dev, Df, Deviance`` indexed ``1..m``.
        With a test, ``Pr(>Chi)`` or ``F, Pr(>F)`` follow.

    Warns
    -----
    UserWarning
        An F test with a fixed dispersion (binomial, Poisson or a given ``dispersion``),
        as R warns.

    Notes
    -----
    The dispersion's degrees of freedom are the fit's ``df_resid`` when it is estimated and
    infinite when it is 1 (or, for one fit, given), as in R. Refitted submodels take
    statsmodels' IRLS tolerance; their deviances agree with R's to about 1e-10.
    """
    if test is not None and test not in _TESTS:
        raise InvalidOptionError(f"unknown test {test!r}; choose None, 'Chisq', 'LRT' or 'F'")
    if not results:
        raise InvalidOptionError("anova_glm needs at least one fitted GLM")
    for fit in results:
        if not hasattr(fit, "deviance") or not hasattr(fit, "family"):
            raise InvalidOptionError(
                f"anova_glm needs GLM results, not {type(fit).__name__}; for least squares "
                "use anova_lm"
            )
    if len(results) == 1:
        table = _sequential(results[0])
        biggest = results[0]
    else:
        nobs = {int(fit.nobs) for fit in results}
        if len(nobs) > 1:
            raise InvalidOptionError(
                f"the models were fitted to different numbers of rows {sorted(nobs)}; "
                "compare fits of the same data"
            )
        table = _nested(results)
        biggest = min(results, key=lambda fit: float(fit.df_resid))
    if test is None:
        return table
    given = dispersion is not None
    scale = float(biggest.scale) if dispersion is None else float(dispersion)
    fixed = scale == 1.0 or (given and len(results) == 1)
    df_dispersion = np.inf if fixed else float(biggest.df_resid)
    if test == "F" and fixed:
        family = type(biggest.family).__name__
        message = (
            f"using F test with a '{family.lower()}' family is inappropriate"
            if isinstance(biggest.family, (families.Binomial, families.Poisson))
            else "using F test with a fixed dispersion is inappropriate"
        )
        warnings.warn(message, UserWarning, stacklevel=2)
    return _add_test(table, test, scale, df_dispersion)
