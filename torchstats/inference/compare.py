"""The likelihood trinity for nested models: likelihood-ratio and score (LM) tests.

With the Wald test (:mod:`torchstats.inference.wald`) these are the three classical tests of
restrictions on a likelihood model; they agree asymptotically and differ in what must be
fitted: LR both models, score only the restricted one, Wald only the full one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.errors import InvalidOptionError
from torchstats.inference.distributions import chi2_pvalue, f_pvalue

__all__ = ["TestResult", "lr_test", "regression_lm_test", "score_test"]


class TestResult(tuple[float, float, float]):
    """A test statistic with its reference distribution; unpacks as ``(statistic, pvalue, df)``.

    ``stat, p, df = res.compare_lr_test(restricted)`` works as with statsmodels' tuples
    (and its ``CompareLRTestResult``), and so does indexing; the fields are also attributes.

    Attributes
    ----------
    statistic : float
        Chi-squared statistic, or F statistic when ``df_denom`` is set.
    pvalue : float
    df : float
        Degrees of freedom (of the numerator, for F): the number of restrictions. Also
        ``df_diff`` (statsmodels' name in ``compare_*_test``) and ``df_num``.
    kind : str
        ``"likelihood-ratio"``, ``"score (LM)"``, ``"Wald"``, ``"F"``.
    df_denom : float or None
        Denominator degrees of freedom of an F test; None for chi-squared.
    """

    __test__ = False  # not a pytest test class, despite the name

    kind: str
    df_denom: float | None

    def __new__(
        cls, statistic: float, pvalue: float, df: float, kind: str, df_denom: float | None = None
    ) -> TestResult:
        self = super().__new__(cls, (statistic, pvalue, df))
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "df_denom", df_denom)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"test results are immutable (cannot set {name!r})")

    def __getnewargs__(self) -> tuple[float, float, float, str, float | None]:
        return (self[0], self[1], self[2], self.kind, self.df_denom)

    @property
    def statistic(self) -> float:
        """The test statistic."""
        return self[0]

    @property
    def pvalue(self) -> float:
        """Its p-value."""
        return self[1]

    @property
    def df(self) -> float:
        """Degrees of freedom (of the numerator, for F)."""
        return self[2]

    @property
    def df_diff(self) -> float:
        """``df``, as statsmodels' ``compare_lr_test`` names it."""
        return self[2]

    @property
    def distribution(self) -> str:
        """``"chi2"`` or ``"F"``."""
        return "chi2" if self.df_denom is None else "F"

    @property
    def df_num(self) -> float:
        """Numerator degrees of freedom (``df``), as statsmodels names it for F tests."""
        return self[2]

    def summary(self) -> str:
        """One line, e.g. ``Wald test (chi2): statistic=4.21, p-value=0.0402, df=1``."""
        dof = f"df={self.df:g}" + (f", df_denom={self.df_denom:g}" if self.df_denom else "")
        return (
            f"{self.kind} test ({self.distribution}): statistic={self.statistic:.6g}, "
            f"p-value={self.pvalue:.4g}, {dof}"
        )

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<{self.summary()}>"


def chi2_result(statistic: float, df: float, kind: str) -> TestResult:
    """A chi-squared :class:`TestResult` (NaN p-value for a NaN statistic)."""
    pvalue = math.nan if math.isnan(statistic) else float(chi2_pvalue(statistic, df))
    return TestResult(float(statistic), pvalue, float(df), kind)


def f_result(statistic: float, df: float, df_denom: float, kind: str) -> TestResult:
    """An F :class:`TestResult` on ``(df, df_denom)`` degrees of freedom."""
    pvalue = math.nan if math.isnan(statistic) else float(f_pvalue(statistic, df, df_denom))
    return TestResult(float(statistic), pvalue, float(df), kind, float(df_denom))


def lr_test(llf_full: float, llf_restricted: float, df: float) -> TestResult:
    """Likelihood-ratio test of a restricted model against the full one.

    Parameters
    ----------
    llf_full, llf_restricted : float
        Maximised log-likelihoods of the nested models.
    df : float
        Number of restrictions (difference in estimated parameters).

    Returns
    -------
    TestResult
        ``LR = 2 (llf_full - llf_restricted)`` on chi-squared(``df``) (Wilks 1938; R's
        ``lrtest``, statsmodels' ``compare_lr_test``).

    Raises
    ------
    InvalidOptionError
        ``df`` not positive (the models are not nested that way round).
    """
    if not df > 0:
        raise InvalidOptionError(
            f"the restricted model must have fewer free parameters than the full one "
            f"(difference {df:g}); pass the full model first"
        )
    return chi2_result(2.0 * (float(llf_full) - float(llf_restricted)), df, "likelihood-ratio")


def score_test(score: Any, hessian: Any, df: float) -> TestResult:
    """Score (Lagrange multiplier) test from the full model's derivatives at the restricted fit.

    Parameters
    ----------
    score : Tensor or array, shape (k,)
        Gradient of the full model's log-likelihood at the restricted estimate (zero in the
        estimated directions, up to the optimiser's tolerance).
    hessian : Tensor or array, shape (k, k)
        Hessian of the full model's log-likelihood there (its negative, the observed
        information, must be positive definite).
    df : float
        Number of restrictions.

    Returns
    -------
    TestResult
        ``LM = s' (-H)^{-1} s`` on chi-squared(``df``) (Rao 1948). With the expected
        information instead of ``-H`` this is statsmodels' ``score_test`` of GLMs.
    """
    s = torch.as_tensor(np.asarray(score) if not isinstance(score, torch.Tensor) else score)
    H = torch.as_tensor(np.asarray(hessian) if not isinstance(hessian, torch.Tensor) else hessian)
    s, H = s.to(torch.float64).reshape(-1), H.to(s.device, torch.float64)
    if H.shape != (s.shape[0], s.shape[0]):
        raise InvalidOptionError(
            f"score has {s.shape[0]} entries but the Hessian has shape {tuple(H.shape)}"
        )
    if not df > 0:
        raise InvalidOptionError(f"df must be positive (the number of restrictions), got {df}")
    statistic = float(s @ torch.linalg.solve(-H, s))
    return chi2_result(statistic, df, "score (LM)")


def regression_lm_test(
    wexog: np.ndarray,
    wresid_restricted: np.ndarray,
    wresid_full: np.ndarray,
    df: float,
    *,
    cov_type: str = "nonrobust",
    maxlags: int | None = None,
    groups: Any = None,
    demean: bool = True,
    use_lr: bool = False,
) -> TestResult:
    """Lagrange-multiplier test of a restricted least-squares fit (statsmodels'
    ``RegressionResults.compare_lm_test``).

    Parameters
    ----------
    wexog : ndarray, shape (n, k)
        The full model's (whitened) design.
    wresid_restricted, wresid_full : ndarray, shape (n,)
        (Whitened) residuals of the restricted and of the full fit.
    df : float
        Number of restrictions.
    cov_type : str
        The full fit's covariance: ``"nonrobust"``, ``"HC0"``...``"HC3"``, ``"HAC"`` or
        ``"cluster"`` decides how the covariance ``S`` of the scores is estimated.
    maxlags : int, optional
        Lags of the Bartlett-weighted ``S`` (``"HAC"``; statsmodels' ``S_hac_simple``).
    groups : array-like, shape (n,), optional
        Cluster labels (``"cluster"``; statsmodels' ``S_crosssection``).
    demean, use_lr : bool
        Centre the scores; take them from the full fit's residuals (which sets
        ``demean=False``), as statsmodels.

    Returns
    -------
    TestResult
        ``LM = n s' S^{-1} s`` with ``s`` the mean of the scores ``x_i e_i`` of the
        restricted residuals, on chi-squared(``df``).
    """
    n = wexog.shape[0]
    scores = wexog * wresid_restricted[:, None]
    s = scores.mean(axis=0)
    if use_lr:
        scores, demean = wexog * wresid_full[:, None], False
    if demean:
        scores = scores - scores.mean(axis=0)
    if cov_type == "nonrobust":
        S = np.mean(wresid_restricted**2) * (wexog.T @ wexog) / n
    elif cov_type in ("HC0", "HC1", "HC2", "HC3"):
        S = scores.T @ scores / n
    elif cov_type == "HAC" and maxlags is not None:
        weights = 1.0 - np.arange(maxlags + 1) / (maxlags + 1.0)  # Bartlett, as statsmodels
        S = weights[0] * (scores.T @ scores)
        for lag in range(1, maxlags + 1):
            lagged = scores[lag:].T @ scores[:-lag]
            S = S + weights[lag] * (lagged + lagged.T)
        S = S / n
    elif cov_type == "cluster" and groups is not None and np.ndim(groups) == 1:
        codes = pd.factorize(np.asarray(groups))[0]
        sums = np.zeros((int(codes.max()) + 1, scores.shape[1]))
        np.add.at(sums, codes, scores)
        S = sums.T @ sums
    else:
        raise InvalidOptionError(
            f"compare_lm_test supports cov_type 'nonrobust', 'HC0'-'HC3', 'HAC' and one-way "
            f"'cluster' (as statsmodels); the full model has {cov_type!r}"
        )
    statistic = float(n * (s @ np.linalg.solve(S, s)))
    return chi2_result(statistic, df, "score (LM)")
