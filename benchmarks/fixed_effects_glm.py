"""Poisson regression with two absorbed fixed effects: torchstats against pyfixest's
``fepois``, on one thread each, fit (+ ``bse``), best of ``--repeat`` runs.

Data: three regressors, effects with ``rows / 50`` and 100 levels. Columns: rows, the
seconds of each library at its default tolerances and at ``fixef_tol=1e-10``, their
ratios (pyfixest / torchstats), and the largest relative difference of the coefficients.

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 \\
        python benchmarks/fixed_effects_glm.py --rows 100000 1000000
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyfixest as pf
import torch

import torchstats as ts

FORMULA = "y ~ x1 + x2 + x3 | f1 + f2"


def make_data(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    levels = max(rows // 50, 2)
    f1, f2 = rng.integers(0, levels, rows), rng.integers(0, 100, rows)
    X = rng.normal(size=(rows, 3))
    eta = X @ [0.3, -0.2, 0.1] + 0.5 * rng.normal(size=levels)[f1] + 0.5 * rng.normal(size=100)[f2]
    frame = pd.DataFrame(X, columns=["x1", "x2", "x3"])
    frame["f1"], frame["f2"] = f1, f2
    frame["y"] = rng.poisson(np.exp(eta)).astype(float)
    return frame


def best(fit: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - start)
    return min(times), result


def timings(frame: pd.DataFrame, repeat: int) -> tuple[float, float, float, float, float]:
    """Seconds: torchstats and pyfixest at their defaults, both at fixef_tol=1e-10; and the
    largest relative difference of the coefficients at 1e-10."""
    t_ts, _ = best(lambda: ts.poisson(FORMULA, frame).fit().bse, repeat)
    t_pf, _ = best(lambda: pf.fepois(FORMULA, frame).se(), repeat)
    t_ts2, ours = best(lambda: ts.poisson(FORMULA, frame, fixef_tol=1e-10).fit(), repeat)
    t_pf2, theirs = best(lambda: pf.fepois(FORMULA, frame, fixef_tol=1e-10), repeat)
    diff = float(np.max(np.abs(np.asarray(ours.params) / theirs.coef().to_numpy() - 1)))
    return t_ts, t_pf, t_ts2, t_pf2, diff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    warm = make_data(2000)
    pf.fepois(FORMULA, warm)  # numba compilation
    ts.poisson(FORMULA, warm).fit()
    header = ["rows", "ts", "pf", "ratio", "ts_1e-10", "pf_1e-10", "ratio", "params"]
    print(" ".join(f"{name:>9}" for name in header))
    for rows in args.rows:
        t_ts, t_pf, t_ts2, t_pf2, diff = timings(make_data(rows), args.repeat)
        print(
            f"{rows:>9} {t_ts:>8.3f}s {t_pf:>8.3f}s {t_pf / t_ts:>9.2f} {t_ts2:>8.3f}s "
            f"{t_pf2:>8.3f}s {t_pf2 / t_ts2:>9.2f} {diff:>9.1e}",
            flush=True,
        )


if __name__ == "__main__":
    main()
