"""The R reference cases of ``make_reference.R``: the same GLMs fitted by torchstats.

R's formulas ``cbind(s, f) ~ g + x1 + g:x1`` and ``y ~ g + x1 + log(x2)`` are written here
as ``s + f ~ C(g) + x1 + C(g):x1`` and ``y ~ C(g) + x1 + np.log(x2)``: the same columns in
the same order. R's prior ``weights`` are torchstats' ``var_weights``; the offset is
``log(expo)``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd

import torchstats as ts

HERE = Path(__file__).parent
NAMES = [
    "binomial_counts",
    "binomial_probit",
    "poisson_offset",
    "gamma_log_weights",
    "gaussian_weights",
]


@functools.cache
def data() -> pd.DataFrame:
    return pd.read_csv(HERE / "data.csv")


@functools.cache
def reference() -> dict:
    return json.loads((HERE / "reference.json").read_text())


def _spec(name: str):
    frame = data()
    links = ts.families.links
    return {
        "binomial_counts": (ts.families.Binomial(), "s + f", "C(g) + x1 + C(g):x1", {}),
        "binomial_probit": (
            ts.families.Binomial(links.Probit()),
            "yb",
            "C(g) + x1 + np.log(x2)",
            {},
        ),
        "poisson_offset": (
            ts.families.Poisson(),
            "yc",
            "C(g) + x1 + C(g):x1",
            {"offset": np.log(frame["expo"])},
        ),
        "gamma_log_weights": (
            ts.families.Gamma(links.Log()),
            "ypos",
            "C(g) + x1 + np.log(x2)",
            {"var_weights": frame["w"]},
        ),
        "gaussian_weights": (
            ts.families.Gaussian(),
            "ycont",
            "C(g) + x1 + np.log(x2)",
            {"var_weights": frame["w"]},
        ),
    }[name]


# Fisher scoring converges linearly for non-canonical links; a tight tolerance brings the
# fits to R's polished estimates (probit stalls at a score of ~1e-10: params ~1e-9 apart).
# Tighter than 1e-13 the larger deviances only oscillate at rounding.
FIT_TOL = {"binomial_probit": 1e-15}


@functools.cache
def fits(name: str):
    """(small ``~ x1``, middle ``~ g + x1``, full) fits of case ``name``."""
    family, response, rhs, kwds = _spec(name)
    out = []
    for terms in ("x1", "C(g) + x1", rhs):
        model = ts.glm(f"{response} ~ {terms}", data(), family=family, **kwds)
        out.append(model.fit(tol=FIT_TOL.get(name, 1e-13), maxiter=300))
    return tuple(out)


def r_table(entry: dict) -> pd.DataFrame:
    """An R table from the JSON (``row`` holds R's row names)."""
    columns = {key: value for key, value in entry.items() if key != "row"}
    return pd.DataFrame(columns, dtype=float)
