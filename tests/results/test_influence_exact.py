"""Influence measures and HC covariances on Longley against exact rational arithmetic.

Longley's design has ``cond(X) = 5e9``: leverages formed as ``x'(X'X)^{-1}x`` and HC
sandwiches formed as ``(X'X)^{-1} X' Omega X (X'X)^{-1}`` keep about 8 digits there
(statsmodels: 11 for the leverages, 9 for the rest). torchstats forms both in an orthonormal
basis of the design (:mod:`torchstats.solvers.leverage`) and must be exact to 1e-12
relative; it is to a few ulps. WLS uses weights whose square roots are exact, so that the
whitened problem is exact in float64 too.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchstats as ts
from tests.rational import exact_fit

FORMULA = "TOTEMP ~ GNPDEFL + GNP + UNEMP + ARMED + POP + YEAR"
# squares of binary fractions: sqrt(w) X is exact
WEIGHTS = (np.arange(16) % 4 + 1.0) ** 2 / 4
RTOL = 1e-12

MEASURES = {
    "hat": "hat_matrix_diag",
    "resid_studentized_internal": "resid_studentized_internal",
    "resid_studentized_external": "resid_studentized_external",
    "resid_press": "resid_press",
    "sigma2_not_obsi": "sigma2_not_obsi",
    "dfbeta": "dfbeta",
    "dfbetas": "dfbetas",
}


@pytest.fixture(scope="module", params=["OLS", "WLS"])
def longley(request):
    """(model, exact values) for OLS and WLS on Longley."""
    frame = ts.datasets.longley()
    weights = WEIGHTS if request.param == "WLS" else None
    model = ts.ols(FORMULA, frame) if weights is None else ts.wls(FORMULA, frame, weights=weights)
    exact = exact_fit(np.asarray(model.exog), np.asarray(model.endog), weights)
    return model, exact


def _relative_error(ours: object, exact: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(ours, dtype=float) - exact) / np.abs(exact)))


@pytest.mark.parametrize("method", ["auto", "qr"])
@pytest.mark.parametrize("name", list(MEASURES))
def test_influence_measures_are_exact(longley, name, method):
    model, exact = longley
    influence = model.fit(method=method).get_influence()
    assert _relative_error(getattr(influence, MEASURES[name]), exact[name]) <= RTOL


@pytest.mark.parametrize("name", ["cooks_distance", "dffits", "dffits_internal"])
def test_cooks_distance_and_dffits_are_exact(longley, name):
    model, exact = longley
    values = getattr(model.fit().get_influence(), name)[0]
    assert _relative_error(values, exact["cooks" if name == "cooks_distance" else name]) <= RTOL


@pytest.mark.parametrize("method", ["auto", "qr", "cholesky"])
@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "HC2", "HC3"])
def test_robust_standard_errors_are_exact(longley, cov_type, method):
    """HC bse from the orthonormal basis; also for Cholesky fits, whose coefficients are
    less accurate (cond(X)^2 eps) but whose sandwich is formed the same way."""
    model, exact = longley
    res = model.fit(method=method, cov_type=cov_type)
    tolerance = RTOL if method != "cholesky" else 1e-10  # its residuals err by ~1e-11
    assert _relative_error(res.bse, exact[cov_type]) <= tolerance


def test_statsmodels_is_less_accurate_here():
    """The reference is demanding: statsmodels' own numbers miss it by orders of magnitude."""
    import statsmodels.formula.api as smf

    frame = ts.datasets.longley()
    model = ts.ols(FORMULA, frame)
    exact = exact_fit(np.asarray(model.exog), np.asarray(model.endog))
    theirs = smf.ols(FORMULA, frame).fit()
    assert _relative_error(theirs.get_influence().hat_matrix_diag, exact["hat"]) > 1e-12
    assert _relative_error(theirs.HC3_se, exact["HC3"]) > 1e-10
