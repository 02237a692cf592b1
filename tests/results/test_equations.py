"""EquationOutputFormat: statsmodels' multi-equation layout for pandas, numpy and torch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from torchstats.results.equations import EquationOutputFormat


def _format(kind: str, columns=None) -> EquationOutputFormat:
    names = tuple(f"y{e}_{x}" for e in ("b", "c") for x in ("const", "x1", "x2"))
    return EquationOutputFormat(
        kind,  # type: ignore[arg-type]
        names,
        pd.Index(["r1", "r2"]),
        regressor_names=("const", "x1", "x2"),
        equation_labels=("b", "c"),
        equation_title="y",
        equation_columns=columns,
    )


VALUES = torch.arange(6, dtype=torch.float64)  # equation b: 0, 1, 2; equation c: 3, 4, 5


def test_params_are_one_column_per_equation():
    table = _format("pandas").params(VALUES)
    expected = pd.DataFrame({0: [0.0, 1.0, 2.0], 1: [3.0, 4.0, 5.0]}, index=["const", "x1", "x2"])
    pd.testing.assert_frame_equal(table, expected)
    assert isinstance(table.columns, pd.RangeIndex)
    labelled = _format("pandas", columns=("b", "c")).params(VALUES)
    assert list(labelled.columns) == ["b", "c"]
    np.testing.assert_array_equal(_format("numpy").params(VALUES), expected.to_numpy())
    assert torch.equal(_format("torch").params(VALUES), torch.tensor(expected.to_numpy()))


def test_matrices_and_tables_are_labelled_by_equation_and_regressor():
    output = _format("pandas")
    index = pd.MultiIndex.from_product([["b", "c"], ["const", "x1", "x2"]], names=["y", None])
    matrix = output.matrix(torch.eye(6, dtype=torch.float64))
    pd.testing.assert_index_equal(matrix.index, index)
    pd.testing.assert_index_equal(matrix.columns, index)
    bounds = torch.stack([VALUES, VALUES + 1], dim=1)
    table = output.table(bounds, ["lower", "upper"])
    pd.testing.assert_index_equal(table.index, index)
    assert table.loc[("c", "x1"), "upper"] == 5.0
    assert _format("numpy").table(bounds, [0, 1]).shape == (2, 3, 2)
    assert _format("numpy").table(bounds, [0, 1])[1, 1, 1] == 5.0


def test_observations_keep_the_plain_layout():
    values = torch.tensor([[0.2, 0.8], [0.6, 0.4]], dtype=torch.float64)
    frame = _format("pandas").observation_table(values, range(2))
    assert list(frame.index) == ["r1", "r2"] and list(frame.columns) == [0, 1]


def test_names_must_fill_the_equations():
    with pytest.raises(ValueError, match="6 parameter names for 3 equations of 3 regressors"):
        EquationOutputFormat(
            "numpy",
            tuple("abcdef"),
            regressor_names=("const", "x1", "x2"),
            equation_labels=("b", "c", "d"),
        )
