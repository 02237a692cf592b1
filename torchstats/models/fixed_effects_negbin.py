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

from torchstats.covariance.fixest import fixest_covariance, read_small_sample, read_vcov
from torchstats.covariance.result import CovarianceResult
from torchstats.errors import ConvergenceWarning, InvalidOptionError, warn
from torchstats.families import families as F
from torchstats.models.base import sized_threads
from torchstats.models.fixed_effects_glm import FixedEffectsGLM
from torchstats.results.fixed_effects_glm import FixedEffectsGLMResults, GlmIterations
from torchstats.solvers.demean import absorb, column_major
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
    def fit(  # type: ignore[override]
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
        return FixedEffectsGLMResults(self, fit, covariance, iterations=iterations)

    def _loglike_obs(self, mu: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        """NB2 log-likelihood of each row (statsmodels' ``nb2``)."""
        y = self.design.endog
        r = 1 / alpha
        return (
            torch.lgamma(y + r)
            - torch.lgamma(r)
            - torch.lgamma(y + 1)
            + r * torch.log(r / (r + mu))
            + y * torch.log(mu / (r + mu))
        )

    def _loglike(self, mu: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        return torch.sum(self._loglike_obs(mu, alpha))

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
        (hetero, CRV1; see the module notes)."""
        choice = read_vcov(vcov, cov_type, cov_kwds)
        if choice.kind not in ("iid", "hetero", "HC1", "CRV1"):
            raise InvalidOptionError(
                f"vcov {choice.kind!r} is not available for the negative binomial with fixed "
                "effects: choose 'iid', 'hetero' or {'CRV1': 'g'}"
            )
        assert isinstance(self.family, F.NegativeBinomial)
        y, mu = self.design.endog, iterations.mu
        alpha = torch.tensor(self.family.alpha, dtype=mu.dtype, device=mu.device)
        h = mu * (1 + alpha * y) / (1 + alpha * mu) ** 2
        c = (y - mu) * mu / (1 + alpha * mu) ** 2
        v = c / h
        tol, maxiter = self._tolerance
        columns = column_major(self.design.exog, v)
        resid = absorb(
            columns, self.absorb_terms, h, tol=tol, maxiter=maxiter, overwrite=True
        ).resid
        X, v_tilde = resid[:, :-1], resid[:, -1]
        j_bb = X.T @ (X * h.unsqueeze(1))
        j_ba = X.T @ c
        j_aa = -torch.func.hessian(lambda a: self._loglike(mu, a))(alpha)
        j_aa = j_aa - (v @ (h * v) - v_tilde @ (h * v_tilde))
        bread = torch.linalg.inv(j_bb - torch.outer(j_ba, j_ba) / j_aa)
        # Efficient scores: the coefficients' scores less their projection on the effects'
        # and alpha's (x~ g for the effects; alpha's own score, its effects part removed).
        g = (y - mu) / (1 + alpha * mu)
        score_alpha = torch.func.jacfwd(lambda a: self._loglike_obs(mu, a))(alpha)
        score_alpha = score_alpha - (v - v_tilde) * g
        scores = X * g.unsqueeze(1) - torch.outer(score_alpha, j_ba / j_aa)
        # fixest_covariance forms the scores as design * resid: hand it the scores whole.
        covariance = fixest_covariance(
            choice,
            read_small_sample(ssc),
            bread=bread,
            design=scores,
            resid=torch.ones_like(y),
            effects=self.effect_counts,
            clusters=self._clusters(choice.clusters) if choice.clustered else None,
            params=iterations.params,
            scale=1.0,
        )
        return CovarianceResult(
            covariance.cov,
            covariance.cov_type,
            False,
            covariance.df_resid,
            covariance.description,
            covariance.kwds,
        )
