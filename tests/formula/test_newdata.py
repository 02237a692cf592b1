"""Predictions for new data: through the formula, or an array used as the design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import torchstats as ts


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 80
    frame = pd.DataFrame(
        {"x1": rng.normal(size=n), "x2": rng.uniform(0, 1, size=n), "g": rng.choice(list("abc"), n)}
    )
    frame["y"] = 0.3 + 0.5 * frame.x1 - frame.x2 + (frame.g == "c") + rng.normal(size=n) * 0.5
    frame["k"] = rng.poisson(np.exp(0.2 + 0.3 * frame.x1))
    frame["b"] = (frame.y > frame.y.median()).astype(float)
    return frame


CASES = [
    ("ols", lambda f, d: ts.ols(f, d), lambda f, d: smf.ols(f, d), "y"),
    (
        "glm",
        lambda f, d: ts.glm(f, d, family=ts.families.Poisson()),
        lambda f, d: smf.glm(f, d, family=sm.families.Poisson()),
        "k",
    ),
    ("logit", lambda f, d: ts.logit(f, d), lambda f, d: smf.logit(f, d), "b"),
]


@pytest.mark.parametrize(("name", "ours", "theirs", "response"), CASES, ids=[c[0] for c in CASES])
def test_array_as_the_design_with_transform_false(data, name, ours, theirs, response):
    formula = f"{response} ~ x1 + x2 + g"
    res = ours(formula, data).fit()
    ref = theirs(formula, data).fit(disp=0) if name == "logit" else theirs(formula, data).fit()
    X = ref.model.exog[:7] * 1.5
    got, want = res.predict(X, transform=False), ref.predict(X, transform=False)
    assert isinstance(got, np.ndarray) and isinstance(want, np.ndarray)
    np.testing.assert_allclose(got, want, rtol=1e-8)
    frame = pd.DataFrame(X, index=list("abcdefg"))
    got, want = res.predict(frame, transform=False), ref.predict(frame, transform=False)
    pd.testing.assert_series_equal(got, want, rtol=1e-8, check_names=False)


def test_array_of_the_wrong_width_is_refused(data):
    res = ts.ols("y ~ x1 + g", data).fit()
    with pytest.raises(ts.errors.ShapeMismatchError, match="4 columns"):
        res.predict(np.ones((3, 2)), transform=False)
