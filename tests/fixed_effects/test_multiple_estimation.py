"""Multiple estimation: expansion of sw/csw and several responses, split samples, the
shared demeaning, and parity with pyfixest's FixestMulti."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import torchstats as ts
import torchstats.models.demean_cache as demean_cache_module
from tests.fixed_effects.data import panel, pyfixest_data
from torchstats.errors import DesignError, InvalidOptionError
from torchstats.formula.multiple_estimation import expand_formula

pf = pytest.importorskip("pyfixest")


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("y ~ x1 + sw(x2, x3)", ["y ~ x1 + x2", "y ~ x1 + x3"]),
        ("y ~ csw(x1, np.log(x2)) | f", ["y ~ x1 | f", "y ~ x1 + np.log(x2) | f"]),
        ("y ~ x1 + sw0(x2, x3)", ["y ~ x1", "y ~ x1 + x2", "y ~ x1 + x3"]),
        ("y ~ x1 | csw0(f1, f2)", ["y ~ x1 | 0", "y ~ x1 | f1", "y ~ x1 | f1 + f2"]),
        ("y1 + y2 ~ sw(a, b)", ["y1 ~ a", "y1 ~ b", "y2 ~ a", "y2 ~ b"]),
        ("y ~ sw0(x)", ["y ~ 1", "y ~ x"]),
        ("I(a + b) ~ x | f", ["I(a + b) ~ x | f"]),
        ("y ~ x | f | d ~ z", ["y ~ x | f | d ~ z"]),
    ],
)
def test_expansion(formula: str, expected: list[str]) -> None:
    assert expand_formula(formula) == expected


def test_two_stepwise_functions_are_refused() -> None:
    with pytest.raises(DesignError, match="more than one stepwise"):
        expand_formula("y ~ sw(a, b) + csw(c, d)")
    with pytest.raises(DesignError, match="needs its terms"):
        expand_formula("y ~ sw(a, )")


def _pyfixest(formula: str, data: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, data, fixef_tol=1e-13, **kwargs)


@pytest.mark.parametrize(
    "formula",
    [
        "Y + Y2 ~ X1 + csw0(X2, Z1) | f1 + f2",
        "Y ~ sw(X1, X2) | f1",
        "Y ~ X1 | csw0(f1, f2)",
        "Y ~ sw0(X1, X2)",
    ],
)
@pytest.mark.parametrize("vcov", ["iid", {"CRV1": "f1"}], ids=str)
def test_equals_pyfixest_model_by_model(formula: str, vcov: Any) -> None:
    data = pyfixest_data(8).dropna()
    ours = ts.ols(formula, data).fit(vcov=vcov)
    theirs = _pyfixest(formula, data, vcov=vcov).to_list()
    assert len(ours) == len(theirs)
    for one, other in zip(ours, theirs, strict=True):
        names = list(other.coef().index)
        np.testing.assert_allclose(one.params[names], other.coef(), rtol=1e-9)
        np.testing.assert_allclose(one.bse[names], other.se(), rtol=1e-9)


@pytest.mark.parametrize("kind", ["split", "fsplit"])
def test_split_samples_equal_pyfixest(kind: str) -> None:
    data = pyfixest_data(9).dropna()
    ours = ts.ols("Y ~ X1 + X2 | f1", data, **{kind: "f3"}).fit(vcov="hetero")
    theirs = _pyfixest("Y ~ X1 + X2 | f1", data, vcov="hetero", **{kind: "f3"}).to_list()
    assert len(ours) == len(theirs) == data["f3"].nunique() + (kind == "fsplit")
    for one, other in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(one.params[["X1", "X2"]], other.coef()[["X1", "X2"]], rtol=1e-9)
        np.testing.assert_allclose(one.bse[["X1", "X2"]], other.se()[["X1", "X2"]], rtol=1e-9)
    labels = list(ours.all_fitted_models)
    assert labels[-1].endswith(f"sample: f3={sorted(data['f3'].unique())[-1]}")


@pytest.fixture
def demeaned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of columns of each demeaning a multiple estimation asks for."""
    counts: list[int] = []
    original = demean_cache_module.absorb

    def counting(columns: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        counts.append(columns.shape[1])
        return original(columns, *args, **kwargs)

    monkeypatch.setattr(demean_cache_module, "absorb", counting)
    return counts


def test_each_variable_is_demeaned_once_per_sample(demeaned: list[int]) -> None:
    data = panel(13, n=800)
    results = ts.ols("y ~ csw(x1, x2, np.log(w)) | firm + year", data).fit()
    assert len(results) == 3
    # y and x1 with the first model, then x2, then np.log(w): four columns, not 2 + 3 + 4
    assert demeaned == [2, 1, 1]
    single = ts.ols("y ~ x1 + x2 + np.log(w) | firm + year", data).fit()
    np.testing.assert_allclose(results[2].params, single.params, rtol=1e-13)
    np.testing.assert_allclose(results[2].bse, single.bse, rtol=1e-13)


@pytest.mark.parametrize("effects", [" | f1 + f2", ""], ids=["effects", "no-effects"])
def test_iv_models_demean_each_variable_once(demeaned: list[int], effects: str) -> None:
    """Two responses and two regressor steps of one IV formula: X1, Z1, Z2 and X2 are
    demeaned once (with the first response), then only the second response; each model
    equals its own fit (to the demeaning's tolerance: columns demeaned together sweep
    until all of them converged)."""
    data = pyfixest_data(23, n=600).dropna()
    formula = f"Y + Y2 ~ csw0(X2){effects} | X1 ~ Z1 + Z2"
    results = ts.ols(formula, data).fit(vcov="hetero")
    assert len(results) == 4
    # Y ~ 1: Y, X1, Z1, Z2 (and the intercept without effects); Y ~ X2: X2; Y2 ~ 1: Y2;
    # Y2 ~ X2: nothing new
    assert demeaned == [4 + (not effects), 1, 1]
    single = ts.ols(f"Y2 ~ X2{effects} | X1 ~ Z1 + Z2", data).fit(vcov="hetero")
    np.testing.assert_allclose(results[3].params, single.params, rtol=1e-12)
    np.testing.assert_allclose(results[3].bse, single.bse, rtol=1e-12)


def test_tables_of_all_models() -> None:
    data = panel(14, n=600)
    results = ts.ols("y ~ sw(x1, x2) | firm", data).fit(vcov={"CRV1": "firm"})
    assert list(results.coef().index) == [("y ~ x1 | firm", "x1"), ("y ~ x2 | firm", "x2")]
    assert results.tidy().shape == (2, 6)
    table = results.etable(type="df")
    assert table.shape[1] == 2
    assert "2 models" in repr(results)


def test_split_options_are_checked() -> None:
    data = panel(15, n=300)
    with pytest.raises(InvalidOptionError, match="not both"):
        ts.ols("y ~ x1 | firm", data, split="year", fsplit="year")
    with pytest.raises(InvalidOptionError, match="split column 'plant'"):
        ts.ols("y ~ x1 | firm", data, split="plant")
