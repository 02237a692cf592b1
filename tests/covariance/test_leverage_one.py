"""An observation of leverage one: HC2/HC3 are NaN and the deletion measures inf/NaN, with a
warning naming the observation, in every model that has them.

A dummy column that is one on a single row makes the fit reproduce that row exactly
(``h = 1``, residual 0): HC2 and HC3 divide its squared residual by ``(1 - h)^p = 0``.
statsmodels reports a finite, meaningless number there; R's ``sandwich::vcovHC`` gives NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from torchstats.errors import LeverageWarning

ROW = "r7"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 40
    data = pd.DataFrame(
        {"x": rng.normal(size=n), "w": rng.uniform(0.5, 2.0, n), "g": np.repeat(["a", "b"], 20)},
        index=[f"r{i}" for i in rng.permutation(n)],
    )
    data["y"] = 1 + 0.5 * data["x"] + rng.normal(size=n)
    data["count"] = rng.poisson(np.exp(0.3 + 0.5 * data["x"])).astype(float)
    data["binary"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-data["x"]))).astype(float)
    data["d"] = 0.0
    data.loc[ROW, "d"] = 1.0  # isolates one row
    data.loc[ROW, "binary"] = 0.5  # a proportion: the fitted probability reproduces it
    return data


def _fits(frame: pd.DataFrame, cov_type: str) -> dict[str, object]:
    return {
        "OLS": lambda: ts.ols("y ~ x + d", frame).fit(cov_type=cov_type),
        "WLS": lambda: ts.wls("y ~ x + d", frame, weights=frame["w"]).fit(cov_type=cov_type),
        "GLM": lambda: ts.glm("count ~ x + d", frame, family=ts.families.Poisson()).fit(
            cov_type=cov_type
        ),
        "Poisson": lambda: ts.poisson("count ~ x + d", frame).fit(cov_type=cov_type),
        "Logit": lambda: ts.logit("binary ~ x + d", frame).fit(cov_type=cov_type),
    }


@pytest.mark.parametrize("model", ["OLS", "WLS", "GLM", "Poisson", "Logit"])
@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_hc2_hc3_are_nan_and_name_the_observation(frame, model, cov_type):
    with pytest.warns(LeverageWarning, match=rf"observation '{ROW}' has leverage one.*{cov_type}"):
        res = _fits(frame, cov_type)[model]()
    assert np.isnan(np.asarray(res.bse)).all()
    assert np.isfinite(np.asarray(res.params)).all()


@pytest.mark.parametrize("model", ["OLS", "WLS", "GLM", "Poisson", "Logit"])
def test_hc0_and_hc1_are_defined(frame, model, recwarn):
    res = _fits(frame, "HC1")[model]()
    assert np.isfinite(np.asarray(res.bse)).all()
    assert not [w for w in recwarn if issubclass(w.category, LeverageWarning)]


def test_statsmodels_reports_a_finite_number(frame):
    """What the warning replaces (statsmodels 0.14/0.15)."""
    theirs = smf.ols("y ~ x + d", frame).fit(cov_type="HC3")
    assert np.isfinite(theirs.bse).all()


def test_positions_name_the_observation_of_array_input(frame):
    X = np.column_stack([np.ones(len(frame)), frame["x"], frame["d"]])
    position = int(np.flatnonzero(frame["d"].to_numpy())[0])
    with pytest.warns(LeverageWarning, match=rf"observation {position} has leverage one"):
        res = ts.OLS(frame["y"].to_numpy(), X).fit(cov_type="HC3")
    assert np.isnan(res.bse).all()


def test_batched_regressions_name_group_and_row(frame):
    with pytest.warns(LeverageWarning, match=rf"'{ROW}' \(group '(a|b)'\).*HC3"):
        res = ts.BatchedOLS.from_formula("y ~ x + d", frame, groups="g").fit(cov_type="HC3")
    group = frame.loc[ROW, "g"]
    other = "b" if group == "a" else "a"
    assert res.bse.loc[group].isna().all()
    # the other group has no such row (its d column is zero: rank deficient, not NaN)
    assert res.bse.loc[other, ["Intercept", "x"]].notna().all()


def test_streamed_fit(frame):
    chunks = [frame.iloc[i : i + 13] for i in range(0, len(frame), 13)]
    position = frame.index.get_loc(ROW)
    where = rf"\(chunk {position // 13}, row {position % 13}\)"
    with pytest.warns(LeverageWarning, match=rf"observation {where} has leverage one.*HC2"):
        res = ts.ols("y ~ x + d", chunks).fit(cov_type="HC2")
    assert np.isnan(np.asarray(res.bse)).all()


DELETION = [
    "resid_studentized_internal",
    "resid_studentized_external",
    "resid_press",
    "dffits",
    "cooks_distance",
]


@pytest.mark.parametrize("name", DELETION)
def test_influence_measures_are_inf_or_nan_like_statsmodels(frame, name):
    ours = ts.ols("y ~ x + d", frame).fit().get_influence()
    theirs = smf.ols("y ~ x + d", frame).fit().get_influence()
    with pytest.warns(LeverageWarning, match=rf"'{ROW}' has leverage one.*no leave-one-out fit"):
        values = getattr(ours, name)
    values = pd.Series(np.asarray(values[0] if isinstance(values, tuple) else values), frame.index)
    assert not np.isfinite(values[ROW])
    expected = getattr(theirs, name)
    expected = pd.Series(np.asarray(expected[0] if isinstance(expected, tuple) else expected))
    expected.index = frame.index
    others = frame.index != ROW
    np.testing.assert_allclose(values[others], expected[others], rtol=1e-8)
    assert ours.hat_matrix_diag[frame.index.get_loc(ROW)] == 1.0


def test_glm_influence(frame):
    res = ts.glm("count ~ x + d", frame, family=ts.families.Poisson()).fit()
    with pytest.warns(LeverageWarning, match=rf"'{ROW}' has leverage one"):
        cooks = res.get_influence().cooks_distance[0]
    assert not np.isfinite(cooks[frame.index.get_loc(ROW)])
    with pytest.warns(LeverageWarning, match=ROW):
        rstandard = res.rstandard()
    assert not np.isfinite(np.asarray(rstandard)[frame.index.get_loc(ROW)])


def test_no_warning_without_such_an_observation(frame, recwarn):
    res = ts.ols("y ~ x", frame).fit(cov_type="HC3")
    _ = res.get_influence().cooks_distance
    assert np.isfinite(np.asarray(res.bse)).all()
    assert not [w for w in recwarn if issubclass(w.category, LeverageWarning)]
    assert torch.is_tensor(res.fit_result.params)
