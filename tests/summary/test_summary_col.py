"""ts.summary_col prints what statsmodels' summary_col prints, line by line.

The same formulas are fitted by torchstats and by statsmodels (OLS, WLS, GLM, Logit,
Poisson) on several data sets; every option of statsmodels' signature is exercised on the
mixed list of results and on each kind of results alone. Text is compared line by line
(a failure names the line), HTML and LaTeX as whole strings, and ``.tables`` as frames.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.iolib.summary2 import summary_col as sm_summary_col

import torchstats as ts
from tests.conftest import make_frame

SEEDS = [0, 7, 11]

# (formula, torchstats fit, statsmodels fit) for each kind of results
KINDS: dict[str, tuple[Callable[[pd.DataFrame], Any], Callable[[pd.DataFrame], Any]]] = {
    "ols": (
        lambda d: ts.ols("y ~ x1 + x3 + C(g)", d).fit(),
        lambda d: smf.ols("y ~ x1 + x3 + C(g)", d).fit(),
    ),
    "ols_hc1": (
        lambda d: ts.ols("y ~ x1 + np.log(x2)", d).fit(cov_type="HC1"),
        lambda d: smf.ols("y ~ x1 + np.log(x2)", d).fit(cov_type="HC1"),
    ),
    "wls": (
        lambda d: ts.wls("y ~ x1 + C(h)", d, weights=d["w"]).fit(),
        lambda d: smf.wls("y ~ x1 + C(h)", d, weights=d["w"]).fit(),
    ),
    "glm": (
        lambda d: ts.glm("yc ~ x1 + C(g)", d, family=ts.families.Poisson()).fit(),
        lambda d: smf.glm("yc ~ x1 + C(g)", d, family=sm.families.Poisson()).fit(),
    ),
    "logit": (
        lambda d: ts.logit("yb ~ x1 + x3", d).fit(disp=0),
        lambda d: smf.logit("yb ~ x1 + x3", d).fit(disp=0),
    ),
    "poisson": (
        lambda d: ts.poisson("yc ~ x3 + x1", d).fit(disp=0),
        lambda d: smf.poisson("yc ~ x3 + x1", d).fit(disp=0),
    ),
}


def _data(seed: int) -> pd.DataFrame:
    frame = make_frame(seed)
    rng = np.random.default_rng(seed)
    frame["yb"] = (frame["y"] > frame["y"].median()).astype(float)
    frame["yc"] = rng.poisson(np.exp(0.2 + 0.3 * frame["x1"] + 0.2 * (frame["g"] == "b")))
    return frame


@pytest.fixture(params=SEEDS, scope="module", ids=lambda s: f"seed{s}")
def fits(request: pytest.FixtureRequest) -> dict[str, tuple[Any, Any]]:
    data = _data(request.param)
    return {kind: (ours(data), theirs(data)) for kind, (ours, theirs) in KINDS.items()}


def assert_same_output(ours: Any, theirs: Any) -> None:
    mine, reference = ours.as_text().splitlines(), theirs.as_text().splitlines()
    for number, (line, expected) in enumerate(zip(mine, reference)):
        assert line == expected, f"text line {number}"
    assert len(mine) == len(reference)
    assert ours.as_html() == theirs.as_html()
    assert ours.as_latex() == theirs.as_latex()
    assert len(ours.tables) == len(theirs.tables)
    for frame, expected_frame in zip(ours.tables, theirs.tables):
        pd.testing.assert_frame_equal(frame, expected_frame)


def _nobs(results: Any) -> str:
    return f"{int(results.nobs):d}"


OPTIONS: list[dict[str, Any]] = [
    {},
    {"float_format": "%.2f"},
    {"float_format": "%.6g", "stars": True},
    {"model_names": ["m1", "m2", "m3", "m4", "m5", "m6"]},
    {"model_names": ["A", "B", "A", "B", "C", "C"]},
    {"stars": True},
    {"info_dict": {"N": _nobs}},
    {"info_dict": {"N": _nobs, "Logit": {"LL": lambda r: f"{r.llf:.3f}"}}},
    {"info_dict": {"R2": lambda r: f"{r.rsquared:.3f}"}},  # missing on most: blank
    {"regressor_order": ["x1", "x3"]},
    {"regressor_order": ["x1", "Intercept"], "drop_omitted": True},
    {"include_r2": False},
    {"fixed_effects": ["g"]},
    {"fixed_effects": ["g", "h"], "fe_present": "x", "fe_absent": "-"},
]


def test_signature_is_statsmodels() -> None:
    def parameters(function: Callable[..., Any]) -> list[tuple[str, object, object]]:
        signature = inspect.signature(function)
        return [(p.name, p.kind, p.default) for p in signature.parameters.values()]

    assert parameters(ts.summary_col) == parameters(sm_summary_col)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "defaults")
def test_mixed_results_equal_statsmodels(fits, options) -> None:
    ours = [pair[0] for pair in fits.values()]
    theirs = [pair[1] for pair in fits.values()]
    assert_same_output(ts.summary_col(ours, **options), sm_summary_col(theirs, **options))


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(
    "options",
    [{}, {"stars": True, "float_format": "%.3f"}, {"info_dict": {"N": _nobs}}],
    ids=["defaults", "stars", "info"],
)
def test_each_kind_alone_equals_statsmodels(fits, kind, options) -> None:
    ours, theirs = fits[kind]
    assert_same_output(ts.summary_col(ours, **options), sm_summary_col(theirs, **options))
    assert_same_output(
        ts.summary_col([ours, ours], **options), sm_summary_col([theirs, theirs], **options)
    )


def test_torchstats_and_statsmodels_results_mix(fits) -> None:
    """A list mixing both libraries' results prints as statsmodels prints either list."""
    mixed = [fits["ols"][0], fits["logit"][1], fits["glm"][0]]
    reference = [fits["ols"][1], fits["logit"][1], fits["glm"][1]]
    assert_same_output(ts.summary_col(mixed, stars=True), sm_summary_col(reference, stars=True))
