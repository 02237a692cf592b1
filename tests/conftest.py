"""Shared fixtures: random data sets with categoricals, and the device table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

CUDA_SKIP = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")

DEVICES = [
    pytest.param("cpu", id="cpu"),
    pytest.param("cuda", id="cuda", marks=CUDA_SKIP),
]


def make_frame(seed: int, n: int = 120, *, with_missing: bool = False) -> pd.DataFrame:
    """A regression data set with numeric, categorical, boolean and weight columns.

    The response depends on all regressors so every coefficient is estimable; the index is
    shuffled string labels so tests can check that row labels survive.
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.uniform(0.5, 3.0, size=n),
            "x3": rng.normal(loc=2.0, scale=3.0, size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "h": rng.choice(["u", "v"], size=n),
            "k": rng.choice(["p", "q", "r", "s"], size=n),
            "flag": rng.random(n) > 0.5,
            "w": rng.uniform(0.2, 3.0, size=n),
        },
        index=[f"r{i}" for i in rng.permutation(n)],
    )
    effect = frame["g"].map({"a": 0.0, "b": 1.0, "c": -0.5}).to_numpy()
    frame["y"] = (
        1.0
        + 0.8 * frame["x1"]
        - 0.3 * np.log(frame["x2"])
        + 0.05 * frame["x3"] ** 2
        + effect
        + 0.4 * frame["x1"] * (frame["h"] == "v")
        + rng.normal(scale=1.0 + 0.2 * frame["x2"], size=n)
    )
    if with_missing:
        frame.loc[frame.index[[2, 9]], "x1"] = np.nan
        frame.loc[frame.index[5], "g"] = None
        frame.loc[frame.index[17], "y"] = np.nan
    return frame


@pytest.fixture(params=[0, 1, 2], ids=lambda s: f"data{s}")
def frame(request: pytest.FixtureRequest) -> pd.DataFrame:
    """Three random data sets."""
    return make_frame(request.param)


@pytest.fixture
def frame_with_missing() -> pd.DataFrame:
    """A data set with NaN/None in the response, a numeric and a categorical column."""
    return make_frame(7, with_missing=True)
