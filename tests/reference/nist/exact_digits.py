"""Digits the *exact* least-squares solution of the float64 NIST data achieves.

The CSV values (e.g. ``1.11111`` in Wampler2) and the powers ``x**d`` are rounded when stored
as float64, so even exact arithmetic on the stored design cannot reproduce every certified
digit. This script solves the normal equations in rational arithmetic (sympy) on exactly
the float64 design torchstats builds, and records the resulting LRE of params and standard
errors. The NIST tests use it to tell a solver's error from the data's.

Run from the repository root:  python tests/reference/nist/exact_digits.py
Versions used are written into the output file.
"""

from __future__ import annotations

import json
import platform
import sys
from fractions import Fraction
from pathlib import Path

import formulaic
import numpy as np
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nist_design import CERTIFIED, NAMES, formula, load, lre  # noqa: E402


def exact_fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, k = X.shape
    Xq = sympy.Matrix([[sympy.Rational(Fraction(float(v))) for v in row] for row in X])
    yq = sympy.Matrix([sympy.Rational(Fraction(float(v))) for v in y])
    gram = Xq.T * Xq
    params = gram.LUsolve(Xq.T * yq)
    resid = yq - Xq * params
    ssr = (resid.T * resid)[0]
    inverse = gram.inv()
    bse = [float(sympy.sqrt(inverse[i, i] * ssr / (n - k))) for i in range(k)]
    return np.array([float(v) for v in params]), np.array(bse)


def main() -> None:
    out = {
        "generated_by": "tests/reference/nist/exact_digits.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "formulaic": formulaic.__version__,
            "sympy": sympy.__version__,
        },
        "digits": {},
    }
    for name in NAMES:
        matrices = formulaic.model_matrix(formula(name), load(name))
        X = matrices.rhs.to_numpy(dtype=float)
        y = matrices.lhs.to_numpy(dtype=float)[:, 0]
        params, bse = exact_fit(X, y)
        entry = CERTIFIED[name]
        out["digits"][name] = {
            "params": round(lre(params, entry["params"]), 2),
            "bse": round(lre(bse, entry["std_errors"]), 2),
        }
        print(name, out["digits"][name], flush=True)
    path = Path(__file__).resolve().parent / "exact_digits.json"
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
