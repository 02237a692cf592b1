"""Every formula model on a design with sparse dummies equals the same fit on dense dummies.

A many-level factor makes the formula keep its dummies sparse (a ``BlockMatrix``); the
thresholds are lowered here so that small data sets take that route. Each statistic of each
model is compared with the fit on the dense design (the route every parity test checks
against statsmodels). Logit, Probit, Poisson, NegativeBinomial, GLM, OLS and WLS compute
with the sparse design as it is; the other likelihood models (autograd through per-row
work) and the batched regressions make it dense within ``DENSE_LIMIT_BYTES``, and refuse
beyond it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

import torchstats as ts
import torchstats.formula.sparse as sparse_module
import torchstats.structured.block_matrix as block_module
from tests.parity import assert_matches
from torchstats.errors import ConvergenceWarning, DesignError, HessianWarning
from torchstats.structured.block_matrix import BlockMatrix

RTOL = 1e-10
LEVELS = 55  # above the 50 levels from which a factor may get sparse dummies


@contextmanager
def _sparse_dummies() -> Iterator[None]:
    """Formulas built inside keep the dummies of factors with > 50 levels sparse whatever
    the data's size (the fits are cached across tests, so no ``monkeypatch``)."""
    saved = sparse_module._SPARSE_ABOVE_ENTRIES
    sparse_module._SPARSE_ABOVE_ENTRIES = 0
    try:
        yield
    finally:
        sparse_module._SPARSE_ABOVE_ENTRIES = saved


def _frame(seed: int, n: int = 660) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    firm = np.arange(n) % LEVELS
    rng.shuffle(firm)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.uniform(0.5, 2.0, size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "firm": [f"f{code:02d}" for code in firm],
            "cl": rng.integers(0, 30, size=n),
            "w": rng.uniform(0.5, 2.0, size=n),
        },
        index=[f"r{i}" for i in range(n)],
    )
    effect = (firm - LEVELS / 2) / (2.0 * LEVELS)
    eta = 0.2 + 0.4 * frame["x1"] + effect
    frame["y"] = eta + rng.normal(size=n)
    frame["yp"] = np.exp(eta + 0.3 * rng.normal(size=n))
    frame["yb"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    frame["yc"] = rng.poisson(np.exp(eta + 0.7) * rng.gamma(1.0, 1.0, size=n)).astype(float)
    frame["yo"] = np.digitize(eta + rng.logistic(size=n), [-0.5, 0.5, 1.5])
    frame["ym"] = rng.integers(0, 3, size=n)
    return frame


DATA = {
    "additive": ("~ x1 + x2 + C(firm)", 0),
    "interaction": ("~ x1 * C(g) + C(firm)", 1),
    "sparse_slopes": ("~ x2 + x1:C(firm)", 2),  # the sparse block holds x1, not ones
}

# a model: (builder of the model from a formula's right-hand side and the data, response,
# the statistics it has, whether it computes with the sparse design as it is)
Builder = Callable[[str, pd.DataFrame], Any]
_GAMMA = ts.families.Gamma(ts.families.links.Log())
_LINEAR = ("params", "bse", "llf", "HC0", "HC3", "cluster", "fitted", "predict_new")
_PREDICTION = ("prediction", "prediction_new")
_SINGLE_INDEX = _LINEAR + _PREDICTION + ("influence",)
_COUNT = ("params", "bse", "llf", "HC0", "cluster", "fitted", "predict_new")

MODELS: dict[str, tuple[Builder, str, tuple[str, ...], bool]] = {
    "ols": (lambda f, d: ts.ols(f, d), "y", _SINGLE_INDEX, True),
    "wls": (lambda f, d: ts.wls(f, d, weights=d["w"]), "y", _SINGLE_INDEX, True),
    "glm_gaussian": (lambda f, d: ts.glm(f, d), "y", _SINGLE_INDEX, True),
    "glm_binomial": (
        lambda f, d: ts.glm(f, d, family=ts.families.Binomial()),
        "yb",
        _SINGLE_INDEX,
        True,
    ),
    "glm_poisson_weights": (
        lambda f, d: ts.glm(f, d, family=ts.families.Poisson(), var_weights=d["w"]),
        "yc",
        _SINGLE_INDEX,
        True,
    ),
    "glm_gamma": (lambda f, d: ts.glm(f, d, family=_GAMMA), "yp", _SINGLE_INDEX, True),
    "logit": (lambda f, d: ts.logit(f, d), "yb", _SINGLE_INDEX + ("margeff",), True),
    "probit": (lambda f, d: ts.probit(f, d), "yb", _SINGLE_INDEX + ("margeff",), True),
    "poisson": (
        lambda f, d: ts.poisson(f, d, exposure=d["w"]),
        "yc",
        _SINGLE_INDEX + ("margeff",),
        True,
    ),
    "negativebinomial": (
        lambda f, d: ts.negativebinomial(f, d),
        "yc",
        _COUNT + _PREDICTION + ("influence", "margeff"),
        True,
    ),
    "negativebinomialp": (
        lambda f, d: ts.negativebinomialp(f, d),
        "yc",
        _COUNT + _PREDICTION + ("margeff",),
        False,
    ),
    "generalizedpoisson": (
        lambda f, d: ts.generalizedpoisson(f, d),
        "yc",
        _COUNT + _PREDICTION + ("margeff",),
        False,
    ),
    "zeroinflatedpoisson": (
        lambda f, d: ts.zeroinflatedpoisson(f, d, exog_infl="~ x2"),
        "yc",
        _COUNT + _PREDICTION,
        False,
    ),
    "zeroinflatednegativebinomialp": (
        lambda f, d: ts.zeroinflatednegativebinomialp(f, d),
        "yc",
        _COUNT + _PREDICTION,
        False,
    ),
    "zeroinflatedgeneralizedpoisson": (
        lambda f, d: ts.zeroinflatedgeneralizedpoisson(f, d),
        "yc",
        _COUNT + _PREDICTION,
        False,
    ),
    "truncatedlfpoisson": (
        lambda f, d: ts.truncatedlfpoisson(f, d),
        "yc",
        _COUNT + _PREDICTION + ("margeff",),
        False,
    ),
    "truncatedlfnegativebinomialp": (
        lambda f, d: ts.truncatedlfnegativebinomialp(f, d),
        "yc",
        _COUNT + _PREDICTION + ("margeff",),
        False,
    ),
    "hurdlecountmodel": (
        lambda f, d: ts.hurdlecountmodel(f, d),
        "yc",
        _COUNT + _PREDICTION,
        False,
    ),
    "batched_ols": (
        lambda f, d: ts.batched_ols(f, d, by="g"),
        "y",
        ("params", "bse", "llf", "HC0", "HC3"),
        False,
    ),
    "batched_wls": (
        lambda f, d: ts.batched_wls(f, d, weights=d["w"], by="g"),
        "y",
        ("params", "bse", "llf", "HC0", "HC3"),
        False,
    ),
}
# the sparse-slopes formula: the models that compute with the sparse design itself
SPARSE_SLOPES_MODELS = ("ols", "wls", "glm_poisson_weights", "logit", "probit", "poisson")
# batched regressions (no cluster covariances): the interaction with the group factor g
# would leave every group rank deficient
BATCHED = ("batched_ols", "batched_wls")


def _cases() -> list[tuple[str, str]]:
    cases = [(model, data) for model in MODELS for data in ("additive", "interaction")]
    cases += [(model, "sparse_slopes") for model in SPARSE_SLOPES_MODELS]
    return [(m, d) for m, d in cases if not (m in BATCHED and d == "interaction")]


@cache
def _models(model: str, data: str) -> tuple[Any, Any, pd.DataFrame]:
    """The model on sparse dummies, the same on dense dummies, and the data."""
    build, response, _, _ = MODELS[model]
    rhs, seed = DATA[data]
    frame = _frame(seed)
    with _sparse_dummies():
        sparse = build(response + " " + rhs, frame)
    dense = build(response + " " + rhs, frame)
    return sparse, dense, frame


@cache
def _fit(model: str, data: str, route: str, cov_type: str) -> Any:
    sparse, dense, frame = _models(model, data)
    chosen = sparse if route == "sparse" else dense
    kwargs: dict[str, Any] = {} if cov_type == "nonrobust" else {"cov_type": cov_type}
    if cov_type == "cluster":
        kwargs["cov_kwds"] = {"groups": frame["cl"]}
    with warnings.catch_warnings():
        # every fit converges, with a definite Hessian (batched groups may be deficient);
        # the counts have no excess zeros, so a zero-inflated fit's inflation tends to 0
        # and says so, on both routes alike
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", HessianWarning)
        warnings.filterwarnings("ignore", ".*the zero inflation tends to 0", ConvergenceWarning)
        return chosen.fit(**kwargs)


def _statistic(name: str, model: str, data: str, route: str) -> Any:
    frame = _models(model, data)[2]
    new = frame.iloc[::37]
    if name in ("HC0", "HC3", "cluster"):
        return _fit(model, data, route, name).bse
    res = _fit(model, data, route, "nonrobust")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "hat matrix is not available" on both routes
        return {
            "params": lambda: res.params,
            "bse": lambda: res.bse,
            "llf": lambda: res.llf,
            "fitted": lambda: res.predict(),
            "predict_new": lambda: res.predict(new),
            "prediction": lambda: res.get_prediction().summary_frame(),
            "prediction_new": lambda: res.get_prediction(new).summary_frame(),
            "influence": lambda: res.get_influence().summary_frame(),
            "margeff": lambda: res.get_margeff().summary_frame(),
        }[name]()


STATISTICS = (
    "params",
    "bse",
    "llf",
    "HC0",
    "HC3",
    "cluster",
    "fitted",
    "predict_new",
    "prediction",
    "prediction_new",
    "influence",
    "margeff",
)


@pytest.mark.parametrize(("model", "data"), _cases())
@pytest.mark.parametrize("statistic", STATISTICS)
def test_sparse_dummies_give_the_dense_statistic(model, data, statistic):
    if statistic not in MODELS[model][2]:
        pytest.skip(f"torchstats' {model} has no {statistic} (on dense designs neither)")
    ours = _statistic(statistic, model, data, "sparse")
    dense = _statistic(statistic, model, data, "dense")
    if np.ndim(dense) == 0:
        np.testing.assert_allclose(float(ours), float(dense), rtol=RTOL)
    else:
        assert_matches(ours, dense, rtol=RTOL, atol_scale=1e-12)


_POISSON = ts.families.Poisson()
MORE_PATHS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "logit_HAC": lambda d: (
        ts.logit("yb ~ x1 + C(firm)", d).fit(cov_type="HAC", cov_kwds={"maxlags": 2}).bse
    ),
    "negativebinomial_HAC": lambda d: (
        ts.negativebinomial("yc ~ x1 + C(firm)", d).fit(cov_type="HAC", cov_kwds={"maxlags": 2}).bse
    ),
    "glm_newton": lambda d: (
        ts.glm("yc ~ x1 + C(firm)", d, family=_POISSON).fit(method="newton").bse
    ),
    "glm_binomial_counts": lambda d: (
        ts.glm("trials_won + trials_lost ~ x1 + C(firm)", d, family=ts.families.Binomial())
        .fit()
        .bse
    ),
    "glm_score_test": lambda d: (
        ts.glm("yc ~ x1 + C(firm)", d, family=_POISSON).fit().score_test(exog_extra=d[["x2"]])[0]
    ),
    "logit_score_test": lambda d: (
        ts.logit("yb ~ x1 + C(firm)", d).fit().score_test(exog_extra=d[["x2"]])[0]
    ),
    "glm_influence_expected": lambda d: (
        ts.glm("yp ~ x1 + C(firm)", d, family=_GAMMA)
        .fit()
        .get_influence(observed=False)
        .summary_frame()
    ),
    "poisson_zero_inflation_test": lambda d: (
        ts.poisson("yc ~ x1 + C(firm)", d)
        .fit()
        .get_diagnostic()
        .test_poisson_zeroinflation()
        .statistic
    ),
    "zeroinflated_sparse_inflation": lambda d: (
        ts.zeroinflatedpoisson("yc ~ x1", d, exog_infl="~ x2 + C(firm)").fit(maxiter=200).params
    ),
}


@pytest.mark.parametrize("path", sorted(MORE_PATHS))
def test_more_paths_on_sparse_dummies(path):
    frame = _frame(4)
    frame["trials_won"] = np.random.default_rng(4).integers(0, 6, len(frame)).astype(float)
    frame["trials_lost"] = 5.0 - frame["trials_won"]
    with _sparse_dummies():
        ours = MORE_PATHS[path](frame)
    dense = MORE_PATHS[path](frame)
    assert_matches(ours, dense, rtol=RTOL, atol_scale=1e-12)


@pytest.mark.parametrize(("model", "data"), [case for case in _cases() if case[1] == "additive"])
def test_design_is_sparse_or_made_dense_within_the_limit(model, data):
    sparse, dense, _ = _models(model, data)
    if model in BATCHED:  # the design keeps sparse dummies; the padded batch is dense
        assert isinstance(sparse.design.exog, BlockMatrix)
        assert isinstance(sparse.exog, torch.Tensor)
    else:
        assert isinstance(sparse.design.exog, BlockMatrix) is MODELS[model][3]
    assert isinstance(dense.design.exog, torch.Tensor)


@pytest.mark.parametrize(
    "formula",
    ["y ~ x1 + C(firm) | x2 ~ z", "y ~ x1 | x2 ~ z + C(firm)", "y ~ C(firm) | g | x2 ~ z"],
)
def test_instrumental_variables_make_sparse_dummies_dense(formula):
    frame = _frame(5)
    rng = np.random.default_rng(5)
    frame["z"] = rng.normal(size=len(frame))
    frame["x2"] = frame["z"] + rng.normal(size=len(frame))
    dense = ts.ols(formula, frame).fit(cov_type="HC1")
    with _sparse_dummies():
        ours = ts.ols(formula, frame).fit(cov_type="HC1")
    assert_matches(ours.params, dense.params, rtol=RTOL, atol_scale=1e-12)
    assert_matches(ours.bse, dense.bse, rtol=RTOL)


@pytest.mark.parametrize("model", ["mnlogit", "ordered_model"])
def test_categorical_responses_keep_dense_dummies(model):
    # a categorical response takes the dense route (its codes come from the dense materializer)
    frame = _frame(3)
    build = {
        "mnlogit": lambda: ts.mnlogit("ym ~ x1 + C(firm)", frame),
        "ordered_model": lambda: ts.ordered_model("yo ~ x1 + C(firm)", frame),
    }[model]
    with _sparse_dummies():
        forced = build()
    plain = build()
    assert isinstance(forced.design.exog, torch.Tensor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_matches(forced.fit().params, plain.fit().params, rtol=RTOL)


def test_sparse_models_never_densify_for_fits_covariances_and_predictions(monkeypatch):
    """With no room for a dense design, the models that keep sparse dummies still fit, give
    robust covariances and predictions; what needs the dense design refuses clearly."""
    monkeypatch.setattr(block_module, "DENSE_LIMIT_BYTES", 0)
    for model in ("logit", "probit", "poisson", "negativebinomial", "glm_gamma", "ols"):
        sparse, _, frame = _models(model, "additive")
        assert isinstance(sparse.design.exog, BlockMatrix)
        res = sparse.fit()
        assert np.isfinite(sparse.fit(cov_type="HC0").bse).all()
        cluster = sparse.fit(cov_type="cluster", cov_kwds={"groups": frame["cl"]})
        assert np.isfinite(cluster.bse).all()
        assert np.isfinite(res.predict(frame.iloc[:5])).all()
        assert np.isfinite(res.get_prediction().summary_frame()).all().all()
        if "HC3" in MODELS[model][2]:
            assert np.isfinite(sparse.fit(cov_type="HC3").bse).all()
    res = _models("logit", "additive")[0].fit()
    with pytest.raises(DesignError, match="score_obs needs the design as a dense matrix"):
        res.get_influence().summary_frame()  # its scores are (n, k)
    with pytest.raises(DesignError, match="get_margeff needs the design as a dense"):
        res.get_margeff()


@pytest.mark.parametrize(
    ("model", "match"),
    [
        ("negativebinomialp", "NegativeBinomialP needs the design as a dense matrix"),
        ("zeroinflatedpoisson", "ZeroInflatedPoisson needs the design as a dense matrix"),
        ("hurdlecountmodel", "HurdleCountModel needs the design as a dense matrix"),
        ("batched_ols", "batched_ols needs the design as a dense matrix"),
    ],
)
def test_models_needing_dense_designs_refuse_them_above_the_limit(monkeypatch, model, match):
    monkeypatch.setattr(block_module, "DENSE_LIMIT_BYTES", 1 << 10)
    build, response, _, _ = MODELS[model]
    frame = _frame(0)
    with _sparse_dummies(), pytest.raises(DesignError, match=match + r".*DENSE_LIMIT_BYTES"):
        build(response + " ~ x1 + C(firm)", frame)


@pytest.mark.parametrize("kind", ["ols", "logit"])
def test_many_levels_take_the_sparse_route_by_themselves(monkeypatch, kind):
    """At the real thresholds (> 50 levels, > 2^24 dummy entries) OLS and Logit keep the
    dummies sparse, and equal their fits on dense dummies (thresholds raised)."""
    rng = np.random.default_rng(5)
    n, levels = 60_000, 300
    frame = pd.DataFrame({"x": rng.normal(size=n), "firm": rng.integers(0, levels, n)})
    eta = 0.5 * frame["x"] + (frame["firm"] - levels / 2) / levels
    frame["y"] = eta + rng.normal(size=n)
    frame["yb"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    build, formula = (
        (ts.ols, "y ~ x + C(firm)") if kind == "ols" else (ts.logit, "yb ~ x + C(firm)")
    )
    sparse = build(formula, frame)
    assert isinstance(sparse.design.exog, BlockMatrix)
    assert sparse.design.exog.dense.shape[1] == 2  # the intercept and x; the rest sparse
    monkeypatch.setattr(sparse_module, "_SPARSE_ABOVE_ENTRIES", 1 << 40)
    dense = build(formula, frame)
    assert isinstance(dense.design.exog, torch.Tensor)
    ours, theirs = sparse.fit(cov_type="HC0"), dense.fit(cov_type="HC0")
    assert_matches(ours.params, theirs.params, rtol=RTOL, atol_scale=1e-12)
    assert_matches(ours.bse, theirs.bse, rtol=RTOL)
    np.testing.assert_allclose(ours.llf, theirs.llf, rtol=RTOL)
