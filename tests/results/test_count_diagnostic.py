"""Count diagnostics' result records as statsmodels returns them."""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm

import torchstats as ts


def test_diagnostic_numbers_are_numpy_scalars():
    # statsmodels returns numpy scalars (scripts call res.pvalue.round(3)); they were floats
    rng = np.random.default_rng(2)
    X = sm.add_constant(rng.normal(size=(400, 2)))
    y = rng.poisson(np.exp(0.4 + 0.5 * X[:, 1] - 0.3 * X[:, 2])).astype(float)
    ours = ts.Poisson(y, X).fit(disp=0).get_diagnostic()
    theirs = sm.Poisson(y, X).fit(disp=0).get_diagnostic()
    for name in ("test_poisson_zeroinflation", "test_chisquare_prob"):
        options = {"bin_edges": np.arange(4)} if name == "test_chisquare_prob" else {}
        mine, reference = getattr(ours, name)(**options), getattr(theirs, name)(**options)
        for field in ("statistic", "pvalue"):
            assert type(getattr(mine, field)) is type(getattr(reference, field)) is np.float64
            np.testing.assert_allclose(getattr(mine, field), getattr(reference, field), rtol=1e-6)
    assert type(ours.test_chisquare_prob(bin_edges=np.arange(4)).df) is np.int64
