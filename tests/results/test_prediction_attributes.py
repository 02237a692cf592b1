"""Prediction results' ``dist``, ``dist_args``, ``df`` and the ``predicted``/``se``/``var_pred``
aliases against statsmodels (OLS, GLM and discrete ``get_prediction``)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import torchstats as ts
from tests.conftest import make_frame
from tests.parity import assert_matches

RTOL = 1e-9


@pytest.fixture(scope="module")
def frame():
    data = make_frame(5)
    data["yc"] = np.random.default_rng(5).poisson(np.exp(0.2 + 0.3 * data["x1"])).astype(float)
    return data


def _pairs(frame, use_t):
    new = frame.iloc[:6]
    ols = ts.ols("y ~ x1 + C(g)", frame).fit(use_t=use_t)
    yield (
        ols.get_prediction(new),
        smf.ols("y ~ x1 + C(g)", frame).fit(use_t=use_t).get_prediction(new),
    )
    glm_ours = ts.glm("yc ~ x1 + C(g)", frame, family=ts.families.Poisson()).fit(use_t=use_t)
    glm_theirs = smf.glm("yc ~ x1 + C(g)", frame, family=sm.families.Poisson()).fit(use_t=use_t)
    for which in (None, "mean", "linear"):
        yield glm_ours.get_prediction(new, which=which), glm_theirs.get_prediction(new, which=which)
    poisson_ours = ts.poisson("yc ~ x1 + C(g)", frame).fit(use_t=use_t)
    poisson_theirs = smf.poisson("yc ~ x1 + C(g)", frame).fit(disp=0, use_t=use_t)
    for which in ("mean", "linear"):
        yield (
            poisson_ours.get_prediction(new, which=which),
            poisson_theirs.get_prediction(new, which=which),
        )


@pytest.mark.parametrize("use_t", [False, True])
def test_distribution_and_aliases(frame, use_t):
    for ours, theirs in _pairs(frame, use_t):
        assert ours.dist is theirs.dist
        assert ours.dist_args == pytest.approx(theirs.dist_args, rel=1e-12)
        assert ours.df == pytest.approx(theirs.df, rel=1e-12)
        for name in ("predicted", "se", "var_pred"):
            assert_matches(getattr(ours, name), getattr(theirs, name), rtol=RTOL)
        if hasattr(theirs, "tvalues"):
            assert_matches(ours.tvalues, theirs.tvalues, rtol=RTOL)
            for alternative in ("two-sided", "larger", "smaller"):
                stat, pvalue = ours.t_test(value=0.5, alternative=alternative)
                expected_stat, expected_pvalue = theirs.t_test(value=0.5, alternative=alternative)
                assert_matches(stat, expected_stat, rtol=RTOL)
                assert_matches(pvalue, expected_pvalue, rtol=1e-8)


def test_linear_var_resid(frame):
    ours = ts.wls("y ~ x1", frame, weights=frame["w"]).fit().get_prediction()
    theirs = smf.wls("y ~ x1", frame, weights=frame["w"]).fit().get_prediction()
    assert_matches(ours.var_resid, theirs.var_resid, rtol=RTOL)
    assert_matches(ours.predicted, theirs.predicted, rtol=RTOL)


def test_t_test_rejects_unknown_alternative(frame):
    res = ts.poisson("yc ~ x1", frame).fit().get_prediction()
    with pytest.raises(ValueError, match="unknown alternative"):
        res.t_test(alternative="two")
