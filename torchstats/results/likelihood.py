"""Results of maximum-likelihood fits of custom likelihoods and of fitted torch modules.

Standard errors come from the exact (autograd) Hessian of the log-likelihood — the inverse
observed information — or from per-observation scores (``opg``, ``sandwich``/``HC0`` and the
other robust covariances), never from finite differences.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import cached_property
from typing import Any

import torch

from torchstats._device import OutputFormat
from torchstats.covariance.result import CovarianceResult
from torchstats.covariance.sandwich import SandwichInputs
from torchstats.inference.compare import TestResult, lr_test
from torchstats.results.base import LikelihoodResults
from torchstats.solvers.result import SolverResult

__all__ = ["MaximumLikelihoodResults"]


class MaximumLikelihoodResults(LikelihoodResults):
    """A maximum-likelihood fit: estimates, covariance, tests, information criteria, summary.

    Parameters
    ----------
    model : MLE, GenericLikelihoodModel or a module-inference model
        Provides ``param_names``, ``nobs``, ``output``, ``engine`` and ``loglike_at(params)``
        and, for robust covariances, ``scores_at(params)``.
    fit : SolverResult
        With ``params`` on the user's scale and ``normalized_cov`` the inverse observed
        information (NaN rows/columns for fixed parameters).
    covariance : CovarianceResult
    retvals : dict
        ``converged``, ``iterations``, ``grad_norm``, ``message`` (statsmodels'
        ``mle_retvals``).
    free : Tensor of bool, shape (k,)
        Which parameters were estimated (the others were held fixed).
    """

    _retvals: dict[str, Any]
    _free: torch.Tensor

    def __init__(
        self,
        model: Any,
        fit: SolverResult,
        covariance: CovarianceResult,
        *,
        retvals: dict[str, Any],
        free: torch.Tensor,
    ) -> None:
        super().__init__(model, fit, covariance)
        object.__setattr__(self, "_retvals", dict(retvals))
        object.__setattr__(self, "_free", free)

    def _with_covariance(self, covariance: CovarianceResult) -> MaximumLikelihoodResults:
        return type(self)(
            self.model, self.fit_result, covariance, retvals=self._retvals, free=self._free
        )

    @property
    def _output(self) -> OutputFormat:
        return self.model.output

    @property
    def mle_retvals(self) -> dict[str, Any]:
        """How the optimisation ended: ``converged``, ``iterations``, ``grad_norm``, ..."""
        return dict(self._retvals)

    @property
    def converged(self) -> bool:
        return bool(self._retvals.get("converged", True))

    @property
    def method(self) -> str:
        return "MLE"

    # --- likelihood statistics ------------------------------------------------------------------

    @property
    def nobs(self) -> float:
        return float(self.model.nobs)

    @property
    def k_free(self) -> int:
        """Number of estimated (not fixed) parameters."""
        return int(self._free.sum())

    @property
    def df_model(self) -> float:
        """Estimated parameters (minus the constant, for models with one)."""
        return float(self.k_free - getattr(self.model, "k_constant", 0))

    @property
    def df_resid(self) -> float:
        return float(self.nobs - self.k_free)

    @cached_property
    def llf(self) -> float:
        """Log-likelihood at the estimate."""
        return float(self.model.loglike_at(self.fit_result.params))

    @property
    def aic(self) -> float:
        """``-2 llf + 2 k`` with ``k`` the estimated parameters."""
        return -2 * self.llf + 2 * self.k_free

    @property
    def bic(self) -> float:
        """``-2 llf + log(nobs) k``."""
        return -2 * self.llf + math.log(self.nobs) * self.k_free

    # --- covariances ---------------------------------------------------------------------

    def _nonrobust_covariance(self, use_t: bool | None) -> CovarianceResult:
        return self.model.engine.classical_covariance(self.fit_result, self._free, use_t)

    def _covariance(self, cov_type: str, cov_kwds: Any, use_t: bool | None) -> CovarianceResult:
        covariance = super()._covariance(cov_type, cov_kwds, use_t)
        fixed = ~self._free
        if not bool(fixed.any()):
            return covariance
        cov = covariance.cov.clone()  # fixed parameters are not estimated: no variance
        cov[fixed] = float("nan")
        cov[:, fixed] = float("nan")
        return replace(covariance, cov=cov)

    def _sandwich_inputs(self) -> SandwichInputs:
        free = self._free
        scores = self.model.scores_at(self.fit_result.params)[:, free]
        bread = self.fit_result.normalized_cov[free][:, free]  # type: ignore[index]
        # HC1's n / (n - k) factor is statsmodels' for least squares, not for likelihoods
        least_squares = bool(getattr(self.model, "least_squares", False))
        return SandwichInputs.from_tensor(
            _embed(bread, free),
            _embed_columns(scores, free),
            self.df_resid,
            hc1_correction=least_squares,
        )

    # --- tests ---------------------------------------------------------------------------------

    def lr_test(self, restricted: MaximumLikelihoodResults) -> TestResult:
        """Likelihood-ratio test of ``restricted`` (a fit with some parameters fixed)."""
        return lr_test(self.llf, restricted.llf, self.k_free - restricted.k_free)

    def score_test(self) -> TestResult:
        """Lagrange-multiplier (score) test of the fixed parameters of this restricted fit.

        Uses the score and the Hessian of the *full* model (all parameters free) at the
        restricted estimate: ``LM = s' (-H)^{-1} s`` on chi-squared with as many degrees of
        freedom as fixed parameters.
        """
        return self.model.engine.score_test_at(self.fit_result.params, self._free)

    def summary(
        self,
        yname: str | None = None,
        xname: list[str] | None = None,
        title: str | None = None,
        alpha: float = 0.05,
    ) -> Any:
        """statsmodels' ``GenericLikelihoodModelResults`` summary."""
        from torchstats.summary.layouts import likelihood_summary

        notes = []
        if not self.converged:
            notes.append(f"The optimisation did not converge: {self._retvals.get('message', '')}.")
        fixed = [n for n, f in zip(self.model.param_names, self._free.tolist()) if not f]
        if fixed:
            notes.append(f"Parameters held fixed (not estimated): {', '.join(fixed)}.")
        return likelihood_summary(
            self, yname=yname, xname=xname, title=title, alpha=alpha, extra_txt=notes
        )

    def __repr__(self) -> str:
        return f"<torchstats.MaximumLikelihoodResults {self.model!r}>"


def _embed(matrix: torch.Tensor, free: torch.Tensor) -> torch.Tensor:
    """A free-by-free matrix placed into the full parameter space (zeros elsewhere)."""
    k = free.shape[0]
    out = torch.zeros(k, k, dtype=matrix.dtype, device=matrix.device)
    index = torch.nonzero(free).flatten()
    out[index[:, None], index[None, :]] = matrix
    return out


def _embed_columns(scores: torch.Tensor, free: torch.Tensor) -> torch.Tensor:
    out = torch.zeros(scores.shape[0], free.shape[0], dtype=scores.dtype, device=scores.device)
    out[:, torch.nonzero(free).flatten()] = scores
    return out
