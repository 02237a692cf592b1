"""Results of maximum-likelihood fits of custom likelihoods and of fitted torch modules.

Standard errors come from the exact (autograd) Hessian of the log-likelihood — the inverse
observed information — or from per-observation scores (``opg``, ``sandwich`` and the robust
covariances ``HC0``, ``cluster``, ``HAC``), never from finite differences.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import torch

from torchstats.covariance.result import CovarianceResult
from torchstats.inference.compare import TestResult, lr_test
from torchstats.inference.information_criteria import im_ratio, info_criterion
from torchstats.results.base import LikelihoodResults
from torchstats.solvers.result import SolverResult
from torchstats.summary.layouts import likelihood_summary

__all__ = ["MaximumLikelihoodResults", "embed"]

SANDWICH_DESCRIPTION = (
    "Covariance matrix calculated as the sandwich H^-1 (S'S) H^-1 of the exact Hessian and "
    "the per-observation scores"
)


class MaximumLikelihoodResults(LikelihoodResults):
    """A maximum-likelihood fit: estimates, covariance, tests, information criteria, summary.

    Parameters
    ----------
    model : MLE, GenericLikelihoodModel or ModuleLikelihood
        Provides ``engine``, ``output``, ``param_names``, ``nobs``, ``loglike_at(params)``,
        ``scores_at(params)`` and ``degrees_of_freedom(k_free)``.
    fit : SolverResult
        ``params`` on the user's scale, ``normalized_cov`` the inverse observed
        information (NaN rows and columns for fixed parameters) and ``free`` the estimated
        (not fixed) parameters.
    covariance : CovarianceResult
    retvals : dict
        ``converged``, ``iterations``, ``fopt``, ``grad_norm``, ``message``, ... (statsmodels'
        ``mle_retvals``).
    settings : dict, optional
        How the optimisation was set up (statsmodels' ``mle_settings``); default the
        optimizer's name only.
    """

    _retvals: dict[str, Any]
    _settings: dict[str, Any] | None

    def __init__(
        self,
        model: Any,
        fit: SolverResult,
        covariance: CovarianceResult,
        *,
        retvals: dict[str, Any],
        settings: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(model, fit, covariance, retvals=retvals, settings=settings)
        object.__setattr__(self, "_retvals", dict(retvals))
        object.__setattr__(self, "_settings", None if settings is None else dict(settings))

    @property
    def _free(self) -> torch.Tensor:
        free = self.fit_result.free
        if free is None:
            return torch.ones_like(self.fit_result.params, dtype=torch.bool)
        return free

    @property
    def mle_retvals(self) -> dict[str, Any]:
        """How the optimisation ended: ``converged``, ``iterations``, ``grad_norm``, ..."""
        return dict(self._retvals)

    @property
    def mle_settings(self) -> dict[str, Any]:
        """How the optimisation was set up (a copy): ``optimizer``, ``start_params``,
        ``maxiter`` and the method's options (statsmodels' ``mle_settings``)."""
        if self._settings is not None:
            return dict(self._settings)
        return {"optimizer": self._retvals.get("method", self.fit_result.method)}

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
    def fixed_params(self) -> list[str]:
        """Names of the parameters held fixed in this fit."""
        return [n for n, f in zip(self.model.param_names, self._free.tolist()) if not f]

    @property
    def df_model(self) -> float:
        """Model degrees of freedom (statsmodels' convention for the model class)."""
        return self.model.degrees_of_freedom(self.k_free)[0]

    @property
    def df_resid(self) -> float:
        return self.model.degrees_of_freedom(self.k_free)[1]

    @property
    def df_modelwc(self) -> float:
        """Parameters counted by ``aic`` and ``bic``."""
        return self.model.degrees_of_freedom(self.k_free)[2]

    @cached_property
    def llf(self) -> float:
        """Log-likelihood at the estimate."""
        with torch.no_grad():
            return float(self.model.loglike_at(self.fit_result.params))

    @property
    def aic(self) -> float:
        """``-2 llf + 2 k`` with ``k = df_modelwc``."""
        return -2 * self.llf + 2 * self.df_modelwc

    @property
    def bic(self) -> float:
        """``-2 llf + log(nobs) k`` with ``k = df_modelwc``."""
        return -2 * self.llf + math.log(self.nobs) * self.df_modelwc

    @cached_property
    def im_ratio(self) -> np.ndarray:
        """The information-matrix ratio of the estimated parameters, ``(-H)^{-1} S'S``
        (``V (-H)`` with a robust covariance ``V``); the identity when the model is correct."""
        free = self._free
        hessian = self.model.engine.hessian_at(self.fit_result.params)[free][:, free]
        return im_ratio(
            hessian,
            self._scores[:, free],
            self.covariance.cov[free][:, free],
            nonrobust=self.cov_type == "nonrobust",
        )

    def info_criteria(self, crit: str, dk_params: float = 0) -> float | tuple[float, float]:
        """An information criterion, as statsmodels' ``info_criteria`` of its discrete results.

        Parameters
        ----------
        crit : {"aic", "bic", "tic", "gbic"}
            ``aic`` and ``bic`` with ``df_modelwc + dk_params`` parameters (they equal
            :attr:`aic` and :attr:`bic` for ``dk_params=0``); ``tic`` is
            ``-2 llf + 2 trace(im_ratio)``; ``gbic`` returns ``(gbic, gbicp)``.
        dk_params : float
            Correction to the number of parameters.

        Returns
        -------
        float, or (float, float) for ``"gbic"``
        """
        key = crit.lower() if isinstance(crit, str) else crit
        ratio = self.im_ratio if key in ("tic", "gbic") else None
        return info_criterion(crit, self.llf, self.df_modelwc + dk_params, self.nobs, ratio)

    # --- statsmodels' GenericLikelihoodModelResults extras ---------------------------------------

    @cached_property
    def _scores(self) -> torch.Tensor:
        return self.model.scores_at(self.fit_result.params)

    @property
    def score_obsv(self) -> Any:
        """Per-observation scores at the estimate, shape (n, k)."""
        return self._output.plain(self._scores)

    @property
    def hessv(self) -> Any:
        """Hessian of the log-likelihood at the estimate, shape (k, k)."""
        return self._output.plain(self.model.engine.hessian_at(self.fit_result.params))

    @property
    def covjac(self) -> Any:
        """``(S'S)^{-1}``: the outer-product-of-gradients covariance."""
        return self._output.matrix(self._extra_covariance("opg").cov)

    @property
    def covjhj(self) -> Any:
        """``H^{-1} S'S H^{-1}``: the sandwich covariance."""
        return self._output.matrix(self._extra_covariance("sandwich").cov)

    @property
    def bsejac(self) -> Any:
        """Standard errors from :attr:`covjac`."""
        cov = self._extra_covariance("opg").cov
        return self._output.params(torch.sqrt(torch.diagonal(cov)))

    @property
    def bsejhj(self) -> Any:
        """Standard errors from :attr:`covjhj`."""
        cov = self._extra_covariance("sandwich").cov
        return self._output.params(torch.sqrt(torch.diagonal(cov)))

    # --- covariances ---------------------------------------------------------------------

    def _extra_covariance(self, kind: str) -> CovarianceResult:
        return self.model.covariance(self.fit_result, kind, None, self.use_t)

    # --- tests ---------------------------------------------------------------------------------

    def lr_test(self, restricted: MaximumLikelihoodResults) -> TestResult:
        """Likelihood-ratio test of ``restricted`` (this model with parameters fixed).

        ``LR = 2 (llf - llf_restricted)`` on chi-squared with as many degrees of freedom as
        parameters the restricted fit holds fixed beyond this one's.
        """
        if restricted.model is not self.model:
            raise ValueError(
                "lr_test compares two fits of the same model (the restricted one with "
                "fixed=...); for other nested models use torchstats.inference.compare.lr_test"
            )
        return lr_test(self.llf, restricted.llf, self.k_free - restricted.k_free)

    def score_test(self) -> TestResult:
        """Lagrange-multiplier (score) test of the parameters this restricted fit fixed.

        ``LM = s' (-H)^{-1} s`` with the score ``s`` and Hessian ``H`` of the *full* model
        (all parameters free) at the restricted estimate, on chi-squared with as many degrees
        of freedom as fixed parameters (Rao 1948). Only the restricted model is fitted.
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

        notes = []
        if not self.converged:
            notes.append(f"The optimisation did not converge: {self._retvals.get('message', '')}.")
        if self.fixed_params:
            notes.append(f"Parameters held fixed (not estimated): {', '.join(self.fixed_params)}.")
        if self.cov_type != "nonrobust":
            notes.append(f"Covariance type: {self.cov_type}.")
        return likelihood_summary(
            self, yname=yname, xname=xname, title=title, alpha=alpha, extra_txt=notes
        )

    def __repr__(self) -> str:
        return f"<torchstats.MaximumLikelihoodResults {self.model!r}>"


def embed(matrix: torch.Tensor, free: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
    """A free-by-free matrix placed into the full ``(k, k)`` parameter space.

    Parameters
    ----------
    matrix : Tensor, shape (m, m)
        Rows and columns of the ``m`` free parameters, in order.
    free : Tensor of bool, shape (k,)
    fill : float
        The value of the other entries.
    """
    k = free.shape[0]
    out = torch.full((k, k), fill, dtype=matrix.dtype, device=matrix.device)
    index = torch.nonzero(free).flatten()
    out[index[:, None], index[None, :]] = matrix
    return out
