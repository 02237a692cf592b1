"""fit_regularized: torchstats against statsmodels, time and agreement.

For each (rows, regressors): the best of ``--repeat`` fits of OLS elastic net, a Poisson GLM
lasso and a Logit L1 fit (``method="l1"``) by both libraries, the largest absolute
difference of the coefficients and torchstats' largest KKT residual (``grad_norm``).

    python benchmarks/regularized.py --rows 1000 100000 --k 20
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import statsmodels.api as sm

import torchstats as ts


def make_data(n: int, k: int, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, k - 1))])
    beta = np.zeros(k)
    beta[: max(k // 4, 2)] = rng.normal(scale=0.5, size=max(k // 4, 2))
    eta = X @ beta
    return X, {
        "linear": eta + rng.standard_normal(n),
        "count": rng.poisson(np.exp(eta)).astype(float),
        "binary": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float),
    }


def _cases(
    X: np.ndarray, ys: dict[str, np.ndarray], n: int
) -> list[tuple[str, Callable[[object], object]]]:
    """The fits, each a function of the library (``ts`` or ``sm``)."""
    alpha_l1 = 0.02 * n  # the discrete L1 objective is not divided by n
    return [
        (
            "OLS elastic net",
            lambda m: m.OLS(ys["linear"], X).fit_regularized(alpha=0.05, L1_wt=0.5),
        ),
        (
            "GLM Poisson lasso",
            lambda m: m.GLM(ys["count"], X, family=m.families.Poisson()).fit_regularized(
                alpha=0.02
            ),
        ),
        ("Logit l1", lambda m: m.Logit(ys["binary"], X).fit_regularized(alpha=alpha_l1, disp=0)),
    ]


def best(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{'case':28s} {'rows':>8s} {'torchstats s':>13s} {'statsmodels s':>14s} "
        f"{'max |diff|':>11s} {'KKT resid':>10s}"
    )
    for n in args.rows:
        X, ys = make_data(n, args.k)
        cases = _cases(X, ys, n)
        for name, fit in cases:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ours_s, ours = best(lambda fit=fit: fit(ts), args.repeat)
                theirs_s, theirs = best(lambda fit=fit: fit(sm), args.repeat)
            diff = np.abs(np.asarray(ours.params) - np.asarray(theirs.params)).max()
            kkt = ours.fit_result.grad_norm
            print(f"{name:28s} {n:8d} {ours_s:13.4f} {theirs_s:14.4f} {diff:11.2e} {kkt:10.1e}")


if __name__ == "__main__":
    main()
