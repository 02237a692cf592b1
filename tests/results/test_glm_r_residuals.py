"""GLM ``rstandard``, ``rstudent`` and ``conf_int_profile`` against R (``rstandard.glm``,
``rstudent.glm``, MASS ``confint.glm``) on five GLMs; fixtures from
``tests/reference/glm_r/make_reference.R``.

R's ``hatvalues`` use the weights of the last IRLS step (the previous iterate's means);
the ``final`` fixtures recompute R's formulas with the weights at the final means, which
torchstats uses. MASS's ``confint`` interpolates a spline through a grid of profile points;
``confint_exact`` are R's exact roots of the profile deviance (``uniroot``).
"""

from __future__ import annotations

import numpy as np
import pytest

import torchstats as ts
from tests.parity import assert_matches
from tests.reference.glm_r import cases

# probit's IRLS stops where the deviance stops changing, ~1e-10 from R's polished estimate
# (7e-8 relative on the intercept of -0.0012; statsmodels stops at the same point; see
# cases.FIT_TOL)
RTOL = {"binomial_probit": 1e-7}


@pytest.mark.parametrize("name", cases.NAMES)
def test_coefficients_match_r(name):
    full = cases.fits(name)[2]
    expected = np.array(cases.reference()[name]["coef"])
    assert_matches(full.params.to_numpy(), expected, rtol=RTOL.get(name, 1e-10))


@pytest.mark.parametrize("name", cases.NAMES)
@pytest.mark.parametrize("kind", ["rstandard_deviance", "rstandard_pearson", "rstudent", "hat"])
def test_residuals_match_r(name, kind):
    full = cases.fits(name)[2]
    entry = cases.reference()[name]
    ours = {
        "rstandard_deviance": lambda: full.rstandard(),
        "rstandard_pearson": lambda: full.rstandard(type="pearson"),
        "rstudent": full.rstudent,
        "hat": lambda: full.get_influence(observed=False).hat_matrix_diag,
    }[kind]()
    assert_matches(np.asarray(ours), np.array(entry["final"][kind]), rtol=RTOL.get(name, 1e-9))
    # R's own values, with the previous iterate's weights in the leverage
    r_name = "hatvalues" if kind == "hat" else kind
    assert_matches(np.asarray(ours), np.array(entry[r_name]), rtol=1e-6)


def test_rstandard_labels_and_bad_type():
    full = cases.fits("poisson_offset")[2]
    values = full.rstandard()
    assert list(values.index) == list(full.resid_deviance.index)
    with pytest.raises(ts.errors.InvalidOptionError, match="type"):
        full.rstandard(type="working")


def test_rstandard_pearson_is_statsmodels_resid_studentized_with_expected_leverage():
    full = cases.fits("gamma_log_weights")[2]
    expected = full.get_influence(observed=False).resid_studentized
    np.testing.assert_allclose(full.rstandard(type="pearson").to_numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("name", cases.NAMES)
def test_profile_intervals_match_r(name):
    full = cases.fits(name)[2]
    entry = cases.reference()[name]
    ours = full.conf_int_profile()
    assert list(ours.index) == list(full.params.index) and list(ours.columns) == [0, 1]
    exact = np.array(entry["confint_exact"])
    assert_matches(ours.to_numpy(), exact, rtol=RTOL.get(name, 1e-9))
    # MASS interpolates a spline through the profile grid
    assert_matches(ours.to_numpy(), np.array(entry["confint_mass"]), rtol=1e-3)


def test_profile_interval_level_and_columns():
    full = cases.fits("poisson_offset")[2]
    ours = full.conf_int_profile(alpha=0.1, cols=[1, 3])
    expected = np.array(cases.reference()["poisson_offset"]["confint_mass_90"])[[1, 3]]
    assert list(ours.index) == [full.params.index[1], full.params.index[3]]
    assert_matches(ours.to_numpy(), expected, rtol=1e-3)
    wald = full.conf_int(alpha=0.1).iloc[[1, 3]].to_numpy()
    assert np.all(np.abs(ours.to_numpy() - wald) < 0.1 * np.abs(wald).max())
    with pytest.raises(ValueError, match="alpha"):
        full.conf_int_profile(alpha=1.5)
