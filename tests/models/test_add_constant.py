"""``ts.add_constant`` against ``sm.add_constant`` for numpy and pandas; tensors by analogy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import torch

import torchstats as ts

ARRAYS = {
    "2d": np.arange(12.0).reshape(6, 2),
    "1d": np.arange(6.0),
    "ints": np.arange(12).reshape(6, 2),
    "float32": np.arange(12.0, dtype=np.float32).reshape(6, 2),
    "has_const": np.column_stack([np.arange(6.0), np.full(6, 2.0)]),
    "zero_column": np.column_stack([np.arange(6.0), np.zeros(6)]),
    "ones_1d": np.ones(6),
    "one_row": np.ones((1, 3)),
}
FRAMES = {
    "frame": pd.DataFrame({"a": np.arange(4.0), "b": [3.0, 1, 4, 1]}, index=list("wxyz")),
    "series": pd.Series(np.arange(4.0), name="a", index=list("wxyz")),
    "has_const": pd.DataFrame({"a": np.arange(4.0), "b": np.full(4, 2.0)}),
    "zeros": pd.DataFrame({"a": np.zeros(4)}),
    "mixed": pd.DataFrame({"a": [1, 2, 3], "s": ["u", "v", "w"]}),
}
OPTIONS = [
    {},
    {"prepend": False},
    {"has_constant": "add"},
    {"has_constant": "add", "prepend": False},
]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("name", list(ARRAYS))
def test_numpy_matches_statsmodels(name, options):
    data = ARRAYS[name]
    ours, theirs = ts.add_constant(data, **options), sm.add_constant(data, **options)
    assert isinstance(ours, np.ndarray)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("name", list(FRAMES))
def test_pandas_matches_statsmodels(name, options):
    data = FRAMES[name]
    ours, theirs = ts.add_constant(data, **options), sm.add_constant(data, **options)
    pd.testing.assert_frame_equal(ours, theirs)


@pytest.mark.parametrize("name", ["has_const", "ones_1d"])
def test_numpy_raise_matches_statsmodels(name):
    data = ARRAYS[name]
    with pytest.raises(ValueError) as theirs:
        sm.add_constant(data, has_constant="raise")
    with pytest.raises(ValueError, match="constant") as ours:
        ts.add_constant(data, has_constant="raise")
    assert str(ours.value) == str(theirs.value)


def test_pandas_raise_matches_statsmodels():
    data = FRAMES["has_const"]
    with pytest.raises(ValueError) as theirs:
        sm.add_constant(data, has_constant="raise")
    with pytest.raises(ValueError) as ours:
        ts.add_constant(data, has_constant="raise")
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("options", OPTIONS + [{"has_constant": "skip"}], ids=str)
@pytest.mark.parametrize("name", ["2d", "1d", "has_const", "float32", "ints"])
def test_tensors_follow_the_numpy_rules(name, options):
    data = torch.tensor(ARRAYS[name])
    ours = ts.add_constant(data, **options)
    expected = sm.add_constant(ARRAYS[name], **options)
    assert isinstance(ours, torch.Tensor)
    dtype = data.dtype if data.is_floating_point() else torch.float64
    assert ours.dtype == dtype
    np.testing.assert_array_equal(ours.numpy(), expected.astype(ours.numpy().dtype))


def test_tensor_raise():
    with pytest.raises(ValueError, match=r"Column\(s\) 1 are constant"):
        ts.add_constant(torch.tensor(ARRAYS["has_const"]), has_constant="raise")


def test_unknown_has_constant_is_refused():
    with pytest.raises(ts.errors.InvalidOptionError, match="has_constant"):
        ts.add_constant(ARRAYS["2d"], has_constant="sometimes")


def test_more_than_two_dimensions_are_refused():
    with pytest.raises(ValueError, match="2-dimensional"):
        ts.add_constant(np.zeros((2, 2, 2)))


def test_fits_the_same_model_as_statsmodels(frame):
    X = ts.add_constant(frame[["x1", "x2"]])
    ours = ts.OLS(frame["y"], X).fit()
    theirs = sm.OLS(frame["y"], sm.add_constant(frame[["x1", "x2"]])).fit()
    pd.testing.assert_series_equal(ours.params, theirs.params, rtol=1e-10)


def test_a_constant_column_with_a_repeated_name_is_found():
    """frame[name] of a repeated name is a frame, which was read as "not constant": a
    second constant was added, and has_constant="raise" did not raise."""
    X = pd.DataFrame([[1.0, 2.0], [1.0, 3.0], [1.0, 4.0]], columns=["a", "a"])
    pd.testing.assert_frame_equal(ts.add_constant(X), sm.add_constant(X))
    with pytest.raises(ValueError, match="constant columns"):
        ts.add_constant(X, has_constant="raise")
