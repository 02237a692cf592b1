"""The influence classes' plot_influence and plot_index draw what statsmodels' draw, for
OLS (pandas labels), a binomial GLM, a Logit and a negative binomial (no leverage)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

plt = pytest.importorskip("matplotlib.pyplot", reason="the influence plots need matplotlib")
sm = pytest.importorskip("statsmodels.api")

import torchstats as ts  # noqa: E402
from tests.conftest import make_frame  # noqa: E402
from tests.graphics.plot_data import assert_same_plot  # noqa: E402
from torchstats.errors import SpecificationWarning  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _data():
    frame = make_frame(11, n=40)
    X = sm.add_constant(frame[["x1", "x2"]])
    binary = pd.Series((frame["y"] > frame["y"].median()).astype(float), name="high")
    counts = pd.Series(np.round(np.exp(frame["x1"] / 2 + 1)), index=frame.index, name="n")
    return frame, X, binary, counts


FRAME, X, BINARY, COUNTS = _data()


def _fits(kind):
    if kind == "ols":
        return sm.OLS(FRAME["y"], X).fit(), ts.OLS(FRAME["y"], X).fit()
    if kind == "glm":
        return (
            sm.GLM(BINARY, X, family=sm.families.Binomial()).fit(),
            ts.GLM(BINARY, X, family=ts.families.Binomial()).fit(),
        )
    return sm.Logit(BINARY, X).fit(disp=0), ts.Logit(BINARY, X).fit(disp=0)


KINDS = ["ols", "glm", "logit"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "kwargs", [{}, {"alpha": 0.4, "size": 20, "plot_alpha": 0.5}], ids=["default", "options"]
)
def test_plot_influence(kind, kwargs):
    expected, actual = (fit.get_influence().plot_influence(**kwargs) for fit in _fits(kind))
    assert_same_plot(expected, actual)


def test_plot_influence_dffits_external():
    expected, actual = (
        fit.get_influence().plot_influence(external=True, criterion="dffits")
        for fit in _fits("ols")
    )
    assert_same_plot(expected, actual)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"y_var": "hat", "threshold": 0.1},
        {"y_var": "resid_studentized", "threshold": 1.5, "title": "T"},
        {"y_var": "dfbeta", "idx": 2, "threshold": 0.3},
        {"y_var": "resid", "threshold": 1.0},
    ],
    ids=["cooks", "hat", "resid", "dfbeta", "attribute"],
)
def test_plot_index(kind, kwargs):
    expected, actual = (fit.get_influence().plot_index(**kwargs) for fit in _fits(kind))
    assert_same_plot(expected, actual)


def test_unknown_criterion():
    with pytest.raises(ValueError, match="Criterion size not understood"):
        _fits("glm")[1].get_influence().plot_influence(criterion="size")


def test_without_leverage_plots_pearson_residuals():
    # statsmodels 0.15 fails here (its NegativeBinomial lacks _deriv_score_obs_dendog); the
    # fallback it means to draw is the exog hat matrix against the Pearson residuals
    rng = np.random.default_rng(2)
    counts = pd.Series(rng.negative_binomial(2, 2 / (2 + np.exp(1 + FRAME["x1"]))), name="n")
    fit = ts.NegativeBinomial(counts.to_numpy(), X.to_numpy()).fit(disp=0)
    influence = fit.get_influence()
    with pytest.warns(UserWarning) as record:
        fig = influence.plot_influence()
    assert {type(w.message) for w in record} >= {SpecificationWarning}
    assert "Plot uses pearson residuals and exog hat matrix." in [str(w.message) for w in record]
    ax = fig.axes[0]
    points = np.asarray(ax.collections[0].get_offsets())
    np.testing.assert_allclose(points[:, 0], influence.hat_matrix_exog_diag, rtol=1e-12)
    np.testing.assert_allclose(points[:, 1], influence.resid, rtol=1e-12)
    assert ax.get_ylabel() == "Residuals"
