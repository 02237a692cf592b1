"""Influence measures of likelihood fits (GLM and discrete models), statsmodels' definitions.

statsmodels' ``MLEInfluence`` (discrete models) and ``GLMInfluence`` (GLMs) approximate the
effect of deleting observation ``i`` by one Newton step from the full estimate:

- generalized leverage ``h_i = (d mu_i / d b)' (-H)^{-1} (d s_i / d y_i)`` (MLE) or, for a
  GLM, the hat diagonal of the weighted design ``W^{1/2} X`` with the Hessian weights ``W``;
- ``d_params_i = H^{-1} (sum_j s_j - s_i) / (1 - h_i)`` (MLE) or
  ``pinv(W^{1/2} X)[:, i] r_i / (1 - h_i)`` with Pearson residuals ``r`` (GLM);
- Cook's distance from ``d_params`` and ``cov_params`` (MLE) or ``r_i^2 h_i / (k (1 - h_i)^2)``
  (GLM), with p-values from ``F(k, df_resid)``.

Everything is a row-wise product of ``(n, k)`` tensors with ``(k, k)`` matrices (the GLM hat
diagonal and pseudo-inverse from one thin SVD of the weighted design), so no ``n x n``
matrix is formed and the measures run on the device for millions of rows.

Reference: Pregibon (1981), "Logistic regression diagnostics", *Annals of Statistics* 9;
Williams (1987), "Generalized linear model diagnostics using the deviance and single case
deletions", *Applied Statistics* 36.
"""

from __future__ import annotations

import warnings
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from torchstats._threads import ThreadScoped
from torchstats.errors import HessianWarning, warn
from torchstats.results.influence import ModelViews, deletion_leverage
from torchstats.results.influence_plots import InfluencePlots
from torchstats.solvers.leverage import hat_diagonal
from torchstats.structured.block_matrix import dense_within_limit, row_quadratic, scale_rows

__all__ = ["GLMInfluence", "MLEInfluence"]

#: numpy's default ``rcond`` of ``pinv``: singular values below this fraction of the largest
#: are treated as zero (statsmodels' GLM hat matrix goes through ``np.linalg.pinv``).
_PINV_RCOND = 1e-15


class MLEInfluence(InfluencePlots, ModelViews, ThreadScoped):
    """One-step influence measures of a maximum-likelihood fit (statsmodels' ``MLEInfluence``).

    Parameters
    ----------
    results : discrete-model results
        The fit to diagnose. Its model supplies ``score_obs``, ``hessian`` and
        ``influence_derivatives`` (``d score_obs / d endog`` or None, ``d mean / d params``).

    Notes
    -----
    Where the model has no derivative of the score with respect to the response (the
    negative binomial with its dispersion parameter), the leverage is unavailable: a
    ``UserWarning`` says so, ``hat_matrix_diag`` and ``resid_studentized`` are None and
    ``d_params`` is the undivided Newton step, as in statsmodels.
    """

    def __init__(self, results: Any) -> None:
        self.results = results
        model = results.model
        self._params = results.fit_result.params
        self._cov = results.covariance.cov
        self._output = results._output
        self.nobs = int(model.design.exog.shape[0])
        self.k_vars = int(model.design.exog.shape[1])
        self.k_params = int(self._params.shape[0])
        self.scale = 1.0

    def _thread_numbers(self) -> int:
        return self.results._thread_numbers()

    def _out(self, values: torch.Tensor | None) -> Any:
        if values is None or self._output.kind == "torch":
            return values
        return values.detach().cpu().numpy()

    # --- ingredients (subclasses replace the leverage, the parameter change and Cook's d) ---

    @cached_property
    def _derivatives(self) -> tuple[torch.Tensor | None, torch.Tensor]:
        return self.results.model.influence_derivatives(self._params)

    @cached_property
    def _hessian(self) -> torch.Tensor:
        return self.results.model.hessian(self._params)

    @cached_property
    def _resid(self) -> torch.Tensor:
        return self.results._resid_pearson_tensor / self.scale**0.5

    @cached_property
    def _h(self) -> torch.Tensor | None:
        score_endog, mean_params = self._derivatives
        if score_endog is None:
            warnings.warn(
                "hat matrix is not available, missing derivatives", UserWarning, stacklevel=3
            )
            return None
        steps = torch.linalg.solve(-self._hessian, score_endog.T).T
        # leverage one (a dummy that is one on that row only): exactly one, with a warning,
        # as for OLS and GLMs (was 1 - 1e-16: a Cook's distance of rounding error)
        return deletion_leverage((mean_params * steps).sum(dim=1), self._output.row_index)

    @cached_property
    def _score_obs(self) -> torch.Tensor:
        return self.results.model.score_obs(self._params)

    @cached_property
    def _d_params(self) -> torch.Tensor:
        scores = self._score_obs
        leave_out = scores.sum(dim=0) - scores
        step = torch.linalg.solve(self._hessian, leave_out.T).T
        return step if self._h is None else step / (1 - self._h)[:, None]

    @cached_property
    def _cooks(self) -> torch.Tensor:
        change = self._d_params
        weighted = torch.linalg.solve(self._cov, change.T).T
        return (change * weighted).sum(dim=1) / self.k_params

    @property
    def _cooks_df(self) -> int:
        return self.k_params

    # --- statsmodels' attributes ------------------------------------------------------------

    @property
    def resid(self) -> Any:
        """Pearson residuals over ``sqrt(scale)`` (statsmodels' ``resid``, which its
        ``plot_leverage_resid2`` reads), an array."""
        return self._resid.detach().cpu().numpy()

    @property
    def hat_matrix_diag(self) -> Any:
        """Generalized leverage ``h_i`` (None where the model lacks the derivatives)."""
        return self._out(self._h)

    @property
    def cov_params(self) -> Any:
        """The fit's ``cov_params()`` as an array (statsmodels' attribute), (k, k)."""
        return self._out(self._cov)

    @property
    def hessian(self) -> Any:
        """The model's Hessian at the estimate (statsmodels' attribute), (k, k)."""
        return self._out(self._hessian)

    @property
    def score_obs(self) -> Any:
        """Per-observation scores at the estimate (statsmodels' attribute), (n, k)."""
        return self._out(self._score_obs)

    @cached_property
    def _h_exog(self) -> torch.Tensor:
        return hat_diagonal(self.results.model.design.exog)

    @property
    def hat_matrix_exog_diag(self) -> Any:
        """Leverage of the design alone, as in OLS (``exog pinv(exog)`` diagonal)."""
        return self._out(self._h_exog)

    def _positive_hessian_factor(self) -> torch.Tensor:
        """``-d^2 loglike_i / d eta_i^2`` (the models' ``hessian_factor`` is its negative)."""
        return -self._first(self.results.model.hessian_factor(self._params))

    @staticmethod
    def _first(values: Any) -> torch.Tensor:
        return values[0] if isinstance(values, tuple) else values

    def _leverage_or_raise(self, what: str) -> torch.Tensor:
        if self._h is None:
            raise ValueError(
                f"{what} needs the generalized leverage, which this model does not provide "
                "(no derivative of the score with respect to the response)"
            )
        return self._h

    def resid_score_factor(self) -> Any:
        """Score factor over ``sqrt(hessian factor (1 - h_i))`` (statsmodels' experimental
        ``resid_score_factor``; NaN where the log-likelihood is not concave in ``eta_i``)."""
        score = self._first(self.results.model.score_factor(self._params))
        h = self._leverage_or_raise("resid_score_factor")
        return self._out(score / torch.sqrt(self._positive_hessian_factor()) / torch.sqrt(1 - h))

    def resid_score(self, joint: bool = True, index: Any = None, studentize: bool = False) -> Any:
        """Per-observation scores scaled by the inverse Hessian (statsmodels' experimental
        ``resid_score``).

        Parameters
        ----------
        joint : bool
            The quadratic form ``s_i' (-H)^{-1} s_i`` per observation (a score-test
            statistic), shape (n,); else ``s_ij / sqrt(-H_jj)``, shape (n, k).
        index : array-like of int, optional
            The score columns (parameters) to use; default all.
        studentize : bool
            Also divide by ``sqrt(1 - h_i)``.

        Returns
        -------
        array, shape (n,) or (n, len(index))
        """
        scores, hessian = self._score_obs, self._hessian
        if index is not None:
            columns = torch.as_tensor(np.asarray(index), device=scores.device).reshape(-1)
            scores, hessian = scores[:, columns], hessian[columns][:, columns]
        if joint:
            resid = (scores * torch.linalg.solve(-hessian, scores.T).T).sum(dim=1)
        else:
            resid = scores / torch.sqrt(torch.diagonal(-hessian))
        if studentize:
            root = torch.sqrt(1 - self._leverage_or_raise("resid_score(studentize=True)"))
            resid = resid / (root if joint else root[:, None])
        return self._out(resid)

    @property
    def d_params(self) -> Any:
        """One-step change of the parameters when observation ``i`` is deleted, (n, k)."""
        return self._out(self._d_params)

    @property
    def dfbetas(self) -> Any:
        """``d_params`` divided by the full fit's ``bse``."""
        return self._out(self._d_params / self.results._bse)

    @property
    def params_one(self) -> Any:
        """One-step leave-one-out estimates ``params - d_params``."""
        return self._out(self._params[None, :] - self._d_params)

    @property
    def cooks_distance(self) -> tuple[Any, np.ndarray]:
        """Cook's distance and its (approximate) p-values from ``F(k, df_resid)``."""
        host = self._cooks.detach().cpu().double().numpy()
        pvalues = stats.f.sf(host, self._cooks_df, self.results.df_resid)
        return self._out(self._cooks), pvalues

    @cached_property
    def _resid_studentized(self) -> torch.Tensor | None:
        return None if self._h is None else self._resid / torch.sqrt(1 - self._h)

    @property
    def resid_studentized(self) -> Any:
        """Pearson residuals over ``sqrt(scale (1 - h_i))``."""
        return self._out(self._resid_studentized)

    @cached_property
    def _d_fittedvalues(self) -> torch.Tensor:
        return (self._derivatives[1] * self._d_params).sum(dim=1)

    @property
    def d_fittedvalues(self) -> Any:
        """Change of the fitted mean from ``d_params``."""
        return self._out(self._d_fittedvalues)

    @cached_property
    def _d_fittedvalues_scaled(self) -> torch.Tensor:
        mean_se = torch.sqrt(row_quadratic(self._derivatives[1], self._cov))
        return self._d_fittedvalues / mean_se

    @property
    def d_fittedvalues_scaled(self) -> Any:
        """``d_fittedvalues`` over the delta-method standard error of the fitted mean."""
        return self._out(self._d_fittedvalues_scaled)

    def summary_frame(self) -> pd.DataFrame:
        """``dfb_<name>`` columns, then ``cooks_d``, ``standard_resid``, ``hat_diag`` (when
        available) and ``dffits_internal``, indexed by observation."""

        def host(values: torch.Tensor) -> np.ndarray:
            return values.detach().cpu().numpy()

        index = self._output.row_index
        names = ["dfb_" + name for name in self._output.param_names]
        frame = pd.DataFrame(host(self._d_params / self.results._bse), columns=names, index=index)
        measures: dict[str, np.ndarray] = {"cooks_d": host(self._cooks)}
        if self._h is not None:
            assert self._resid_studentized is not None
            measures["standard_resid"] = host(self._resid_studentized)
            measures["hat_diag"] = host(self._h)
        measures["dffits_internal"] = host(self._d_fittedvalues_scaled)
        return frame.join(pd.DataFrame(measures, index=index))


class GLMInfluence(MLEInfluence):
    """Influence measures of a GLM fit (statsmodels' ``GLMInfluence``).

    Parameters
    ----------
    results : GLMResults
    observed : bool
        Hessian weights of the observed (default) or expected information; the same for
        canonical links. Where an observed weight is negative (a non-canonical link such
        as the Gaussian log far from the data) the expected weights are used, with a
        ``UserWarning``; :attr:`observed` then reads False.
    """

    def __init__(self, results: Any, observed: bool = True) -> None:
        super().__init__(results)
        self.scale = results.scale
        self._observed = observed

    @property
    def observed(self) -> bool:
        """Whether the leverage uses the observed information (False after a fallback)."""
        _ = self._hessian_weights
        return self._observed

    @cached_property
    def _derivatives(self) -> tuple[torch.Tensor | None, torch.Tensor]:
        model = self.results.model
        eta = model.predict(self._params, which="linear")
        derivative = scale_rows(model.design.exog, model.family.link.inverse_deriv(eta))
        return None, dense_within_limit(derivative, "GLM's influence measures")

    @cached_property
    def _hessian_weights(self) -> torch.Tensor:
        """The Hessian weights ``W`` at the fit's scale (the expected ones after a fallback)."""
        model = self.results.model
        weights = model.hessian_factor(self._params, scale=self.scale, observed=self._observed)
        negative = int((weights < 0).sum())
        if negative:
            # statsmodels takes sqrt of the negative weights and fails in pinv ("SVD did not
            # converge"); the expected information is the usual remedy, so fall back to it
            warn(
                f"the observed Hessian weights are negative for {negative} observation(s) "
                "(a non-canonical link far from the data); the influence measures use the "
                "expected information instead, as get_influence(observed=False) does",
                HessianWarning,
            )
            self._observed = False
            weights = model.hessian_factor(self._params, scale=self.scale, observed=False)
        return weights

    @cached_property
    def _weighted_svd(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Thin SVD of ``W^{1/2} X`` restricted to the numerically nonzero singular values.

        ``W`` are the Hessian weights at the fit's scale, so ``pinv(W^{1/2} X)`` carries the
        dispersion into ``d_params`` as in statsmodels.
        """
        weighted = dense_within_limit(
            scale_rows(self.results.model.design.exog, torch.sqrt(self._hessian_weights)),
            "GLM's influence measures",
        )
        U, singular, Vh = torch.linalg.svd(weighted, full_matrices=False)
        keep = singular > _PINV_RCOND * singular.max()
        return U[:, keep], singular[keep], Vh[keep]

    @cached_property
    def _h_exog(self) -> torch.Tensor:
        # statsmodels' GLMInfluence holds the weighted design W^{1/2} X as its exog, so its
        # "exog hat matrix" is the GLM hat matrix itself
        return self._h

    def _positive_hessian_factor(self) -> torch.Tensor:
        # GLM's hessian_factor is already the positive weight (statsmodels' note)
        return self._first(self.results.model.hessian_factor(self._params))

    @cached_property
    def _h(self) -> torch.Tensor:
        # from an orthonormal basis of the column-equilibrated W^{1/2} X (the singular
        # vectors of the unscaled one lose digits to badly scaled columns)
        h = hat_diagonal(self.results.model.design.exog, self._hessian_weights)
        return deletion_leverage(h, self._output.row_index)

    @cached_property
    def _d_params(self) -> torch.Tensor:
        U, singular, Vh = self._weighted_svd
        pinv_rows = (U / singular) @ Vh  # row i is column i of pinv(W^{1/2} X)
        return pinv_rows * (self._resid / (1 - self._h))[:, None]

    @cached_property
    def _cooks(self) -> torch.Tensor:
        return self._resid**2 / (1 - self._h) / self.k_vars * self._h / (1 - self._h)

    @property
    def _cooks_df(self) -> int:
        return self.k_vars

    @cached_property
    def _d_linpred(self) -> torch.Tensor:
        X = dense_within_limit(self.results.model.design.exog, "GLM's influence measures")
        return (X * self._d_params).sum(dim=1)

    @property
    def d_linpred(self) -> Any:
        """Change of the linear predictor from ``d_params``."""
        return self._out(self._d_linpred)

    @property
    def d_linpred_scaled(self) -> Any:
        """``d_linpred`` over the standard error of the linear predictor."""
        linear_se = torch.sqrt(row_quadratic(self.results.model.design.exog, self._cov))
        return self._out(self._d_linpred / linear_se)
