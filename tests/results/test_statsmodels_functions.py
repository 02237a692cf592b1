"""statsmodels' own functions on torchstats results: its regression plots draw the same
figure data (compared artist by artist on the Agg backend), its ``OLSInfluence`` gives the
same measures, and its diagnostics that take arrays accept the models' arrays."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import matplotlib
import numpy as np
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import statsmodels.stats.diagnostic as smd
from statsmodels.graphics import regressionplots as rp
from statsmodels.stats.outliers_influence import OLSInfluence

import torchstats as ts
from tests.conftest import make_frame
from tests.parity import assert_matches

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FORMULAS = ["y ~ x1 + x2 + x3", "y ~ x1 + C(g) + np.log(x2)"]


def _fits(seed: int, source: str) -> tuple[Any, Any]:
    """A torchstats fit and the statsmodels fit of the same model and input."""
    frame = make_frame(seed, n=40)
    if source in FORMULAS:
        return ts.ols(source, frame).fit(), smf.ols(source, frame).fit()
    if source == "wls":
        formula = "y ~ x1 + C(h) + x3"
        return (
            ts.wls(formula, frame, weights=frame["w"]).fit(),
            smf.wls(formula, frame, weights=frame["w"]).fit(),
        )
    X = sm.add_constant(frame[["x1", "x2", "x3"]])
    if source == "pandas":
        return ts.OLS(frame["y"], X).fit(), sm.OLS(frame["y"], X).fit()
    y, X = frame["y"].to_numpy(), X.to_numpy()
    return ts.OLS(y, X).fit(), sm.OLS(y, X).fit()


def _artists(fig: Any) -> list[dict[str, Any]]:
    """What each Axes of a figure shows: lines, scatter points, segments, labels, texts."""
    axes = []
    for ax in fig.axes:
        collections = []
        for collection in ax.collections:
            if hasattr(collection, "get_segments"):
                collections.append(("segments", np.asarray(collection.get_segments(), float)))
            else:
                collections.append(("points", np.asarray(collection.get_offsets(), float)))
                collections.append(("sizes", np.asarray(collection.get_sizes(), float)))
        axes.append(
            {
                "labels": (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()),
                "lines": [
                    (np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float))
                    for line in ax.lines
                ],
                "collections": collections,
                "texts": sorted(
                    (text.get_text(), tuple(np.round(getattr(text, "xy", (0, 0)), 8)))
                    for text in ax.texts
                ),
                "legend": None
                if ax.get_legend() is None
                else [t.get_text() for t in ax.get_legend().get_texts()],
            }
        )
    return axes


def _assert_same_figure(ours: Any, theirs: Any) -> None:
    suptitle = [getattr(fig, "_suptitle", None) for fig in (ours, theirs)]
    assert [s.get_text() if s else None for s in suptitle][0] == (
        suptitle[1].get_text() if suptitle[1] else None
    )
    ours_axes, theirs_axes = _artists(ours), _artists(theirs)
    assert len(ours_axes) == len(theirs_axes)
    for mine, reference in zip(ours_axes, theirs_axes):
        assert mine["labels"] == reference["labels"]
        assert mine["legend"] == reference["legend"]
        assert [t[0] for t in mine["texts"]] == [t[0] for t in reference["texts"]]
        assert len(mine["lines"]) == len(reference["lines"])
        for (x, y), (x_ref, y_ref) in zip(mine["lines"], reference["lines"]):
            np.testing.assert_allclose(x, x_ref, rtol=1e-7, atol=1e-9)
            np.testing.assert_allclose(y, y_ref, rtol=1e-7, atol=1e-9)
        assert [kind for kind, _ in mine["collections"]] == [
            kind for kind, _ in reference["collections"]
        ]
        for (_, values), (_, expected) in zip(mine["collections"], reference["collections"]):
            np.testing.assert_allclose(values, expected, rtol=1e-7, atol=1e-9)


def _draw(plot: Callable[..., Any], results: Any, *args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' FutureWarnings about its own defaults
        return plot(results, *args)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


SOURCES = FORMULAS + ["numpy", "pandas"]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("plot", [rp.influence_plot, rp.plot_leverage_resid2], ids=repr)
def test_influence_plots_match_statsmodels(plot, source, seed):
    ours, theirs = _fits(seed, source)
    _assert_same_figure(_draw(plot, ours), _draw(plot, theirs))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("source", SOURCES + ["wls"])
@pytest.mark.parametrize(
    "plot", [rp.plot_fit, rp.plot_ccpr, rp.plot_regress_exog], ids=lambda f: f.__name__
)
def test_regressor_plots_match_statsmodels(plot, source, seed):
    ours, theirs = _fits(seed, source)
    for column in (1, ours.model.exog_names[1]):
        _assert_same_figure(_draw(plot, ours, column), _draw(plot, theirs, column))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("source", SOURCES + ["wls"])
@pytest.mark.parametrize("plot", [rp.plot_partregress_grid, rp.plot_ccpr_grid], ids=repr)
def test_grid_plots_match_statsmodels(plot, source, seed):
    ours, theirs = _fits(seed, source)
    _assert_same_figure(_draw(plot, ours), _draw(plot, theirs))


# --- statsmodels' OLSInfluence on torchstats results ------------------------------------------

INFLUENCE_MEASURES = [
    "hat_matrix_diag",
    "resid_studentized_internal",
    "resid_studentized_external",
    "dfbetas",
    "cov_ratio",
    "sigma2_not_obsi",
]


@pytest.mark.parametrize("source", SOURCES)
def test_statsmodels_olsinfluence_accepts_our_results(source):
    ours, theirs = _fits(0, source)
    mine, reference = OLSInfluence(ours), OLSInfluence(theirs)
    for name in INFLUENCE_MEASURES:
        assert_matches(getattr(mine, name), getattr(reference, name), rtol=1e-8, atol_scale=1e-12)
    assert_matches(mine.cooks_distance[0], reference.cooks_distance[0], rtol=1e-8)
    assert_matches(mine.summary_frame(), reference.summary_frame(), rtol=1e-8, atol_scale=1e-12)
    assert str(mine.summary_table()) == str(reference.summary_table())


@pytest.mark.parametrize("source", SOURCES)
def test_our_influence_equals_statsmodels_olsinfluence_of_our_results(source):
    ours, _ = _fits(1, source)
    mine, reference = ours.get_influence(), OLSInfluence(ours)
    for name in INFLUENCE_MEASURES + ["resid", "resid_press", "influence", "dffits"]:
        expected = getattr(reference, name)
        actual = getattr(mine, name)
        if isinstance(expected, tuple):
            actual, expected = actual[0], expected[0]
        np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-8)


def test_unwrapped_results_are_plain_arrays(frame):
    ours = ts.ols("y ~ x1 + C(g)", frame).fit()
    plain = ours._results
    assert isinstance(plain.params, np.ndarray) and isinstance(plain.resid, np.ndarray)
    assert isinstance(plain.cov_params(), np.ndarray)
    np.testing.assert_array_equal(plain.params, ours.params.to_numpy())
    assert plain._results is plain  # unwrapping twice changes nothing
    numpy_fit = ts.OLS(frame["y"].to_numpy(), ours.model.exog).fit()
    assert numpy_fit._results is numpy_fit


# --- statsmodels.stats.diagnostic ---------------------------------------------------------------


@pytest.mark.parametrize("source", FORMULAS + ["numpy"])
def test_array_diagnostics_accept_the_model_arrays(source):
    ours, theirs = _fits(2, source)
    for test in (smd.het_breuschpagan, smd.het_white, smd.linear_lm):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # White's squares of dummies are collinear
            mine = test(ours.resid, ours.model.exog)
            reference = test(theirs.resid, theirs.model.exog)
        np.testing.assert_allclose(
            np.asarray(mine[:2], float), np.asarray(reference[:2], float), rtol=1e-7
        )
    options = {"split": 0.5, "result_object": False}
    mine = smd.het_goldfeldquandt(ours.model.endog, ours.model.exog, **options)
    reference = smd.het_goldfeldquandt(theirs.model.endog, theirs.model.exog, **options)
    np.testing.assert_allclose(mine[:2], reference[:2], rtol=1e-9)


@pytest.mark.parametrize("source", FORMULAS)
def test_results_diagnostics_without_a_type_check(source):
    ours, theirs = _fits(2, source)
    mine = smd.acorr_breusch_godfrey(ours, nlags=2, result_object=False)
    reference = smd.acorr_breusch_godfrey(theirs, nlags=2, result_object=False)
    np.testing.assert_allclose(mine, reference, rtol=1e-8)


@pytest.mark.parametrize(
    "plot", [rp.plot_partial_residuals, rp.plot_added_variable, rp.plot_ceres_residuals], ids=repr
)
def test_plots_with_statsmodels_type_checks_refuse(plot):
    ours, _ = _fits(0, "numpy")
    with pytest.raises(ValueError, match="OLS"):
        _draw(plot, ours, 1)


def test_diagnostics_with_statsmodels_type_checks_point_to_ts_stats():
    """linear_reset & co. check ``isinstance(res, statsmodels RegressionResults)``: the
    torchstats versions in ``ts.stats`` give statsmodels' numbers instead."""
    ours, theirs = _fits(0, FORMULAS[0])
    with pytest.raises(TypeError):
        smd.linear_reset(ours)
    mine = ts.stats.linear_reset(ours, power=2, use_f=True)
    reference = smd.linear_reset(theirs, power=2, use_f=True)
    assert float(mine.fvalue) == pytest.approx(float(reference.fvalue), rel=1e-9)
