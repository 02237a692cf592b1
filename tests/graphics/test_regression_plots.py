"""ts.graphics draws what sm.graphics draws: the regression plots of an OLS fit (pandas
labels) and of a formula fit, compared mark by mark with statsmodels' plots of the same data."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

plt = pytest.importorskip("matplotlib.pyplot", reason="the graphics need matplotlib")
sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")

import torchstats as ts  # noqa: E402
from tests.conftest import make_frame  # noqa: E402
from tests.graphics.plot_data import assert_same_plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def frame():
    return make_frame(5, n=30)


@pytest.fixture(scope="module")
def fits(frame):
    X = sm.add_constant(frame[["x1", "x2", "x3"]])
    return sm.OLS(frame["y"], X).fit(), ts.OLS(frame["y"], X).fit()


@pytest.fixture(scope="module")
def formula_fits(frame):
    formula = "y ~ x1 + np.log(x2) + x3"
    return smf.ols(formula, frame).fit(), ts.ols(formula, frame).fit()


def _both(function, fits, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # statsmodels' plot_partregress
        return function(sm.graphics, fits[0], *args, **kwargs), function(
            ts.graphics, fits[1], *args, **kwargs
        )


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"criterion": "dffits"}, {"external": False, "alpha": 0.3, "size": 30}],
    ids=["cooks", "dffits", "internal"],
)
def test_influence_plot(fits, kwargs):
    expected, actual = _both(lambda g, r: g.influence_plot(r, **kwargs), fits)
    assert_same_plot(expected, actual)


def test_influence_plot_unknown_criterion(fits):
    with pytest.raises(ValueError, match="Criterion leverage not understood"):
        ts.graphics.influence_plot(fits[1], criterion="leverage")


@pytest.mark.parametrize("alpha", [0.05, 0.5])
def test_plot_leverage_resid2(fits, alpha):
    expected, actual = _both(lambda g, r: g.plot_leverage_resid2(r, alpha=alpha), fits)
    assert_same_plot(expected, actual)


@pytest.mark.parametrize("exog_idx", [1, "x3"])
def test_plot_fit(fits, exog_idx):
    expected, actual = _both(lambda g, r: g.plot_fit(r, exog_idx), fits)
    assert_same_plot(expected, actual)


def test_plot_fit_without_intervals(fits):
    y_true = np.linspace(0, 1, 30)
    expected, actual = _both(lambda g, r: g.plot_fit(r, 2, y_true=y_true, vlines=False), fits)
    assert_same_plot(expected, actual)


@pytest.mark.parametrize("which", ["fits", "formula_fits"])
def test_plot_regress_exog(request, which):
    fits = request.getfixturevalue(which)
    expected, actual = _both(lambda g, r: g.plot_regress_exog(r, "x1"), fits)
    assert_same_plot(expected, actual)


@pytest.mark.parametrize("which", ["fits", "formula_fits"])
def test_plot_partregress_grid(request, which):
    fits = request.getfixturevalue(which)
    expected, actual = _both(lambda g, r: g.plot_partregress_grid(r), fits)
    assert_same_plot(expected, actual)


def test_plot_partregress_grid_subset(fits):
    expected, actual = _both(lambda g, r: g.plot_partregress_grid(r, ["x1", "x3"], (1, 2)), fits)
    assert_same_plot(expected, actual)


@pytest.mark.parametrize("which", ["fits", "formula_fits"])
def test_plot_ccpr_grid(request, which):
    fits = request.getfixturevalue(which)
    expected, actual = _both(lambda g, r: g.plot_ccpr_grid(r), fits)
    assert_same_plot(expected, actual)


def test_plot_ccpr(fits):
    expected, actual = _both(lambda g, r: g.plot_ccpr(r, "x2"), fits)
    assert_same_plot(expected, actual)


def test_plot_partregress_arrays_and_labels(frame):
    X = sm.add_constant(frame[["x2", "x3"]])
    kwargs = {"ret_coords": True}
    expected = sm.graphics.plot_partregress(frame["y"], frame["x1"], X, **kwargs)
    actual = ts.graphics.plot_partregress(frame["y"], frame["x1"], X, **kwargs)
    assert_same_plot(expected.fig, actual.fig)
    for want, got in zip(expected.coords, actual.coords):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert [t.get_text() for t in actual.fig.axes[0].texts] == list(frame.index)


def test_plot_partregress_formula(frame):
    kwargs = {"data": frame, "obs_labels": False, "result_object": False}
    expected = sm.graphics.plot_partregress("y", "x1", ["x2", "np.log(x3 + 10)"], **kwargs)
    actual = ts.graphics.plot_partregress("y", "x1", ["x2", "np.log(x3 + 10)"], **kwargs)
    assert_same_plot(expected, actual)


def test_plot_partregress_warns_as_statsmodels(frame):
    X = sm.add_constant(frame[["x2"]])
    with pytest.warns(FutureWarning, match="result_object=True"):
        ts.graphics.plot_partregress(frame["y"], frame["x1"], X, obs_labels=False)
    with pytest.raises(ValueError, match="obs_labels does not match"):
        ts.graphics.plot_partregress(frame["y"], frame["x1"], X, obs_labels=[1, 2], ret_coords=True)


def test_abline_plot(fits):
    expected = sm.graphics.abline_plot(1.5, -2.0, color="k")
    actual = ts.graphics.abline_plot(1.5, -2.0, color="k")
    assert_same_plot(expected, actual)
    line = actual.axes[0].lines[0]
    actual.axes[0].set_xlim(-3, 4)  # the line follows the limits
    np.testing.assert_allclose(line.get_ydata(), [7.5, -6.5])
    with pytest.raises(ValueError, match="specify slope and intercepty or model_results"):
        ts.graphics.abline_plot(1.0)


def test_abline_plot_model_results(frame):
    X = sm.add_constant(frame[["x1"]])
    expected = sm.graphics.abline_plot(model_results=sm.OLS(frame["y"], X).fit())
    actual = ts.graphics.abline_plot(model_results=ts.OLS(frame["y"], X).fit())
    assert_same_plot(expected, actual)


def test_graphics_need_matplotlib(fits, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        ts.graphics.influence_plot(fits[1])
    with pytest.raises(ImportError, match="plot_index requires matplotlib"):
        fits[1].get_influence().plot_index()


def test_fits_from_tensors(frame):
    import torch

    X = sm.add_constant(frame[["x1", "x2"]])
    expected = sm.OLS(frame["y"].to_numpy(), X.to_numpy()).fit()
    actual = ts.OLS(torch.tensor(frame["y"].to_numpy()), torch.tensor(X.to_numpy())).fit()
    fits = (expected, actual)
    for draw in (
        lambda g, r: g.plot_regress_exog(r, 1),
        lambda g, r: g.plot_fit(r, "x2"),
        lambda g, r: g.influence_plot(r),
        lambda g, r: g.plot_leverage_resid2(r),
    ):
        assert_same_plot(*_both(draw, fits))


def test_matplotlib_is_imported_only_inside_functions():
    # matplotlib is a test-only dependency: no torchstats module imports it at import time
    import ast
    from pathlib import Path

    package = Path(ts.__file__).resolve().parent
    for path in package.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(name.startswith("matplotlib") for name in names), path
