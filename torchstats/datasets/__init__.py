"""Small public-domain data sets bundled with torchstats, for examples and the command line.

``longley``
    Longley (1967) US macroeconomic data, 1947-1962, 16 rows: total employment (``TOTEMP``)
    and six regressors (``GNPDEFL``, ``GNP``, ``UNEMP``, ``ARMED``, ``POP``, ``YEAR``). The
    values are those of NIST's Statistical Reference Datasets (US Government work, public
    domain), a classic test of numerical accuracy: the design's condition number is about 5e9.

``ts.datasets.longley()`` returns the DataFrame; as in ``statsmodels.datasets``,
``ts.datasets.longley.load_pandas()`` (or ``load()``) returns a
:class:`~torchstats.datasets.dataset.Dataset` with ``data``, ``endog``, ``exog``, ``names``,
``endog_name`` and ``exog_name``, and ``longley.NOTE``, ``TITLE``, ``SOURCE``, ... describe it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

from torchstats.datasets.dataset import BundledDataset, Dataset

__all__ = ["Example", "EXAMPLES", "load", "longley", "Dataset", "BundledDataset"]


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


longley = BundledDataset(
    filename="longley.csv",
    TITLE="Longley dataset",
    SOURCE="""
The classic 1967 Longley Data

https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml

::

    Longley, J.W. (1967) "An Appraisal of Least Squares Programs for the
        Electronic Computer from the Point of View of the User."  Journal of
        the American Statistical Association.  62.319, 819-41.
""",
    DESCRSHORT="",
    DESCRLONG="""The Longley dataset contains various US macroeconomic
variables that are known to be highly collinear.  It has been used to appraise
the accuracy of least squares routines.""",
    NOTE="""::

    Number of Observations - 16

    Number of Variables - 6

    Variable name definitions::

            TOTEMP - Total Employment
            GNPDEFL - GNP deflator
            GNP - GNP
            UNEMP - Number of unemployed
            ARMED - Size of armed forces
            POP - Population
            YEAR - Year (1947 - 1962)
""",
    COPYRIGHT="This is public domain.",
)
"""The Longley employment data: ``longley()`` is the DataFrame (16 rows, 7 columns)."""
