"""Robust covariances of Logit, Probit, Poisson and NegativeBinomial against statsmodels."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import statsmodels.api as sm

import torchstats as ts
from tests.models.discrete_cases import OURS, THEIRS_FORMULA, make_discrete_frame
from tests.parity import assert_matches

pytestmark = [
    pytest.mark.filterwarnings("ignore:covariance of constraints does not have full rank"),
    # statsmodels' NegativeBinomial.fit hands cov_kwds on to its optimizer, which complains
    pytest.mark.filterwarnings("ignore:Keyword arguments have been passed to the optimizer"),
]

MODELS = {
    "logit": "yb ~ x1 + np.log(x2) + C(g)",
    "probit": "yb ~ x1 + C(h)",
    "poisson": "yc ~ x1 * C(h) + x3",
    "negbin": "yn ~ x1 + C(g)",
}
COV_SPECS = {
    "HC0": ("HC0", {}),
    "HC1": ("HC1", {}),
    "cluster": ("cluster", {"groups": "g"}),
    "cluster-2way": ("cluster", {"groups": ("g", "h")}),
    "HAC3": ("HAC", {"maxlags": 3}),
    "HAC2-corrected": ("HAC", {"maxlags": 2, "use_correction": True}),
}


def _kwds(frame, spec, *, statsmodels):
    kwds = dict(spec)
    groups = kwds.get("groups")
    if isinstance(groups, str):
        kwds["groups"] = (
            frame[groups].astype("category").cat.codes.to_numpy() if statsmodels else frame[groups]
        )
    elif isinstance(groups, tuple):
        both = frame[list(groups)]
        kwds["groups"] = (
            both.apply(lambda c: c.astype("category").cat.codes).to_numpy() if statsmodels else both
        )
    return kwds


@functools.cache
def _fits(model: str, spec_name: str, seed: int, use_t: bool | None = None):
    frame = make_discrete_frame(seed)
    formula = MODELS[model]
    cov_type, spec = COV_SPECS[spec_name]
    ours = (
        OURS[model]
        .from_formula(formula, frame)
        .fit(cov_type=cov_type, cov_kwds=_kwds(frame, spec, statsmodels=False), use_t=use_t)
    )
    theirs_model = THEIRS_FORMULA[model](formula, frame)
    start = theirs_model.fit(disp=0, method="newton" if model != "negbin" else "bfgs", maxiter=300)
    theirs = theirs_model.fit(
        start_params=start.params,
        disp=0,
        method="newton",
        maxiter=100,
        cov_type=cov_type,
        cov_kwds=_kwds(frame, spec, statsmodels=True) or None,
        use_t=use_t,
    )
    return ours, theirs


CASES = [(m, c, s) for m in MODELS for c in COV_SPECS for s in (0, 1)]


@pytest.fixture(params=CASES, ids=lambda c: f"{c[0]}|{c[1]}|data{c[2]}")
def fits(request):
    return _fits(*request.param)


def test_bse(fits):
    assert_matches(fits[0].bse, fits[1].bse, rtol=1e-7)


def test_cov_params(fits):
    assert_matches(fits[0].cov_params(), fits[1].cov_params(), rtol=1e-7, atol_scale=1e-10)


def test_pvalues(fits):
    assert_matches(fits[0].pvalues, fits[1].pvalues, rtol=1e-6, atol_scale=1e-12)


def test_use_t_and_description(fits):
    ours, theirs = fits
    assert ours.use_t is theirs.use_t is False
    assert ours.cov_type == theirs.cov_type
    assert ours.cov_kwds["description"] == theirs.cov_kwds["description"]


@pytest.mark.parametrize("model", list(MODELS))
def test_cluster_with_use_t_uses_g_minus_one_df(model):
    ours, theirs = _fits(model, "cluster", 0, True)
    assert ours.use_t is True
    assert_matches(ours.pvalues, theirs.pvalues, rtol=1e-6)
    assert_matches(ours.conf_int(), theirs.conf_int(), rtol=1e-7)


def test_get_robustcov_results_on_a_discrete_fit():
    frame = make_discrete_frame(0)
    base = OURS["logit"].from_formula(MODELS["logit"], frame).fit()
    robust = base.get_robustcov_results("HC0")
    _, theirs = _fits("logit", "HC0", 0)
    assert robust.mle_retvals == base.mle_retvals
    assert_matches(robust.bse, theirs.bse, rtol=1e-7)


def _overdispersed(n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(2, n))
    X = np.column_stack([np.ones(n), x1, x2])
    return rng.poisson(np.exp(0.3 + 0.5 * x1 - 0.3 * x2) * rng.gamma(1, 1, n)), X


@pytest.mark.parametrize(
    ("cov_type", "cov_kwds"),
    [
        ("HC0", {}),
        ("HAC", {"maxlags": 2}),
        ("cluster", {"groups": np.arange(300) % 20, "df_correction": False}),
    ],
    ids=["HC0", "HAC", "cluster-no-df-correction"],
)
def test_robust_tests_of_the_negative_binomial_use_its_df_resid(cov_type, cov_kwds):
    """t and F tests of a robust covariance took n - k with alpha counted (296 here), the
    cluster correction's k; statsmodels' and the model's own df_resid are n - k_exog."""
    y, X = _overdispersed()
    ours = ts.NegativeBinomial(y, X).fit(cov_type=cov_type, cov_kwds=cov_kwds, use_t=True)
    theirs = sm.NegativeBinomial(y, X).fit(
        method="newton", disp=0, cov_type=cov_type, cov_kwds=cov_kwds, use_t=True
    )
    contrast = np.eye(4)[1]
    assert ours.t_test(contrast).df_denom == theirs.t_test(contrast).df_denom == ours.df_resid
    assert ours.f_test(np.eye(4)[1:3]).df_denom == theirs.f_test(np.eye(4)[1:3]).df_denom
    np.testing.assert_allclose(ours.pvalues, theirs.pvalues, rtol=1e-6)


@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "HAC"])
def test_robust_tests_of_a_glm_with_frequency_weights_count_the_weights(cov_type):
    """Frequency weights stand for repeated rows: the tests' df is their sum less k (595
    here, statsmodels' and the model's df_resid), not the rows less k (297)."""
    y, X = _overdispersed()
    weights = np.random.default_rng(1).integers(1, 4, len(y)).astype(float)
    kwds = {"maxlags": 2} if cov_type == "HAC" else {}
    fits = [
        lib.GLM(y, X, family=lib.families.Poisson(), freq_weights=weights).fit(
            cov_type=cov_type, cov_kwds=kwds, use_t=True
        )
        for lib in (ts, sm)
    ]
    contrast = np.eye(3)[1]
    assert fits[0].t_test(contrast).df_denom == fits[1].t_test(contrast).df_denom
    assert fits[0].t_test(contrast).df_denom == fits[0].df_resid
    np.testing.assert_allclose(fits[0].pvalues, fits[1].pvalues, rtol=1e-8)
