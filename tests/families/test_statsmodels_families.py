"""statsmodels' family objects passed to torchstats' GLMs read as torchstats' own (a script
half-way through a migration)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import torchstats as ts

SM, TS = sm.families, ts.families
PAIRS = {
    "poisson": (lambda: SM.Poisson(), lambda: TS.Poisson(), "c"),
    "binomial-probit": (
        lambda: SM.Binomial(SM.links.Probit()),
        lambda: TS.Binomial(TS.links.Probit()),
        "b",
    ),
    "gamma-log": (lambda: SM.Gamma(SM.links.Log()), lambda: TS.Gamma(TS.links.Log()), "p"),
    "poisson-sqrt": (lambda: SM.Poisson(SM.links.Sqrt()), lambda: TS.Poisson(TS.links.Sqrt()), "c"),
    "tweedie-power": (
        lambda: SM.Tweedie(SM.links.Power(0.5), var_power=1.2),
        lambda: TS.Tweedie(TS.links.Power(0.5), var_power=1.2),
        "p",
    ),
    "negbin": (
        lambda: SM.NegativeBinomial(alpha=0.7),
        lambda: TS.NegativeBinomial(alpha=0.7),
        "c",
    ),
    "tweedie": (
        lambda: SM.Tweedie(var_power=1.5, eql=True),
        lambda: TS.Tweedie(var_power=1.5, eql=True),
        "p",
    ),
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x": rng.uniform(0, 1, 200)})
    data["c"] = rng.poisson(np.exp(0.5 + data.x))
    data["b"] = (rng.uniform(size=200) < 0.3 + 0.4 * data.x) * 1.0
    data["p"] = rng.gamma(2.0, np.exp(0.5 + data.x) / 2.0)
    return data


@pytest.mark.parametrize("name", list(PAIRS))
def test_a_statsmodels_family_fits_as_its_torchstats_counterpart(frame, name) -> None:
    theirs, ours, response = PAIRS[name]
    with np.errstate(all="ignore"):
        translated = ts.glm(f"{response} ~ x", frame, family=theirs()).fit()
        native = ts.glm(f"{response} ~ x", frame, family=ours()).fit()
    assert type(translated.model.family) is type(native.model.family)
    assert type(translated.model.family.link) is type(native.model.family.link)
    np.testing.assert_array_equal(translated.params, native.params)
    np.testing.assert_array_equal(translated.bse, native.bse)


def test_fixed_effects_glm_takes_a_statsmodels_family(frame) -> None:
    data = frame.assign(g=np.arange(len(frame)) % 10)
    translated = ts.glm("c ~ x | g", data, family=SM.Poisson()).fit()
    native = ts.glm("c ~ x | g", data, family=TS.Poisson()).fit()
    np.testing.assert_array_equal(translated.params, native.params)


def test_other_objects_are_still_refused(frame) -> None:
    with pytest.raises(TypeError, match="must be a torchstats family"):
        ts.glm("c ~ x", frame, family="poisson")
