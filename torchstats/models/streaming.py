"""Least squares on data that do not fit in memory: chunks, Parquet datasets, many processes.

``StreamingOLS`` reads the data in passes — levels of categorical columns (unless known),
sufficient statistics, then residual statistics at the estimate — and gives the same results
object, with the same numbers, as the in-memory fit. With ``distributed=True`` every
process reads its own shard and the sums are all-reduced (``torch.distributed``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import torch

from torchstats._device import resolve_device, resolve_dtype
from torchstats.covariance.nonrobust import nonrobust_covariance
from torchstats.covariance.result import CovarianceResult
from torchstats.covariance.sandwich import SandwichInputs, canonical_cov_type
from torchstats.errors import (
    CollinearityWarning,
    EmptyDataError,
    InvalidOptionError,
    InvalidWeightsError,
    SingularDesignError,
    TorchstatsError,
    warn,
)
from torchstats.models.base import Model, caller_context
from torchstats.results.streaming import StreamedMoments, StreamingRegressionResults
from torchstats.solvers.result import SolverResult
from torchstats.solvers.scaling import numerical_rank
from torchstats.streaming.chunks import Chunk, ChunkDesigner
from torchstats.streaming.distributed import make_reducer
from torchstats.streaming.passes import StreamedScores, progress, residual_pass, whitened
from torchstats.streaming.sources import DEFAULT_BATCH_ROWS, chunk_source
from torchstats.streaming.suffstats import SufficientStats

__all__ = ["StreamedModel", "StreamingOLS"]

# Beyond this condition number of the equilibrated X'X even refined normal equations cannot
# promise digits (refinement converges only while cond * eps < 1); the in-memory QR path is
# then the way.
_MAX_GRAM_COND = 1e13
# Refinement passes at most; each costs a pass over the data and gains about
# -log10(cond * eps) digits, so two suffice up to the bound above.
_MAX_REFINEMENTS = 3
# Relative distance of the (weighted) ones vector from the column space below which the
# design has an implicit constant (as models.constant, from the Gram matrix).
_IMPLICIT_CONSTANT_TOL = 1e-12


class StreamedModel(Model):
    """What every model fitted by streaming over chunks shares: the source, the chunk
    designer, the process group, the row count of the last fit, no per-row arrays.

    Parameters
    ----------
    formula : str
    data : list of DataFrames, callable, Parquet path or pyarrow Dataset
        See :func:`torchstats.streaming.sources.chunk_source`.
    row_columns : mapping of str to str
        Per-row columns by role (``{"weights": "w"}``, ``{"offset": "o"}``, ...).
    namespace : mapping, optional
        The caller's variables for the formula.
    missing, categories, batch_rows, distributed, progress, device, dtype
        As for :class:`StreamingOLS`.
    """

    def __init__(
        self,
        formula: str,
        data: Any,
        *,
        row_columns: Mapping[str, Any],
        namespace: Mapping[str, Any] | None,
        missing: str,
        categories: Mapping[str, Sequence[Any]] | None,
        batch_rows: int,
        distributed: Any,
        progress: bool,
        device: Any,
        dtype: Any,
    ) -> None:
        for role, column in row_columns.items():
            if not isinstance(column, str):
                raise InvalidOptionError(
                    f"for streamed data, {role} must name a column of the data, e.g. "
                    f"{role}='{role[0]}'"
                )
        self.reducer = make_reducer(distributed)
        self.progress = progress
        self.source = chunk_source(data, batch_rows=batch_rows)
        with self.reducer.guard():  # the levels pass talks to the other processes
            self.designer = ChunkDesigner(
                formula,
                self.source,
                row_columns=row_columns,
                missing=missing,
                categories=categories,
                context=namespace,
                reducer=self.reducer,
                device=resolve_device(device),
                dtype=resolve_dtype(dtype),
            )
            self.design = self.designer.design()
        self._streamed_nobs: int | None = None

    @property
    def formula(self) -> str:
        """The formula."""
        return self.designer.plan.text

    @property
    def nobs(self) -> float:
        """Observations streamed by the last fit.

        Raises
        ------
        TorchstatsError
            Before the first fit (the data are counted in its first pass).
        """
        if self._streamed_nobs is None:
            raise TorchstatsError("nobs of streamed data is known after fit() has read them")
        return float(self._streamed_nobs)

    @property
    def df_resid(self) -> float:
        """``nobs - rank`` (known after fit)."""
        return self.nobs - self.rank

    def _not_kept(self, name: str) -> TorchstatsError:
        return TorchstatsError(
            f"{name} is not available for streamed data: the rows are read chunk by chunk "
            "and not kept"
        )

    @property
    def endog(self) -> Any:
        raise self._not_kept("endog")

    @property
    def exog(self) -> Any:
        raise self._not_kept("exog")

    @property
    def data(self) -> Any:
        raise self._not_kept("data")


class StreamingOLS(StreamedModel):
    """OLS (or WLS, with a weights column) fitted by streaming over chunks.

    Parameters
    ----------
    formula : str
        Formula with a response.
    data : list of DataFrames, callable, Parquet path or pyarrow Dataset
        See :func:`torchstats.streaming.sources.chunk_source`; a one-shot iterator can only
        serve a single pass and is refused when the fit needs more.
    weights : str, optional
        Name of a weights column (WLS).
    missing : {"drop", "raise"}
        Rows with missing values in used columns are dropped (default) or refused.
    categories : mapping of str to sequence, optional
        Levels of categorical columns; otherwise taken from a ``Categorical`` dtype or found
        in one pass over those columns.
    batch_rows : int
        Rows per batch when reading Parquet.
    distributed : bool or ProcessGroup
        Combine the sums of all processes of the default (or given) process group.
    progress : bool
        Show a tqdm progress bar for each pass (if tqdm is installed).
    device, dtype, context
        As for :class:`~torchstats.OLS`.
    """

    def __init__(
        self,
        formula: str,
        data: Any,
        *,
        weights: str | None = None,
        missing: str = "drop",
        categories: Mapping[str, Sequence[Any]] | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        distributed: Any = False,
        progress: bool = False,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        self.model_name = "WLS" if weights is not None else "OLS"
        super().__init__(
            formula,
            data,
            row_columns={} if weights is None else {"weights": weights},
            namespace=caller_context(context, 1),
            missing=missing,
            categories=categories,
            batch_rows=batch_rows,
            distributed=distributed,
            progress=progress,
            device=device,
            dtype=dtype,
        )

    _results_class = StreamingRegressionResults

    # --- fitting ---------------------------------------------------------------------------------

    def fit(
        self,
        method: str = "auto",
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
    ) -> StreamingRegressionResults:
        """Fit in passes over the data; the results equal the in-memory fit's.

        Parameters
        ----------
        method : {"auto", "cholesky"}
            Normal equations by Cholesky of the equilibrated ``X'WX`` with refinement steps
            on the residuals (the only method that streams).
        cov_type, cov_kwds, use_t
            As for :meth:`torchstats.OLS.fit`; cluster groups are given by column name(s),
            e.g. ``cov_kwds={"groups": "firm"}``. Robust covariances cost one more pass.
        """
        if method not in ("auto", "cholesky"):
            raise InvalidOptionError(
                f"unknown method {method!r} for streamed data; choose 'auto' or 'cholesky' "
                "(QR needs the whole design in memory)"
            )
        canonical_cov_type(cov_type)
        with self.reducer.guard():  # an error in any process stops every process with it
            stats = self._sufficient_stats()
            fit, moments = self._solve(stats)
            return self._report(fit, cov_type, cov_kwds, use_t, moments=moments)

    def classical_covariance(self, fit: SolverResult, use_t: bool | None) -> CovarianceResult:
        """``s^2 (X'WX)^{-1}``, ``s^2`` the fit's residual variance (``fit.scale``)."""
        assert fit.normalized_cov is not None
        return nonrobust_covariance(
            fit.normalized_cov,
            fit.scale,
            df_resid=self.nobs - fit.rank,
            use_t=True if use_t is None else bool(use_t),
        )

    def sandwich_inputs(self, fit: SolverResult, cov_type: str) -> SandwichInputs:
        """The least-squares sandwich with the scores summed chunk by chunk (one more pass)."""
        assert fit.normalized_cov is not None
        params, bread = fit.params, fit.normalized_cov

        def scores_of(chunk: Chunk) -> torch.Tensor:
            Xw, r = whitened(chunk, params)
            return Xw * r[:, None]

        def leverage_of(chunk: Chunk) -> torch.Tensor:
            Xw, _ = whitened(chunk, params)
            return ((Xw @ bread) * Xw).sum(dim=1)

        scores = StreamedScores(
            self.designer,
            scores_of,
            k_params=int(params.shape[0]),
            nobs=int(self.nobs),
            reducer=self.reducer,
            show_progress=self.progress,
            leverage_of=leverage_of,
        )
        return SandwichInputs(
            bread=fit.normalized_cov,
            scores=scores,
            df_resid=self.nobs - fit.rank,
            leverage_available=True,
        )

    def _sufficient_stats(self) -> SufficientStats:
        total: SufficientStats | None = None
        for chunk in progress(self.designer.chunks(), self.progress, "X'X"):
            part = SufficientStats.of_chunk(chunk.exog, chunk.endog, chunk.weights)
            total = part if total is None else total + part
        if total is None:
            raise EmptyDataError(f"no observations left in {self.source.description}")
        total = total.reduced(self.reducer)
        self._streamed_nobs = int(total.nobs)
        if "weights" in self.designer.row_columns and not float(total.sum_w) > 0:
            raise InvalidWeightsError("all weights are zero; nothing to fit")
        return total

    def _solve(self, stats: SufficientStats) -> tuple[SolverResult, StreamedMoments]:
        gram = stats.gram
        present = self._nonzero_columns(gram)
        sub = gram[present][:, present]
        d = torch.exp2(torch.round(torch.log2(torch.sqrt(torch.diagonal(sub)))))
        scaled = sub / d[:, None] / d[None, :]
        eigenvalues = torch.linalg.eigvalsh(scaled)
        factor, info = torch.linalg.cholesky_ex(scaled)
        cond = float(eigenvalues[-1] / eigenvalues[0].clamp(min=torch.finfo(gram.dtype).tiny))
        rank = numerical_rank(
            torch.sqrt(eigenvalues.clamp(min=0)).flip(0), (int(stats.nobs), sub.shape[0])
        )
        if int(info) != 0 or rank < sub.shape[0] or not cond <= _MAX_GRAM_COND:
            raise SingularDesignError(
                f"X'X of the streamed design is singular or too ill-conditioned (condition "
                f"number about {cond:.1e} after equilibration): drop or combine collinear "
                "columns, or fit in memory with method='qr'"
            )

        def solve(rhs: torch.Tensor) -> torch.Tensor:
            """``(X'WX)^+ rhs``: the all-zero columns' entries are 0, as with pinv."""
            solution = torch.zeros_like(rhs)
            part = torch.cholesky_solve((rhs[present] / d)[:, None], factor)[:, 0] / d
            return solution.index_put((present,), part)

        params = solve(stats.xty)
        y_mean = stats.sum_wy / stats.sum_w
        steps = 0
        while steps < _MAX_REFINEMENTS:
            steps += 1
            resid_mean = (stats.sum_sqrt_w_y - stats.xt_sqrt_w @ params) / stats.nobs
            residuals = residual_pass(
                self.designer,
                params,
                y_mean=y_mean,
                resid_mean=resid_mean,
                reducer=self.reducer,
                show_progress=self.progress,
            )
            step = solve(residuals.xtr)
            # Residual sums at params + step, from those at params (exact up to step^2 terms,
            # which are below rounding once the step is this small).
            ssr = residuals.ssr - 2 * step @ residuals.xtr + step @ gram @ step
            params = params + step
            if float(step.abs().max()) <= 1e-10 * float(params.abs().max()):
                break
        inverse = torch.cholesky_solve(
            torch.eye(sub.shape[0], dtype=gram.dtype, device=gram.device), factor
        )
        normalized_cov = torch.zeros_like(gram)
        normalized_cov[present[:, None] & present[None, :]] = (
            inverse / d[:, None] / d[None, :]
        ).reshape(-1)
        fit = SolverResult(
            params=params,
            method=f"streamed Cholesky ({steps} refinement pass(es))",
            n_iter=steps,
            rank=rank,
            normalized_cov=normalized_cov,
            singular_values=torch.sqrt(torch.linalg.eigvalsh(gram).clamp(min=0)).flip(0),
        )
        moments = StreamedMoments.from_sums(stats, residuals, ssr=ssr)
        fit = replace(fit, scale=float(moments.ssr) / (moments.nobs - rank))
        self._constant = self._detect_constant(stats, solve)
        return fit, moments

    def _nonzero_columns(self, gram: torch.Tensor) -> torch.Tensor:
        """Mask of the design columns that are not zero in every row used.

        A zero column (a category level that never occurs, e.g. an unused level of a pandas
        ``Categorical``) makes the design rank deficient; the in-memory fit keeps it, as
        statsmodels, and reports the minimum-norm solution, which gives it a coefficient and
        a standard error of 0. The streamed fit solves without it to the same numbers.
        """
        present = torch.diagonal(gram) > 0
        if not bool(present.any()):
            raise SingularDesignError(
                f"every column of the design is zero in {self.source.description}; nothing to fit"
            )
        if not bool(present.all()):
            zero = [n for n, keep in zip(self.exog_names, present.tolist()) if not keep]
            k = len(self.exog_names)
            warn(
                f"the design matrix is rank deficient (rank {k - len(zero)} < {k} columns): "
                f"column(s) {zero} are zero in every row of {self.source.description} (a "
                "category level that never occurs?); their coefficients are 0, the "
                "minimum-norm solution as statsmodels' pinv. Remove unused levels (e.g. "
                "df['g'].cat.remove_unused_categories(), or categories=...) to drop them.",
                CollinearityWarning,
            )
        return present

    def _detect_constant(self, stats: SufficientStats, solve: Any) -> tuple[int, int | None]:
        intercept = dict(self.design.terms).get("Intercept")
        if intercept is not None:
            return 1, intercept[0]
        n = stats.nobs
        diagonal, column_sums = torch.diagonal(stats.gram), stats.xt_w
        if "weights" not in self.designer.row_columns:
            ones = torch.nonzero((column_sums != 0) & (diagonal * n == column_sums**2)).flatten()
            if ones.numel():
                return 1, int(ones[0])
        distance = stats.sum_w - column_sums @ solve(column_sums)
        return (1 if float(distance) <= _IMPLICIT_CONSTANT_TOL * float(stats.sum_w) else 0), None

    @property
    def k_constant(self) -> int:
        """1 if the design has a constant (explicit or implicit), else 0; known after fit."""
        return self._constant[0]

    @property
    def const_idx(self) -> int | None:
        """Index of the constant column, if explicit."""
        return self._constant[1]

    def loglike(self, params: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("the streamed log-likelihood is evaluated at the estimate only")

    def __repr__(self) -> str:
        return f"<torchstats.StreamingOLS formula={self.formula!r} over {self.source.description}>"
