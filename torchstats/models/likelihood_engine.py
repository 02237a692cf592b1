"""The likelihood engine behind ``MLE``, ``GenericLikelihoodModel`` and ``module_inference``.

:class:`LikelihoodEngine` optimises ``loglikeobs(theta)`` on an unconstrained scale (bounds and
positivity become logistic and ``exp`` transforms), can hold parameters fixed (restricted
fits), and computes everything else on the user's scale with exact autograd derivatives: the
observed information ``-H`` for standard errors, per-observation scores for OPG and sandwich
covariances, and the full model's score and Hessian at a restricted estimate for score tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import torch

from torchstats._device import (
    OutputFormat,
)
from torchstats.autodiff.hessian import hessian
from torchstats.autodiff.parameters import BoxTransform
from torchstats.autodiff.scores import score_obs
from torchstats.covariance.nonrobust import nonrobust_covariance
from torchstats.covariance.result import CovarianceResult
from torchstats.covariance.sandwich import SandwichInputs, canonical_cov_type, robust_covariance
from torchstats.errors import (
    ConvergenceWarning,
    HessianWarning,
    InvalidOptionError,
    NumericalError,
    warn,
)
from torchstats.inference.compare import TestResult, score_test
from torchstats.results.likelihood import SANDWICH_DESCRIPTION, MaximumLikelihoodResults, embed
from torchstats.solvers.maximum_likelihood import NegativeLogLikelihood, minimize_negative_loglike
from torchstats.solvers.optimizers import (
    OPTIMIZER_METHODS,
    check_optimizer_options,
)
from torchstats.solvers.result import SolverResult

__all__ = [
    "LikelihoodEngine",
    "EngineModel",
    "FIT_METHODS",
    "check_fit_options",
    "information_rank",
    "invert_information",
]

FIT_METHODS = OPTIMIZER_METHODS
"""``fit(method=...)``: torch's Newton (default) or one of statsmodels' scipy methods."""
_EXTRA_COV_TYPES = ("opg", "sandwich")

OPG_DESCRIPTION = "Covariance matrix calculated using the outer product of gradients (exact)."


# What to try when non-finite values stop a fit of a custom likelihood.
_REMEDY = (
    "check the likelihood for log(0), overflow or parameters leaving their domain (use "
    "positive= or bounds=)"
)


class LikelihoodEngine:
    """Optimisation and information of ``loglikeobs(theta)`` over a flat ``theta``.

    Parameters
    ----------
    loglikeobs : callable
        ``theta (k,) -> per-observation log-likelihoods (n,)`` (or their sum, a scalar; OPG
        and robust covariances then need per-observation values).
    names : list of str
        One name per entry of ``theta``.
    transform : BoxTransform
        The bounds of ``theta``.
    nobs : int
        Number of observations (for information criteria and degrees of freedom).
    name : str
        The model's name, in messages.
    """

    def __init__(
        self,
        loglikeobs: Callable[[torch.Tensor], torch.Tensor],
        names: list[str],
        *,
        transform: BoxTransform,
        nobs: int,
        name: str,
    ) -> None:
        self.loglikeobs = loglikeobs
        self.names = list(names)
        self.transform = transform
        self.nobs = nobs
        self.name = name

    def loglike_at(self, theta: torch.Tensor) -> torch.Tensor:
        """Total log-likelihood at ``theta`` (a 0-d tensor)."""
        return self.loglikeobs(theta).sum()

    # --- fitting -----------------------------------------------------------------------------

    def fit(
        self,
        start: torch.Tensor,
        *,
        fixed: Mapping[int, float],
        method: str,
        maxiter: int,
        disp: bool = False,
        options: Mapping[str, Any] | None = None,
    ) -> tuple[SolverResult, dict[str, Any], torch.Tensor]:
        """Maximise over the free parameters.

        Parameters
        ----------
        start : Tensor, shape (k,)
            Start values on the user's scale.
        fixed : mapping of int to float
            Positions held fixed, with their values.
        method : str
            One of :data:`FIT_METHODS`: torch's Newton or one of statsmodels' scipy methods.
        maxiter : int
        disp : bool
            Print statsmodels' (Newton) or scipy's convergence report.
        options : mapping, optional
            The method's options, checked by
            :func:`~torchstats.solvers.optimizers.check_optimizer_options`.

        Returns
        -------
        fit : SolverResult
            ``params`` on the user's scale, ``normalized_cov`` the inverse observed
            information of the free parameters (NaN rows and columns for fixed ones).
        retvals : dict
            statsmodels' ``mle_retvals``: ``converged``, ``iterations``, ``fopt``,
            ``warnflag`` and the method's own keys, with ``grad_norm``, ``message``, ``method``.
        free : Tensor of bool, shape (k,)

        Raises
        ------
        NumericalError
            The log-likelihood is not finite at the start or at the estimate, or non-finite
            values stopped the fit.
        """
        options = check_optimizer_options(method, options or {}, self.name)
        theta0, free = self._start(start, fixed)
        all_free = bool(free.all())  # one host sync here, none inside the objective
        free_index = torch.nonzero(free).flatten()
        u0 = torch.where(free, self.transform.to_unconstrained(theta0), 0.0)

        def objective(u_free: torch.Tensor) -> torch.Tensor:
            u = u_free if all_free else u0.index_put((free_index,), u_free)
            theta = self.transform.to_user(u)
            if not all_free:
                theta = torch.where(free, theta, theta0)
            return -self.loglike_at(theta) / self.nobs

        nll = NegativeLogLikelihood.by_autograd(
            objective, nobs=1.0, name=self.name, remedy=_REMEDY
        )  # objective is already per observation
        minimum = minimize_negative_loglike(
            nll, u0[free_index].detach(), method, maxiter=maxiter, disp=disp, options=options
        )
        found, retvals = minimum.found, minimum.retvals
        u = u0.index_put((free_index,), found.params)
        theta = torch.where(free, self.transform.to_user(u), theta0).detach()
        fopt = self._check_finished(found, objective)
        retvals = {
            "fopt": fopt,
            "iterations": found.n_iter,
            "warnflag": 0 if found.converged else 1,
            **retvals,
            "converged": found.converged,
            "grad_norm": found.grad_norm,
            "message": found.message,
            "method": method,
        }
        inverse = self.inverse_information(theta, free)
        fit = replace(found, params=theta, rank=int(free.sum()), normalized_cov=inverse, free=free)
        return fit, retvals, free

    def _start(
        self, start: torch.Tensor, fixed: Mapping[int, float]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Start values with the fixed ones set, the mask of free parameters; checked."""
        theta0 = start.clone()
        free = torch.ones(len(self.names), dtype=torch.bool, device=start.device)
        for index, value in fixed.items():
            theta0[index] = value
            free[index] = False
        bad = (self.transform.outside(theta0) & free).tolist()
        if any(bad):
            names = ", ".join(n for n, b in zip(self.names, bad) if b)
            raise InvalidOptionError(
                f"{self.name}: start values of {names} are not strictly inside their bounds"
            )
        llf = self.loglike_at(theta0)
        if not bool(torch.isfinite(llf)):
            raise NumericalError(
                f"{self.name}: the log-likelihood is not finite at the start values "
                f"({float(llf)}); choose start_params where every observation has positive "
                "likelihood (and any scale parameter is positive)"
            )
        return theta0, free

    def _check_finished(self, found: SolverResult, objective: Callable) -> float:
        """The objective at the end (``fopt``); ConvergenceWarning where the fit did not
        converge (non-finite values raised in the driver already)."""
        with torch.no_grad():
            value = objective(found.params)
        if not found.converged:
            warn(
                f"{self.name}: maximum likelihood did not converge after {found.n_iter} "
                f"iterations ({found.message}; gradient norm {found.grad_norm:.3g}); "
                "increase maxiter or try other start_params",
                ConvergenceWarning,
            )
        return float(value)

    # --- information -----------------------------------------------------------------------------

    def hessian_at(self, theta: torch.Tensor) -> torch.Tensor:
        """Hessian of the total log-likelihood at ``theta`` (all parameters), shape (k, k)."""
        return hessian(self.loglike_at, theta.detach())

    def scores_at(self, theta: torch.Tensor) -> torch.Tensor:
        """Per-observation scores ``d log L_i / d theta``, shape (n, k)."""
        return score_obs(self.loglikeobs, theta.detach())

    def inverse_information(
        self, theta: torch.Tensor, free: torch.Tensor, hessian: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(-H_ff)^{-1}`` of the free parameters embedded in ``(k, k)`` (NaN: fixed ones).

        ``hessian`` (all parameters, at ``theta``) is computed unless given.
        """
        hessian = self.hessian_at(theta) if hessian is None else hessian
        information = -hessian[free][:, free]
        inverse = invert_information(
            information,
            [n for n, f in zip(self.names, free.tolist()) if f],
            f"{self.name}: the Hessian of the log-likelihood is not negative definite at "
            "the estimate (not a strict maximum: a flat direction, a saddle point or a "
            "boundary estimate)",
        )
        return embed(inverse, free, fill=math.nan)

    def classical_covariance(
        self, fit: SolverResult, free: torch.Tensor, use_t: bool | None
    ) -> CovarianceResult:
        """The inverse observed information (statsmodels' ``nonrobust`` for MLE)."""
        assert fit.normalized_cov is not None
        return nonrobust_covariance(
            fit.normalized_cov, 1.0, df_resid=self.nobs - int(free.sum()), use_t=bool(use_t)
        )

    def opg_covariance(
        self, fit: SolverResult, free: torch.Tensor, use_t: bool | None
    ) -> CovarianceResult:
        """``(S'S)^{-1}`` with ``S`` the per-observation scores of the free parameters
        (statsmodels' ``covjac``; the BHHH estimate of the information)."""
        scores = self.scores_at(fit.params)[:, free]
        inverse = invert_information(
            scores.T @ scores,
            [n for n, f in zip(self.names, free.tolist()) if f],
            f"{self.name}: the outer product of the scores is singular",
        )
        return CovarianceResult(
            cov=embed(inverse, free, fill=math.nan),
            cov_type="opg",
            use_t=bool(use_t),
            df_resid=float(self.nobs - int(free.sum())),
            description=OPG_DESCRIPTION,
            kwds={"description": OPG_DESCRIPTION},
        )

    def score_test_at(self, theta: torch.Tensor, free: torch.Tensor) -> TestResult:
        """Score test of the fixed parameters at a restricted estimate ``theta``."""
        n_fixed = int((~free).sum())
        if n_fixed == 0:
            raise InvalidOptionError(
                "score_test() tests the parameters held fixed: fit with fixed={...} first"
            )
        with torch.enable_grad():
            score = torch.func.grad(self.loglike_at)(theta.detach()).detach()
        return score_test(score, self.hessian_at(theta), n_fixed)


def invert_information(information: torch.Tensor, names: list[str], problem: str) -> torch.Tensor:
    """Inverse of a (symmetric) information matrix; NaN where it is not positive definite.

    Parameters
    ----------
    information : Tensor, shape (m, m)
    names : list of str
        The parameters, for the warning.
    problem : str
        The warning's first sentence.

    Returns
    -------
    Tensor, shape (m, m)

    Notes
    -----
    The matrix is first scaled to a unit diagonal (``S = D^-1/2 I D^-1/2``), so that the
    decision does not depend on the units of the parameters. A Cholesky inverse of ``S``
    settles it when its diagonal proves ``S`` well away from singular (see
    :func:`_cholesky_inverse`): a singular matrix need not make Cholesky fail, since
    rounding can leave a small positive pivot (which CPU kernel rounds which way differs).
    Otherwise the eigen-decomposition of ``S`` splits the directions: eigenvalues at most
    ``m * eps * max|lambda|`` are flat or curve the wrong way. Parameters with a loading
    above ``sqrt(eps)`` on such a direction get NaN variances and covariances (their
    standard errors do not exist); the others come from the pseudo-inverse on the
    remaining directions, which is exact for them because they are orthogonal to the bad
    directions.
    """
    eps = torch.finfo(information.dtype).eps
    scaled, rescale = _unit_diagonal(information)
    inverse, settled = _cholesky_inverse(scaled)
    if inverse is not None and settled:
        return inverse * rescale
    eigenvalues, vectors, bad = _spectrum(scaled)
    if inverse is not None and not bool(bad.any()):
        return inverse * rescale
    good = ~bad
    inverse = (vectors[:, good] / eigenvalues[good]) @ vectors[:, good].T * rescale
    affected = (vectors[:, bad].abs() > math.sqrt(eps)).any(dim=1)
    inverse[affected] = math.nan
    inverse[:, affected] = math.nan
    listed = ", ".join(n for n, a in zip(names, affected.tolist()) if a)
    warn(
        f"{problem}; the standard errors of {listed} are NaN (they move along a flat or "
        "upward-curving direction of the log-likelihood); those of the other parameters "
        "come from the pseudo-inverse on the remaining directions. Check identification "
        "(collinear or redundant parameters), rescale or reparametrise.",
        HessianWarning,
    )
    return inverse


def _unit_diagonal(information: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``S = D^-1/2 I D^-1/2`` and ``D^-1/2 1 1' D^-1/2`` (``I = S * rescale`` undone
    elementwise); entries of the diagonal that are not positive are left unscaled."""
    diagonal = information.diagonal()
    tiny = torch.finfo(diagonal.dtype).tiny
    scale = torch.where(diagonal > 0, diagonal.clamp(min=tiny), 1).rsqrt()
    rescale = scale[:, None] * scale[None, :]
    return information * rescale, rescale


def _cholesky_inverse(scaled: torch.Tensor) -> tuple[torch.Tensor | None, bool]:
    """The inverse of a unit-diagonal matrix by Cholesky (None where that fails) and whether
    it settles positive definiteness.

    A pivot can come out tiny and positive for a singular matrix, and large enough to pass
    any fixed threshold when the null vector's last entry is small, so the inverse decides:
    ``lambda_min(S) >= 1 / (m max diag S^-1)`` and ``lambda_max(S) <= m``. A diagonal below
    ``1 / (10 m^3 eps)`` proves every eigenvalue above the flat threshold of
    :func:`_spectrum` (``m eps lambda_max``); anything else goes to the eigen-decomposition.
    """
    factor, info = torch.linalg.cholesky_ex(scaled)
    if int(info) != 0 or not bool(torch.isfinite(factor).all()):
        return None, False
    m = scaled.shape[0]
    eye = torch.eye(m, dtype=scaled.dtype, device=scaled.device)
    inverse = torch.cholesky_solve(eye, factor)
    eps = torch.finfo(scaled.dtype).eps
    largest = inverse.diagonal().max()
    return inverse, bool(torch.isfinite(largest) and largest < 1 / (10 * m**3 * eps))


def _spectrum(information: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Eigenvalues, eigenvectors and the mask of the flat or negative directions.

    A direction is bad when its eigenvalue is at most ``m * eps * max|lambda|`` (numerically
    zero, or negative), the rank rule of ``numpy.linalg.matrix_rank``.
    """
    m = information.shape[0]
    eigenvalues, vectors = torch.linalg.eigh(0.5 * (information + information.T))
    eps = torch.finfo(information.dtype).eps
    return eigenvalues, vectors, eigenvalues <= m * eps * eigenvalues.abs().max()


def information_rank(information: torch.Tensor) -> int:
    """Number of directions in which the information is (numerically) positive, judged on
    the unit-diagonal scaling as :func:`invert_information` judges it."""
    scaled, _ = _unit_diagonal(information)
    if _cholesky_inverse(scaled)[1]:
        return int(information.shape[0])
    return int((~_spectrum(scaled)[2]).sum())


def check_fit_options(method: str, cov_type: Any) -> None:
    """Refuse an unknown ``method`` or ``cov_type``, listing the choices."""
    if method not in FIT_METHODS:
        raise InvalidOptionError(
            f"unknown method {method!r}; choose one of {', '.join(map(repr, FIT_METHODS))}"
        )
    if not (isinstance(cov_type, str) and cov_type.lower() in _EXTRA_COV_TYPES):
        try:
            canonical_cov_type(cov_type)
        except InvalidOptionError:
            raise InvalidOptionError(
                f"unknown cov_type {cov_type!r}; choose 'nonrobust', 'opg', 'sandwich', 'HC0', "
                "'cluster' or 'HAC'"
            ) from None


class EngineModel:
    """What results need from a likelihood model, delegated to its :class:`LikelihoodEngine`."""

    engine: LikelihoodEngine
    output: OutputFormat
    endog_names: str = "y"
    k_constant: int = 0
    k_extra: int = 0

    @property
    def model_name(self) -> str:
        """The name in the summary's title and ``Model:`` line."""
        return self.engine.name

    @property
    def param_names(self) -> list[str]:
        """One name per (flattened) parameter."""
        return list(self.engine.names)

    @property
    def exog_names(self) -> list[str]:
        return self.param_names

    @property
    def nobs(self) -> int:
        return self.engine.nobs

    def _theta(self, params: Any) -> torch.Tensor:
        start = self.engine.transform.lower
        values = params.to_numpy() if hasattr(params, "to_numpy") else params
        theta = torch.as_tensor(values, dtype=start.dtype, device=start.device).reshape(-1)
        if theta.shape[0] != len(self.engine.names):
            raise InvalidOptionError(
                f"params has {theta.shape[0]} values; the model has {len(self.engine.names)}"
            )
        return theta

    def loglike_at(self, params: torch.Tensor) -> torch.Tensor:
        """Total log-likelihood at a flat parameter vector."""
        return self.engine.loglike_at(params)

    def scores_at(self, params: torch.Tensor) -> torch.Tensor:
        """Per-observation scores at a flat parameter vector, shape (n, k)."""
        return self.engine.scores_at(params)

    def score(self, params: Any) -> torch.Tensor:
        """Gradient of the log-likelihood (exact, autograd), shape (k,)."""
        with torch.enable_grad():
            return torch.func.grad(self.engine.loglike_at)(self._theta(params)).detach()

    def score_obs(self, params: Any) -> torch.Tensor:
        """Per-observation scores (exact, autograd), shape (n, k)."""
        return self.engine.scores_at(self._theta(params))

    def hessian(self, params: Any) -> torch.Tensor:
        """Hessian of the log-likelihood (exact, autograd), shape (k, k)."""
        return self.engine.hessian_at(self._theta(params))

    def degrees_of_freedom(self, k_free: int) -> tuple[float, float, float]:
        """``(df_model, df_resid, k for aic/bic)`` with ``k_free`` estimated parameters."""
        return float(k_free - self.k_constant), float(self.nobs - k_free), float(k_free)

    # --- covariances ----------------------------------------------------------------------------

    def classical_covariance(self, fit: SolverResult, use_t: bool | None) -> CovarianceResult:
        """The inverse observed information of the free parameters (NaN for fixed ones)."""
        return self.engine.classical_covariance(fit, _free(fit), use_t)

    def sandwich_inputs(self, fit: SolverResult, cov_type: str) -> SandwichInputs:
        """Bread: the inverse information of the free parameters; scores: theirs (autograd)."""
        free = _free(fit)
        assert fit.normalized_cov is not None
        bread = fit.normalized_cov[free][:, free]
        scores = self.scores_at(fit.params)
        return SandwichInputs.from_tensor(
            embed(bread, free),
            scores * free.to(scores.dtype),
            self.degrees_of_freedom(int(free.sum()))[1],
            hc1_correction=getattr(self, "hc1_correction", False),
        )

    def covariance(
        self,
        fit: SolverResult,
        cov_type: str = "nonrobust",
        cov_kwds: Mapping[str, Any] | None = None,
        use_t: bool | None = None,
    ) -> CovarianceResult:
        """The covariance named ``cov_type``: ``"opg"`` (``(S'S)^{-1}``), ``"sandwich"``
        (``H^-1 S'S H^-1``) or statsmodels' names; fixed parameters get NaN."""
        kind = cov_type.lower() if isinstance(cov_type, str) else cov_type
        free = _free(fit)
        if kind in _EXTRA_COV_TYPES and cov_kwds:
            raise ValueError(f"cov_type={kind!r} takes no cov_kwds, got {sorted(cov_kwds)}")
        use_t = bool(use_t) if use_t is not None else False
        if kind == "opg":
            covariance = self.engine.opg_covariance(fit, free, use_t)
        elif kind == "sandwich":
            covariance = replace(
                self._standard_covariance(fit, "HC0", None, use_t),
                cov_type="sandwich",
                description=SANDWICH_DESCRIPTION,
                kwds={"use_t": use_t, "description": SANDWICH_DESCRIPTION},
            )
        else:
            covariance = self._standard_covariance(fit, cov_type, cov_kwds, use_t)
        fixed = ~free
        if not bool(fixed.any()):
            return covariance
        cov = covariance.cov.clone()  # fixed parameters are not estimated: no variance
        cov[fixed] = math.nan
        cov[:, fixed] = math.nan
        return replace(covariance, cov=cov)

    def _standard_covariance(
        self,
        fit: SolverResult,
        cov_type: str,
        cov_kwds: Mapping[str, Any] | None,
        use_t: bool | None,
    ) -> CovarianceResult:
        if canonical_cov_type(cov_type) == "nonrobust":
            if cov_kwds:
                raise InvalidOptionError(
                    f"cov_type='nonrobust' takes no cov_kwds, got {sorted(cov_kwds)}"
                )
            return self.classical_covariance(fit, use_t)
        kwds = dict(cov_kwds or {})
        rows = getattr(getattr(self, "design", None), "rows", None)
        for name in ("groups", "time"):
            if kwds.get(name) is not None and rows is not None:
                kwds[name] = rows.select(kwds[name], name)
        return robust_covariance(cov_type, kwds, self.sandwich_inputs(fit, cov_type), use_t=use_t)

    def _report(
        self,
        fit: SolverResult,
        cov_type: str,
        cov_kwds: Mapping[str, Any] | None,
        use_t: bool | None,
        **record: Any,
    ) -> MaximumLikelihoodResults:
        covariance = self.covariance(fit, cov_type, cov_kwds, use_t)
        return MaximumLikelihoodResults(self, fit, covariance, **record)

    def __repr__(self) -> str:
        return f"<torchstats.{self.engine.name} k={len(self.engine.names)}, nobs={self.nobs}>"


def _free(fit: SolverResult) -> torch.Tensor:
    """Which parameters ``fit`` estimated (all when it says nothing)."""
    if fit.free is not None:
        return fit.free
    return torch.ones(fit.params.shape[0], dtype=torch.bool, device=fit.params.device)
