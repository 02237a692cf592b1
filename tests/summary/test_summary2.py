"""summary2() and summary_col render exactly as statsmodels' (text, HTML, LaTeX, tables).

The date line is masked (it changes); for Newton-fitted discrete models the iteration count
is masked too, as torchstats' Newton iterations are its own (checked separately).
"""

from __future__ import annotations

import re

import numpy as np  # noqa: F401  (statsmodels looks np up in this namespace)
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.iolib.summary2 import summary_col as sm_summary_col

import torchstats as ts
from tests.conftest import make_frame

_DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
_ITERATIONS = re.compile(r"(No\. Iterations:(?:</td>)?\s+(?:&\s+|<td>)?)\d+\.0000")


def _mask(text: str) -> str:
    return _ITERATIONS.sub(r"\1N", _DATE.sub("<date>", text))


def _mask_frame(frame: pd.DataFrame, iterations: bool) -> pd.DataFrame:
    masked = frame.copy()
    for j, column in enumerate(masked.columns):
        if not pd.api.types.is_numeric_dtype(masked[column]):
            masked[column] = masked[column].map(lambda v: _mask(v) if isinstance(v, str) else v)
            if iterations and j + 1 < masked.shape[1]:
                masked.iloc[(masked[column] == "No. Iterations:").to_numpy(), j + 1] = "N"
    return masked


def assert_same_summary(ours, theirs, iterations: bool = False) -> None:
    for output in ("as_text", "as_html", "as_latex"):
        mine, reference = getattr(ours, output)(), getattr(theirs, output)()
        mine, reference = _DATE.sub("<date>", mine), _DATE.sub("<date>", reference)
        if iterations:
            mine, reference = _mask(mine), _mask(reference)
        assert mine == reference, output
    assert ours.title == theirs.title and ours.extra_txt == theirs.extra_txt
    assert len(ours.tables) == len(theirs.tables)
    for mine, reference in zip(ours.tables, theirs.tables):
        mine, reference = _mask_frame(mine, iterations), _mask_frame(reference, iterations)
        pd.testing.assert_frame_equal(mine, reference, check_exact=False, rtol=1e-8)


@pytest.fixture(params=[0, 1], scope="module")
def data(request: pytest.FixtureRequest) -> pd.DataFrame:
    frame = make_frame(request.param)
    rng = np.random.default_rng(request.param)
    frame["big"] = 1e4 * frame["x3"]
    frame["yb"] = (frame["y"] > frame["y"].median()).astype(float)
    frame["yc"] = rng.poisson(np.exp(0.3 * frame["x1"] + 0.2 * (frame["g"] == "b")))
    return frame


OLS_CASES = [
    ("y ~ x1 * C(g) + np.log(x2)", {}),
    ("y ~ x1 + x3 - 1", {}),
    ("y ~ x1 + x3", {"cov_type": "HC3"}),
    ("y ~ x1 + big", {}),  # the large-condition-number note
]


@pytest.mark.parametrize(("formula", "fit_kwargs"), OLS_CASES)
def test_ols_summary2_equals_statsmodels(data, formula, fit_kwargs) -> None:
    ours = ts.ols(formula, data).fit(**fit_kwargs).summary2()
    theirs = smf.ols(formula, data).fit(**fit_kwargs).summary2()
    assert_same_summary(ours, theirs)


def test_wls_and_options_equal_statsmodels(data) -> None:
    ours = ts.wls("y ~ x1 + C(h)", data, weights=data["w"]).fit()
    theirs = smf.wls("y ~ x1 + C(h)", data, weights=data["w"]).fit()
    assert_same_summary(ours.summary2(), theirs.summary2())
    options = {
        "yname": "response",
        "xname": ["a", "b", "c"],
        "title": "My model",
        "alpha": 0.1,
        "float_format": "%.2f",
    }
    assert_same_summary(ours.summary2(**options), theirs.summary2(**options))


def test_array_input_equals_statsmodels(data) -> None:
    X = sm.add_constant(data[["x1", "x3"]].to_numpy())
    y = data["y"].to_numpy()
    assert_same_summary(ts.OLS(y, X).fit().summary2(), sm.OLS(y, X).fit().summary2())


@pytest.mark.parametrize(
    ("formula", "ts_family", "sm_family"),
    [
        ("yc ~ x1 + C(g)", ts.families.Poisson(), sm.families.Poisson()),
        ("y ~ x1 + x3", ts.families.Gaussian(), sm.families.Gaussian()),
        ("yb ~ x1 + x3", ts.families.Binomial(), sm.families.Binomial()),
        (
            "x2 ~ x1",
            ts.families.Gamma(ts.families.links.Log()),
            sm.families.Gamma(sm.families.links.Log()),
        ),
    ],
)
def test_glm_summary2_equals_statsmodels(data, formula, ts_family, sm_family) -> None:
    ours = ts.glm(formula, data, family=ts_family).fit().summary2()
    theirs = smf.glm(formula, data, family=sm_family).fit().summary2()
    assert_same_summary(ours, theirs)


@pytest.mark.parametrize(
    ("ts_fit", "sm_fit"),
    [
        (
            lambda d: ts.logit("yb ~ x1 + x3", d).fit(disp=0),
            lambda d: smf.logit("yb ~ x1 + x3", d).fit(disp=0),
        ),
        (
            lambda d: ts.probit("yb ~ x1", d).fit(disp=0),
            lambda d: smf.probit("yb ~ x1", d).fit(disp=0),
        ),
        (
            lambda d: ts.poisson("yc ~ x1 + C(g)", d).fit(disp=0),
            lambda d: smf.poisson("yc ~ x1 + C(g)", d).fit(disp=0),
        ),
    ],
    ids=["logit", "probit", "poisson"],
)
def test_discrete_summary2_equals_statsmodels(data, ts_fit, sm_fit) -> None:
    ours, theirs = ts_fit(data), sm_fit(data)
    assert_same_summary(ours.summary2(), theirs.summary2(), iterations=True)
    row = ours.summary2().tables[0]
    iterations = row.iloc[:, 1][row.iloc[:, 0] == "No. Iterations:"].item()
    assert iterations == f"{ours.mle_retvals['iterations']:.4f}"


@pytest.fixture(scope="module")
def models() -> tuple[list, list, pd.DataFrame]:
    """Three OLS fits of one data set (summary_col is pandas work; one data set suffices)."""
    data = make_frame(5)
    data["yc"] = np.random.default_rng(5).poisson(np.exp(0.3 * data["x1"]))
    formulas = ["y ~ x1 + C(g)", "y ~ x1 + x3 + C(g)", "yc ~ x3 + x1"]
    ours = [ts.ols(f, data).fit() for f in formulas]
    theirs = [smf.ols(f, data).fit() for f in formulas]
    return ours, theirs, data


SUMMARY_COL_CASES = [
    {},
    {"stars": True},
    {"float_format": "%.2f", "model_names": ["A", "B", "A"]},
    {"info_dict": {"N": lambda x: f"{int(x.nobs):d}", "R2": lambda x: f"{x.rsquared:.2f}"}},
    {"info_dict": {"N": lambda x: f"{int(x.nobs):d}", "OLS": {"AIC": lambda x: f"{x.aic:.1f}"}}},
    {"regressor_order": ["x3", "x1"]},
    {"regressor_order": ["x3", "Intercept"], "drop_omitted": True},
    {"include_r2": False, "stars": True},
    {"fixed_effects": ["g"]},
]


@pytest.mark.parametrize("kwargs", SUMMARY_COL_CASES)
def test_summary_col_equals_statsmodels(models, kwargs) -> None:
    ours, theirs, _ = models
    assert_same_summary(ts.summary_col(ours, **kwargs), sm_summary_col(theirs, **kwargs))


def test_summary_col_single_and_mixed_models(models) -> None:
    ours, theirs, data = models
    assert_same_summary(ts.summary_col(ours[0]), sm_summary_col(theirs[0]))
    glm_ours = ts.glm("yc ~ x1", data, family=ts.families.Poisson()).fit()
    glm_theirs = smf.glm("yc ~ x1", data, family=sm.families.Poisson()).fit()
    assert_same_summary(
        ts.summary_col([ours[0], glm_ours], stars=True),
        sm_summary_col([theirs[0], glm_theirs], stars=True),
    )


def test_summary2_object() -> None:
    frame = make_frame(4)
    summary = ts.ols("y ~ x1", frame).fit().summary2()
    assert isinstance(summary, ts.summary.Summary2)
    assert all(isinstance(table, pd.DataFrame) for table in summary.tables)
    assert str(summary) == summary.as_text()
    assert summary._repr_html_() == summary.as_html()
    assert repr(summary).endswith(summary.as_text() + '\n"""')


def test_tensor_input_equals_statsmodels(data) -> None:
    import torch

    X = sm.add_constant(data[["x1", "x3"]].to_numpy())
    y = data["y"].to_numpy()
    ours = ts.OLS(torch.tensor(y), torch.tensor(X)).fit()
    assert_same_summary(ours.summary2(), sm.OLS(y, X).fit().summary2())
    assert_same_summary(ts.summary_col([ours]), sm_summary_col([sm.OLS(y, X).fit()]))
