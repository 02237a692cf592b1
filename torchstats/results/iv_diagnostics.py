"""Diagnostics of a 2SLS fit: first stages, weak instruments, exogeneity, over-identification.

All are computed from the demeaned and weighted columns the estimate used
(:class:`~torchstats.models.instrumental.Instrumented`), so with fixed effects they equal
the statistics of the regression with the effects' dummies among the exogenous regressors
and the instruments (linearmodels' ``IV2SLS`` with ``C(f)`` terms).

- :func:`first_stages`: the regression of each endogenous regressor on the instruments,
  with the model's covariance (pyfixest's ``Feiv.first_stage``), the Wald F statistic of
  the excluded instruments (pyfixest's ``_f_stat_1st_stage``), the partial R-squared
  (linearmodels' ``first_stage.diagnostics["partial.rsquared"]``) and Olea and Pflueger's
  effective F (pyfixest's ``_eff_F``);
- :func:`wu_hausman` and :func:`sargan`: linearmodels' ``IV2SLSResults.wu_hausman()`` and
  ``.sargan``;
- :func:`kleibergen_paap`: linearmodels' ``first_stage.kleibergen_paap`` (rk LM) and
  ``kleibergen_paap_f`` (rk Wald F).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import torch

from torchstats.covariance.fixest import VcovChoice
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import DegreesOfFreedomWarning, DesignError, InvalidOptionError, warn
from torchstats.inference.distributions import chi2_pvalue, f_pvalue
from torchstats.solvers.least_squares import solve_least_squares
from torchstats.solvers.result import SolverResult

__all__ = [
    "FirstStage",
    "IVTestStatistic",
    "first_stages",
    "kleibergen_paap",
    "sargan",
    "tested_columns",
    "wu_hausman",
]

Sandwich = Callable[[VcovChoice, torch.Tensor, torch.Tensor, SolverResult], CovarianceResult]
"""The model's covariance of a least-squares fit: (choice, design, resid, fit) -> cov."""


@dataclass(frozen=True)
class IVTestStatistic:
    """A test statistic with linearmodels' names (``WaldTestStatistic``).

    Attributes
    ----------
    stat : float
        The statistic (also :attr:`statistic`).
    pval : float
        Its p-value (also :attr:`pvalue`).
    df : int
        Degrees of freedom (of the numerator for F).
    df_denom : float or None
        Denominator degrees of freedom of an F statistic; None for chi-squared.
    name, null : str
        The test and its null hypothesis.
    """

    stat: float
    pval: float
    df: int
    df_denom: float | None
    name: str
    null: str

    @property
    def statistic(self) -> float:
        """statsmodels' name of :attr:`stat`."""
        return self.stat

    @property
    def pvalue(self) -> float:
        """statsmodels' name of :attr:`pval`."""
        return self.pval

    @property
    def dist_name(self) -> str:
        """``"chi2(df)"`` or ``"F(df,df_denom)"``, as linearmodels writes it."""
        if self.df_denom is None:
            return f"chi2({self.df})"
        return f"F({self.df},{self.df_denom:g})"


@dataclass(frozen=True)
class FirstStage:
    """The first-stage regression of one endogenous regressor on all the instruments.

    Attributes
    ----------
    endog_name : str
        The endogenous regressor.
    params, bse : pandas.Series
        Coefficients on ``[excluded instruments, included exogenous]`` (pyfixest's order)
        and their standard errors, by the model's covariance.
    cov : pandas.DataFrame
        Their covariance.
    fvalue : float
        Wald statistic of the excluded instruments divided by their number (pyfixest's
        ``_f_stat_1st_stage``; the classical F with ``vcov="iid"``).
    f_pvalue : float
        Its p-value from ``F(df_num, df_denom)``.
    df_num, df_denom : float
        The number of excluded instruments; the first stage's residual degrees of
        freedom ``N - K``, as fixest's ``fitstat(x, "ivwald1")`` (also under clustering,
        where its t tests use ``G - 1``).
    partial_rsquared : float
        R-squared of the endogenous regressor on the excluded instruments, both with the
        exogenous regressors (and the effects) partialled out.
    effective_f : float
        Olea and Pflueger's effective F, ``pi' Q pi / tr(S Q)`` with ``Q`` the partialled
        instruments' cross-product and ``S`` the robust covariance of ``pi`` (``"hetero"``
        when the model's covariance is ``"iid"``).
    """

    endog_name: str
    params: pd.Series
    bse: pd.Series
    cov: pd.DataFrame
    fvalue: float
    f_pvalue: float
    df_num: float
    df_denom: float
    partial_rsquared: float
    effective_f: float


def first_stages(
    endog: torch.Tensor,
    instruments: torch.Tensor,
    n_included: int,
    names: tuple[Sequence[str], Sequence[str], Sequence[str]],
    choice: VcovChoice,
    sandwich: Sandwich,
) -> dict[str, FirstStage]:
    """The first stage of each endogenous regressor.

    Parameters
    ----------
    endog : Tensor, shape (n, p)
        The endogenous regressors (demeaned, times ``sqrt(w)``).
    instruments : Tensor, shape (n, m)
        ``[included exogenous, excluded instruments]``, likewise.
    n_included : int
        How many leading columns of ``instruments`` are exogenous regressors.
    names : (endogenous, included, excluded)
        The columns' names.
    choice : VcovChoice
        The model's covariance; ``sandwich`` computes it for a least-squares fit.
    """
    endog_names, included, excluded = names
    order = [*range(n_included, instruments.shape[1]), *range(n_included)]
    Z = instruments[:, order]
    labels = [*excluded, *included]
    q = len(excluded)
    partial_z = _residuals(Z[:, q:], Z[:, :q])
    robust = choice if choice.kind != "iid" else VcovChoice("hetero")
    stages = {}
    for j, name in enumerate(endog_names):
        fit = solve_least_squares(Z, endog[:, j], method="auto")
        resid = endog[:, j] - Z @ fit.params
        cov = sandwich(choice, Z, resid, fit)
        pi, V = fit.params[:q], cov.cov[:q, :q]
        wald = float(pi @ torch.linalg.solve(V, pi))
        S = V if robust is choice else sandwich(robust, Z, resid, fit).cov[:q, :q]
        Q = partial_z.T @ partial_z
        partial_d = _residuals(Z[:, q:], endog[:, j : j + 1])[:, 0]
        # fixest's fitstat "ivwald1": F(q, N - K) whatever the covariance (its
        # degrees_freedom(x, "resid", stage = 1)), not the clustered t tests' G - 1
        df_denom = (
            sandwich(VcovChoice("iid"), Z, resid, fit).df_resid
            if choice.clustered
            else cov.df_resid
        )
        stages[name] = FirstStage(
            endog_name=name,
            params=pd.Series(fit.params.cpu().numpy(), index=labels, name=name),
            bse=pd.Series(cov.standard_errors().cpu().numpy(), index=labels, name=name),
            cov=pd.DataFrame(cov.cov.cpu().numpy(), index=labels, columns=labels),
            fvalue=wald / q,
            f_pvalue=f_pvalue(wald / q, q, df_denom),
            df_num=float(q),
            df_denom=df_denom,
            partial_rsquared=float(1 - (resid @ resid) / (partial_d @ partial_d)),
            effective_f=float(pi @ Q @ pi / torch.trace(S @ Q)),
        )
    return stages


def wu_hausman(
    y: torch.Tensor,
    X: torch.Tensor,
    Z: torch.Tensor,
    resid: torch.Tensor,
    tested: list[int],
    df_resid: float,
    null: str,
) -> IVTestStatistic:
    """Wu-Hausman test that the regressors ``X[:, tested]`` are exogenous.

    Notes
    -----
    linearmodels' ``IV2SLSResults.wu_hausman``: with ``e0`` the residuals of the model
    that treats ``tested`` as exogenous (instruments ``[Z, X_tested]``), ``e1 = P_[Z,
    X_tested] e0`` and ``e2 = P_Z u`` (``u`` the 2SLS residuals), ``delta = e1'e1 -
    e2'e2`` and the statistic is ``(delta / q) / ((e0'e0 - delta) / (df_resid - q))``,
    ``F(q, df_resid - q)``, ``q = len(tested)``; ``df_resid`` counts the effects' levels
    as regressors. It assumes homoskedastic errors whatever the model's covariance.
    """
    q = len(tested)
    widened = torch.column_stack([Z, X[:, tested]])
    Q, _ = torch.linalg.qr(widened)
    projected = Q @ (Q.T @ X)
    e0 = y - X @ solve_least_squares(projected, y, method="auto").params
    e1 = Q @ (Q.T @ e0)
    Qz, _ = torch.linalg.qr(Z)
    e2 = Qz @ (Qz.T @ resid)
    delta = float(e1 @ e1 - e2 @ e2)
    df_denom = df_resid - q
    stat = (delta / q) / ((float(e0 @ e0) - delta) / df_denom)
    return IVTestStatistic(
        stat, f_pvalue(stat, q, df_denom), q, df_denom, "Wu-Hausman test of exogeneity", null
    )


def sargan(Z: torch.Tensor, resid: torch.Tensor, n_endog: int, n_excluded: int) -> IVTestStatistic:
    """Sargan's test of the over-identifying restrictions.

    Notes
    -----
    linearmodels' ``IV2SLSResults.sargan``: ``n (1 - u'M_Z u / u'u)``, ``chi2(m - p)``
    with ``m`` excluded instruments and ``p`` endogenous regressors; it assumes
    homoskedastic errors whatever the model's covariance.

    Raises
    ------
    DesignError
        The model is exactly identified (``m == p``): there is nothing to test.
    """
    df = n_excluded - n_endog
    if df <= 0:
        raise DesignError(
            "Sargan's test needs more excluded instruments than endogenous regressors; the "
            "model is exactly identified"
        )
    annihilated = _residuals(Z, resid.unsqueeze(1))[:, 0]
    stat = float(resid.shape[0] * (1 - (annihilated @ annihilated) / (resid @ resid)))
    return IVTestStatistic(
        stat,
        chi2_pvalue(stat, df),
        df,
        None,
        "Sargan's test of overidentification",
        "The model is not overidentified.",
    )


def tested_columns(
    variables: str | Sequence[str] | None, endog_names: Sequence[str], n_included: int
) -> tuple[list[int], str]:
    """Positions in ``params`` of the endogenous regressors to test, and the null."""
    if variables is None:
        return [n_included + j for j in range(len(endog_names))], (
            "All endogenous variables are exogenous"
        )
    chosen = [variables] if isinstance(variables, str) else list(variables)
    unknown = [name for name in chosen if name not in endog_names]
    if unknown or not chosen:
        raise InvalidOptionError(
            f"variables must name endogenous regressors ({list(endog_names)}); got {chosen}"
        )
    positions = [n_included + list(endog_names).index(name) for name in chosen]
    return positions, "Variables {} are exogenous".format(", ".join(chosen))


def _residuals(basis: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
    """``columns`` less their projection on the span of ``basis`` (nothing if empty)."""
    if basis.shape[1] == 0:
        return columns
    Q, _ = torch.linalg.qr(basis)
    return columns - Q @ (Q.T @ columns)


def kleibergen_paap(
    endog: torch.Tensor,
    excluded: torch.Tensor,
    included: torch.Tensor,
    kind: str,
    clusters: torch.Tensor | None,
    dof: float,
) -> tuple[IVTestStatistic, float]:
    """Kleibergen and Paap's rk LM test of under-identification and their rk Wald F.

    Parameters
    ----------
    endog, excluded, included : Tensors, shapes (n, p), (n, q), (n, k)
        The endogenous regressors, the excluded instruments and the included exogenous
        regressors (demeaned and times ``sqrt(w)``); ``included`` is partialled out.
    kind : {"iid", "hetero", "CRV1"}
        The covariance of the scores (``"iid"``: Anderson's LM and Cragg and Donald's F).
    clusters : Tensor of int64, shape (n,), or None
        One-way cluster codes ``0 .. G-1`` for ``"CRV1"``.
    dof : float
        ``n - q - k``, with the effects' levels counted in ``k``.

    Notes
    -----
    linearmodels' ``first_stage.kleibergen_paap`` and ``kleibergen_paap_f`` (and Stata's
    ``ivreg2``): with ``Theta = Qzz^{-1/2}' Qzx Qxx^{-1/2}`` (upper Cholesky factors) and
    the singular vectors ``A``, ``B`` of its ``q - p + 1`` and ``1`` smallest singular
    values, ``rk = n lambda' [(B'⊗A') V (B⊗A)]^+ lambda``, ``lambda = A' Theta B``, where
    ``V`` is the covariance of ``vec(Theta)`` from the scores ``x_i ⊗ z_i`` (LM) or
    ``v_i ⊗ z_i`` with the first-stage residuals ``v`` (Wald). The F is ``rk_Wald *
    dof / n / q`` (``* dof (G - 1) / G / (n - 1) / q`` clustered). A rank-deficient ``V``
    (too few clusters) warns and uses its positive part, with fewer degrees of freedom.
    """
    x = _residuals(included, endog)
    z = _residuals(included, excluded)
    n, q = z.shape
    p = x.shape[1]
    qzz, qxx, qzx = z.T @ z / n, x.T @ x / n, z.T @ x / n
    irqzz = _inverse_upper_cholesky(qzz)
    irqxx = _inverse_upper_cholesky(qxx)
    pihat = irqzz @ (irqzz.T @ qzx)
    theta = irqzz.T @ qzx @ irqxx
    U, s, Vh = torch.linalg.svd(theta, full_matrices=True)
    r2 = float(s[-1]) ** 2
    df = q - p + 1
    name = "Kleibergen-Paap rk LM Test"
    null = "The model is underidentified"
    if kind == "iid":
        lm = IVTestStatistic(n * r2, chi2_pvalue(n * r2, df), df, None, name, null)
        return lm, dof * r2 / (1 - r2) / q
    left, right = U[:, p - 1 :], Vh.T[:, p - 1 :]
    select = torch.kron(right.T, left.T)
    lam = select @ theta.T.reshape(-1)
    transform = torch.kron(irqxx.T, irqzz.T)

    def rk(v: torch.Tensor) -> tuple[float, int]:
        scores = torch.column_stack([v[:, j : j + 1] * z for j in range(p)])
        if clusters is not None:
            sums = torch.zeros(
                (int(clusters.max()) + 1, scores.shape[1]), dtype=scores.dtype, device=z.device
            )
            scores = sums.index_add_(0, clusters, scores)
        V = select @ transform @ (scores.T @ scores / n) @ transform.T @ select.T
        values, vectors = torch.linalg.eigh((V + V.T) / 2)
        positive = values > values.max() * torch.finfo(values.dtype).eps * V.shape[0]
        deficit = int((~positive).sum())
        if deficit:
            warn(
                f"the covariance of the Kleibergen-Paap statistic is rank deficient (deficit "
                f"{deficit}): too few clusters or observations for {q} instruments; a "
                "generalized inverse is used and the statistic should not be relied upon",
                DegreesOfFreedomWarning,
            )
        coef = vectors[:, positive].T @ lam
        return n * float((coef**2 / values[positive]).sum()), int(V.shape[0] - deficit)

    lm_stat, lm_df = rk(x)
    wald, _ = rk(x - z @ pihat)
    if clusters is not None:
        groups = int(clusters.max()) + 1
        scale = dof * (groups - 1) / groups / (n - 1)
    else:
        scale = dof / n
    lm = IVTestStatistic(lm_stat, chi2_pvalue(lm_stat, lm_df), lm_df, None, name, null)
    return lm, wald * scale / q


def _inverse_upper_cholesky(gram: torch.Tensor) -> torch.Tensor:
    """``R^{-1}`` for the upper-triangular ``R`` with ``R'R = gram``."""
    factor = torch.linalg.cholesky(gram, upper=True)
    eye = torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device)
    return torch.linalg.solve_triangular(factor, eye, upper=True)
