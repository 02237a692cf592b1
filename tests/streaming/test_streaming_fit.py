"""Streamed fits equal in-memory fits: lists of chunks, callables, Parquet, every statistic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import torchstats as ts
from tests.conftest import make_frame
from tests.parity import assert_matches, mask_clock
from torchstats.errors import DesignError, SingularDesignError, TorchstatsError

FORMULAS = [
    "y ~ x1 * C(g) + np.log(x2) + flag",
    "y ~ C(k) + x3 - 1",
    "y ~ x1 + I(x3**2) + C(g, Treatment('c'))",
]
SCALARS = ["rsquared", "rsquared_adj", "fvalue", "f_pvalue", "llf", "aic", "bic", "ssr"]
SCALARS += ["centered_tss", "uncentered_tss", "scale", "nobs", "df_resid", "df_model"]


def _chunks(frame: pd.DataFrame, size: int = 53) -> list[pd.DataFrame]:
    return [frame.iloc[i : i + size] for i in range(0, len(frame), size)]


@pytest.fixture(params=[(f, kind) for f in FORMULAS for kind in ("ols", "wls")], ids=str)
def pair(request):
    formula, kind = request.param
    frame = make_frame(3, n=600)
    if kind == "ols":
        return ts.ols(formula, _chunks(frame)).fit(), ts.ols(formula, frame).fit()
    streamed = ts.wls(formula, _chunks(frame), weights="w").fit()
    return streamed, ts.wls(formula, frame, weights=frame["w"]).fit()


@pytest.mark.parametrize("name", ["params", "bse", "tvalues", "pvalues"])
def test_estimates(pair, name):
    assert_matches(getattr(pair[0], name), getattr(pair[1], name), rtol=1e-11, atol_scale=1e-13)


def test_cov_params_and_conf_int(pair):
    assert_matches(pair[0].cov_params(), pair[1].cov_params(), rtol=1e-10, atol_scale=1e-13)
    assert_matches(pair[0].conf_int(), pair[1].conf_int(), rtol=1e-11)


@pytest.mark.parametrize("name", SCALARS)
def test_scalar_statistics(pair, name):
    np.testing.assert_allclose(getattr(pair[0], name), getattr(pair[1], name), rtol=1e-11)


def test_condition_number(pair):
    np.testing.assert_allclose(pair[0].condition_number, pair[1].condition_number, rtol=1e-8)


def test_summary_text(pair):
    streamed, memory = (mask_clock(str(r.summary())) for r in pair)
    assert streamed == memory


def test_predict_on_new_chunks(pair):
    new = make_frame(8, n=10)
    assert_matches(pair[0].predict(new), pair[1].predict(new), rtol=1e-11)


COVS = [
    ("HC0", {}),
    ("HC1", {}),
    ("HC2", {}),
    ("HC3", {}),
    ("cluster", {"groups": "k"}),
    ("cluster", {"groups": ["k", "g"]}),
    ("HAC", {"maxlags": 1}),
    ("HAC", {"maxlags": 70}),  # lags longer than a chunk
]


@pytest.mark.parametrize(("cov_type", "kwds"), COVS, ids=str)
@pytest.mark.parametrize("kind", ["ols", "wls"])
def test_robust_covariances(cov_type, kwds, kind):
    frame = make_frame(4, n=500)
    formula = "y ~ x1 * C(g) + x3"
    memory_kwds = dict(kwds)
    if "groups" in kwds:
        groups = kwds["groups"]
        memory_kwds["groups"] = frame[groups] if isinstance(groups, str) else frame[groups]
    if kind == "ols":
        streamed = ts.ols(formula, _chunks(frame, 61)).fit(cov_type=cov_type, cov_kwds=kwds)
        memory = ts.ols(formula, frame).fit(cov_type=cov_type, cov_kwds=memory_kwds)
    else:
        streamed = ts.wls(formula, _chunks(frame, 61), weights="w").fit(
            cov_type=cov_type, cov_kwds=kwds
        )
        memory = ts.wls(formula, frame, weights=frame["w"]).fit(
            cov_type=cov_type, cov_kwds=memory_kwds
        )
    assert_matches(streamed.bse, memory.bse, rtol=1e-10)
    assert_matches(streamed.pvalues, memory.pvalues, rtol=1e-9)
    np.testing.assert_allclose(streamed.fvalue, memory.fvalue, rtol=1e-9)


def test_cluster_covariance_with_clusters_appearing_chunk_after_chunk():
    frame = make_frame(9, n=600)
    frame["firm"] = [f"f{i // 3:03d}" for i in range(600)]  # 200 clusters, sorted
    frame = frame.iloc[np.r_[0:300:2, 1:300:2, 300:600]]  # some reappear in a later chunk
    streamed = ts.ols("y ~ x1 + C(g)", _chunks(frame, 70)).fit(
        cov_type="cluster", cov_kwds={"groups": "firm"}
    )
    memory = ts.ols("y ~ x1 + C(g)", frame).fit(
        cov_type="cluster", cov_kwds={"groups": frame["firm"]}
    )
    assert_matches(streamed.bse, memory.bse, rtol=1e-10)


def test_parquet_file_and_dataset(tmp_path):
    pyarrow = pytest.importorskip("pyarrow", reason="Parquet support needs pyarrow")
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    frame = make_frame(5, n=700).reset_index(drop=True)
    for i, part in enumerate(_chunks(frame, 250)):
        pq.write_table(
            pyarrow.Table.from_pandas(part, preserve_index=False), tmp_path / f"part{i}.parquet"
        )
    memory = ts.ols(FORMULAS[0], frame).fit()
    from_directory = ts.StreamingOLS(FORMULAS[0], tmp_path, batch_rows=100).fit()
    from_dataset = ts.ols(FORMULAS[0], ds.dataset(str(tmp_path))).fit()
    for streamed in (from_directory, from_dataset):
        assert_matches(streamed.params, memory.params, rtol=1e-11, atol_scale=1e-13)
        assert_matches(streamed.bse, memory.bse, rtol=1e-11)


def test_callable_source_and_levels_missing_from_the_first_chunk():
    frame = make_frame(6, n=400).sort_values("g")  # the first chunks hold only level "a"
    memory = ts.ols("y ~ x1 + C(g)", frame).fit()
    streamed = ts.ols("y ~ x1 + C(g)", lambda: iter(_chunks(frame, 40))).fit()
    assert list(streamed.params.index) == list(memory.params.index)
    assert_matches(streamed.params, memory.params, rtol=1e-11)


def test_given_categories_and_categorical_dtype():
    frame = make_frame(7, n=300)
    categorical = frame.assign(g=pd.Categorical(frame["g"], categories=["c", "a", "b"]))
    memory = ts.ols("y ~ x1 + g", categorical).fit()
    streamed = ts.ols("y ~ x1 + g", _chunks(categorical)).fit()
    assert (
        list(streamed.params.index)
        == list(memory.params.index)
        == ["Intercept", "g[T.a]", "g[T.b]", "x1"]
    )
    assert_matches(streamed.bse, memory.bse, rtol=1e-11)
    given = ts.StreamingOLS("y ~ x1 + g", _chunks(frame), categories={"g": ["c", "a", "b"]})
    assert given.exog_names == list(memory.params.index)


def test_missing_rows_are_dropped_per_chunk():
    frame = make_frame(7, with_missing=True)
    memory = ts.ols("y ~ x1 + C(g)", frame).fit()
    streamed = ts.ols("y ~ x1 + C(g)", _chunks(frame, 30)).fit()
    assert streamed.nobs == memory.nobs
    assert_matches(streamed.params, memory.params, rtol=1e-11)


def test_per_row_outputs_are_not_kept():
    res = ts.ols("y ~ x1", _chunks(make_frame(0))).fit()
    for name in ("resid", "fittedvalues", "wresid"):
        with pytest.raises(TorchstatsError, match=f"{name} is not available for a streamed fit"):
            getattr(res, name)
    with pytest.raises(TorchstatsError, match="get_influence"):
        res.get_influence()


def test_one_shot_iterators_cannot_serve_several_passes():
    chunks = iter(_chunks(make_frame(0)))
    with pytest.raises(DesignError, match="can be read only once"):
        ts.ols("y ~ x1 + C(g)", chunks).fit()


def test_collinear_streamed_design_is_refused():
    frame = make_frame(0).assign(x1_copy=lambda f: f["x1"] * 2)
    with pytest.raises(SingularDesignError, match="singular or too ill-conditioned"):
        ts.ols("y ~ x1 + x1_copy", _chunks(frame)).fit()


def test_progress_bar_runs(capsys):
    pytest.importorskip("tqdm", reason="progress bars need tqdm")
    res = ts.StreamingOLS("y ~ x1", _chunks(make_frame(0)), progress=True).fit()
    assert res.params.shape == (2,)
    assert "chunks" in capsys.readouterr().err


def test_bad_streaming_options():
    with pytest.raises(ValueError, match="method 'qr' for streamed data"):
        ts.ols("y ~ x1", _chunks(make_frame(0))).fit(method="qr")
    with pytest.raises(ValueError, match="weights must name a column"):
        ts.wls("y ~ x1", _chunks(make_frame(0)), weights=np.ones(120))
    with pytest.raises(KeyError, match="weights column 'nope'"):
        ts.wls("y ~ x1", _chunks(make_frame(0)), weights="nope")


@pytest.mark.parametrize(
    "formula", ["y ~ k + x:I(k == 0)", "y ~ k + I(k > 0) + np.log(k + 1)", "y ~ C(k) + x"]
)
def test_a_column_inside_a_boolean_expression_stays_numeric(formula) -> None:
    """k of I(k == 0) was made categorical for the whole streamed design: k got three
    dummies where the in-memory fit (and statsmodels) has one slope; other formulas with
    it raised. The chunks come sorted so that k == 0 appears only in the last one."""
    rng = np.random.default_rng(21)
    n = 300
    frame = pd.DataFrame({"x": rng.normal(size=n), "k": rng.integers(0, 4, n).astype(float)})
    frame["y"] = 1 + frame.x + 0.5 * frame.k + (frame.k == 0) * 0.7 * frame.x + rng.normal(size=n)
    frame = frame.sort_values("k", ascending=False)
    chunks = [frame.iloc[:100], frame.iloc[100:200], frame.iloc[200:]]
    streamed = ts.ols(formula, chunks).fit()
    memory = ts.ols(formula, frame).fit()
    assert list(streamed.params.index) == list(memory.params.index)
    np.testing.assert_allclose(streamed.params, memory.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(streamed.bse, memory.bse, rtol=1e-9)
