"""Columns and responses of any finite scale: every solver equilibrates, every statistic is
right in the data's units or refused with NumericalRangeError where float64 cannot hold it.

A column scaled by ``s`` scales its coefficient and standard error by ``1/s``; a response
scaled by ``c`` scales coefficients, standard errors, fitted values and residuals by ``c``,
sums of squares by ``c^2``, the log-likelihood by ``-n log(c)``; t statistics, p-values,
R-squared and F do not change. The scales below (1e300, 1e-300, 1e150 with 1e-150) put
sums of squares and variances beyond float64's range.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import torchstats as ts
from torchstats.errors import NumericalRangeError

RNG = np.random.default_rng(0)
N = 50
X = np.column_stack([np.ones(N), RNG.normal(size=(N, 3))])
Y = X @ np.array([1.0, 2.0, -1.0, 0.5]) + RNG.normal(size=N)
WEIGHTS = RNG.uniform(0.5, 2.0, N)

# (column scales, response scale)
CASES = {
    "column 1e300": (np.array([1.0, 1e300, 1.0, 1.0]), 1.0),
    "column 1e-300": (np.array([1.0, 1e-300, 1.0, 1.0]), 1.0),
    "columns 1e150 and 1e-150": (np.array([1.0, 1e150, 1e-150, 1.0]), 1.0),
    "response 1e300": (np.ones(4), 1e300),
    "response 1e-300": (np.ones(4), 1e-300),
}
METHODS = ["auto", "qr", "cholesky", "pinv", "gd"]
UNITLESS = ["rsquared", "rsquared_adj", "fvalue", "f_pvalue"]


def _model(kind: str, columns: np.ndarray, response: float):
    if kind == "OLS":
        return ts.OLS(Y * response, X * columns)
    return ts.WLS(Y * response, X * columns, weights=WEIGHTS)


@pytest.fixture(scope="module", params=["OLS", "WLS"])
def kind(request):
    return request.param


@pytest.fixture(scope="module")
def reference(kind):
    return _model(kind, np.ones(4), 1.0).fit()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", list(CASES))
def test_estimates_and_inference_in_the_data_units(kind, reference, case, method):
    columns, response = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no rank or convergence warning
        res = _model(kind, columns, response).fit(method=method)
    units = response / columns
    rtol = 1e-12 if method != "gd" else 1e-10
    np.testing.assert_allclose(res.params / units, reference.params, rtol=rtol)
    np.testing.assert_allclose(res.bse / units, reference.bse, rtol=rtol)
    np.testing.assert_allclose(res.tvalues, reference.tvalues, rtol=rtol)
    np.testing.assert_allclose(res.pvalues, reference.pvalues, rtol=1e-8)
    np.testing.assert_allclose(res.conf_int() / units[:, None], reference.conf_int(), rtol=rtol)
    np.testing.assert_allclose(res.fittedvalues / response, reference.fittedvalues, rtol=1e-11)
    for name in UNITLESS:
        assert getattr(res, name) == pytest.approx(getattr(reference, name), rel=1e-10)
    assert res.llf == pytest.approx(reference.llf - N * math.log(response), rel=1e-12)
    assert res.aic == pytest.approx(reference.aic + 2 * N * math.log(response), rel=1e-12)
    assert res.rank == 4


@pytest.mark.parametrize("case", list(CASES))
def test_tests_use_the_scaled_covariance(kind, reference, case):
    columns, response = CASES[case]
    res = _model(kind, columns, response).fit()
    ours, theirs = res.t_test(np.eye(4)[1:]), reference.t_test(np.eye(4)[1:])
    np.testing.assert_allclose(ours.tvalue, theirs.tvalue, rtol=1e-12)
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue, rtol=1e-8)
    joint = res.f_test("x1 = 0, x2 = 0")
    assert joint.fvalue == pytest.approx(reference.f_test("x1 = 0, x2 = 0").fvalue, rel=1e-12)


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_sums_of_squares_out_of_range_are_refused(kind, reference, scale):
    res = _model(kind, np.ones(4), scale).fit()
    for name in ["ssr", "ess", "centered_tss", "uncentered_tss", "scale", "mse_resid"]:
        with pytest.raises(NumericalRangeError, match=rf"{name} is .* beyond float64's range"):
            getattr(res, name)
    with pytest.raises(NumericalRangeError, match="covariance of the estimates"):
        res.cov_params()
    with pytest.raises(NumericalRangeError, match="Robust covariances"):
        res.get_robustcov_results("HC1")


@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_sums_of_squares_in_range_are_computed(kind, reference, scale):
    """1e±150 is within float64's range squared (1e±300): no error, the right values."""
    res = _model(kind, np.ones(4), scale).fit()
    assert res.ssr == pytest.approx(reference.ssr * scale**2, rel=1e-12)
    assert res.scale == pytest.approx(reference.scale * scale**2, rel=1e-12)
    np.testing.assert_allclose(res.cov_params(), reference.cov_params() * scale**2, rtol=1e-12)


def test_columns_out_of_range_refuse_only_the_covariance_matrix(kind, reference):
    columns, _ = CASES["column 1e-300"]
    res = _model(kind, columns, 1.0).fit()
    assert res.ssr == pytest.approx(reference.ssr, rel=1e-12)
    with pytest.raises(NumericalRangeError, match="normalized_cov_params lies beyond"):
        _ = res.normalized_cov_params
    mixed = _model(kind, CASES["columns 1e150 and 1e-150"][0], 1.0).fit()
    units = 1 / CASES["columns 1e150 and 1e-150"][0]
    np.testing.assert_allclose(
        mixed.cov_params() / np.outer(units, units), reference.cov_params(), rtol=1e-12
    )


@pytest.mark.parametrize("case", list(CASES))
def test_summary(kind, reference, case):
    columns, response = CASES[case]
    summary = _model(kind, columns, response).fit().summary()
    assert "nan" not in str(summary)
    footer, expected = str(summary.tables[2]), str(reference.summary().tables[2])
    # the residual diagnostics are scale invariant; the condition number is not
    assert footer.split("Cond. No.")[0] == expected.split("Cond. No.")[0]


@pytest.mark.parametrize("case", list(CASES))
def test_what_needs_the_data_units_is_refused(kind, case):
    columns, response = CASES[case]
    res = _model(kind, columns, response).fit()
    with pytest.raises(NumericalRangeError, match="Influence measures"):
        res.get_influence()
    if case != "columns 1e150 and 1e-150":  # its covariance fits in float64
        with pytest.raises(NumericalRangeError, match="beyond float64's range"):
            res.get_prediction()


def test_a_coefficient_beyond_float64_is_refused():
    with pytest.raises(NumericalRangeError, match=r"coefficients of \['x1'\] exceed"):
        ts.OLS(Y * 1e300, X * np.array([1.0, 1e-300, 1.0, 1.0])).fit()


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_rank_detection_is_scale_invariant(scale):
    """A duplicated column is found whatever its scale; distinct ones are never lost."""
    duplicated = np.column_stack([X, X[:, 1] * 3.0]) * np.array([1, scale, 1, 1, scale])
    with pytest.warns(ts.errors.CollinearityWarning, match="rank 4 < 5"):
        res = ts.OLS(Y, duplicated).fit()
    np.testing.assert_allclose(res.fittedvalues, ts.OLS(Y, X).fit().fittedvalues, rtol=1e-10)
