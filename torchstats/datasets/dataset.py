"""statsmodels' data set interface: ``ts.datasets.longley.load_pandas().endog``.

A bundled data set is a callable :class:`BundledDataset` (``ts.datasets.longley()`` gives
the DataFrame as read) that also answers statsmodels' module-level names:
``load_pandas()`` and ``load()`` (a :class:`Dataset` of float64 pandas objects, as
``statsmodels.datasets.utils.process_pandas`` builds it with the response first) and the
strings ``TITLE``, ``SOURCE``, ``DESCRSHORT``, ``DESCRLONG``, ``NOTE`` and ``COPYRIGHT``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

import pandas as pd

__all__ = ["Dataset", "BundledDataset"]


@dataclass(frozen=True, slots=True, repr=False)
class Dataset:
    """A data set split into response and regressors (statsmodels' ``Dataset``).

    Attributes
    ----------
    data : pandas.DataFrame
        Every column, as float64.
    names : list of str
        The column names of ``data``.
    endog : pandas.Series
        The response (the first column).
    exog : pandas.DataFrame
        The other columns.
    endog_name : str
    exog_name : list of str
    raw_data : pandas.DataFrame
        A float64 copy of ``data``, as statsmodels keeps one.

    Notes
    -----
    statsmodels' ``Dataset`` is also a ``dict`` of these attributes; this one is only
    read through its attributes.
    """

    data: pd.DataFrame
    names: list[str]
    endog: pd.Series
    exog: pd.DataFrame
    endog_name: str
    exog_name: list[str]
    raw_data: pd.DataFrame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Dataset:
        """Split ``frame`` with its first column as the response (``process_pandas``)."""
        names = [str(name) for name in frame.columns]
        endog_name = names[0]
        exog = frame.drop(columns=[endog_name])
        return cls(
            data=frame,
            names=names,
            endog=frame[endog_name].copy(),
            exog=exog,
            endog_name=endog_name,
            exog_name=[str(name) for name in exog.columns],
            raw_data=frame.astype(float),
        )

    def __repr__(self) -> str:
        return f"Dataset(endog_name={self.endog_name!r}, exog_name={self.exog_name!r})"


@dataclass(frozen=True, slots=True)
class BundledDataset:
    """A CSV file of this package, read as a DataFrame or as statsmodels' ``Dataset``.

    Calling it returns the file's DataFrame with the dtypes pandas reads (integer columns
    stay integers); :meth:`load_pandas` and :meth:`load` convert every column to float64,
    as statsmodels' loaders do.
    """

    filename: str
    TITLE: str = field(repr=False)
    SOURCE: str = field(repr=False)
    DESCRSHORT: str = field(repr=False)
    DESCRLONG: str = field(repr=False)
    NOTE: str = field(repr=False)
    COPYRIGHT: str = field(repr=False)

    def __call__(self) -> pd.DataFrame:
        """The data as a DataFrame."""
        path = resources.files("torchstats.datasets").joinpath(self.filename)
        with path.open("r", encoding="utf-8") as handle:
            return pd.read_csv(handle)

    def load_pandas(self) -> Dataset:
        """The data as a :class:`Dataset` of float64 pandas objects (response first)."""
        return Dataset.from_frame(self().astype(float))

    def load(self) -> Dataset:
        """The same as :meth:`load_pandas` (statsmodels' ``load`` returns pandas too)."""
        return self.load_pandas()
