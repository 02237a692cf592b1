"""Data sets and model pairs shared by the truncated and hurdle model tests.

* ``docvis``: statsmodels' Cameron-Trivedi doctor-visits data (``racd10data``), prepared as
  statsmodels' ``test_truncated_model.py`` does; statsmodels checks its truncated and hurdle
  models against R's ``pscl`` and Stata on it;
* ``randhie``: statsmodels' RAND health insurance data set (its truncated Poisson tests);
* random frames with categoricals, offsets, exposures and excess zeros.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm


@functools.cache
def docvis_frame() -> pd.DataFrame:
    """statsmodels' ``DATA`` of ``sandbox/regression/tests/test_gmm_poisson.py``."""
    path = Path(statsmodels.__file__).parent / "sandbox/regression/tests"
    frame = pd.read_csv(path / "racd10data_with_transformed.csv")
    keep = ~((frame["private"] == 1) & (frame["medicaid"] == 1)) & (frame["docvis"] <= 70)
    frame = frame[keep].copy()
    frame["const"] = 1.0
    return frame


@functools.cache
def randhie_arrays(k: int) -> tuple[np.ndarray, np.ndarray]:
    """``mdvis`` and the first ``k`` regressors with a constant appended (statsmodels' tests)."""
    data = sm.datasets.randhie.load()
    exog = sm.add_constant(np.asarray(data.exog)[:, :k], prepend=False)
    return np.asarray(data.endog, dtype=float), exog


@functools.cache
def count_frame(seed: int, n: int = 400) -> pd.DataFrame:
    """Regressors, an offset and an exposure; Poisson, NB and zero-heavy hurdle counts.

    The index is shuffled string labels so that tests see row labels survive.
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.uniform(0.5, 3.0, size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "off": rng.normal(scale=0.3, size=n),
            "expo": rng.uniform(0.5, 3.0, size=n),
        },
        index=[f"r{i}" for i in rng.permutation(n)],
    )
    effect = frame["g"].map({"a": 0.0, "b": 0.5, "c": -0.3}).to_numpy()
    eta = 0.4 + 0.5 * frame["x1"] - 0.3 * np.log(frame["x2"]) + effect
    mean = np.exp(eta + frame["off"] + np.log(frame["expo"]))
    frame["yp"] = rng.poisson(mean).astype(float)
    frame["yn"] = rng.negative_binomial(2.0, 2.0 / (2.0 + mean)).astype(float)
    clears = rng.random(n) < 1 / (1 + np.exp(-(0.3 + 0.8 * frame["x1"])))
    positive = rng.poisson(np.exp(eta))
    while (redraw := clears & (positive == 0)).any():  # zero-truncated draws
        positive[redraw] = rng.poisson(np.exp(eta[redraw]))
    frame["yh"] = np.where(clears, positive, 0).astype(float)
    return frame


def reference_fit(model: Any, *, polish_from: Any = None) -> Any:
    """statsmodels' own estimate to full precision: its Newton (numerical Hessian, analytic
    score) run to convergence, started at ``polish_from`` when its default start fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if polish_from is not None:
            return model.fit(start_params=np.asarray(polish_from), method="newton", disp=0)
        return model.fit(method="newton", maxiter=300, disp=0)
