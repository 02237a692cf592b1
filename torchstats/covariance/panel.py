"""Panel HAC covariances: Newey-West within panel units, and Driscoll-Kraay.

- ``"hac-panel"`` (``"nw-panel"``): the rows of each panel unit are consecutive and in time
  order; lag products are summed within units only (statsmodels ``cov_nw_panel``).
- ``"hac-groupsum"`` (``"nw-groupsum"``): the scores are summed over the units of each time
  period, and the period sums get the time-series HAC meat (Driscoll & Kraay 1998;
  statsmodels ``cov_nw_groupsum``, Stata ``xtscc``).

Both need the scores in memory (not a streamed fit).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.covariance.inputs import SandwichInputs
from torchstats.covariance.kernels import kernel_weights
from torchstats.covariance.meats import hac_meat, segment_codes
from torchstats.covariance.scores import PanelScoreSource
from torchstats.errors import InvalidOptionError
from torchstats.inference.degrees_of_freedom import per_degree_of_freedom

__all__ = ["hac_panel", "hac_groupsum", "DESCRIPTIONS"]

DESCRIPTIONS = {
    "hac-panel": "Standard Errors are robust to cluster correlation (HAC-Panel)",
    "hac-groupsum": "Driscoll and Kraay Standard Errors are robust to cluster correlation "
    "(HAC-Groupsum)",
}

_OPTIONS = {"maxlags", "kernel", "weights_func", "use_correction", "df_correction"}
_CORRECTIONS = {"hac": "hac", "cluster": "cluster", "c": "cluster", "clu": "cluster"}


def _correction(value: object, cov_type: str) -> str | None:
    """statsmodels' ``use_correction`` of the panel types: False, ``"hac"`` or ``"cluster"``.

    statsmodels silently applies no correction for ``True`` (it is neither string); that is
    refused here rather than guessed.
    """
    if value is None or value is False or (isinstance(value, (int, float)) and value == 0):
        return None
    if isinstance(value, str) and value.lower() in _CORRECTIONS:
        return _CORRECTIONS[value.lower()]
    raise InvalidOptionError(
        f"use_correction for cov_type={cov_type!r} must be False, 'hac' (n/(n-k)) or "
        f"'cluster' (G/(G-1) (n-1)/(n-k)), got {value!r}"
    )


def _panel_scores(inputs: SandwichInputs, cov_type: str) -> PanelScoreSource:
    if not isinstance(inputs.scores, PanelScoreSource):
        raise InvalidOptionError(
            f"cov_type={cov_type!r} needs the scores in memory; it is not available for a "
            "streamed fit"
        )
    return inputs.scores


def _labels(values: Any, nobs: int, name: str, cov_type: str) -> np.ndarray:
    array = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else values
    array = np.asarray(array).reshape(-1)
    if array.shape[0] != nobs:
        raise InvalidOptionError(
            f"cov_kwds {name!r} of cov_type={cov_type!r} has {array.shape[0]} values but the "
            f"model has {nobs} observations"
        )
    if pd.isna(pd.Series(array)).any():
        raise InvalidOptionError(f"cov_kwds {name!r} of cov_type={cov_type!r} has missing values")
    return array


def _apply_correction(
    cov: torch.Tensor, correction: str | None, inputs: SandwichInputs, n_groups: int
) -> torch.Tensor:
    n, k = inputs.nobs, inputs.k_identified
    if correction == "hac":
        return cov * per_degree_of_freedom(n, n - k)
    if correction == "cluster":
        if n_groups < 2:
            raise InvalidOptionError(
                f"use_correction='cluster' needs at least 2 groups, got {n_groups}; use "
                "'hac' or False"
            )
        return cov * (n_groups / (n_groups - 1.0) * per_degree_of_freedom(n - 1.0, n - k))
    return cov


def hac_panel(inputs: SandwichInputs, kwds: dict[str, Any]) -> tuple[torch.Tensor, dict]:
    """statsmodels' ``cov_type="hac-panel"``: Newey-West lags within each panel unit.

    Options (``cov_kwds``): ``groups`` (a unit starts where the label changes) or ``time``
    (a unit starts where time decreases), one of them required; ``maxlags`` (required);
    ``kernel``/``weights_func``; ``use_correction`` (``"hac"`` default, ``"cluster"`` or
    False); ``df_correction`` (default True: inference with ``units - 1`` df).
    """
    cov_type = "hac-panel"
    unknown = set(kwds) - _OPTIONS - {"groups", "time"}
    if unknown:
        raise InvalidOptionError(f"unknown cov_kwds for cov_type={cov_type!r}: {sorted(unknown)}")
    scores = _panel_scores(inputs, cov_type)
    kernel = kwds.get("kernel", kwds.get("weights_func", "bartlett"))
    weights = kernel_weights(
        kernel, kwds.get("maxlags"), cov_type, inputs.bread.dtype, inputs.bread.device
    )
    if kwds.get("groups") is not None:
        labels = _labels(kwds["groups"], inputs.nobs, "groups", cov_type)
        breaks = labels[:-1] != labels[1:]
    elif kwds.get("time") is not None:
        labels = _labels(kwds["time"], inputs.nobs, "time", cov_type)
        breaks = labels[1:] < labels[:-1]
    else:
        raise InvalidOptionError(
            "cov_type='hac-panel' needs cov_kwds 'groups' (the panel unit of each row) or "
            "'time' (the period of each row, units stacked one after another)"
        )
    segments, n_groups = segment_codes(breaks)
    try:
        meat = scores.panel_hac_meat(weights, segments)
    except ValueError as error:
        raise InvalidOptionError(str(error)) from None
    correction = _correction(kwds.get("use_correction", "hac"), cov_type)
    cov = _apply_correction(inputs.sandwich(meat), correction, inputs, n_groups)
    out = {
        "description": DESCRIPTIONS[cov_type],
        "time": kwds.get("time"),
        "groups": kwds.get("groups"),
        "maxlags": int(weights.shape[0] - 1),
        "kernel": kernel,
        "use_correction": kwds.get("use_correction", "hac"),
        "adjust_df": kwds.get("df_correction", True) is not False,
        "n_groups": n_groups,
    }
    return cov, out


def _period_codes(time: np.ndarray) -> tuple[torch.Tensor, int]:
    """Codes of the time periods: integers map to ``t - min(t)`` (a missing period is an
    empty one, so lags count periods, as statsmodels' ``bincount``), other labels to their
    sorted order."""
    numeric = np.issubdtype(time.dtype, np.number) and not np.issubdtype(time.dtype, np.bool_)
    if numeric and np.all(np.mod(time, 1) == 0):
        values = time.astype(np.int64)
        codes = values - values.min()
        return torch.as_tensor(codes, dtype=torch.int64), int(codes.max()) + 1
    codes, uniques = pd.factorize(pd.Series(time), sort=True)
    return torch.as_tensor(codes, dtype=torch.int64), len(uniques)


def hac_groupsum(inputs: SandwichInputs, kwds: dict[str, Any]) -> tuple[torch.Tensor, dict]:
    """statsmodels' ``cov_type="hac-groupsum"``: Driscoll-Kraay.

    Options (``cov_kwds``): ``time`` (required: the period of each row); ``maxlags``
    (required); ``kernel``/``weights_func``; ``use_correction`` (``"cluster"`` default, with
    ``G`` the number of distinct periods; ``"hac"`` or False); ``df_correction`` (default
    True). As statsmodels, the inference df is then ``u - 1``, with ``u`` the number of
    stacked units: one plus the number of rows where ``time`` decreases.
    """
    cov_type = "hac-groupsum"
    unknown = set(kwds) - _OPTIONS - {"time"}
    if unknown:
        raise InvalidOptionError(f"unknown cov_kwds for cov_type={cov_type!r}: {sorted(unknown)}")
    if kwds.get("time") is None:
        raise InvalidOptionError(
            "cov_type='hac-groupsum' needs cov_kwds={'time': periods, 'maxlags': L}"
        )
    scores = _panel_scores(inputs, cov_type)
    kernel = kwds.get("kernel", kwds.get("weights_func", "bartlett"))
    weights = kernel_weights(
        kernel, kwds.get("maxlags"), cov_type, inputs.bread.dtype, inputs.bread.device
    )
    time = _labels(kwds["time"], inputs.nobs, "time", cov_type)
    codes, n_periods = _period_codes(time)
    sums = scores.group_sums(codes, n_periods)
    meat = hac_meat(sums, weights)
    correction = _correction(kwds.get("use_correction", "cluster"), cov_type)
    n_distinct = len(pd.unique(pd.Series(time)))
    cov = _apply_correction(inputs.sandwich(meat), correction, inputs, n_distinct)
    n_units = int(np.count_nonzero(time[1:] < time[:-1])) + 1
    out = {
        "description": DESCRIPTIONS[cov_type],
        "time": kwds["time"],
        "maxlags": int(weights.shape[0] - 1),
        "kernel": kernel,
        "use_correction": kwds.get("use_correction", "cluster"),
        "adjust_df": kwds.get("df_correction", True) is not False,
        "n_groups": n_units,
    }
    return cov, out
