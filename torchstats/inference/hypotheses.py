"""Linear hypotheses ``R b = q``: t, F and Wald tests as free functions of (params, cov, R, q).

Constraints may be strings over parameter names (``"x1 = x2"``, ``"x1 + x2 = 1, x3 = 0"``,
``"C(g)[T.b] = 0"``, ``"x2 = x3 = 0"``), read with patsy's grammar as statsmodels reads
them (:mod:`torchstats.inference.constraints`), dicts ``{name: value}``, or ``(R, q)``
arrays. The numbers follow statsmodels' ``t_test``, ``f_test`` and ``wald_test``
(pseudo-inverse and rank for singular constraint covariances).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from torchstats.errors import CollinearityWarning, ConstraintError, TorchstatsWarning
from torchstats.inference.constraints import linear_constraint
from torchstats.inference.distributions import critical_value
from torchstats.tables.blocks import params_table
from torchstats.tables.document import Summary

__all__ = [
    "ContrastResults",
    "WaldTestResults",
    "parse_constraints",
    "t_test",
    "wald_test",
]


def parse_constraints(spec: object, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(R, q)`` from a constraint string, a list of strings, a dict, ``(R, q)`` or ``R``.

    The grammar is patsy's, as statsmodels uses it (:mod:`torchstats.inference.constraints`).

    Raises
    ------
    ConstraintError
        Naming the unknown parameter (and the valid names), or describing the bad shape.
    """
    return linear_constraint(spec, names)


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

    def __post_init__(self) -> None:
        # numpy scalars, as statsmodels' (``f_test(...).pvalue.round(3)``)
        for name in ("statistic", "pvalue"):
            if type(getattr(self, name)) is float:
                object.__setattr__(self, name, np.float64(getattr(self, name)))

    @property
    def tvalue(self) -> Any:
        """The t (or z) statistics of a t test."""
        return self.statistic

    @property
    def fvalue(self) -> Any:
        """The F statistic of an F test."""
        return self.statistic

    @property
    def dist(self) -> Any:
        """The scipy distribution of the statistic (statsmodels' ``dist``)."""
        return {"t": stats.t, "norm": stats.norm, "F": stats.f, "chi2": stats.chi2}[
            self.distribution
        ]

    @property
    def dist_args(self) -> tuple[float, ...]:
        """The arguments statsmodels gives :attr:`dist`: ``(df_num, df_denom)`` for F,
        ``(df_denom,)`` for t, none for the normal and chi-squared."""
        if self.distribution == "F":
            return (float(self.df_num or 0.0), float(self.df_denom or 0.0))
        if self.distribution == "t" and self.df_denom is not None:
            return (float(self.df_denom),)
        return ()

    @property
    def c_names(self) -> list[str] | None:
        """Names of the contrasts of a t test, ``c0``, ``c1``, ... (statsmodels'
        ``c_names``); None for a joint test."""
        if self.effect is None:
            return None
        return [f"c{i}" for i in range(np.size(self.effect))]

    @property
    def df(self) -> float | None:
        """The number of restrictions ``J`` of a joint test (``df_num`` of F, ``df_denom``
        of chi-squared in statsmodels' convention): the ``df`` of the likelihood-ratio and
        score tests' :class:`~torchstats.inference.compare.TestResult`. A torchstats
        addition."""
        if self.distribution == "F":
            return self.df_num
        if self.distribution == "chi2":
            return self.df_denom
        return None

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """``(m, 2)`` confidence intervals for the effects of a t test."""
        if self.effect is None or self.sd is None:
            raise ValueError("confidence intervals exist for t tests only")
        df = self.df_denom if self.distribution == "t" else None
        half = critical_value(alpha, df) * self.sd
        return np.column_stack([self.effect - half, self.effect + half])

    def summary_frame(self, xname: list[str] | None = None, alpha: float = 0.05) -> pd.DataFrame:
        """statsmodels' table of a t test: ``coef, std err, t, P>|t|, Conf. Int. Low/Upp.``.

        Parameters
        ----------
        xname : list of str, optional
            Row labels (default ``c0, c1, ...``).
        alpha : float
            ``1 - alpha`` confidence intervals.
        """
        ci = self.conf_int(alpha)
        assert self.effect is not None and self.sd is not None  # conf_int raised otherwise
        t_name = "t" if self.distribution == "t" else "z"
        return pd.DataFrame(
            {
                "coef": np.ravel(self.effect),
                "std err": np.ravel(self.sd),
                t_name: np.ravel(self.statistic),
                f"P>|{t_name}|": np.ravel(self.pvalue),
                "Conf. Int. Low": ci[:, 0],
                "Conf. Int. Upp.": ci[:, 1],
            },
            index=xname or [f"c{i}" for i in range(len(self.effect))],
        )

    def summary(
        self, xname: list[str] | None = None, alpha: float = 0.05, title: str | None = None
    ) -> Any:
        """The t test table as statsmodels prints it, or a one-line F/Wald summary.

        Parameters
        ----------
        xname : list of str, optional
            Row labels (default ``c0, c1, ...``).
        alpha : float
            ``1 - alpha`` confidence intervals.
        title : str, optional
            Default ``"Test for Constraints"``.
        """
        if self.effect is None or self.sd is None:
            return str(self)
        contrasts = SimpleNamespace(
            params=np.ravel(self.effect),
            bse=np.ravel(self.sd),
            tvalues=np.ravel(self.statistic),
            pvalues=np.ravel(self.pvalue),
            conf_int=self.conf_int,
        )
        names = xname or [f"c{i}" for i in range(len(self.effect))]
        table = params_table(contrasts, xname=names, alpha=alpha, use_t=self.distribution == "t")
        return Summary([replace(table, title="Test for Constraints" if title is None else title)])

    def __str__(self) -> str:
        if self.effect is not None:
            return str(self.summary())
        statistic, pvalue = _shown(self.statistic), _shown(self.pvalue)
        if self.distribution == "F":
            return (
                f"<F test: F={statistic}, p={pvalue}, "
                f"df_denom={self.df_denom:.3g}, df_num={self.df_num:.3g}>"
            )
        return (
            f"<Wald test (chi2): statistic={statistic}, p-value={pvalue}, "
            f"df_denom={self.df_denom:.3g}>"
        )

    def __repr__(self) -> str:
        return f"{self.__class__}\n{self}"  # statsmodels' repr: the class, then str


def _shown(value: Any) -> str:
    """A statistic as statsmodels prints it: a scalar as a plain float, an array as is."""
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return repr(value)


def t_test(
    params: np.ndarray,
    cov: np.ndarray,
    R: np.ndarray,
    q: np.ndarray,
    *,
    df: float | None,
    statsmodels_shapes: bool = True,
    rank_deficient: bool = False,
) -> ContrastResults:
    """One t (or z, with ``df=None``) test per row of ``R b = q``.

    With ``statsmodels_shapes`` (the results' ``t_test``), a single constraint gives arrays
    shaped as statsmodels' ``ContrastResults`` shapes them: ``effect`` (1,), ``sd`` and
    ``tvalue`` (1, 1), ``pvalue`` a 0-d array; several constraints give ``(m,)`` arrays.
    Otherwise every array is ``(m,)``. In a ``rank_deficient`` fit, rows without variance
    (:func:`unidentified_rows`) get NaN statistics and p-values, with a warning.
    """
    balanced, balanced_q, scales = _balanced_rows(R, q)
    balanced_effect = balanced @ params
    balanced_sd = np.sqrt(np.maximum(np.diag(balanced @ cov @ balanced.T), 0.0))
    effect, sd = scales * balanced_effect, scales * balanced_sd
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = (balanced_effect - balanced_q) / balanced_sd
    if rank_deficient:
        unidentified = unidentified_rows(balanced, cov)
        if unidentified.any():
            _warn_unidentified(unidentified)
            statistic = np.where(unidentified, np.nan, statistic)
    tail = stats.norm.sf(np.abs(statistic)) if df is None else stats.t.sf(np.abs(statistic), df)
    pvalue = 2 * tail
    if statsmodels_shapes and effect.shape[0] == 1:
        # statsmodels' t_test: sqrt(R V R') of one row stays (1, 1); pvalue is squeezed
        sd, statistic, pvalue = sd.reshape(1, 1), statistic.reshape(1, 1), np.asarray(pvalue[0])
    return ContrastResults(
        distribution="norm" if df is None else "t",
        statistic=statistic,
        pvalue=pvalue,
        effect=effect,
        sd=sd,
        df_denom=df,
        q=q,
    )


# In a rank-deficient fit, a constraint row whose standard error is below this fraction of
# the one it would have with uncorrelated estimates (sqrt(sum_j R_ij^2 V_jj)) lies in the
# covariance's null space: its variance is rounding (exactly 0, or ~1e-16 relative), and
# its t statistic was +-inf (p = 0) or a ratio of rounding errors. Identified combinations
# of strongly correlated estimates stay far above it (correlation 1 - 1e-12: 1.4e-6).
_UNIDENTIFIED_SD = 1e-7


def unidentified_rows(R: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Rows of ``R`` whose ``R V R'`` is rounding (see :data:`_UNIDENTIFIED_SD`), or exactly
    zero (parameters that a constrained fit fixed)."""
    variance = np.einsum("ij,jk,ik->i", R, cov, R)
    uncorrelated = (R * R) @ np.abs(np.diag(cov))
    return (R != 0).any(axis=1) & (variance <= _UNIDENTIFIED_SD**2 * uncorrelated)


def _warn_unidentified(rows: np.ndarray) -> None:
    listed = ", ".join(str(i) for i in np.flatnonzero(rows))
    warnings.warn(
        f"constraint row(s) {listed} have no variance in this fit: they combine parameters "
        "that a rank-deficient design does not identify, or that fit_constrained's "
        "constraints fix; their t statistics and p-values are NaN",
        CollinearityWarning,
        stacklevel=3,
    )


# Rows of R whose largest entry lies beyond 2^±256 (constraints on parameters held in
# scaled units, see CovarianceResult.units) are scaled to one: R V R' could leave float64.
_BALANCE_EXPONENT = 256


def _balanced_rows(R: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``R b = q`` with extreme rows divided by a power of two near their largest entry (an
    exact, equivalent system), and the divisors (1 for the other rows)."""
    peak = np.abs(R).max(axis=1) if R.size else np.zeros(R.shape[0])
    extreme = (peak > 0) & ((peak > 2.0**_BALANCE_EXPONENT) | (peak < 2.0**-_BALANCE_EXPONENT))
    exponents = np.floor(np.log2(np.where(extreme, peak, 1.0)))
    scales = np.where(extreme, np.exp2(exponents), 1.0)
    return R / scales[:, None], q / scales, scales


def wald_test(
    params: np.ndarray,
    cov: np.ndarray,
    R: np.ndarray,
    q: np.ndarray,
    *,
    use_f: bool,
    df_denom: float,
    df_constraints: float | None = None,
    invcov: np.ndarray | None = None,
    scalar: bool = True,
    rank_deficient: bool = False,
) -> ContrastResults:
    """The joint test of ``R b = q``: ``F = W / J`` on ``F(J, df_denom)``, or ``W`` on chi2(J).

    ``W = (Rb - q)' (R V R')^+ (Rb - q)``; when ``R V R'`` is singular (e.g. a cluster
    covariance with few clusters), its pseudo-inverse is used and ``J`` is its rank, as in
    statsmodels (with a warning). An ``invcov`` of shape ``(m, m)`` replaces
    ``(R V R')^+`` (and ``J`` is then the number of rows of ``R``), as statsmodels'
    ``wald_test(invcov=)``. With ``scalar=False`` the statistic is a ``(1, 1)`` array and the
    p-value a 0-d array, as statsmodels returns them. In a ``rank_deficient`` fit a row
    without variance (:func:`unidentified_rows`) raises :class:`ConstraintError`.
    """
    J = float(R.shape[0])
    if invcov is None:
        R, q_balanced, _ = _balanced_rows(R, q)  # the statistic does not change
        diff = R @ params - q_balanced
        constraint_cov = R @ cov @ R.T
        if np.isnan(constraint_cov).any():
            raise ConstraintError("the covariance of the constraints has NaN entries")
        unidentified = unidentified_rows(R, cov) if rank_deficient else np.zeros(0, bool)
        if unidentified.any():
            rows = ", ".join(str(i) for i in np.flatnonzero(unidentified))
            raise ConstraintError(
                f"constraint row(s) {rows} have no variance in this fit: they combine "
                "parameters that a rank-deficient design does not identify (R b is whatever "
                "the minimum-norm solution made it) or that fit_constrained's constraints "
                "fix; test identified or free combinations, or drop the collinear columns"
            )
        rank = np.linalg.matrix_rank(constraint_cov)
        if rank == 0:
            raise ConstraintError("the constraints have no variance (R V R' = 0): nothing to test")
        if rank < J:
            warnings.warn(
                f"covariance of constraints does not have full rank. The number of constraints "
                f"is {int(J)}, but rank is {rank}",
                TorchstatsWarning,
                stacklevel=3,
            )
            J = float(rank)
        invcov = np.linalg.pinv(constraint_cov)
    else:
        diff = R @ params - q
        invcov = np.asarray(invcov, dtype=float)
        if invcov.shape != (R.shape[0], R.shape[0]):
            raise ConstraintError(
                f"invcov has shape {invcov.shape} but there are {R.shape[0]} constraints; "
                f"pass the ({R.shape[0]}, {R.shape[0]}) inverse covariance of R b"
            )
    if df_constraints is not None:
        J = float(df_constraints)
    wald = float(diff @ invcov @ diff)
    statistic = wald / J if use_f else wald
    if math.isnan(statistic):
        pvalue = math.nan
    elif use_f:
        pvalue = float(stats.f.sf(statistic, J, df_denom))
    else:
        pvalue = float(stats.chi2.sf(statistic, J))
    value: float | np.ndarray = statistic
    if not scalar:  # statsmodels' scalar=False: the (1, 1) quadratic form, a 0-d p-value
        value, pvalue = np.full((1, 1), statistic), np.asarray(pvalue)  # type: ignore[assignment]
    if use_f:
        return ContrastResults("F", value, pvalue, df_num=J, df_denom=df_denom, q=q)
    return ContrastResults("chi2", value, pvalue, df_denom=J, q=q)


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
