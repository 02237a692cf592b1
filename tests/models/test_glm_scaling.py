"""GLMs with regressors of any finite scale: IRLS solves equilibrated weighted least squares,
the rank is scale-invariant, and standard errors are right in the data's units."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchstats as ts
from torchstats.errors import NumericalRangeError

RNG = np.random.default_rng(0)
N = 200
X = np.column_stack([np.ones(N), RNG.normal(size=(N, 2))])
MU = np.exp(0.3 + 0.5 * X[:, 1] - 0.2 * X[:, 2])
RESPONSES = {
    "Poisson": (ts.families.Poisson(), RNG.poisson(MU).astype(float)),
    "Binomial": (
        ts.families.Binomial(),
        (RNG.uniform(size=N) < 1 / (1 + np.exp(-(0.3 + X[:, 1])))).astype(float),
    ),
    "Gamma": (ts.families.Gamma(ts.families.links.Log()), RNG.gamma(2.0, MU / 2)),
    "Gaussian": (ts.families.Gaussian(), MU + RNG.normal(size=N)),
}
SCALES = {
    "1e300": np.array([1.0, 1e300, 1.0]),
    "1e-300": np.array([1.0, 1e-300, 1.0]),
    "1e150 and 1e-150": np.array([1.0, 1e150, 1e-150]),
}


@pytest.mark.parametrize("scales", list(SCALES))
@pytest.mark.parametrize("family", list(RESPONSES))
def test_irls_with_scaled_regressors(family, scales):
    link, y = RESPONSES[family]
    columns = SCALES[scales]
    reference = ts.GLM(y, X, family=link).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = ts.GLM(y, X * columns, family=link).fit()
    np.testing.assert_allclose(res.params * columns, reference.params, rtol=1e-12)
    np.testing.assert_allclose(res.bse * columns, reference.bse, rtol=1e-12)
    np.testing.assert_allclose(res.tvalues, reference.tvalues, rtol=1e-12)
    assert res.df_resid == reference.df_resid  # the rank does not depend on the units
    assert res.scale == pytest.approx(reference.scale, rel=1e-12)
    assert res.llf == pytest.approx(reference.llf, rel=1e-12)


def test_what_needs_the_data_units_is_refused():
    link, y = RESPONSES["Poisson"]
    res = ts.GLM(y, X * SCALES["1e300"], family=link).fit()
    with pytest.raises(NumericalRangeError, match="Robust covariances"):
        res.get_robustcov_results("HC0")
    with pytest.raises(NumericalRangeError, match="Influence measures"):
        res.get_influence()
    with pytest.raises(NumericalRangeError, match="covariance of the estimates"):
        res.cov_params()
