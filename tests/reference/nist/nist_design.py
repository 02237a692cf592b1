"""NIST StRD linear-regression data sets: loading, formulas and the LRE accuracy measure.

Shared by the NIST tests and by ``exact_digits.py``, which generates the reference file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "data" / "nist_strd"
CERTIFIED = json.loads((DATA / "certified.json").read_text())
NAMES = list(CERTIFIED)


def formula(name: str) -> str:
    """The NIST model as a formula over the CSV's columns."""
    entry = CERTIFIED[name]
    if name == "Longley":
        return "y ~ x1 + x2 + x3 + x4 + x5 + x6"
    powers = ["x"] + [f"I(x**{d})" for d in range(2, entry["degree"] + 1)]
    rhs = " + ".join(powers)
    return f"y ~ {rhs}" if entry["intercept"] else f"y ~ {rhs} - 1"


def load(name: str) -> pd.DataFrame:
    """The data set as floats."""
    return pd.read_csv(DATA / f"{name}.csv").astype(float)


def lre(estimate: object, certified: object) -> float:
    """Smallest log relative error over the vector (McCullough 1998), in [0, 15].

    ``-log10(|est - cert| / |cert|)``; ``-log10(|est|)`` where the certified value is 0.
    """
    est = np.asarray(estimate, dtype=float)
    cert = np.asarray(certified, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        digits = np.where(
            cert == 0, -np.log10(np.abs(est)), -np.log10(np.abs(est - cert) / np.abs(cert))
        )
    digits = np.nan_to_num(digits, nan=0.0, posinf=15.0)
    return float(np.clip(digits, 0.0, 15.0).min())
