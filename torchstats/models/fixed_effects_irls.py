"""Iteratively reweighted least squares with absorbed fixed effects: the iterations of
:class:`~torchstats.models.fixed_effects_glm.FixedEffectsGLM` (and of the negative
binomial's GLM steps).

Every iteration is a fixed-effects weighted least squares (Bergé 2018; Correia, Guimarães
and Zylkin 2020, ppmlhdfe; Stammann 2018): with ``W = w / (g'(mu)^2 V(mu))`` and the
working response ``z = eta - offset + (y - mu) g'(mu)``,

1. ``z~, X~``: ``z`` and ``X`` with the effects projected out, weighted by ``W``;
2. ``b = (X~'WX~)^{-1} X~'W z~``;
3. ``eta = offset + z - (z~ - X~ b)``: the fitted part of the working response, effects
   included; ``mu = g^{-1}(eta)``.

Iterations stop when the deviance changes by less than ``glm_tol`` relative to
``0.1 + |deviance|`` (fixest's ``glm.tol`` rule); an iteration that raises the deviance is
halved until it does not. From the second iteration the demeaning is warm-started as
pyfixest's: ``z~_prev + (z - z_prev)`` and ``X~_prev`` are demeaned instead of ``z`` and
``X``; the projection is the same (the difference lies in the span of the dummies) but
the sweeps start closer to the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from torchstats.errors import ConvergenceWarning, NumericalError, warn
from torchstats.families.families import Family
from torchstats.results.fixed_effects_glm import GlmIterations
from torchstats.solvers.demean import column_major

__all__ = ["IrlsProblem", "run_irls"]

_HALVINGS = 40
"""Most step halvings in one iteration (the step is then ``2**-40`` of the full one)."""
_ROUNDING = 1e-12
"""A deviance this much (relative) above the last one counts as not having risen."""


@dataclass(frozen=True)
class IrlsProblem:
    """What the iterations need: the family, the rows and how to demean.

    Attributes
    ----------
    family : Family
        The family and its link.
    endog : Tensor, shape (n,)
        The response.
    exog : Tensor, shape (n, k)
        The regressors (collinear ones already dropped).
    offset : Tensor, shape (n,), or None
        Added to the linear predictor.
    prior_weights : Tensor, shape (n,), or None
        The prior weights ``w``.
    demean : callable
        ``demean(columns, weights)``: the residuals of ``columns`` (n, m, column-major; it
        may overwrite them) on the absorbed effects with ``weights``.
    """

    family: Family
    endog: torch.Tensor
    exog: torch.Tensor
    offset: torch.Tensor | None
    prior_weights: torch.Tensor | None
    demean: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

    def irls_weights(self, mu: torch.Tensor) -> torch.Tensor:
        """``W = w / (g'(mu)^2 V(mu))``."""
        weights = self.family.weights(mu)
        return weights if self.prior_weights is None else weights * self.prior_weights

    def working_response(self, eta: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        """``z = eta - offset + (y - mu) g'(mu)``."""
        z = eta + (self.endog - mu) * self.family.link.deriv(mu)
        return z if self.offset is None else z - self.offset

    def deviance(self, mu: torch.Tensor) -> float:
        """The deviance at ``mu``, weighted with the prior weights."""
        weights = 1.0 if self.prior_weights is None else self.prior_weights
        return float(self.family.deviance(self.endog, mu, var_weights=weights))


def run_irls(
    problem: IrlsProblem,
    mu: torch.Tensor,
    first: torch.Tensor | None,
    glm_tol: float,
    glm_maxiter: int,
) -> GlmIterations:
    """Run IRLS to convergence (see the module notes) from the means ``mu``.

    Parameters
    ----------
    problem : IrlsProblem
        The family, the rows and the demeaning.
    mu : Tensor, shape (n,)
        The starting means.
    first : Tensor, shape (n, 1 + k), or None
        ``[z~, X~]`` at ``mu``, already demeaned (the model's first demeaning); None
        demeans ``[z, X]`` in the first iteration (a warm start from other means).
    glm_tol : float
        Relative change of the deviance that ends the iterations.
    glm_maxiter : int
        Most iterations (at least 1); reaching it warns.

    Returns
    -------
    GlmIterations
        Where the iterations ended.
    """
    eta = problem.family.predict(mu)
    deviance = problem.deviance(mu)
    previous: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
    if first is None:
        z = problem.working_response(eta, mu)
        previous = (z, z, problem.exog)
    converged = False
    n_iter = 0
    while n_iter < glm_maxiter:
        n_iter += 1
        weights = problem.irls_weights(mu)
        z = problem.working_response(eta, mu)
        if previous is None:
            assert first is not None
            z_tilde, X_tilde = first[:, 0], first[:, 1:]
        else:
            z_before, z_tilde_before, X_tilde = previous
            # the stacked columns are this iteration's own copy: the demeaning overwrites them
            resid = problem.demean(column_major(z_tilde_before + (z - z_before), X_tilde), weights)
            z_tilde, X_tilde = resid[:, 0], resid[:, 1:]
        params = _weighted_solve(X_tilde, z_tilde, weights)
        working_resid = z_tilde - X_tilde @ params
        eta_new = z - working_resid + (0.0 if problem.offset is None else problem.offset)
        eta_new, mu_new, deviance_new = _step(problem, eta, eta_new, deviance, n_iter > 1)
        change = abs(deviance_new - deviance) / (0.1 + abs(deviance))
        eta, mu, deviance = eta_new, mu_new, deviance_new
        previous = (z, z_tilde, X_tilde)
        last = (weights, X_tilde, working_resid, params)
        if change < glm_tol:
            converged = True
            break
    if not converged:
        warn(
            f"IRLS did not converge in {glm_maxiter} iterations (the deviance still changed "
            f"by {change:.3g} relative, above glm_tol={glm_tol:g}); raise glm_maxiter",
            ConvergenceWarning,
        )
    weights, X_tilde, working_resid, params = last
    return GlmIterations(
        params, eta, mu, deviance, weights, X_tilde, working_resid, n_iter, converged
    )


def _step(
    problem: IrlsProblem,
    eta: torch.Tensor,
    eta_new: torch.Tensor,
    deviance: float,
    descend: bool,
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """The full step, or the first of its halvings with a valid mean and a finite
    deviance that (when ``descend``) does not raise the deviance.

    The first iteration does not need to descend: the start (``(y + mean) / 2`` for
    counts) is not a fit of the model and may have a lower deviance than any fit.
    """
    family = problem.family
    step = eta_new - eta
    for halving in range(_HALVINGS + 1):
        candidate = eta + step * 0.5**halving
        mu = family.fitted(candidate)
        if bool(family.valid_mean(mu).all()):
            value = problem.deviance(mu)
            # Accept a deviance that rose by rounding only: near the optimum the full step
            # is right and halving it would stop short.
            if np.isfinite(value) and (
                not descend or value <= deviance + _ROUNDING * abs(deviance)
            ):
                return candidate, mu, value
    raise NumericalError(
        "IRLS step halving found no step with a valid mean and a lower deviance; the "
        "model may be separated or the link unsuited to the data (try another link or "
        "check the outcome's range)"
    )


def _weighted_solve(X: torch.Tensor, z: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``(X'WX)^{-1} X'Wz`` by Cholesky (the collinear columns are already dropped)."""
    if X.shape[1] == 0:
        return torch.zeros(0, dtype=z.dtype, device=z.device)
    weighted = X * weights.unsqueeze(1)
    gram = X.T @ weighted
    factor, info = torch.linalg.cholesky_ex(gram)
    if int(info):
        raise NumericalError(
            "the IRLS weighted cross-product is not positive definite: the regressors are "
            "collinear with the fixed effects at the current weights; drop a regressor"
        )
    return torch.cholesky_solve((weighted.T @ z).unsqueeze(1), factor).squeeze(1)
