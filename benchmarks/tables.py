"""Regression tables of already fitted models: ts.etable against pyfixest's etable, and
ts.summary_col against statsmodels' summary_col, best of ``--repeat`` runs.

The fits are made once (not timed); each column times building the table and rendering
it: ``type="df"`` for both etables (pyfixest's DataFrame), text for both summary_cols.
Columns: models, coefficients per model, ts.etable, pyfixest etable, the ratio,
ts.summary_col, statsmodels summary_col, the ratio.

    python benchmarks/tables.py --models 2 8 --levels 5 40
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import pandas as pd
import pyfixest as pf
import statsmodels.formula.api as smf
from statsmodels.iolib.summary2 import summary_col as sm_summary_col

import torchstats as ts


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def make_data(levels: int) -> pd.DataFrame:
    data = pf.get_data(N=2000, seed=0).dropna()
    data["g"] = (data["f1"] % levels).astype(int)
    return data


def row(data: pd.DataFrame, n_models: int, repeat: int) -> str:
    """One line of the table: the fits of ``n_models`` formulas, then the timed tables."""
    formulas = ["Y ~ X1 + X2 + C(g)" if i % 2 else "Y ~ X1 * X2 + C(g)" for i in range(n_models)]
    ours = [ts.ols(f, data).fit() for f in formulas]
    theirs = [pf.feols(f, data, vcov="iid") for f in formulas]
    reference = [smf.ols(f, data).fit() for f in formulas]
    ts_etable = best(lambda: ts.etable(ours, type="df"), repeat)
    pf_etable = best(lambda: pf.etable(theirs, type="df"), repeat)
    ts_col = best(lambda: ts.summary_col(ours).as_text(), repeat)
    sm_col = best(lambda: sm_summary_col(reference).as_text(), repeat)
    return (
        f"{n_models:>6} {len(ours[0].params):>5} {ts_etable * 1e3:>8.1f}ms"
        f" {pf_etable * 1e3:>8.1f}ms {pf_etable / ts_etable:>6.1f}"
        f" {ts_col * 1e3:>13.1f}ms {sm_col * 1e3:>13.1f}ms {sm_col / ts_col:>6.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--levels", type=int, nargs="+", default=[5, 30])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # pyfixest's pandas deprecation warnings
    print(
        f"{'models':>6} {'coefs':>5} {'ts.etable':>10} {'pf.etable':>10} {'ratio':>6}"
        f" {'ts.summary_col':>15} {'sm.summary_col':>15} {'ratio':>6}"
    )
    for levels in args.levels:
        data = make_data(levels)
        for n_models in args.models:
            print(row(data, n_models, args.repeat))


if __name__ == "__main__":
    main()
