"""Pickling, ``res.save`` and ``ts.load``: formula results keep ``predict`` and every
statistic (their namespace held modules, which pickle refuses)."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pandas as pd
import pytest

import torchstats as ts
from torchstats.errors import InvalidOptionError


def squared(x):  # a user function named in a formula: pickled by reference
    return x**2


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {"x": rng.uniform(1, 2, 80), "g": rng.choice(list("abc"), 80), "w": rng.uniform(1, 2, 80)}
    )
    data["y"] = 1 + data.x + rng.normal(size=80)
    data["c"] = rng.poisson(np.exp(0.3 * data.x))
    data["b"] = (rng.uniform(size=80) < 0.5) * 1.0
    return data


FITS = {
    "ols": lambda d: ts.ols("y ~ np.log(x) + C(g) + squared(x)", d).fit(),
    "wls": lambda d: ts.wls("y ~ x", d, weights=d.w).fit(cov_type="HC1"),
    "glm": lambda d: ts.glm("c ~ np.log(x)", d, family=ts.families.Poisson()).fit(),
    "logit": lambda d: ts.logit("b ~ x + C(g)", d).fit(disp=0),
    "negbin": lambda d: ts.negativebinomial("c ~ x", d).fit(disp=0),
    "fixed effects": lambda d: ts.poisson("c ~ x | g", d).fit(),
    "arrays": lambda d: ts.OLS(d.y.to_numpy(), np.column_stack([np.ones(len(d)), d.x])).fit(),
}


@pytest.mark.parametrize("name", list(FITS))
def test_pickled_results_predict_and_report_the_same(frame, name) -> None:
    res = FITS[name](frame)
    loaded = pickle.loads(pickle.dumps(res))
    np.testing.assert_array_equal(np.asarray(loaded.params), np.asarray(res.params))
    np.testing.assert_array_equal(np.asarray(loaded.bse), np.asarray(res.bse))
    if name != "arrays":
        new = frame.head(7)
        np.testing.assert_array_equal(np.asarray(loaded.predict(new)), np.asarray(res.predict(new)))
    assert _undated(loaded.summary()) == _undated(res.summary())


def _undated(summary: object) -> list[str]:
    return [
        line for line in str(summary).splitlines() if "Time:" not in line and "Date:" not in line
    ]


def test_save_and_load_paths_and_files(frame, tmp_path) -> None:
    res = FITS["ols"](frame)
    path = tmp_path / "ols.pickle"
    res.save(path)
    np.testing.assert_array_equal(ts.load(path).predict(frame), res.predict(frame))
    res.save(str(path))
    np.testing.assert_array_equal(ts.load(str(path)).bse, res.bse)
    buffer = io.BytesIO()
    res.save(buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(ts.load(buffer).params, res.params)
    with pytest.raises(InvalidOptionError, match="remove_data"):
        res.save(path, remove_data=True)


def test_the_pickle_keeps_only_the_names_the_formula_uses(frame) -> None:
    unrelated = np.zeros(1_000_000)  # noqa: F841 - in the caller's namespace, not the formula's
    res = ts.ols("y ~ np.log(x)", frame).fit()
    assert len(pickle.dumps(res)) < 2_000_000
