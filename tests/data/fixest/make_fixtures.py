"""Write fixest's bundled data sets ``trade`` and ``base_did`` as compressed CSV fixtures.

The sources are ``data/trade.RData`` and ``data/base_did.RData`` of the R package fixest
(https://github.com/lrberge/fixest, commit dbe56c5d953deb797a61dfc37f6e25fd143c68d4, the
version whose rendered vignettes, built 2025-04-18 with fixest 0.12, published the numbers
in ``published.json``). Run once, with pyreadr installed (it is not a dependency of
torchstats or of its tests)::

    git -C <fixest clone> show HEAD:data/trade.RData > trade.RData
    git -C <fixest clone> show HEAD:data/base_did.RData > base_did.RData
    python make_fixtures.py trade.RData base_did.RData

Floats are written with Python's shortest round-trip representation, so the CSV files hold
exactly the doubles of the R data; ``Year`` (stored as a double in R) and the integer codes
are written as integers, the country factors as their labels.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyreadr

HERE = Path(__file__).resolve().parent


def main(trade_path: str, base_did_path: str) -> None:
    """Read both ``.RData`` files and write ``trade.csv.gz`` and ``base_did.csv.gz``."""
    trade = pyreadr.read_r(trade_path)["trade"]
    trade["Year"] = trade["Year"].astype("int64")
    trade["Origin"] = trade["Origin"].astype(str)
    trade["Destination"] = trade["Destination"].astype(str)
    trade.to_csv(HERE / "trade.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})
    base_did = pyreadr.read_r(base_did_path)["base_did"]
    base_did.to_csv(
        HERE / "base_did.csv.gz", index=False, compression={"method": "gzip", "mtime": 0}
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
