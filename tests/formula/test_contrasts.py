"""patsy's contrast codings in ``C()``: the same columns, names and values as statsmodels."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from torchstats.errors import DesignError
from torchstats.formula.design import design_from_formula

CPU = {"device": torch.device("cpu"), "dtype": torch.float64}


def _frame(seed: int, n: int = 90) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "g": rng.choice(list("abcde"), n),
            "h": rng.choice(list("uvw"), n),
        }
    )
    effect = frame.g.map(dict(zip("abcde", [0.0, 1.0, -0.5, 2.0, 0.3], strict=True)))
    frame["y"] = 1 + frame.x1 + effect + rng.normal(size=n)
    return frame


FORMULAS = [
    "y ~ C(g, Treatment('b'))",
    "y ~ C(g, Treatment(reference='c'))",
    "y ~ C(g, Treatment(reference=-1))",
    "y ~ C(g, Sum)",
    "y ~ C(g, Sum('b'))",
    "y ~ C(g, Sum(omit='b'))",
    "y ~ C(g, Diff)",
    "y ~ C(g, Helmert)",
    "y ~ C(g, Poly)",
    "y ~ C(g, Poly([1, 2, 4, 8, 9]))",
    "y ~ 0 + C(g, Sum)",
    "y ~ 0 + C(g, Diff)",
    "y ~ 0 + C(g, Helmert)",
    "y ~ 0 + C(g, Poly)",
    "y ~ x1:C(g, Sum)",
    "y ~ x1:C(g, Poly) + C(h, Helmert):C(g, Diff)",
    "y ~ C(h, Sum) * C(g, Sum)",
    "y ~ 0 + C(h, Treatment('v'))",
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("formula", FORMULAS)
def test_design_as_patsy(formula, seed):
    data = _frame(seed)
    expected = patsy.dmatrices(formula, data, return_type="dataframe")[1]
    design = design_from_formula(formula, data, **CPU)
    assert design.exog_names == tuple(expected.columns)
    np.testing.assert_allclose(design.exog.numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("formula", ["y ~ x1 + C(g, Sum)", "y ~ C(g, Poly) + C(h, Diff)"])
def test_fit_and_predict_as_statsmodels(formula):
    data = _frame(3)
    res, ref = ts.ols(formula, data).fit(), smf.ols(formula, data).fit()
    pd.testing.assert_index_equal(res.params.index, ref.params.index)
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-10)
    np.testing.assert_allclose(res.bse, ref.bse, rtol=1e-10)
    new = _frame(4).head(6)
    np.testing.assert_allclose(res.predict(new), ref.predict(new), rtol=1e-10)


def test_unknown_reference_level_is_named():
    with pytest.raises(DesignError, match="reference level 'z' is not one of the levels"):
        ts.ols("y ~ C(g, Treatment('z'))", _frame(0))


def test_poly_scores_must_match_the_levels():
    with pytest.raises(DesignError, match="2 scores for 5 levels"):
        ts.ols("y ~ C(g, Poly([1, 2]))", _frame(0))


def test_patsy_objects_from_the_callers_namespace():
    """statsmodels scripts import patsy's classes and pass its contrast matrices."""
    # ContrastMatrix, the class, as statsmodels' contrast-coding tutorial imports it, made
    # every formula fit raise AttributeError (the class was read as a matrix)
    from patsy.contrasts import ContrastMatrix, Helmert, Sum, Treatment  # noqa: F401

    data = _frame(5)
    levels = sorted(data.g.unique())
    matrix = Treatment(reference=0).code_without_intercept(levels)  # noqa: F841
    reference = Sum(omit="c")  # noqa: F841
    for formula in [
        "y ~ x1",
        "y ~ C(g, Treatment)",
        "y ~ C(g, Treatment(reference='d'))",
        "y ~ C(g, Helmert)",
        "y ~ C(g, reference)",
        "y ~ C(g, matrix)",
    ]:
        res, ref = ts.ols(formula, data).fit(), smf.ols(formula, data).fit()
        pd.testing.assert_index_equal(res.params.index, ref.params.index)
        np.testing.assert_allclose(res.params, ref.params, rtol=1e-10)


class Simple:
    """statsmodels' contrast tutorial's own coding, in patsy's protocol (each level against
    the first, the constant the mean of the levels)."""

    def _matrix(self, levels):
        n = len(levels)
        contrast = -np.ones((n, n - 1)) / n
        contrast[1:][np.diag_indices(n - 1)] = (n - 1) / n
        return contrast

    def code_with_intercept(self, levels):
        matrix = np.column_stack((np.ones(len(levels)), self._matrix(levels)))
        return patsy.ContrastMatrix(matrix, [f"[Simp.{level}]" for level in levels])

    def code_without_intercept(self, levels):
        return patsy.ContrastMatrix(self._matrix(levels), [f"[Simp.{v}]" for v in levels[:-1]])


@pytest.mark.parametrize(
    "formula",
    ["y ~ C(g, Simple)", "y ~ C(g, Simple())", "y ~ 0 + C(g, Simple)", "y ~ x1:C(h, Simple)"],
)
def test_a_users_coding_in_patsys_protocol(formula):
    # any class or instance with code_with/without_intercept is a coding to patsy; it
    # raised IndexError inside formulaic
    data = _frame(6)
    res, ref = ts.ols(formula, data).fit(), smf.ols(formula, data).fit()
    pd.testing.assert_index_equal(res.params.index, ref.params.index)
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-10)
    np.testing.assert_allclose(res.predict(data.iloc[:7]), ref.predict(data.iloc[:7]), rtol=1e-12)


def test_a_users_coding_of_the_wrong_shape_is_named():
    class Broken(Simple):
        def code_without_intercept(self, levels):
            return SimpleNamespace(matrix=np.ones((len(levels), 1)), column_suffixes=["a", "b"])

    with pytest.raises(DesignError, match=r"Broken.code_without_intercept gave a \(5, 1\)"):
        ts.ols("y ~ C(g, Broken)", _frame(7)).fit()
