"""Count models' plot_probs (get_diagnostic()), drawn as statsmodels draws it."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="the plots need matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import statsmodels.api as sm  # noqa: E402

import torchstats as ts  # noqa: E402
from tests.graphics.plot_data import assert_same_plot  # noqa: E402


def _counts(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Overdispersed counts (a gamma-Poisson mixture, alpha 0.5): the negative binomial's
    maximum lies inside its domain."""
    rng = np.random.default_rng(seed)
    X = sm.add_constant(rng.normal(size=(400, 2)))
    mu = np.exp(0.4 + 0.5 * X[:, 1] - 0.3 * X[:, 2]) * rng.gamma(2.0, 0.5, size=400)
    return rng.poisson(mu).astype(float), X


@pytest.mark.parametrize("model", ["Poisson", "NegativeBinomial"])
@pytest.mark.parametrize("options", [{}, {"label": ["observed", "model"], "upp_xlim": 5}])
def test_plot_probs_matches_statsmodels(model, options):
    # statsmodels' notebooks call it; it raised AttributeError
    y, X = _counts(0)
    ours = getattr(ts, model)(y, X).fit(disp=0).get_diagnostic()
    # statsmodels' default fit of the negative binomial stops ~1e-5 short: its Newton to
    # the maximum (where torchstats' fit is)
    exact = {"method": "newton", "tol": 1e-12, "maxiter": 100} if model != "Poisson" else {}
    theirs = getattr(sm, model)(y, X).fit(disp=0, **exact).get_diagnostic()
    try:
        assert_same_plot(theirs.plot_probs(**options), ours.plot_probs(**options), rtol=1e-6)
    finally:
        plt.close("all")


def test_plot_probs_into_a_given_figure():
    y, X = _counts(1)
    fig = plt.figure()
    try:
        drawn = ts.Poisson(y, X).fit(disp=0).get_diagnostic(y_max=4).plot_probs(fig=fig)
        assert drawn is fig and len(fig.axes) == 3
        assert [ax.get_title() for ax in fig.axes] == [
            "probabilities",
            "cumulative probabilities",
            "PP-plot",
        ]
        assert len(fig.axes[0].lines[0].get_ydata()) == 5  # counts 0..y_max
    finally:
        plt.close("all")

