"""Every model at every size: torchstats against statsmodels, fit + ``bse``, same data.

For each size ``rows x cols``, model and input kind, the script times ``fit()`` followed by
``.bse`` (so a result that computes lazily is charged what a user reading the standard
errors pays) in torchstats and in statsmodels, in the same process on the same data, and
prints one line per cell: both times, the ratio statsmodels / torchstats (above 1:
torchstats is faster) and the largest relative difference of ``bse`` (both computed the
same thing). The table is also written to ``benchmarks/results/sizes_<condition>.csv``.

Models (``--models``): ``ols``, ``wls``, ``glm-binomial``, ``glm-poisson``, ``glm-gamma``
(log link), ``logit``, ``probit``, ``poisson``, ``negbin`` (NB2). Inputs (``--inputs``):
``array`` (``ts.OLS(y, X)`` against ``sm.OLS(y, X)``) and ``formula``
(``ts.ols("y ~ x1 + ... + C(g)", df)`` against ``smf.ols(...)``). Both inputs describe the
same design of ``cols`` columns: an intercept, the three dummies of a 4-level factor ``g``
and ``cols - 4`` standard-normal regressors. Each library's default ``fit()`` is timed
(``disp=0`` for the discrete models; statsmodels' NegativeBinomial then fits by BFGS,
torchstats' by Newton, so their ``bse`` agree to the optimisers' tolerance only).

Sizes (``--sizes``): ``100x10 1000x10 1e4x20 1e5x20 1e6x50`` by default. Each cell is the
best of N runs after one warm-up run (which counts as the first run when it took 0.5 s or
more); N adapts so that a cell takes about ``--target-seconds`` (default 0.75), between
``--min-repeat`` 3 and ``--max-repeat`` 50, unless ``--repeat`` fixes it. statsmodels is
skipped above ``--max-sm-rows`` (default: never; it takes minutes at 1e6 x 50).

Conditions (``--condition``): ``idle`` measures with nothing else started; ``loaded``
starts a second process spinning a pure-Python loop on one core before the measurements
and stops it after (the two-core development machine then has one core to spare);
``both`` (default) runs idle, then loaded.

Threads: ``--threads default`` leaves torch's and the BLAS thread pools as they are;
``--threads N`` runs under ``torch.set_num_threads(N)`` (with ``TORCHSTATS_THREADS=max``, so
that torchstats' thread policy does not lower it) and N BLAS threads (threadpoolctl
when installed, otherwise the script re-executes itself with ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` set). ``--thread-sweep`` runs the table for
default, 1 and 2 threads (and the core count if larger), each in its own process, and
prints per cell torchstats' default time relative to the best setting (target: at most
1.10 everywhere). The CSV is then ``sizes_<condition>_sweep.csv`` with a ``threads`` column.
``--quick`` writes its CSVs to ``<tempdir>/torchstats-sizes/`` instead, away from results.

``--profile MODEL`` prints instead the cProfile breakdown (top 25 functions by cumulative
time) of repeated fits of MODEL at 100 x 10 (or the first ``--sizes``), to find fixed costs.

Examples
--------
::

    python benchmarks/sizes.py --quick                       # smoke check, a minute
    python benchmarks/sizes.py --condition idle              # the full table, idle machine
    python benchmarks/sizes.py --sizes 1e5x20 --models logit probit --inputs array
    python benchmarks/sizes.py --thread-sweep --condition idle --sizes 100x10 1e4x20
    python benchmarks/sizes.py --profile logit --inputs formula
    python benchmarks/plot.py sizes benchmarks/results/sizes_idle.csv sizes_idle.png
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import math
import multiprocessing
import os
import pstats
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import torch
from sizes_cases import (  # this folder: python puts the script's folder on sys.path
    INPUTS,
    LIBRARIES,
    MODELS,
    Repeats,
    Timing,
    make_design,
    make_fit,
    make_response,
    max_relative_difference,
    parse_size,
    time_cell,
)

RESULTS = Path(__file__).resolve().parent / "results"
QUICK_RESULTS = Path(tempfile.gettempdir()) / "torchstats-sizes"  # smoke checks: not results
SIZES = ["100x10", "1000x10", "1e4x20", "1e5x20", "1e6x50"]
QUICK_SIZES = ["50x6", "200x8"]
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
SWEEP_TOLERANCE = 1.10  # issue 13: the default thread setting within 10% of the best


# ----------------------------------------------------------------------------- the table

COLUMNS = (
    f"{'model':<13}{'input':<8}{'rows':>8}{'cols':>5}  {'torchstats':>10} {'runs':>4}"
    f"  {'statsmodels':>11} {'runs':>4}  {'sm/ts':>7}  {'bse diff':>8}  notes"
)


def format_seconds(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def format_row(row: dict[str, Any]) -> str:
    sm_time = "skipped" if row["sm_note"] == "skipped" else format_seconds(row["sm_seconds"])
    ratio, diff = row["sm_over_ts"], row["bse_diff"]
    notes = "; ".join(
        f"{who}: {row[key]}"
        for who, key in (("ts", "ts_note"), ("sm", "sm_note"))
        if row[key] and row[key] != "skipped"
    )
    return (
        f"{row['model']:<13}{row['input']:<8}{row['rows']:>8}{row['cols']:>5}"
        f"  {format_seconds(row['ts_seconds']):>10} {row['ts_runs']:>4}"
        f"  {sm_time:>11} {row['sm_runs']:>4}"
        f"  {'-' if math.isnan(ratio) else format(ratio, '.2f'):>7}"
        f"  {'-' if math.isnan(diff) else format(diff, '.1e'):>8}  {notes}"
    )


def measure(args: argparse.Namespace, condition: str, threads: str) -> pd.DataFrame:
    """Every (size, model, input) cell under one condition; rows printed as they come."""
    repeats = Repeats(args.repeat, args.min_repeat, args.max_repeat, args.target_seconds)
    rows: list[dict[str, Any]] = []
    print(COLUMNS, flush=True)
    for n, k in args.sizes:
        data = make_design(n, k)
        for model in args.models:
            spec = MODELS[model]
            make_response(data, spec.response)
            for input_kind in args.inputs:
                row: dict[str, Any] = {
                    "condition": condition,
                    "threads": threads,
                    "model": model,
                    "input": input_kind,
                    "rows": n,
                    "cols": k,
                }
                ours = time_cell(make_fit("torchstats", input_kind, spec, data), repeats)
                if args.max_sm_rows is not None and n > args.max_sm_rows:
                    theirs = Timing(note="skipped")
                else:
                    theirs = time_cell(make_fit("statsmodels", input_kind, spec, data), repeats)
                diff = math.nan
                if ours.bse is not None and theirs.bse is not None:
                    diff = max_relative_difference(ours.bse, theirs.bse)
                row.update(
                    ts_seconds=ours.seconds,
                    ts_runs=ours.runs,
                    sm_seconds=theirs.seconds,
                    sm_runs=theirs.runs,
                    sm_over_ts=theirs.seconds / ours.seconds,
                    bse_diff=diff,
                    ts_note=ours.note,
                    sm_note=theirs.note,
                )
                rows.append(row)
                print(format_row(row), flush=True)
                if args.csv_path is not None:
                    pd.DataFrame(rows).to_csv(args.csv_path, index=False)
        del data
        gc.collect()
    return pd.DataFrame(rows)


def summarise(table: pd.DataFrame) -> None:
    compared = table.dropna(subset=["sm_over_ts"])
    if compared.empty:
        return
    slower = compared[compared["sm_over_ts"] < 1]
    worst = compared.loc[compared["sm_over_ts"].idxmin()]
    print(
        f"torchstats slower than statsmodels in {len(slower)} of {len(compared)} cells; "
        f"worst: {worst['model']} {worst['input']} {worst['rows']}x{worst['cols']} "
        f"(sm/ts {worst['sm_over_ts']:.2f}); largest bse difference "
        f"{compared['bse_diff'].max():.1e}"
    )


# ----------------------------------------------------------------------------- conditions


def _spin(parent: int) -> None:
    """Loop in Python until stopped, or until the parent is gone (killed, not cleaned up)."""
    try:
        while os.getppid() == parent:
            for _ in range(100_000):  # a few ms between checks
                pass
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group
        pass


class BusyCore:
    """A second process keeping one core busy (pure-Python loop) while the block runs."""

    def __enter__(self) -> BusyCore:
        methods = multiprocessing.get_all_start_methods()
        # fork starts at once and imports nothing; the child only loops in Python and never
        # touches the torch or BLAS thread pools it inherits, so forking after they started
        # is safe (spawn would re-import this script, torch and statsmodels)
        context: Any = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.process = context.Process(
            target=_spin, args=(os.getpid(),), daemon=True, name="busy-core"
        )
        self.process.start()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        busy = _cpu_seconds(self.process.pid)
        wall = time.perf_counter() - self.started
        self.process.terminate()
        self.process.join()
        if busy is not None:
            print(f"busy process used {busy / wall:.0%} of one core over {wall:.0f} s")


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a live process (Linux ``/proc``), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def thread_description() -> str:
    env = ", ".join(f"{name}={os.environ[name]}" for name in THREAD_ENV if name in os.environ)
    return f"torch threads {torch.get_num_threads()}" + (f" ({env})" if env else "")


def results_folder(args: argparse.Namespace) -> Path:
    folder = QUICK_RESULTS if args.quick else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_conditions(args: argparse.Namespace) -> None:
    """One table per condition, in this process (threads already set)."""
    for condition in args.conditions:
        suffix = "" if args.threads == "default" else f"_threads{args.threads}"
        args.csv_path = results_folder(args) / f"sizes_{condition}{suffix}.csv"
        if args.csv is not None:  # one file per condition when both run
            args.csv_path = (
                args.csv
                if len(args.conditions) == 1
                else args.csv.with_name(f"{args.csv.stem}_{condition}{args.csv.suffix}")
            )
        print(
            f"\ncondition {condition}: {os.cpu_count()} cores, {thread_description()}, "
            f"torch {torch.__version__}, statsmodels {sm.__version__}, numpy {np.__version__}"
        )
        if condition == "loaded":
            with BusyCore():
                table = measure(args, condition, args.threads)
        else:
            table = measure(args, condition, args.threads)
        summarise(table)
        print(f"written to {args.csv_path}", flush=True)


# ----------------------------------------------------------------------------- threads


def apply_threads(args: argparse.Namespace) -> bool:
    """Set the thread count in this process; False when it needs a fresh process instead."""
    if args.threads == "default":
        return True
    count = int(args.threads)
    # exactly ``count`` threads at every size: torchstats' policy would otherwise take one
    # thread for small designs and the idle cores for large ones, below the cap ``count``
    os.environ["TORCHSTATS_THREADS"] = "max"
    if args.child:  # re-executed with the environment set before numpy and torch loaded
        torch.set_num_threads(count)
        return True
    try:
        import threadpoolctl
    except ImportError:
        return False
    args.threadpool_limits = threadpoolctl.threadpool_limits(limits=count)
    torch.set_num_threads(count)
    return True


def child_command(
    args: argparse.Namespace, threads: str, condition: str, csv: Path | None
) -> list[str]:
    """This script's command line for one thread setting and condition."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--threads",
        threads,
        "--condition",
        condition,
        "--sizes",
        *[f"{n}x{k}" for n, k in args.sizes],
        "--models",
        *args.models,
        "--inputs",
        *args.inputs,
        "--min-repeat",
        str(args.min_repeat),
        "--max-repeat",
        str(args.max_repeat),
        "--target-seconds",
        str(args.target_seconds),
    ]
    for option, value in (
        ("--repeat", args.repeat),
        ("--max-sm-rows", args.max_sm_rows),
        ("--csv", csv),
    ):
        if value is not None:
            command += [option, str(value)]
    return command + (["--quick"] if args.quick else [])


def child_environment(threads: str) -> dict[str, str]:
    environment = dict(os.environ)
    if threads != "default":
        environment.update({name: threads for name in THREAD_ENV})
    return environment


def thread_sweep(args: argparse.Namespace) -> None:
    """Run the table per thread setting, each in its own process, then compare torchstats."""
    settings = ["default", "1", "2"] + ([str(os.cpu_count())] if (os.cpu_count() or 1) > 2 else [])
    for condition in args.conditions:
        tables = []
        with tempfile.TemporaryDirectory() as folder:
            for threads in settings:
                csv = Path(folder) / f"{threads}.csv"
                print(f"\n=== threads {threads}, condition {condition}", flush=True)
                subprocess.run(
                    child_command(args, threads, condition, csv),
                    env=child_environment(threads),
                    check=True,
                )
                tables.append(pd.read_csv(csv, keep_default_na=False, na_values=[""]))
        table = pd.concat(tables, ignore_index=True)
        target = args.csv or results_folder(args) / f"sizes_{condition}_sweep.csv"
        table.to_csv(target, index=False)
        print_sweep(table, settings, condition)
        print(f"written to {target}", flush=True)


def print_sweep(table: pd.DataFrame, settings: list[str], condition: str) -> None:
    """Per cell, torchstats' time per setting and the default's time over the best."""
    table = table.assign(threads=table["threads"].astype(str))
    wide = table.pivot_table(
        index=["model", "input", "rows", "cols"],
        columns="threads",
        values="ts_seconds",
        sort=False,
        dropna=False,
    )
    wide = wide.reindex(columns=settings)
    ratio = wide["default"] / wide.min(axis=1)
    print(
        f"\nthread sweep, condition {condition}: torchstats time per setting, "
        f"default / best (target <= {SWEEP_TOLERANCE:.2f})"
    )
    print(
        f"{'model':<13}{'input':<8}{'rows':>8}{'cols':>5}"
        + "".join(f"{'t=' + s:>11}" for s in settings)
        + f"{'default/best':>14}"
    )
    for (model, input_kind, n, k), times in wide.iterrows():
        flag = "" if ratio[(model, input_kind, n, k)] <= SWEEP_TOLERANCE else "  over"
        print(
            f"{model:<13}{input_kind:<8}{n:>8}{k:>5}"
            + "".join(f"{format_seconds(times[s]):>11}" for s in settings)
            + f"{ratio[(model, input_kind, n, k)]:>14.2f}{flag}"
        )
    within = int((ratio <= SWEEP_TOLERANCE).sum())
    print(
        f"default within {SWEEP_TOLERANCE - 1:.0%} of the best in {within} of {len(ratio)} "
        f"cells; worst {ratio.max():.2f}"
    )


# ----------------------------------------------------------------------------- profile


def profile(args: argparse.Namespace) -> None:
    """cProfile of ``--repeat`` (default 20) fits of one model: the top 25 by cumulative time."""
    n, k = args.sizes[0] if args.sizes_given else (100, 10)
    library, input_kind, count = args.profile_library, args.inputs[0], args.repeat or 20
    spec = MODELS[args.profile]
    data = make_design(n, k)
    make_response(data, spec.response)
    run = make_fit(library, input_kind, spec, data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):  # warm-up: lazy imports, first-call caches
            run()
        start = time.perf_counter()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            run()
        profiler.disable()
    elapsed = time.perf_counter() - start
    print(
        f"{library} {args.profile} {input_kind} {n}x{k}: {count} fits + bse, "
        f"{format_seconds(elapsed / count)} per fit under the profiler; {thread_description()}"
    )
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


# ----------------------------------------------------------------------------- main


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=parse_size,
        metavar="ROWSxCOLS",
        help=f"default: {' '.join(SIZES)}",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=list(MODELS),
        default=list(MODELS),
        metavar="MODEL",
        help=f"any of {', '.join(MODELS)} (default: all)",
    )
    parser.add_argument(
        "--inputs",
        nargs="+",
        choices=INPUTS,
        default=list(INPUTS),
        metavar="INPUT",
        help="array and/or formula (default: both)",
    )
    parser.add_argument("--condition", choices=["idle", "loaded", "both"], default="both")
    parser.add_argument("--threads", default="default", help="'default' or a thread count")
    parser.add_argument(
        "--thread-sweep",
        action="store_true",
        help="run default, 1 and 2 threads, each in its own process",
    )
    parser.add_argument("--repeat", type=int, help="fixed number of timed runs per cell")
    parser.add_argument("--min-repeat", type=int, default=3)
    parser.add_argument("--max-repeat", type=int, default=50)
    parser.add_argument(
        "--target-seconds",
        type=float,
        default=0.75,
        help="adaptive repeats stop once a cell's runs add up to this",
    )
    parser.add_argument("--max-sm-rows", type=int, help="skip statsmodels above this many rows")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke check: sizes {' '.join(QUICK_SIZES)}, 3 runs per cell",
    )
    parser.add_argument("--csv", type=Path, help="CSV path (default benchmarks/results/...)")
    parser.add_argument(
        "--profile",
        choices=list(MODELS),
        metavar="MODEL",
        help="cProfile one model's fits instead of the table",
    )
    parser.add_argument("--profile-library", choices=list(LIBRARIES), default="torchstats")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads != "default" and not args.threads.isdigit():
        parser.error("--threads takes 'default' or a positive integer")
    if args.thread_sweep and (args.profile or args.threads != "default") and not args.child:
        parser.error("--thread-sweep sets the threads itself and does not profile")
    args.sizes_given = args.sizes is not None
    if args.sizes is None:
        args.sizes = [parse_size(s) for s in (QUICK_SIZES if args.quick else SIZES)]
    if args.quick and args.repeat is None:
        args.repeat = 3
    args.conditions = ["idle", "loaded"] if args.condition == "both" else [args.condition]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    gc.freeze()  # the imported modules' objects: never garbage, and slow to scan each run
    if args.thread_sweep and not args.child:
        thread_sweep(args)
        return
    if not apply_threads(args):  # no threadpoolctl: set the environment, then start afresh
        done = subprocess.run(
            child_command(args, args.threads, args.condition, args.csv)
            + (
                ["--profile", args.profile, "--profile-library", args.profile_library]
                if args.profile
                else []
            ),
            env=child_environment(args.threads),
        )
        sys.exit(done.returncode)
    if args.profile:
        profile(args)
    else:
        run_conditions(args)


if __name__ == "__main__":
    main()
