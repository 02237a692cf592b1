"""GLM and discrete ``predict`` with one row given as a pandas Series or a 1-d array."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import torchstats as ts
from tests.parity import assert_matches


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=40), "z": rng.normal(size=40)})
    frame["y"] = rng.poisson(np.exp(0.3 + 0.2 * frame["x"]))
    return frame


def _pairs(frame: pd.DataFrame):
    X = sm.add_constant(frame[["x", "z"]])
    yield (
        ts.GLM(frame["y"], X, family=ts.families.Poisson()).fit(),
        sm.GLM(frame["y"], X, family=sm.families.Poisson()).fit(),
        X,
    )
    yield ts.Poisson(frame["y"], X).fit(), sm.Poisson(frame["y"], X).fit(disp=0), X


def test_array_model_one_row_series_and_array(counts):
    for ours, theirs, X in _pairs(counts):
        row = X.iloc[3]
        got, expected = ours.predict(row), theirs.predict(row)
        # statsmodels labels the row [row.index.name] (None); torchstats with the row's name
        assert list(got.index) == [row.name]
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-10)
        got_array = ours.predict(row.to_numpy())
        assert isinstance(got_array, np.ndarray)
        assert_matches(got_array, theirs.predict(row.to_numpy()), rtol=1e-10)
        block = X.to_numpy()[:5]  # a plain array in: a plain array out, as statsmodels
        assert_matches(ours.predict(block), theirs.predict(block), rtol=1e-10)


@pytest.mark.parametrize("family", ["glm", "poisson"])
def test_formula_model_one_row_series(counts, family):
    if family == "glm":
        ours = ts.glm("y ~ x + np.exp(z)", counts, family=ts.families.Poisson()).fit()
        theirs = smf.glm("y ~ x + np.exp(z)", counts, family=sm.families.Poisson()).fit()
    else:
        ours = ts.poisson("y ~ x + np.exp(z)", counts).fit()
        theirs = smf.poisson("y ~ x + np.exp(z)", counts).fit(disp=0)
    row = counts.iloc[7]
    assert_matches(ours.predict(row), theirs.predict(row), rtol=1e-10)
    column = counts["x"].iloc[:4]  # a Series named after a variable is a column of it
    both = pd.DataFrame({"x": column, "z": 0.0})
    assert_matches(ours.predict(both), theirs.predict(both), rtol=1e-10)
