"""Results of many regressions fitted at once: statsmodels' OLS statistics, one row each.

Every statistic is computed for all regressions together from the padded blocks of the
batched solve: tables (``params``, ``bse``...) have one row per regression and one column
per parameter; scalars (``rsquared``, ``llf``...) are Series. A regression is a group, a
response, or a (group, response) pair. ``res[key]`` gives the one-at-a-time
:class:`~torchstats.results.regression.RegressionResults` of one regression.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from torchstats.covariance.meats import leverage_factors
from torchstats.errors import DegreesOfFreedomWarning, LeverageWarning, warn
from torchstats.solvers.batched_least_squares import BatchedSolution
from torchstats.solvers.leverage import leverage_one

__all__ = ["BatchedRegressionResults"]

#: Frobenius condition number of a group's equilibrated Gram matrix above which its robust
#: covariance is formed in an orthonormal basis (see ``_in_orthonormal_basis``):
#: ``bread @ meat @ bread`` keeps about ``1e-16 cond`` relative, 1e-10 here.
_SANDWICH_MAX_COND = 1e6


class BatchedRegressionResults:
    """Statistics of every regression of a :class:`~torchstats.models.batched_ols.BatchedOLS`.

    Parameters
    ----------
    model : BatchedOLS
    solution : BatchedSolution
    counts : Tensor, shape (G,)
        Rows per group.
    Xw, Yw : Tensor, shapes (G, m, k) and (G, m, r)
        The padded, whitened design and responses.
    root_w : Tensor, shape (G, m)
        ``sqrt(w)`` of each row, zero on padding.
    cov_type : str
    """

    def __init__(
        self,
        model: Any,
        solution: BatchedSolution,
        counts: torch.Tensor,
        Xw: torch.Tensor,
        Yw: torch.Tensor,
        root_w: torch.Tensor,
        cov_type: str,
    ) -> None:
        self.model = model
        self.cov_type = cov_type
        self.use_t = cov_type == "nonrobust"  # statsmodels: robust fits report z
        G, _, r = Yw.shape
        self._n_responses = r
        ones = torch.ones((G, r), dtype=Yw.dtype, device=Yw.device)
        self._nobs = counts.to(Yw.dtype)[:, None] * ones
        self._rank = solution.rank.to(Yw.dtype)[:, None] * ones
        self._df_model = self._rank - model.k_constant
        self._df_resid = self._nobs - self._rank
        self._params = solution.params  # (G, r, k)
        self._sums_of_squares(solution.resid, Yw, root_w)
        self._cov = self._covariance(solution, Xw, cov_type)
        self._bse = torch.sqrt(torch.diagonal(self._cov, dim1=-2, dim2=-1))
        real = root_w > 0  # padding rows have zero weight
        log_w = torch.where(real, torch.log(torch.where(real, root_w**2, 1.0)), 0.0)
        self._log_weights = log_w.sum(dim=1)[:, None] * ones

    # --- computation ----------------------------------------------------------------------

    def _sums_of_squares(self, resid: torch.Tensor, Yw: torch.Tensor, root_w: torch.Tensor) -> None:
        self._ssr = (resid**2).sum(dim=1)
        total_weight = (root_w**2).sum(dim=1)[:, None]
        weighted_sum = (root_w[:, :, None] * Yw).sum(dim=1)
        self._uncentered_tss = (Yw**2).sum(dim=1)
        self._centered_tss = self._uncentered_tss - weighted_sum**2 / total_weight
        tss = self._centered_tss if self.model.k_constant else self._uncentered_tss
        self._ess = tss - self._ssr
        self._rsquared = 1 - self._ssr / tss
        # statsmodels' ssr / df_resid: inf (or NaN for 0 / 0) where df_resid is 0
        self._scale = self._ssr / self._df_resid
        self._warn_no_residual_df()
        self._resid = resid

    def _covariance(
        self, solution: BatchedSolution, Xw: torch.Tensor, cov_type: str
    ) -> torch.Tensor:
        bread = solution.normalized_cov[:, None]  # (G, 1, k, k)
        if cov_type == "nonrobust":
            return bread * self._scale[..., None, None]
        e2 = solution.resid**2  # (G, m, r)
        if cov_type in ("HC2", "HC3"):
            power = 1 if cov_type == "HC2" else 2
            leverage = (solution.hat_factor**2).sum(dim=-1)
            e2 = e2 * leverage_factors(leverage, power)[..., None]
            self._warn_leverage_one(leverage_one(leverage), cov_type)
        meat = torch.einsum("gmk,gmr,gml->grkl", Xw, e2, Xw)
        cov = self._in_orthonormal_basis(bread @ meat @ bread, solution, Xw, e2)
        if cov_type == "HC1":
            cov = cov * (self._nobs / self._df_resid)[..., None, None]
        return cov

    def _in_orthonormal_basis(
        self, cov: torch.Tensor, solution: BatchedSolution, Xw: torch.Tensor, e2: torch.Tensor
    ) -> torch.Tensor:
        """``cov`` with the robust covariances of ill-conditioned full-rank groups formed in
        an orthonormal basis of their equilibrated design, as the one-at-a-time fits do.

        ``bread @ meat @ bread`` in the data's units errs by about ``cond(X_s'X_s) eps``:
        with two near-collinear columns (cond 1e16) HC1 came out 3.2x, HC3 5x too large
        (and the intercept's 12%), depending on the row order. Groups whose equilibrated
        Gram matrix has a Frobenius condition number beyond :data:`_SANDWICH_MAX_COND`
        take ``D^-1 R^-1 (Q' diag(e^2) Q) R^-T D^-1`` from a batched QR ``X D^-1 = Q R``
        (about ``cond(X_s) eps``); none do in well-posed data.
        """
        k = Xw.shape[-1]
        norms = torch.linalg.vector_norm(Xw, dim=1)  # (G, k), no Gram pass
        outer = norms[:, :, None] * norms[:, None, :]
        # ||X_s'X_s||_F <= k (entries of modulus <= 1): an upper bound of the Frobenius
        # condition number from the inverse alone
        condition = k * torch.linalg.matrix_norm(solution.normalized_cov * outer)
        flagged = ~(condition <= _SANDWICH_MAX_COND) & (solution.rank == k)
        groups = torch.nonzero(flagged).reshape(-1)
        if not groups.numel():
            return cov
        scale = torch.where(norms[groups] > 0, norms[groups], torch.ones_like(norms[groups]))
        Q, R = torch.linalg.qr(Xw[groups] / scale[:, None, :])
        eye = torch.eye(k, dtype=R.dtype, device=R.device).expand_as(R)
        bread = torch.linalg.solve_triangular(R, eye, upper=True) / scale[:, :, None]
        meat = torch.einsum("gmk,gmr,gml->grkl", Q, e2[groups], Q)
        cov = cov.clone()
        cov[groups] = bread[:, None] @ meat @ bread[:, None].transpose(-1, -2)
        return cov

    def _warn_no_residual_df(self) -> None:
        """Name the groups whose regressions have ``df_resid = 0`` (inf/NaN scale)."""
        none_left = torch.nonzero((self._df_resid == 0).any(dim=1)).reshape(-1).tolist()
        if not none_left:
            return
        names = ", ".join(repr(self.model.group_index[g]) for g in none_left[:5])
        more = f", ... ({len(none_left) - 5} more)" if len(none_left) > 5 else ""
        warn(
            f"{len(none_left)} group(s) have no residual degrees of freedom (as many rows as "
            f"the rank of their design): {names}{more}. Their fits reproduce the data exactly, "
            "so their scale and the standard errors, tests and intervals built on it are "
            "undefined (inf or NaN, as statsmodels reports them). Give those groups more "
            "rows than parameters, or drop them.",
            DegreesOfFreedomWarning,
        )

    def _warn_leverage_one(self, one: torch.Tensor, cov_type: str) -> None:
        """Name the observations of leverage one (padded slots ``one``, shape (G, m)) by
        group and row label, whose regressions get a NaN HC2/HC3 covariance."""
        if not bool(one.any()):
            return
        model = self.model
        codes = model.group_codes
        counts = torch.bincount(codes, minlength=model.n_groups)
        order = torch.argsort(codes, stable=True)  # rows in padded order (pad_groups)
        group, slot = torch.nonzero(one, as_tuple=True)
        rows = order[(torch.cumsum(counts, 0) - counts)[group] + slot].cpu().numpy()
        labels = model.data.index[rows] if model.data is not None else rows
        named = [
            f"{label!r} (group {model.group_index[g]!r})"
            for label, g in zip(list(labels)[:5], group.tolist())
        ]
        more = f", ... ({len(rows) - 5} more)" if len(rows) > 5 else ""
        warn(
            f"{len(rows)} observation(s) have leverage one in their group's regression: "
            f"{', '.join(named)}{more} (the fit reproduces each exactly, e.g. through a group "
            f"with as many rows as parameters): {cov_type} divides their squared residuals "
            "by 1 - h = 0, so the covariance of those groups is undefined and reported as "
            "NaN. Drop the observations or the groups, or use cov_type='HC0' or 'HC1'.",
            LeverageWarning,
        )

    # --- labels and containers ------------------------------------------------------------

    @property
    def index(self) -> pd.Index:
        """One label per regression: group, response or (group, response)."""
        model = self.model
        responses = pd.Index(model.response_names, name="response")
        if not model.grouped:
            return responses
        if self._n_responses == 1:
            return model.group_index
        groups = model.group_index
        frame = (
            groups.to_frame(index=False)
            if isinstance(groups, pd.MultiIndex)
            else (pd.DataFrame({groups.name or "group": groups}))
        )
        pairs = frame.loc[frame.index.repeat(self._n_responses)].reset_index(drop=True)
        pairs["response"] = list(model.response_names) * len(groups)
        return pd.MultiIndex.from_frame(pairs)

    def _flat(self, values: torch.Tensor) -> torch.Tensor:
        return values.reshape(-1, *values.shape[2:])

    def _table(self, values: torch.Tensor) -> Any:
        flat = self._flat(values)
        if self.model.output_kind == "torch":
            return flat
        array = flat.detach().cpu().numpy()
        if self.model.output_kind == "numpy":
            return array
        return pd.DataFrame(array, index=self.index, columns=self.model.exog_names)

    def _series(self, values: torch.Tensor, name: str) -> Any:
        flat = self._flat(values)
        if self.model.output_kind == "torch":
            return flat
        array = flat.detach().cpu().numpy()
        if self.model.output_kind == "numpy":
            return array
        return pd.Series(array, index=self.index, name=name)

    # --- estimates ------------------------------------------------------------------------

    @property
    def params(self) -> Any:
        """Estimates: a row per regression, a column per parameter."""
        return self._table(self._params)

    @property
    def bse(self) -> Any:
        """Standard errors."""
        return self._table(self._bse)

    @property
    def tvalues(self) -> Any:
        """``params / bse``."""
        return self._table(self._params / self._bse)

    def _pvalues_array(self) -> np.ndarray:
        t = np.abs((self._params / self._bse).detach().cpu().numpy())
        if not self.use_t:
            return 2 * stats.norm.sf(t)
        df = self._df_resid.detach().cpu().numpy()[..., None]
        with np.errstate(invalid="ignore"):
            return 2 * stats.t.sf(t, np.where(df > 0, df, np.nan))

    @property
    def pvalues(self) -> Any:
        """Two-sided p-values (t with each regression's ``df_resid``; z for robust fits)."""
        values = torch.as_tensor(self._pvalues_array(), dtype=self._params.dtype)
        return self._table(values.to(self._params.device))

    def _critical(self, alpha: float) -> np.ndarray:
        if not self.use_t:
            return np.full(self._df_resid.shape, stats.norm.ppf(1 - alpha / 2))
        df = self._df_resid.detach().cpu().numpy()
        with np.errstate(invalid="ignore"):
            return stats.t.ppf(1 - alpha / 2, np.where(df > 0, df, np.nan))

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals, long: one row per (regression, parameter), columns 0 and 1."""
        q = self._critical(alpha).reshape(-1)[:, None]
        params = self._flat(self._params).detach().cpu().numpy()
        bse = self._flat(self._bse).detach().cpu().numpy()
        frame = pd.DataFrame(
            {0: (params - q * bse).reshape(-1), 1: (params + q * bse).reshape(-1)},
            index=self._long_index(),
        )
        return frame

    def _long_index(self) -> pd.MultiIndex:
        index = self.index
        names = list(self.model.exog_names)
        outer = index.to_frame(index=False)
        long = outer.loc[outer.index.repeat(len(names))].reset_index(drop=True)
        long["term"] = names * len(index)
        return pd.MultiIndex.from_frame(long)

    def cov_params(self, key: Any) -> pd.DataFrame:
        """The ``(k, k)`` covariance of one regression, labelled."""
        position = self.index.get_loc(key)
        if not isinstance(position, int):
            raise KeyError(f"{key!r} does not identify one regression")
        cov = self._flat(self._cov)[position].detach().cpu().numpy()
        names = self.model.exog_names
        return pd.DataFrame(cov, index=names, columns=names)

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """The coefficient tables of all regressions, stacked: ``coef``, ``std err``, ``t``
        (``z``), ``P>|t|``, and the interval bounds, indexed by (regression, term)."""
        stat = "t" if self.use_t else "z"
        ci = self.conf_int(alpha)
        lower, upper = f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"
        frame = pd.DataFrame(
            {
                "coef": self._flat(self._params).detach().cpu().numpy().reshape(-1),
                "std err": self._flat(self._bse).detach().cpu().numpy().reshape(-1),
                stat: self._flat(self._params / self._bse).detach().cpu().numpy().reshape(-1),
                f"P>|{stat}|": self._pvalues_array().reshape(-1),
                lower: ci[0].to_numpy(),
                upper: ci[1].to_numpy(),
            },
            index=ci.index,
        )
        return frame

    # --- per-regression statistics --------------------------------------------------------

    @property
    def nobs(self) -> Any:
        """Observations of each regression."""
        return self._series(self._nobs, "nobs")

    @property
    def rank(self) -> Any:
        """Rank of each regression's design."""
        return self._series(self._rank, "rank")

    @property
    def df_model(self) -> Any:
        """``rank - k_constant``."""
        return self._series(self._df_model, "df_model")

    @property
    def df_resid(self) -> Any:
        """``nobs - rank``."""
        return self._series(self._df_resid, "df_resid")

    @property
    def ssr(self) -> Any:
        """Sum of squared (whitened) residuals."""
        return self._series(self._ssr, "ssr")

    @property
    def centered_tss(self) -> Any:
        """Total sum of squares about the (weighted) mean."""
        return self._series(self._centered_tss, "centered_tss")

    @property
    def uncentered_tss(self) -> Any:
        """Total sum of squares about zero."""
        return self._series(self._uncentered_tss, "uncentered_tss")

    @property
    def ess(self) -> Any:
        """Explained sum of squares (centered with a constant, else uncentered)."""
        return self._series(self._ess, "ess")

    @property
    def rsquared(self) -> Any:
        """R-squared (uncentered without a constant, as statsmodels)."""
        return self._series(self._rsquared, "rsquared")

    @property
    def rsquared_adj(self) -> Any:
        """``1 - (nobs - k_constant) / df_resid (1 - R^2)``."""
        factor = (self._nobs - self.model.k_constant) / self._df_resid
        return self._series(1 - factor * (1 - self._rsquared), "rsquared_adj")

    @property
    def scale(self) -> Any:
        """``ssr / df_resid`` (inf, or NaN for ``0 / 0``, without residual degrees of
        freedom, as statsmodels)."""
        return self._series(self._scale, "scale")

    @property
    def _mse_resid(self) -> torch.Tensor:
        return torch.where(self._df_resid == 0, torch.nan, self._scale)

    @property
    def mse_resid(self) -> Any:
        """``ssr / df_resid``; NaN without residual degrees of freedom (statsmodels)."""
        return self._series(self._mse_resid, "mse_resid")

    @property
    def _llf(self) -> torch.Tensor:
        n = self._nobs
        value = -n / 2 * (torch.log(2 * math.pi * self._ssr / n) + 1)
        return value + 0.5 * self._log_weights if self.model.weights is not None else value

    @property
    def llf(self) -> Any:
        """Gaussian log-likelihood (statsmodels' OLS/WLS ``llf``)."""
        return self._series(self._llf, "llf")

    @property
    def aic(self) -> Any:
        """``-2 llf + 2 (df_model + k_constant)``."""
        return self._series(-2 * self._llf + 2 * (self._df_model + self.model.k_constant), "aic")

    @property
    def bic(self) -> Any:
        """``-2 llf + log(nobs) (df_model + k_constant)``."""
        k = self._df_model + self.model.k_constant
        return self._series(-2 * self._llf + torch.log(self._nobs) * k, "bic")

    @property
    def _fvalue(self) -> torch.Tensor:
        if self.cov_type == "nonrobust":
            return (self._ess / self._df_model) / self._mse_resid
        wald, restrictions = self._robust_wald
        return wald / restrictions

    @functools.cached_property
    def _robust_wald(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The Wald statistic that every non-constant parameter is zero and its number of
        restrictions, the rank of their covariance (the one-at-a-time fits' ``J``, with
        numpy's ``pinv`` and ``matrix_rank`` cut-offs: a rank-deficient group's F was
        divided by ``df_model``, 2x statsmodels'). A group whose covariance is not finite
        (leverage one under HC2/HC3, no residual degrees of freedom) gets NaN; its NaN made
        the batch's SVD, hence every group's F, raise."""
        columns = [j for j in range(self._params.shape[-1]) if j != self._const_idx]
        b = self._params[..., columns]
        V = self._cov[..., columns, :][..., columns]
        defined = torch.isfinite(V).all(dim=-1).all(dim=-1) & torch.isfinite(b).all(dim=-1)
        defined &= self._df_resid > 0
        eye = torch.eye(len(columns), dtype=V.dtype, device=V.device)
        V = torch.where(defined[..., None, None], V, eye)
        inverse = torch.linalg.pinv(V, rtol=1e-15, hermitian=True)
        wald = (b[..., None, :] @ inverse @ b[..., :, None])[..., 0, 0]
        restrictions = torch.linalg.matrix_rank(V, hermitian=True).to(V.dtype)
        nan = torch.full_like(wald, math.nan)
        return torch.where(defined, wald, nan), torch.where(defined, restrictions, nan)

    @property
    def _const_idx(self) -> int | None:
        names = list(self.model.exog_names)
        for name in ("Intercept", "const"):
            if name in names:
                return names.index(name)
        return None

    @property
    def fvalue(self) -> Any:
        """F statistic that all non-constant parameters are zero (Wald F for robust fits)."""
        return self._series(self._fvalue, "fvalue")

    @property
    def f_pvalue(self) -> Any:
        """p-value of :attr:`fvalue` on ``F(df_model, df_resid)``."""
        f = self._fvalue.detach().cpu().numpy()
        numerator = self._df_model if self.cov_type == "nonrobust" else self._robust_wald[1]
        dfn = numerator.detach().cpu().numpy()
        dfd = self._df_resid.detach().cpu().numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            values = stats.f.sf(f, dfn, np.where(dfd > 0, dfd, np.nan))
        tensor = torch.as_tensor(values, dtype=self._params.dtype, device=self._params.device)
        return self._series(tensor, "f_pvalue")

    # --- one regression -------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        """The one-at-a-time results of one regression: ``ts.OLS``/``ts.WLS`` on its rows of
        the shared design (same columns as the batch, so absent levels stay as zero
        columns)."""
        position = self.index.get_loc(key)
        if not isinstance(position, int):
            raise KeyError(f"{key!r} does not identify one regression")
        group, response = divmod(position, self._n_responses)
        single = self.model.regression(group, response)
        return single.fit(method="pinv", cov_type=self.cov_type)

    def __len__(self) -> int:
        return len(self.index)

    def __repr__(self) -> str:
        return f"<torchstats.BatchedRegressionResults {len(self)} regressions, {self.cov_type}>"
