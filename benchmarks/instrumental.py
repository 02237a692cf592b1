"""2SLS with absorbed fixed effects: torchstats against pyfixest (and linearmodels without
effects), in one run.

For each size: ``ts.ols("y ~ x1 + x2 | f1 + f2 | d ~ z1 + z2", df).fit(vcov=...)`` with
its standard errors, pyfixest's ``feols`` of the same formula, and (``--no-effects``)
linearmodels' ``IV2SLS`` of ``y ~ 1 + x1 + x2 + [d ~ z1 + z2]``; best of ``--repeat``
runs, the ratios to torchstats, and the largest relative differences of the coefficients
and standard errors.

    python benchmarks/instrumental.py --rows 10000 100000 1000000 --levels 1000 50
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

import torchstats as ts


def make_data(rows: int, levels: tuple[int, int], seed: int = 0) -> pd.DataFrame:
    """Two factors, two exogenous regressors, one endogenous regressor ``d`` correlated
    with the error, and two instruments."""
    rng = np.random.default_rng(seed)
    f1 = rng.integers(levels[0], size=rows)
    f2 = rng.integers(levels[1], size=rows)
    z = rng.standard_normal((rows, 2))
    x = rng.standard_normal((rows, 2))
    error = rng.standard_normal(rows)
    d = z @ [0.8, 0.4] + 0.5 * error + rng.standard_normal(rows) + 0.01 * f1
    y = 1.5 * d + x @ [0.3, -0.2] + 0.02 * f1 - 0.05 * f2 + error
    return pd.DataFrame(
        {
            "y": y,
            "d": d,
            "x1": x[:, 0],
            "x2": x[:, 1],
            "z1": z[:, 0],
            "z2": z[:, 1],
            "f1": f1,
            "f2": f2,
        }
    )


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def largest_difference(ours: pd.Series, theirs: pd.Series) -> float:
    return float(np.max(np.abs(ours.to_numpy() / theirs[ours.index].to_numpy() - 1)))


def time_row(rows: int, levels: tuple[int, int], repeat: int, effects: bool, vcov: object) -> str:
    import pyfixest as pf

    frame = make_data(rows, levels)
    formula = "y ~ x1 + x2 | f1 + f2 | d ~ z1 + z2" if effects else "y ~ x1 + x2 | d ~ z1 + z2"

    def ours() -> object:
        result = ts.ols(formula, frame).fit(vcov=vcov)
        _ = result.bse
        return result

    def theirs() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pf.feols(formula, frame, vcov=vcov, fixef_tol=1e-10)

    ours(), theirs()  # warm-up (numba's compilation in pyfixest)
    t_ours, t_pf = best(ours, repeat), best(theirs, repeat)
    a, b = ours(), theirs()
    line = (
        f"{rows:>9} {'yes' if effects else 'no':>7} {t_ours:>10.3f}s {t_pf:>10.3f}s "
        f"{t_pf / t_ours:>7.2f}x"
    )
    if not effects:
        from linearmodels.iv import IV2SLS

        model = IV2SLS.from_formula("y ~ 1 + x1 + x2 + [d ~ z1 + z2]", frame)
        t_lm = best(lambda: model.fit(cov_type="robust", debiased=True), repeat)
        line += f" {t_lm:>10.3f}s {t_lm / t_ours:>7.2f}x"
    else:
        line += f" {'-':>11} {'-':>8}"
    params = largest_difference(a.params, b.coef())  # type: ignore[attr-defined]
    bse = largest_difference(a.bse, b.se())  # type: ignore[attr-defined]
    return line + f" {params:>9.1e} {bse:>9.1e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--levels", type=int, nargs=2, default=[1000, 50])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--vcov", default="hetero", help="'iid', 'hetero' or a cluster column")
    args = parser.parse_args()
    vcov = args.vcov if args.vcov in ("iid", "hetero") else {"CRV1": args.vcov}
    print(f"vcov={vcov}, levels={args.levels}, best of {args.repeat}")
    print(
        f"{'rows':>9} {'effects':>7} {'torchstats':>11} {'pyfixest':>11} {'pf/ts':>8} "
        f"{'linearm.':>11} {'lm/ts':>8} {'d params':>9} {'d bse':>9}"
    )
    for rows in args.rows:
        for effects in (True, False):
            print(time_row(rows, tuple(args.levels), args.repeat, effects, vcov), flush=True)


if __name__ == "__main__":
    main()
