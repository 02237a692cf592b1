"""Data that arrive in chunks: lists of DataFrames, generators, Parquet files and datasets.

A :class:`ChunkSource` yields pandas DataFrames, as many times as a fit needs passes over the
data (levels, sufficient statistics, residuals). A one-shot iterator can be read once only;
anything that needs a second pass then says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from torchstats.errors import DesignError

__all__ = ["ChunkSource", "chunk_source", "is_chunked"]

# Rows per batch read from Parquet: large enough that per-chunk overhead (formula
# materialisation, a few kernel launches) is amortised, small enough for a few hundred MB.
DEFAULT_BATCH_ROWS = 1 << 18


class ChunkSource:
    """Restartable iteration over DataFrame chunks.

    Parameters
    ----------
    open_chunks : callable
        ``open_chunks(columns)`` returns a fresh iterator of DataFrames holding at least
        ``columns`` (all columns when None).
    reiterable : bool
        False for one-shot iterators.
    description : str
        What the data are, for messages.
    """

    def __init__(
        self,
        open_chunks: Callable[[Sequence[str] | None], Iterator[pd.DataFrame]],
        *,
        reiterable: bool,
        description: str,
    ) -> None:
        self._open = open_chunks
        self.reiterable = reiterable
        self.description = description
        self._passes = 0

    def chunks(self, columns: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
        """A new pass over the data, reading only ``columns`` where the format allows."""
        if self._passes and not self.reiterable:
            raise DesignError(
                f"{self.description} can be read only once, but this step needs another pass "
                "over the data; pass a list of DataFrames, a callable returning a fresh "
                "iterator, or a Parquet path/dataset"
            )
        self._passes += 1
        for chunk in self._open(columns):
            if not isinstance(chunk, pd.DataFrame):
                raise DesignError(f"chunks must be pandas DataFrames, got {type(chunk).__name__}")
            yield chunk


def is_chunked(data: Any) -> bool:
    """Whether ``data`` is chunked input rather than one in-memory table."""
    if isinstance(data, (pd.DataFrame, dict)):
        return False
    if isinstance(data, (str, Path)):
        return True
    if _is_arrow_dataset(data):
        return True
    if isinstance(data, (list, tuple)):
        return bool(data) and all(isinstance(part, pd.DataFrame) for part in data)
    return isinstance(data, Iterator) or callable(data)


def chunk_source(data: Any, *, batch_rows: int = DEFAULT_BATCH_ROWS) -> ChunkSource:
    """Wrap chunked input in a :class:`ChunkSource`.

    Parameters
    ----------
    data : list/tuple of DataFrames, callable, iterator, str/Path or pyarrow Dataset
        A list or tuple can be read any number of times; a callable is called for each pass
        and must return an iterable of DataFrames; a Parquet file or directory (str/Path) or
        a ``pyarrow.dataset.Dataset`` is read in batches of ``batch_rows`` rows, only the
        columns needed; a generator or other iterator can be read once.
    """
    if isinstance(data, (list, tuple)):
        frames = list(data)
        return ChunkSource(lambda columns: iter(frames), reiterable=True, description="the list")
    if isinstance(data, (str, Path)) or _is_arrow_dataset(data):
        return _arrow_source(data, batch_rows)
    if isinstance(data, Iterator):
        return ChunkSource(lambda columns: data, reiterable=False, description="the iterator")
    if callable(data):
        return ChunkSource(
            lambda columns: iter(data()), reiterable=True, description="the chunk factory"
        )
    raise DesignError(
        f"cannot read chunks from {type(data).__name__}; pass a list of DataFrames, a "
        "callable returning an iterator of DataFrames, or a Parquet path/dataset"
    )


def _is_arrow_dataset(data: Any) -> bool:
    return type(data).__module__.startswith("pyarrow") and hasattr(data, "to_batches")


def _arrow_source(data: Any, batch_rows: int) -> ChunkSource:
    try:
        import pyarrow.dataset as ds
    except ImportError:  # pragma: no cover - exercised only without pyarrow
        raise DesignError(
            "reading Parquet needs pyarrow: pip install 'torchstats[parquet]'"
        ) from None
    dataset = ds.dataset(str(data)) if isinstance(data, (str, Path)) else data
    available = set(dataset.schema.names)

    def open_chunks(columns: Sequence[str] | None) -> Iterator[pd.DataFrame]:
        wanted = None if columns is None else [c for c in columns if c in available]
        for batch in _arrow_batches(dataset, wanted, batch_rows):
            if batch.num_rows:
                yield batch.to_pandas()

    name = str(data) if isinstance(data, (str, Path)) else "the Arrow dataset"
    return ChunkSource(open_chunks, reiterable=True, description=name)


def _arrow_batches(dataset: Any, columns: list[str] | None, batch_rows: int) -> Iterator[Any]:
    """Record batches of ``dataset`` in order, one Parquet row group read at a time.

    A batch holds at most ``batch_rows`` rows and never spans two row groups (pyarrow's
    scanner does not join them either).

    Notes
    -----
    pyarrow's scanner (``Dataset.to_batches``, ``Fragment.to_batches``) keeps what it has
    decoded of a file until the file is done, whatever ``batch_readahead`` says (apache/arrow
    issue 39808): streaming a 4e6-row file of 100 000-row row groups held 420 MB of Arrow
    memory at once, the whole decoded file, against 23 MB read one row group at a time.
    Each row group is therefore scanned as a fragment of its own, which keeps partition
    columns and schema evolution as the dataset defines them. A filtered dataset gives no
    fragments; it is read by the dataset's own scanner, whose memory grows with each file.
    """
    import pyarrow.dataset as ds

    options: dict[str, Any] = {
        "columns": columns,
        "batch_size": batch_rows,
        "use_threads": True,
        "batch_readahead": 1,
        "fragment_readahead": 1,
    }
    parquet = {"fragment_scan_options": ds.ParquetFragmentScanOptions(pre_buffer=False)}
    try:
        fragments = dataset.get_fragments()
    except ValueError:  # a filtered dataset (Dataset.filter) cannot be split into fragments
        is_parquet = isinstance(getattr(dataset, "format", None), ds.ParquetFileFormat)
        yield from dataset.to_batches(**options, **(parquet if is_parquet else {}))
        return
    for fragment in fragments:
        if isinstance(fragment, ds.ParquetFileFragment):
            pieces, extra = fragment.split_by_row_group(), parquet
        else:
            pieces, extra = [fragment], {}
        for piece in pieces:
            yield from piece.to_batches(schema=dataset.schema, **options, **extra)


def concatenated(chunks: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """All chunks as one DataFrame (tests and small data only)."""
    return pd.concat(list(chunks), ignore_index=True)
