"""Per-row arguments (weights, offsets, exposure, cluster labels) meet the rows by label.

pandas objects are matched by label, arrays by position, and a string names a column of a
formula's data; mismatched labels raise :class:`RowLabelError` naming the argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

import torchstats as ts
from torchstats.errors import DesignError, RowLabelError, UnknownColumnError

N = 60


@pytest.fixture
def data() -> pd.DataFrame:
    """Counts, a binary response and positive row values, indexed by shuffled string labels."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=N)
    frame = pd.DataFrame(
        {
            "x": x,
            "y": 1.0 + 0.5 * x + rng.normal(size=N),
            "b": (x + rng.normal(size=N) > 0).astype(float),
            "n": rng.poisson(np.exp(0.3 + 0.4 * x)).astype(float),
            "w": rng.uniform(0.5, 2.0, size=N),
            "t": rng.uniform(0.5, 3.0, size=N),
            "g": rng.integers(0, 6, size=N),
            "h": rng.integers(0, 4, size=N),
        },
        index=[f"r{i}" for i in rng.permutation(N)],
    )
    return frame


def _shuffled(values: pd.Series) -> pd.Series:
    return values.iloc[np.random.default_rng(3).permutation(len(values))]


def _relabelled(values: pd.Series) -> pd.Series:
    return values.set_axis([f"other{i}" for i in range(len(values))])


# Each door with one per-row argument: (model from the frame and the argument's values).
FORMULA_DOORS: dict[str, Callable[[pd.DataFrame, Any], Any]] = {
    "wls-weights": lambda d, v: ts.wls("y ~ x", d, weights=v),
    "glm-offset": lambda d, v: ts.glm("n ~ x", d, family=ts.families.Poisson(), offset=v),
    "glm-exposure": lambda d, v: ts.glm("n ~ x", d, family=ts.families.Poisson(), exposure=v),
    "glm-freq_weights": lambda d, v: ts.glm("y ~ x", d, freq_weights=v),
    "glm-var_weights": lambda d, v: ts.glm("y ~ x", d, var_weights=v),
    "logit-offset": lambda d, v: ts.logit("b ~ x", d, offset=v),
    "probit-offset": lambda d, v: ts.probit("b ~ x", d, offset=v),
    "poisson-offset": lambda d, v: ts.poisson("n ~ x", d, offset=v),
    "poisson-exposure": lambda d, v: ts.poisson("n ~ x", d, exposure=v),
    "negativebinomial-exposure": lambda d, v: ts.negativebinomial("n ~ x", d, exposure=v),
    "batched_wls-weights": lambda d, v: ts.batched_wls("y ~ x", d, weights=v, by="h"),
}
ARGUMENT = {
    "weights": "w",
    "offset": "w",
    "exposure": "t",
    "freq_weights": "t",
    "var_weights": "w",
}


def _door_argument(door: str) -> str:
    return door.split("-")[1]


def _params(model: Any) -> np.ndarray:
    return np.asarray(model.fit().params, dtype=float)


@pytest.mark.parametrize("door", list(FORMULA_DOORS))
def test_a_shuffled_series_gives_the_aligned_fit(door: str, data: pd.DataFrame) -> None:
    make = FORMULA_DOORS[door]
    values = data[ARGUMENT[_door_argument(door)]]
    aligned = _params(make(data, values))
    np.testing.assert_allclose(_params(make(data, _shuffled(values))), aligned, rtol=1e-10)
    np.testing.assert_allclose(_params(make(data, values.to_numpy())), aligned, rtol=1e-10)


@pytest.mark.parametrize("door", list(FORMULA_DOORS))
def test_other_labels_raise_naming_the_argument(door: str, data: pd.DataFrame) -> None:
    argument = _door_argument(door)
    values = _relabelled(data[ARGUMENT[argument]])
    with pytest.raises(RowLabelError, match=rf"{argument} is matched .* by its index.*other0"):
        FORMULA_DOORS[door](data, values)


@pytest.mark.parametrize("door", list(FORMULA_DOORS))
def test_a_column_name_is_the_column(door: str, data: pd.DataFrame) -> None:
    make = FORMULA_DOORS[door]
    column = ARGUMENT[_door_argument(door)]
    np.testing.assert_allclose(_params(make(data, column)), _params(make(data, data[column])))


def test_an_unknown_column_name_raises(data: pd.DataFrame) -> None:
    with pytest.raises(UnknownColumnError, match="weights='wt' is not a column of the data"):
        ts.wls("y ~ x", data, weights="wt")


def test_numpy_stays_positional(data: pd.DataFrame) -> None:
    reversed_weights = data["w"].to_numpy()[::-1].copy()
    by_position = ts.wls("y ~ x", data, weights=reversed_weights).fit().params
    expected = ts.wls("y ~ x", data.assign(v=reversed_weights), weights="v").fit().params
    np.testing.assert_allclose(by_position, expected, rtol=1e-12)
    with pytest.raises(ts.errors.ShapeMismatchError, match="weights has shape"):
        ts.wls("y ~ x", data, weights=reversed_weights[1:])


def test_alignment_comes_before_dropping_missing_rows(data: pd.DataFrame) -> None:
    data = data.copy()
    data.loc[data.index[[4, 17]], "x"] = np.nan
    data.loc[data.index[9], "w"] = np.nan
    aligned = ts.wls("y ~ x", data, weights=data["w"]).fit()
    shuffled = ts.wls("y ~ x", data, weights=_shuffled(data["w"])).fit()
    assert aligned.nobs == shuffled.nobs == N - 3
    np.testing.assert_allclose(shuffled.params, aligned.params, rtol=1e-12)


def test_duplicate_labels_cannot_be_matched(data: pd.DataFrame) -> None:
    repeated = data.set_axis(["a"] * 2 + list(data.index[2:]))
    ts.wls("y ~ x", repeated, weights=repeated["w"]).fit()  # the same index: by position
    with pytest.raises(RowLabelError, match="repeats labels.*'a'"):
        ts.wls("y ~ x", repeated, weights=_shuffled(repeated["w"]))


# --- the array classes -------------------------------------------------------------------------

ARRAY_DOORS: dict[str, Callable[[pd.DataFrame, Any], Any]] = {
    "WLS-weights": lambda d, v: ts.WLS(d["y"], _exog(d), weights=v),
    "GLM-offset": lambda d, v: ts.GLM(d["n"], _exog(d), family=ts.families.Poisson(), offset=v),
    "GLM-freq_weights": lambda d, v: ts.GLM(d["y"], _exog(d), freq_weights=v),
    "Logit-offset": lambda d, v: ts.Logit(d["b"], _exog(d), offset=v),
    "Poisson-exposure": lambda d, v: ts.Poisson(d["n"], _exog(d), exposure=v),
    "BatchedOLS-weights": lambda d, v: ts.BatchedOLS(d["y"], _exog(d), weights=v),
}


def _exog(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["x"]].assign(const=1.0)


@pytest.mark.parametrize("door", list(ARRAY_DOORS))
def test_array_classes_align_pandas_by_label(door: str, data: pd.DataFrame) -> None:
    make = ARRAY_DOORS[door]
    argument = _door_argument(door)
    values = data[ARGUMENT[argument]]
    aligned = _params(make(data, values))
    np.testing.assert_allclose(_params(make(data, _shuffled(values))), aligned, rtol=1e-10)
    np.testing.assert_allclose(_params(make(data, values.to_numpy())), aligned, rtol=1e-10)
    with pytest.raises(RowLabelError, match=rf"{argument} is matched"):
        make(data, _relabelled(values))


def test_array_classes_refuse_a_column_name(data: pd.DataFrame) -> None:
    with pytest.raises(DesignError, match="names a column, which works with a formula"):
        ts.WLS(data["y"], _exog(data), weights="w")


def test_numpy_data_match_pandas_arguments_by_position(data: pd.DataFrame) -> None:
    y, X = data["y"].to_numpy(), _exog(data).to_numpy()
    positional = ts.WLS(y, X, weights=data["w"].to_numpy()).fit().params
    np.testing.assert_allclose(
        ts.WLS(y, X, weights=_relabelled(data["w"])).fit().params, positional
    )


def test_endog_and_exog_with_different_indexes_raise(data: pd.DataFrame) -> None:
    with pytest.raises(RowLabelError, match="indices of endog and exog are not aligned"):
        ts.OLS(data["y"], _exog(data).iloc[::-1])


# --- cluster groups, panel labels ----------------------------------------------------------------


def _bse(data: pd.DataFrame, cov_type: str, **cov_kwds: Any) -> np.ndarray:
    res = ts.ols("y ~ x", data).fit(cov_type=cov_type, cov_kwds=cov_kwds)
    return np.asarray(res.bse, dtype=float)


@pytest.mark.parametrize(
    "cov_type, key, columns, extra",
    [
        ("cluster", "groups", "g", {}),
        ("cluster", "groups", ["g", "h"], {}),
        ("cluster-crv3", "groups", "g", {}),
        ("hac-panel", "groups", "g", {"maxlags": 1}),
        ("hac-groupsum", "time", "h", {"maxlags": 1}),
    ],
)
def test_cov_kwds_labels_align_like_the_data(
    data: pd.DataFrame, cov_type: str, key: str, columns: Any, extra: dict[str, Any]
) -> None:
    data = data.sort_values(["g", "h"]) if cov_type.startswith("hac") else data
    values = data[columns]
    expected = _bse(data, cov_type, **{key: values}, **extra)
    shuffled = values.iloc[np.random.default_rng(5).permutation(len(values))]
    np.testing.assert_allclose(_bse(data, cov_type, **{key: shuffled}, **extra), expected)
    np.testing.assert_allclose(_bse(data, cov_type, **{key: values.to_numpy()}, **extra), expected)
    np.testing.assert_allclose(_bse(data, cov_type, **{key: columns}, **extra), expected)
    with pytest.raises(RowLabelError, match=rf"{key} is matched .*other0"):
        _bse(data, cov_type, **{key: values.set_axis([f"other{i}" for i in range(N)])}, **extra)


def test_glm_and_discrete_cluster_groups_align(data: pd.DataFrame) -> None:
    for make in (
        lambda: ts.glm("n ~ x", data, family=ts.families.Poisson()),
        lambda: ts.poisson("n ~ x", data),
    ):
        fits = [
            make().fit(cov_type="cluster", cov_kwds={"groups": groups}).bse
            for groups in (data["g"], _shuffled(data["g"]), "g")
        ]
        np.testing.assert_allclose(fits[1], fits[0])
        np.testing.assert_allclose(fits[2], fits[0])


def test_groups_after_dropped_rows(data: pd.DataFrame) -> None:
    data = data.copy()
    data.loc[data.index[[3, 30]], "x"] = np.nan
    kept = data.dropna()
    expected = _bse(kept, "cluster", groups=kept["g"])
    for groups in (
        data["g"],  # the whole frame's column, by label
        _shuffled(data["g"]),
        _shuffled(kept["g"]),  # only the rows used, in any order
        data["g"].to_numpy(),  # one value per row of the data as given
        kept["g"].to_numpy(),  # one value per row used
        torch.as_tensor(data["g"].to_numpy()),
        "g",
    ):
        np.testing.assert_allclose(_bse(data, "cluster", groups=groups), expected, rtol=1e-12)
    with pytest.raises(RowLabelError, match=r"1 row\(s\) of the data have no groups value"):
        _bse(data, "cluster", groups=kept["g"].iloc[1:])


def test_two_way_groups_as_frame_and_array(data: pd.DataFrame) -> None:
    expected = _bse(data, "cluster", groups=data[["g", "h"]])
    shuffled = data[["g", "h"]].iloc[::-1]
    np.testing.assert_allclose(_bse(data, "cluster", groups=shuffled), expected)
    np.testing.assert_allclose(_bse(data, "cluster", groups=data[["g", "h"]].to_numpy()), expected)


def test_array_class_groups_align(data: pd.DataFrame) -> None:
    model = ts.OLS(data["y"], _exog(data))
    expected = model.fit(cov_type="cluster", cov_kwds={"groups": data["g"]}).bse
    shuffled = model.fit(cov_type="cluster", cov_kwds={"groups": _shuffled(data["g"])}).bse
    np.testing.assert_allclose(shuffled, expected)
    with pytest.raises(DesignError, match="groups='g' names a column"):
        model.fit(cov_type="cluster", cov_kwds={"groups": "g"})
    with pytest.raises(RowLabelError, match="groups is matched"):
        model.fit(cov_type="cluster", cov_kwds={"groups": _relabelled(data["g"])})


def test_batched_groups_align(data: pd.DataFrame) -> None:
    expected = ts.batched_ols("y ~ x", data, by=data["h"]).fit().params
    shuffled = ts.batched_ols("y ~ x", data, by=_shuffled(data["h"])).fit().params
    pd.testing.assert_frame_equal(shuffled, expected)
    with pytest.raises(RowLabelError, match="groups is matched"):
        ts.batched_ols("y ~ x", data, by=_relabelled(data["h"]))
