"""Results of the multinomial logit, with statsmodels' ``MultinomialResults`` layout.

``params``, ``bse``, ``tvalues`` and ``pvalues`` are ``(K, J - 1)`` tables (one column per
outcome but the first); ``conf_int()`` and ``cov_params()`` are labelled by (outcome,
regressor) pairs; predictions have one column per outcome. The likelihood statistics are
those of every discrete model, with ``J - 1`` constants counted in ``aic`` and ``bic``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import pandas as pd
import torch

from torchstats.results.discrete import _DiscreteResults
from torchstats.summary.layouts import discrete_summary
from torchstats.summary.summary2 import multinomial_summary2

__all__ = ["MultinomialResults"]


class MultinomialResults(_DiscreteResults):
    """A fitted MNLogit (statsmodels' ``MultinomialResults``)."""

    @property
    def J(self) -> int:
        """Number of outcomes."""
        return int(self.model.J)

    @property
    def K(self) -> int:
        """Number of regressors in each equation."""
        return int(self.model.K)

    @property
    def _k_information(self) -> float:
        # statsmodels' MultinomialResults.aic/bic: one constant per equation
        return self.df_model + self.J - 1

    def conf_int(self, alpha: float = 0.05, cols: Any = None) -> Any:
        """Confidence intervals: a DataFrame indexed by (outcome, regressor) with columns
        ``lower`` and ``upper`` for pandas input, else an array of shape (J - 1, K, 2)."""
        table = super().conf_int(alpha, cols)
        if isinstance(table, pd.DataFrame):
            table.columns = pd.Index(["lower", "upper"])
        return table

    # --- predictions and residuals ------------------------------------------------------------

    def predict(  # type: ignore[override]
        self, exog: Any = None, transform: bool = True, which: str = "mean"
    ) -> Any:
        """Probabilities (``"mean"``), linear predictors (``"linear"``) or ``p (1 - p)``
        (``"var"``) of each outcome, shape (n, J).

        In sample, an array (statsmodels); for new pandas data (through the formula when
        the model has one), a DataFrame indexed by their rows with columns ``0..J-1``.
        """
        X, index = self._prediction_exog(exog, transform, None, "predict")
        values = self.model.predict(self.fit_result.params, None if exog is None else X, which)
        if exog is None or index is None:
            return self._output.plain(values)
        return self._output.observation_table(values, range(self.J), index=index)

    @property
    def fittedvalues(self) -> Any:
        """Linear predictors of the outcomes but the first, shape (n, J - 1)."""
        linear = self.model.predict(self.fit_result.params, which="linear")[:, 1:]
        return self._output.observation_table(linear, range(self.J - 1))

    @cached_property
    def _indicators(self) -> torch.Tensor:
        codes = self.model.design.endog.long()
        return torch.nn.functional.one_hot(codes, self.J).to(self._fitted_mean.dtype)

    @cached_property
    def _resid_response(self) -> torch.Tensor:
        return self._indicators - self._fitted_mean

    @property
    def resid_response(self) -> Any:
        """Outcome indicators minus probabilities, shape (n, J) (an array, as statsmodels)."""
        return self._output.plain(self._resid_response)

    @property
    def resid_pearson(self) -> Any:
        """``resid_response / sqrt(p (1 - p))``, shape (n, J)."""
        p = self._fitted_mean
        return self._output.plain(self._resid_response / torch.sqrt(p * (1 - p)))

    @property
    def resid_misclassified(self) -> Any:
        """1.0 where the most probable outcome is not the observed one, else 0.0."""
        wrong = self._indicators.argmax(1) != self._fitted_mean.argmax(1)
        return self._output.observations(wrong.to(self._fitted_mean.dtype))

    def pred_table(self) -> Any:
        """J x J counts (floats): row = observed outcome, column = most probable outcome."""
        observed = self._indicators.argmax(1)
        predicted = self._fitted_mean.argmax(1)
        counts = torch.bincount(self.J * observed + predicted, minlength=self.J**2)
        return self._output.plain(counts.reshape(self.J, self.J).to(self._fitted_mean.dtype))

    # --- what statsmodels does not offer for the multinomial logit ------------------------------

    def get_prediction(self, *args: Any, **kwargs: Any) -> Any:
        """Not available for MNLogit (statsmodels raises too); use :meth:`predict`."""
        raise NotImplementedError(
            "get_prediction is not available for MNLogit (statsmodels' neither); use "
            "predict() for the probabilities"
        )

    def get_influence(self) -> Any:
        """Not available for MNLogit."""
        raise NotImplementedError("influence measures are not available for MNLogit")

    def wald_test_terms(self, *args: Any, **kwargs: Any) -> Any:
        """Not available for MNLogit (statsmodels fails too); use :meth:`wald_test` with the
        parameter names ``y<outcome>_<regressor>``."""
        raise NotImplementedError(
            "wald_test_terms is not available for MNLogit; test a term with wald_test, "
            "e.g. wald_test('y1_x = 0, y2_x = 0')"
        )

    def t_test_pairwise(self, *args: Any, **kwargs: Any) -> Any:
        """Not available for MNLogit (statsmodels fails too)."""
        raise NotImplementedError("t_test_pairwise is not available for MNLogit")

    # --- reporting ----------------------------------------------------------------------------

    def equation_names(self, yname: str | None = None) -> list[str]:
        """``"<yname>=<outcome>"`` for the outcomes but the first: the coefficient blocks'
        titles in :meth:`summary` (statsmodels' ``yname_list``)."""
        name = str(self.model.endog_names) if yname is None else yname
        return [f"{name}={label}" for label in self.model.outcomes[1:]]

    def summary(
        self,
        yname: str | None = None,
        xname: list[str] | None = None,
        title: str | None = None,
        alpha: float = 0.05,
        yname_list: list[str] | None = None,
    ) -> Any:
        """statsmodels' summary: the discrete header, one coefficient block per outcome but
        the first (titled by ``yname_list``, default ``"<yname>=<outcome>"``)."""
        return discrete_summary(
            self,
            yname=yname,
            xname=xname,
            title=title,
            alpha=alpha,
            yname_list=self.equation_names(yname) if yname_list is None else yname_list,
        )

    def summary2(  # type: ignore[override]
        self, alpha: float = 0.05, float_format: str = "%.4f"
    ) -> Any:
        """statsmodels' ``summary2()``: model information, then one block per equation."""
        return multinomial_summary2(self, alpha=alpha, float_format=float_format)
