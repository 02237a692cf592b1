"""Results of penalised fits: statsmodels' ``RegularizedResults`` and the ``L1*Results``.

* :class:`RegularizedResults` (``OLS``/``WLS``/``GLM.fit_regularized``): ``params``,
  ``fittedvalues`` (``model.predict(params)``), ``predict`` and ``converged``; no
  covariance, as statsmodels' ``base/elastic_net.py::RegularizedResults``.
* :class:`RegularizedRefitResults` (``OLS.fit_regularized(refit=True)``): least-squares
  results of the selected columns embedded in the full parameter vector, with
  statsmodels' counts ``df_model = len(selected)`` and ``df_resid = nobs - len(selected)``.
* ``L1BinaryResults``, ``L1PoissonResults``, ``L1NegativeBinomialResults`` and
  ``L1MultinomialResults`` (``fit_regularized(method="l1")`` of the discrete models): the
  model's results with ``trimmed``, ``nnz_params`` and the degrees of freedom counting the
  coefficients not trimmed (``statsmodels.discrete.discrete_model.L1*Results``). Their
  covariance is the inverse of the unpenalised negative Hessian restricted to the
  coefficients not trimmed, NaN for the trimmed ones (``cov_params_func_l1``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import torch

from torchstats.errors import InvalidOptionError
from torchstats.formula.newdata import exog_for_prediction
from torchstats.results.discrete import BinaryResults, CountResults, NegativeBinomialResults
from torchstats.results.glm import GLMResults
from torchstats.results.multinomial import MultinomialResults
from torchstats.results.persistence import save
from torchstats.results.regression import RegressionResults
from torchstats.solvers.result import SolverResult

__all__ = [
    "L1BinaryResults",
    "L1MultinomialResults",
    "L1NegativeBinomialResults",
    "L1PoissonResults",
    "RegularizedGLMRefitResults",
    "RegularizedRefitResults",
    "RegularizedResults",
    "L1_RESULTS",
]


class RegularizedResults:
    """A penalised fit's estimate (statsmodels' ``RegularizedResults``).

    Parameters
    ----------
    model : OLS, WLS or GLM
        The model fitted; ``model.predict(params, exog)`` gives predictions.
    fit : SolverResult
        The solver's record (``params``, ``converged``, ``n_iter``, ``grad_norm``: the
        largest KKT residual).
    converged : bool or None
        statsmodels sets ``converged`` on the elastic-net results only; None (the ridge
        path) leaves the attribute absent, as there.
    """

    model: Any
    fit_result: SolverResult

    def __init__(self, model: Any, fit: SolverResult, converged: bool | None) -> None:
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "fit_result", fit)
        if converged is not None:
            object.__setattr__(self, "converged", converged)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"results are immutable (cannot set {name!r}); fit again")

    @property
    def params(self) -> Any:
        """The penalised estimate: a Series for pandas data, else as ``model.endog``."""
        return self.model.output.params(self.fit_result.params)

    @property
    def k_constant(self) -> int:
        """1 if the design has a constant, else 0."""
        return int(self.model.k_constant)

    @property
    def _fitted(self) -> torch.Tensor:
        return self.model.predict(self.fit_result.params)

    @property
    def fittedvalues(self) -> Any:
        """``model.predict(params)`` (the mean, with offset and exposure for a GLM),
        labelled by row."""
        return self.model.output.observations(self._fitted)

    def predict(
        self,
        exog: Any = None,
        transform: bool = True,
        *,
        exposure: Any = None,
        offset: Any = None,
        which: str | None = None,
    ) -> Any:
        """Predictions at ``exog`` (statsmodels' ``Results.predict``, which passes the
        keywords on to ``model.predict``).

        Parameters
        ----------
        exog : DataFrame or array-like, optional
            New data (through the formula unless ``transform=False``); the in-sample
            predictions, unlabelled, when None.
        transform : bool
            Pass ``exog`` through the formula.
        exposure, offset : array-like, optional
            GLM only: for the predictions (in sample, the model's unless given; none for
            new data, as ``GLM.predict``).
        which : {"mean", "linear", "var_unscaled"}, optional
            GLM only (default ``"mean"``).

        Raises
        ------
        InvalidOptionError
            ``exposure``, ``offset`` or ``which`` for a least-squares model (whose
            ``predict`` has none, as statsmodels' ``OLS.predict``).
        """
        glm_options = {"exposure": exposure, "offset": offset, "which": which}
        given = [name for name, value in glm_options.items() if value is not None]
        if given and not self._is_glm:
            raise InvalidOptionError(
                f"{self.model.model_name}.predict takes no {given}; they are GLM options"
            )
        options = {"exposure": exposure, "offset": offset, "which": which or "mean"}
        params = self.fit_result.params
        if exog is None:
            values = self.model.predict(params, None, **options) if self._is_glm else self._fitted
            return self.model.output.plain(values)
        design = self.model.design
        source = design if transform else replace(design, model_spec=None)
        X, index = exog_for_prediction(source, exog, device=params.device, dtype=params.dtype)
        if self._is_glm:
            values = self.model.predict(params, X, **options)
        else:
            values = self.model.predict(params, X)
        output = self.model.output
        return output.plain(values) if index is None else output.observations(values, index)

    @property
    def _is_glm(self) -> bool:
        return hasattr(self.model, "family")

    def save(self, fname: Any, remove_data: bool = False) -> None:
        """Pickle these results to a path or binary file (statsmodels' ``save``); load
        them with ``ts.load``. ``remove_data=True`` is refused (see
        :func:`~torchstats.results.persistence.save`)."""
        save(self, fname, remove_data=remove_data)

    def summary(self) -> Any:
        """statsmodels has no summary of a penalised fit (no covariance to report)."""
        raise NotImplementedError(
            "RegularizedResults has no summary (as statsmodels): a penalised estimate has no "
            "standard errors; use fit_regularized(refit=True) (OLS) for least-squares "
            "inference on the selected columns"
        )

    def __repr__(self) -> str:
        return f"<torchstats.RegularizedResults of {self.model.model_name}>"


class RegularizedRefitResults(RegressionResults):
    """``OLS.fit_regularized(refit=True)``: OLS of the selected columns, the others 0.

    As statsmodels' refit (``fit_elasticnet``), the dropped coefficients have standard
    error 0 (and NaN t statistics), ``df_model`` counts every selected column (the constant
    too) and the results are unlabelled (arrays, also for pandas data).
    """

    @property
    def df_model(self) -> float:
        """``len(selected)``: statsmodels' refit counts the constant too."""
        return float(self.fit_result.rank)

    @property
    def regularized(self) -> bool:
        """True: statsmodels marks its refit results so."""
        return True

    def _summary_notes(self) -> list[str]:
        # the dropped columns are excluded, not aliased: no rank-deficiency note
        notes = super()._summary_notes()
        return [note for note in notes if not note.startswith("The design matrix is rank")]


class RegularizedGLMRefitResults(GLMResults):
    """``GLM.fit_regularized(refit=True)``: the GLM of the selected columns, the others 0.

    statsmodels' conventions (``fit_elasticnet``): dropped coefficients have standard
    error 0, ``df_model = len(selected)``, ``df_resid = nobs - len(selected)`` (rows, not
    the frequency-weighted count), ``method`` is ``"elastic_net"`` and the iterations are
    the penalised fit's.
    """

    @property
    def df_model(self) -> float:
        """``len(selected)``."""
        return float(self.fit_result.rank)

    @property
    def df_resid(self) -> float:
        """``nobs - len(selected)``."""
        return float(self.model.nobs - self.fit_result.rank)

    @property
    def regularized(self) -> bool:
        """True: statsmodels marks its refit results so."""
        return True


class _L1Counts:
    """What every ``L1*Results`` adds: the trimmed coefficients and their counts."""

    _retvals: dict[str, Any]
    model: Any

    @property
    def trimmed(self) -> np.ndarray:
        """Boolean, one per parameter: the coefficients set to exactly 0."""
        return np.array(self._retvals["trimmed"], dtype=bool)

    @property
    def nnz_params(self) -> np.int64:
        """Number of coefficients not trimmed."""
        return np.int64((~self.trimmed).sum())

    @property
    def df_model(self) -> float:
        """``nnz_params - 1 - k_extra`` (statsmodels' ``L1*Results.__init__``; ``k_extra``:
        the negative binomial's ``alpha``)."""
        return float(int(self.nnz_params) - 1 - int(getattr(self.model, "k_extra", 0)))

    @property
    def df_resid(self) -> float:
        """``nobs - nnz_params + k_extra``."""
        nnz, k_extra = int(self.nnz_params), int(getattr(self.model, "k_extra", 0))
        return float(self.model.design.nobs) - nnz + k_extra


class L1BinaryResults(_L1Counts, BinaryResults):
    """Logit or Probit fitted with an L1 penalty (statsmodels' ``L1BinaryResults``)."""


class L1PoissonResults(_L1Counts, CountResults):
    """Poisson fitted with an L1 penalty (statsmodels' ``L1PoissonResults``)."""


class L1NegativeBinomialResults(_L1Counts, NegativeBinomialResults):
    """NegativeBinomial fitted with an L1 penalty (``L1NegativeBinomialResults``)."""


class L1MultinomialResults(_L1Counts, MultinomialResults):
    """MNLogit fitted with an L1 penalty (statsmodels' ``L1MultinomialResults``)."""

    @property
    def df_model(self) -> float:
        """``nnz_params - (J - 1)``: one constant per equation."""
        return float(int(self.nnz_params) - (self.J - 1))

    @property
    def df_resid(self) -> float:
        """``nobs - nnz_params``."""
        return float(self.model.design.nobs) - int(self.nnz_params)


L1_RESULTS: dict[type, type] = {
    BinaryResults: L1BinaryResults,
    CountResults: L1PoissonResults,
    NegativeBinomialResults: L1NegativeBinomialResults,
    MultinomialResults: L1MultinomialResults,
}
"""The L1 results class of each discrete results class."""
