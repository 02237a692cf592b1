"""Outlier and influence measures of least-squares fits, without the ``n x n`` hat matrix.

statsmodels' ``OLSInfluence`` refits the model once per observation for the leave-one-out
quantities. The classical identities give them in closed form from the full fit:

- leverage ``h_i = x_i' (X'X)^{-1} x_i``;
- ``b - b_(i) = (X'X)^{-1} x_i e_i / (1 - h_i)``;
- ``s_(i)^2 = (SSR - e_i^2 / (1 - h_i)) / (df_resid - 1)``,

so every measure costs ``O(n k^2)`` and runs on the device, for millions of rows. The
leverages and the columns ``(X'X)^{-1} x_i`` of the pseudo-inverse come from an
orthonormal basis of the design (:mod:`torchstats.solvers.leverage`): formed from the
inverse as written they cancel, and lose ``cond(X)^2 eps`` (1e-8 on Longley, 1e-9 for
DFBETA; here 1e-15 against exact rational arithmetic). Weighted fits use the whitened
design and residuals (the influence of an observation in the WLS problem it actually
solves); statsmodels' ``OLSInfluence`` mixes weighted and unweighted quantities there, so
WLS is checked against a leave-one-out loop instead.

An observation of leverage one has no leave-one-out fit: its leverage is set to exactly
one (as R's ``lm.influence`` does), a :class:`~torchstats.errors.LeverageWarning` names it,
and the measures that divide by ``1 - h_i`` are inf or NaN for it, as in statsmodels.

Reference: Belsley, Kuh & Welsch (1980), *Regression Diagnostics*, ch. 2.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from torchstats._threads import ThreadScoped
from torchstats.errors import LeverageWarning, warn
from torchstats.inference.multitest import multipletests
from torchstats.results.influence_plots import InfluencePlots
from torchstats.solvers.leverage import describe_leverage_one, leverage_one
from torchstats.tables.formats import TableFormat
from torchstats.tables.table import Cell, Row, SummaryTable

__all__ = ["ModelViews", "OLSInfluence", "deletion_leverage", "influence_table", "outlier_test"]

#: statsmodels' ``tableformatting.fmt_base`` (``OLSInfluence.summary_table``'s text format),
#: with the numbers formatted before they enter the table.
_INFLUENCE_TEXT = TableFormat(colwidths=10, table_dec_below="=", header_align="r")


def deletion_leverage(h: torch.Tensor, row_labels: pd.Index | None) -> torch.Tensor:
    """``h`` with the observations of leverage one set to exactly one (R's ``lm.influence``),
    and a :class:`~torchstats.errors.LeverageWarning` naming them: their leave-one-out fits
    do not exist, and what divides by ``1 - h`` is inf or NaN for them."""
    one = leverage_one(h)
    if not bool(one.any()):
        return h
    warn(
        f"{describe_leverage_one(one, row_labels)} (the fit reproduces it exactly, e.g. "
        "through a dummy column that is one on that row only): it has no leave-one-out fit, "
        "and the influence measures that divide by 1 - h (studentized residuals, Cook's "
        "distance, DFFITS, PRESS residuals, DFBETA) are inf or NaN for it, as in statsmodels. "
        "Drop the observation or the column that isolates it to diagnose the others.",
        LeverageWarning,
    )
    return torch.where(one, torch.ones_like(h), h)


class ModelViews:
    """The fitted model's ``endog``, ``exog`` and class, as statsmodels' influence classes
    show them (its plots read them)."""

    results: Any

    @property
    def endog(self) -> Any:
        """The model's response (``results.model.endog``)."""
        return self.results.model.endog

    @property
    def exog(self) -> Any:
        """The model's design (``results.model.exog``)."""
        return self.results.model.exog

    @property
    def model_class(self) -> type:
        """The class of the fitted model."""
        return type(self.results.model)


def _host(values: Any) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
    return np.asarray(values, dtype=np.float64)


def influence_table(
    columns: list[tuple[str, Any]], float_fmt: str = "%6.3f"
) -> tuple[SummaryTable, np.ndarray]:
    """A ``SimpleTable``-like table of named columns, first one ``%4d``, and its data.

    Parameters
    ----------
    columns : list of (header, values)
        Headers may hold ``"\n"``: each line is a header row, bottom-aligned, with the
        rule under the last (statsmodels' ``SimpleTable.insert_header_row``).
    float_fmt : str
        ``%``-format of the columns after the first.

    Returns
    -------
    (SummaryTable, ndarray of shape (n, len(columns)))
    """
    headers = [name for name, _ in columns]
    data = np.column_stack([_host(values) for _, values in columns])
    formats = ["%4d"] + [float_fmt] * (data.shape[1] - 1)
    body = [
        Row(tuple(Cell(fmt % value, j) for j, (fmt, value) in enumerate(zip(formats, row))))
        for row in data
    ]
    lines = [header.split("\n") for header in headers]
    depth = max(len(parts) for parts in lines)
    header_rows = [
        Row(
            tuple(Cell(parts[i] if i < len(parts) else "", "header") for parts in lines),
            is_header=i == depth - 1,
        )
        for i in range(depth)
    ]
    return SummaryTable(tuple(header_rows + body), text_format=_INFLUENCE_TEXT), data


class OLSInfluence(InfluencePlots, ModelViews, ThreadScoped):
    """Influence measures of an OLS or WLS fit (statsmodels' ``OLSInfluence`` names).

    Parameters
    ----------
    results : RegressionResults
        The fit to diagnose.
    """

    def __init__(self, results: Any) -> None:
        self.results = results
        self._resid = results._wresid
        assert results.fit_result.normalized_cov is not None
        self._inverse = results.fit_result.normalized_cov
        self.nobs, self.k_vars = (int(v) for v in results.model.design.exog.shape)
        self.scale = results.mse_resid
        self._output = results._output
        #: The numbers of the last :meth:`summary_table` (None before), as statsmodels.
        self.table_data: np.ndarray | None = None

    def _thread_numbers(self) -> int:
        return self.results._thread_numbers()

    def _out(self, values: torch.Tensor) -> Any:
        return values if self._output.kind == "torch" else values.detach().cpu().numpy()

    @cached_property
    def _h(self) -> torch.Tensor:
        return deletion_leverage(self.results._leverage, self._output.row_index)

    @cached_property
    def _sigma2_not_obsi(self) -> torch.Tensor:
        ssr = self._resid @ self._resid
        df = self.results.df_resid - 1
        if df <= 0:  # a leave-one-out fit without residual degrees of freedom: undefined
            return torch.full_like(self._resid, float("nan"))
        return (ssr - self._resid**2 / (1 - self._h)) / df

    @cached_property
    def _internal(self) -> torch.Tensor:
        return self._resid / torch.sqrt(self.scale * (1 - self._h))

    @cached_property
    def _external(self) -> torch.Tensor:
        return self._resid / torch.sqrt(self._sigma2_not_obsi * (1 - self._h))

    @cached_property
    def _dfbeta(self) -> torch.Tensor:
        model, basis = self.results.model, self.results._basis
        if basis is None:  # rank deficient: statsmodels' pinv columns
            columns = model.whitened_exog @ self._inverse
        else:
            columns = basis.pseudo_inverse_rows(model.design.exog, model.row_weights)
        return columns * (self._resid / (1 - self._h))[:, None]

    @property
    def hat_matrix_diag(self) -> Any:
        """Leverage ``h_i``: the diagonal of the hat matrix."""
        return self._out(self._h)

    @property
    def resid_press(self) -> Any:
        """PRESS residuals ``e_i / (1 - h_i)``."""
        return self._out(self._resid / (1 - self._h))

    @property
    def sigma2_not_obsi(self) -> Any:
        """Residual variance of each leave-one-out fit."""
        return self._out(self._sigma2_not_obsi)

    @property
    def resid_studentized_internal(self) -> Any:
        """``e_i / (s sqrt(1 - h_i))`` with the full fit's ``s``."""
        return self._out(self._internal)

    @property
    def resid_studentized(self) -> Any:
        """Alias of :attr:`resid_studentized_internal`."""
        return self.resid_studentized_internal

    @property
    def resid_studentized_external(self) -> Any:
        """``e_i / (s_(i) sqrt(1 - h_i))`` with the leave-one-out ``s_(i)``."""
        return self._out(self._external)

    def get_resid_studentized_external(self, sigma: Any = None) -> Any:
        """``e_i / (sigma sqrt(1 - h_i))``; ``sigma`` defaults to the full fit's ``s``.

        Parameters
        ----------
        sigma : float or array-like, optional
            Residual standard deviation(s), one or one per observation.
        """
        if sigma is None:
            return self.resid_studentized_internal
        root = torch.as_tensor(sigma, dtype=self._resid.dtype, device=self._resid.device)
        return self._out(self._resid / root / torch.sqrt(1 - self._h))

    @property
    def resid(self) -> Any:
        """The fit's residuals ``y - X b`` (statsmodels' ``results.resid``), an array."""
        return self._out(self.results._resid)

    @property
    def influence(self) -> Any:
        """``e_i h_i / (1 - h_i)`` (the influence measure gretl reports)."""
        return self._out(self._resid * self._h / (1 - self._h))

    @property
    def hat_diag_factor(self) -> Any:
        """``h_i / (1 - h_i)``."""
        return self._out(self._h / (1 - self._h))

    @property
    def ess_press(self) -> float:
        """Sum of squared PRESS residuals."""
        return float(((self._resid / (1 - self._h)) ** 2).sum())

    @property
    def resid_var(self) -> Any:
        """Variance of each residual, ``s^2 (1 - h_i)``."""
        return self._out(self.scale * (1 - self._h))

    @property
    def resid_std(self) -> Any:
        """Standard deviation of each residual, ``s sqrt(1 - h_i)``."""
        return self._out(torch.sqrt(self.scale * (1 - self._h)))

    @cached_property
    def _log_det_cov_not_obsi(self) -> torch.Tensor:
        # det(s_(i)^2 (X'X - x_i x_i')^{-1}) = s_(i)^{2r} det((X'X)^{-1}) / (1 - h_i)
        return (
            self._rank * torch.log(self._sigma2_not_obsi)
            + self._log_determinant(self._inverse)
            - torch.log(1 - self._h)
        )

    @cached_property
    def _rank(self) -> int:
        """The identified parameters: the determinants of a rank-deficient fit's singular
        covariances are pseudo-determinants over its rank (R's ``covratio``)."""
        rank = self.results.fit_result.rank
        return self.k_vars if rank is None else int(rank)

    def _log_determinant(self, matrix: torch.Tensor) -> torch.Tensor:
        """``log det``, or the log pseudo-determinant (the ``rank`` largest eigenvalues)
        where the fit is rank deficient: the determinant of its singular covariance is
        rounding in the null eigenvalues, which did not cancel in :attr:`cov_ratio`
        (0.09 or 1.41 where the full-rank fit of the same column space gives 1.22)."""
        if self._rank == self.k_vars:
            return torch.linalg.slogdet(matrix)[1]
        eigenvalues = torch.linalg.eigvalsh((matrix + matrix.T) / 2)
        return torch.log(eigenvalues[-self._rank :]).sum() if self._rank else matrix.new_zeros(())

    @property
    def det_cov_params_not_obsi(self) -> Any:
        """Determinant of the classical covariance of each leave-one-out fit."""
        return self._out(torch.exp(self._log_det_cov_not_obsi))

    @property
    def cov_ratio(self) -> Any:
        """:attr:`det_cov_params_not_obsi` over the determinant of the fit's ``cov_params()``
        (pseudo-determinants over the rank for a rank-deficient fit)."""
        log_det = self._log_determinant(self.results.covariance.cov)
        return self._out(torch.exp(self._log_det_cov_not_obsi - log_det))

    @property
    def cooks_distance(self) -> tuple[Any, np.ndarray]:
        """Cook's distance and its p-values from ``F(k, df_resid)``."""
        distance = self._internal**2 / self.k_vars * self._h / (1 - self._h)
        host = distance.detach().cpu().double().numpy()
        return self._out(distance), stats.f.sf(host, self.k_vars, self.results.df_resid)

    @property
    def _threshold(self) -> float:
        return 2 * math.sqrt(self.k_vars / self.nobs)

    @property
    def dffits_internal(self) -> tuple[Any, float]:
        """DFFITS from internally studentized residuals, and the threshold ``2 sqrt(k/n)``."""
        return self._out(self._internal * torch.sqrt(self._h / (1 - self._h))), self._threshold

    @property
    def dffits(self) -> tuple[Any, float]:
        """DFFITS from externally studentized residuals, and the threshold ``2 sqrt(k/n)``."""
        return self._out(self._external * torch.sqrt(self._h / (1 - self._h))), self._threshold

    @property
    def dfbeta(self) -> Any:
        """``b - b_(i)``: change of each coefficient when observation ``i`` is left out."""
        return self._out(self._dfbeta)

    @property
    def params_not_obsi(self) -> Any:
        """Coefficients of each leave-one-out fit, shape (n, k)."""
        return self._out(self.results.fit_result.params[None, :] - self._dfbeta)

    @property
    def dfbetas(self) -> Any:
        """DFBETA scaled by ``s_(i) sqrt(((X'X)^{-1})_jj)``."""
        scaled = self._dfbeta / torch.sqrt(self._sigma2_not_obsi)[:, None]
        return self._out(scaled / torch.sqrt(torch.diagonal(self._inverse))[None, :])

    def summary_frame(self) -> pd.DataFrame:
        """DFBETAS (``dfb_<name>``) and the six measures, indexed by observation."""

        def host(values: Any) -> np.ndarray:
            return values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else values

        index = self._output.row_index
        names = ["dfb_" + name for name in self._output.param_names]
        frame = pd.DataFrame(host(self.dfbetas), columns=names, index=index)
        measures = pd.DataFrame(
            {
                "cooks_d": host(self.cooks_distance[0]),
                "standard_resid": host(self.resid_studentized_internal),
                "hat_diag": host(self.hat_matrix_diag),
                "dffits_internal": host(self.dffits_internal[0]),
                "student_resid": host(self.resid_studentized_external),
                "dffits": host(self.dffits[0]),
            },
            index=index,
        )
        return frame.join(measures)

    def summary_table(self, float_fmt: str = "%6.3f") -> SummaryTable:
        """All influence measures in one table (statsmodels' ``summary_table``).

        Parameters
        ----------
        float_fmt : str
            ``%``-format of the float columns.

        Returns
        -------
        SummaryTable
            Renders as statsmodels' ``SimpleTable``; the numbers are also stored as
            :attr:`table_data`, an ``(n, 9)`` array.
        """
        table, self.table_data = influence_table(
            [
                ("obs", np.arange(self.nobs)),
                ("endog", self.endog),
                ("fitted\nvalue", self.results.fittedvalues),
                ("Cook's\nd", self.cooks_distance[0]),
                ("student.\nresidual", self.resid_studentized_internal),
                ("hat diag", self.hat_matrix_diag),
                ("dffits \ninternal", self.dffits_internal[0]),
                ("ext.stud.\nresidual", self.resid_studentized_external),
                ("dffits", self.dffits[0]),
            ],
            float_fmt,
        )
        return table


def outlier_test(
    model_results: Any,
    method: str = "bonf",
    alpha: float = 0.05,
    labels: Any = None,
    order: bool = False,
    cutoff: float | None = None,
) -> pd.DataFrame | np.ndarray:
    """Outlier test on the externally studentized residuals, adjusted for multiple tests.

    Parameters
    ----------
    model_results : RegressionResults
        A fitted torchstats OLS or WLS model.
    method : str
        Any :func:`~torchstats.inference.multitest.multipletests` method; default Bonferroni.
    alpha : float
        Level of the multiple test.
    labels : sequence, optional
        Row labels; default the rows used in the fit (pandas input).
    order : bool
        Sort by decreasing absolute studentized residual.
    cutoff : float, optional
        Keep only the rows whose adjusted p-value is below it.

    Returns
    -------
    DataFrame or ndarray
        Columns ``student_resid``, ``unadj_p`` and ``<method>(p)``; a plain array when
        there are no labels (numpy input), as statsmodels.

    Notes
    -----
    ``statsmodels.stats.outliers_influence.outlier_test``: two-sided t p-values with
    ``df_resid - 1`` degrees of freedom.
    """
    if labels is None:
        design = getattr(model_results.model, "design", None)
        labels = getattr(design, "row_index", None)
    studentized = model_results.get_influence().resid_studentized_external
    if isinstance(studentized, torch.Tensor):
        studentized = studentized.detach().cpu()
    resid = np.asarray(studentized, dtype=np.float64).reshape(-1)
    if order:
        idx = np.abs(resid).argsort()[::-1]
        resid = resid[idx]
        if labels is not None:
            labels = np.asarray(labels)[idx]
    unadj_p = stats.t.sf(np.abs(resid), model_results.df_resid - 1) * 2
    # an observation of leverage one has no test (NaN); the others are adjusted among
    # themselves (statsmodels gives it 0 and p = 1, and counts it)
    tested = ~np.isnan(unadj_p)
    adjusted = np.full_like(unadj_p, np.nan)
    if tested.any():
        adjusted[tested] = multipletests(unadj_p[tested], alpha=alpha, method=method)[1]
    data = np.c_[resid, unadj_p, adjusted]
    mask: Any = slice(None)
    if cutoff is not None:
        mask = data[:, -1] < cutoff
        data = data[mask]
    if labels is None:
        return data
    return pd.DataFrame(
        data,
        columns=["student_resid", "unadj_p", method + "(p)"],
        index=np.asarray(labels)[mask],
    )
