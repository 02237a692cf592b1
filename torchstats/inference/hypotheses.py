"""Linear hypotheses ``R b = q``: t, F and Wald tests as free functions of (params, cov, R, q).

Constraints may be strings over parameter names (``"x1 = x2"``, ``"x1 + x2 = 1, x3 = 0"``,
``"C(g)[T.b] = 0"``), parsed by formulaic's ``LinearConstraints`` as in linearmodels, or
``(R, q)`` arrays. The numbers follow statsmodels' ``t_test``, ``f_test`` and ``wald_test``
(pseudo-inverse and rank for singular constraint covariances).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from formulaic.utils.constraints import LinearConstraints
from scipy import stats

from torchstats.errors import ConstraintError, TorchstatsWarning
from torchstats.inference.distributions import critical_value

__all__ = [
    "ContrastResults",
    "WaldTestResults",
    "parse_constraints",
    "t_test",
    "wald_test",
]


def parse_constraints(spec: Any, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(R, q)`` from a constraint string, a list of strings, ``(R, q)`` or ``R``.

    Raises
    ------
    ConstraintError
        Naming the unknown parameter (and the valid names), or describing the bad shape.
    """
    if not (isinstance(spec, (str, list)) and all(isinstance(s, str) for s in np.atleast_1d(spec))):
        if not isinstance(spec, tuple):
            spec = (spec, None)
        R = np.atleast_2d(np.asarray(spec[0], dtype=float))
        if R.shape[1] != len(names):
            raise ConstraintError(
                f"the constraint matrix has {R.shape[1]} columns but there are {len(names)} "
                "parameters"
            )
        q = np.zeros(R.shape[0]) if spec[1] is None else np.asarray(spec[1], dtype=float)
        spec = (R, q.reshape(-1))
    try:
        constraints = LinearConstraints.from_spec(spec, variable_names=names)
    except KeyError as error:
        shown = ", ".join(map(repr, names[:30]))
        raise ConstraintError(
            f"unknown parameter {error.args[0]!r} in the constraints; parameters are {shown}"
        ) from None
    except ValueError as error:
        raise ConstraintError(f"invalid constraints: {error}") from None
    R = np.asarray(constraints.constraint_matrix, dtype=float)
    q = np.asarray(constraints.constraint_values, dtype=float).reshape(-1)
    if R.shape[1] != len(names):
        raise ConstraintError(
            f"the constraint matrix has {R.shape[1]} columns but there are {len(names)} parameters"
        )
    return R, q


@dataclass(frozen=True)
class ContrastResults:
    """Result of a t, F or Wald test (statsmodels' ``ContrastResults``).

    Attributes
    ----------
    distribution : {"t", "norm", "F", "chi2"}
    statistic : ndarray or float
        t (or z) statistics, one per constraint; or the F / chi-squared statistic.
    pvalue : ndarray or float
    effect, sd : ndarray or None
        ``R b`` and its standard errors (t tests).
    df_num, df_denom : float or None
        Degrees of freedom (statsmodels' convention: a chi-squared test reports its
        degrees of freedom as ``df_denom``).
    """

    distribution: str
    statistic: Any
    pvalue: Any
    effect: np.ndarray | None = None
    sd: np.ndarray | None = None
    df_num: float | None = None
    df_denom: float | None = None
    q: np.ndarray | None = None

    @property
    def tvalue(self) -> Any:
        """The t (or z) statistics of a t test."""
        return self.statistic

    @property
    def fvalue(self) -> Any:
        """The F statistic of an F test."""
        return self.statistic

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """``(m, 2)`` confidence intervals for the effects of a t test."""
        if self.effect is None or self.sd is None:
            raise ValueError("confidence intervals exist for t tests only")
        df = self.df_denom if self.distribution == "t" else None
        half = critical_value(alpha, df) * self.sd
        return np.column_stack([self.effect - half, self.effect + half])

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """statsmodels' table of a t test: ``coef, std err, t, P>|t|, Conf. Int. Low/Upp.``."""
        ci = self.conf_int(alpha)
        t_name = "t" if self.distribution == "t" else "z"
        return pd.DataFrame(
            {
                "coef": self.effect,
                "std err": self.sd,
                t_name: self.statistic,
                f"P>|{t_name}|": self.pvalue,
                "Conf. Int. Low": ci[:, 0],
                "Conf. Int. Upp.": ci[:, 1],
            },
            index=[f"c{i}" for i in range(len(self.effect))],  # type: ignore[arg-type]
        )

    def summary(self, alpha: float = 0.05) -> Any:
        """The t test table as statsmodels prints it, or a one-line F/Wald summary."""
        if self.effect is None:
            return str(self)
        from types import SimpleNamespace

        from torchstats.summary.blocks import params_table
        from torchstats.summary.layouts import Summary

        contrasts = SimpleNamespace(
            params=self.effect,
            bse=self.sd,
            tvalues=self.statistic,
            pvalues=self.pvalue,
            conf_int=self.conf_int,
        )
        names = [f"c{i}" for i in range(len(self.effect))]
        table = params_table(contrasts, xname=names, alpha=alpha, use_t=self.distribution == "t")
        return Summary([replace(table, title="Test for Constraints")])

    def __str__(self) -> str:
        if self.effect is not None:
            return str(self.summary())
        if self.distribution == "F":
            return (
                f"<F test: F={self.statistic!r}, p={self.pvalue!r}, "
                f"df_denom={self.df_denom:.3g}, df_num={self.df_num:.3g}>"
            )
        return (
            f"<Wald test (chi2): statistic={self.statistic!r}, p-value={self.pvalue!r}, "
            f"df_denom={self.df_denom:.3g}>"
        )

    __repr__ = __str__


def t_test(
    params: np.ndarray, cov: np.ndarray, R: np.ndarray, q: np.ndarray, *, df: float | None
) -> ContrastResults:
    """One t (or z, with ``df=None``) test per row of ``R b = q``."""
    effect = R @ params
    sd = np.sqrt(np.diag(R @ cov @ R.T))
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = (effect - q) / sd
    tail = stats.norm.sf(np.abs(statistic)) if df is None else stats.t.sf(np.abs(statistic), df)
    return ContrastResults(
        distribution="norm" if df is None else "t",
        statistic=statistic,
        pvalue=2 * tail,
        effect=effect,
        sd=sd,
        df_denom=df,
        q=q,
    )


def wald_test(
    params: np.ndarray,
    cov: np.ndarray,
    R: np.ndarray,
    q: np.ndarray,
    *,
    use_f: bool,
    df_denom: float,
    df_constraints: float | None = None,
) -> ContrastResults:
    """The joint test of ``R b = q``: ``F = W / J`` on ``F(J, df_denom)``, or ``W`` on chi2(J).

    ``W = (Rb - q)' (R V R')^+ (Rb - q)``; when ``R V R'`` is singular (e.g. a cluster
    covariance with few clusters), its pseudo-inverse is used and ``J`` is its rank, as in
    statsmodels (with a warning).
    """
    diff = R @ params - q
    constraint_cov = R @ cov @ R.T
    if np.isnan(constraint_cov).any():
        raise ConstraintError("the covariance of the constraints has NaN entries")
    J = float(R.shape[0])
    rank = np.linalg.matrix_rank(constraint_cov)
    if rank < J:
        warnings.warn(
            f"covariance of constraints does not have full rank. The number of constraints is "
            f"{int(J)}, but rank is {rank}",
            TorchstatsWarning,
            stacklevel=3,
        )
        J = float(rank)
    if df_constraints is not None:
        J = float(df_constraints)
    wald = float(diff @ np.linalg.pinv(constraint_cov) @ diff)
    if use_f:
        statistic = wald / J
        pvalue = (
            float(stats.f.sf(statistic, J, df_denom)) if not math.isnan(statistic) else math.nan
        )
        return ContrastResults("F", statistic, pvalue, df_num=J, df_denom=df_denom, q=q)
    return ContrastResults("chi2", wald, float(stats.chi2.sf(wald, J)), df_denom=J, q=q)


@dataclass(frozen=True)
class WaldTestResults:
    """Joint tests of the terms of a model (statsmodels' ``wald_test_terms``).

    Attributes
    ----------
    table : DataFrame
        ``statistic, pvalue, df_constraint`` (and ``df_denom`` for F tests), one row per
        term.
    distribution : {"F", "chi2"}
    """

    table: pd.DataFrame
    distribution: str

    def summary_frame(self) -> pd.DataFrame:
        """The table with statsmodels' printed column names."""
        if self.distribution == "F":
            names = {"statistic": "F", "pvalue": "P>F", "df_constraint": "df constraint"}
            names["df_denom"] = "df denom"
        else:
            names = {"statistic": "chi2", "pvalue": "P>chi2", "df_constraint": "df constraint"}
        return self.table.rename(columns=names)

    def __str__(self) -> str:
        return str(self.summary_frame())

    __repr__ = __str__
