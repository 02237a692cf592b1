"""Bad streamed chunks give the errors (and warnings) the in-memory fit gives, naming the chunk;
a chunk's data go with it."""

from __future__ import annotations

import gc
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import torchstats as ts
from tests.conftest import make_frame
from tests.parity import assert_matches
from torchstats.errors import (
    CollinearityWarning,
    InvalidOptionError,
    InvalidWeightsError,
    MissingDataError,
    SingularDesignError,
)


def _chunks(frame: pd.DataFrame, size: int = 50) -> list[pd.DataFrame]:
    return [frame.iloc[i : i + size] for i in range(0, len(frame), size)]


def _sources(frame: pd.DataFrame, tmp_path: Any) -> dict[str, Any]:
    """The same data as a list of chunks, a chunk factory and (with pyarrow) Parquet files."""
    sources: dict[str, Any] = {
        "list": _chunks(frame),
        "callable": lambda: iter(_chunks(frame)),
    }
    try:
        import pyarrow
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a test dependency
        return sources
    for i, part in enumerate(_chunks(frame)):
        table = pyarrow.Table.from_pandas(part, preserve_index=False)
        pq.write_table(table, tmp_path / f"part{i}.parquet")
    sources["parquet"] = str(tmp_path)
    return sources


def _with(frame: pd.DataFrame, column: str, position: int, value: float) -> pd.DataFrame:
    changed = frame.reset_index(drop=True)
    changed.loc[position, column] = value
    return changed


CASES: list[tuple[str, Callable[[pd.DataFrame], pd.DataFrame], type[Exception], str]] = [
    (
        "inf in a regressor",
        lambda f: _with(f, "x1", 70, np.inf),
        MissingDataError,
        r"non-finite values \(NaN or inf\) in 'x1' in chunk 1 \(counting from 0\)",
    ),
    (
        "inf in the response",
        lambda f: _with(f, "y", 3, -np.inf),
        MissingDataError,
        r"non-finite values \(NaN or inf\) in 'endog' in chunk 0",
    ),
    (
        "a negative weight",
        lambda f: _with(f, "w", 120, -1.0),
        InvalidWeightsError,
        r"weights must be non-negative; found 1 negative value\(s\) in chunk 2",
    ),
    (
        "an infinite weight",
        lambda f: _with(f, "w", 5, np.inf),
        InvalidWeightsError,
        "weights must be finite; found infinite values in chunk 0",
    ),
    (
        "all weights zero",
        lambda f: f.assign(w=0.0),
        InvalidWeightsError,
        "all weights are zero; nothing to fit",
    ),
]


@pytest.mark.parametrize(("case", "change", "error", "match"), CASES, ids=[c[0] for c in CASES])
def test_bad_values_give_the_in_memory_error(
    case: str, change: Any, error: type[Exception], match: str, tmp_path: Any
) -> None:
    frame = change(make_frame(0, n=150))
    with pytest.raises(error, match=match.split(" in chunk")[0]):
        ts.wls("y ~ x1 + C(g)", frame, weights="w").fit()
    for source in _sources(frame, tmp_path).values():
        with pytest.raises(error, match=match):
            ts.wls("y ~ x1 + C(g)", source, weights="w").fit()


def test_an_unused_category_level_gives_the_in_memory_fit(tmp_path: Any) -> None:
    frame = make_frame(1, n=150).reset_index(drop=True)
    frame["g"] = pd.Categorical(frame["g"], categories=["a", "b", "c", "never"])
    with pytest.warns(CollinearityWarning, match="rank deficient"):
        memory = ts.ols("y ~ x1 + g", frame).fit()
    for source in _sources(frame, tmp_path).values():
        with pytest.warns(CollinearityWarning, match=r"column\(s\) \['g\[T.never\]'\] are zero"):
            streamed = ts.ols("y ~ x1 + g", source).fit()
        assert streamed.params["g[T.never]"] == 0.0
        for name in ("params", "bse", "tvalues"):
            assert_matches(getattr(streamed, name), getattr(memory, name), rtol=1e-10)
        for name in ("rsquared", "fvalue", "llf", "df_model", "df_resid", "scale"):
            np.testing.assert_allclose(getattr(streamed, name), getattr(memory, name), rtol=1e-10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CollinearityWarning)
            robust = ts.ols("y ~ x1 + g", source).fit(cov_type="HC3")
        assert_matches(robust.bse, memory.get_robustcov_results("HC3").bse, rtol=1e-10)


def test_a_level_only_on_rows_dropped_for_missing_values_is_not_a_column(tmp_path: Any) -> None:
    """Level "c" of g occurs only on rows whose x1 is missing: in memory the design has no
    column for it; the streamed fit collected levels before dropping those rows and added
    a column of zeros (with a warning and a bse of 0)."""
    frame = make_frame(2, n=150).reset_index(drop=True)
    frame.loc[frame["g"] == "c", "x1"] = np.nan
    memory = ts.ols("y ~ x1 + C(g)", frame).fit()
    for source in _sources(frame, tmp_path).values():
        with warnings.catch_warnings():
            warnings.simplefilter("error", CollinearityWarning)
            streamed = ts.ols("y ~ x1 + C(g)", source).fit()
        assert list(streamed.params.index) == list(memory.params.index)
        for name in ("params", "bse"):
            assert_matches(getattr(streamed, name), getattr(memory, name), rtol=1e-10)
        assert streamed.nobs == memory.nobs


def test_other_collinearity_is_still_refused() -> None:
    frame = make_frame(0).assign(x1_copy=lambda f: f["x1"] * 2)
    with pytest.raises(SingularDesignError, match="singular or too ill-conditioned"):
        ts.ols("y ~ x1 + x1_copy", _chunks(frame)).fit()


def test_cluster_groups_with_missing_labels_raise_as_in_memory(tmp_path: Any) -> None:
    frame = make_frame(2, n=150).reset_index(drop=True)
    frame["firm"] = np.arange(150) % 7
    frame.loc[[4, 99], "firm"] = np.nan
    kwds = {"cov_type": "cluster", "cov_kwds": {"groups": "firm"}}
    with pytest.raises(MissingDataError, match=r"cluster groups hold 2 missing label\(s\)"):
        ts.ols("y ~ x1", frame).fit(**kwds)
    for source in _sources(frame, tmp_path).values():
        with pytest.raises(
            MissingDataError,
            match=r"cluster groups hold 1 missing label\(s\) \(NaN or None\) in column\(s\) "
            r"\['firm'\] of a chunk",
        ):
            ts.ols("y ~ x1", source).fit(**kwds)
    two_way = {"cov_type": "cluster", "cov_kwds": {"groups": ["g", "firm"]}}
    with pytest.raises(MissingDataError, match="missing label"):
        ts.ols("y ~ x1", _chunks(frame)).fit(**two_way)


def test_one_cluster_is_refused_as_in_memory() -> None:
    frame = make_frame(3, n=150).assign(firm=1)
    kwds = {"cov_type": "cluster", "cov_kwds": {"groups": "firm"}}
    with pytest.raises(InvalidOptionError, match="at least 2 clusters, but groups has 1"):
        ts.ols("y ~ x1", frame).fit(**kwds)
    with pytest.raises(InvalidOptionError, match="at least 2 clusters, but groups has 1"):
        ts.ols("y ~ x1", _chunks(frame)).fit(**kwds)


def test_each_chunk_data_are_freed_with_the_chunk() -> None:
    # formulaic holds the frame it builds a design from in reference cycles: a pass must not
    # keep every chunk's data until Python's cyclic collector runs
    blocks: list[weakref.ref[np.ndarray]] = []

    def chunks() -> Any:
        rng = np.random.default_rng(0)
        for _ in range(3):
            block = rng.standard_normal((100, 2))
            blocks.append(weakref.ref(block))
            frame = pd.DataFrame(block, columns=["x1", "y"], copy=False)
            frame["g"] = np.tile(["a", "b"], 50)
            yield frame

    model = ts.ols("y ~ x1 + C(g)", chunks)
    gc.collect()
    gc.disable()
    try:
        before = len(blocks)
        for chunk in model.designer.chunks():
            assert chunk.exog.shape == (100, 3)
        del chunk
        alive = [ref() is not None for ref in blocks[before:]]
    finally:
        gc.enable()
    assert alive == [False, False, False]
