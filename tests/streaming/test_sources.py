"""Parquet files and Arrow datasets read as chunks: every row once, in order, as the dataset
defines it (partition columns, filters), one row group at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import torchstats as ts
from tests.conftest import make_frame
from tests.parity import assert_matches
from torchstats.streaming.sources import chunk_source, concatenated

pa = pytest.importorskip("pyarrow", reason="Parquet support needs pyarrow")
ds = pytest.importorskip("pyarrow.dataset", reason="Parquet support needs pyarrow")
pq = pytest.importorskip("pyarrow.parquet", reason="Parquet support needs pyarrow")


def _frame(n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {"x": rng.standard_normal(n), "k": np.arange(n), "g": rng.integers(0, 4, n)}
    )


def test_file_of_row_groups_read_in_order_in_batches_within_row_groups(tmp_path):
    frame = _frame()
    path = tmp_path / "data.parquet"
    frame.to_parquet(path, row_group_size=300)  # row groups of 300, 300, 300, 100 rows
    chunks = list(chunk_source(path, batch_rows=200).chunks())
    assert [len(chunk) for chunk in chunks] == [200, 100, 200, 100, 200, 100, 100]
    pd.testing.assert_frame_equal(concatenated(chunks), frame)


def test_only_the_columns_asked_for_are_read(tmp_path):
    path = tmp_path / "data.parquet"
    _frame().to_parquet(path, row_group_size=300)
    chunks = list(chunk_source(path).chunks(columns=["k", "absent"]))
    assert all(list(chunk.columns) == ["k"] for chunk in chunks)
    assert concatenated(chunks)["k"].tolist() == list(range(1000))


def test_partition_columns_of_a_hive_directory_are_read(tmp_path):
    frame = _frame()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    ds.write_dataset(
        table, tmp_path, format="parquet", partitioning=["g"], partitioning_flavor="hive"
    )
    dataset = ds.dataset(tmp_path, partitioning="hive")
    read = concatenated(chunk_source(dataset, batch_rows=128).chunks(columns=["k", "g"]))
    pd.testing.assert_frame_equal(
        read.sort_values("k", ignore_index=True), frame[["k", "g"]], check_dtype=False
    )


def test_filtered_dataset_gives_only_its_rows_and_the_fit_on_them(tmp_path):
    frame = make_frame(5, n=600).reset_index(drop=True)
    path = tmp_path / "data.parquet"
    frame.to_parquet(path, row_group_size=150)
    kept = ds.dataset(path).filter(ds.field("x1") > 0)
    read = concatenated(chunk_source(kept).chunks())
    pd.testing.assert_frame_equal(read, frame[frame["x1"] > 0].reset_index(drop=True))
    memory = ts.ols("y ~ x1 + C(g)", frame[frame["x1"] > 0]).fit()
    streamed = ts.ols("y ~ x1 + C(g)", kept).fit()
    assert streamed.nobs == memory.nobs
    assert_matches(streamed.params, memory.params, rtol=1e-11)
    assert_matches(streamed.bse, memory.bse, rtol=1e-11)


def test_in_memory_arrow_dataset(tmp_path):
    frame = make_frame(5, n=400).reset_index(drop=True)
    dataset = ds.dataset(pa.Table.from_pandas(frame, preserve_index=False))
    memory = ts.ols("y ~ x1 + C(g)", frame).fit()
    streamed = ts.ols("y ~ x1 + C(g)", dataset).fit()
    assert_matches(streamed.params, memory.params, rtol=1e-11)
