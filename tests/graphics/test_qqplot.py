"""ts.qqplot and ts.graphics.qqline draw what statsmodels' draw (the residuals of the same
fit, every reference line, fitted and frozen distributions)."""

from __future__ import annotations

import pytest
import torch
from scipy import stats

plt = pytest.importorskip("matplotlib.pyplot", reason="qqplot needs matplotlib")
sm = pytest.importorskip("statsmodels.api")

import torchstats as ts  # noqa: E402
from tests.conftest import make_frame  # noqa: E402
from tests.graphics.plot_data import assert_same_plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def resids():
    frame = make_frame(8, n=50)
    X = sm.add_constant(frame[["x1", "x2"]])
    return sm.OLS(frame["y"], X).fit().resid, ts.OLS(frame["y"], X).fit().resid


@pytest.mark.parametrize("line", [None, "45", "s", "r", "q"])
def test_qqplot_lines(resids, line):
    assert_same_plot(sm.qqplot(resids[0], line=line), ts.qqplot(resids[1], line=line))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dist": stats.t, "fit": True, "line": "45"},
        {"dist": stats.t, "distargs": (4,), "loc": 0.5, "scale": 2.0, "a": 0.5},
        {"dist": stats.t(5, loc=0.1), "line": "q"},
        {"marker": "x", "color": "g", "line": "r"},
    ],
    ids=["fit", "distargs", "frozen", "style"],
)
def test_qqplot_options(resids, kwargs):
    # the fit of the t distribution is the same scipy call on the same numbers
    assert_same_plot(sm.qqplot(resids[0], **kwargs), ts.qqplot(resids[1], **kwargs))


def test_qqplot_takes_tensors(resids):
    values = torch.as_tensor(resids[1].to_numpy())
    assert_same_plot(sm.qqplot(resids[0], line="s"), ts.graphics.qqplot(values, line="s"))


def test_qqline_formats(resids):
    expected, actual = sm.qqplot(resids[0]), ts.qqplot(resids[1])
    for module, fig in ((sm, expected), (ts, actual)):
        ax = fig.axes[0]
        x, y = ax.lines[0].get_xdata(), ax.lines[0].get_ydata()
        module.qqline(ax, "r", x=x, y=y, fmt="k--")
        module.qqline(ax, "q", x=x, y=y, dist=stats.norm, fmt="g:o")
    assert_same_plot(expected, actual)


def test_bad_input(resids):
    with pytest.raises(ValueError, match="option for line not understood"):
        ts.qqplot(resids[1], line="z")
    with pytest.raises(ValueError, match="Frozen distributions cannot be combined"):
        ts.qqplot(resids[1], dist=stats.norm(), fit=True)
    ax = ts.qqplot(resids[1]).axes[0]
    with pytest.raises(ValueError, match="x and y cannot be None"):
        ts.graphics.qqline(ax, "s")


def test_statsmodels_import_paths():
    """``sm.graphics.gofplots.qqplot``, ``statsmodels.graphics.regressionplots`` and
    ``statsmodels.graphics.api`` have torchstats counterparts (scripts import them)."""
    import torchstats.graphics.api as smg
    from torchstats.graphics import gofplots, regressionplots

    assert gofplots.qqplot is ts.qqplot is smg.qqplot and gofplots.qqline is ts.qqline
    for name in regressionplots.__all__:
        assert getattr(regressionplots, name) is getattr(ts.graphics, name)
    assert set(smg.__all__) == set(ts.graphics.__all__)
