"""torchstats' own OLS/WLS summaries: statsmodels' text plus torchstats' notes."""

from __future__ import annotations

import re

import numpy as np  # noqa: F401  (statsmodels looks np up in this namespace)
import pytest
import statsmodels.formula.api as smf

import torchstats as ts
from tests.parity import mask_clock
from torchstats.errors import CollinearityWarning, ConvergenceWarning


def _masked(text: str) -> str:
    return mask_clock(text)


@pytest.mark.parametrize("formula", ["y ~ x1 * C(g) + np.log(x2)", "y ~ x1 + x3 - 1"])
def test_text_summary_equals_statsmodels(frame, formula):
    ours = ts.ols(formula, frame).fit().summary().as_text()
    theirs = smf.ols(formula, frame).fit().summary().as_text()
    assert _masked(ours) == _masked(theirs)


def test_html_for_jupyter(frame):
    summary = ts.ols("y ~ x1", frame).fit().summary()
    html = summary._repr_html_()
    assert html.count('<table class="simpletable">') == 3
    assert "OLS Regression Results" in html


def test_rank_deficiency_is_noted(frame):
    with pytest.warns(CollinearityWarning):
        res = ts.ols("y ~ x1 + x1_copy", frame.assign(x1_copy=frame["x1"])).fit()
    text = str(res.summary())
    assert re.search(r"\[\d\] The design matrix is rank deficient \(rank 2 < 3 columns\)", text)


def test_non_convergence_is_noted(frame):
    with pytest.warns(ConvergenceWarning):
        res = ts.ols("y ~ x1 + x3", frame).fit(method="gd", max_iter=2)
    assert "The solver (gd) did not converge" in str(res.summary())
