"""A categorical response read as statsmodels' multinomial models read it: codes and outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from statsmodels.discrete.discrete_model import _numpy_to_dummies, _pandas_to_dummies

from torchstats.errors import DesignError, ShapeMismatchError
from torchstats.formula.categorical_response import response_codes
from torchstats.models.base import build_design

RESPONSES = {
    "numbers": np.array([3.0, 1.0, 7.0, 1.0, 3.0]),
    "integers": np.array([2, 0, 0, 5, 2]),
    "text": np.array(["b", "a", "c", "a", "b"]),
    "booleans": np.array([True, False, True, True, False]),
    "series": pd.Series([2.5, 1.5, 1.5, 9.0, 2.5], name="score"),
    "series-text": pd.Series(["x", "z", "y", "x", "z"], name="kind"),
    "categorical": pd.Series(pd.Categorical(list("abcab"), categories=list("cab")), name="c"),
    "frame": pd.DataFrame({"f": [1, 0, 1, 2, 2]}),
}


def _statsmodels_codes(endog):
    """Codes and outcomes as statsmodels' ``MultinomialModel._handle_data`` builds them."""
    if isinstance(endog, (pd.Series, pd.DataFrame)):
        dummies, levels, name = _pandas_to_dummies(endog)
    else:
        dummies, levels = _numpy_to_dummies(endog)
        levels, name = [levels[i] for i in range(len(levels))], None
    return np.asarray(dummies, dtype=float).argmax(1), list(levels), name


@pytest.mark.parametrize("name", list(RESPONSES))
def test_codes_and_outcomes_follow_statsmodels(name):
    endog = RESPONSES[name]
    codes, levels, label = response_codes(endog)
    expected_codes, expected_levels, expected_label = _statsmodels_codes(endog)
    np.testing.assert_array_equal(codes, expected_codes)
    assert list(levels) == expected_levels
    assert label == expected_label


def test_tensor_and_indicator_matrix():
    codes, levels, label = response_codes(torch.tensor([4.0, 2.0, 4.0]))
    assert codes.tolist() == [1.0, 0.0, 1.0] and levels == (2.0, 4.0) and label is None
    indicators = np.eye(3)[[2, 0, 1, 2]]
    codes, levels, label = response_codes(indicators)
    assert codes.tolist() == [2.0, 0.0, 1.0, 2.0] and levels == (0, 1, 2)
    frame = pd.DataFrame(indicators, columns=["u", "v", "w"])
    assert response_codes(frame)[1:] == (("u", "v", "w"), "y")


def test_missing_values_are_nan_codes():
    codes, levels, _ = response_codes(pd.Series(["a", None, "b"]))
    assert np.isnan(codes[1]) and levels == ("a", "b")
    codes, _, _ = response_codes(np.array([1.0, np.nan, 2.0]))
    assert np.isnan(codes[1])


def test_bad_shapes_are_refused():
    with pytest.raises(ShapeMismatchError, match="exactly one 1"):
        response_codes(np.array([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ShapeMismatchError, match="one value per observation"):
        response_codes(np.zeros((2, 2, 2)))


@pytest.mark.parametrize(
    ("formula", "levels", "name"),
    [
        ("y ~ x", (1.0, 2.0, 5.0), "y"),
        ("C(y) ~ x", (1.0, 2.0, 5.0), "C(y)"),
        ("t ~ x", ("p", "q", "r"), "t"),
        ("c ~ x", ("r", "p", "q"), "c"),
    ],
)
def test_formula_responses(formula, levels, name):
    frame = pd.DataFrame(
        {
            "y": [5.0, 1.0, 2.0, 1.0, np.nan, 5.0],
            "t": ["r", "p", "q", "p", "q", "r"],
            "x": np.arange(6.0),
        },
        index=list("abcdef"),
    )
    frame["c"] = pd.Categorical(frame["t"], categories=["r", "p", "q"])
    design = build_design(
        formula,
        frame,
        missing=None,
        extras=None,
        context={},
        device=None,
        dtype=None,
        categorical_response=True,
    )
    assert design.endog_levels == levels and design.endog_name == name
    observed = frame.loc[list(design.row_index), formula.split(" ~")[0].strip("C()")]
    assert [levels[int(c)] for c in design.endog.tolist()] == list(observed)


def test_formula_response_must_be_one_variable():
    frame = pd.DataFrame({"a": ["u", "v", "u"], "b": ["p", "p", "q"], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(DesignError, match="one variable"):
        build_design(
            "a:b ~ x",
            frame,
            missing=None,
            extras=None,
            context={},
            device=None,
            dtype=None,
            categorical_response=True,
        )


def test_without_the_option_a_text_response_is_refused():
    frame = pd.DataFrame({"t": ["u", "v", "u"], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(DesignError, match="not a single numeric column"):
        build_design("t ~ x", frame, missing=None, extras=None, context={}, device=None, dtype=None)


def test_extras_do_not_rename_the_response():
    endog = pd.Series(["u", "v", "u", "w"], name="choice")
    exog = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    design = build_design(
        endog,
        exog,
        missing=None,
        extras={"weights": np.ones(4)},
        context=None,
        device=None,
        dtype=None,
        categorical_response=True,
    )
    assert design.endog_name == "choice"
