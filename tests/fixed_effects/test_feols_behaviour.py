"""Fixed-effects OLS: collinearity, effects, predictions, slopes, errors, devices."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

import torchstats as ts
from tests.conftest import DEVICES
from tests.fixed_effects.data import panel
from torchstats.errors import (
    CollinearityWarning,
    DesignError,
    InvalidOptionError,
    MissingDataError,
    UnknownColumnError,
)


def test_coefficients_equal_the_dummy_regression() -> None:
    data = panel(2, n=1500)
    absorbed = ts.ols("y ~ x1 + x2 | firm + year", data).fit()
    dummies = ts.ols("y ~ x1 + x2 + C(firm) + C(year)", data).fit()
    np.testing.assert_allclose(absorbed.params, dummies.params[["x1", "x2"]], rtol=1e-10)
    # fixest's "full" count of the effects' levels is the dummy regression's df
    full = ts.ols("y ~ x1 + x2 | firm + year", data).fit(ssc={"k_fixef": "full"})
    np.testing.assert_allclose(full.bse, dummies.bse[["x1", "x2"]], rtol=1e-10)
    assert full.df_inference == dummies.df_resid
    np.testing.assert_allclose(absorbed.fittedvalues, dummies.fittedvalues, rtol=1e-10)
    np.testing.assert_allclose(absorbed.resid, dummies.resid, atol=1e-10)
    assert absorbed.rsquared == pytest.approx(dummies.rsquared, rel=1e-12)


def test_varying_slopes_equal_interacted_dummies() -> None:
    data = panel(3, n=1200)
    slopes = ts.ols("y ~ x2 | firm[x1]", data).fit()
    dummies = ts.ols("y ~ x2 + C(firm) + C(firm):x1 - 1", data).fit()
    np.testing.assert_allclose(slopes.params["x2"], dummies.params["x2"], rtol=1e-9)
    np.testing.assert_allclose(slopes.resid, dummies.resid, atol=1e-9)
    only = ts.ols("y ~ x2 | year + firm[[x1]]", data).fit()
    reference = ts.ols("y ~ x2 + C(year) + C(firm):x1", data).fit()
    np.testing.assert_allclose(only.params["x2"], reference.params["x2"], rtol=1e-9)
    effects = only.fixef()
    assert set(effects) == {"year", "firm[x1]"}
    np.testing.assert_allclose(only.predict(data), only.fittedvalues, atol=1e-9)


def test_regressors_collinear_with_the_effects_are_dropped_with_a_warning() -> None:
    data = panel(4, n=1000)
    data["firm_size"] = data["firm"].map({f"firm{i}": float(i % 5) for i in range(40)})
    data["twice"] = 2 * data["x1"]
    with pytest.warns(CollinearityWarning, match=r"\['firm_size', 'twice'\]"):
        res = ts.ols("y ~ x1 + firm_size + twice + x2 | firm", data).fit()
    assert list(res.params.index) == ["x1", "x2"]
    reference = ts.ols("y ~ x1 + x2 | firm", data).fit()
    np.testing.assert_allclose(res.params, reference.params, rtol=1e-12)


def test_one_effect_equals_group_means_and_several_sum_to_the_fit() -> None:
    data = panel(5, n=900)
    one = ts.ols("y ~ x1 + x2 | firm", data).fit()
    partial = data["y"] - data[["x1", "x2"]] @ one.params.to_numpy()
    means = partial.groupby(data["firm"]).mean()
    np.testing.assert_allclose(one.fixef()["firm"].loc[means.index], means, rtol=1e-10)
    two = ts.ols("y ~ x1 + x2 | firm + year", data).fit()
    effects = two.fixef()
    assert effects["year"].iloc[0] == 0  # fixest's reference level
    total = (
        data[["x1", "x2"]].to_numpy() @ two.params.to_numpy()
        + effects["firm"].loc[data["firm"]].to_numpy()
        + effects["year"].loc[data["year"]].to_numpy()
    )
    np.testing.assert_allclose(total, two.fittedvalues, rtol=1e-10)


def test_predict_on_new_data_gives_nan_for_unseen_levels() -> None:
    data = panel(6, n=900)
    res = ts.ols("y ~ x1 + x2 | firm + year", data).fit()
    new = data.iloc[:5].copy()
    new.loc[new.index[2], "firm"] = "a firm never seen"
    prediction = res.predict(new)
    assert list(prediction.index) == list(new.index)
    assert np.isnan(prediction.iloc[2])
    keep = [0, 1, 3, 4]
    np.testing.assert_allclose(prediction.iloc[keep], res.fittedvalues.iloc[keep], rtol=1e-10)


def test_missing_values_drop_rows_or_raise() -> None:
    data = panel(7, n=600)
    data.loc[3, "firm"] = None
    data.loc[5, "x1"] = np.nan
    res = ts.ols("y ~ x1 + x2 | firm", data).fit()
    assert res.nobs == 598 and 3 not in res.resid.index and 5 not in res.resid.index
    with pytest.raises(MissingDataError, match="missing fixed effect"):
        ts.ols("y ~ x1 + x2 | firm", data, missing="raise")


def test_bad_input_gets_clear_errors() -> None:
    data = panel(8, n=300)
    with pytest.raises(UnknownColumnError, match="no column 'plant'"):
        ts.ols("y ~ x1 | plant", data)
    model = ts.ols("y ~ x1 | firm", data)
    with pytest.raises(InvalidOptionError, match="unknown vcov 'robust'"):
        model.fit(vcov="robust")
    with pytest.raises(InvalidOptionError, match="HC3 is not available with fixed effects"):
        model.fit(vcov="HC3")
    with pytest.raises(InvalidOptionError, match="cluster column 'plant'"):
        model.fit(vcov={"CRV1": "plant"})
    with pytest.raises(InvalidOptionError, match="not both"):
        model.fit(vcov="iid", cov_type="HC1")
    with pytest.raises(InvalidOptionError, match="unknown small-sample option 'adjust'"):
        model.fit(ssc={"adjust": True})
    with pytest.raises(InvalidOptionError, match="fixef_tol"):
        ts.ols("y ~ x1", data, fixef_tol=1e-8)
    with pytest.raises(InvalidOptionError, match="unknown option"):
        ts.ols("y ~ x1 | firm", data, fixef_tolerance=1e-8)


def test_results_read_like_statsmodels_and_pyfixest() -> None:
    data = panel(9, n=800)
    res = ts.ols("y ~ x1 + x2 | firm + year", data).fit(vcov={"CRV1": "firm"})
    assert res.fixef_names == ("firm", "year")
    assert res.cov_type == "CRV1" and res.df_inference == 39
    table = res.tidy()
    assert list(table.columns) == ["Estimate", "Std. Error", "t value", "Pr(>|t|)", "2.5%", "97.5%"]
    np.testing.assert_array_equal(table["Std. Error"], res.bse)
    text = res.summary()
    assert "Fixed effects: firm (40), year (8)" in text and "CRV1 by firm" in text
    assert res.t_test("x1 = 0").tvalue.item() == pytest.approx(res.tvalues["x1"])
    with pytest.raises(AttributeError, match="immutable"):
        res.params = None  # type: ignore[misc]


@pytest.mark.parametrize("device", DEVICES)
def test_devices_agree(device: str) -> None:
    data = panel(10, n=1000)
    cpu = ts.ols("y ~ x1 + x2 | firm + year", data).fit(vcov={"CRV1": "firm"})
    other = ts.ols("y ~ x1 + x2 | firm + year", data, device=device).fit(vcov={"CRV1": "firm"})
    np.testing.assert_allclose(other.params, cpu.params, rtol=1e-12)
    np.testing.assert_allclose(other.bse, cpu.bse, rtol=1e-12)


def test_a_response_without_regressors() -> None:
    data = panel(11, n=400)
    res = ts.ols("y ~ 1 | firm", data).fit()
    assert len(res.params) == 0
    np.testing.assert_allclose(
        res.fittedvalues, data.groupby("firm")["y"].transform("mean"), rtol=1e-12
    )


def test_weights_as_a_column_name_or_a_series() -> None:
    data = panel(12, n=500)
    by_name = ts.wls("y ~ x1 | firm", data, weights="w").fit()
    by_series = ts.wls("y ~ x1 | firm", data, weights=data["w"]).fit()
    np.testing.assert_allclose(by_name.params, by_series.params, rtol=1e-14)
    dummies = ts.wls("y ~ x1 + C(firm)", data, weights=data["w"]).fit()
    np.testing.assert_allclose(by_name.params["x1"], dummies.params["x1"], rtol=1e-10)
    pd.testing.assert_index_equal(by_name.resid.index, data.index)


@pytest.mark.parametrize("entry", [ts.mnlogit, ts.batched_ols, ts.ordered_model])
def test_models_without_absorbed_effects_say_so(entry: Any) -> None:
    data = panel(16, n=200)
    data["choice"] = (data["y"] > data["y"].median()).astype(int)
    with pytest.raises(DesignError, match="does not absorb fixed effects"):
        entry("choice ~ x1 | firm", data)


def test_a_many_level_factor_among_the_regressors_should_be_absorbed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torchstats.formula.sparse as sparse

    monkeypatch.setattr(sparse, "_SPARSE_ABOVE_LEVELS", 5)
    monkeypatch.setattr(sparse, "_SPARSE_ABOVE_ENTRIES", 10)
    data = panel(17, n=400)
    with pytest.raises(DesignError, match="absorb it instead"):
        ts.ols("y ~ x1 + C(worker) | firm", data)


def test_group_codes_are_int32_and_the_rows_share_their_positions() -> None:
    # memory: int32 codes, wrapped by torch without a copy; with every row used, the
    # positions are the design's own and the row labels the data's
    data = panel(seed=4)
    model = ts.ols("y ~ x1 | firm + year", data)
    assert model.n_singletons == 0
    assert model.groups.codes.dtype == np.int32
    assert model.absorb_terms[0].codes.dtype == torch.int32
    assert np.shares_memory(model.absorb_terms[0].codes.numpy(), model.groups.codes)
    assert model.design.rows is not None and model.positions is model.design.rows.kept
    assert model.design.output.row_index is data.index
