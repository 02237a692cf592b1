"""Many small regressions: one batched call against a loop of single fits.

For each (groups, rows per group, k): torchstats' ``BatchedOLS`` on arrays (fit + ``bse``,
CPU, and CUDA when present), a loop of ``ts.OLS`` and a loop of statsmodels ``sm.OLS`` over
the groups (both timed on ``--loop-groups`` groups and extrapolated), and the largest
difference of ``bse`` between the batched and statsmodels fits on those groups.

    python benchmarks/batched_ols.py --groups 1000 10000 100000 --rows 10 100 --k 3 10
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import statsmodels.api as sm
import torch

import torchstats as ts


def make_data(groups: int, rows: int, k: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    n = groups * rows
    X = np.column_stack([np.ones(n), rng.standard_normal((n, k - 1))])
    beta = rng.standard_normal((groups, k))
    codes = np.repeat(np.arange(groups), rows)
    y = (X * beta[codes]).sum(axis=1) + rng.standard_normal(n)
    return X, y, codes


def best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def time_row(groups: int, rows: int, k: int, loop_groups: int, repeat: int) -> dict:
    X, y, codes = make_data(groups, rows, k)
    row: dict[str, float] = {"groups": groups, "rows": rows, "k": k}
    row["batched_cpu"] = best(lambda: ts.BatchedOLS(y, X, groups=codes).fit().bse, repeat)
    if torch.cuda.is_available():
        Xc, yc = torch.as_tensor(X, device="cuda"), torch.as_tensor(y, device="cuda")
        gc = torch.as_tensor(codes, device="cuda")
        ts.BatchedOLS(yc, Xc, groups=gc.cpu()).fit().bse  # warm-up
        row["batched_cuda"] = best(lambda: ts.BatchedOLS(yc, Xc, groups=gc.cpu()).fit().bse, repeat)
    subset = min(loop_groups, groups)
    slices = [slice(g * rows, (g + 1) * rows) for g in range(subset)]
    start = time.perf_counter()
    for s in slices:
        ts.OLS(y[s], X[s]).fit().bse
    row["loop_torchstats"] = (time.perf_counter() - start) * groups / subset
    start = time.perf_counter()
    theirs = [sm.OLS(y[s], X[s]).fit().bse for s in slices]
    row["loop_statsmodels"] = (time.perf_counter() - start) * groups / subset
    ours = ts.BatchedOLS(y, X, groups=codes).fit().bse[:subset]
    row["max_rel_diff_bse"] = float(np.max(np.abs(ours - np.array(theirs)) / np.array(theirs)))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--rows", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--k", type=int, nargs="+", default=[3, 10])
    parser.add_argument("--loop-groups", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-cells", type=float, default=2e7, help="skip groups*rows*k above")
    args = parser.parse_args()
    columns = ["groups", "rows", "k", "batched_cpu", "batched_cuda", "loop_torchstats",
               "loop_statsmodels", "speedup_vs_sm", "max_rel_diff_bse"]
    print(" | ".join(f"{c:>16}" for c in columns))
    for groups in args.groups:
        for rows in args.rows:
            for k in args.k:
                if groups * rows * k > args.max_cells:
                    continue
                row = time_row(groups, rows, k, args.loop_groups, args.repeat)
                row["speedup_vs_sm"] = row["loop_statsmodels"] / row["batched_cpu"]
                cells = [row.get(c, float("nan")) for c in columns]
                print(" | ".join(f"{v:>16.4g}" for v in cells), flush=True)


if __name__ == "__main__":
    main()
