"""Columns dropped from a design (statsmodels' ``from_formula(drop_cols=...)``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import torchstats.formula.sparse as sparse_module
from torchstats.errors import DesignError
from torchstats.formula.arrays import design_from_arrays
from torchstats.formula.design import design_from_formula, drop_columns
from torchstats.formula.newdata import exog_for_prediction

CPU = {"device": torch.device("cpu"), "dtype": torch.float64}


@pytest.fixture
def data() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 40
    return pd.DataFrame(
        {"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)},
        index=[f"r{i}" for i in range(n)],
    )


def test_drop_columns_renumbers_terms_and_keeps_new_data_consistent(data):
    design = design_from_formula("x ~ C(g) + np.exp(x)", data, **CPU)
    dropped = drop_columns(design, ("Intercept",))
    assert dropped.exog_names == design.exog_names[1:]
    assert dropped.terms == (("C(g)", (0, 1)), ("np.exp(x)", (2,)))
    torch.testing.assert_close(dropped.exog, design.exog[:, 1:])
    assert dropped.output.param_names == dropped.exog_names
    new, _ = exog_for_prediction(dropped, data.iloc[:5], **CPU)
    torch.testing.assert_close(new, dropped.exog[:5])
    # dropping again composes with the first drop
    twice = drop_columns(dropped, ("np.exp(x)",))
    new, _ = exog_for_prediction(twice, data.iloc[:5], **CPU)
    torch.testing.assert_close(new, design.exog[:5, 1:3])


def test_drop_columns_of_absent_names_is_the_same_design(data):
    design = design_from_formula("x ~ 0 + C(g)", data, **CPU)
    assert drop_columns(design, ("Intercept",)) is design


def test_drop_columns_of_an_array_design(data):
    design = design_from_arrays(data["x"], data[["x"]].assign(c=1.0), **CPU)
    dropped = drop_columns(design, ("c",))
    assert dropped.exog_names == ("x",) and dropped.spec_columns is None


def test_drop_columns_refuses_a_sparse_design(monkeypatch):
    monkeypatch.setattr(sparse_module, "_SPARSE_ABOVE_ENTRIES", 0)
    rng = np.random.default_rng(0)
    many = pd.DataFrame({"y": rng.normal(size=300), "f": rng.integers(0, 60, 300).astype(str)})
    design = design_from_formula("y ~ C(f)", many, **CPU)
    assert not isinstance(design.exog, torch.Tensor)
    with pytest.raises(DesignError, match="sparse design"):
        drop_columns(design, ("Intercept",))
