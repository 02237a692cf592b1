"""Logistic and Poisson regression at scale: torchstats' IRLS GLM and its Newton Logit /
Poisson against statsmodels' GLM, Logit and Poisson, on arrays, fit + ``bse``, best of
``--repeat`` runs, and each fit against its limit.

Each IRLS iteration (and each Newton evaluation of the Hessian) is one weighted Gram product
``X' diag(w) X`` plus a few matrix-vector passes over the design, so a fit cannot take less
than (Gram products it made) x (one weighted Gram + one ``X v`` + one ``X' v``). The
``limit`` columns give that time, measured in the same process under the library's thread
policy, and ``/limit`` the fit's time over it (issue 13's target: at most 1.5). Columns:
rows, k, torchstats GLM and its Gram count, statsmodels GLM, the ratio; the discrete model
(Logit for binomial, Poisson for poisson) the same; the largest relative difference of
``bse`` against statsmodels.

    python benchmarks/glm.py --rows 100000 1000000 --k 50 --family binomial
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import statsmodels.api as sm
import torch

import torchstats as ts
from torchstats._threads import fit_threads
from torchstats.structured.blas import gram_matrix, matvec, rmatvec


def make_data(rows: int, k: int, family: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(rows), rng.standard_normal((rows, k - 1))])
    beta = rng.normal(scale=0.5 / np.sqrt(k), size=k)
    eta = X @ beta
    if family == "binomial":
        return X, (rng.random(rows) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, rng.poisson(np.exp(eta)).astype(float)


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def pass_limit(X: np.ndarray, repeat: int) -> float:
    """One weighted Gram product and one ``X v`` and ``X' v``, under the fit's thread count."""
    design = torch.from_numpy(X)
    weights = torch.rand(X.shape[0], dtype=design.dtype)
    vector = torch.ones(X.shape[1], dtype=design.dtype)
    with fit_threads(X.size):
        return best(
            lambda: (gram_matrix(design, weights), rmatvec(design, matvec(design, vector))),
            repeat,
        )


FAMILIES = {
    "binomial": (ts.families.Binomial, sm.families.Binomial, ts.Logit, sm.Logit, "logit"),
    "poisson": (ts.families.Poisson, sm.families.Poisson, ts.Poisson, sm.Poisson, "poisson"),
}


def time_row(rows: int, k: int, family: str, repeat: int, max_sm_rows: int) -> dict:
    X, y = make_data(rows, k, family)
    ours_family, theirs_family, ours_discrete, theirs_discrete, name = FAMILIES[family]
    row: dict[str, float] = {"rows": rows, "k": k}
    limit = pass_limit(X, repeat)
    glm = ts.GLM(y, X, family=ours_family()).fit()
    discrete = ours_discrete(y, X).fit(disp=0)
    row["glm_grams"] = glm.fit_history["iteration"]
    row[f"{name}_grams"] = len(discrete.mle_retvals["fit_history"]["llf"])
    row["ts_glm"] = best(lambda: ts.GLM(y, X, family=ours_family()).fit().bse, repeat)
    row["glm/limit"] = row["ts_glm"] / (row["glm_grams"] * limit)
    row[f"ts_{name}"] = best(lambda: ours_discrete(y, X).fit(disp=0).bse, repeat)
    row[f"{name}/limit"] = row[f"ts_{name}"] / (row[f"{name}_grams"] * limit)
    if torch.cuda.is_available():
        Xc, yc = torch.as_tensor(X, device="cuda"), torch.as_tensor(y, device="cuda")
        _ = ts.GLM(yc, Xc, family=ours_family()).fit().bse  # warm-up
        row["ts_glm_cuda"] = best(lambda: ts.GLM(yc, Xc, family=ours_family()).fit().bse, repeat)
    if rows <= max_sm_rows:
        row["sm_glm"] = best(lambda: sm.GLM(y, X, family=theirs_family()).fit().bse, 1)
        row["sm/ts glm"] = row["sm_glm"] / row["ts_glm"]
        row[f"sm_{name}"] = best(lambda: theirs_discrete(y, X).fit(disp=0).bse, 1)
        row[f"sm/ts {name}"] = row[f"sm_{name}"] / row[f"ts_{name}"]
        theirs = sm.GLM(y, X, family=theirs_family()).fit().bse
        row["max_rel_diff_bse"] = float(np.max(np.abs(np.asarray(glm.bse) - theirs) / theirs))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--k", type=int, nargs="+", default=[50])
    parser.add_argument("--family", choices=sorted(FAMILIES), default="binomial")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-statsmodels-rows", type=int, default=2_000_000)
    args = parser.parse_args()
    name = FAMILIES[args.family][4]
    columns = [
        "rows",
        "k",
        "ts_glm",
        "glm_grams",
        "glm/limit",
        "sm_glm",
        "sm/ts glm",
        f"ts_{name}",
        f"{name}_grams",
        f"{name}/limit",
        f"sm_{name}",
        f"sm/ts {name}",
        "ts_glm_cuda",
        "max_rel_diff_bse",
    ]
    print(
        f"family: {args.family}; torch threads {torch.get_num_threads()} "
        f"(fits choose their own: torchstats._threads)"
    )
    print(" | ".join(f"{c:>12}" for c in columns))
    for rows in args.rows:
        for k in args.k:
            row = time_row(rows, k, args.family, args.repeat, args.max_statsmodels_rows)
            print(" | ".join(f"{row.get(c, float('nan')):>12.4g}" for c in columns), flush=True)


if __name__ == "__main__":
    main()
