"""GPU roofline: torchstats fits against the device's own kernels and peak rates.

The targets of the performance issue, measured in one run on one device (data generated on
the device, so no host transfer is timed):

- ``X'X``: one GEMM on the design, with achieved FP64 TFLOP/s (``2 n k^2`` flops) and the
  device's peak; ``X v``: one matrix-vector pass, with achieved GB/s and the peak;
- OLS ``fit().bse`` at ``--rows`` x ``--cols`` (target: within 3x the ``X'X`` GEMM), and the
  robust covariances HC1, cluster and HAC, in passes-over-the-data equivalents, with the
  peak device memory in multiples of the design;
- NIST StRD digits of the default solver on the device (the fast path must keep them);
- Logit at ``--logit-rows`` x ``--logit-cols`` on the device, and against statsmodels on
  the CPU at ``--sm-rows`` (same numbers: largest relative difference of ``bse``);
- 100 000 regressions of 10 rows x 3 parameters in one batched call.

    python benchmarks/gpu.py                     # on a CUDA machine: 1e7 x 100, Logit 1e7 x 50
    python benchmarks/gpu.py --device cpu        # small sizes, to check the script itself
    python benchmarks/gpu.py --peak-tflops 67 --peak-gbs 4800   # peaks of an unlisted device
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import torchstats as ts

#: FP64 peak (TFLOP/s, tensor cores where they do FP64) and memory bandwidth (GB/s), from
#: the vendors' data sheets, by a substring of ``torch.cuda.get_device_name()``.
PEAKS = {
    "H200": (67.0, 4800.0),
    "H100 PCIe": (51.0, 2000.0),
    "H100": (67.0, 3350.0),
    "A100": (19.5, 2039.0),
    "V100": (7.8, 900.0),
}


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best(run: Callable[[], object], device: torch.device, repeat: int) -> float:
    """Smallest wall time of ``repeat`` calls after one warm-up call."""
    run()
    synchronize(device)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return min(times)


def peaks(device: torch.device, tflops: float | None, gbs: float | None) -> tuple:
    if device.type != "cuda":
        return tflops, gbs
    name = torch.cuda.get_device_name(device)
    for key, (peak_tflops, peak_gbs) in PEAKS.items():
        if key in name:
            return tflops or peak_tflops, gbs or peak_gbs
    return tflops, gbs


def regression_data(
    rows: int, cols: int, device: torch.device, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator(device=device).manual_seed(seed)
    X = torch.randn(rows, cols, dtype=torch.float64, device=device, generator=generator)
    X[:, 0] = 1.0
    beta = torch.randn(cols, dtype=torch.float64, device=device, generator=generator)
    noise = torch.randn(rows, dtype=torch.float64, device=device, generator=generator)
    return X @ beta + noise, X


def percent(value: float, peak: float | None) -> str:
    return f"{100 * value / peak:.1f}%" if peak else "—"


def row(*cells: object) -> None:
    """Print one row of a markdown table."""
    print("| " + " | ".join(str(cell) for cell in cells) + " |")


def ols_section(args: argparse.Namespace, device: torch.device, repeat: int) -> None:
    n, k = args.rows, args.cols
    y, X = regression_data(n, k, device)
    v = torch.ones(k, dtype=X.dtype, device=device)
    design_bytes = X.numel() * X.element_size()
    peak_tflops, peak_gbs = peaks(device, args.peak_tflops, args.peak_gbs)
    gemm = best(lambda: X.T @ X, device, repeat)
    gemv = best(lambda: X @ v, device, repeat)
    tflops, gbs = 2 * n * k * k / gemm / 1e12, design_bytes / gemv / 1e9
    print(f"\n## OLS at {n:.0e} x {k} on {device} (design {design_bytes / 2**30:.2f} GiB)\n")
    row("kernel", "seconds", "/ X'X", "rate", "of peak")
    row("---", "---", "---", "---", "---")
    row("X'X (GEMM)", f"{gemm:.4f}", "1.00", f"{tflops:.2f} TFLOP/s", percent(tflops, peak_tflops))
    row(
        "X v (one pass)",
        f"{gemv:.4f}",
        f"{gemv / gemm:.2f}",
        f"{gbs:.0f} GB/s",
        percent(gbs, peak_gbs),
    )
    model = ts.OLS(y, X)
    cases = [("fit + bse", None, None), ("HC1", "HC1", None)]
    codes = torch.arange(n, device=device) % 1000
    cases += [("cluster (1000)", "cluster", {"groups": codes})]
    cases += [("HAC (4 lags)", "HAC", {"maxlags": 4})]
    for label, cov_type, kwds in cases:
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
            base = torch.cuda.memory_allocated(device)

        def fit(cov_type: str | None = cov_type, kwds: dict | None = kwds) -> object:
            return model.fit(cov_type=cov_type or "nonrobust", cov_kwds=kwds).bse

        seconds = best(fit, device, repeat)
        memory = ""
        if device.type == "cuda":
            extra = torch.cuda.max_memory_allocated(device) - base
            memory = f", peak +{extra / design_bytes:.2f} designs"
        passes = f"{seconds / gemv:.1f} passes{memory}"
        row(label, f"{seconds:.4f}", f"{seconds / gemm:.2f}", passes, "")
    result = model.fit()
    print(f"\nsolver: {result.fit_result.message}")


def nist_section(device: torch.device) -> None:
    reference = Path(__file__).resolve().parents[1] / "tests" / "reference" / "nist"
    sys.path.insert(0, str(reference))
    from nist_design import CERTIFIED, NAMES, formula, load, lre

    print(f"\n## NIST StRD digits (params / bse) of the default solver on {device}\n")
    row("data set", "digits")
    row("---", "---")
    for name in NAMES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ts.ols(formula(name), load(name), device=device).fit()
        entry = CERTIFIED[name]
        params, bse = lre(res.params, entry["params"]), lre(res.bse, entry["std_errors"])
        row(name, f"{params:.1f} / {bse:.1f}")


def logit_data(rows: int, cols: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(rows), rng.standard_normal((rows, cols - 1))])
    eta = X @ rng.normal(scale=0.5 / np.sqrt(cols), size=cols)
    return (rng.random(rows) < 1 / (1 + np.exp(-eta))).astype(float), X


def logit_section(args: argparse.Namespace, device: torch.device, repeat: int) -> None:
    k = args.logit_cols
    print(f"\n## Logit, {k} columns\n")
    row("rows", f"torchstats, {device}", "statsmodels, CPU", "speed-up", "max rel diff bse")
    row("---", "---", "---", "---", "---")
    for rows in sorted({args.sm_rows, args.logit_rows}):
        y, X = logit_data(rows, k)
        yd, Xd = torch.as_tensor(y, device=device), torch.as_tensor(X, device=device)
        ours = best(lambda yd=yd, Xd=Xd: ts.Logit(yd, Xd).fit().bse, device, repeat)
        cells = [f"{rows:.0e}", f"{ours:.3f} s", "—", "—", "—"]
        if rows == args.sm_rows:
            import statsmodels.api as sm

            start = time.perf_counter()
            theirs = sm.Logit(y, X).fit(disp=0)
            seconds = time.perf_counter() - start
            bse = ts.Logit(yd, Xd).fit().bse
            diff = np.max(np.abs(np.asarray(bse) - theirs.bse) / theirs.bse)
            cells[2:] = [f"{seconds:.3f} s", f"{seconds / ours:.0f}×", f"{diff:.1e}"]
        row(*cells)


def batched_section(device: torch.device, repeat: int, groups: int) -> None:
    rows, k = 10, 3
    generator = torch.Generator(device=device).manual_seed(2)
    X = torch.randn(groups * rows, k, dtype=torch.float64, device=device, generator=generator)
    X[:, 0] = 1.0
    y = X.sum(dim=1) + torch.randn(groups * rows, dtype=torch.float64, device=device)
    codes = torch.arange(groups * rows, device=device) // rows
    seconds = best(lambda: ts.BatchedOLS(y, X, groups=codes).fit().bse, device, repeat)
    print(f"\n## {groups} regressions of {rows} rows x {k} in one call on {device}\n")
    print(f"{seconds * 1e3:.1f} ms ({seconds / groups * 1e6:.2f} µs per regression)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cuda = torch.cuda.is_available()
    parser.add_argument("--device", default="cuda" if cuda else "cpu")
    parser.add_argument("--rows", type=int, default=None, help="OLS rows (1e7; 1e5 on CPU)")
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--logit-rows", type=int, default=None, help="(1e7; 1e5 on CPU)")
    parser.add_argument("--logit-cols", type=int, default=50)
    parser.add_argument("--sm-rows", type=int, default=None, help="statsmodels Logit rows")
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peak-tflops", type=float, default=None)
    parser.add_argument("--peak-gbs", type=float, default=None)
    sections = ["ols", "nist", "logit", "batched"]
    parser.add_argument("--skip", nargs="*", default=[], choices=sections)
    args = parser.parse_args()
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    args.rows = args.rows or (10_000_000 if on_gpu else 100_000)
    args.logit_rows = args.logit_rows or (10_000_000 if on_gpu else 100_000)
    args.sm_rows = args.sm_rows or (1_000_000 if on_gpu else 20_000)
    name = torch.cuda.get_device_name(device) if on_gpu else "CPU"
    peak_tflops, peak_gbs = peaks(device, args.peak_tflops, args.peak_gbs)
    print(f"torch {torch.__version__}, {name}: peak {peak_tflops} TFLOP/s, {peak_gbs} GB/s")
    if "ols" not in args.skip:
        ols_section(args, device, args.repeat)
    if "nist" not in args.skip:
        nist_section(device)
    if "logit" not in args.skip:
        logit_section(args, device, args.repeat)
    if "batched" not in args.skip:
        batched_section(device, args.repeat, args.groups)


if __name__ == "__main__":
    main()
