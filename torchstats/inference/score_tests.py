"""Score (Lagrange multiplier) tests of fitted GLMs and discrete models, as statsmodels'
``GLMResults.score_test`` and ``DiscreteResults.score_test``.

Both test restrictions from the restricted fit alone, in one of two set-ups
(``statsmodels.base._parameter_inference.score_test``):

- *omitted variables*: ``exog_extra`` columns are added to the design; the score and the
  Hessian of the larger model are evaluated at the fitted parameters with the new
  coefficients at zero (``k_constraint`` = the number of columns);
- *restricted parameters*: ``params_constrained`` (estimated under ``k_constraints``
  restrictions) is plugged into the model's own score and Hessian.

With ``cov_type="nonrobust"`` the joint statistic is ``s' (-H)^{-1} s`` on chi-squared
(``hypothesis="separate"``: one z statistic ``s_j / sqrt(-H_jj)`` per parameter). With
``"HC0"`` the score's covariance is ``n`` times the sample covariance of the per-observation
scores and the statistic is the robust LM form of ``_lm_robust`` (Wooldridge's), which needs
the restriction matrix and so ``exog_extra``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from scipy import stats

from torchstats._device import to_numpy, to_tensor
from torchstats._typing import check_option
from torchstats.errors import InvalidOptionError, ShapeMismatchError, SpecificationWarning, warn
from torchstats.structured.block_matrix import dense_within_limit

__all__ = ["ScoreTestResult", "discrete_score_test", "glm_score_test"]

HYPOTHESES = ("joint", "separate")
SCORE_TEST_COV_TYPES = ("nonrobust", "HC0")


@dataclass(frozen=True, slots=True)
class ScoreTestResult:
    """statsmodels' ``ScoreTestResult``: unpacks as ``statistic, pvalue = result``.

    Attributes
    ----------
    statistic : ndarray or float
        The chi-squared statistic (an array of shape (1,) for ``cov_type="nonrobust"``, a
        float for ``"HC0"``, as statsmodels returns them), or one z statistic per parameter
        for ``hypothesis="separate"``.
    pvalue : ndarray or float
        Its p-value(s).
    distribution : {"chi2", "norm"}
    k_constraint : int or None
        Degrees of freedom of the chi-squared test; None for ``"separate"``.
    """

    _iter_fields: ClassVar[tuple[str, ...]] = ("statistic", "pvalue")

    statistic: Any
    pvalue: Any
    distribution: str
    k_constraint: Any = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.statistic, self.pvalue))

    def __getitem__(self, index: int) -> Any:
        return (self.statistic, self.pvalue)[index]

    def __len__(self) -> int:
        return 2


@dataclass(frozen=True, slots=True)
class _Derivatives:
    """Score, per-observation scores and Hessian of the (larger) model at the restricted
    estimate, with the number of restrictions and their matrix (None when unknown)."""

    score: torch.Tensor
    score_obs: torch.Tensor
    hessian: torch.Tensor
    k_constraints: int
    r_matrix: np.ndarray | None


def glm_score_test(
    results: Any,
    exog_extra: Any,
    params_constrained: Any,
    hypothesis: str,
    cov_type: str | None,
    cov_kwds: Any,
    k_constraints: int | None,
    observed: bool,
) -> ScoreTestResult:
    """statsmodels' ``GLMResults.score_test`` (see :meth:`GLMResults.score_test`).

    The scale of families with an estimated dispersion is re-estimated at
    ``params_constrained`` with ``df_resid + k_constraints`` degrees of freedom, as
    statsmodels does.
    """
    model = results.model
    for name in model.given_weights:
        warn(f"score test has not been verified with {name}", SpecificationWarning)
    _check_arguments(hypothesis, cov_kwds, exog_extra, k_constraints)
    params = _params(results, params_constrained)
    df_resid = results.df_resid + (k_constraints or 0)
    scale = model.scale_rule(results.scaletype, df_resid)(model.predict(params))
    if exog_extra is None:
        assert k_constraints is not None
        derivatives = _Derivatives(
            model.score(params, scale),
            model.score_obs(params, scale),
            model.hessian(params, scale, observed),
            k_constraints,
            None,
        )
    else:
        factor = model.score_factor(params, scale)
        curvature = -model.hessian_factor(params, scale, observed)
        derivatives = _extended(results, exog_extra, factor, curvature)
    return _test(derivatives, cov_type or results.cov_type, hypothesis, model.design.nobs)


def discrete_score_test(
    results: Any,
    exog_extra: Any,
    params_constrained: Any,
    hypothesis: str,
    cov_type: str | None,
    cov_kwds: Any,
    k_constraints: int | None,
    observed: bool,
) -> ScoreTestResult:
    """statsmodels' ``DiscreteResults.score_test`` (see the results' ``score_test``)."""
    model = results.model
    _check_arguments(hypothesis, cov_kwds, exog_extra, k_constraints)
    if not observed:
        raise InvalidOptionError(
            f"{model.model_name}.score_test: observed=False needs the expected information, "
            "which the discrete models do not provide (statsmodels' neither); use GLM"
        )
    params = _params(results, params_constrained)
    if exog_extra is None:
        assert k_constraints is not None
        derivatives = _Derivatives(
            model.score(params),
            model.score_obs(params),
            model.hessian(params),
            k_constraints,
            None,
        )
    else:
        if not hasattr(model, "hessian_factor"):
            raise InvalidOptionError(
                f"{model.model_name}.score_test(exog_extra=...) needs a single-index model "
                "(Logit, Probit, Poisson); for the negative binomial pass params_constrained "
                "and k_constraints"
            )
        factor, curvature = model.score_factor(params), model.hessian_factor(params)
        derivatives = _extended(results, exog_extra, factor, curvature)
    return _test(derivatives, cov_type or results.cov_type, hypothesis, model.design.nobs)


def _check_arguments(
    hypothesis: str, cov_kwds: Any, exog_extra: Any, k_constraints: int | None
) -> None:
    check_option(hypothesis, HYPOTHESES, "hypothesis")
    if cov_kwds:
        warn(
            "score_test: cov_kwds has no effect (statsmodels' neither): the HC0 covariance of "
            "the scores takes no options",
            SpecificationWarning,
        )
    if exog_extra is None and k_constraints is None:
        raise InvalidOptionError(
            "score_test: without exog_extra, give k_constraints (the number of restrictions "
            "params_constrained was estimated under)"
        )
    if isinstance(exog_extra, tuple):
        raise InvalidOptionError(
            "score_test: a tuple of exog_extra (extra columns of a second model part) is for "
            "two-part models; pass one array of extra columns"
        )


def _params(results: Any, params_constrained: Any) -> torch.Tensor:
    fitted = results.fit_result.params
    if params_constrained is None:
        return fitted
    values = np.asarray(params_constrained, dtype=float).reshape(-1)
    if values.shape[0] != fitted.shape[0]:
        raise ShapeMismatchError(
            f"params_constrained has {values.shape[0]} values; the model has {fitted.shape[0]}"
        )
    return torch.as_tensor(values, dtype=fitted.dtype, device=fitted.device)


def _extended(
    results: Any, exog_extra: Any, factor: torch.Tensor, curvature: torch.Tensor
) -> _Derivatives:
    """The larger model's derivatives: ``[X, exog_extra]`` weighted by the restricted fit's
    score and Hessian factors (``hessian = ex' diag(curvature) ex``).

    A multi-equation model (MNLogit) has factors of shape (n, m) and (n, m, m): each
    equation gains the extra columns, the parameters stay equation after equation, and the
    restrictions are the extra columns of every equation (statsmodels restricts the last
    ``m k_extra`` parameters instead, which for ``m > 1`` are not those).
    """
    X = dense_within_limit(results.model.design.exog, "score_test(exog_extra=...)")
    extra = _extra_columns(results, exog_extra)
    ex = torch.cat([X, extra], dim=1)
    k_extra = extra.shape[1]
    if factor.ndim == 1:
        score_obs = factor[:, None] * ex
        hessian = (ex * curvature[:, None]).T @ ex
        r_matrix = np.eye(ex.shape[1])[-k_extra:]
        return _Derivatives(score_obs.sum(0), score_obs, hessian, k_extra, r_matrix)
    n, m, k = ex.shape[0], factor.shape[1], ex.shape[1]
    score_obs = (factor[:, :, None] * ex[:, None, :]).reshape(n, m * k)
    blocks = [[(ex * curvature[:, j, i, None]).T @ ex for i in range(m)] for j in range(m)]
    hessian = torch.cat([torch.cat(row, dim=1) for row in blocks], dim=0)
    restricted = [j * k + c for j in range(m) for c in range(k - k_extra, k)]
    r_matrix = np.eye(m * k)[restricted]
    return _Derivatives(score_obs.sum(0), score_obs, hessian, m * k_extra, r_matrix)


def _extra_columns(results: Any, exog_extra: Any) -> torch.Tensor:
    """``exog_extra`` as an (n, k) tensor on the model's device, for the rows the fit used:
    pandas objects by label, arrays by position (as ``cov_kwds["groups"]``)."""
    X = results.model.design.exog
    values = results.model.rows_of({"exog_extra": exog_extra}, ("exog_extra",))["exog_extra"]
    extra = to_tensor(values, name="exog_extra", device=X.device, dtype=X.dtype)
    extra = extra.reshape(extra.shape[0], -1)
    if extra.shape[0] != X.shape[0]:
        raise ShapeMismatchError(
            f"exog_extra has {extra.shape[0]} rows; the model was fitted on {X.shape[0]}"
        )
    return extra


def _test(derivatives: _Derivatives, cov_type: str, hypothesis: str, nobs: int) -> ScoreTestResult:
    """statsmodels' arithmetic (numpy float64, so that the types match too)."""
    if cov_type not in SCORE_TEST_COV_TYPES and cov_type.upper() != "HC0":
        raise InvalidOptionError(
            f"score_test: cov_type {cov_type!r} is not available; statsmodels implements "
            f"{', '.join(map(repr, SCORE_TEST_COV_TYPES))} (pass cov_type=...)"
        )
    score = to_numpy(derivatives.score).astype(np.float64)
    hessian = to_numpy(derivatives.hessian).astype(np.float64)
    if cov_type == "nonrobust":
        information = -hessian
        if hypothesis == "joint":
            statistic = score.dot(np.linalg.solve(information, score[:, None]))
            pvalue = stats.chi2.sf(statistic, derivatives.k_constraints)
            return ScoreTestResult(statistic, pvalue, "chi2", derivatives.k_constraints)
        z = score / np.sqrt(np.diag(information))
        return ScoreTestResult(z, stats.norm.sf(np.abs(z)) * 2, "norm")
    if derivatives.r_matrix is None:
        raise InvalidOptionError(
            "score_test(cov_type='HC0') needs the restriction matrix: test omitted variables "
            "with exog_extra (statsmodels' requirement too)"
        )
    centred = derivatives.score_obs - derivatives.score_obs.mean(0)
    cov_score = nobs * to_numpy(centred.T @ centred).astype(np.float64) / (nobs - 1)
    return _lm_robust(score, derivatives.r_matrix, -np.linalg.inv(hessian), cov_score)


def _lm_robust(
    score: np.ndarray, r_matrix: np.ndarray, inverse_information: np.ndarray, cov_score: np.ndarray
) -> ScoreTestResult:
    """statsmodels' ``_lm_robust``: ``(R A s)' (R A B A R')^{-1} (R A s)`` with ``A`` the
    inverse information and ``B`` the covariance of the score."""
    k = np.linalg.matrix_rank(r_matrix)
    projection = r_matrix.dot(inverse_information)
    weighted = projection.dot(score)
    inner = projection.dot(cov_score).dot(projection.T)
    statistic = weighted.dot(np.linalg.solve(inner, weighted))
    return ScoreTestResult(statistic, stats.chi2.sf(statistic, k), "chi2", k)
