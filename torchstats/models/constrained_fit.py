"""Fits under linear equality constraints ``R b = q`` (statsmodels' ``fit_constrained``).

Every ``b`` with ``R b = q`` is ``T theta + c`` (:class:`~torchstats.inference.restriction.
AffineRestriction`), so the constrained maximum likelihood is the model's own fit in
``theta``: the design ``X T``, ``X c`` added to the offset, the same response, weights,
family and options, with any ``fit`` method and ``cov_type``. The estimate and its
covariance map back as ``T theta + c`` and ``T V T'``: a sandwich of the restricted fit is
``T (T'HT)^{-1} T' M T (T'HT)^{-1} T'``, the constrained sandwich, for every covariance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from torchstats.errors import InvalidOptionError
from torchstats.inference.constraints import linear_constraint
from torchstats.inference.restriction import AffineRestriction
from torchstats.models.base import sized_threads
from torchstats.results.constrained import CONSTRAINED_RESULTS
from torchstats.solvers.result import SolverResult
from torchstats.structured.blas import matvec, product
from torchstats.structured.block_matrix import dense_within_limit

__all__ = ["ConstrainedFitting", "fit_constrained"]


def fit_constrained(
    model: Any, constraints: Any, start_params: Any, fit_kwds: Mapping[str, Any]
) -> Any:
    """The model's results at the maximum likelihood under ``R b = q``.

    Parameters
    ----------
    model : GLM, Logit, Probit or Poisson
        With ``_restricted_model(exog, shift)``: the same model on another design, with
        ``shift`` added to its offset.
    constraints : str, list of str, dict or (R, q)
        As ``t_test`` takes them (``"x1 + x2 = 1, x3 = 0"``).
    start_params : array-like, optional
        Start values in the model's parameters (projected on the constraints).
    fit_kwds : mapping
        The options of ``model.fit`` (``method``, ``maxiter``, ``cov_type``, ...).

    Returns
    -------
    The model's constrained results class (``ConstrainedGLMResults``, ...).

    Raises
    ------
    ConstraintError
        Unknown names, malformed, dependent or contradictory constraints, or constraints
        that fix every parameter.
    NumericalRangeError
        The covariance of the free parameters leaves float64's range.
    """
    results_class = CONSTRAINED_RESULTS.get(model._results_class)
    if results_class is None:
        raise InvalidOptionError(f"{model.model_name} has no fit_constrained")
    names = list(model.exog_names)
    X = dense_within_limit(model.design.exog, f"{model.model_name}.fit_constrained")
    R, q = linear_constraint(constraints, names)
    restriction = AffineRestriction.build(R, q, names, like=X)
    shift = matvec(X, restriction.constant)
    restricted = model._restricted_model(product(X, restriction.transform), shift)
    start = None
    if start_params is not None:
        start = restriction.reduce(model._params_tensor(start_params))
    found = restricted.fit(start_params=start, **fit_kwds)
    fit = _expanded_fit(found.fit_result, restriction)
    cov = found.covariance
    # the restricted fit's covariance in its scaled form does not map back: refuse one that
    # left float64's range (data scaled by ~1e+-150) rather than return inf or 0
    cov.checked_cov()
    covariance = replace(cov, cov=restriction.expand_cov(cov.cov), units=None, unit_cov=None)
    return results_class(
        model,
        fit,
        covariance,
        **found.fit_record,
        restriction=restriction,
        results_constrained=found,
    )


def _expanded_fit(found: SolverResult, restriction: AffineRestriction) -> SolverResult:
    """The restricted fit's record in the model's parameters (its design's factors and
    singular values do not carry over)."""
    normalized = found.normalized_cov
    return SolverResult(
        params=restriction.expand(found.params),
        method=found.method,
        converged=found.converged,
        n_iter=found.n_iter,
        grad_norm=found.grad_norm,
        message=found.message,
        rank=found.rank,  # the free directions: parameters fixed by R have no variance
        normalized_cov=None if normalized is None else restriction.expand_cov(normalized),
        nonfinite=found.nonfinite,
        scale=found.scale,
    )


class ConstrainedFitting:
    """``fit_constrained`` of the models statsmodels constrains (GLM, Logit, Probit,
    Poisson); each supplies ``_restricted_model(exog, shift)``."""

    @sized_threads
    def fit_constrained(self, constraints: Any, start_params: Any = None, **fit_kwds: Any) -> Any:
        """Fit under linear equality constraints ``R b = q`` (statsmodels'
        ``fit_constrained``).

        The model of the free parameters ``theta`` (``b = T theta + c``: the design
        ``X T``, ``X c`` added to the offset, the same response, weights, exposure and
        options) is fitted with ``fit_kwds``; its estimate and covariance (any
        ``cov_type``) map back.

        Parameters
        ----------
        constraints : str, list of str, dict or tuple (R, q)
            ``"x1 + x2 = 1, x3 = 0"``, as ``t_test`` reads them.
        start_params : array-like, optional
            Start values in this model's parameters.
        **fit_kwds
            Options of ``fit`` (``method``, ``maxiter``, ``cov_type``, ``cov_kwds``, a
            GLM's ``scale``...).

        Returns
        -------
        ConstrainedGLMResults, ConstrainedBinaryResults or ConstrainedCountResults
            The model's results with ``constraints``, ``k_constr``, ``results_constrained``
            and ``df_model``/``df_resid`` counting the restrictions; parameters fixed by
            the constraints have standard errors of 0.

        Raises
        ------
        ConstraintError
            Unknown names, dependent or contradictory constraints, or none left free.
        """
        return fit_constrained(self, constraints, start_params, fit_kwds)
