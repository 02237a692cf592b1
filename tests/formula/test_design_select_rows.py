"""Design.select_rows: a design restricted to some rows keeps labels, extras and positions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from torchstats.formula.arrays import design_from_arrays
from torchstats.formula.design import design_from_formula

CPU, F64 = torch.device("cpu"), torch.float64


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"y": rng.poisson(1.0, 12).astype(float), "x": rng.normal(size=12), "o": np.arange(12.0)},
        index=[f"r{i}" for i in rng.permutation(12)],
    )
    frame.loc[frame.index[2], "x"] = np.nan
    return frame


def test_formula_design_rows_labels_extras_and_positions():
    frame = _frame()
    design = design_from_formula(
        "y ~ x", frame, missing="drop", extras={"offset": frame["o"]}, device=CPU, dtype=F64
    )
    keep = design.endog > 0
    selected = design.select_rows(keep)
    mask = keep.numpy()
    np.testing.assert_array_equal(selected.exog.numpy(), design.exog.numpy()[mask])
    np.testing.assert_array_equal(selected.endog.numpy(), design.endog.numpy()[mask])
    np.testing.assert_array_equal(
        selected.extras["offset"].numpy(), design.extras["offset"].numpy()[mask]
    )
    assert list(selected.row_index) == list(design.row_index[mask])
    assert selected.rows is not None and design.rows is not None
    np.testing.assert_array_equal(selected.rows.kept, design.rows.kept[mask])
    assert selected.rows.used_index.equals(selected.row_index)
    # per-row arguments given later still match: by label and by position in the data
    groups = pd.Series(np.arange(12), index=frame.index)
    np.testing.assert_array_equal(
        selected.rows.select(groups, "groups").to_numpy(), groups.loc[selected.row_index]
    )
    np.testing.assert_array_equal(
        selected.rows.select(np.arange(12), "groups"), np.flatnonzero(frame["x"].notna())[mask]
    )
    assert selected.model_spec is design.model_spec and selected.formula == design.formula


def test_array_design_keeps_kind_and_names():
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(8), rng.normal(size=8)])
    design = design_from_arrays(np.arange(8.0), X, device=CPU, dtype=F64)
    selected = design.select_rows(design.endog >= 5)
    assert selected.nobs == 3 and selected.output.kind == "numpy"
    assert selected.exog_names == ("const", "x1") and selected.row_index is None
    np.testing.assert_array_equal(selected.exog.numpy(), X[5:])
