"""Fixed effects at scale: torchstats against pyfixest (and statsmodels' dummies), one run.

The setup is fixest's own benchmark (``_BENCHMARK`` in the fixest repository): ``n`` rows,
one regressor ``x1 ~ N(0, 1)``, and one to three fixed effects with ``n / 20``,
``sqrt(n)`` and ``n ** (1/3)`` levels drawn uniformly; ``y = x1 + effects + N(0, 1)``
(a count ``exp(...)`` for Poisson, a 0/1 draw for Logit). The *difficult* case makes the
demeaning converge slowly: 1e3 firms hold the ``n / 20`` workers in overlapping blocks, so
the worker and firm effects are nearly collinear.

Each cell is the best of ``--repeat`` runs after one warm-up (numba compiles pyfixest's
demeaning on its first call): ``pf.feols/fepois/feglm(...)`` against
``ts.ols/poisson/logit(...).fit()``, both from a formula on the same DataFrame, iid
standard errors, ratio = pyfixest / torchstats (above 1: torchstats is faster). statsmodels
with the effects as dummies runs where the dense dummies stay small (``--max-sm-cells``).
The largest relative difference of the coefficients is printed too (both solve the same
problem).

Examples
--------
::

    python benchmarks/fixed_effects.py --sizes 1e4 1e5 1e6         # OLS, 1-3 effects
    python benchmarks/fixed_effects.py --models ols poisson logit --sizes 1e5 1e6 1e7
    python benchmarks/fixed_effects.py --cases difficult --sizes 1e5 1e6
    python benchmarks/fixed_effects.py --memory 3e6                    # peak memory, OLS

``--memory`` runs each library in a fresh process on the OLS data with three effects and
prints the peak resident memory above the data during model building and fit (Linux: the
high-water mark ``VmHWM``, reset through ``/proc/self/clear_refs`` once the data is built).
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import torchstats as ts

EFFECTS = ("dum_1", "dum_2", "dum_3")


def simulate(n: int, case: str, model: str, seed: int = 0) -> pd.DataFrame:
    """fixest's benchmark data (``case="simple"``) or the slowly converging one."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    if case == "simple":
        levels = (max(n // 20, 2), int(np.sqrt(n)), int(round(n ** (1 / 3))))
        codes = [rng.integers(0, size, n) for size in levels]
    else:
        workers = max(n // 20, 2)
        worker = rng.integers(0, workers, n)
        firm = (worker * 1000 // workers + rng.integers(0, 30, n)) % 1000
        codes = [worker, firm, rng.integers(0, int(round(n ** (1 / 3))), n)]
    effects = sum(rng.normal(size=int(c.max()) + 1)[c] for c in codes)
    linear = x1 + 0.5 * effects / np.sqrt(3)
    if model == "poisson":
        y = rng.poisson(np.exp(0.3 * linear)).astype(float)
    elif model == "logit":
        y = (rng.random(n) < 1 / (1 + np.exp(-linear))).astype(float)
    else:
        y = linear + rng.normal(size=n)
    frame = pd.DataFrame({"y": y, "x1": x1})
    for name, column in zip(EFFECTS, codes, strict=True):
        frame[name] = column
    return frame


def _best(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    result = run()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def _torchstats(model: str, formula: str, data: pd.DataFrame) -> Callable[[], Any]:
    entry = {"ols": ts.ols, "poisson": ts.poisson, "logit": ts.logit}[model]
    return lambda: entry(formula, data).fit()


def _pyfixest(model: str, formula: str, data: pd.DataFrame) -> Callable[[], Any]:
    import pyfixest as pf

    if model == "ols":
        return lambda: pf.feols(formula, data, vcov="iid")
    if model == "poisson":
        return lambda: pf.fepois(formula, data, vcov="iid")
    return lambda: pf.feglm(formula, data, family="logit", vcov="iid")


def _statsmodels(model: str, formula: str, data: pd.DataFrame) -> Callable[[], Any]:
    import statsmodels.formula.api as smf

    lhs, rhs = formula.split("~")
    regressors, effects = rhs.split("|")
    dummies = " + ".join(f"C({name.strip()})" for name in effects.split("+"))
    dummy_formula = f"{lhs}~{regressors}+ {dummies}"
    if model == "ols":
        return lambda: smf.ols(dummy_formula, data).fit()
    family = smf.poisson if model == "poisson" else smf.logit
    return lambda: family(dummy_formula, data).fit(disp=0)


def _coefficient(result: Any) -> float:
    params = result.coef() if hasattr(result, "coef") and callable(result.coef) else result.params
    return float(params["x1"])


def _sweeps(result: Any) -> str:
    demeaning = result.model.demeaning
    return f"{demeaning.n_iter} sweeps, converged={demeaning.converged}"


def _resident(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _memory_child(library: str, n: int) -> None:
    """Print the data's bytes and the peak resident bytes above it of one OLS fit."""
    formula = "y ~ x1 | " + " + ".join(EFFECTS)
    make = _torchstats if library == "torchstats" else _pyfixest
    make("ols", formula, simulate(2000, "simple", "ols"))()  # imports, compilation
    data = simulate(n, "simple", "ols")
    fit = make("ols", formula, data)
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset the high-water mark
    base = _resident("VmRSS:")
    fit()
    print(int(data.memory_usage(index=False).sum()), _resident("VmHWM:") - base)


def _memory(sizes: list[str]) -> None:
    print(f"{'rows':>8} {'data':>9} {'pyfixest':>18} {'torchstats':>18}")
    for size in sizes:
        n = int(float(size))
        cells = []
        for library in ("pyfixest", "torchstats"):
            output = subprocess.run(
                [sys.executable, __file__, "--memory-child", library, str(n)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            data, peak = int(output[-2]), int(output[-1])
            cells.append(f"{peak / 1e6:7.0f} MB ({peak / data:4.1f}x)")
        print(f"{n:>8.0e} {data / 1e6:6.0f} MB {cells[0]:>18} {cells[1]:>18}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["1e4", "1e5", "1e6"])
    parser.add_argument("--models", nargs="+", default=["ols"], choices=["ols", "poisson", "logit"])
    parser.add_argument("--effects", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--cases", nargs="+", default=["simple"], choices=["simple", "difficult"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-sm-cells", type=float, default=2e7, help="rows x dummies")
    parser.add_argument("--memory", nargs="+", help="rows: peak memory of OLS, three effects")
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.memory_child:
        _memory_child(args.memory_child[0], int(args.memory_child[1]))
        return
    if args.memory:
        _memory(args.memory)
        return
    header = (
        f"{'model':8} {'case':9} {'rows':>8} {'FE':>3} {'pyfixest':>10} {'torchstats':>11} "
        f"{'ratio':>6} {'statsmodels':>12} {'max rel diff':>13}"
    )
    print(header)
    print("-" * len(header))
    for model in args.models:
        for case in args.cases:
            for size in args.sizes:
                n = int(float(size))
                data = simulate(n, case, model)
                for count in args.effects:
                    formula = "y ~ x1 | " + " + ".join(EFFECTS[:count])
                    ours_time, ours = _best(_torchstats(model, formula, data), args.repeat)
                    try:
                        theirs_time, theirs = _best(_pyfixest(model, formula, data), args.repeat)
                    except ValueError as error:  # pyfixest's demeaning did not converge
                        print(f"{model:8} {case:9} {n:>8.0e} {count:>3} pyfixest failed: {error}")
                        print(f"{'':22}torchstats {ours_time:.3f}s ({_sweeps(ours)})")
                        continue
                    cells = n * sum(int(data[name].max()) + 1 for name in EFFECTS[:count])
                    sm_text = "-"
                    if cells <= args.max_sm_cells:
                        sm_time, _ = _best(_statsmodels(model, formula, data), 1)
                        sm_text = f"{sm_time:11.3f}s"
                    difference = abs(_coefficient(ours) / _coefficient(theirs) - 1)
                    print(
                        f"{model:8} {case:9} {n:>8.0e} {count:>3} {theirs_time:9.3f}s "
                        f"{ours_time:10.3f}s {theirs_time / ours_time:6.2f} {sm_text:>12} "
                        f"{difference:13.1e}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
