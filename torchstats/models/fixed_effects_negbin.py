"""Negative binomial (NB2) regression with absorbed fixed effects and the dispersion
estimated: ``ts.negativebinomial("y ~ x | f1 + f2", df)`` (fixest's ``fenegbin``).

The joint maximum of the likelihood in the coefficients, the effects and ``alpha`` is
found by alternating two exact steps until ``alpha`` settles: the GLM with effects for
the current ``alpha`` (:class:`~torchstats.models.fixed_effects_glm.FixedEffectsGLM`,
warm-started at the last means), then Newton's method on the profile log-likelihood in
``log(alpha)`` for the current means. At the fixed point every score is zero, so the
coefficients are statsmodels' ``NegativeBinomial`` with the effects as dummies.

The covariance is the observed information's, with ``alpha`` and the effects profiled out
(the ``x`` block of the inverse of the full negative Hessian): with ``h`` the observed
weights ``mu (1 + alpha y) / (1 + alpha mu)^2``, ``c = (y - mu) mu / (1 + alpha mu)^2``
the cross-derivative in ``eta`` and ``alpha``, ``v = c / h``, and ``X~, v~`` demeaned
with weights ``h``,

    J_bb = X~'HX~,   J_ba = X~'c,   J_aa = j_aa - (v'Hv - v~'Hv~),
    cov = (J_bb - J_ba J_ba' / J_aa)^{-1}.

The robust covariances are the sandwiches of the same profiled problem: the ``x`` block of
``J^{-1} (sum_i s_i s_i') J^{-1}`` over all parameters is ``B (sum_i e_i e_i') B`` with
``B`` the covariance above and the efficient scores ``e_i = x~_i g_i - a~_i J_ba / J_aa``
(``g = (y - mu) / (1 + alpha mu)``, ``a~`` alpha's score less ``(v - v~) g``), summed
within clusters for CRV1; fixest's small-sample factors apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from torchstats.covariance.fixest import read_vcov, small_sample_for
from torchstats.covariance.fixest_glm import nb2_loglike_obs, negbin_profile_covariance
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import ConvergenceWarning, InvalidOptionError, warn
from torchstats.families import families as F
from torchstats.models.base import sized_threads
from torchstats.models.fixed_effects_glm import FixedEffectsGLM
from torchstats.results.fixed_effects_glm import FixedEffectsGLMResults, GlmIterations
from torchstats.solvers.result import SolverResult

__all__ = ["FixedEffectsNegativeBinomial"]

_ALPHA_NEWTON_STEPS = 50
"""Most Newton steps for ``log(alpha)`` given the means (it converges in a handful)."""


class FixedEffectsNegativeBinomial(FixedEffectsGLM):
    """NB2 with fixed effects absorbed and ``alpha`` estimated (fixest's ``fenegbin``).

    Parameters
    ----------
    formula, data, offset, missing, fixef_rm, fixef_tol, fixef_maxiter, collin_tol,
    glm_tol, glm_maxiter, separation, device, dtype, context
        As :class:`~torchstats.models.fixed_effects_glm.FixedEffectsGLM`.
    alpha_tol : float
        Relative change of ``alpha`` between two rounds that ends the alternation.
    alpha_maxiter : int
        Most rounds; reaching it warns.
    """

    model_name = "NegativeBinomial"

    def __init__(
        self,
        formula: str,
        data: Any,
        *,
        alpha_tol: float = 1e-10,
        alpha_maxiter: int = 100,
        **options: Any,
    ) -> None:
        if "weights" in options:
            raise InvalidOptionError(
                "the negative binomial with fixed effects takes no weights (statsmodels' "
                "NegativeBinomial has none either)"
            )
        self._alpha_rule = (alpha_tol, alpha_maxiter)
        super().__init__(formula, data, F.NegativeBinomial(alpha=1.0), **options)

    @sized_threads
    def fit(
        self,
        vcov: str | Mapping[str, str] | None = None,
        ssc: Mapping[str, object] | None = None,
        *,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> FixedEffectsGLMResults:
        """Estimate the coefficients and ``alpha``; ``vcov="iid"`` only (see the notes)."""
        alpha_tol, alpha_maxiter = self._alpha_rule
        warm: torch.Tensor | None = None
        alpha = 1.0
        total = 0
        converged = False
        for _ in range(alpha_maxiter):
            self.family = F.NegativeBinomial(alpha=alpha)
            iterations = self.iterate(warm)
            total += iterations.n_iter
            warm = iterations.mu
            updated = self._profile_alpha(iterations.mu, alpha)
            change = abs(updated - alpha) / alpha
            alpha = updated
            if change < alpha_tol:
                converged = True
                break
        if not converged:
            warn(
                f"alpha did not settle in {alpha_maxiter} rounds (last relative change "
                f"{change:.3g}); raise alpha_maxiter",
                ConvergenceWarning,
            )
        self.family = F.NegativeBinomial(alpha=alpha)
        iterations = self.iterate(warm)
        total += iterations.n_iter
        fit = SolverResult(
            iterations.params,
            "irls+newton",
            converged and iterations.converged,
            total,
            0.0,
            "alternation converged" if converged else "alpha did not settle",
            len(iterations.params),
            None,
        )
        covariance = self.glm_covariance(iterations, vcov, ssc, cov_type, cov_kwds)
        return FixedEffectsGLMResults(
            self, fit, covariance, iterations=iterations, ssc=dict(ssc or {})
        )

    def _loglike(self, mu: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        return torch.sum(nb2_loglike_obs(self.design.endog, mu, alpha))

    def _profile_alpha(self, mu: torch.Tensor, alpha: float) -> float:
        """Newton's method on the log-likelihood in ``log(alpha)`` with ``mu`` fixed."""

        def objective(log_alpha: torch.Tensor) -> torch.Tensor:
            return -self._loglike(mu, torch.exp(log_alpha))

        gradient = torch.func.grad(objective)
        curvature = torch.func.grad(gradient)
        point = torch.tensor(float(torch.log(torch.tensor(alpha))), dtype=mu.dtype)
        point = point.to(mu.device)
        for _ in range(_ALPHA_NEWTON_STEPS):
            slope, bend = gradient(point), curvature(point)
            step = slope / bend if bool(bend > 0) else torch.sign(slope)
            point = point - step.clamp(-2.0, 2.0)
            if abs(float(step)) < 1e-13:
                break
        return float(torch.exp(point))

    def glm_covariance(
        self,
        iterations: GlmIterations,
        vcov: str | Mapping[str, str] | None,
        ssc: Mapping[str, object] | None,
        cov_type: str | None = None,
        cov_kwds: Mapping[str, object] | None = None,
    ) -> CovarianceResult:
        """The covariance of the coefficients with ``alpha`` and the effects profiled out:
        the observed information's (iid), or the sandwich of the efficient scores
        (hetero, CRV1; see the module notes and
        :func:`~torchstats.covariance.fixest_glm.negbin_profile_covariance`)."""
        choice = read_vcov(vcov, cov_type, cov_kwds)
        assert isinstance(self.family, F.NegativeBinomial)
        sample, plan = self.sample, self.absorb_plan

        def demean(columns: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
            return sample.absorb(columns, weights, overwrite=True, plan=plan).resid

        return negbin_profile_covariance(
            choice,
            small_sample_for(choice, ssc),
            endog=self.design.endog,
            exog=self.design.exog,
            mu=iterations.mu,
            alpha=self.family.alpha,
            demean=demean,
            params=iterations.params,
            effects=self.effect_counts,
            # CRV3 is refused before any cluster column is read
            clusters=sample.clusters(choice.clusters) if choice.kind == "CRV1" else None,
        )
