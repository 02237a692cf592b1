"""OLS end to end: torchstats (CPU, and CUDA when present) against statsmodels.

Two paths are timed for each size:

- *formula*: ``ols("y ~ x1 + ... + xk + C(g)", df).fit()`` then ``.bse`` (design build included);
- *array*: ``OLS(y, X).fit()`` then ``.bse`` on a prebuilt numpy design.

Each cell is the best of ``--repeat`` runs, in seconds; ``ratio`` is statsmodels' time over
torchstats' (higher is better for torchstats). statsmodels is skipped above
``--max-statsmodels-rows`` (it needs minutes and several GB there).

    python benchmarks/ols.py                      # default sizes
    python benchmarks/ols.py --rows 100000 1000000 --cols 100 --repeat 3
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

import torchstats as ts


def make_data(rows: int, cols: int, seed: int = 0) -> pd.DataFrame:
    """``cols`` standard-normal regressors, a 10-level factor ``g`` and a linear response."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, cols))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, cols + 1)])
    frame["g"] = rng.integers(0, 10, rows).astype(str)
    frame["y"] = X @ rng.standard_normal(cols) + rng.standard_normal(rows)
    return frame


def best_time(run: Callable[[], object], repeat: int) -> float:
    """Smallest wall time of ``repeat`` calls (after synchronising CUDA)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def time_row(rows: int, cols: int, repeat: int, max_sm_rows: int) -> dict[str, object]:
    frame = make_data(rows, cols)
    formula = "y ~ " + " + ".join(f"x{i}" for i in range(1, cols + 1)) + " + C(g)"
    X = np.column_stack([np.ones(rows), frame[[f"x{i}" for i in range(1, cols + 1)]].to_numpy()])
    y = frame["y"].to_numpy()
    row: dict[str, object] = {"rows": rows, "cols": cols}
    row["ts formula"] = best_time(lambda: ts.ols(formula, frame).fit().bse, repeat)
    row["ts array"] = best_time(lambda: ts.OLS(y, X).fit().bse, repeat)
    if torch.cuda.is_available():
        ts.OLS(y, X, device="cuda").fit().bse  # warm-up: CUDA context, cuSOLVER handles
        row["ts cuda formula"] = best_time(
            lambda: ts.ols(formula, frame, device="cuda").fit().bse, repeat
        )
        Xd = torch.tensor(X, device="cuda")
        yd = torch.tensor(y, device="cuda")
        row["ts cuda array"] = best_time(lambda: ts.OLS(yd, Xd).fit().bse, repeat)
    if rows <= max_sm_rows:
        import statsmodels.api as sm
        import statsmodels.formula.api as smf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row["sm formula"] = best_time(lambda: smf.ols(formula, frame).fit().bse, repeat)
            row["sm array"] = best_time(lambda: sm.OLS(y, X).fit().bse, repeat)
        row["ratio formula"] = row["sm formula"] / row["ts formula"]
        row["ratio array"] = row["sm array"] / row["ts array"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-statsmodels-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"cuda {'yes: ' + torch.cuda.get_device_name() if torch.cuda.is_available() else 'no'}")
    rows = [time_row(n, args.cols, args.repeat, args.max_statsmodels_rows) for n in args.rows]
    table = pd.DataFrame(rows).set_index(["rows", "cols"])
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 200):
        print(table)


if __name__ == "__main__":
    main()
