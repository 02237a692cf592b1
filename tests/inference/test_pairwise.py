"""t_test_pairwise and its p-value adjustments against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import torchstats as ts
from tests.parity import assert_matches
from torchstats.errors import InvalidOptionError


def _frame(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "y": rng.normal(size=80),
            "x": rng.normal(size=80),
            "g": rng.choice(list("abcd"), 80),
            "h": rng.choice([1, 2, 3], 80),
        }
    )
    df["y"] += df["g"].map({"a": 0.0, "b": 0.5, "c": 1.0, "d": 0.2})
    return df


CASES = [
    ("y ~ x + C(g)", "C(g)"),
    ('y ~ C(g, Treatment(reference="c")) + x', 'C(g, Treatment(reference="c"))'),
    ("y ~ C(h) + C(g)", "C(h)"),
    ("y ~ 0 + C(g) + x", "C(g)"),
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("formula", "term"), CASES)
def test_t_test_pairwise_equals_statsmodels(seed, formula, term):
    frame = _frame(seed)
    methods = ["hs", "bonferroni", "fdr_bh"]
    ours = ts.ols(formula, frame).fit(cov_type="HC1").t_test_pairwise(term, method=methods)
    theirs = smf.ols(formula, frame).fit(cov_type="HC1").t_test_pairwise(term, method=methods)
    numeric = [c for c in theirs.result_frame.columns if not c.startswith("reject")]
    assert list(ours.result_frame.columns) == list(theirs.result_frame.columns)
    assert_matches(ours.result_frame[numeric], theirs.result_frame[numeric], rtol=1e-10)
    for column in ("reject-hs", "reject-bonferroni", "reject-fdr_bh"):
        assert ours.result_frame[column].tolist() == theirs.result_frame[column].tolist()
    np.testing.assert_array_equal(ours.contrasts, theirs.contrasts)
    np.testing.assert_array_equal(ours.term_encoding_matrix, theirs.term_encoding_matrix)
    assert ours.contrast_labels == theirs.contrast_labels


def test_t_test_pairwise_options_and_errors():
    frame = _frame(2)
    ours = ts.ols("y ~ x + C(g) + C(g):x", frame).fit()
    theirs = smf.ols("y ~ x + C(g) + C(g):x", frame).fit()
    labels = ["A", "B", "C", "D"]
    a = ours.t_test_pairwise("C(g)", alpha=0.2, factor_labels=labels).result_frame
    b = theirs.t_test_pairwise("C(g)", alpha=0.2, factor_labels=labels).result_frame
    assert list(a.index) == list(b.index) and a["reject-hs"].tolist() == b["reject-hs"].tolist()
    with pytest.raises(ValueError, match="interaction effects not yet supported"):
        ours.t_test_pairwise("C(g):x")
    with pytest.raises(ValueError, match="wrong length, should be 4"):
        ours.t_test_pairwise("C(g)", factor_labels=["a"])
    with pytest.raises(InvalidOptionError, match="unknown term 'C\\(k\\)'"):
        ours.t_test_pairwise("C(k)")
    with pytest.raises(InvalidOptionError, match="'x' is not categorical"):
        ours.t_test_pairwise("x")
    with pytest.raises(InvalidOptionError, match="method 'nope' is not recognized"):
        ours.t_test_pairwise("C(g)", method="nope")
