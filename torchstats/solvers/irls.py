"""Iteratively reweighted least squares for generalised linear models.

Each iteration is one weighted least-squares solve, so IRLS inherits the accuracy and the
speed of :func:`~torchstats.solvers.least_squares.solve_least_squares`: Householder QR
with refinement for small designs, one Gram GEMM plus Cholesky (with a condition guard
that falls back to QR) for large ones — a few passes over the data per iteration, all on
the design's device.

Order of calls, as statsmodels' ``GLM._fit_irls`` (so iteration counts and the deviance
history agree with it):

1. ``mu`` from ``family.starting_mu(y)`` (or from ``start_params``), ``eta = g(mu)``;
   ``scale`` from ``mu``; criterion ``D(mu) / scale``.
2. Working weights ``w = iweights / (g'(mu)^2 V(mu))`` and response
   ``z = eta + g'(mu) (y - mu) - offset``; solve ``min ||sqrt(w) (z - X b)||``.
   Well-conditioned steps are solved to 12-13+ digits only
   (:func:`~torchstats.solvers.least_squares.draft_weighted_least_squares`: small designs
   without the double-double refinement, large ones without the Gram route's refinement
   passes); the last one is solved again in full once the loop stops (step 5).
3. ``eta = X b + offset``, ``mu = g^{-1}(eta)``; the criterion ``D(mu) / scale`` uses the
   scale of the previous step, then the scale is re-estimated.
4. Stop when two successive criteria agree to ``atol + rtol * |current|`` (statsmodels'
   ``np.allclose`` test; ``atol`` defaults to ``tol``, ``rtol`` to 0); the criterion is the
   deviance, or with ``tol_criterion="params"`` every coefficient (the first step compared
   with the start values, zeros by default); else go to 2.
5. If the last step was a draft, solve its least-squares problem in full (double-double
   refinement, or the refinement step from the draft's own Gram factor; ``(X'WX)^{-1}``)
   and take ``eta``, ``mu``, the last criterion and the scale
   from that solution: the estimate is the full solver's, and the drafts moved the
   iterates before it by about ``cond * eps``, which the iteration damps.

Unlike statsmodels, a step that makes the deviance non-finite (a mean outside the family's
range, e.g. a negative Poisson mean under the identity link) is halved back towards the
previous estimate, as R's ``glm.fit`` does, instead of producing NaN.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from torchstats.errors import CollinearityWarning, NumericalError, PerfectSeparationWarning, warn
from torchstats.families.families import Family
from torchstats.families.inplace import times
from torchstats.solvers.least_squares import (
    DraftStep,
    draft_weighted_least_squares,
    solve_weighted_least_squares,
)
from torchstats.solvers.result import SolverResult
from torchstats.structured.blas import matvec

__all__ = ["IrlsProblem", "IrlsResult", "fit_irls"]

# Step halvings tried when a step leaves the family's range (R's glm.fit allows 30 too).
_MAX_HALVINGS = 30


@dataclass(frozen=True)
class IrlsProblem:
    """The data of a GLM fit, on one device.

    Attributes
    ----------
    exog : Tensor, shape (n, k)
    endog : Tensor, shape (n,)
    family : Family
    offset : Tensor, shape (n,), or None
        Offset plus log exposure.
    var_weights, freq_weights : Tensor, shape (n,), or None
    scale_of : callable
        ``mu -> scale``: the model's dispersion rule (1, Pearson, deviance or fixed).
    """

    exog: torch.Tensor
    endog: torch.Tensor
    family: Family
    offset: torch.Tensor | None
    var_weights: torch.Tensor | None
    freq_weights: torch.Tensor | None
    scale_of: Callable[[torch.Tensor], float]

    @property
    def iweights(self) -> torch.Tensor | float:
        """``freq_weights * var_weights`` (1 when neither is given)."""
        weights: torch.Tensor | float = 1.0
        for w in (self.freq_weights, self.var_weights):
            if w is not None:
                weights = weights * w
        return weights

    def linear(self, params: torch.Tensor) -> torch.Tensor:
        """``X b + offset``."""
        eta = matvec(self.exog, params)
        return eta if self.offset is None else eta.add_(self.offset)

    def deviance(self, mu: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        """``D(y, mu) / scale`` with both kinds of weights."""
        var_w = 1.0 if self.var_weights is None else self.var_weights
        freq_w = 1.0 if self.freq_weights is None else self.freq_weights
        return self.family.deviance(self.endog, mu, var_w, freq_w, scale)


@dataclass(frozen=True)
class IrlsResult:
    """What :func:`fit_irls` found.

    Attributes
    ----------
    solution : SolverResult
        ``params``; ``normalized_cov`` is ``(X' W X)^{-1}`` at the last working weights
        (statsmodels' ``normalized_cov_params``); ``converged``, ``n_iter``, ``rank``.
    mu : Tensor, shape (n,)
        Fitted means.
    scale : float
        The dispersion at the estimate.
    deviance_history : list of float
        The criterion at the start and after each iteration.
    working : tuple of Tensor, or None
        ``(z, w)``: the working response and weights of the last least-squares step
        (statsmodels' final WLS problem, ``results_wls``); None when no step was taken.
    """

    solution: SolverResult
    mu: torch.Tensor
    scale: float
    deviance_history: list[float] = field(default_factory=list)
    working: tuple[torch.Tensor, torch.Tensor] | None = None


@torch.no_grad()  # no graph: the family formulas compute in place (families.inplace)
def fit_irls(
    problem: IrlsProblem,
    *,
    start_params: torch.Tensor | None = None,
    maxiter: int = 100,
    tol: float = 1e-8,
    wls_method: str = "auto",
    rtol: float = 0.0,
    atol: float | None = None,
    tol_criterion: str = "deviance",
) -> IrlsResult:
    """Fit a GLM by IRLS; see the module docstring for the steps.

    Parameters
    ----------
    problem : IrlsProblem
    start_params : Tensor, shape (k,), optional
        Start from ``mu = g^{-1}(X b + offset)`` instead of the family's starting means.
    maxiter : int
        Iteration limit (statsmodels' default 100).
    tol : float
        Absolute tolerance on successive (scaled) deviances (statsmodels' 1e-8).
    wls_method : {"auto", "qr", "cholesky", "pinv"}
        The least-squares solver of each step.
    rtol, atol : float
        Relative and absolute tolerances of the convergence test (statsmodels' ``rtol=0``
        and ``atol=tol``).
    tol_criterion : {"deviance", "params"}
        What must stop changing.

    Returns
    -------
    IrlsResult

    Raises
    ------
    NumericalError
        The deviance is not finite at the start.
    """
    y, X = problem.endog, problem.exog
    if start_params is None:
        mu = problem.family.starting_mu(y)
        eta = problem.family.predict(mu)
        params = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    else:
        params = start_params
        eta = problem.linear(params)
        mu = problem.family.fitted(eta)
    scale = problem.scale_of(mu)
    history = [float(problem.deviance(mu, scale))]
    if not math.isfinite(history[0]):
        if start_params is None and bool((y == 0).all()):
            raise NumericalError(
                "GLM: the response is 0 in every row: the fitted means tend to 0 and the "
                "maximum likelihood estimate does not exist"
            )
        raise NumericalError(
            "GLM: the deviance is not finite at the start values; check the response for "
            "values outside the family's support, or pass start_params"
        )
    atol = tol if atol is None else atol
    solution = None
    working = None
    converged = False
    draft = False
    drafted = DraftStep(None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CollinearityWarning)
        for _ in range(maxiter):
            working = _working_problem(problem, mu, eta)
            drafted = draft_weighted_least_squares(X, *working, wls_method)
            draft = drafted.params is not None
            if drafted.params is None:
                solution = solve_weighted_least_squares(X, *working, wls_method, drafted.factor)
                step = solution.params
            else:
                step = drafted.params
            previous, used_scale = params, scale
            params, eta, mu, dev = _accept(problem, params, step, scale)
            history.append(dev)
            scale = problem.scale_of(mu)
            if tol_criterion == "params":
                converged = bool(torch.all((previous - params).abs() <= atol + rtol * params.abs()))
            else:
                converged = abs(history[-1] - history[-2]) <= atol + rtol * abs(history[-1])
            if converged:
                break
        if draft and working is not None:
            solution = solve_weighted_least_squares(X, *working, wls_method, drafted.factor)
            if params is step:  # the step was taken whole: the full solution replaces it
                params, eta, mu, history[-1] = _accept(
                    problem, previous, solution.params, used_scale
                )
                scale = problem.scale_of(mu)
    _reemit_once(caught)
    if bool(torch.all(torch.abs(mu - y) <= 1e-8)):
        warn(
            "GLM: perfect separation or prediction detected (every fitted mean equals its "
            "response); parameters may not be identified",
            PerfectSeparationWarning,
        )
    if solution is None:  # maxiter == 0: the start values, no covariance (statsmodels: NaN)
        k = X.shape[1]
        undefined = torch.full((k, k), math.nan, dtype=params.dtype, device=params.device)
        solution = SolverResult(params=params, method="IRLS", rank=k, normalized_cov=undefined)
    message = "deviance converged" if converged else f"maximum iterations ({maxiter}) reached"
    solution = SolverResult(
        params=params,
        method="IRLS",
        converged=converged,
        n_iter=len(history) - 1,
        message=message,
        rank=solution.rank,
        normalized_cov=solution.normalized_cov,
        singular_values=solution.singular_values,
        column_scale=solution.column_scale,
        scaled_normalized_cov=solution.scaled_normalized_cov,
    )
    return IrlsResult(
        solution=solution, mu=mu, scale=scale, deviance_history=history, working=working
    )


def _working_problem(
    problem: IrlsProblem, mu: torch.Tensor, eta: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The working least-squares problem at ``mu``: response and weights ``(z, w)``."""
    family, y = problem.family, problem.endog
    weights = times(family.weights(mu), problem.iweights)
    # eta + g'(mu) (y - mu), operation by operation, in one temporary
    working = torch.sub(y, mu).mul_(family.link.deriv(mu)).add_(eta)
    if problem.offset is not None:
        working.sub_(problem.offset)
    return working, weights


def _accept(
    problem: IrlsProblem, old: torch.Tensor, new: torch.Tensor, scale: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """Take the step to ``new``, halving it while the deviance is not finite."""
    for _ in range(_MAX_HALVINGS + 1):
        eta = problem.linear(new)
        mu = problem.family.fitted(eta)
        dev = float(problem.deviance(mu, scale))
        if math.isfinite(dev):
            return new, eta, mu, dev
        new = (old + new) / 2
    raise NumericalError(
        "GLM: IRLS could not find a step with a finite deviance (the linear predictor leaves "
        "the link's range); try another link, start_params, or rescaled regressors"
    )


def _reemit_once(caught: list[warnings.WarningMessage]) -> None:
    """Warnings of the least-squares steps, each distinct message once."""
    seen: set[str] = set()
    for record in caught:
        text = str(record.message)
        if text not in seen:
            seen.add(text)
            warn(text, record.category)
