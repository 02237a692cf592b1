"""Predictions with their uncertainty: statsmodels' ``get_prediction(...).summary_frame()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from torchstats.structured.block_matrix import BlockMatrix, row_quadratic

__all__ = [
    "DeltaPredictionResults",
    "delta_prediction",
    "LinkPredictionResults",
    "PredictionResults",
    "prediction_variance",
]


def prediction_variance(exog: torch.Tensor | BlockMatrix, cov: torch.Tensor) -> torch.Tensor:
    """``diag(X V X')`` without the ``m x m`` matrix: row sums of ``(X V) * X`` (by dense
    row blocks for a design with sparse dummies)."""
    if isinstance(exog, BlockMatrix):
        return row_quadratic(exog, cov)
    return ((exog @ cov) * exog).sum(dim=1)


class PredictionResults:
    """Predicted means, their standard errors and intervals, for new or fitted data.

    For linear models ``mean = X b`` with ``var(mean) = diag(X V X')`` (``V`` the parameter
    covariance in use, robust or not), and a new observation adds ``scale / weight``. For
    models with a link (GLM), the interval for the mean is the linear predictor's interval
    mapped through the inverse link and its standard error comes from the delta method, as
    statsmodels does. The mean part is a :class:`LinkPredictionResults`.

    Attributes
    ----------
    predicted_mean, se_mean, var_pred_mean : ndarray
        As statsmodels (numpy arrays); ``predicted``, ``se`` and ``var_pred`` are the same
        arrays under statsmodels' newer names.
    se_obs : ndarray or None
        Standard error of a new observation (linear models only).
    df : float or None
        The residual degrees of freedom (statsmodels passes ``df_resid`` whether or not
        the t distribution is used).
    dist, dist_args : scipy distribution and its shape arguments
        ``scipy.stats.t`` with ``(df,)`` under ``use_t``, else ``scipy.stats.norm`` and ``()``.
    row_labels : pandas.Index or None
        Index of :meth:`summary_frame`.
    """

    def __init__(
        self,
        linear: torch.Tensor,
        var_linear: torch.Tensor,
        *,
        df: float | None,
        var_resid: torch.Tensor | None = None,
        inverse_link: Callable[[torch.Tensor], torch.Tensor] | None = None,
        derivative: Callable[[torch.Tensor], torch.Tensor] | None = None,
        row_labels: pd.Index | None = None,
        df_resid: float | None = None,
    ) -> None:
        self._mean = LinkPredictionResults(
            linear,
            var_linear,
            df=df,
            inverse_link=inverse_link,
            derivative=derivative,
            row_labels=row_labels,
            df_resid=df_resid,
        )
        self._var_resid = var_resid
        self.df = self._mean.df
        self.dist = self._mean.dist
        self.dist_args = self._mean.dist_args
        self.row_labels = row_labels

    @property
    def predicted(self) -> np.ndarray:
        """:attr:`predicted_mean` (statsmodels' newer name)."""
        return self._mean.predicted

    @property
    def var_pred(self) -> np.ndarray:
        """:attr:`var_pred_mean` (statsmodels' newer name)."""
        return self._mean.var_pred

    @property
    def se(self) -> np.ndarray:
        """:attr:`se_mean` (statsmodels' newer name)."""
        return self._mean.se

    @property
    def tvalues(self) -> np.ndarray:
        """``predicted / se``."""
        return self._mean.tvalues

    def t_test(
        self, value: float = 0, alternative: str = "two-sided"
    ) -> tuple[np.ndarray, np.ndarray]:
        """z- or t-test of ``predicted == value`` (statsmodels' ``PredictionResultsMean``)."""
        return self._mean.t_test(value, alternative)

    @property
    def var_resid(self) -> np.ndarray | None:
        """Variance of a new observation around its mean, ``scale / weight`` (linear models)."""
        return None if self._var_resid is None else _host(self._var_resid)

    @property
    def predicted_mean(self) -> np.ndarray:
        """Predicted means (on the response scale)."""
        return self._mean.predicted

    @property
    def var_pred_mean(self) -> np.ndarray:
        """Variance of the predicted mean (delta method through the link, if any)."""
        return self._mean.var_pred

    @property
    def se_mean(self) -> np.ndarray:
        """Standard error of the predicted mean."""
        return self._mean.se

    def _obs_se(self) -> torch.Tensor:
        if self._var_resid is None:
            raise ValueError("prediction intervals for new observations need a linear model")
        return torch.sqrt(self._mean._var_linear + self._var_resid)

    @property
    def se_obs(self) -> np.ndarray | None:
        """Standard error for a new observation: ``sqrt(var_pred_mean + scale / weight)``."""
        return None if self._var_resid is None else _host(self._obs_se())

    def conf_int(self, obs: bool = False, alpha: float = 0.05) -> np.ndarray:
        """``(m, 2)`` confidence intervals for the mean, or prediction intervals if ``obs``.

        Under a decreasing link (inverse, inverse squared) column 0 is the upper limit of
        the mean: statsmodels maps the bounds without reordering, and so do we.
        """
        if not obs:
            return self._mean.conf_int("endpoint", alpha)
        q = self._mean._critical_value(alpha)
        linear, se = self._mean._linear, self._obs_se()
        return _host(torch.stack([linear - q * se, linear + q * se], dim=1))

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """``mean, mean_se, mean_ci_lower, mean_ci_upper`` (+ ``obs_ci_lower/upper``)."""
        ci_mean = self.conf_int(alpha=alpha)
        table: dict[str, Any] = {
            "mean": self.predicted_mean,
            "mean_se": self.se_mean,
            "mean_ci_lower": ci_mean[:, 0],
            "mean_ci_upper": ci_mean[:, 1],
        }
        if self._var_resid is not None:
            ci_obs = self.conf_int(obs=True, alpha=alpha)
            table["obs_ci_lower"] = ci_obs[:, 0]
            table["obs_ci_upper"] = ci_obs[:, 1]
        return pd.DataFrame(table, index=self.row_labels)


def _host(values: torch.Tensor) -> np.ndarray:
    return values.detach().cpu().double().numpy()


def delta_prediction(
    function: Callable[[torch.Tensor], torch.Tensor],
    params: torch.Tensor,
    cov: torch.Tensor,
    *,
    average: bool,
    agg_weights: torch.Tensor | None = None,
    row_labels: pd.Index | None = None,
) -> DeltaPredictionResults:
    """Delta-method predictions of ``function(params)`` (statsmodels' ``get_prediction_delta``).

    Parameters
    ----------
    function : callable
        Tensor ``(k,)`` to predictions ``(m,)`` or ``(m, K)``, differentiable by autograd.
    params : Tensor, shape (k,)
    cov : Tensor, shape (k, k)
        The covariance of ``params`` in use.
    average : bool
        Predict the average over rows ``mean_i(w_i f_i)`` (statsmodels' ``average=True``).
    agg_weights : Tensor, shape (m,), optional
        The ``w_i`` of the average (1 when None; not normalised, as statsmodels).
    row_labels : pandas.Index, optional
        Labels of the rows (not averaged).
    """

    def predicted(p: torch.Tensor) -> torch.Tensor:
        values = function(p)
        if not average:
            return values
        if agg_weights is None:
            return values.mean(dim=0)
        weights = agg_weights.to(values)
        return (values * (weights if values.ndim == 1 else weights[:, None])).mean(dim=0)

    with torch.enable_grad():
        point = params.detach().clone()
        value = predicted(point).detach()
        jacobian = _jacobian(predicted, point, value.numel())
    var = ((jacobian @ cov) * jacobian).sum(dim=-1)
    return DeltaPredictionResults(value, var, row_labels=row_labels)


def _jacobian(
    function: Callable[[torch.Tensor], torch.Tensor], point: torch.Tensor, outputs: int
) -> torch.Tensor:
    """``d function / d point``, shape ``function(point).shape + point.shape``, exact.

    Reverse mode takes one backward pass per output; with more outputs than parameters (an
    (n, J) matrix of predicted probabilities) the Jacobian's columns come instead from
    differentiating ``J' u`` (one backward pass with ``create_graph``) in each coordinate
    of the parameters: one pass per parameter (n J = 6600 passes -> 10 for an ordinal
    model of 944 rows).
    """
    k = point.numel()
    if outputs <= k:
        return torch.autograd.functional.jacobian(function, point)
    p = point.detach().requires_grad_(True)
    values = function(p)
    u = torch.zeros_like(values, requires_grad=True)
    (transposed,) = torch.autograd.grad(values, p, u, create_graph=True)  # J' u, linear in u
    columns = []
    for j in range(k):
        (column,) = torch.autograd.grad(
            transposed.reshape(-1)[j], u, retain_graph=True, allow_unused=True
        )
        columns.append(torch.zeros_like(values) if column is None else column)
    return torch.stack(columns, dim=-1).detach()


class LinkPredictionResults:
    """Predictions of a single-index model (Logit, Probit, Poisson, negative binomial).

    statsmodels' ``PredictionResultsMonotonic`` for the mean (``inverse_link`` given: the
    interval is the linear predictor's interval mapped through the inverse link, the
    standard error comes from the delta method), ``PredictionResultsBase`` for the
    linear predictor (``inverse_link`` None) and ``PredictionResultsDelta`` for other
    functions of it (``interval="delta"``: symmetric intervals from the delta method).

    Attributes
    ----------
    predicted, se, var_pred : ndarray
        Predictions, their standard errors and variances.
    linpred, linpred_se : ndarray
        The linear predictor and its standard error.
    df : float or None
        The residual degrees of freedom (statsmodels passes ``df_resid`` whether or not
        the t distribution is used).
    dist, dist_args : scipy distribution and its shape arguments
        ``scipy.stats.t`` with ``(df,)`` under ``use_t``, else ``scipy.stats.norm`` and ``()``.
    row_labels : pandas.Index or None
        Index of :meth:`summary_frame`.
    """

    def __init__(
        self,
        linear: torch.Tensor,
        var_linear: torch.Tensor,
        *,
        df: float | None,
        inverse_link: Callable[[torch.Tensor], torch.Tensor] | None = None,
        derivative: Callable[[torch.Tensor], torch.Tensor] | None = None,
        row_labels: pd.Index | None = None,
        interval: str = "endpoint",
        df_resid: float | None = None,
    ) -> None:
        self._linear = linear
        self._var_linear = var_linear
        self._inverse_link = inverse_link
        self._derivative = derivative
        self._interval = interval
        self.df = df if df_resid is None else df_resid
        self.dist, self.dist_args = _reference_distribution(df)
        self.row_labels = row_labels

    def _critical_value(self, alpha: float) -> float:
        return float(self.dist.ppf(1 - alpha / 2, *self.dist_args))

    @property
    def tvalues(self) -> np.ndarray:
        """``predicted / se``."""
        return self.predicted / self.se

    def t_test(
        self, value: float = 0, alternative: str = "two-sided"
    ) -> tuple[np.ndarray, np.ndarray]:
        """z- or t-test of ``predicted == value`` (statsmodels' ``PredictionResultsBase``).

        Returns
        -------
        statistic, pvalue : ndarray
        """
        return _t_test(self.predicted, self.se, self.dist, self.dist_args, value, alternative)

    @property
    def linpred(self) -> np.ndarray:
        """The linear predictor."""
        return _host(self._linear)

    @property
    def linpred_se(self) -> np.ndarray:
        """Standard error of the linear predictor."""
        return _host(torch.sqrt(self._var_linear))

    @property
    def predicted(self) -> np.ndarray:
        """The predictions: means, or the linear predictor."""
        if self._inverse_link is None:
            return self.linpred
        return _host(self._inverse_link(self._linear))

    @property
    def var_pred(self) -> np.ndarray:
        """Variance of the predictions (delta method for the mean)."""
        if self._derivative is None:
            return _host(self._var_linear)
        return _host(self._derivative(self._linear) ** 2 * self._var_linear)

    @property
    def se(self) -> np.ndarray:
        """Standard error of the predictions."""
        return np.sqrt(self.var_pred)

    def conf_int(self, method: str | None = None, alpha: float = 0.05) -> np.ndarray:
        """``(m, 2)`` intervals: ``"endpoint"`` (mapped from the linear predictor's) or
        ``"delta"`` (symmetric, from :attr:`se`); by default the one the prediction was
        made for (endpoint for monotonic functions of the linear predictor)."""
        method = self._interval if method is None else method
        if method not in ("endpoint", "delta"):
            raise ValueError(f"unknown method {method!r}; choose 'endpoint' or 'delta'")
        q = self._critical_value(alpha)
        if self._inverse_link is None or method == "endpoint":
            se = torch.sqrt(self._var_linear)
            bounds = torch.stack([self._linear - q * se, self._linear + q * se], dim=1)
            if self._inverse_link is not None:
                bounds = self._inverse_link(bounds)
            return _host(bounds)
        predicted, se_pred = self.predicted, self.se
        return np.column_stack([predicted - q * se_pred, predicted + q * se_pred])

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """``predicted, se, ci_lower, ci_upper`` (statsmodels' column names)."""
        ci = self.conf_int(alpha=alpha)
        table = {
            "predicted": self.predicted,
            "se": self.se,
            "ci_lower": ci[:, 0],
            "ci_upper": ci[:, 1],
        }
        return pd.DataFrame(table, index=self.row_labels)


def _reference_distribution(df: float | None) -> tuple[Any, tuple[float, ...]]:
    """statsmodels' ``dist`` and ``dist_args``: Student's t with ``df`` or the normal."""
    return (stats.norm, ()) if df is None else (stats.t, (df,))


def _t_test(
    predicted: np.ndarray,
    se: np.ndarray,
    dist: Any,
    dist_args: tuple[float, ...],
    value: float,
    alternative: str,
) -> tuple[np.ndarray, np.ndarray]:
    statistic = (predicted - value) / se
    if alternative == "two-sided":
        return statistic, 2 * dist.sf(np.abs(statistic), *dist_args)
    if alternative == "larger":
        return statistic, dist.sf(statistic, *dist_args)
    if alternative == "smaller":
        return statistic, dist.cdf(statistic, *dist_args)
    raise ValueError(
        f"unknown alternative {alternative!r}; choose 'two-sided', 'larger' or 'smaller'"
    )


class DeltaPredictionResults:
    """A nonlinear function of the parameters with delta-method standard errors.

    statsmodels' ``PredictionResultsDelta``: what ``get_prediction`` returns for
    ``which="var"``, ``"prob"`` or ``average=True``. The Jacobian is exact (autograd), where
    statsmodels differentiates numerically; the reference distribution is the normal, as
    statsmodels'.

    Attributes
    ----------
    predicted, se, var_pred : ndarray
        Shape ``(m,)``, ``(m, k)`` for probabilities of ``k`` counts, or ``()`` / ``(k,)``
        when averaged.
    df : None
    dist, dist_args : ``scipy.stats.norm`` and ``()``
    row_labels : pandas.Index or None
    """

    def __init__(
        self, predicted: torch.Tensor, var_pred: torch.Tensor, row_labels: pd.Index | None = None
    ) -> None:
        self.predicted = _host(predicted)
        self.var_pred = _host(var_pred)
        self.df = None
        self.dist, self.dist_args = _reference_distribution(None)
        self.row_labels = row_labels

    @property
    def se(self) -> np.ndarray:
        """Delta-method standard errors."""
        return np.sqrt(self.var_pred)

    @property
    def tvalues(self) -> np.ndarray:
        """``predicted / se``."""
        return self.predicted / self.se

    def t_test(
        self, value: float = 0, alternative: str = "two-sided"
    ) -> tuple[np.ndarray, np.ndarray]:
        """z-test of ``predicted == value``."""
        return _t_test(self.predicted, self.se, self.dist, self.dist_args, value, alternative)

    def conf_int(self, alpha: float = 0.05, **kwds: Any) -> np.ndarray:
        """Symmetric intervals ``predicted -+ q se``, stacked as statsmodels stacks them
        (``np.column_stack``: ``(m, 2)``, or ``(m, 2k)`` lower bounds first)."""
        q = float(self.dist.ppf(1 - alpha / 2))
        return np.column_stack((self.predicted - q * self.se, self.predicted + q * self.se))

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """``predicted, se, ci_lower, ci_upper`` for one-dimensional predictions."""
        if self.predicted.ndim > 1:
            raise ValueError(
                "summary_frame needs one prediction per row; these have shape "
                f"{self.predicted.shape} (one column per count): use predicted, se and "
                "conf_int(), or average=True"
            )
        ci = self.conf_int(alpha=alpha)
        predicted = np.atleast_1d(self.predicted)
        table = {
            "predicted": predicted,
            "se": np.atleast_1d(self.se),
            "ci_lower": ci[:, 0],
            "ci_upper": ci[:, 1],
        }
        return pd.DataFrame(table, index=self.row_labels)
