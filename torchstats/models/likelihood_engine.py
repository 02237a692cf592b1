"""Maximum likelihood for a log-likelihood over a flat parameter vector.

The engine behind :class:`~torchstats.models.generic.MLE`,
:class:`~torchstats.models.generic.GenericLikelihoodModel` and the inference for fitted torch
modules. It optimises on an unconstrained scale (bounds and positivity become ``exp`` and
logistic transforms), can hold parameters fixed (restricted fits), and computes everything
else on the user's scale with exact autograd derivatives:

- the observed information ``-H`` (``torch.func.hessian``) for standard errors;
- per-observation scores (``torch.func.jacfwd`` of the per-observation log-likelihoods:
  ``k`` forward passes) for OPG and sandwich covariances;
- the score and Hessian of the full model at a restricted estimate for score tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchstats._device import OutputFormat
from torchstats.covariance.nonrobust import nonrobust_covariance
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import ConvergenceWarning, HessianWarning, NumericalError, warn
from torchstats.inference.compare import TestResult, score_test
from torchstats.solvers.first_order import minimize_lbfgs
from torchstats.solvers.newton import minimize_newton
from torchstats.solvers.result import SolverResult

__all__ = ["LikelihoodEngine", "OPG_DESCRIPTION", "OIM_DESCRIPTION"]

OIM_DESCRIPTION = (
    "Covariance matrix calculated as the inverse of the observed information (exact "
    "autograd Hessian)."
)
OPG_DESCRIPTION = "Covariance matrix calculated using the outer product of gradients (exact)."

LogLikeObs = Callable[[torch.Tensor], torch.Tensor]


class LikelihoodEngine:
    """Optimisation and information of ``loglikeobs(theta)`` over a flat ``theta``.

    Parameters
    ----------
    loglikeobs : callable
        ``theta (k,) -> per-observation log-likelihoods (n,)`` (or their sum, a scalar;
        robust covariances then need per-observation values).
    names : list of str
        One name per entry of ``theta``.
    lower, upper : Tensor, shape (k,)
        Bounds (``-inf``/``inf`` where none).
    nobs : int
        Number of observations (for information criteria and degrees of freedom).
    """

    def __init__(
        self,
        loglikeobs: LogLikeObs,
        names: list[str],
        *,
        lower: torch.Tensor,
        upper: torch.Tensor,
        nobs: int,
    ) -> None:
        self.loglikeobs = loglikeobs
        self.names = names
        self.lower, self.upper = lower, upper
        self.nobs = nobs
        self.output = OutputFormat("pandas", tuple(names))

    # --- the objective -----------------------------------------------------------------------

    def loglike_at(self, theta: torch.Tensor) -> torch.Tensor:
        """Total log-likelihood at ``theta``."""
        return self.loglikeobs(theta).sum()

    def _bound_masks(self) -> tuple[torch.Tensor, ...]:
        lo, hi = self.lower, self.upper
        both = torch.isfinite(lo) & torch.isfinite(hi)
        low_only = torch.isfinite(lo) & ~torch.isfinite(hi)
        high_only = ~torch.isfinite(lo) & torch.isfinite(hi)
        # infinite bounds replaced by 0 so that no branch of torch.where computes inf - inf
        # (NaN gradients flow back through unselected branches otherwise)
        lo_safe = torch.where(torch.isfinite(lo), lo, torch.zeros_like(lo))
        hi_safe = torch.where(torch.isfinite(hi), hi, torch.zeros_like(hi))
        return both, low_only, high_only, lo_safe, hi_safe

    def to_user(self, u: torch.Tensor) -> torch.Tensor:
        """Unconstrained ``u`` to ``theta`` within the bounds."""
        both, low_only, high_only, lo, hi = self._bound_masks()
        theta = torch.where(both, lo + (hi - lo) * torch.sigmoid(u), u)
        theta = torch.where(low_only, lo + torch.exp(u), theta)
        return torch.where(high_only, hi - torch.exp(u), theta)

    def to_unconstrained(self, theta: torch.Tensor) -> torch.Tensor:
        """``theta`` (strictly inside its bounds) to the unconstrained scale."""
        inside = (theta > self.lower) & (theta < self.upper)
        if not bool(inside.all()):
            bad = [n for n, ok in zip(self.names, inside.tolist()) if not ok]
            raise ValueError(
                f"start values of {', '.join(bad)} are not strictly inside their bounds"
            )
        both, low_only, high_only, lo, hi = self._bound_masks()
        width = torch.where(both, hi - lo, torch.ones_like(hi))
        fraction = torch.where(both, (theta - lo) / width, torch.full_like(theta, 0.5))
        u = torch.where(both, torch.log(fraction) - torch.log1p(-fraction), theta)
        u = torch.where(low_only, torch.log(torch.where(low_only, theta - lo, 1.0)), u)
        return torch.where(high_only, torch.log(torch.where(high_only, hi - theta, 1.0)), u)

    # --- fitting -----------------------------------------------------------------------------

    def fit(
        self,
        start: torch.Tensor,
        *,
        fixed: dict[int, float],
        method: str,
        maxiter: int,
        name: str,
    ) -> tuple[SolverResult, dict[str, Any], torch.Tensor]:
        """Maximise over the free parameters.

        Returns the fit (user scale), statsmodels-style retvals and the mask of the free
        (estimated) parameters.
        """
        theta0 = start.clone()
        for index, value in fixed.items():
            theta0[index] = value
        free = torch.ones(len(self.names), dtype=torch.bool, device=start.device)
        free[list(fixed)] = False
        u0 = self.to_unconstrained(theta0)
        start_llf = self.loglike_at(theta0)
        if not bool(torch.isfinite(start_llf)):
            raise NumericalError(
                f"{name}: the log-likelihood is not finite at the start values "
                f"({float(start_llf)}); choose start_params where every observation has "
                "positive likelihood"
            )

        def objective(u_free: torch.Tensor) -> torch.Tensor:
            u = u0.clone() if not free.all() else u_free
            if not free.all():
                u = u.index_put((torch.nonzero(free).flatten(),), u_free)
            theta = self.to_user(u)
            if not free.all():
                theta = torch.where(free, theta, theta0)
            return -self.loglike_at(theta) / self.nobs

        found = self._minimise(objective, u0[free], method, maxiter)
        if not bool(torch.isfinite(objective(found.params))):
            raise NumericalError(f"{name}: the log-likelihood became non-finite during the fit")
        u = u0.clone()
        u[free] = found.params
        theta = torch.where(free, self.to_user(u), theta0)
        if not found.converged:
            warn(
                f"{name}: maximum likelihood did not converge after {found.n_iter} iterations "
                f"({found.message}; gradient norm {found.grad_norm:.3g}); increase maxiter "
                "or try other start_params",
                ConvergenceWarning,
            )
        retvals = {
            "converged": found.converged,
            "iterations": found.n_iter,
            "grad_norm": found.grad_norm,
            "message": found.message,
            "method": method,
        }
        return (
            SolverResult(
                params=theta.detach(),
                method=method,
                converged=found.converged,
                n_iter=found.n_iter,
                grad_norm=found.grad_norm,
                message=found.message,
                rank=int(free.sum()),
                normalized_cov=self.inverse_information(theta.detach(), free, name),
            ),
            retvals,
            free,
        )

    def _minimise(
        self, objective: Callable, u0: torch.Tensor, method: str, maxiter: int
    ) -> SolverResult:
        if method == "newton":
            return minimize_newton(objective, u0.detach(), max_iter=maxiter)
        if method in ("lbfgs", "bfgs"):
            value_and_grad = torch.func.grad_and_value(objective)

            def with_grad(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                grad, value = value_and_grad(u)
                return value.detach(), grad.detach()

            return minimize_lbfgs(with_grad, u0.detach(), max_iter=maxiter)
        raise ValueError(f"unknown method {method!r}; choose 'newton' or 'lbfgs'")

    # --- information -----------------------------------------------------------------------------

    def hessian_at(self, theta: torch.Tensor) -> torch.Tensor:
        """Hessian of the total log-likelihood at ``theta`` (all parameters)."""
        with torch.enable_grad():
            return torch.func.hessian(self.loglike_at)(theta.detach()).detach()

    def inverse_information(
        self, theta: torch.Tensor, free: torch.Tensor, name: str
    ) -> torch.Tensor:
        """``(-H_ff)^{-1}`` of the free parameters, embedded (NaN for fixed ones).

        A Hessian that is not negative definite at the estimate warns and gives NaN
        variances to the parameters the likelihood does not identify.
        """
        information = -self.hessian_at(theta)[free][:, free]
        factor, info = torch.linalg.cholesky_ex(information)
        if int(info) == 0:
            eye = torch.eye(information.shape[0], dtype=theta.dtype, device=theta.device)
            inverse = torch.cholesky_solve(eye, factor)
        else:
            warn(
                f"{name}: the Hessian of the log-likelihood is not negative definite at the "
                "estimate (not a strict maximum: a flat direction, a saddle point or a boundary "
                "estimate); parameters involved in those directions get NaN standard errors, "
                "the others come from a pseudo-inverse. Check identification, rescale or "
                "reparametrise.",
                HessianWarning,
            )
            inverse = _identified_inverse(information)
        full = torch.full(
            (free.shape[0],) * 2, float("nan"), dtype=theta.dtype, device=theta.device
        )
        index = torch.nonzero(free).flatten()
        full[index[:, None], index[None, :]] = inverse
        return full

    def classical_covariance(
        self, fit: SolverResult, free: torch.Tensor, use_t: bool | None
    ) -> CovarianceResult:
        """The inverse observed information (statsmodels' nonrobust for MLE)."""
        assert fit.normalized_cov is not None
        return nonrobust_covariance(
            fit.normalized_cov, 1.0, df_resid=self.nobs - int(free.sum()), use_t=bool(use_t)
        )

    def opg_covariance(
        self, fit: SolverResult, free: torch.Tensor, use_t: bool | None
    ) -> CovarianceResult:
        """Inverse of the outer product of per-observation scores (free parameters)."""
        scores = self.scores_at(fit.params)[:, free]
        inverse = torch.linalg.inv(scores.T @ scores)
        full = torch.full_like(fit.normalized_cov, float("nan"))  # type: ignore[arg-type]
        index = torch.nonzero(free).flatten()
        full[index[:, None], index[None, :]] = inverse
        return CovarianceResult(
            cov=full,
            cov_type="opg",
            use_t=bool(use_t),
            df_resid=float(self.nobs - int(free.sum())),
            description=OPG_DESCRIPTION,
            kwds={"description": OPG_DESCRIPTION},
        )

    def scores_at(self, theta: torch.Tensor) -> torch.Tensor:
        """Per-observation scores ``d log L_i / d theta``, shape (n, k)."""
        with torch.enable_grad():
            values = self.loglikeobs(theta.detach())
        if values.ndim == 0 or values.numel() == 1:
            raise ValueError(
                "robust and OPG covariances need per-observation log-likelihoods: make the "
                "log-likelihood return one value per observation instead of their sum"
            )
        with torch.enable_grad():
            return torch.func.jacfwd(self.loglikeobs)(theta.detach()).detach()

    def score_test_at(self, theta: torch.Tensor, free: torch.Tensor) -> TestResult:
        """Score test of the fixed parameters at a restricted estimate ``theta``."""
        n_fixed = int((~free).sum())
        if n_fixed == 0:
            raise ValueError("score_test() tests fixed parameters: fit with fixed={...} first")
        with torch.enable_grad():
            score = torch.func.grad(self.loglike_at)(theta.detach()).detach()
        return score_test(score, self.hessian_at(theta), n_fixed)


def _identified_inverse(information: torch.Tensor) -> torch.Tensor:
    """Pseudo-inverse of a singular or indefinite information matrix, NaN where unidentified.

    Eigenvectors with eigenvalues that are not clearly positive span the directions the data
    do not determine; every parameter with weight on them gets NaN variances and
    covariances, so that no standard error pretends to more than the likelihood says.
    """
    eigenvalues, vectors = torch.linalg.eigh(information)
    scale = eigenvalues.abs().max()
    tol = scale * information.shape[0] * torch.finfo(information.dtype).eps * 1e3
    good = eigenvalues > tol
    inverse = (vectors[:, good] / eigenvalues[good]) @ vectors[:, good].T
    weight = (vectors[:, ~good] ** 2).sum(dim=1)
    unidentified = weight > 1e-8
    inverse[unidentified] = float("nan")
    inverse[:, unidentified] = float("nan")
    return inverse
