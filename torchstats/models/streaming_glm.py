"""Generalised linear models on data that do not fit in memory: chunks, Parquet, processes.

``StreamingGLM`` fits by IRLS with one pass over the data per iteration
(:mod:`~torchstats.streaming.glm_passes`): the in-memory fit's start, criterion, scale
updates and step halving, so the estimate, the standard errors and the iteration count
equal the in-memory :class:`~torchstats.GLM` fit's. The log-likelihood, the constant-only
model (``llnull``) and robust covariances each cost passes of their own, taken when asked
for. With ``distributed=True`` every process reads its own shard and the sums are
all-reduced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch

from torchstats.covariance.nonrobust import nonrobust_covariance
from torchstats.covariance.result import CovarianceResult
from torchstats.covariance.sandwich import SandwichInputs, canonical_cov_type
from torchstats.errors import (
    ConvergenceWarning,
    DomainWarning,
    InvalidOptionError,
    PerfectSeparationWarning,
    SpecificationWarning,
    warn,
)
from torchstats.families import links as L
from torchstats.families.families import Family
from torchstats.inference.degrees_of_freedom import per_degree_of_freedom, warn_no_residual_df
from torchstats.models.base import caller_context
from torchstats.models.glm import DIVERGING_STEP, checked_family, predict_new
from torchstats.models.separation import warn_if_separated
from torchstats.models.streaming import StreamedModel
from torchstats.results.streaming_glm import StreamedDeviance, StreamingGLMResults
from torchstats.solvers.result import SolverResult
from torchstats.streaming.chunks import Chunk
from torchstats.streaming.glm_passes import IterationSums, StreamedGLMData, streamed_irls
from torchstats.streaming.passes import StreamedScores
from torchstats.streaming.sources import DEFAULT_BATCH_ROWS

__all__ = ["StreamingGLM"]

_ROW_ROLES = ("offset", "exposure", "freq_weights", "var_weights")


@dataclass(frozen=True, slots=True)
class _ConstantColumn:
    """The design's constant: ``(k_constant, index)`` (index None when implicit)."""

    k_constant: int
    index: int | None


class StreamingGLM(StreamedModel):
    """A GLM fitted by streaming over chunks; the results equal the in-memory fit's.

    Parameters
    ----------
    formula : str
        Formula with a response (one column: a binomial response is a proportion or 0/1).
    data : list of DataFrames, callable, Parquet path or pyarrow Dataset
        See :func:`torchstats.streaming.sources.chunk_source`.
    family : Family, optional
        Default Gaussian, as :class:`~torchstats.GLM`.
    offset, exposure, freq_weights, var_weights : str, optional
        Columns of the data (exposure needs the log link).
    missing, categories, batch_rows, distributed, progress, device, dtype, context
        As for :class:`~torchstats.models.streaming.StreamingOLS`.
    """

    model_name = "GLM"
    _df_model_assumes_constant = True
    _results_class = StreamingGLMResults

    def __init__(
        self,
        formula: str,
        data: Any,
        family: Family | None = None,
        *,
        offset: str | None = None,
        exposure: str | None = None,
        freq_weights: str | None = None,
        var_weights: str | None = None,
        missing: str = "drop",
        categories: Mapping[str, Sequence[Any]] | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        distributed: Any = False,
        progress: bool = False,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        self.family = checked_family(family)
        given = dict(zip(_ROW_ROLES, (offset, exposure, freq_weights, var_weights)))
        if exposure is not None and not isinstance(self.family.link, L.Log):
            raise InvalidOptionError(
                "exposure can only be used with the log link (its log is added to the "
                f"linear predictor); the {type(self.family.link).__name__} link was given"
            )
        super().__init__(
            formula,
            data,
            row_columns={role: c for role, c in given.items() if c is not None},
            namespace=caller_context(context, 1),
            missing=missing,
            categories=categories,
            batch_rows=batch_rows,
            distributed=distributed,
            progress=progress,
            device=device,
            dtype=dtype,
        )
        self._wnobs: float | None = None
        intercept = dict(self.design.terms).get("Intercept")
        self._intercept_column = None if intercept is None else _ConstantColumn(1, intercept[0])

    def _data(self, constant_only: bool = False) -> StreamedGLMData:
        return StreamedGLMData(
            self.designer, self.family, self.reducer, self.progress, constant_only
        )

    # --- sizes ----------------------------------------------------------------------------------

    @property
    def wnobs(self) -> float:
        """``sum(freq_weights)`` over the rows of the last fit."""
        if self._wnobs is None:
            raise self._not_kept("wnobs before fit()")
        return self._wnobs

    @property
    def df_resid(self) -> float:
        """``wnobs - rank``."""
        return self.wnobs - self.rank

    @property
    def k_constant(self) -> int:
        """1 if the design has a constant (an intercept, or a column of one value)."""
        return self._constant_column.k_constant

    @property
    def const_idx(self) -> int | None:
        """Index of the constant column, if any."""
        return self._constant_column.index

    @cached_property
    def _constant_column(self) -> _ConstantColumn:
        if self._intercept_column is not None:
            return self._intercept_column
        # a column of one nonzero value: n sum(x^2) = (sum x)^2 != 0 (one pass)
        k = len(self.exog_names)
        totals = torch.zeros(2 * k + 1, dtype=self.designer.dtype, device=self.designer.device)
        with self.reducer.guard():
            for chunk in self.designer.chunks():
                X = chunk.exog
                count = torch.tensor([X.shape[0]], dtype=X.dtype, device=X.device)
                totals = totals + torch.cat([X.sum(dim=0), (X * X).sum(dim=0), count])
            totals = self.reducer.sum(totals)
        sums, squares, n = totals[:k], totals[k : 2 * k], totals[-1]
        gap = (n * squares - sums**2).abs() <= 1e-12 * n * squares
        constant = torch.nonzero(gap & (sums != 0)).flatten().tolist()
        return _ConstantColumn(1, int(constant[0])) if constant else _ConstantColumn(0, None)

    # --- fitting --------------------------------------------------------------------------------

    def scale_rule(self, scaletype: Any = None) -> Any:
        """``(sums, rank) -> scale`` for ``fit(scale=...)``: None, "X2", "dev" or a number.

        Raises
        ------
        InvalidOptionError
            An unknown scale type.
        """
        if scaletype is None:
            if self.family.fixed_scale:
                return lambda sums, rank: 1.0
            scaletype = "x2"
        if isinstance(scaletype, str) and scaletype.lower() in ("x2", "dev"):
            pearson = scaletype.lower() == "x2"

            def estimated(sums: IterationSums, rank: int) -> float:
                total = sums.pearson_chi2 if pearson else sums.deviance
                return per_degree_of_freedom(total, sums.wnobs - rank)

            return estimated
        if isinstance(scaletype, (int, float)) and not isinstance(scaletype, bool):
            return lambda sums, rank: float(scaletype)
        raise InvalidOptionError(
            f"unknown scale {scaletype!r}; choose None (the family's default), 'X2' (Pearson), "
            "'dev' (deviance) or a number"
        )

    def fit(
        self,
        start_params: Any = None,
        maxiter: int = 100,
        method: str = "IRLS",
        tol: float = 1e-8,
        scale: Any = None,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
        *,
        rtol: float = 0.0,
        atol: float | None = None,
    ) -> StreamingGLMResults:
        """Fit by IRLS in passes over the data (one per iteration).

        Parameters
        ----------
        start_params, maxiter, tol, scale, rtol, atol
            As for :meth:`torchstats.GLM.fit` with ``method="IRLS"``.
        method : {"IRLS"}
            The only method that streams.
        cov_type : {"nonrobust", "HC0", "HC1", "cluster"}
            Robust covariances cost one pass for the observed information and one for the
            scores; cluster groups are given by column name(s).
        cov_kwds, use_t
            As for :meth:`torchstats.GLM.fit`.

        Warns
        -----
        ConvergenceWarning
            IRLS stopped at ``maxiter``.
        """
        if not isinstance(method, str) or method.lower() != "irls":
            raise InvalidOptionError(
                f"unknown method {method!r} for streamed data; only 'IRLS' streams (one pass "
                "over the data per iteration)"
            )
        canonical_cov_type(cov_type)
        if not isinstance(maxiter, int) or maxiter < 0:
            raise InvalidOptionError(f"maxiter must be a non-negative integer, got {maxiter!r}")
        rule = self.scale_rule(scale)
        start = None
        if start_params is not None:
            start = torch.as_tensor(start_params, dtype=self.designer.dtype).to(
                self.designer.device
            )
            if start.shape != (len(self.exog_names),):
                raise InvalidOptionError(
                    f"start_params has shape {tuple(start.shape)}; the model has "
                    f"{len(self.exog_names)} parameters"
                )
        with self.reducer.guard():  # an error in any process stops every process with it
            found = streamed_irls(
                self._data(),
                scale_of=rule,
                start_params=start,
                maxiter=maxiter,
                atol=tol if atol is None else atol,
                rtol=rtol,
            )
            self._streamed_nobs = int(round(found.sums.nobs))
            self._wnobs = found.sums.wnobs
            self._warn_about(found.sums, found.params, found.converged, found.history, maxiter)
            fit = SolverResult(
                params=found.params,
                method="IRLS",
                converged=found.converged,
                n_iter=len(found.history) - 1,
                message="deviance converged" if found.converged else "maximum iterations",
                rank=found.rank,
                normalized_cov=found.normalized_cov,
                scale=found.scale,
            )
            estimated = isinstance(scale, str) or (scale is None and not self.family.fixed_scale)
            if estimated and self.df_resid == 0:
                warn_no_residual_df("GLM", self.wnobs, self.rank, "the dispersion (scale)")
            history = {
                "method": "IRLS",
                "iteration": fit.n_iter,
                "deviance": found.history,
                "settings": {"optimizer": "IRLS", "wls_method": "cholesky"},
            }
            sums = StreamedDeviance(
                deviance=found.sums.deviance,
                pearson_chi2=found.sums.pearson_chi2,
                weighted_ssr=found.sums.weighted_ssr,
            )
            return self._report(
                fit, cov_type, cov_kwds, use_t, scaletype=scale, history=history, sums=sums
            )

    def _warn_about(
        self,
        sums: IterationSums,
        params: torch.Tensor,
        converged: bool,
        history: list[float],
        maxiter: int,
    ) -> None:
        if not converged and maxiter > 0:
            warn(
                f"GLM: IRLS did not converge in {maxiter} iterations (last change of the "
                f"deviance {abs(history[-1] - history[-2]):.3g}); increase maxiter, or check "
                "the link and the data",
                ConvergenceWarning,
            )
        if sums.invalid:
            warn(
                f"GLM: {int(sums.invalid)} fitted mean(s) lie outside the range of the "
                f"{type(self.family).__name__} family (the {type(self.family.link).__name__} "
                "link does not keep them there); llf, deviance and standard errors are not "
                "valid. Use the family's canonical link or constrain the model",
                DomainWarning,
            )
        if not sums.unfitted:
            warn(
                "GLM: perfect separation or prediction detected (every fitted mean equals its "
                "response); parameters may not be identified",
                PerfectSeparationWarning,
            )
        elif sums.boundary:  # the in-memory GLM's quasi-separation check (GLM._newton_moves)
            # at the estimate, the IRLS sums are the information and the score (scale 1)
            step = torch.linalg.pinv(sums.gram, hermitian=True) @ sums.rhs
            warn_if_separated(
                "GLM",
                int(sums.boundary),
                int(sums.nobs),
                lambda: (
                    not converged
                    or self._data().boundary_rows_moved(params, step, DIVERGING_STEP) > 0
                ),
            )

    @property
    def rank(self) -> int:
        """Rank of the design (known after fit; a streamed design must have full rank)."""
        if self._streamed_nobs is None:
            raise self._not_kept("rank before fit()")
        return len(self.exog_names)

    def predict(
        self,
        params: Any,
        exog: Any = None,
        exposure: Any = None,
        offset: Any = None,
        which: str = "mean",
    ) -> torch.Tensor:
        """Predictions for new rows ``exog`` (a design matrix), as :meth:`torchstats.GLM.predict`
        (offset and exposure default to none); the fitted rows are not kept."""
        if exog is None:
            raise self._not_kept("predict() for the fitted rows")
        params = torch.as_tensor(params, dtype=self.designer.dtype).to(self.designer.device)
        return predict_new(self.family, params, exog, exposure, offset, which)

    # --- what results ask for -------------------------------------------------------------------

    def loglike_at(self, params: torch.Tensor, scale: float) -> float:
        """The log-likelihood at ``params`` and ``scale`` (one pass)."""
        with self.reducer.guard():
            return self._data().loglike(params, scale)

    def null_fit(self, scale: float) -> tuple[float, float]:
        """``(null deviance, llnull at scale)`` of the constant-only model with the same
        offset, exposure and weights (IRLS passes with a column of ones, then one pass)."""
        with self.reducer.guard():
            data = self._data(constant_only=True)
            start = self.family.predict(
                torch.tensor([data.response_mean()], dtype=self.designer.dtype)
            ).to(self.designer.device)
            found = streamed_irls(data, scale_of=lambda sums, rank: 1.0, start_params=start)
            if not found.converged:
                warn(
                    "GLM: the constant-only model behind llnull and null_deviance did not "
                    "converge; both are unreliable",
                    ConvergenceWarning,
                )
            return data.deviance_and_loglike(found.params, scale)

    def classical_covariance(self, fit: SolverResult, use_t: bool | None) -> CovarianceResult:
        """``scale (X'WX)^{-1}`` at the last working weights; normal inference by default."""
        assert fit.normalized_cov is not None
        return nonrobust_covariance(
            fit.normalized_cov, fit.scale, df_resid=self.df_resid, use_t=bool(use_t)
        )

    def sandwich_inputs(self, fit: SolverResult, cov_type: str) -> SandwichInputs:
        """The observed-information bread (one pass) and the scores summed chunk by chunk
        (one more pass), as :meth:`torchstats.GLM.sandwich_inputs`.

        Raises
        ------
        InvalidOptionError
            HC2/HC3 (they need the leverages of the working weights) and HAC.
        """
        kind = canonical_cov_type(cov_type)
        if kind not in ("HC0", "HC1", "cluster"):
            raise InvalidOptionError(
                f"cov_type={cov_type!r} is not available for a streamed GLM; choose "
                "'nonrobust', 'HC0', 'HC1' or 'cluster', or fit in memory"
            )
        weighted = self.designer.row_columns.keys() & {"freq_weights", "var_weights"}
        if kind != "HC0" and kind != "HC1" and weighted:
            warn(f"cov_type {cov_type!r} is not fully supported with weights", SpecificationWarning)
        data, params, scale = self._data(), fit.params, fit.scale
        with self.reducer.guard():
            bread = torch.linalg.inv(data.observed_information(params, scale))
        divide = "freq_weights" in self.designer.row_columns and kind != "cluster"

        def scores_of(chunk: Chunk) -> torch.Tensor:
            scores = data.scores(chunk, params, scale)
            if divide:
                # a row of frequency zero has score zero (not 0 / 0), as in memory
                root = torch.sqrt(chunk.extras["freq_weights"])[:, None]
                return torch.where(root > 0, scores / torch.where(root > 0, root, 1.0), 0.0)
            return scores

        scores = StreamedScores(
            self.designer,
            scores_of,
            k_params=int(params.shape[0]),
            nobs=int(self.nobs),
            reducer=self.reducer,
            show_progress=self.progress,
        )
        return SandwichInputs(
            bread=bread,
            scores=scores,
            df_resid=float(self.nobs - params.shape[0]),
            hc1_correction=False,
            leverage_available=False,
        )

    def __repr__(self) -> str:
        return (
            f"<torchstats.StreamingGLM formula={self.formula!r}, family={self.family!r} over "
            f"{self.source.description}>"
        )
