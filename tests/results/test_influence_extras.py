"""The influence members torchstats added for statsmodels parity: OLSInfluence's
summary_table/table_data, and MLE/GLM influence's cov_params, hessian, score_obs,
hat_matrix_exog_diag, resid_score and resid_score_factor, against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

sm = pytest.importorskip("statsmodels.api")

import torchstats as ts  # noqa: E402
from tests.conftest import make_frame  # noqa: E402
from torchstats.tables.table import SummaryTable  # noqa: E402

FRAME = make_frame(21, n=35)
X = sm.add_constant(FRAME[["x1", "x2", "x3"]])
BINARY = pd.Series((FRAME["y"] > FRAME["y"].median()).astype(float), name="high")


def _fits(kind):
    if kind == "glm-binomial":
        return (
            sm.GLM(BINARY, X, family=sm.families.Binomial()).fit(),
            ts.GLM(BINARY, X, family=ts.families.Binomial()).fit(),
        )
    if kind == "glm-gamma":  # non-canonical log link, estimated scale
        link = sm.families.links.Log()
        y = np.exp(FRAME["x1"] / 3) * FRAME["x2"]
        return (
            sm.GLM(y, X, family=sm.families.Gamma(link)).fit(),
            ts.GLM(y, X, family=ts.families.Gamma(ts.families.links.Log())).fit(),
        )
    if kind == "poisson":
        counts = pd.Series(np.round(np.exp(FRAME["x1"] / 2 + 1)), name="n")
        return sm.Poisson(counts, X).fit(disp=0), ts.Poisson(counts, X).fit(disp=0)
    return sm.Logit(BINARY, X).fit(disp=0), ts.Logit(BINARY, X).fit(disp=0)


KINDS = ["glm-binomial", "glm-gamma", "logit", "poisson"]


# --- OLSInfluence.summary_table -----------------------------------------------------------


@pytest.mark.parametrize("float_fmt", ["%6.3f", "%.8g"])
def test_summary_table_text(float_fmt):
    expected = sm.OLS(FRAME["y"], X).fit().get_influence()
    actual = ts.OLS(FRAME["y"], X).fit().get_influence()
    assert actual.table_data is None is expected.table_data  # until a table is made
    table = actual.summary_table(float_fmt)
    assert isinstance(table, SummaryTable)
    assert str(table) == str(expected.summary_table(float_fmt))
    assert table.data[:2] == [
        [
            "obs",
            "endog",
            "fitted",
            "Cook's",
            "student.",
            "hat diag",
            "dffits ",
            "ext.stud.",
            "dffits",
        ],
        ["", "", "value", "d", "residual", "", "internal", "residual", ""],
    ]
    assert isinstance(actual.table_data, np.ndarray) and actual.table_data.shape == (35, 9)
    np.testing.assert_allclose(actual.table_data, expected.table_data, rtol=1e-10, atol=1e-13)


def test_summary_table_of_tensor_input():
    y, Xt = torch.as_tensor(FRAME["y"].to_numpy()), torch.as_tensor(X.to_numpy())
    actual = ts.OLS(y, Xt).fit().get_influence()
    expected = sm.OLS(FRAME["y"].to_numpy(), X.to_numpy()).fit().get_influence()
    assert str(actual.summary_table()) == str(expected.summary_table())
    assert isinstance(actual.table_data, np.ndarray)


def test_table_data_is_set_by_summary_table():
    influence = ts.OLS(FRAME["y"], X).fit().get_influence()
    assert influence.table_data is None  # statsmodels: None until a table is made
    influence.summary_table()
    assert influence.table_data.shape == (35, 9)


# --- MLE and GLM influence -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["cov_params", "hessian", "score_obs", "hat_matrix_exog_diag"])
def test_attributes(kind, name):
    expected, actual = (fit.get_influence() for fit in _fits(kind))
    value = getattr(actual, name)
    assert isinstance(value, np.ndarray)
    np.testing.assert_allclose(value, np.asarray(getattr(expected, name)), rtol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"joint": False},
        {"studentize": True},
        {"joint": False, "studentize": True},
        {"index": np.array([1, 3])},
        {"joint": False, "index": np.array([0, 2]), "studentize": True},
    ],
    ids=["joint", "columns", "joint-student", "columns-student", "index", "index-columns"],
)
def test_resid_score(kind, kwargs):
    expected, actual = (fit.get_influence() for fit in _fits(kind))
    value = actual.resid_score(**kwargs)
    want = expected.resid_score(**kwargs)
    assert value.shape == want.shape
    np.testing.assert_allclose(value, want, rtol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_resid_score_factor(kind):
    expected, actual = (fit.get_influence() for fit in _fits(kind))
    np.testing.assert_allclose(
        actual.resid_score_factor(), expected.resid_score_factor(), rtol=1e-10
    )


def test_tensor_input_gives_tensors():
    y, Xt = torch.as_tensor(BINARY.to_numpy()), torch.as_tensor(X.to_numpy())
    influence = ts.Logit(y, Xt).fit(disp=0).get_influence()
    for value in (influence.cov_params, influence.hessian, influence.score_obs):
        assert isinstance(value, torch.Tensor)
    assert isinstance(influence.resid_score(joint=False), torch.Tensor)


def test_resid_score_needs_the_leverage_to_studentize():
    rng = np.random.default_rng(4)
    counts = rng.negative_binomial(2, 2 / (2 + np.exp(1 + FRAME["x1"].to_numpy())))
    influence = ts.NegativeBinomial(counts, X.to_numpy()).fit(disp=0).get_influence()
    with pytest.warns(UserWarning, match="hat matrix is not available"):
        with pytest.raises(ValueError, match="needs the generalized leverage"):
            influence.resid_score(studentize=True)
    assert influence.resid_score().shape == (35,)
