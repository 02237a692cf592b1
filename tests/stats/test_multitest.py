"""multipletests equals statsmodels' (every method) and R's p.adjust."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from statsmodels.stats import multitest as smmt

import torchstats as ts
from torchstats.errors import InvalidOptionError

METHODS = [
    "bonferroni",
    "sidak",
    "holm-sidak",
    "holm",
    "simes-hochberg",
    "hommel",
    "fdr_bh",
    "fdr_by",
    "fdr_tsbh",
    "fdr_tsbky",
    "fdr_gbs",
]
REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference" / "diagnostics" / "r_lmtest.json").read_text()
)


def _pvalues(kind: str) -> np.ndarray:
    rng = np.random.default_rng(7)
    sets = {
        "uniform": rng.uniform(size=40),
        "signals": np.r_[rng.uniform(size=30), rng.uniform(0, 1e-3, size=10)],
        "ties": np.repeat([0.001, 0.01, 0.04, 0.2, 0.9], 4),
        "single": np.array([0.03]),
        "all_small": rng.uniform(0, 1e-4, size=12),
    }
    return sets[kind]


@pytest.mark.parametrize("kind", ["uniform", "signals", "ties", "single", "all_small"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_equals_statsmodels(kind: str, method: str, alpha: float) -> None:
    pvals = _pvalues(kind)
    ours = ts.stats.multipletests(pvals, alpha=alpha, method=method)
    theirs = smmt.multipletests(pvals, alpha=alpha, method=method)
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-14)
    np.testing.assert_allclose(ours[2:], theirs[2:], rtol=1e-15)


@pytest.mark.parametrize("method", ["holm", "fdr_tsbky", "hommel"])
def test_sorted_options_equal_statsmodels(method: str) -> None:
    pvals = _pvalues("signals")
    for kwargs in ({"returnsorted": True}, {"is_sorted": True}):
        source = np.sort(pvals) if "is_sorted" in kwargs else pvals
        ours = ts.stats.multipletests(source, method=method, **kwargs)
        theirs = smmt.multipletests(source, method=method, **kwargs)
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-14)


@pytest.mark.parametrize("maxiter", [0, 2, -1])
@pytest.mark.parametrize("method", ["bky", "bh"])
def test_two_stage_iterations_equal_statsmodels(maxiter: int, method: str) -> None:
    pvals = _pvalues("signals")
    ours = ts.stats.fdrcorrection_twostage(pvals, 0.1, method, maxiter=maxiter)
    theirs = smmt.fdrcorrection_twostage(pvals, 0.1, method, maxiter=maxiter)
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-14)
    assert ours[2] == theirs[2]
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-15)


@pytest.mark.parametrize("maxiter", [2, -1, None])
@pytest.mark.parametrize("method", ["bky", "bh"])
def test_two_stage_that_rejects_every_hypothesis(maxiter, method) -> None:
    """An iteration that rejects all leaves no nulls: statsmodels' level becomes inf (it
    divided by zero, and raised ZeroDivisionError here)."""
    pvals = [0.05, 0.01, 0.2, 0.04]
    ours = ts.stats.fdrcorrection_twostage(pvals, 0.05, method, maxiter=maxiter)
    theirs = smmt.fdrcorrection_twostage(pvals, 0.05, method, maxiter=maxiter)
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])
    assert ours[2] == theirs[2]
    np.testing.assert_array_equal(ours[3], theirs[3])
    name = {"bky": "fdr_tsbky", "bh": "fdr_tsbh"}[method]
    for got, expected in zip(
        ts.stats.multipletests(pvals, 0.05, name, maxiter=maxiter),
        smmt.multipletests(pvals, 0.05, name, maxiter=maxiter),
    ):
        np.testing.assert_array_equal(got, expected)


def test_two_stage_takes_statsmodels_positional_arguments() -> None:
    pvals = np.sort(_pvalues("signals"))
    ours = ts.stats.fdrcorrection_twostage(pvals, 0.1, "bky", 2, None, True)
    theirs = smmt.fdrcorrection_twostage(pvals, 0.1, "bky", 2, None, True)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-14)
    assert ours[2] == theirs[2]
    with pytest.raises(TypeError, match="use maxiter"):
        ts.stats.fdrcorrection_twostage(pvals, 0.1, "bky", 1, 2)


@pytest.mark.parametrize(
    ("method", "r_name"),
    [
        ("bonferroni", "bonferroni"),
        ("holm", "holm"),
        ("simes-hochberg", "hochberg"),
        ("hommel", "hommel"),
        ("fdr_bh", "BH"),
        ("fdr_by", "BY"),
    ],
)
def test_equals_r_p_adjust(method: str, r_name: str) -> None:
    reference = REFERENCE["padjust"]
    adjusted = ts.stats.multipletests(reference["p"], method=method)[1]
    np.testing.assert_allclose(adjusted, reference[r_name], rtol=1e-13)


def test_aliases_and_inputs() -> None:
    pvals = _pvalues("uniform")
    expected = ts.stats.multipletests(pvals, method="fdr_bh")[1]
    for alias in ("fdr_i", "FDR_P", "fdrp"):
        np.testing.assert_array_equal(ts.stats.multipletests(pvals, method=alias)[1], expected)
    np.testing.assert_array_equal(
        ts.stats.multipletests(torch.as_tensor(pvals), method="fdr_bh")[1], expected
    )
    assert ts.stats.multitest.multipletests is ts.stats.multipletests


def test_empty_and_errors() -> None:
    reject, adjusted, sidak, bonf = ts.stats.multipletests([], method="holm")
    assert reject.shape == adjusted.shape == (0,) and np.isnan(sidak) and np.isnan(bonf)
    with pytest.raises(InvalidOptionError, match="not recognized"):
        ts.stats.multipletests([0.1], method="lfdr")
    with pytest.raises(InvalidOptionError, match="indep"):
        ts.stats.fdrcorrection([0.1], method="bogus")
