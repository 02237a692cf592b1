"""Logit, Probit and Poisson on data that do not fit in memory: chunks, Parquet, processes.

``StreamingDiscrete`` maximises the same log-likelihood as the in-memory
:class:`~torchstats.Logit`, :class:`~torchstats.Probit` and :class:`~torchstats.Poisson`
with the same driver (:mod:`~torchstats.models.discrete_fit`: torch's damped Newton by
default, or any of statsmodels' scipy methods): the value, the gradient and the Hessian at
a point are sums over rows, so each evaluation is one pass over the data
(:meth:`~torchstats.streaming.glm_passes.StreamedGLMData.newton_sums`) and the iterates
are the in-memory fit's. Results are the in-memory results classes without per-row
outputs (:mod:`~torchstats.results.streaming_discrete`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import torch

from torchstats.covariance.nonrobust import nonrobust_covariance
from torchstats.covariance.result import CovarianceResult
from torchstats.covariance.sandwich import SandwichInputs, canonical_cov_type
from torchstats.errors import ConvergenceWarning, DesignError, InvalidOptionError, warn
from torchstats.families import links as L
from torchstats.families.families import Binomial, Family, Poisson
from torchstats.models.base import caller_context
from torchstats.models.discrete_fit import fit_newton, fit_scipy, inverse_information
from torchstats.models.glm import predict_new
from torchstats.models.separation import PERFECT_PREDICTION_TOL, nearly_singular, warn_if_separated
from torchstats.models.streaming import StreamedModel
from torchstats.results.streaming_discrete import (
    StreamingBinaryResults,
    StreamingCountResults,
)
from torchstats.solvers.optimizers import check_optimizer_options, print_newton_report
from torchstats.solvers.result import SolverResult
from torchstats.streaming.chunks import Chunk
from torchstats.streaming.glm_passes import StreamedGLMData, gram_solver
from torchstats.streaming.passes import StreamedScores
from torchstats.streaming.sources import DEFAULT_BATCH_ROWS

__all__ = ["StreamingDiscrete", "DISCRETE_KINDS"]

DISCRETE_KINDS = ("Logit", "Probit", "Poisson")
"""The models that stream: single-index likelihoods of a GLM family at scale 1."""

# statsmodels' start of Poisson's slopes for its scipy methods (torch's Newton starts at 0).
_SLOPE_START = 0.001


def _family(model_name: str) -> Family:
    if model_name == "Logit":
        return Binomial()
    if model_name == "Probit":
        return Binomial(L.Probit())
    return Poisson()


class PassLikelihood:
    """The log-likelihood and its derivatives, each evaluation one pass over the data, with
    the hooks of :mod:`~torchstats.models.discrete_fit`'s drivers (no reparametrisation)."""

    def _passes(self) -> StreamedGLMData:
        raise NotImplementedError

    def _sums(
        self, params: Any, derivatives: int
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """:meth:`StreamedGLMData.newton_sums`, remembering the last point: the drivers ask
        for the value, gradient and Hessian at the estimate separately, and results for the
        log-likelihood again; one pass serves them all."""
        data = self._passes()
        point = torch.as_tensor(params, dtype=data.designer.dtype).to(data.designer.device)
        last = self.__dict__.get("_last_sums")
        if last is not None and last[1] >= derivatives and torch.equal(last[0], point):
            return last[2]
        found = data.newton_sums(point, derivatives)
        self.__dict__["_last_sums"] = (point.detach().clone(), derivatives, found)
        return found

    def forget_passes(self) -> None:
        """Drop the remembered point (a new fit may read changed data)."""
        self.__dict__.pop("_last_sums", None)

    def loglike(self, params: Any) -> torch.Tensor:
        """Log-likelihood at ``params`` (one pass)."""
        return self._sums(params, 0)[0]

    def score(self, params: Any) -> torch.Tensor:
        """Gradient of the log-likelihood (one pass)."""
        return self._internal_value_grad(params)[1].neg()

    def hessian(self, params: Any) -> torch.Tensor:
        """Hessian of the log-likelihood (one pass)."""
        return self._internal_derivatives(params)[2].neg()

    def _internal_objective(self, theta: torch.Tensor) -> torch.Tensor:
        return -self.loglike(theta)

    def _internal_value_grad(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        value, gradient, _ = self._sums(theta, 1)
        assert gradient is not None
        return -value, -gradient

    def _internal_derivatives(
        self, theta: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        value, gradient, hessian = self._sums(theta, 2)
        assert gradient is not None and hessian is not None
        return -value, -gradient, -hessian

    def _from_internal(self, theta: torch.Tensor) -> torch.Tensor:
        return theta

    def _reported_derivatives(
        self,
        theta: torch.Tensor,
        derivatives: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        value, gradient, hessian = derivatives
        return -value, -gradient, -hessian

    def _steps_internally(self, method: str) -> bool:
        return True


class StreamingDiscrete(StreamedModel, PassLikelihood):
    """Logit, Probit or Poisson fitted by streaming over chunks.

    Parameters
    ----------
    model_name : {"Logit", "Probit", "Poisson"}
    formula : str
        Formula with a response (0/1 for Logit and Probit, counts for Poisson).
    data : list of DataFrames, callable, Parquet path or pyarrow Dataset
        See :func:`torchstats.streaming.sources.chunk_source`.
    offset, exposure : str, optional
        Columns of the data (exposure: Poisson only).
    missing, categories, batch_rows, distributed, progress, device, dtype, context
        As for :class:`~torchstats.models.streaming.StreamingOLS`.
    """

    _df_model_assumes_constant = True
    k_extra = 0

    def __init__(
        self,
        model_name: str,
        formula: str,
        data: Any,
        *,
        offset: str | None = None,
        exposure: str | None = None,
        missing: str = "drop",
        categories: Mapping[str, Sequence[Any]] | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        distributed: Any = False,
        progress: bool = False,
        device: Any = None,
        dtype: Any = None,
        context: int | Mapping[str, Any] | None = 0,
    ) -> None:
        if model_name not in DISCRETE_KINDS:
            raise InvalidOptionError(
                f"{model_name!r} does not stream; choose one of {', '.join(DISCRETE_KINDS)}"
            )
        if exposure is not None and model_name != "Poisson":
            raise InvalidOptionError(f"{model_name} takes no exposure (Poisson does)")
        self.model_name = model_name
        self.accepts_exposure = model_name == "Poisson"
        """Whether ``predict`` takes an exposure (the count model), as in memory."""
        self.family = _family(model_name)
        given = {"offset": offset, "exposure": exposure}
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

    def _data(self, constant_only: bool = False) -> StreamedGLMData:
        return StreamedGLMData(
            self.designer,
            self.family,
            self.reducer,
            self.progress,
            constant_only,
            loglike_shift=getattr(self, "_bernoulli_shift", 0.0),
        )

    def _passes(self) -> StreamedGLMData:
        return self._data()

    def _tensor(self, values: Any) -> torch.Tensor:
        return torch.as_tensor(values, dtype=self.designer.dtype).to(self.designer.device)

    # --- fitting --------------------------------------------------------------------------------

    def _start(self, method: str) -> torch.Tensor:
        """statsmodels' start: zeros; Poisson's constant at its constant-only estimate (and
        slopes 0.001 for the scipy methods)."""
        k = len(self.exog_names)
        intercept = dict(self.design.terms).get("Intercept")
        if self.model_name != "Poisson" or intercept is None:
            return torch.zeros(k, dtype=self.designer.dtype, device=self.designer.device)
        slope = 0.0 if method == "newton" else _SLOPE_START
        start = torch.full((k,), slope, dtype=self.designer.dtype, device=self.designer.device)
        start[intercept[0]] = math.log(self._data().response_mean(relative_to_offset=True))
        return start

    def fit(
        self,
        start_params: Any = None,
        method: str = "newton",
        maxiter: int = 35,
        full_output: bool = True,
        disp: bool = False,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Fit as :meth:`torchstats.Logit.fit` (same methods, options and results), each
        evaluation of the likelihood one pass over the data.

        ``cov_type`` may be "nonrobust", "HC0", "HC1" or "cluster" (groups by column
        name); each robust covariance costs one more pass.
        """
        canonical_cov_type(cov_type)
        if not isinstance(maxiter, int) or maxiter < 0:
            raise InvalidOptionError(f"maxiter must be a non-negative integer, got {maxiter!r}")
        warn_convergence = bool(kwargs.pop("warn_convergence", True))
        options = check_optimizer_options(method, kwargs, self.model_name)
        if not full_output:
            warn("full_output=False has no effect: mle_retvals is always complete", FutureWarning)
        self.forget_passes()
        with self.reducer.guard():  # an error in any process stops every process with it
            self._count_rows()
            start = self._start(method) if start_params is None else self._tensor(start_params)
            if start.shape != (len(self.exog_names),):
                raise InvalidOptionError(
                    f"start_params has shape {tuple(start.shape)}; the model has "
                    f"{len(self.exog_names)} parameters"
                )
            if method == "newton":
                found, retvals, hessian = fit_newton(self, start, maxiter, options)
                if disp:
                    print_newton_report(found.converged, retvals["fopt"], found.n_iter)
            else:
                found, retvals = fit_scipy(self, start, method, maxiter, disp, options)
                hessian = self.hessian(found.params)
            self._check_separation(found, hessian)
            if not found.converged and warn_convergence:
                warn(
                    f"{self.model_name}: maximum likelihood optimization ({method}) did not "
                    f"converge after {found.n_iter} iterations ({found.message}); check "
                    "mle_retvals, increase maxiter, or rescale the regressors",
                    ConvergenceWarning,
                )
            settings = {
                "optimizer": method,
                "start_params": start.cpu().numpy(),
                "maxiter": maxiter,
                "full_output": full_output,
                "disp": disp,
                **options,
            }
            fit = replace(
                found,
                normalized_cov=inverse_information(hessian, self.model_name, singular=False),
                rank=self.rank,
            )
            retvals = {
                **retvals,
                "converged": found.converged,
                "grad_norm": found.grad_norm,
                "message": found.message,
                "method": method,
            }
            return self._report(fit, cov_type, cov_kwds, use_t, retvals=retvals, settings=settings)

    def _check_separation(self, found: SolverResult, hessian: torch.Tensor) -> None:
        """The in-memory models' perfect-separation warning (one more pass): rows predicted
        exactly (Poisson: zero counts with a mean below the tolerance) while the estimates
        diverge."""
        perfect = self._data().close_predictions(
            found.params,
            PERFECT_PREDICTION_TOL,
            with_offset=True,
            at_boundary=self.model_name == "Poisson",
        )
        warn_if_separated(
            self.model_name,
            perfect,
            int(self.nobs),
            lambda: not found.converged or nearly_singular(hessian, self._gram),
        )

    def _count_rows(self) -> None:
        """The first pass: rows (for ``nobs``) and a full-rank check of ``X'X``."""
        k = len(self.exog_names)
        data = self._data()
        dtype, device = self.designer.dtype, self.designer.device
        binary = isinstance(self.family, Binomial)
        total = torch.zeros(k * k + 3, dtype=dtype, device=device)
        for rows in data.rows("rows"):
            y = rows.endog
            extra = [torch.tensor(float(y.shape[0]), dtype=dtype, device=device)]
            if binary:  # sum log C(1, y) (0 for 0/1) and the count of proportions
                extra.append((torch.lgamma(y + 1) + torch.lgamma(2 - y)).sum())
                extra.append(((y != 0) & (y != 1)).sum().to(dtype))
            else:
                extra += [torch.zeros((), dtype=dtype, device=device)] * 2
            total = total + torch.cat([(rows.exog.T @ rows.exog).reshape(-1), torch.stack(extra)])
        total = self.reducer.sum(total)
        self._streamed_nobs = int(total[-3])
        fractional = int(total[-1])
        if fractional and self.model_name == "Probit":
            raise DesignError(
                f"endog must be binary, either 0 or 1; Probit found {fractional} fractional "
                "value(s) (Logit accepts proportions)"
            )
        # the discrete binomial likelihood is the GLM family's less its sum log C(1, y)
        self._bernoulli_shift = float(total[-2])
        self._gram = total[:-3].reshape(k, k)
        gram_solver(self._gram, self._streamed_nobs)  # raises if singular

    @property
    def rank(self) -> int:
        """Rank of the design: full (checked in the fit's first pass)."""
        return len(self.exog_names)

    @property
    def k_constant(self) -> int:
        """1 with an intercept, else 0 (statsmodels' discrete models assume one anyway)."""
        return int("Intercept" in dict(self.design.terms))

    # --- what results ask for -------------------------------------------------------------------

    def null_loglike(self) -> float:
        """Log-likelihood of the constant-only model with the same offset and exposure
        (Newton in passes with a column of ones)."""
        with self.reducer.guard():
            null = _ConstantOnly(self)
            found, _, _ = fit_newton(null, null.start(), 35, {"ftol": None})
            if not found.converged:
                warn(
                    f"{self.model_name}: the constant-only model behind llnull did not "
                    "converge; llnull, llr and prsquared are unreliable",
                    ConvergenceWarning,
                )
            return float(null.loglike(found.params))

    def close_predictions(self, params: torch.Tensor) -> int:
        """Rows whose ``cdf(X b)`` (no offset) is within 1e-4 of the response (one pass)."""
        with self.reducer.guard():
            return self._data().close_predictions(params)

    def predict(
        self,
        params: Any,
        exog: Any = None,
        offset: Any = None,
        exposure: Any = None,
        which: str = "mean",
    ) -> torch.Tensor:
        """Means or linear predictors for new rows ``exog`` (a design matrix); the fitted
        rows are not kept."""
        if exog is None:
            raise self._not_kept("predict() for the fitted rows")
        return predict_new(self.family, self._tensor(params), exog, exposure, offset, which)

    def classical_covariance(self, fit: SolverResult, use_t: bool | None) -> CovarianceResult:
        """The inverse observed information at the estimate; normal inference by default."""
        assert fit.normalized_cov is not None
        return nonrobust_covariance(
            fit.normalized_cov, 1.0, df_resid=self.df_resid, use_t=bool(use_t)
        )

    def sandwich_inputs(self, fit: SolverResult, cov_type: str) -> SandwichInputs:
        """The inverse observed information and the scores summed chunk by chunk.

        Raises
        ------
        InvalidOptionError
            HC2, HC3 and HAC, which need per-row leverages or the series in order.
        """
        kind = canonical_cov_type(cov_type)
        if kind not in ("HC0", "HC1", "cluster"):
            raise InvalidOptionError(
                f"cov_type={cov_type!r} is not available for a streamed {self.model_name}; "
                "choose 'nonrobust', 'HC0', 'HC1' or 'cluster', or fit in memory"
            )
        assert fit.normalized_cov is not None
        data, params = self._data(), fit.params

        def scores_of(chunk: Chunk) -> torch.Tensor:
            return data.scores(chunk, params, 1.0)

        scores = StreamedScores(
            self.designer,
            scores_of,
            k_params=int(params.shape[0]),
            nobs=int(self.nobs),
            reducer=self.reducer,
            show_progress=self.progress,
        )
        return SandwichInputs(
            bread=fit.normalized_cov,
            scores=scores,
            df_resid=float(self.df_resid),
            hc1_correction=False,  # HC1 is HC0 in statsmodels' discrete models
            leverage_available=False,
        )

    def _report(
        self,
        fit: SolverResult,
        cov_type: str,
        cov_kwds: Mapping[str, Any] | None,
        use_t: bool | None,
        **record: Any,
    ) -> Any:
        """The in-memory model's results class, without per-row outputs."""
        covariance = self.covariance(fit, cov_type, cov_kwds, use_t)
        count = self.model_name == "Poisson"
        results = StreamingCountResults if count else StreamingBinaryResults
        return results(self, fit, covariance, **record)

    def __repr__(self) -> str:
        return (
            f"<torchstats.StreamingDiscrete {self.model_name} formula={self.formula!r} over "
            f"{self.source.description}>"
        )


class _ConstantOnly(PassLikelihood):
    """The constant-only model of a streamed discrete model, as the Newton driver sees it."""

    def __init__(self, model: StreamingDiscrete) -> None:
        self._model = model
        self.model_name = model.model_name
        self.nobs = model.nobs

    def _passes(self) -> StreamedGLMData:
        return self._model._data(constant_only=True)

    def start(self) -> torch.Tensor:
        dtype, device = self._model.designer.dtype, self._model.designer.device
        if self.model_name != "Poisson":
            return torch.zeros(1, dtype=dtype, device=device)
        mean = self._passes().response_mean(relative_to_offset=True)
        return torch.log(torch.tensor([mean], dtype=dtype)).to(device)
