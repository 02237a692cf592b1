"""One sandwich, many meats: robust covariances from scores and the inverse Hessian.

Every robust estimator is ``bread @ meat @ bread`` times a small-sample factor, where the
bread is the inverse of the negative Hessian (``(X'WX)^{-1}`` for least squares) and the
meat an outer product of per-observation scores (``x_i e_i`` for least squares). Models
supply a :class:`SandwichInputs`; :func:`robust_covariance` picks the estimator by
statsmodels' ``cov_type`` name from a registry, applies statsmodels' corrections and
degrees of freedom, and returns a :class:`~torchstats.covariance.result.CovarianceResult`.
The panel estimators (``hac-panel``, ``hac-groupsum``) live in :mod:`.panel`, the cluster
jackknife in :mod:`.jackknife`.

References: statsmodels ``regression/linear_model.py::RegressionResults.get_robustcov_results``,
``base/covtype.py`` and ``stats/sandwich_covariance.py``; linearmodels ``iv/covariance.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from torchstats.covariance.inputs import SandwichInputs
from torchstats.covariance.jackknife import cluster_jackknife
from torchstats.covariance.kernels import kernel_weights
from torchstats.covariance.panel import DESCRIPTIONS as PANEL_DESCRIPTIONS
from torchstats.covariance.panel import hac_groupsum, hac_panel
from torchstats.covariance.result import CovarianceResult
from torchstats.covariance.scores import Intersection, JackknifeScoreSource, cluster_codes
from torchstats.errors import DegreesOfFreedomWarning, InvalidOptionError, warn
from torchstats.inference.degrees_of_freedom import per_degree_of_freedom

__all__ = [
    "SandwichInputs",
    "robust_covariance",
    "ROBUST_COV_TYPES",
    "canonical_cov_type",
    "reported_cov_type",
]

DESCRIPTIONS = {
    "HC0": "Standard Errors are heteroscedasticity robust (HC0)",
    "HC1": "Standard Errors are heteroscedasticity robust (HC1)",
    "HC2": "Standard Errors are heteroscedasticity robust (HC2)",
    "HC3": "Standard Errors are heteroscedasticity robust (HC3)",
    "HAC": "Standard Errors are heteroscedasticity and autocorrelation robust (HAC) using "
    "{maxlags} lags and {correction} small sample correction",
    "cluster": "Standard Errors are robust to cluster correlation (CRV1)",
    "cluster-crv3": "Standard Errors are robust to cluster correlation (CRV3)",
    "cluster-jk": "Standard Errors are robust to cluster correlation",
    "fixed scale": "Standard Errors are based on fixed scale",
    **PANEL_DESCRIPTIONS,
}

# statsmodels' other spellings (base/covtype.py::normalize_cov_type and the fixed-scale branch)
_ALIASES = {"nw-panel": "hac-panel", "nw-groupsum": "hac-groupsum", "fixed_scale": "fixed scale"}

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
                "least-squares models, GLMs and single-index discrete models only; use 'HC0' "
                "or 'HC1'"
            )
        accurate = inputs.white_covariance
        cov = None if accurate is None else accurate(power)
        if cov is None:
            cov = inputs.sandwich(inputs.scores.white_meat(power))
        if kind == "HC1" and inputs.hc1_correction:
            cov = cov * per_degree_of_freedom(inputs.nobs, inputs.df_resid)
        return cov, {"description": DESCRIPTIONS[kind]}

    return estimate


def _check_kwds(cov_type: str, kwds: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(kwds) - allowed
    if unknown:
        raise InvalidOptionError(
            f"unknown cov_kwds for cov_type={cov_type!r}: {sorted(unknown)}; it takes "
            f"{sorted(allowed)}"
        )


def _cluster(kind: str) -> _Estimator:
    def estimate(inputs: SandwichInputs, kwds: dict[str, Any]) -> tuple[torch.Tensor, dict]:
        _check_kwds(kind, kwds, {"groups", "use_correction", "df_correction"})
        if kwds.get("groups") is None:
            raise InvalidOptionError(
                f"cov_type={kind!r} needs cov_kwds={{'groups': labels}}: one cluster label per "
                "observation" + (", or two columns for two-way clustering" * (kind == "cluster"))
            )
        use_correction = bool(kwds.get("use_correction", True))
        columns = _group_columns(kwds["groups"], inputs.nobs)
        if kind != "cluster":
            if len(columns) != 1:
                raise InvalidOptionError(
                    f"cov_type={kind!r} is one-way only (as statsmodels: the two-way "
                    "combination is valid for CRV1 only); use cov_type='cluster' for two-way"
                )
            cov, n_groups = _jackknife_cov(inputs, columns[0], kind, use_correction)
        elif len(columns) == 1:
            cov, n_groups = _cluster_cov(inputs, columns[0], use_correction)
        else:
            # Cameron, Gelbach & Miller (2011): V(g0) + V(g1) - V(g0 & g1), statsmodels'
            # cov_cluster_2groups, each term with its own correction.
            cov0, n0 = _cluster_cov(inputs, columns[0], use_correction)
            cov1, n1 = _cluster_cov(inputs, columns[1], use_correction)
            both, _ = _cluster_cov(inputs, Intersection(columns[0], columns[1]), use_correction)
            cov = cov0 + cov1 - both
            n_groups = min(n0, n1)
        out = {
            "description": DESCRIPTIONS[kind],
            "groups": kwds["groups"],
            "use_correction": use_correction,
            "adjust_df": kwds.get("df_correction", True) is not False,
            "n_groups": n_groups,
        }
        return cov, out

    return estimate


def _too_few_clusters(n_groups: int, what: str) -> InvalidOptionError:
    return InvalidOptionError(
        f"{what} needs at least 2 clusters, but groups has {n_groups}: one cluster's score "
        "sum is the total score, zero at the estimate, and the correction G/(G-1) is "
        "undefined; check the groups labels, or use a heteroscedasticity-robust cov_type "
        "such as 'HC1'"
    )


def _cluster_cov(
    inputs: SandwichInputs, groups: Any, use_correction: bool
) -> tuple[torch.Tensor, int]:
    meat, n_groups = inputs.scores.cluster_meat(groups)
    if n_groups < 2:
        # statsmodels: ZeroDivisionError, or (use_correction=False) a covariance of rounding
        # errors, since one cluster's score sum is the total score, zero at the estimate
        raise _too_few_clusters(n_groups, "cov_type='cluster'")
    cov = inputs.sandwich(meat)
    if use_correction:
        n, k = inputs.nobs, inputs.k_identified
        cov = cov * (n_groups / (n_groups - 1.0) * per_degree_of_freedom(n - 1.0, n - k))
    return cov, n_groups


def _jackknife_cov(
    inputs: SandwichInputs, groups: Any, kind: str, use_correction: bool
) -> tuple[torch.Tensor, int]:
    scores = inputs.scores
    if not inputs.least_squares or not isinstance(scores, JackknifeScoreSource):
        raise InvalidOptionError(
            f"cov_type={kind!r} (the cluster jackknife) is available for in-memory OLS and "
            "WLS fits only, as in statsmodels; use cov_type='cluster'"
        )
    codes, n_groups = cluster_codes(groups, inputs.nobs, inputs.bread.device)
    if n_groups < 2:
        raise _too_few_clusters(n_groups, f"cov_type={kind!r}")
    center = "estimate" if kind == "cluster-crv3" else "mean"
    cov = cluster_jackknife(scores, inputs.bread, codes, n_groups, center=center)
    if use_correction:
        cov = cov * ((n_groups - 1.0) / n_groups)
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
    _check_kwds("HAC", kwds, {"maxlags", "kernel", "weights_func", "use_correction"})
    kernel = kwds.get("kernel", kwds.get("weights_func", "bartlett"))
    maxlags = kwds.get("maxlags")
    weights = kernel_weights(kernel, maxlags, "HAC", inputs.bread.dtype, inputs.bread.device)
    cov = inputs.sandwich(inputs.scores.hac_meat(weights))
    use_correction = bool(kwds.get("use_correction", False))
    if use_correction:
        cov = cov * per_degree_of_freedom(inputs.nobs, inputs.nobs - inputs.k_identified)
    description = DESCRIPTIONS["HAC"].format(
        maxlags=maxlags, correction=["without", "with"][use_correction]
    )
    out = {
        "description": description,
        "maxlags": int(weights.shape[0] - 1),
        "kernel": kernel,
        "use_correction": use_correction,
    }
    return cov, out


def _fixed_scale(inputs: SandwichInputs, kwds: dict[str, Any]) -> tuple[torch.Tensor, dict]:
    _check_kwds("fixed scale", kwds, {"scale"})
    if not inputs.least_squares:
        raise InvalidOptionError(
            "cov_type='fixed scale' is available for OLS and WLS only, as in statsmodels (a "
            "GLM takes a fixed scale as fit(scale=...))"
        )
    scale = kwds.get("scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise InvalidOptionError(f"cov_kwds 'scale' must be a positive number, got {scale!r}")
    cov = float(scale) * inputs.bread
    return cov, {"description": DESCRIPTIONS["fixed scale"], "scale": float(scale)}


_ESTIMATORS: dict[str, _Estimator] = {
    "HC0": _hc("HC0"),
    "HC1": _hc("HC1"),
    "HC2": _hc("HC2"),
    "HC3": _hc("HC3"),
    "cluster": _cluster("cluster"),
    "cluster-crv3": _cluster("cluster-crv3"),
    "cluster-jk": _cluster("cluster-jk"),
    "HAC": _hac,
    "hac-panel": hac_panel,
    "hac-groupsum": hac_groupsum,
    "fixed scale": _fixed_scale,
}

ROBUST_COV_TYPES = tuple(_ESTIMATORS)


def canonical_cov_type(cov_type: str) -> str:
    """statsmodels' spelling of a cov_type given in any case (``"hc1"`` -> ``"HC1"``)."""
    if isinstance(cov_type, str):
        lowered = _ALIASES.get(cov_type.lower(), cov_type.lower())
        for name in ("nonrobust", *ROBUST_COV_TYPES):
            if lowered == name.lower():
                return name
    choices = ", ".join(repr(c) for c in ("nonrobust", *ROBUST_COV_TYPES, *_ALIASES))
    raise InvalidOptionError(f"unknown cov_type {cov_type!r}; choose one of {choices}")


def reported_cov_type(cov_type: str) -> str:
    """The ``cov_type`` statsmodels reports (and prints in the summary) for a given name.

    statsmodels keeps the name as the user spelled it (``"hc1"`` stays ``"hc1"``,
    ``"fixed_scale"`` stays), except ``"nw-panel"`` and ``"nw-groupsum"``, which become
    ``"hac-panel"`` and ``"hac-groupsum"`` (``base/covtype.py::normalize_cov_type``).
    """
    canonical = canonical_cov_type(cov_type)
    return canonical if cov_type.lower() in ("nw-panel", "nw-groupsum") else cov_type


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
    cov_type : str
        Estimator (case-insensitive), statsmodels' names:

        - ``"HC0"``, ``"HC1"``, ``"HC2"``, ``"HC3"``: no options.
        - ``"cluster"`` (CRV1): ``groups`` (1-d labels, or two columns for two-way
          clustering), ``use_correction`` (default True: ``G/(G-1) (n-1)/(n-k)``),
          ``df_correction`` (default True: t and F tests use ``G - 1`` degrees of freedom).
        - ``"cluster-crv3"``, ``"cluster-jk"``: the cluster jackknife of OLS/WLS, centred at
          the estimate (CRV3) or at the mean of the leave-one-cluster-out estimates;
          ``groups`` (one-way), ``use_correction`` (default True: ``(G-1)/G``),
          ``df_correction``.
        - ``"HAC"``: ``maxlags`` (required), ``kernel`` (``"bartlett"`` default,
          ``"uniform"``, or a function of maxlags; ``weights_func`` is a synonym),
          ``use_correction`` (default False: True multiplies by ``n/(n-k)``).
        - ``"hac-panel"`` (``"nw-panel"``), ``"hac-groupsum"`` (``"nw-groupsum"``,
          Driscoll-Kraay): see :mod:`torchstats.covariance.panel`.
        - ``"fixed scale"`` (``"fixed_scale"``): ``scale`` (default 1) times
          ``(X'WX)^{-1}``, least squares only.

        Every type also takes ``scaling_factor`` (the covariance is multiplied by it, as in
        statsmodels' ``base/covtype.py``) and ``use_t`` (used when the ``use_t`` argument
        is None, as in statsmodels' ``OLS.fit``).
    cov_kwds : mapping, optional
        The options above.
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
    kwds = dict(cov_kwds or {})
    kwds_use_t = kwds.pop("use_t", None)
    if use_t is None:
        use_t = kwds_use_t
    scaling_factor = kwds.pop("scaling_factor", None)
    cov, info = _ESTIMATORS[name](inputs, kwds)
    if scaling_factor is not None:
        if isinstance(scaling_factor, bool) or not isinstance(scaling_factor, (int, float)):
            raise InvalidOptionError(
                f"cov_kwds 'scaling_factor' must be a number, got {scaling_factor!r}"
            )
        cov = cov * float(scaling_factor)
    use_t = bool(use_t) if use_t is not None else False
    df_inference = inputs.df_resid
    if info.get("adjust_df"):
        df_inference = float(info["n_groups"] - 1)
        if use_t and df_inference < 1:
            warn(
                f"cov_type={cov_type!r} found {info['n_groups']} group(s), so its t tests and "
                "intervals have G - 1 = 0 degrees of freedom and are undefined (NaN); use "
                "use_t=False (normal inference) or df_correction=False",
                DegreesOfFreedomWarning,
            )
    kwds_out = {"use_t": use_t, "adjust_df": bool(info.get("adjust_df", False))}
    kwds_out.update(info)
    kwds_out["scaling_factor"] = scaling_factor
    return CovarianceResult(
        cov=cov,
        cov_type=reported_cov_type(cov_type),
        use_t=use_t,
        df_resid=df_inference,
        description=info["description"],
        kwds=kwds_out,
    )
