"""One sandwich, many meats: robust covariances from scores and the inverse Hessian.

Every robust estimator is ``bread @ meat @ bread`` times a small-sample factor, where the
bread is the inverse of the negative Hessian (``(X'WX)^{-1}`` for least squares) and the
meat an outer product of per-observation scores (``x_i e_i`` for least squares). Models
supply a :class:`SandwichInputs`; :func:`robust_covariance` picks the meat by statsmodels'
``cov_type`` name, applies statsmodels' corrections and degrees of freedom, and returns a
:class:`~torchstats.covariance.result.CovarianceResult`.

References: statsmodels ``regression/linear_model.py::RegressionResults.get_robustcov_results``,
``base/covtype.py`` and ``stats/sandwich_covariance.py``; linearmodels ``iv/covariance.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from torchstats.covariance.kernels import KERNELS, default_maxlags
from torchstats.covariance.result import CovarianceResult
from torchstats.covariance.scores import Intersection, ScoreSource, TensorScores
from torchstats.errors import InvalidOptionError

__all__ = ["SandwichInputs", "robust_covariance", "ROBUST_COV_TYPES", "canonical_cov_type"]

DESCRIPTIONS = {
    "HC0": "Standard Errors are heteroscedasticity robust (HC0)",
    "HC1": "Standard Errors are heteroscedasticity robust (HC1)",
    "HC2": "Standard Errors are heteroscedasticity robust (HC2)",
    "HC3": "Standard Errors are heteroscedasticity robust (HC3)",
    "HAC": "Standard Errors are heteroscedasticity and autocorrelation robust (HAC) using "
    "{maxlags} lags and {correction} small sample correction",
    "cluster": "Standard Errors are robust to cluster correlation (CRV1)",
}


@dataclass(frozen=True, slots=True)
class SandwichInputs:
    """What a model hands to the robust estimators.

    Attributes
    ----------
    bread : Tensor, shape (k, k)
        Inverse of the negative Hessian in the units of the scores.
    scores : ScoreSource
        The per-observation scores at the estimate, in the data's row order: in memory
        (:class:`~torchstats.covariance.scores.TensorScores`) or streamed.
    df_resid : float
        Residual degrees of freedom (HC1's ``n / df_resid``).
    hc1_correction : bool
        Whether HC1 multiplies HC0 by ``n / df_resid``. statsmodels does for least squares
        only; for likelihood models its HC1 equals HC0 (``cov_white_simple`` without
        correction), which is reproduced with False.
    leverage_available : bool
        Whether the scores come with leverages (least squares), which HC2/HC3 need.
    """

    bread: torch.Tensor
    scores: ScoreSource
    df_resid: float
    hc1_correction: bool = True
    leverage_available: bool = False

    @classmethod
    def from_tensor(
        cls,
        bread: torch.Tensor,
        scores: torch.Tensor,
        df_resid: float,
        *,
        hc1_correction: bool = True,
    ) -> SandwichInputs:
        """Inputs from an in-memory ``(n, k)`` score tensor (no leverages)."""
        return cls(
            bread=bread,
            scores=TensorScores(scores),
            df_resid=df_resid,
            hc1_correction=hc1_correction,
        )

    @property
    def nobs(self) -> int:
        return int(self.scores.nobs)

    @property
    def k_params(self) -> int:
        return int(self.scores.k_params)

    def sandwich(self, meat: torch.Tensor) -> torch.Tensor:
        """``bread @ meat @ bread``, symmetrised against rounding."""
        cov = self.bread @ meat @ self.bread
        return 0.5 * (cov + cov.T)


_Estimator = Callable[[SandwichInputs, dict[str, Any]], tuple[torch.Tensor, dict[str, Any]]]


def _hc(kind: str) -> _Estimator:
    def estimate(inputs: SandwichInputs, kwds: dict[str, Any]) -> tuple[torch.Tensor, dict]:
        if kwds:
            raise InvalidOptionError(
                f"cov_type={kind!r} takes no cov_kwds (got {sorted(kwds)}); "
                "heteroscedasticity-robust covariances have no options"
            )
        power = {"HC0": 0, "HC1": 0, "HC2": 1, "HC3": 2}[kind]
        if power and not inputs.leverage_available:
            raise InvalidOptionError(
                f"cov_type={kind!r} needs the leverage of each observation, available for "
                "least-squares models only; use 'HC0' or 'HC1'"
            )
        cov = inputs.sandwich(inputs.scores.white_meat(power))
        if kind == "HC1" and inputs.hc1_correction:
            cov = cov * (inputs.nobs / inputs.df_resid)
        return cov, {"description": DESCRIPTIONS[kind]}

    return estimate


def _cluster(inputs: SandwichInputs, kwds: dict[str, Any]) -> tuple[torch.Tensor, dict]:
    unknown = set(kwds) - {"groups", "use_correction", "df_correction"}
    if unknown:
        raise InvalidOptionError(f"unknown cov_kwds for cov_type='cluster': {sorted(unknown)}")
    if kwds.get("groups") is None:
        raise InvalidOptionError(
            "cov_type='cluster' needs cov_kwds={'groups': labels}: one cluster label per "
            "observation, or two columns for two-way clustering"
        )
    use_correction = bool(kwds.get("use_correction", True))
    columns = _group_columns(kwds["groups"], inputs.nobs)
    if len(columns) == 1:
        cov, n_groups = _cluster_cov(inputs, columns[0], use_correction)
    else:
        # Cameron, Gelbach & Miller (2011): V(g0) + V(g1) - V(g0 & g1), statsmodels'
        # cov_cluster_2groups, each term with its own correction.
        cov0, n0 = _cluster_cov(inputs, columns[0], use_correction)
        cov1, n1 = _cluster_cov(inputs, columns[1], use_correction)
        both, _ = _cluster_cov(inputs, Intersection(columns[0], columns[1]), use_correction)
        cov = cov0 + cov1 - both
        n_groups = min(n0, n1)
    adjust_df = kwds.get("df_correction", True) is not False
    out = {
        "description": DESCRIPTIONS["cluster"],
        "groups": kwds["groups"],
        "use_correction": use_correction,
        "adjust_df": adjust_df,
        "n_groups": n_groups,
    }
    return cov, out


def _cluster_cov(
    inputs: SandwichInputs, groups: Any, use_correction: bool
) -> tuple[torch.Tensor, int]:
    meat, n_groups = inputs.scores.cluster_meat(groups)
    cov = inputs.sandwich(meat)
    if use_correction:
        n, k = inputs.nobs, inputs.k_params
        cov = cov * (n_groups / (n_groups - 1.0) * ((n - 1.0) / (n - k)))
    return cov, n_groups


def _group_columns(groups: Any, nobs: int) -> list[Any]:
    """One or two label columns from a 1-d or ``(n, 2)`` groups argument."""
    if hasattr(groups, "ndim") and groups.ndim == 2:
        if groups.shape[1] > 2:
            raise InvalidOptionError("cluster groups may have at most two columns (two-way)")
        if hasattr(groups, "iloc"):
            return [groups.iloc[:, j].to_numpy() for j in range(groups.shape[1])]
        return [groups[:, j] for j in range(groups.shape[1])]
    if isinstance(groups, (list, tuple)) and groups and hasattr(groups[0], "__len__"):
        if len(groups) == nobs:
            return [groups]
        return list(groups)
    return [groups]


def _hac(inputs: SandwichInputs, kwds: dict[str, Any]) -> tuple[torch.Tensor, dict]:
    unknown = set(kwds) - {"maxlags", "kernel", "weights_func", "use_correction"}
    if unknown:
        raise InvalidOptionError(f"unknown cov_kwds for cov_type='HAC': {sorted(unknown)}")
    maxlags = kwds.get("maxlags")
    if maxlags is None:
        raise InvalidOptionError(
            "cov_type='HAC' needs cov_kwds={'maxlags': L}; Newey-West's rule of thumb gives "
            f"{default_maxlags(inputs.nobs)} for {inputs.nobs} observations"
        )
    if int(maxlags) != maxlags or maxlags < 0:
        raise InvalidOptionError(f"maxlags must be a non-negative integer, got {maxlags!r}")
    kernel_name = kwds.get("kernel", kwds.get("weights_func", "bartlett"))
    kernel = KERNELS.get(kernel_name) if isinstance(kernel_name, str) else None
    if kernel is None:
        raise InvalidOptionError(
            f"unknown HAC kernel {kernel_name!r}; choose one of {', '.join(map(repr, KERNELS))}"
        )
    weights = kernel(int(maxlags), inputs.bread.dtype, inputs.bread.device)
    cov = inputs.sandwich(inputs.scores.hac_meat(weights))
    use_correction = bool(kwds.get("use_correction", False))
    if use_correction:
        cov = cov * (inputs.nobs / (inputs.nobs - inputs.k_params))
    description = DESCRIPTIONS["HAC"].format(
        maxlags=int(maxlags), correction=["without", "with"][use_correction]
    )
    out = {
        "description": description,
        "maxlags": int(maxlags),
        "kernel": kernel_name,
        "use_correction": use_correction,
    }
    return cov, out


_ESTIMATORS: dict[str, _Estimator] = {
    "HC0": _hc("HC0"),
    "HC1": _hc("HC1"),
    "HC2": _hc("HC2"),
    "HC3": _hc("HC3"),
    "cluster": _cluster,
    "HAC": _hac,
}

ROBUST_COV_TYPES = tuple(_ESTIMATORS)


def canonical_cov_type(cov_type: str) -> str:
    """statsmodels' spelling of a cov_type given in any case (``"hc1"`` -> ``"HC1"``)."""
    for name in ("nonrobust", *ROBUST_COV_TYPES):
        if isinstance(cov_type, str) and cov_type.lower() == name.lower():
            return name
    choices = ", ".join(repr(c) for c in ("nonrobust", *ROBUST_COV_TYPES))
    raise InvalidOptionError(f"unknown cov_type {cov_type!r}; choose one of {choices}")


def robust_covariance(
    cov_type: str,
    cov_kwds: Mapping[str, Any] | None,
    inputs: SandwichInputs,
    *,
    use_t: bool | None,
) -> CovarianceResult:
    """A robust covariance by statsmodels' name, with its corrections and inference df.

    Parameters
    ----------
    cov_type : {"HC0", "HC1", "HC2", "HC3", "cluster", "HAC"}
        Estimator (case-insensitive).
    cov_kwds : mapping, optional
        ``cluster``: ``groups`` (1-d labels, or two columns for two-way clustering),
        ``use_correction`` (default True), ``df_correction`` (default True: t and F tests
        use ``G - 1`` degrees of freedom). ``HAC``: ``maxlags`` (required), ``kernel``
        (``"bartlett"`` default, or ``"uniform"``), ``use_correction`` (default False).
    inputs : SandwichInputs
        Bread, scores and degrees of freedom from the model.
    use_t : bool or None
        As statsmodels: robust covariances use the normal distribution unless True.

    Returns
    -------
    CovarianceResult
    """
    name = canonical_cov_type(cov_type)
    if name == "nonrobust":
        raise InvalidOptionError("robust_covariance computes robust covariances only")
    cov, info = _ESTIMATORS[name](inputs, dict(cov_kwds or {}))
    use_t = bool(use_t) if use_t is not None else False
    df_inference = inputs.df_resid
    if info.get("adjust_df"):
        df_inference = float(info["n_groups"] - 1)
    kwds = {"use_t": use_t, **info}
    return CovarianceResult(
        cov=cov,
        cov_type=name,
        use_t=use_t,
        df_resid=df_inference,
        description=info["description"],
        kwds=kwds,
    )
