"""``ts.stats.stattools`` (and ``ts.stats``) against ``statsmodels.stats.stattools``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats import stattools

import torchstats as ts


@pytest.mark.parametrize("kind", ["numpy", "pandas"])
@pytest.mark.parametrize("seed", [0, 1])
def test_residual_statistics_equal_statsmodels(kind, seed):
    resid = np.random.default_rng(seed).standard_t(5, size=80)
    values = pd.Series(resid) if kind == "pandas" else resid
    assert ts.stats.durbin_watson(values) == pytest.approx(stattools.durbin_watson(resid), 1e-13)
    np.testing.assert_allclose(
        ts.stats.jarque_bera(values), stattools.jarque_bera(resid), rtol=1e-12
    )
    np.testing.assert_allclose(
        ts.stats.stattools.omni_normtest(values), stattools.omni_normtest(resid), rtol=1e-12
    )


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name", ["durbin_watson", "jarque_bera", "omni_normtest"])
def test_two_dimensional_input_along_an_axis_as_statsmodels(name: str, axis: int) -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(40, 30)) * np.linspace(1, 3, 30)
    ours = getattr(ts.stats, name)(values, axis=axis)
    theirs = getattr(stattools, name)(values, axis=axis)
    np.testing.assert_allclose(
        np.array(ours, dtype=float), np.array(theirs, dtype=float), rtol=1e-12
    )


def test_statsmodels_keyword_and_result_attributes() -> None:
    e = np.random.default_rng(1).normal(size=60)
    assert ts.stats.durbin_watson(resids=e) == pytest.approx(stattools.durbin_watson(e), rel=1e-14)
    assert type(ts.stats.durbin_watson(e)) is np.float64
    ours, theirs = ts.stats.omni_normtest(resids=e), stattools.omni_normtest(e)
    assert ours.statistic == pytest.approx(theirs.statistic, rel=1e-12)
    assert ours.pvalue == pytest.approx(theirs.pvalue, rel=1e-12)
    statistic, pvalue = ours
    assert (statistic, pvalue) == (ours.statistic, ours.pvalue)
    with pytest.warns(UserWarning, match="less than 8 observations"):
        short = ts.stats.omni_normtest(np.ones((5, 2)))
    assert np.isnan(short).all()
