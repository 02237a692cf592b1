"""Plot a table written by ``ols.py --csv`` (needs matplotlib): time against rows, log-log.

    python benchmarks/ols.py --cols 100 --csv benchmarks/results/ols_cpu.csv
    python benchmarks/plot.py benchmarks/results/ols_cpu.csv docs/performance.png
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

LINES = {
    "sm formula": ("statsmodels, formula", "tab:red", "-"),
    "sm array": ("statsmodels, arrays", "tab:red", "--"),
    "ts formula": ("torchstats, formula", "tab:blue", "-"),
    "ts array": ("torchstats, arrays", "tab:blue", "--"),
    "cuda formula": ("torchstats CUDA, formula", "tab:green", "-"),
    "cuda array": ("torchstats CUDA, arrays", "tab:green", "--"),
}


def main(source: str, target: str) -> None:
    table = pd.read_csv(source)
    figure, axes = plt.subplots(figsize=(6, 4), dpi=120)
    for column, (label, color, style) in LINES.items():
        if column in table and table[column].notna().any():
            axes.plot(table["rows"], table[column], style, color=color, marker="o", label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("rows")
    axes.set_ylabel("seconds (fit + standard errors)")
    axes.set_title(f"OLS with {int(table['cols'].iloc[0])} regressors + a 10-level factor")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
