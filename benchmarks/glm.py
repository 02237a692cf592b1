"""Logistic and Poisson regression at scale: torchstats' IRLS (and Newton Logit) against
statsmodels, on arrays, fit + ``bse``, best of ``--repeat`` runs.

Each IRLS step is one weighted least-squares solve (for large ``n`` one Gram GEMM plus a
guarded Cholesky), so the cost is a few passes over the data per iteration. Columns: rows,
k, torchstats GLM (CPU; CUDA when present), torchstats Logit (Newton), statsmodels GLM, the
ratio, and the largest relative difference of ``bse``.

    python benchmarks/glm.py --rows 100000 1000000 --k 50
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import statsmodels.api as sm
import torch

import torchstats as ts


def make_data(rows: int, k: int, family: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(rows), rng.standard_normal((rows, k - 1))])
    beta = rng.normal(scale=0.5 / np.sqrt(k), size=k)
    eta = X @ beta
    if family == "binomial":
        return X, (rng.random(rows) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, rng.poisson(np.exp(eta)).astype(float)


def best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


FAMILIES = {
    "binomial": (ts.families.Binomial, sm.families.Binomial),
    "poisson": (ts.families.Poisson, sm.families.Poisson),
}


def time_row(rows: int, k: int, family: str, repeat: int, max_sm_rows: int) -> dict:
    X, y = make_data(rows, k, family)
    ours_family, theirs_family = FAMILIES[family]
    row: dict[str, float] = {"rows": rows, "k": k}
    row["ts_glm_cpu"] = best(lambda: ts.GLM(y, X, family=ours_family()).fit().bse, repeat)
    if family == "binomial":
        row["ts_logit_cpu"] = best(lambda: ts.Logit(y, X).fit().bse, repeat)
    if torch.cuda.is_available():
        Xc, yc = torch.as_tensor(X, device="cuda"), torch.as_tensor(y, device="cuda")
        ts.GLM(yc, Xc, family=ours_family()).fit().bse
        row["ts_glm_cuda"] = best(lambda: ts.GLM(yc, Xc, family=ours_family()).fit().bse, repeat)
    if rows <= max_sm_rows:
        row["statsmodels"] = best(lambda: sm.GLM(y, X, family=theirs_family()).fit().bse, 1)
        ours = ts.GLM(y, X, family=ours_family()).fit().bse
        theirs = sm.GLM(y, X, family=theirs_family()).fit().bse
        row["max_rel_diff_bse"] = float(np.max(np.abs(ours - theirs) / theirs))
        row["speedup"] = row["statsmodels"] / row["ts_glm_cpu"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--k", type=int, nargs="+", default=[50])
    parser.add_argument("--family", choices=sorted(FAMILIES), default="binomial")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-statsmodels-rows", type=int, default=2_000_000)
    args = parser.parse_args()
    columns = ["rows", "k", "ts_glm_cpu", "ts_logit_cpu", "ts_glm_cuda", "statsmodels",
               "speedup", "max_rel_diff_bse"]
    print(f"family: {args.family}")
    print(" | ".join(f"{c:>16}" for c in columns))
    for rows in args.rows:
        for k in args.k:
            row = time_row(rows, k, args.family, args.repeat, args.max_statsmodels_rows)
            print(" | ".join(f"{row.get(c, float('nan')):>16.4g}" for c in columns), flush=True)


if __name__ == "__main__":
    main()
