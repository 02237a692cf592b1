"""The column-major materializer builds exactly formulaic's design, as one buffer."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest
import torch
from formulaic import model_matrix

from torchstats.errors import NonNumericDataError
from torchstats.formula.design import design_from_formula
from torchstats.formula.materializer import ColumnMajorMaterializer

FORMULAS = [
    "y ~ x1 + x2",
    "y ~ 0 + x1 + x2",
    "y ~ 1",
    "y ~ np.log(x2) + I(x1 ** 2)",
    "y ~ x1 * x2",
    "y ~ C(g) + x1",
    "y ~ 0 + C(g)",
    "y ~ C(g):x1",
    "y ~ C(g) * C(h)",
    "y ~ C(g, contr.sum) + n",
    "y ~ C(g, contr.treatment('c')) + flag",
    "y ~ poly(x1, 2) + center(x2)",
    "y ~ bs(x1, df=4)",
]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 60
    frame = pd.DataFrame(
        {
            "y": rng.standard_normal(n),
            "x1": rng.standard_normal(n),
            "x2": rng.uniform(0.5, 3.0, n),
            "g": rng.choice(list("abc"), n),
            "h": rng.choice(["u", "v"], n),
            "n": rng.integers(0, 9, n),
            "flag": rng.integers(0, 2, n).astype(bool),
        },
        index=pd.RangeIndex(100, 100 + n),
    )
    frame.loc[[103, 111], "x1"] = np.nan
    frame.loc[[120], "g"] = None
    return frame


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("na_action", ["drop", "ignore"])
def test_same_design_as_formulaic(data: pd.DataFrame, formula: str, na_action: str) -> None:
    reference = model_matrix(formula, data, na_action=na_action)
    built = model_matrix(formula, data, na_action=na_action, materializer=ColumnMajorMaterializer)
    for ours, theirs in ((built.rhs, reference.rhs), (built.lhs, reference.lhs)):
        assert list(ours.columns) == list(theirs.columns)
        pd.testing.assert_index_equal(ours.index, theirs.index)
        np.testing.assert_array_equal(ours.to_numpy(), theirs.to_numpy(dtype=np.float64))
        assert (ours.dtypes == np.float64).all()


@pytest.mark.parametrize("formula", FORMULAS)
def test_new_data_built_the_same_way(data: pd.DataFrame, formula: str) -> None:
    new = data.iloc[5:25].assign(x1=lambda d: d["x1"].fillna(0.0) * 0.5, x2=lambda d: d["x2"] + 0.1)
    reference = model_matrix(formula, data).rhs.model_spec.get_model_matrix(new)
    spec = model_matrix(formula, data, materializer=ColumnMajorMaterializer).rhs.model_spec
    assert spec.materializer == "torchstats"
    rebuilt = spec.get_model_matrix(new)
    assert list(rebuilt.columns) == list(reference.columns)
    np.testing.assert_array_equal(rebuilt.to_numpy(), reference.to_numpy(dtype=np.float64))


def test_one_column_major_block_wrapped_without_copy(data: pd.DataFrame) -> None:
    rhs = model_matrix("y ~ x1 + C(g) + x1:x2", data, materializer=ColumnMajorMaterializer).rhs
    matrix = rhs.to_numpy()
    assert matrix.flags.f_contiguous
    assert np.shares_memory(matrix, rhs.to_numpy())  # a view of the one buffer, not a copy
    assert not np.shares_memory(matrix, data["x1"].to_numpy())  # the data are not aliased


def test_design_exog_is_the_buffer_of_the_formula_build(data: pd.DataFrame) -> None:
    design = design_from_formula(
        "y ~ C(g) + x1", data, device=torch.device("cpu"), dtype=torch.float64
    )
    assert design.exog.stride() == (1, design.nobs)  # column-major: the buffer itself
    expected = model_matrix("y ~ C(g) + x1", data).rhs.to_numpy(dtype=np.float64)
    np.testing.assert_array_equal(design.exog.numpy(), expected)


@pytest.mark.parametrize("formula", FORMULAS)
def test_caches_emptied_after_the_build(data: pd.DataFrame, formula: str) -> None:
    # formulaic's encoders hold the materializer in a reference cycle, so it outlives the
    # build until the cyclic collector runs; its caches (the factors' values and encoded
    # columns, as large as the design) must not
    spec = model_matrix(formula, data, materializer=ColumnMajorMaterializer).model_spec
    gc.collect()
    gc.disable()
    try:
        rhs = spec.rhs.get_model_matrix(data.iloc[10:50])
        left = [o for o in gc.get_objects() if type(o) is ColumnMajorMaterializer]
        assert all(not m.factor_cache and not m.encoded_cache for m in left)
    finally:
        gc.enable()
    assert rhs.shape[0] > 0


def test_complex_column_is_refused_by_name(data: pd.DataFrame) -> None:
    with pytest.raises(NonNumericDataError, match=r"np\.sqrt\(z\).*not numeric"):
        model_matrix(
            "y ~ np.sqrt(z)",
            data.assign(z=data["x2"].astype(complex)),
            materializer=ColumnMajorMaterializer,
        )


def test_complex_column_in_a_fit_is_a_non_numeric_error(data: pd.DataFrame) -> None:
    import torchstats as ts

    with pytest.raises(NonNumericDataError, match=r"np\.sqrt\(z\)"):
        ts.ols("y ~ np.sqrt(z)", data.assign(z=data["x2"].astype(complex)))
