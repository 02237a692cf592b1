"""Write R's ``iris`` data set as ``iris.csv`` (the data of fixest's iris examples).

The source is R's own definition of the data set, ``src/library/datasets/data/iris.R`` of the R
sources (GitHub mirror https://github.com/wch/r-source, commit
9d01d16b4cda7b53b9a2c94a1e3f078faf1b9eaa). R's ``iris`` is Fisher's (1936) data; the copy of the
UCI repository (shipped by some Python packages) differs in rows 35 and 38. Run once::

    python make_iris.py iris.R

The script reads the four ``c(...)`` vectors of measurements and the species
(``gl(3, 50, labels = ...)``: 50 rows of each, in order) and writes them with R's column names.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
COLUMNS = ["Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width"]


def main(source: str) -> None:
    """Parse ``iris.R`` and write ``iris.csv``."""
    text = Path(source).read_text()
    data = {}
    for column in COLUMNS:
        match = re.search(re.escape(column) + r"\s*=\s*c\(([^)]*)\)", text)
        assert match is not None, column
        data[column] = [float(value) for value in match.group(1).split(",")]
        assert len(data[column]) == 150, column
    labels = re.search(r"gl\(3,\s*50,\s*labels\s*=\s*c\(([^)]*)\)\)", text)
    assert labels is not None
    species = [label.strip().strip('"') for label in labels.group(1).split(",")]
    frame = pd.DataFrame(data)
    frame["Species"] = [name for name in species for _ in range(50)]
    frame.to_csv(HERE / "iris.csv", index=False)


if __name__ == "__main__":
    main(sys.argv[1])
