"""Correct digits (LRE) on the NIST StRD linear-regression suite: torchstats vs statsmodels.

Prints one row per data set: digits of params / standard errors for each torchstats method,
statsmodels' pinv and qr, and the exact solution of the float64-rounded data (the ceiling).

    python benchmarks/nist_accuracy.py
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import statsmodels.formula.api as smf

import torchstats as ts

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "reference" / "nist"
sys.path.insert(0, str(REFERENCE))
from nist_design import CERTIFIED, NAMES, formula, load, lre  # noqa: E402

METHODS = ["auto", "qr", "cholesky", "pinv", "gd"]


def digits(res: object, name: str) -> str:
    entry = CERTIFIED[name]
    return f"{lre(res.params, entry['params']):4.1f}/{lre(res.bse, entry['std_errors']):4.1f}"


def main() -> None:
    exact = json.loads((REFERENCE / "exact_digits.json").read_text())["digits"]
    header = ["data set"] + [f"ts {m}" for m in METHODS] + ["sm pinv", "sm qr", "exact"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name in NAMES:
        cells = [name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for method in METHODS:
                cells.append(digits(ts.ols(formula(name), load(name)).fit(method=method), name))
            for method in ("pinv", "qr"):
                cells.append(digits(smf.ols(formula(name), load(name)).fit(method=method), name))
        cells.append(f"{exact[name]['params']:4.1f}/{exact[name]['bse']:4.1f}")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
