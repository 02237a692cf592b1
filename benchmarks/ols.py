"""OLS end to end: torchstats (CPU, and CUDA when present) against statsmodels and the BLAS limit.

For each size the script times, best of ``--repeat`` runs, in seconds:

- ``build``: formulaic's design build alone (``model_matrix``), and ``X'X``: one Gram
  product on the built design (numpy's ``X.T @ X``, a BLAS SYRK, the fastest available on
  the CPU) — together the *limit* a formula fit cannot beat by much;
- ``ts formula``: ``ols("y ~ x1 + ... + xk + C(g)", df).fit().bse`` end to end, and its ratio
  to the limit (target: at most 1.5);
- ``ts array``: ``OLS(y, X).fit().bse`` on a prebuilt numpy design;
- ``sm formula`` / ``sm array``: the same with statsmodels, and the speed-up of torchstats;
- with a GPU, ``cuda formula`` (data on the host, fit on the device) and ``cuda array``
  (design already on the device).

With ``--memory``, each torchstats / statsmodels formula fit also runs in a fresh process and
its peak resident memory above the data is reported in multiples of the design's size.

    python benchmarks/ols.py                          # 1e4 .. 1e6 rows, 20 columns
    python benchmarks/ols.py --rows 1000000 --cols 100 --repeat 3 --memory
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from formulaic import model_matrix

import torchstats as ts


def make_data(rows: int, cols: int, seed: int = 0) -> pd.DataFrame:
    """``cols`` standard-normal regressors, a 10-level factor ``g`` and a linear response."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, cols))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, cols + 1)])
    frame["g"] = rng.integers(0, 10, rows).astype(str)
    frame["y"] = X @ rng.standard_normal(cols) + rng.standard_normal(rows)
    return frame


def formula_for(cols: int) -> str:
    return "y ~ " + " + ".join(f"x{i}" for i in range(1, cols + 1)) + " + C(g)"


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
    formula = formula_for(cols)
    design = model_matrix(formula, frame).rhs.to_numpy(dtype=np.float64)
    X = np.column_stack([np.ones(rows), frame[[f"x{i}" for i in range(1, cols + 1)]].to_numpy()])
    y = frame["y"].to_numpy()
    row: dict[str, object] = {"rows": rows, "cols": cols}
    row["build"] = best_time(lambda: model_matrix(formula, frame), repeat)
    row["X'X"] = best_time(lambda: design.T @ design, repeat)  # numpy: BLAS SYRK
    row["ts formula"] = best_time(lambda: ts.ols(formula, frame).fit().bse, repeat)
    row["ts/limit"] = row["ts formula"] / (row["build"] + row["X'X"])
    row["ts array"] = best_time(lambda: ts.OLS(y, X).fit().bse, repeat)
    if torch.cuda.is_available():
        _ = ts.OLS(y, X, device="cuda").fit().bse  # warm-up: CUDA context, cuSOLVER handles
        row["cuda formula"] = best_time(
            lambda: ts.ols(formula, frame, device="cuda").fit().bse, repeat
        )
        Xd, yd = torch.tensor(X, device="cuda"), torch.tensor(y, device="cuda")
        row["cuda array"] = best_time(lambda: ts.OLS(yd, Xd).fit().bse, repeat)
    if rows <= max_sm_rows:
        import statsmodels.api as sm
        import statsmodels.formula.api as smf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row["sm formula"] = best_time(lambda: smf.ols(formula, frame).fit().bse, repeat)
            row["sm array"] = best_time(lambda: sm.OLS(y, X).fit().bse, repeat)
        row["sm/ts formula"] = row["sm formula"] / row["ts formula"]
        row["sm/ts array"] = row["sm array"] / row["ts array"]
    return row


_MEMORY_PROBE = """
import gc, json, os, sys, threading, time, warnings
sys.path.insert(0, {here!r})
from ols import formula_for, make_data

def rss():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

import statsmodels.formula.api as smf
import torchstats as ts
frame = make_data({rows}, {cols})
gc.collect()
base = rss()
peak = [base]
done = threading.Event()

def poll():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.002)

watcher = threading.Thread(target=poll)
watcher.start()
if {library!r} == "torchstats":
    result = ts.ols(formula_for({cols}), frame).fit()
    result.bse
else:
    warnings.simplefilter("ignore")
    result = smf.ols(formula_for({cols}), frame).fit()
    result.bse
done.set()
watcher.join()
print(json.dumps({{"extra": max(peak[0], rss()) - base}}))
"""


def peak_memory(rows: int, cols: int, library: str) -> float:
    """Peak resident memory of one formula fit above the data, in multiples of the design.

    A fresh process builds the data, then a thread samples its resident set every 2 ms
    during the fit (``/proc/self/statm``, Linux only). The design has ``cols + 10`` columns
    (the regressors, the intercept and nine dummies).
    """
    here = str(Path(__file__).resolve().parent)
    code = _MEMORY_PROBE.format(here=here, rows=rows, cols=cols, library=library)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    extra = json.loads(done.stdout.strip().splitlines()[-1])["extra"]
    return extra / (rows * (cols + 10) * 8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-statsmodels-rows", type=int, default=1_000_000)
    parser.add_argument("--memory", action="store_true", help="measure peak memory (subprocesses)")
    parser.add_argument("--csv", default=None, help="also write the table to this CSV file")
    args = parser.parse_args()
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, GPU: {device}")
    rows = []
    for n in args.rows:
        row = time_row(n, args.cols, args.repeat, args.max_statsmodels_rows)
        if args.memory:
            row["ts peak/design"] = peak_memory(n, args.cols, "torchstats")
            if n <= args.max_statsmodels_rows:
                row["sm peak/design"] = peak_memory(n, args.cols, "statsmodels")
        rows.append(row)
    table = pd.DataFrame(rows).set_index(["rows", "cols"])
    if args.csv:
        table.to_csv(args.csv)
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 250):
        print(table.to_string())


if __name__ == "__main__":
    main()
