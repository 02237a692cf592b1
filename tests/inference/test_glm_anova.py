"""``ts.anova_glm`` against R's ``anova(glm)`` (sequential) and ``anova(glm1, glm2, glm3)``
(nested), with and without ``test="Chisq"``/``"F"``, on five GLMs (binomial counts, probit,
Poisson with offset, Gamma-log and Gaussian with prior weights); fixtures from
``tests/reference/glm_r/make_reference.R``.

R's sequential table refits the submodels itself and stops Fisher scoring early for the
non-canonical links (Gamma-log, probit: coefficients ~1e-8 off), so for those its
submodel deviances are checked against R's polished refits and its p-values to 1e-6.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import torchstats as ts
from tests.parity import assert_matches
from tests.reference.glm_r import cases

RTOL = 1e-9
NON_CANONICAL = {"binomial_probit", "gamma_log_weights"}


def _compare(ours: pd.DataFrame, theirs: pd.DataFrame, rtol: float) -> None:
    assert list(ours.columns) == list(theirs.columns)
    assert_matches(ours.to_numpy(float), theirs.to_numpy(float), rtol=rtol, atol_scale=1e-13)


@pytest.mark.parametrize("name", cases.NAMES)
@pytest.mark.parametrize("test", [None, "Chisq", "F"])
def test_sequential(name, test):
    entry = cases.reference()[name]
    key = {None: "anova_seq_none", "Chisq": "anova_seq_chisq", "F": "anova_seq_f"}[test]
    if key not in entry:
        pytest.skip("F tests only for families with an estimated dispersion")
    full = cases.fits(name)[2]
    ours = ts.anova_glm(full, test=test)
    assert list(ours.index) == ["NULL", "C(g)", "x1", ours.index[-1]]
    assert_matches(
        ours["Resid. Dev"].to_numpy(), np.array(entry["seq_resid_dev_polished"]), rtol=RTOL
    )
    _compare(ours, cases.r_table(entry[key]), 1e-6 if name in NON_CANONICAL else RTOL)


@pytest.mark.parametrize("name", cases.NAMES)
@pytest.mark.parametrize("test", [None, "Chisq", "LRT", "F"])
def test_nested(name, test):
    entry = cases.reference()[name]
    key = {None: "anova_nested_none", "Chisq": "anova_nested_chisq", "LRT": "anova_nested_chisq"}
    key["F"] = "anova_nested_f"
    if key[test] not in entry:
        pytest.skip("F tests only for families with an estimated dispersion")
    ours = ts.anova_glm(*cases.fits(name), test=test)
    expected = cases.r_table(entry[key[test]])
    assert list(ours.index) == [1, 2, 3]
    _compare(ours, expected, RTOL)


@pytest.mark.parametrize("name", ["binomial_counts", "poisson_offset"])
def test_f_test_with_known_dispersion_warns_like_r(name):
    family = "binomial" if name.startswith("binomial") else "poisson"
    with pytest.warns(UserWarning, match=f"F test with a '{family}' family is inappropriate"):
        table = ts.anova_glm(*cases.fits(name), test="F")
    chisq = ts.anova_glm(*cases.fits(name), test="Chisq")
    # with dispersion 1 and infinite denominator df, F * Df is the chi-squared statistic
    np.testing.assert_allclose(table["Pr(>F)"].iloc[1:], chisq["Pr(>Chi)"].iloc[1:], rtol=1e-12)


def test_given_dispersion():
    small, middle, full = cases.fits("gamma_log_weights")
    table = ts.anova_glm(small, middle, full, test="Chisq", dispersion=0.5)
    deviance = table["Deviance"].to_numpy()[1:]
    df = table["Df"].to_numpy()[1:]
    from scipy import stats

    np.testing.assert_allclose(table["Pr(>Chi)"].to_numpy()[1:], stats.chi2.sf(deviance / 0.5, df))


def test_bad_input():
    small, middle, full = cases.fits("poisson_offset")
    with pytest.raises(ts.errors.InvalidOptionError, match="unknown test 'Rao'"):
        ts.anova_glm(full, test="Rao")
    with pytest.raises(ts.errors.InvalidOptionError, match="at least one"):
        ts.anova_glm()
    ols = ts.ols("ycont ~ x1", cases.data()).fit()
    with pytest.raises(ts.errors.InvalidOptionError, match="anova_lm"):
        ts.anova_glm(ols)
    other = ts.glm("yc ~ x1", cases.data().iloc[:50], family=ts.families.Poisson()).fit()
    with pytest.raises(ts.errors.InvalidOptionError, match="different numbers of rows"):
        ts.anova_glm(other, full)
    X = np.column_stack([np.ones(len(cases.data())), cases.data()["x1"]])
    arrays = ts.GLM(cases.data()["yc"].to_numpy(), X, family=ts.families.Poisson()).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ts.errors.InvalidOptionError, match="formula fit"):
            ts.anova_glm(arrays)
