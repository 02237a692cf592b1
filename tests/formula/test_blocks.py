"""Further designs on the same rows (``Design.blocks``): formulas and arrays, missing rows
dropped from every part, labels, prediction for new data, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from torchstats.errors import DesignError, MissingDataError, ShapeMismatchError
from torchstats.formula.blocks import constant_block
from torchstats.formula.newdata import exog_for_prediction
from torchstats.models.base import build_design


def _build(endog, exog, blocks, missing=None, extras=None):
    return build_design(
        endog,
        exog,
        missing=missing,
        extras=extras,
        context=None,
        device=None,
        dtype=None,
        blocks=blocks,
    )


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 40
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "y": rng.poisson(2.0, size=n).astype(float),
        },
        index=[f"r{i}" for i in rng.permutation(n)],
    )
    frame.loc[frame.index[[1, 7]], "x"] = np.nan  # missing in the main part
    frame.loc[frame.index[[3]], "z"] = np.nan  # missing in the block only
    frame.loc[frame.index[[5]], "g"] = None
    return frame


def test_formula_block_keeps_the_rows_of_every_part(frame):
    design = _build("y ~ x", frame, {"infl": "~ z + C(g)"})
    block = design.blocks["infl"]
    complete = frame.dropna()
    assert list(design.output.row_index) == list(complete.index)
    assert list(block.output.row_index) == list(complete.index)
    assert block.exog_names == ("Intercept", "C(g)[T.b]", "C(g)[T.c]", "z")
    np.testing.assert_array_equal(block.exog[:, 3].numpy(), complete["z"].to_numpy())
    np.testing.assert_array_equal(design.exog[:, 1].numpy(), complete["x"].to_numpy())
    assert block.endog is design.endog
    assert block.formula == "~ z + C(g)"
    assert design.rows is not None and block.rows is design.rows
    assert list(design.rows.kept) == [frame.index.get_loc(label) for label in complete.index]


def test_right_hand_side_without_tilde(frame):
    with_tilde = _build("y ~ x", frame, {"infl": "~ z"}).blocks["infl"]
    without = _build("y ~ x", frame, {"infl": "z"}).blocks["infl"]
    torch.testing.assert_close(with_tilde.exog, without.exog)


def test_array_block_in_a_formula_model_is_matched_by_label(frame):
    infl = frame[["z"]].assign(one=1.0).iloc[::-1]
    design = _build("y ~ x", frame, {"infl": infl})
    block = design.blocks["infl"]
    assert block.exog_names == ("z", "one")
    expected = frame.dropna(subset=["x", "z"])["z"].to_numpy()
    np.testing.assert_array_equal(block.exog[:, 0].numpy(), expected)
    assert block.model_spec is None


def test_array_block_by_position(frame):
    values = frame["z"].to_numpy()
    design = _build("y ~ x", frame, {"infl": values})
    assert design.blocks["infl"].exog_names == ("x1",)
    assert design.nobs == len(frame.dropna(subset=["x", "z"]))


def test_array_door_drops_rows_missing_in_a_block():
    y = np.arange(6.0)
    X = np.column_stack([np.ones(6), [1, 2, np.nan, 4, 5, 6]])
    Z = np.column_stack([np.ones(6), [1, np.nan, 3, 4, 5, 6]])
    design = _build(y, X, {"infl": Z}, missing="drop", extras={"offset": np.arange(6.0)})
    assert design.rows is not None
    assert list(design.rows.kept) == [0, 3, 4, 5]
    np.testing.assert_array_equal(design.extras["offset"].numpy(), [0, 3, 4, 5])
    np.testing.assert_array_equal(design.blocks["infl"].exog[:, 1].numpy(), [1, 4, 5, 6])
    assert design.blocks["infl"].exog_names == ("const", "x1")


def test_array_door_keeps_missing_values_with_missing_none():
    y = np.arange(4.0)
    X = np.ones((4, 1))
    design = _build(y, X, {"infl": np.array([1.0, np.nan, 2.0, 3.0])})
    assert design.nobs == 4
    assert torch.isnan(design.blocks["infl"].exog).sum() == 1


def test_missing_raise_names_the_block(frame):
    complete = frame.dropna()
    infl = complete["x"].mask(complete["x"] > 0)
    with pytest.raises(MissingDataError, match="'infl'"):
        _build("y ~ z", complete, {"infl": infl}, missing="raise")


def test_block_length_must_match():
    with pytest.raises(ShapeMismatchError, match="infl has shape"):
        _build(np.arange(5.0), np.ones((5, 1)), {"infl": np.ones((4, 2))})


def test_formula_block_needs_a_formula_model():
    with pytest.raises(DesignError, match="needs the model's formula"):
        _build(np.arange(5.0), np.ones((5, 1)), {"infl": "~ x"})


def test_block_formula_with_a_response_is_refused(frame):
    with pytest.raises(DesignError, match="has a response"):
        _build("y ~ x", frame, {"infl": "y ~ z"})


def test_new_data_rebuild_the_block(frame):
    design = _build("y ~ x", frame, {"infl": "~ z + C(g)"})
    new = frame.dropna().iloc[:5]
    block, index = exog_for_prediction(
        design.blocks["infl"], new, device=torch.device("cpu"), dtype=torch.float64
    )
    torch.testing.assert_close(block, design.blocks["infl"].exog[:5])
    assert list(index) == list(new.index)


def test_constant_block(frame):
    design = _build("y ~ x", frame, {"infl": "~ z"})
    block = constant_block(design)
    assert block.exog_names == ("const",)
    assert block.exog.shape == (design.nobs, 1)
    assert list(block.output.row_index) == list(design.output.row_index)


def test_designs_without_blocks_have_none(frame):
    assert dict(_build("y ~ x", frame, None).blocks) == {}
