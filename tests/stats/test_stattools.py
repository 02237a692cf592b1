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
