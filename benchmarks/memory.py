"""Peak memory of fits, in memory and streamed from Parquet, at several row counts.

Each measurement runs in a fresh process: it builds (or opens) the data, then a thread
samples the resident set every 2 ms (``/proc/self/statm``, Linux only) while the model is
fitted and ``bse`` read. The figure is the peak above the resident set just before the fit.

- ``--in-memory``: ``ts.ols("y ~ x1 + ... + x10 + C(g)")`` with a 30-level ``g`` (a design
  of 40 columns) under ``cov_type="nonrobust"`` and ``"HC1"``, in multiples of the design
  (rows x 40 x 8 bytes). Robust covariances should add at most about 0.25 designs.
- ``--streamed``: the same data written to Parquet (row groups of 100 000 rows) and fitted
  by ``ts.ols``, ``ts.glm`` (Poisson) and ``ts.logit`` from the path, in MB: bounded by the
  batch size and the row group size, whatever the row count (compare two row counts).

Examples
--------
::

    python benchmarks/memory.py --in-memory --rows 1e6 3e6
    python benchmarks/memory.py --streamed --rows 1e6 4e6
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = 10
LEVELS = 30
FORMULA = "y ~ " + " + ".join(f"x{i}" for i in range(1, COLUMNS + 1)) + " + C(g)"

_PROBE = """
import gc, json, os, threading, time, warnings
import numpy as np, pandas as pd
import torchstats as ts
warnings.simplefilter("ignore")

def rss():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

source = {source!r}
if source.endswith(".parquet"):
    data = source
else:
    data = pd.read_pickle(source)
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
model = {model!r}
if model == "ols":
    result = ts.ols({formula!r}, data).fit(cov_type={cov_type!r})
elif model == "poisson":
    result = ts.glm({formula!r}.replace("y ~", "count ~"), data, family=ts.families.Poisson()).fit()
else:
    result = ts.logit({formula!r}.replace("y ~", "flag ~"), data).fit(disp=0)
result.bse
done.set()
watcher.join()
print(json.dumps({{"extra": max(peak[0], rss()) - base}}))
"""


def make_data(rows: int, seed: int = 0) -> pd.DataFrame:
    """Ten standard-normal regressors, a 30-level factor, a response, a count and a 0/1."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(1, COLUMNS + 1)})
    frame["g"] = rng.integers(0, LEVELS, rows)
    linear = 0.1 * frame[[f"x{i}" for i in range(1, COLUMNS + 1)]].sum(axis=1)
    frame["y"] = linear + rng.normal(size=rows)
    frame["count"] = rng.poisson(np.exp(0.2 * linear))
    frame["flag"] = (rng.random(rows) < 1 / (1 + np.exp(-linear))).astype(float)
    return frame


def peak(source: str, model: str, cov_type: str = "nonrobust") -> float:
    """Peak bytes above the resident set before the fit, in a fresh process."""
    code = _PROBE.format(source=source, model=model, formula=FORMULA, cov_type=cov_type)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["extra"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", default=["1e6", "3e6"])
    parser.add_argument("--in-memory", action="store_true")
    parser.add_argument("--streamed", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for text in args.rows:
            rows = int(float(text))
            frame = make_data(rows)
            design = rows * (COLUMNS + LEVELS) * 8
            if args.in_memory:
                pickle = str(Path(folder) / f"data{rows}.pkl")
                frame.to_pickle(pickle)
                for cov_type in ("nonrobust", "HC1", "HC3"):
                    extra = peak(pickle, "ols", cov_type)
                    print(
                        f"in memory  rows {rows:>9,}  OLS {cov_type:9}  peak above the data "
                        f"{extra / 1e6:8.0f} MB = {extra / design:5.2f} designs",
                        flush=True,
                    )
            if args.streamed:
                path = str(Path(folder) / f"data{rows}.parquet")
                frame.to_parquet(path, row_group_size=100_000)
                for model in ("ols", "poisson", "logit"):
                    extra = peak(path, model)
                    print(
                        f"streamed   rows {rows:>9,}  {model:8}   peak {extra / 1e6:8.0f} MB "
                        f"(the design would be {design / 1e6:,.0f} MB)",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
