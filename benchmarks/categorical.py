"""A many-level factor: torchstats' sparse dummies against dense ones and statsmodels'.

``y ~ x1 + ... + x10 + C(firm)`` with ``--levels`` firms, end to end (formula, fit, ``bse``),
best of ``--repeat`` runs, for OLS and the likelihood models that keep the dummies sparse
(``--model``). statsmodels materialises and decomposes the dense dummy matrix; it is skipped
above ``--max-statsmodels-rows``. ``torchstats dense`` is the same fit with the sparse route
switched off (the thresholds of ``torchstats.formula.sparse`` raised).

    python benchmarks/categorical.py --rows 100000 1000000 --levels 1000
    python benchmarks/categorical.py --model logit poisson --rows 50000 --levels 400
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import torchstats as ts
import torchstats.formula.sparse as sparse_route

# model name -> (response column, torchstats formula function, statsmodels' name)
MODELS: dict[str, tuple[str, Callable[..., Any], str]] = {
    "ols": ("y", ts.ols, "ols"),
    "logit": ("yb", ts.logit, "logit"),
    "probit": ("yb", ts.probit, "probit"),
    "poisson": ("yc", ts.poisson, "poisson"),
    "negativebinomial": ("yc", ts.negativebinomial, "negativebinomial"),
    "glm-poisson": ("yc", lambda f, d: ts.glm(f, d, family=ts.families.Poisson()), "glm"),
}


def make_data(rows: int, levels: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.standard_normal((rows, 10)), columns=[f"x{i}" for i in range(1, 11)])
    frame["firm"] = rng.integers(0, levels, rows)
    eta = 0.3 * frame["x1"] + frame["firm"] / levels - 0.5
    frame["y"] = eta + rng.standard_normal(rows)
    frame["yb"] = (rng.uniform(size=rows) < 1 / (1 + np.exp(-eta))).astype(float)
    frame["yc"] = rng.poisson(np.exp(eta) * rng.gamma(2.0, 0.5, rows)).astype(float)
    return frame


def best(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def dense_route_fit(build: Callable[..., Any], formula: str, frame: pd.DataFrame) -> Any:
    saved = sparse_route._SPARSE_ABOVE_ENTRIES
    sparse_route._SPARSE_ABOVE_ENTRIES = 1 << 62
    try:
        model = build(formula, frame)
    finally:
        sparse_route._SPARSE_ABOVE_ENTRIES = saved
    return model.fit()


def statsmodels_fit(name: str, formula: str, frame: pd.DataFrame) -> Any:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    if name == "glm":
        return smf.glm(formula, frame, family=sm.families.Poisson()).fit()
    fit_options = {} if name == "ols" else {"disp": 0, "maxiter": 100}
    return getattr(smf, name)(formula, frame).fit(**fit_options)


def time_row(model: str, rows: int, levels: int, repeat: int, max_sm_rows: int) -> dict:
    response, build, sm_name = MODELS[model]
    formula = response + " ~ " + " + ".join(f"x{i}" for i in range(1, 11)) + " + C(firm)"
    frame = make_data(rows, levels)
    row: dict[str, Any] = {"model": model, "rows": rows, "levels": levels}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = build(formula, frame).fit()
        row["sparse route"] = type(ours.model.design.exog).__name__ == "BlockMatrix"
        row["torchstats"] = best(lambda: build(formula, frame).fit().bse, repeat)
        row["torchstats dense"] = best(lambda: dense_route_fit(build, formula, frame).bse, repeat)
        row["dense / sparse"] = row["torchstats dense"] / row["torchstats"]
        if rows <= max_sm_rows:
            row["statsmodels"] = best(lambda: statsmodels_fit(sm_name, formula, frame).bse, 1)
            theirs = statsmodels_fit(sm_name, formula, frame)
            row["speed-up"] = row["statsmodels"] / row["torchstats"]
            row["max |bse diff| / bse"] = float(np.max(np.abs(ours.bse / theirs.bse - 1)))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["ols"], choices=sorted(MODELS))
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--levels", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-statsmodels-rows", type=int, default=100_000)
    args = parser.parse_args()
    table = [
        time_row(model, n, args.levels, args.repeat, args.max_statsmodels_rows)
        for model in args.model
        for n in args.rows
    ]
    with pd.option_context("display.float_format", "{:.3g}".format, "display.width", 200):
        print(pd.DataFrame(table).set_index(["model", "rows", "levels"]).to_string())


if __name__ == "__main__":
    main()
