"""The ``torchstats`` command: fit a formula to a CSV or Parquet file and print the summary.

Examples
--------
    torchstats fit --example longley
    torchstats fit "y ~ x1 + C(g)" data.csv --method qr --device cuda
    torchstats fit "y ~ x" data.parquet --model wls --weights w --format html
    torchstats fit "claims ~ age + C(region)" data.csv --model glm --family poisson
    torchstats examples
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from torchstats import datasets
from torchstats.errors import TorchstatsError

__all__ = ["main", "read_table"]


def _fit_ols(formula: str, data: pd.DataFrame, args: argparse.Namespace) -> Any:
    from torchstats.api import ols

    model = ols(formula, data, missing=args.missing, device=args.device, dtype=args.dtype)
    return model.fit(method=args.method)


def _fit_wls(formula: str, data: pd.DataFrame, args: argparse.Namespace) -> Any:
    from torchstats.api import wls

    if args.weights is None:
        raise TorchstatsError("--model wls needs --weights COLUMN")
    if args.weights not in data.columns:
        raise TorchstatsError(f"--weights column {args.weights!r} is not in the data")
    model = wls(
        formula,
        data,
        weights=data[args.weights],
        missing=args.missing,
        device=args.device,
        dtype=args.dtype,
    )
    return model.fit(method=args.method)


def _fit_discrete(name: str) -> Callable[[str, pd.DataFrame, argparse.Namespace], Any]:
    def fit(formula: str, data: pd.DataFrame, args: argparse.Namespace) -> Any:
        from torchstats import api

        model = getattr(api, name)(
            formula, data, missing=args.missing, device=args.device, dtype=args.dtype
        )
        return model.fit() if args.method == "auto" else model.fit(method=args.method)

    return fit


FAMILIES = {
    "gaussian": "Gaussian",
    "binomial": "Binomial",
    "poisson": "Poisson",
    "gamma": "Gamma",
    "inverse_gaussian": "InverseGaussian",
    "tweedie": "Tweedie",
}
LINKS = {
    "identity": "Identity",
    "log": "Log",
    "logc": "LogC",
    "logit": "Logit",
    "probit": "Probit",
    "cauchy": "Cauchy",
    "cloglog": "CLogLog",
    "loglog": "LogLog",
    "inverse": "InversePower",
    "inverse_squared": "InverseSquared",
    "sqrt": "Sqrt",
}


def _fit_glm(formula: str, data: pd.DataFrame, args: argparse.Namespace) -> Any:
    from torchstats import families
    from torchstats.api import glm

    link = None if args.link is None else getattr(families.links, LINKS[args.link])()
    family = getattr(families, FAMILIES[args.family])(link)
    weights = None
    if args.weights is not None:
        if args.weights not in data.columns:
            raise TorchstatsError(f"--weights column {args.weights!r} is not in the data")
        weights = data[args.weights]
    model = glm(
        formula,
        data,
        family=family,
        var_weights=weights,
        missing=args.missing,
        device=args.device,
        dtype=args.dtype,
    )
    return model.fit() if args.method == "auto" else model.fit(wls_method=args.method)


MODELS: dict[str, Callable[[str, pd.DataFrame, argparse.Namespace], Any]] = {
    "ols": _fit_ols,
    "wls": _fit_wls,
    "logit": _fit_discrete("logit"),
    "probit": _fit_discrete("probit"),
    "poisson": _fit_discrete("poisson"),
    "negativebinomial": _fit_discrete("negativebinomial"),
    "glm": _fit_glm,
}


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (``.csv``, ``.tsv``, optionally compressed) or Parquet file.

    Raises
    ------
    TorchstatsError
        For a missing file, an unknown extension, or Parquet without pyarrow.
    """
    path = Path(path)
    if not path.exists():
        raise TorchstatsError(f"data file {str(path)!r} does not exist")
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz", ".zip", ".zst"):
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    if kind in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except ImportError:
            raise TorchstatsError(
                "reading Parquet needs pyarrow: pip install 'torchstats[parquet]'"
            ) from None
    if kind in (".csv", ".txt"):
        return pd.read_csv(path)
    if kind == ".tsv":
        return pd.read_csv(path, sep="\t")
    raise TorchstatsError(f"cannot tell the format of {path.name!r}; use .csv, .tsv or .parquet")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torchstats", description="statsmodels-style regression on PyTorch (CPU or GPU)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser("fit", help="fit a formula and print the summary")
    fit.add_argument("formula", nargs="?", help='formula such as "y ~ x1 + C(g)"')
    fit.add_argument("data", nargs="?", help="CSV or Parquet file")
    fit.add_argument("--example", choices=sorted(datasets.EXAMPLES), help="use a bundled data set")
    fit.add_argument("--model", choices=sorted(MODELS), default="ols")
    fit.add_argument(
        "--method",
        default="auto",
        help="solver: auto (default), qr, cholesky, pinv, gd for least squares; newton, "
        "lbfgs for the discrete models; qr, cholesky, pinv for the IRLS steps of glm",
    )
    fit.add_argument("--family", default="gaussian", choices=sorted(FAMILIES), help="for glm")
    fit.add_argument(
        "--link", default=None, choices=sorted(LINKS), help="for glm (default: the family's)"
    )
    fit.add_argument("--device", default=None, help="cpu (default) or cuda")
    fit.add_argument("--dtype", default=None, choices=["float64", "float32"])
    fit.add_argument("--weights", default=None, help="weights column (wls; var_weights for glm)")
    fit.add_argument("--missing", default="drop", choices=["drop", "raise", "none"])
    fit.add_argument("--format", default="text", choices=["text", "html", "latex"])
    commands.add_parser("examples", help="list the bundled data sets")
    return parser


def _run_fit(args: argparse.Namespace) -> str:
    if args.example is not None:
        example = datasets.EXAMPLES[args.example]
        if args.data is not None:
            raise TorchstatsError("give either a data file or --example, not both")
        data = datasets.load(example.name)
        formula = args.formula or example.formula
    else:
        if args.formula is None or args.data is None:
            raise TorchstatsError("fit needs a formula and a data file (or --example NAME)")
        data = read_table(args.data)
        formula = args.formula
    results = MODELS[args.model](formula, data, args)
    summary = results.summary()
    if args.format == "html":
        return summary.as_html()
    if args.format == "latex":
        return summary.as_latex()
    return summary.as_text()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``torchstats`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "examples":
            for example in datasets.EXAMPLES.values():
                print(f"{example.name}: {example.description}\n    {example.formula}")
            return 0
        print(_run_fit(args))
        return 0
    except (TorchstatsError, ValueError, KeyError) as error:
        print(f"torchstats: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
