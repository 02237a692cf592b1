"""Generalised linear models on streamed data: one pass over the chunks per IRLS iteration.

Every quantity IRLS needs at a set of means is a sum over rows: the weighted Gram matrix
``X'WX``, the right-hand side ``X'W t`` of the working least-squares problem, the
deviance, Pearson's chi-squared. One pass at the current estimate gives all of them, so a
streamed fit takes the in-memory fit's iterations (:mod:`~torchstats.solvers.irls`, the
same start, criterion, scale updates and step halving), each costing one read of the data,
and agrees with it to rounding. A step is solved as an increment,
``b + (X'WX)^{-1} X'W r`` with ``r`` the working residuals summed afresh in every pass,
so the normal equations' rounding stays relative to the step, not to the estimate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from torchstats.errors import NumericalError, SingularDesignError
from torchstats.families.families import Binomial, Family
from torchstats.solvers.scaling import numerical_rank
from torchstats.streaming.chunks import Chunk, ChunkDesigner
from torchstats.streaming.distributed import Reducer
from torchstats.streaming.passes import progress

__all__ = [
    "GlmRows",
    "StreamedGLMData",
    "IterationSums",
    "StreamedIrls",
    "streamed_irls",
    "gram_solver",
    "PERFECT_FIT_TOL",
]

#: Distance of a mean from its response below which a row counts as fitted exactly (the
#: in-memory models' ``PERFECT_PREDICTION_TOL``, statsmodels' ``np.allclose`` atol).
PERFECT_FIT_TOL = 1e-8

# Step halvings tried when a step leaves the family's range (as solvers.irls).
_MAX_HALVINGS = 30
# Beyond this condition number of the equilibrated X'WX the normal equations cannot promise
# the in-memory fit's digits (as StreamingOLS).
_MAX_GRAM_COND = 1e13


@dataclass(frozen=True, slots=True)
class GlmRows:
    """One chunk as a GLM sees it.

    Attributes
    ----------
    endog : Tensor, (m,)
    exog : Tensor, (m, k)
    offset : Tensor or None
        Offset plus log exposure.
    var_weights, freq_weights : Tensor or float
    """

    endog: torch.Tensor
    exog: torch.Tensor
    offset: torch.Tensor | None
    var_weights: torch.Tensor | float
    freq_weights: torch.Tensor | float

    @classmethod
    def of_chunk(cls, chunk: Chunk, constant_only: bool = False) -> GlmRows:
        """The chunk's rows; ``constant_only`` replaces the design by a column of ones."""
        parts = [chunk.extras.get("offset")]
        if "exposure" in chunk.extras:
            parts.append(torch.log(chunk.extras["exposure"]))
        present = [p for p in parts if p is not None]
        offset = None if not present else present[0] if len(present) == 1 else sum(present)
        exog = chunk.exog
        if constant_only:
            exog = torch.ones((exog.shape[0], 1), dtype=exog.dtype, device=exog.device)
        return cls(
            endog=chunk.endog,
            exog=exog,
            offset=offset,  # type: ignore[arg-type]
            var_weights=chunk.extras.get("var_weights", 1.0),
            freq_weights=chunk.extras.get("freq_weights", 1.0),
        )

    @property
    def row_weights(self) -> torch.Tensor | float:
        """``freq_weights * var_weights``: each row's weight in the likelihood."""
        return self.freq_weights * self.var_weights

    def linear(self, params: torch.Tensor) -> torch.Tensor:
        """``X b + offset``."""
        eta = self.exog @ params
        return eta if self.offset is None else eta + self.offset

    def without_offset(self, eta: torch.Tensor) -> torch.Tensor:
        return eta if self.offset is None else eta - self.offset


@dataclass(frozen=True, slots=True)
class IterationSums:
    """Sums of one IRLS pass at a set of means (all processes' rows).

    Attributes
    ----------
    gram : Tensor, (k, k)
        ``X'WX`` with the working weights.
    rhs : Tensor, (k,)
        ``X'W t``: ``t`` the working residuals, or at the start the whole working response.
    deviance, pearson_chi2, weighted_ssr : float
        At the means (unscaled; ``weighted_ssr`` is ``sum w (y - mu)^2``).
    nobs, wnobs : float
        Rows and ``sum(freq_weights)``.
    unfitted : float
        Rows whose mean is more than 1e-8 from the response (none: perfect prediction).
    invalid : float
        Rows whose mean lies outside the family's range.
    boundary : float
        Rows whose response lies on a boundary of the family's range and whose mean is
        within 1e-8 of it (``Family.boundary_fit``; separation when the estimates diverge).
    """

    gram: torch.Tensor
    rhs: torch.Tensor
    deviance: float
    pearson_chi2: float
    weighted_ssr: float
    nobs: float
    wnobs: float
    unfitted: float
    invalid: float
    boundary: float


class StreamedGLMData:
    """The passes of a streamed GLM over its chunks.

    Parameters
    ----------
    designer : ChunkDesigner
    family : Family
    reducer : Reducer
    show_progress : bool
    constant_only : bool
        The constant-only model (``llnull``): a column of ones for the design.
    loglike_shift : float
        Added to the log-likelihood of :meth:`newton_sums`: the discrete models' binomial
        likelihood ``y log p + (1 - y) log(1 - p)`` is the GLM family's plus
        ``sum log C(1, y)``'s negative, a constant of the data (0 for a 0/1 response, not
        for a proportion) that the model sums once.
    """

    def __init__(
        self,
        designer: ChunkDesigner,
        family: Family,
        reducer: Reducer,
        show_progress: bool,
        constant_only: bool = False,
        loglike_shift: float = 0.0,
    ) -> None:
        self.designer = designer
        self.family = family
        self.reducer = reducer
        self.show_progress = show_progress
        self.constant_only = constant_only
        self.loglike_shift = loglike_shift

    @property
    def k(self) -> int:
        return 1 if self.constant_only else len(self.designer.exog_names)

    def rows(self, description: str) -> Iterator[GlmRows]:
        """One pass: each chunk's rows, its response checked against the family's support
        (:class:`~torchstats.errors.DesignError`, as in memory)."""
        for chunk in progress(self.designer.chunks(), self.show_progress, description):
            self.family.check_endog(chunk.endog)
            yield GlmRows.of_chunk(chunk, self.constant_only)

    def _reduced(
        self, parts: Callable[[GlmRows], list[torch.Tensor]], what: str, size: int
    ) -> torch.Tensor:
        """One pass: each chunk's parts, flattened and added up over chunks and processes
        (``size`` numbers; zeros from a process that read no rows)."""
        total = torch.zeros(size, dtype=self.designer.dtype, device=self.designer.device)
        for rows in self.rows(what):
            total = total + torch.cat([p.reshape(-1) for p in parts(rows)])
        return self.reducer.sum(total)

    def response_mean(self, relative_to_offset: bool = False) -> float:
        """The response's mean over every row (the family's starting means use it), or the
        mean of ``y / exp(offset)`` (a Poisson constant-only estimate's exponential)."""

        def parts(rows: GlmRows) -> list[torch.Tensor]:
            y = rows.endog
            if relative_to_offset and rows.offset is not None:
                y = y / torch.exp(rows.offset)
            return [y.sum(), torch.tensor(float(y.shape[0]), dtype=y.dtype, device=y.device)]

        total = self._reduced(parts, "mean", 2)
        return float(total[0] / total[1])

    def iteration(
        self, params: torch.Tensor | None, start_mean: float | None = None
    ) -> IterationSums:
        """The sums at ``mu = g^{-1}(X b + offset)``, or (``params=None``) at the family's
        starting means, where the right-hand side carries the whole working response."""
        family, k = self.family, self.k

        def parts(rows: GlmRows) -> list[torch.Tensor]:
            y = rows.endog
            if params is None:
                mu = family.starting_mu(y, start_mean)
                target = rows.without_offset(family.predict(mu))
            else:
                mu = family.fitted(rows.linear(params))
                target = torch.zeros_like(y)
            target = target + family.link.deriv(mu) * (y - mu)
            weights = rows.row_weights * family.weights(mu)
            weighted = rows.exog * weights[:, None]
            row_weights = rows.row_weights
            ones = torch.ones_like(y)
            return [
                weighted.T @ rows.exog,
                weighted.T @ target,
                family.deviance(y, mu, rows.var_weights, rows.freq_weights),
                torch.sum((y - mu) ** 2 / family.variance(mu) * row_weights),
                torch.sum((y - mu) ** 2 * row_weights),
                ones.sum(),
                torch.sum(rows.freq_weights * ones),
                (torch.abs(mu - y) > PERFECT_FIT_TOL).sum().to(y.dtype),
                (~family.valid_mean(mu)).sum().to(y.dtype),
                family.boundary_fit(y, mu, PERFECT_FIT_TOL).sum().to(y.dtype),
            ]

        total = self._reduced(parts, "IRLS", k * k + k + 8)
        scalars = total[k * k + k :].tolist()
        return IterationSums(
            gram=total[: k * k].reshape(k, k),
            rhs=total[k * k : k * k + k],
            deviance=scalars[0],
            pearson_chi2=scalars[1],
            weighted_ssr=scalars[2],
            nobs=scalars[3],
            wnobs=scalars[4],
            unfitted=scalars[5],
            invalid=scalars[6],
            boundary=scalars[7],
        )

    def loglike(self, params: torch.Tensor, scale: float) -> float:
        """The log-likelihood at ``params`` and ``scale`` (one pass)."""
        family = self.family

        def parts(rows: GlmRows) -> list[torch.Tensor]:
            mu = family.fitted(rows.linear(params))
            return [family.loglike(rows.endog, mu, rows.var_weights, rows.freq_weights, scale)]

        return float(self._reduced(parts, "log-likelihood", 1)[0])

    def deviance_and_loglike(self, params: torch.Tensor, scale: float) -> tuple[float, float]:
        """The deviance and the log-likelihood at ``scale`` (one pass)."""
        family = self.family

        def parts(rows: GlmRows) -> list[torch.Tensor]:
            mu = family.fitted(rows.linear(params))
            y, var_w, freq_w = rows.endog, rows.var_weights, rows.freq_weights
            return [
                family.deviance(y, mu, var_w, freq_w),
                family.loglike(y, mu, var_w, freq_w, scale),
            ]

        total = self._reduced(parts, "null model", 2)
        return float(total[0]), float(total[1])

    def newton_sums(
        self, params: torch.Tensor, derivatives: int = 2
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """The log-likelihood at scale 1 and, up to ``derivatives``, its gradient and
        Hessian (observed) at ``params`` (one pass)."""
        family, k = self.family, self.k

        def parts(rows: GlmRows) -> list[torch.Tensor]:
            y, weights = rows.endog, rows.row_weights
            mu = family.fitted(rows.linear(params))
            found = [family.loglike(y, mu, rows.var_weights, rows.freq_weights, 1.0)]
            if derivatives >= 1:
                found.append(rows.exog.T @ family.score_factor(y, mu, weights, 1.0))
            if derivatives >= 2:
                h = family.hessian_factor(y, mu, weights, 1.0, observed=True)
                found.append(-(rows.exog * h[:, None]).T @ rows.exog)
            return found

        size = 1 + (k if derivatives >= 1 else 0) + (k * k if derivatives >= 2 else 0)
        total = self._reduced(parts, "likelihood", size)
        gradient = total[1 : 1 + k] if derivatives >= 1 else None
        hessian = total[1 + k :].reshape(k, k) if derivatives >= 2 else None
        return total[0] + self.loglike_shift, gradient, hessian

    def close_predictions(
        self,
        params: torch.Tensor,
        threshold: float = 1e-4,
        with_offset: bool = False,
        at_boundary: bool = False,
    ) -> int:
        """Rows whose ``g^{-1}(X b)`` (with the offset if ``with_offset``) is within
        ``threshold`` of the response (one pass); with ``at_boundary`` only those whose
        response lies on a boundary of the family's range (``Family.boundary_fit``: a zero
        count)."""

        def parts(rows: GlmRows) -> list[torch.Tensor]:
            eta = rows.linear(params) if with_offset else rows.exog @ params
            mu = self.family.fitted(eta)
            if at_boundary:
                close = self.family.boundary_fit(rows.endog, mu, threshold)
            else:
                close = torch.abs(rows.endog - mu) < threshold
            return [close.sum().to(mu.dtype)]

        return int(self._reduced(parts, "separation", 1)[0])

    def boundary_rows_moved(
        self, params: torch.Tensor, step: torch.Tensor, threshold: float
    ) -> int:
        """Rows fitted at a boundary of the family's range at ``params``
        (``Family.boundary_fit``) whose linear predictor ``step`` changes by more than
        ``threshold`` (one pass)."""

        def parts(rows: GlmRows) -> list[torch.Tensor]:
            mu = self.family.fitted(rows.linear(params))
            at_boundary = self.family.boundary_fit(rows.endog, mu, PERFECT_FIT_TOL)
            moved = at_boundary & ((rows.exog @ step).abs() > threshold)
            return [moved.sum().to(mu.dtype)]

        return int(self._reduced(parts, "separation", 1)[0])

    def observed_information(self, params: torch.Tensor, scale: float) -> torch.Tensor:
        """``X' diag(h) X`` with the observed-information factors (minus the Hessian)."""
        family = self.family

        def parts(rows: GlmRows) -> list[torch.Tensor]:
            mu = family.fitted(rows.linear(params))
            h = family.hessian_factor(rows.endog, mu, rows.row_weights, scale, observed=True)
            return [(rows.exog * h[:, None]).T @ rows.exog]

        k = self.k
        total = self._reduced(parts, "Hessian", k * k)
        return total.reshape(k, k)

    def scores(self, chunk: Chunk, params: torch.Tensor, scale: float) -> torch.Tensor:
        """A chunk's scores ``x_i f_i`` at ``params`` (frequency weights entered once)."""
        rows = GlmRows.of_chunk(chunk, self.constant_only)
        mu = self.family.fitted(rows.linear(params))
        factor = self.family.score_factor(rows.endog, mu, rows.row_weights, scale)
        return rows.exog * factor[:, None]


@dataclass(frozen=True, slots=True)
class StreamedIrls:
    """What :func:`streamed_irls` found.

    Attributes
    ----------
    params : Tensor, (k,)
    normalized_cov : Tensor, (k, k)
        ``(X'WX)^{-1}`` at the working weights of the last step (statsmodels'
        ``normalized_cov_params``).
    rank : int
    converged : bool
    history : list of float
        The criterion (scaled deviance) at the start and after each step.
    scale : float
        The dispersion at the estimate.
    sums : IterationSums
        At the estimate.
    """

    params: torch.Tensor
    normalized_cov: torch.Tensor
    rank: int
    converged: bool
    history: list[float]
    scale: float
    sums: IterationSums


def streamed_irls(
    data: StreamedGLMData,
    *,
    scale_of: Callable[[IterationSums, int], float],
    start_params: torch.Tensor | None = None,
    maxiter: int = 100,
    atol: float = 1e-8,
    rtol: float = 0.0,
) -> StreamedIrls:
    """IRLS in passes, step for step as :func:`~torchstats.solvers.irls.fit_irls`.

    Parameters
    ----------
    data : StreamedGLMData
    scale_of : callable
        ``(sums, rank) -> scale``: the dispersion rule at the means of a pass.
    start_params : Tensor, optional
        Start from ``g^{-1}(X b + offset)`` instead of the family's starting means.
    maxiter : int
    atol, rtol : float
        Successive criteria must agree to ``atol + rtol * |current|``.

    Raises
    ------
    SingularDesignError
        ``X'WX`` is singular or too ill-conditioned to solve by normal equations.
    NumericalError
        A non-finite deviance at the start, or no finite step.
    """
    mean = None
    if start_params is None and not isinstance(data.family, Binomial):
        mean = data.response_mean()
    sums = data.iteration(start_params, mean)
    solve, rank = gram_solver(sums.gram, int(sums.nobs))
    params = (
        torch.zeros(data.k, dtype=sums.gram.dtype, device=sums.gram.device)
        if start_params is None
        else start_params
    )
    from_means = start_params is None
    scale = scale_of(sums, rank)
    history = [sums.deviance / scale]
    if not math.isfinite(history[0]):
        raise NumericalError(
            "GLM: the deviance is not finite at the start values; check the response for "
            "values outside the family's support, or pass start_params"
        )
    normalized_cov = solve(torch.eye(data.k, dtype=params.dtype, device=params.device))
    converged = False
    for _ in range(maxiter):
        step = solve(sums.rhs)
        new = step if from_means else params + step
        normalized_cov = solve(torch.eye(data.k, dtype=params.dtype, device=params.device))
        trial = data.iteration(new)
        for _ in range(_MAX_HALVINGS):
            if math.isfinite(trial.deviance):
                break
            new = (params + new) / 2
            trial = data.iteration(new)
        if not math.isfinite(trial.deviance):
            raise NumericalError(
                "GLM: IRLS could not find a step with a finite deviance (the linear predictor "
                "leaves the link's range); try another link, start_params, or rescaled "
                "regressors"
            )
        params, sums, from_means = new, trial, False
        history.append(sums.deviance / scale)
        scale = scale_of(sums, rank)
        converged = abs(history[-1] - history[-2]) <= atol + rtol * abs(history[-1])
        if converged:
            break
        solve, _ = gram_solver(sums.gram, int(sums.nobs))
    return StreamedIrls(
        params=params,
        normalized_cov=normalized_cov,
        rank=rank,
        converged=converged,
        history=history,
        scale=scale,
        sums=sums,
    )


def gram_solver(
    gram: torch.Tensor, nobs: int
) -> tuple[Callable[[torch.Tensor], torch.Tensor], int]:
    """``rhs -> gram^{-1} rhs`` by Cholesky of the equilibrated matrix, and its rank."""
    diagonal = torch.diagonal(gram)
    if not bool((diagonal > 0).all()):
        raise SingularDesignError(
            "a column of the streamed design is zero in every row (or has zero weight): "
            "drop it, or fit in memory"
        )
    d = torch.exp2(torch.round(torch.log2(torch.sqrt(diagonal))))
    scaled = gram / d[:, None] / d[None, :]
    eigenvalues = torch.linalg.eigvalsh(scaled)
    factor, info = torch.linalg.cholesky_ex(scaled)
    cond = float(eigenvalues[-1] / eigenvalues[0].clamp(min=torch.finfo(gram.dtype).tiny))
    rank = numerical_rank(torch.sqrt(eigenvalues.clamp(min=0)).flip(0), (nobs, gram.shape[0]))
    if int(info) != 0 or rank < gram.shape[0] or not cond <= _MAX_GRAM_COND:
        raise SingularDesignError(
            f"X'WX of the streamed design is singular or too ill-conditioned (condition "
            f"number about {cond:.1e} after equilibration): drop or combine collinear "
            "columns, or fit in memory"
        )

    def solve(rhs: torch.Tensor) -> torch.Tensor:
        column = rhs[:, None] if rhs.dim() == 1 else rhs
        solution = torch.cholesky_solve(column / d[:, None], factor) / d[:, None]
        return solution[:, 0] if rhs.dim() == 1 else solution

    return solve, rank
