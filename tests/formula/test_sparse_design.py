"""Many-level factors: sparse dummies give the dense path's (and statsmodels') numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import torchstats as ts
import torchstats.formula.sparse as sparse_module
from tests.parity import assert_matches
from torchstats.structured.block_matrix import BlockMatrix

FORMULAS = [
    "y ~ x1 + C(firm)",
    "y ~ x1 * C(g) + C(firm) + np.log(x2)",
    "y ~ x1:C(firm) + x2",
    "y ~ C(firm) + x1 - 1",
]


def _frame(seed: int = 0, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.uniform(0.5, 2.0, size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "firm": rng.integers(0, 80, size=n).astype(str),
            "w": rng.uniform(0.5, 2.0, size=n),
        },
        index=[f"r{i}" for i in range(n)],
    )
    firm_effect = frame["firm"].astype(int).to_numpy() / 40.0
    frame["y"] = 1 + frame["x1"] + firm_effect + rng.normal(size=n)
    if n > 100:
        frame.loc[frame.index[[5, 77]], "x1"] = np.nan
    return frame


@pytest.fixture
def force_sparse(monkeypatch):
    monkeypatch.setattr(sparse_module, "_SPARSE_ABOVE_ENTRIES", 0)


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("kind", ["ols", "wls"])
def test_sparse_path_equals_dense_path_and_statsmodels(force_sparse, formula, kind):
    frame = _frame()
    if kind == "ols":
        ours, theirs = ts.ols(formula, frame).fit(), smf.ols(formula, frame).fit()
    else:
        ours = ts.wls(formula, frame, weights=frame["w"]).fit()
        theirs = smf.wls(formula, frame, weights=frame["w"]).fit()
    assert isinstance(ours.model.design.exog, BlockMatrix)
    assert list(ours.params.index) == list(theirs.params.index)
    for name in ("params", "bse", "pvalues", "resid", "fittedvalues"):
        assert_matches(getattr(ours, name), getattr(theirs, name), rtol=1e-9, atol_scale=1e-12)
    for name in ("rsquared", "fvalue", "llf", "aic", "nobs", "df_model", "df_resid"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-10)
    new = _frame(1, n=20).dropna()
    assert_matches(ours.predict(new), theirs.predict(new), rtol=1e-10)


@pytest.mark.parametrize(
    ("cov_type", "kwds"),
    [
        ("HC0", {}),
        ("HC1", {}),
        ("HC2", {}),
        ("HC3", {}),
        ("cluster", {"groups": "g"}),
        ("HAC", {"maxlags": 3}),
    ],
)
def test_robust_covariances_on_the_sparse_path(force_sparse, cov_type, kwds):
    frame = _frame().dropna()
    formula = FORMULAS[1]
    ours = ts.ols(formula, frame).fit(
        cov_type=cov_type, cov_kwds={k: frame[v] if k == "groups" else v for k, v in kwds.items()}
    )
    theirs = smf.ols(formula, frame).fit(
        cov_type=cov_type,
        cov_kwds={k: frame[v].to_numpy() if k == "groups" else v for k, v in kwds.items()},
    )
    assert isinstance(ours.model.design.exog, BlockMatrix)
    assert_matches(ours.bse, theirs.bse, rtol=1e-8)


def test_influence_and_in_sample_prediction_on_the_sparse_path(force_sparse):
    frame = _frame().dropna().iloc[:600]
    ours = ts.ols("y ~ x1 + C(firm)", frame).fit()
    theirs = smf.ols("y ~ x1 + C(firm)", frame).fit()
    assert_matches(
        ours.get_influence().hat_matrix_diag, theirs.get_influence().hat_matrix_diag, rtol=1e-9
    )
    assert_matches(
        ours.get_prediction().summary_frame(), theirs.get_prediction().summary_frame(), rtol=1e-9
    )


def test_many_levels_take_the_sparse_path_by_themselves():
    rng = np.random.default_rng(2)
    n = 400_000
    frame = pd.DataFrame({"x": rng.normal(size=n), "firm": rng.integers(0, 1000, n)})
    frame["y"] = frame["x"] + rng.normal(size=n)
    res = ts.ols("y ~ x + C(firm)", frame).fit()
    assert isinstance(res.model.design.exog, BlockMatrix)
    assert res.params.shape == (1001,)
    assert res.model.design.exog.sparse._nnz() < n  # no dense dummies anywhere
