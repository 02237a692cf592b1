"""The rows and effects shared by the fixed-effects models (models/fixed_effects_sample.py):
rows, singletons, collinearity, refit rows, effects of an estimate and new rows."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import torch

import torchstats as ts
from tests.fixed_effects.data import panel
from torchstats.errors import (
    CollinearityWarning,
    DesignError,
    EmptyDataError,
    InvalidOptionError,
)
from torchstats.models.fixed_effects import FixedEffectsOLS
from torchstats.models.fixed_effects_sample import FixedEffectsSample
from torchstats.solvers.demean import AbsorbPlan, AbsorbTerm


def _sample(formula: str, data: pd.DataFrame, **options: object) -> FixedEffectsSample:
    settings: dict[str, object] = {
        "weights": None,
        "missing": "drop",
        "fixef_rm": "singleton",
        "fixef_tol": 1e-10,
        "fixef_maxiter": 10_000,
        "collin_tol": 1e-10,
        "context": {},
        "device": None,
        "dtype": None,
        "model": "FixedEffectsOLS",
    }
    settings.update(options)
    return FixedEffectsSample.from_formula(formula, data, **settings)  # type: ignore[arg-type]


def test_singletons_dropped_and_intercept_absorbed() -> None:
    data = panel(0, n=600)
    data.loc[0, "worker"] = 10_000  # a level with one row
    sample = _sample("y ~ x1 + x2 | worker + firm", data)
    kept = _sample("y ~ x1 + x2 | worker + firm", data, fixef_rm="none")
    assert sample.n_singletons >= 1 and kept.n_singletons == 0
    assert sample.design.nobs == len(data) - sample.n_singletons
    assert 0 not in sample.positions
    assert list(sample.design.exog_names) == ["x1", "x2"]
    assert "Intercept" in _sample("y ~ x1 | 0", data).design.exog_names


def test_options_are_checked() -> None:
    data = panel(0, n=200)
    with pytest.raises(InvalidOptionError, match="fixef_rm"):
        _sample("y ~ x1 | worker", data, fixef_rm="all")
    with pytest.raises(InvalidOptionError, match="missing"):
        _sample("y ~ x1 | worker", data, missing="none")
    with pytest.raises(InvalidOptionError, match="instrumental-variables"):
        _sample("y ~ 1 | worker | x1 ~ x2", data)
    with pytest.raises(InvalidOptionError, match="DataFrame"):
        _sample("y ~ x1 | worker", [1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(EmptyDataError):
        _sample("y ~ x1 | worker", data.assign(worker=np.arange(len(data))))


def test_select_rows_renumbers_groups_and_rebuilds_terms() -> None:
    sample = _sample("y ~ x1 | worker + firm", panel(1, n=800))
    keep = np.asarray(sample.groups.codes[:, 1] != 0)
    fewer = sample.select_rows(keep)
    assert fewer.design.nobs == int(keep.sum())
    np.testing.assert_array_equal(fewer.positions, sample.positions[keep])
    assert fewer.groups.n_levels[1] == sample.groups.n_levels[1] - 1
    assert fewer.absorb_terms[1].n_levels == sample.absorb_terms[1].n_levels - 1
    assert fewer.absorb_plan is not sample.absorb_plan


def test_drop_collinear_warns_and_keeps_terms_and_plan() -> None:
    data = panel(2, n=800).assign(x3=lambda d: 2 * d["x1"])
    sample = _sample("y ~ x1 + x3 + x2 | worker", data)
    plan = sample.absorb_plan
    demeaned = sample.absorb(sample.design.exog.clone(), None).resid
    with pytest.warns(CollinearityWarning, match="x3"):
        fewer, keep = sample.drop_collinear(demeaned, None)
    assert keep == [0, 2] and list(fewer.design.exog_names) == ["x1", "x2"]
    assert fewer.absorb_plan is plan and fewer.absorb_terms is sample.absorb_terms
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same, _ = fewer.drop_collinear(demeaned[:, keep], None)
    assert same is fewer


def test_rows_without_drops_the_singletons_it_leaves() -> None:
    data = pd.DataFrame(
        {"y": np.arange(8.0), "x": np.arange(8.0) ** 2, "f": [0, 0, 1, 1, 2, 2, 2, 3]}
    ).assign(g=lambda d: [0, 1, 0, 1, 0, 1, 0, 1])
    sample = _sample("y ~ x | f", data.iloc[:7])
    rows = np.zeros(sample.design.nobs, dtype=bool)
    rows[0] = True  # leaves the other row of level 0 alone
    np.testing.assert_array_equal(
        sample.rows_without(rows.copy()), [False, False, True, True, True, True, True]
    )


def test_effects_normalised_as_fixest_and_predicted_for_new_rows() -> None:
    data = panel(3, n=1200)
    results = ts.ols("y ~ x1 + x2 | worker + firm", data).fit()
    sample = results.model.sample
    raw = [torch.arange(t.n_levels, dtype=torch.float64) + 1 for t in sample.absorb_terms]
    effects = sample.normalised(raw)
    assert float(effects[1][0]) == 0.0
    np.testing.assert_allclose(effects[0], raw[0] + 1.0)
    series = sample.fixef_series(effects)
    assert list(series) == ["worker", "firm"] and len(series["firm"]) == sample.groups.n_levels[1]
    new = data.iloc[:5].copy()
    new.loc[new.index[0], "firm"] = "unseen"
    params = torch.as_tensor(np.asarray(results.params))
    prediction = sample.predict_frame(params, results.model.effects(params), new)
    assert np.isnan(prediction[0])
    np.testing.assert_allclose(prediction[1:], np.asarray(results.fittedvalues)[1:5], rtol=1e-10)


def test_both_models_hold_a_sample() -> None:
    data = panel(4, n=600).assign(count=lambda d: np.random.default_rng(0).poisson(2, len(d)))
    ols = ts.ols("y ~ x1 | worker", data)
    poisson = ts.poisson("count ~ x1 | worker", data)
    for model in (ols, poisson):
        assert isinstance(model.sample, FixedEffectsSample)
        assert model.groups is model.sample.groups
        assert model.effect_counts.n_levels == (model.sample.groups.n_levels[0],)
    assert not isinstance(poisson, type(ols))


def test_instrumental_sample_carries_the_endogenous_and_instrument_blocks() -> None:
    data = panel(5, n=600).assign(z1=lambda d: d.x2 + d.w, z2=lambda d: d.w**2)
    data.loc[0, "worker"] = 10_000  # a singleton: dropped from every block
    sample = _sample("y ~ x1 | worker | x2 ~ z1 + z2", data, instrumental=True)
    assert sample.n_singletons >= 1
    assert sample.design.exog_names == ("x1",)
    assert sample.endogenous.exog_names == ("x2",)
    assert sample.instruments.exog_names == ("z1", "z2")
    for block in (sample.endogenous, sample.instruments):
        assert block.nobs == sample.design.nobs
    np.testing.assert_array_equal(
        sample.instruments.exog[:, 1].numpy(), data["w"].to_numpy()[sample.positions] ** 2
    )
    half = sample.select_rows(np.arange(sample.design.nobs) % 2 == 0)
    assert half.instruments.nobs == half.design.nobs == (sample.design.nobs + 1) // 2
    fewer = sample.keep_columns([1], "instruments")
    assert fewer.instruments.exog_names == ("z2",)
    assert fewer.design.exog is sample.design.exog and fewer.endogenous is sample.endogenous
    model = ts.ols("y ~ x1 | worker | x2 ~ z1 + z2", data)
    assert isinstance(model.sample, FixedEffectsSample) and model.groups is model.sample.groups


def _counted_plans(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The terms of every AbsorbPlan built from now on."""
    builds: list[object] = []
    build = AbsorbPlan.__init__

    def counted(plan: AbsorbPlan, terms: tuple[AbsorbTerm, ...]) -> None:
        builds.append(terms)
        build(plan, terms)

    monkeypatch.setattr(AbsorbPlan, "__init__", counted)
    return builds


def test_instrumental_model_demeans_with_the_samples_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builds = _counted_plans(monkeypatch)
    data = panel(6, n=600).assign(z1=lambda d: d.x2 + d.w, z2=lambda d: 2 * d.z1)
    with pytest.warns(CollinearityWarning, match="z2"):  # the sample less a column keeps it
        model = ts.ols("y ~ x1 | worker + firm | x2 ~ z1 + z2", data)
    model.fit()
    assert model.instrument_names == ("z1",)
    assert model.sample.absorb_plan.terms is model.sample.absorb_terms
    assert len(builds) == 1


@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "state"}], ids=str)
def test_negative_binomial_covariance_demeans_with_the_samples_plan(
    monkeypatch: pytest.MonkeyPatch, vcov: object
) -> None:
    builds = _counted_plans(monkeypatch)
    data = panel(7, n=600).assign(count=lambda d: np.random.default_rng(7).poisson(2, len(d)))
    results = ts.negativebinomial("count ~ x1 | worker + firm", data).fit(vcov=vcov)
    assert np.all(np.isfinite(results.bse))
    assert len(builds) == 1


@pytest.mark.parametrize(
    ("build", "model"),
    [
        (lambda f, d: FixedEffectsOLS(f, d), "FixedEffectsOLS"),
        (lambda f, d: ts.poisson(f, d.assign(y=(d.y > 1).astype(float))), "FixedEffectsGLM"),
        (lambda f, d: ts.logit(f, d.assign(y=(d.y > 1).astype(float))), "FixedEffectsGLM"),
        (lambda f, d: ts.glm(f, d), "FixedEffectsGLM"),
        (
            lambda f, d: ts.negativebinomial(f, d.assign(y=(d.y > 1).astype(float))),
            "FixedEffectsNegativeBinomial",
        ),
    ],
    ids=["FixedEffectsOLS", "poisson", "logit", "glm", "negativebinomial"],
)
def test_instrumental_part_refused_names_the_model_and_ts_ols(
    build: Callable[[str, pd.DataFrame], object], model: str
) -> None:
    data = panel(5, n=200).assign(z1=lambda d: d.w)
    refusal = rf"^{model} does not fit the instrumental-variables part 'x2 ~ z1'.*ts\.ols"
    with pytest.raises(InvalidOptionError, match=refusal):
        build("y ~ x1 | worker | x2 ~ z1", data)


def test_instrumental_part_is_checked() -> None:
    data = panel(5, n=200).assign(z1=lambda d: d.w)
    with pytest.raises(InvalidOptionError, match="fitted by two-stage least squares only"):
        _sample("y ~ x1 | worker | x2 ~ z1", data)
    with pytest.raises(DesignError, match="no instrumental-variables part"):
        _sample("y ~ x1 | worker", data, instrumental=True)
    with pytest.raises(DesignError, match="both exogenous regressors and endogenous"):
        _sample("y ~ x1 + x2 | worker | x2 ~ z1", data, instrumental=True)
