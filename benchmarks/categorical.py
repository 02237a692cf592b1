"""A many-level factor: torchstats' sparse dummies against statsmodels' dense ones.

``y ~ x1 + ... + x10 + C(firm)`` with ``--levels`` firms, end to end (formula, fit, ``bse``),
best of ``--repeat`` runs. statsmodels materialises and decomposes the dense dummy matrix;
it is skipped above ``--max-statsmodels-rows``.

    python benchmarks/categorical.py --rows 100000 1000000 --levels 1000
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import torchstats as ts


def make_data(rows: int, levels: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.standard_normal((rows, 10)), columns=[f"x{i}" for i in range(1, 11)])
    frame["firm"] = rng.integers(0, levels, rows)
    frame["y"] = frame["x1"] + frame["firm"] / levels + rng.standard_normal(rows)
    return frame


def best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def time_row(rows: int, levels: int, formula: str, repeat: int, max_sm_rows: int) -> dict:
    frame = make_data(rows, levels)
    row: dict[str, float] = {"rows": rows, "levels": levels}
    row["torchstats"] = best(lambda: ts.ols(formula, frame).fit().bse, repeat)
    if rows <= max_sm_rows:
        import statsmodels.formula.api as smf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row["statsmodels"] = best(lambda: smf.ols(formula, frame).fit().bse, 1)
            ours = ts.ols(formula, frame).fit()
            theirs = smf.ols(formula, frame).fit()
        row["speed-up"] = row["statsmodels"] / row["torchstats"]
        row["max |bse diff| / bse"] = float(np.max(np.abs(ours.bse / theirs.bse - 1)))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--levels", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-statsmodels-rows", type=int, default=100_000)
    args = parser.parse_args()
    formula = "y ~ " + " + ".join(f"x{i}" for i in range(1, 11)) + " + C(firm)"
    rows = [
        time_row(n, args.levels, formula, args.repeat, args.max_statsmodels_rows) for n in args.rows
    ]
    with pd.option_context("display.float_format", "{:.3g}".format, "display.width", 200):
        print(pd.DataFrame(rows).set_index(["rows", "levels"]).to_string())


if __name__ == "__main__":
    main()
