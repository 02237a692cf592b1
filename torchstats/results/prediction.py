"""Predictions with their uncertainty: statsmodels' ``get_prediction(...).summary_frame()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.inference.distributions import critical_value

__all__ = ["LinkPredictionResults", "PredictionResults", "prediction_variance"]


def prediction_variance(exog: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    """``diag(X V X')`` without the ``m x m`` matrix: row sums of ``(X V) * X``."""
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
        As statsmodels (numpy arrays).
    se_obs : ndarray or None
        Standard error of a new observation (linear models only).
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
    ) -> None:
        self._mean = LinkPredictionResults(
            linear,
            var_linear,
            df=df,
            inverse_link=inverse_link,
            derivative=derivative,
            row_labels=row_labels,
        )
        self._var_resid = var_resid
        self.df = df
        self.dist = self._mean.dist
        self.row_labels = row_labels

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
        q = critical_value(alpha, self.df)
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
    ) -> None:
        self._linear = linear
        self._var_linear = var_linear
        self._inverse_link = inverse_link
        self._derivative = derivative
        self._interval = interval
        self.df = df
        self.dist = "t" if df is not None else "norm"
        self.row_labels = row_labels

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
        q = critical_value(alpha, self.df)
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
