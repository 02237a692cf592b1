"""Saving and loading results with pickle, as statsmodels' ``results.save`` and
``sm.load``."""

from __future__ import annotations

import os
import pickle
from typing import IO, Any

from torchstats.errors import InvalidOptionError

__all__ = ["load", "save"]

PathOrFile = str | os.PathLike[str] | IO[bytes]


def save(results: Any, fname: PathOrFile, remove_data: bool = False) -> None:
    """Pickle ``results`` to a path or a binary file object.

    Parameters
    ----------
    results : object
        A torchstats results object (formula namespaces are reduced to what the formula
        uses, so that ``predict`` works after loading).
    fname : str, path or binary file object
    remove_data : bool
        statsmodels' option to drop the data arrays first; not available (the results
        compute their statistics from the data lazily).

    Raises
    ------
    InvalidOptionError
        ``remove_data=True``.
    """
    if remove_data:
        raise InvalidOptionError(
            "remove_data=True is not supported: torchstats results compute their statistics "
            "from the data when first asked; save them with the data"
        )
    if isinstance(fname, (str, os.PathLike)):
        with open(fname, "wb") as file:
            pickle.dump(results, file, protocol=pickle.HIGHEST_PROTOCOL)
    else:
        pickle.dump(results, fname, protocol=pickle.HIGHEST_PROTOCOL)


def load(fname: PathOrFile) -> Any:
    """Load results saved by ``results.save`` (statsmodels' ``sm.load``).

    Only load files you trust: unpickling runs code.
    """
    if isinstance(fname, (str, os.PathLike)):
        with open(fname, "rb") as file:
            return pickle.load(file)
    return pickle.load(fname)
