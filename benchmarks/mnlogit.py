"""MNLogit: torchstats (closed-form derivatives, and autograd for comparison) against statsmodels.

For each (rows, regressors, outcomes): the best of ``--repeat`` fits (``fit()`` and ``bse``)
of torchstats on the CPU (and CUDA when present), statsmodels' ``MNLogit``, and the largest
relative difference of ``params`` and ``bse``. ``--autograd`` also times torchstats with the
base contract's autograd score and Hessian in place of the closed forms.

    python benchmarks/mnlogit.py --rows 10000 100000 --k 10 --outcomes 5 --autograd
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import statsmodels.api as sm
import torch

import torchstats as ts
from torchstats.models.discrete import _DiscreteModel


class AutogradMNLogit(ts.MNLogit):
    """MNLogit with the base contract's autograd derivatives."""

    score = _DiscreteModel.score
    score_obs = _DiscreteModel.score_obs
    hessian = _DiscreteModel.hessian
    _internal_derivatives = _DiscreteModel._internal_derivatives


def make_data(n: int, k: int, outcomes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, k - 1))])
    coefficients = rng.normal(scale=0.3, size=(k, outcomes - 1))
    eta = np.column_stack([np.zeros(n), X @ coefficients])
    p = np.exp(eta - eta.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = (p.cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1)
    return X, y


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--outcomes", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--autograd", action="store_true")
    args = parser.parse_args()
    header = f"{'rows':>8} {'k':>3} {'J':>3} {'torchstats':>11} {'statsmodels':>12}"
    header += f" {'cuda':>8}" if torch.cuda.is_available() else ""
    header += f" {'autograd':>9}" if args.autograd else ""
    print(header + f" {'params diff':>12} {'bse diff':>9}")
    for n in args.rows:
        X, y = make_data(n, args.k, args.outcomes)
        ours = ts.MNLogit(y, X).fit()
        theirs = sm.MNLogit(y, X).fit(disp=0)
        line = f"{n:>8} {args.k:>3} {args.outcomes:>3}"
        line += f" {best(lambda: ts.MNLogit(y, X).fit().bse, args.repeat):>10.3f}s"
        line += f" {best(lambda: sm.MNLogit(y, X).fit(disp=0).bse, args.repeat):>11.3f}s"
        if torch.cuda.is_available():
            Xc, yc = torch.as_tensor(X, device="cuda"), torch.as_tensor(y, device="cuda")
            line += f" {best(lambda: ts.MNLogit(yc, Xc).fit().bse, args.repeat):>7.3f}s"
        if args.autograd:
            line += f" {best(lambda: AutogradMNLogit(y, X).fit().bse, 1):>8.3f}s"
        params_diff = np.max(np.abs(ours.params / theirs.params - 1))
        bse_diff = np.max(np.abs(ours.bse / theirs.bse - 1))
        print(line + f" {params_diff:>12.1e} {bse_diff:>9.1e}")


if __name__ == "__main__":
    main()
