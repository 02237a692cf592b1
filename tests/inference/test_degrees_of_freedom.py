"""Zero residual degrees of freedom: statsmodels' inf/NaN values, with a warning saying why."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import torchstats as ts
from torchstats.errors import DegreesOfFreedomWarning
from torchstats.inference.degrees_of_freedom import per_degree_of_freedom

RNG = np.random.default_rng(0)
X = np.column_stack([np.ones(3), RNG.normal(size=(3, 2))])
Y = RNG.normal(size=3)
WEIGHTS = np.array([1.0, 2.0, 3.0])
# an exact fit with SSR exactly 0: statsmodels' 0 / 0 = NaN instead of inf
X_EXACT, Y_EXACT = np.eye(3), np.array([1.0, 2.0, 3.0])

SCALARS = ["scale", "mse_resid", "fvalue", "f_pvalue", "rsquared_adj", "df_resid"]
VECTORS = ["bse", "tvalues", "pvalues"]


def _statsmodels(kind: str, y, X, **fit):
    model = sm.OLS(y, X) if kind == "OLS" else sm.WLS(y, X, weights=WEIGHTS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's divide-by-zero RuntimeWarnings
        return model.fit(**fit)


def _ours(kind: str, y, X, **fit):
    model = ts.OLS(y, X) if kind == "OLS" else ts.WLS(y, X, weights=WEIGHTS)
    with pytest.warns(DegreesOfFreedomWarning, match=rf"{kind}: no residual degrees of freedom"):
        return model.fit(**fit)


@pytest.mark.parametrize("data", ["rounding", "exact"])
@pytest.mark.parametrize("kind", ["OLS", "WLS"])
def test_least_squares_values_are_statsmodels(kind, data):
    y, design = (Y, X) if data == "rounding" else (Y_EXACT, X_EXACT)
    ours, theirs = _ours(kind, y, design), _statsmodels(kind, y, design)
    for name in SCALARS:
        np.testing.assert_equal(getattr(ours, name), getattr(theirs, name), err_msg=name)
    for name in VECTORS:
        np.testing.assert_equal(np.asarray(getattr(ours, name)), getattr(theirs, name), name)
    np.testing.assert_equal(np.asarray(ours.conf_int()), theirs.conf_int())
    assert not np.isfinite(np.asarray(ours.bse)).any()


@pytest.mark.parametrize("cov_type", ["HC1", "HC2", "HC3"])
def test_robust_covariances_are_not_finite(cov_type):
    """HC1's n / df_resid is inf, as statsmodels' (no ZeroDivisionError); HC2/HC3 divide by
    1 - h = 0 on every row (statsmodels reports rounding noise there)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ts.OLS(Y, X).fit(cov_type=cov_type)
    assert not np.isfinite(res.bse).any()
    if cov_type == "HC1":
        np.testing.assert_equal(res.bse, _statsmodels("OLS", Y, X, cov_type="HC1").bse)


@pytest.mark.parametrize("family", ["Gaussian", "Gamma", "InverseGaussian"])
def test_glm_with_an_estimated_scale(family):
    y = Y if family == "Gaussian" else np.abs(Y) + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sm.GLM(y, X, family=getattr(sm.families, family)()).fit()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours = ts.GLM(y, X, family=getattr(ts.families, family)()).fit()
    assert any(
        issubclass(w.category, DegreesOfFreedomWarning) and "GLM: no residual" in str(w.message)
        for w in caught
    )
    assert ours.scale == theirs.scale == math.inf
    for name in VECTORS:
        np.testing.assert_equal(getattr(ours, name), getattr(theirs, name), name)


@pytest.mark.parametrize("scale", ["X2", "dev"])
def test_glm_with_a_requested_scale(scale):
    y = np.array([1.0, 2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sm.GLM(y, X, family=sm.families.Poisson()).fit(scale=scale)
    with pytest.warns(DegreesOfFreedomWarning, match="dispersion"):
        ours = ts.GLM(y, X, family=ts.families.Poisson()).fit(scale=scale)
    np.testing.assert_equal(ours.bse, theirs.bse)


def test_glm_with_a_fixed_scale_does_not_warn(recwarn):
    ts.GLM(np.array([1.0, 2.0, 3.0]), X, family=ts.families.Poisson()).fit()
    assert not [w for w in recwarn if issubclass(w.category, DegreesOfFreedomWarning)]


def test_batched_groups_are_named_and_match_statsmodels():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"x": rng.normal(size=12), "y": rng.normal(size=12), "g": ["a"] * 10 + ["b"] * 2}
    )
    with pytest.warns(DegreesOfFreedomWarning, match=r"1 group\(s\).*: 'b'"):
        res = ts.BatchedOLS.from_formula("y ~ x", frame, groups="g").fit()
    rows = frame["g"] == "b"
    theirs = _statsmodels("OLS", frame.loc[rows, "y"], sm.add_constant(frame.loc[rows, "x"]))
    # SSR is 0 here and a rounding error in statsmodels: NaN (0 / 0) against inf
    assert not np.isfinite(res.bse.loc["b"]).any() and not np.isfinite(theirs.bse).any()
    assert not np.isfinite(res.scale.loc["b"]) and not np.isfinite(theirs.scale)
    assert math.isnan(res.mse_resid.loc["b"]) and math.isnan(theirs.mse_resid)
    assert np.isfinite(res.bse.loc["a"]).all()


def test_no_warning_with_residual_degrees_of_freedom(recwarn):
    ts.OLS(np.append(Y, 0.5), np.vstack([X, [1.0, 0.1, 0.2]])).fit()
    assert not [w for w in recwarn if issubclass(w.category, DegreesOfFreedomWarning)]


def test_per_degree_of_freedom():
    assert per_degree_of_freedom(3.0, 2.0) == 1.5
    assert per_degree_of_freedom(3.0, 0.0) == math.inf
    assert per_degree_of_freedom(-3.0, 0.0) == -math.inf
    assert math.isnan(per_degree_of_freedom(0.0, 0.0))
