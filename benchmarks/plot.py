"""Plot a benchmark table (needs matplotlib).

A table written by ``ols.py --csv``: time against rows, log-log. A table written by
``sizes.py`` (``sizes`` first): the ratio statsmodels / torchstats against rows, one line per
model, one panel per input kind (arrays, formulas); above 1, torchstats is faster.

    python benchmarks/ols.py --cols 100 --csv benchmarks/results/ols_cpu.csv
    python benchmarks/plot.py benchmarks/results/ols_cpu.csv docs/performance.png
    python benchmarks/plot.py sizes benchmarks/results/sizes_idle.csv sizes_idle.png
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


def plot_sizes(source: str, target: str) -> None:
    """statsmodels / torchstats against rows per model, from ``sizes.py``'s CSV.

    A sweep's CSV holds several thread settings: the ``default`` one is drawn.
    """
    table = pd.read_csv(source, keep_default_na=False, na_values=[""])
    threads = table["threads"].astype(str)
    if threads.nunique() > 1:
        table = table[threads == "default"]
    inputs = [kind for kind in ("array", "formula") if kind in set(table["input"])]
    figure, panels = plt.subplots(
        1, len(inputs), figsize=(5.5 * len(inputs), 4.2), dpi=120, sharey=True, squeeze=False
    )
    markers = "osD^vP*Xh"
    for axes, kind in zip(panels[0], inputs):
        part = table[table["input"] == kind].dropna(subset=["sm_over_ts"])
        for index, (model, rows) in enumerate(part.groupby("model", sort=False)):
            rows = rows.sort_values("rows")
            axes.plot(
                rows["rows"], rows["sm_over_ts"], marker=markers[index % len(markers)], label=model
            )
        axes.axhline(1.0, color="black", linewidth=0.8)
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("rows")
        axes.set_title(f"{kind} input, condition {table['condition'].iloc[0]}")
        axes.grid(True, which="both", alpha=0.3)
    panels[0][0].set_ylabel("statsmodels time / torchstats time (fit + bse)")
    panels[0][-1].legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(target)


if __name__ == "__main__":
    if sys.argv[1] == "sizes":
        plot_sizes(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1], sys.argv[2])
