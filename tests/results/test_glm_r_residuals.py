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
import pandas as pd
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


def test_profile_limits_are_roots_when_warm_started_refits_wander_off() -> None:
    """A 0/1 binomial of 30 rows: refits warm-started at the full fit's coefficients
    "converged" 87 deviance units above the submodel's minimum near the intercept's lower
    limit, and the limit came out at -1.9003 (R: -1.9982). Each limit must be a root of the
    profile deviance, checked by statsmodels refits with the coefficient as an offset."""
    import statsmodels.api as sm
    from scipy import stats

    rng = np.random.default_rng(7)
    n = 30
    x1, x2 = rng.normal(size=n), rng.uniform(size=n)
    f = rng.choice(["a", "b", "c"], n)
    eta = 0.2 + 0.6 * x1 - 0.5 * x2 + (f == "b") * 0.3
    rng.integers(1, 15, n)  # the draws of the data set this case was found in
    frame = pd.DataFrame({"x1": x1, "x2": x2, "f": f})
    frame["y"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    res = ts.glm("y ~ f + x1 + x2", frame, family=ts.families.Binomial()).fit()
    limits = res.conf_int_profile().to_numpy()
    X, y = np.asarray(res.model.exog, dtype=float), frame["y"].to_numpy()
    cutoff = stats.norm.ppf(0.975) ** 2
    for j in range(X.shape[1]):
        for value in limits[j]:
            refit = sm.GLM(
                y, np.delete(X, j, 1), family=sm.families.Binomial(), offset=X[:, j] * value
            ).fit(tol=1e-14, maxiter=500)
            assert refit.deviance - res.deviance == pytest.approx(cutoff, abs=1e-6)


@pytest.mark.parametrize("name", ["quasipoisson", "quasibinomial"])
def test_quasi_likelihood_rstudent_matches_r(name) -> None:
    """Poisson and binomial fits with scale="X2" are R's quasi families: rstudent divides
    by the leave-one-out dispersion there (it did not: 17% off R's quasipoisson).
    Reference: tests/reference/glm_quasi/make_reference.R."""
    import json
    from pathlib import Path

    here = Path(__file__).resolve().parents[1] / "reference"
    expected = json.loads((here / "glm_quasi" / "reference.json").read_text())[name]
    data = pd.read_csv(here / "glm_r" / "data.csv")
    if name == "quasipoisson":
        model = ts.glm(
            "yc ~ C(g) + x1", data, family=ts.families.Poisson(), offset=np.log(data["expo"])
        )
    else:
        model = ts.glm("s + f ~ C(g) + x1", data, family=ts.families.Binomial())
    res = model.fit(scale="X2", tol=1e-14)
    np.testing.assert_allclose(res.params, expected["coef"], rtol=1e-9)
    # the Pearson dispersion agrees to 3e-8 (R stops at its deviance epsilon)
    np.testing.assert_allclose(res.scale, expected["dispersion"], rtol=1e-7)
    np.testing.assert_allclose(res.rstandard(), expected["rstandard"], rtol=1e-7)
    np.testing.assert_allclose(res.rstudent(), expected["rstudent"], rtol=1e-7)


def test_standardized_residuals_of_a_leverage_one_row_are_nan_as_r() -> None:
    """R sets infinite rstandard/rstudent to NaN; a Poisson dummy of one row gave +inf."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"x1": rng.normal(size=30), "alone": (np.arange(30) == 5) * 1.0})
    frame["y"] = rng.poisson(np.exp(0.3 + 0.4 * frame.x1))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ts.glm("y ~ x1 + alone", frame, family=ts.families.Poisson()).fit()
        values = [res.rstandard(), res.rstandard("pearson"), res.rstudent()]
    for found in values:
        found = np.asarray(found)
        assert np.isnan(found[5])
        assert np.isfinite(np.delete(found, 5)).all()
