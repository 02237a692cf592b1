"""Small public-domain data sets bundled with torchstats, for examples and the command line.

``longley``
    Longley (1967) US macroeconomic data, 1947-1962, 16 rows: total employment (``TOTEMP``)
    and six regressors (``GNPDEFL``, ``GNP``, ``UNEMP``, ``ARMED``, ``POP``, ``YEAR``). The
    values are those of NIST's Statistical Reference Datasets (US Government work, public
    domain), a classic test of numerical accuracy: the design's condition number is about 5e9.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

__all__ = ["Example", "EXAMPLES", "load", "longley"]


@dataclass(frozen=True, slots=True)
class Example:
    """A bundled data set and the model it is usually fitted with."""

    name: str
    filename: str
    formula: str
    description: str


EXAMPLES: dict[str, Example] = {
    "longley": Example(
        name="longley",
        filename="longley.csv",
        formula="TOTEMP ~ GNPDEFL + GNP + UNEMP + ARMED + POP + YEAR",
        description="Longley (1967) employment data, NIST StRD certified values",
    ),
}


def load(name: str) -> pd.DataFrame:
    """Load a bundled data set by name (see :data:`EXAMPLES`)."""
    if name not in EXAMPLES:
        raise KeyError(f"unknown example {name!r}; available: {', '.join(sorted(EXAMPLES))}")
    path = resources.files(__name__).joinpath(EXAMPLES[name].filename)
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def longley() -> pd.DataFrame:
    """The Longley employment data (16 rows, 7 columns)."""
    return load("longley")
