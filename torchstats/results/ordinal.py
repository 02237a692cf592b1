"""Results of the ordinal model: statsmodels' ``OrderedResults``.

The likelihood statistics are the discrete models' (``llf``, ``llnull``, ``llr``,
``prsquared``...), counted as statsmodels counts them for ``OrderedModel``: no constant, so
``aic = -2 llf + 2 (k_vars + k_levels - 1)``. Predictions have one column per level.
``resid_response``, ``resid_pearson``, ``get_influence`` and ``info_criteria`` of the
single-index models do not apply (statsmodels' ``OrderedResults`` has none of them).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats._typing import check_option
from torchstats.results.discrete import _DiscreteResults
from torchstats.results.prediction import DeltaPredictionResults, delta_prediction
from torchstats.summary.layouts import likelihood_summary

__all__ = ["OrderedResults", "ORDINAL_PREDICT_WHICH"]

ORDINAL_PREDICT_WHICH = ("prob", "linpred", "cum", "cumprob")
"""``predict(which=...)`` of the ordinal model: probabilities of each level, the latent's
linear predictor, cumulative probabilities (``"cum"`` is ``"cumprob"``)."""


def _not_applicable(name: str, instead: str) -> property:
    def missing(self: Any) -> Any:
        raise AttributeError(f"OrderedResults has no {name} (nor has statsmodels'); {instead}")

    return property(missing)


class OrderedResults(_DiscreteResults):
    """A fitted :class:`~torchstats.models.ordinal.OrderedModel`."""

    resid_response = _not_applicable("resid_response", "see resid_prob")
    resid_pearson = _not_applicable("resid_pearson", "see resid_prob")
    get_influence = _not_applicable("get_influence", "")
    info_criteria = _not_applicable("info_criteria", "use aic and bic")
    get_margeff = _not_applicable(
        "get_margeff",
        "the effects on each level's probability are the derivatives of predict() in the "
        "regressors",
    )

    @property
    def _k_information(self) -> float:
        return self.df_model + self.model.k_extra

    @property
    def df_modelwc(self) -> float:
        """Number of parameters, ``k_vars + k_levels - 1`` (aic and bic count them)."""
        return self._k_information

    @property
    def hasconst(self) -> int:
        """0: the thresholds stand in for a constant."""
        return 0

    # --- prediction ---------------------------------------------------------------------------

    def predict(  # type: ignore[override]  # statsmodels' OrderedResults signature
        self, exog: Any = None, transform: bool = True, which: str = "prob", offset: Any = None
    ) -> Any:
        """Predicted probabilities of each level (``which="prob"``, shape (n, k_levels)),
        the latent linear predictor (``"linpred"``) or cumulative probabilities
        (``"cumprob"``, ``"cum"``).

        Parameters
        ----------
        exog : DataFrame or array-like, optional
            New data (the original variables for formula models); None: the fit's rows,
            with its offset.
        transform : bool
            Pass ``exog`` through the formula (default True).
        which : {"prob", "linpred", "cumprob", "cum"}
        offset : array-like, optional
            For new data (zero when omitted, as statsmodels).

        Returns
        -------
        ndarray (tensor for torch input); for new pandas data a DataFrame (a Series for
        ``"linpred"``) indexed as the data, as statsmodels.
        """
        check_option(which, ORDINAL_PREDICT_WHICH, "which")
        X, index = self._prediction_exog(exog, transform, None, "predict")
        values = self.model.predict(
            self.fit_result.params, None if exog is None else X, offset=offset, which=which
        )
        return self._labelled(values, None if exog is None else index)

    def _labelled(self, values: torch.Tensor, index: pd.Index | None) -> Any:
        if index is None or self._output.kind != "pandas":
            return self._output.plain(values)  # statsmodels: arrays in sample
        if values.ndim == 1:
            return pd.Series(values.detach().cpu().numpy(), index=index)
        return pd.DataFrame(values.detach().cpu().numpy(), index=index)

    def get_prediction(  # type: ignore[override]  # statsmodels' generic-likelihood signature
        self,
        exog: Any = None,
        which: str = "prob",
        transform: bool = True,
        row_labels: Any = None,
        average: bool = False,
        agg_weights: Any = None,
        offset: Any = None,
    ) -> DeltaPredictionResults:
        """Predictions with delta-method standard errors (statsmodels' generic
        ``get_prediction``; the Jacobian is exact where statsmodels differentiates
        numerically).

        ``which`` is as for :meth:`predict` (statsmodels' default ``"mean"`` is not an
        option of the ordinal model, so the default here is ``"prob"``); ``average``
        averages over the rows, weighted by ``agg_weights`` (not normalised).
        """
        check_option(which, ORDINAL_PREDICT_WHICH, "which")
        params = self.fit_result.params
        X, index = self._prediction_exog(exog, transform, None, "get_prediction")
        model = self.model

        def predicted(p: torch.Tensor) -> torch.Tensor:
            return model.predict(p, None if exog is None else X, offset=offset, which=which)

        weights = (
            None
            if agg_weights is None
            else torch.as_tensor(
                np.asarray(agg_weights, dtype=float), dtype=params.dtype, device=params.device
            )
        )
        return delta_prediction(
            predicted,
            params,
            self.covariance.cov,
            average=average,
            agg_weights=weights,
            row_labels=None if average else (index if row_labels is None else row_labels),
        )

    @cached_property
    def _codes(self) -> torch.Tensor:
        """The observed level codes ``0..J-1``."""
        return self.model.design.endog.long()

    @cached_property
    def _fitted_prob(self) -> torch.Tensor:
        return self.model.predict(self.fit_result.params)

    def pred_table(self) -> pd.DataFrame:
        """Observed (rows) by predicted (columns, the most probable level) counts, with
        margins ``All``: statsmodels' ``pd.crosstab`` layout, levels numbered ``0..J-1``."""
        categories = np.arange(self.model.k_levels)
        observed = pd.Categorical(self._codes.cpu().numpy(), categories=categories, ordered=True)
        predicted = pd.Categorical(
            self._fitted_prob.argmax(1).cpu().numpy(), categories=categories, ordered=True
        )
        return pd.crosstab(predicted, observed.astype(int), margins=True, dropna=False).T.fillna(0)

    @property
    def resid_prob(self) -> Any:
        """Probability-scale residuals ``P(Y < y_i) - P(Y > y_i)`` under the fitted
        distribution (Li and Shepherd 2012; statsmodels' ``resid_prob``)."""
        prob = self._fitted_prob
        below = torch.cumsum(prob, dim=1) - prob  # P(Y < j)
        codes = self._codes[:, None]
        at = prob.gather(1, codes)[:, 0]
        less = below.gather(1, codes)[:, 0]
        return self._output.plain(2 * less + at - 1)

    # --- statsmodels' generic-likelihood extras -----------------------------------------------

    @cached_property
    def _score_obs(self) -> torch.Tensor:
        return self.model.score_obs(self.fit_result.params)

    @property
    def score_obsv(self) -> Any:
        """Per-observation scores at the estimate, shape (n, k)."""
        return self._output.plain(self._score_obs)

    @property
    def hessv(self) -> Any:
        """Hessian of the log-likelihood at the estimate."""
        return self._output.plain(self.model.hessian(self.fit_result.params))

    @cached_property
    def _covjac(self) -> torch.Tensor:
        return torch.linalg.inv(self._score_obs.T @ self._score_obs)

    @property
    def covjac(self) -> Any:
        """Covariance from the outer product of the scores, ``(S'S)^{-1}``."""
        return self._output.plain(self._covjac)

    @cached_property
    def _covjhj(self) -> torch.Tensor:
        inverse = torch.linalg.inv(self.model.hessian(self.fit_result.params))
        return inverse @ (self._score_obs.T @ self._score_obs) @ inverse

    @property
    def covjhj(self) -> Any:
        """The sandwich ``H^{-1} S'S H^{-1}`` (statsmodels' ``covjhj``, HC0)."""
        return self._output.plain(self._covjhj)

    @property
    def bsejac(self) -> Any:
        """Standard errors from :attr:`covjac`."""
        return self._output.plain(torch.sqrt(torch.diagonal(self._covjac)))

    @property
    def bsejhj(self) -> Any:
        """Standard errors from :attr:`covjhj`."""
        return self._output.plain(torch.sqrt(torch.diagonal(self._covjhj)))

    def summary(
        self,
        yname: str | None = None,
        xname: list[str] | None = None,
        title: str | None = None,
        alpha: float = 0.05,
    ) -> Any:
        """statsmodels' ``GenericLikelihoodModelResults.summary``: ``Method: Maximum
        Likelihood``, log-likelihood, AIC and BIC, then the coefficients and thresholds."""
        return likelihood_summary(self, yname=yname, xname=xname, title=title, alpha=alpha)
