"""MNLogit against statsmodels: one test per statistic, on several data sets and inputs.

Cases: statsmodels' anes96 (pandas arrays as in statsmodels' own tests, a formula, numpy),
simulated iris-like data with a text response, random data with five non-consecutive
numeric outcomes and a categorical regressor, and a pandas ``Categorical`` response whose
category order sets the reference. Both libraries fit by Newton to the same maximum;
statsmodels stops on a parameter step of 1e-8, so estimates agree to about 1e-12.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from tests.conftest import DEVICES
from tests.parity import assert_matches, mask_clock
from tests.summary.test_summary2 import _mask as mask_summary2
from tests.summary.test_summary2 import _mask_frame as mask_frame
from torchstats.autodiff.hessian import hessian as autograd_hessian
from torchstats.autodiff.scores import score_obs as autograd_score_obs
from torchstats.errors import (
    ConvergenceWarning,
    DesignError,
    InvalidOptionError,
    PerfectSeparationWarning,
    ShapeMismatchError,
    SpecificationWarning,
)

ANES_FORMULA = "PID ~ logpopul + selfLR + age + educ + income"


def anes96() -> pd.DataFrame:
    return sm.datasets.anes96.load_pandas().data


def iris_like(seed: int = 0, n: int = 240) -> pd.DataFrame:
    """Three species told apart (imperfectly) by four measurements."""
    rng = np.random.default_rng(seed)
    species = rng.choice(["setosa", "versicolor", "virginica"], size=n)
    centre = pd.Series(species).map({"setosa": 0.0, "versicolor": 0.6, "virginica": 1.2}).to_numpy()
    frame = pd.DataFrame(
        {
            "sepal_length": 5.0 + centre + rng.normal(scale=0.6, size=n),
            "sepal_width": 3.2 - 0.3 * centre + rng.normal(scale=0.4, size=n),
            "petal_length": 1.5 + 1.5 * centre + rng.normal(scale=0.9, size=n),
            "petal_width": 0.3 + 0.6 * centre + rng.normal(scale=0.5, size=n),
            "species": species,
        },
        index=[f"s{i}" for i in rng.permutation(n)],
    )
    return frame


def random_frame(seed: int = 1, n: int = 400) -> pd.DataFrame:
    """Five outcomes coded 1, 3, 4, 7, 9, two regressors and a three-level factor."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x1": rng.normal(size=n), "x2": rng.uniform(0, 2, size=n), "g": rng.choice(list("abc"), n)}
    )
    coef = rng.normal(scale=0.7, size=(3, 4))
    design = np.column_stack([np.ones(n), frame["x1"], frame["x2"]])
    eta = np.column_stack([np.zeros(n), design @ coef]) + 0.4 * (frame["g"] == "b").to_numpy()[
        :, None
    ] * np.arange(5)
    p = np.exp(eta - eta.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    frame["y"] = np.array([1, 3, 4, 7, 9])[(p.cumsum(1) > rng.random(n)[:, None]).argmax(1)]
    return frame


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[], tuple[Any, Any]]
    new_exog: Callable[[], Any]  # new data for both, or a pair (ours, statsmodels')


def _anes_arrays() -> tuple[Any, Any]:
    data = anes96()
    exog = sm.add_constant(data[["logpopul", "selfLR", "age", "educ", "income"]], prepend=False)
    return ts.MNLogit(data["PID"], exog), sm.MNLogit(data["PID"], exog)


def _anes_numpy() -> tuple[Any, Any]:
    data = anes96()
    exog = sm.add_constant(data[["logpopul", "selfLR", "age"]].to_numpy())
    endog = data["PID"].to_numpy()
    return ts.MNLogit(endog, exog), sm.MNLogit(endog, exog)


def _iris() -> tuple[Any, Any]:
    frame = iris_like()
    ours = ts.mnlogit("species ~ sepal_length + sepal_width + petal_length + petal_width", frame)
    # statsmodels' formulas refuse a text response: give it the same design as arrays
    exog = frame.drop(columns="species").assign(Intercept=1.0)[ours.exog_names]
    return ours, sm.MNLogit(frame["species"], exog)


def _categorical_order() -> tuple[Any, Any]:
    frame = iris_like(seed=4)
    endog = pd.Series(
        pd.Categorical(frame["species"], categories=["virginica", "setosa", "versicolor"]),
        index=frame.index,
        name="kind",
    )
    exog = sm.add_constant(frame[["sepal_length", "petal_width"]])
    return ts.MNLogit(endog, exog), sm.MNLogit(endog, exog)


CASES = [
    Case("anes96-arrays", _anes_arrays, lambda: _anes_arrays()[1].exog[:5]),
    Case(
        "anes96-formula",
        lambda: (ts.mnlogit(ANES_FORMULA, anes96()), smf.mnlogit(ANES_FORMULA, anes96())),
        lambda: anes96().iloc[10:16],
    ),
    Case("anes96-numpy", _anes_numpy, lambda: _anes_numpy()[1].exog[:4]),
    Case(
        "iris-text",
        _iris,
        lambda: (iris_like().iloc[:6], _iris()[1].data.orig_exog.iloc[:6]),
    ),
    Case(
        "random-categorical",
        lambda: (
            ts.mnlogit("y ~ x1 + x2 + C(g)", random_frame()),
            smf.mnlogit("y ~ x1 + x2 + C(g)", random_frame()),
        ),
        lambda: random_frame().iloc[3:9],
    ),
    Case(
        "categorical-order",
        _categorical_order,
        lambda: sm.add_constant(iris_like(seed=4)[["sepal_length", "petal_width"]]).iloc[:5],
    ),
]


@pytest.fixture(scope="module", params=CASES, ids=lambda case: case.id)
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


@pytest.fixture(scope="module")
def fits(case: Case) -> tuple[Any, Any]:
    ours, theirs = case.build()
    return ours.fit(), theirs.fit(disp=0)


# --- estimates and their covariance ---------------------------------------------------------


def test_names_and_layout(fits):
    ours, theirs = fits
    assert ours.model.exog_names == theirs.model.exog_names
    assert ours.model.endog_names == theirs.model.endog_names
    assert (ours.J, ours.K) == (theirs.J, theirs.K) == (ours.model.J, ours.model.K)
    assert type(ours.params) is type(theirs.params)
    assert ours.params.shape == theirs.params.shape == (ours.K, ours.J - 1)


def test_params(fits):
    assert_matches(fits[0].params, fits[1].params, rtol=1e-9, atol_scale=1e-11)


def test_bse(fits):
    assert_matches(fits[0].bse, fits[1].bse, rtol=1e-9)


def test_tvalues(fits):
    assert_matches(fits[0].tvalues, fits[1].tvalues, rtol=1e-9, atol_scale=1e-11)


def test_pvalues(fits):
    assert_matches(fits[0].pvalues, fits[1].pvalues, rtol=1e-8, atol_scale=1e-12)


def test_conf_int(fits):
    ours, theirs = fits
    assert_matches(ours.conf_int(0.1), theirs.conf_int(0.1), rtol=1e-9, atol_scale=1e-10)
    if isinstance(theirs.conf_int(), pd.DataFrame):
        pd.testing.assert_index_equal(ours.conf_int().index, theirs.conf_int().index)


def test_cov_params(fits):
    ours, theirs = fits
    assert_matches(ours.cov_params(), theirs.cov_params(), rtol=1e-9, atol_scale=1e-10)
    if isinstance(theirs.cov_params(), pd.DataFrame):
        pd.testing.assert_index_equal(ours.cov_params().columns, theirs.cov_params().columns)


def test_likelihood_statistics(fits):
    ours, theirs = fits
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-12)
    # statsmodels fits the null model numerically (~1e-10); ours is its closed form
    assert ours.llnull == pytest.approx(theirs.llnull, rel=1e-8)
    assert ours.llr == pytest.approx(theirs.llr, rel=1e-7)
    assert ours.llr_pvalue == pytest.approx(theirs.llr_pvalue, rel=1e-5, abs=1e-300)
    assert ours.prsquared == pytest.approx(theirs.prsquared, rel=1e-8)
    assert ours.aic == pytest.approx(theirs.aic, rel=1e-12)
    assert ours.bic == pytest.approx(theirs.bic, rel=1e-12)


def test_null_loglike_is_the_constant_only_maximum(fits):
    ours = fits[0]
    counts = np.bincount(np.asarray(ours.model.endog))
    expected = float(np.sum(counts * np.log(counts / counts.sum())))
    assert ours.llnull == pytest.approx(expected, rel=1e-14)
    constant_only = ts.MNLogit(np.asarray(ours.model.endog), np.ones(ours.nobs)).fit()
    assert constant_only.llf == pytest.approx(expected, rel=1e-13)


def test_degrees_of_freedom(fits):
    ours, theirs = fits
    assert (ours.nobs, ours.df_model, ours.df_resid) == (
        theirs.nobs,
        theirs.df_model,
        theirs.df_resid,
    )
    assert isinstance(ours.nobs, int) and isinstance(ours.df_model, float)


# --- predictions and residuals ----------------------------------------------------------------


@pytest.mark.parametrize("which", ["mean", "linear", "var"])
def test_predict_in_sample(fits, which):
    ours, theirs = fits
    assert_matches(
        ours.predict(which=which), theirs.predict(which=which), rtol=1e-9, atol_scale=1e-12
    )


@pytest.mark.parametrize("which", ["mean", "linear"])
def test_predict_new_data(fits, case, which):
    ours, theirs = fits
    new = case.new_exog()
    ours_new, theirs_new = new if isinstance(new, tuple) else (new, new)
    expected = theirs.predict(theirs_new, which=which)
    actual = ours.predict(ours_new, which=which)
    assert_matches(actual, expected, rtol=1e-9, atol_scale=1e-12)
    if isinstance(expected, pd.DataFrame):
        assert list(actual.index) == list(expected.index)


def test_pred_table(fits):
    np.testing.assert_array_equal(fits[0].pred_table(), fits[1].pred_table())


def test_residuals(fits):
    ours, theirs = fits
    assert_matches(ours.resid_response, theirs.resid_response, rtol=1e-9, atol_scale=1e-12)
    assert_matches(ours.resid_pearson, theirs.resid_pearson, rtol=1e-8, atol_scale=1e-12)
    assert_matches(ours.resid_misclassified, theirs.resid_misclassified, rtol=0)


def test_fittedvalues_are_the_linear_predictors(fits):
    ours = fits[0]
    np.testing.assert_allclose(
        np.asarray(ours.fittedvalues), np.asarray(ours.predict(which="linear"))[:, 1:], rtol=1e-14
    )


def test_loglikeobs_and_model_arrays(fits):
    ours, theirs = fits
    flat = (
        theirs.params.to_numpy().ravel(order="F")
        if hasattr(theirs.params, "to_numpy")
        else (theirs.params.ravel(order="F"))
    )
    # statsmodels' loglikeobs returns the (n, J) terms d_ij log p_ij; ours their row sums
    expected = theirs.model.loglikeobs(flat).sum(axis=1)
    np.testing.assert_allclose(np.asarray(ours.model.loglikeobs(flat)), expected, rtol=1e-12)
    np.testing.assert_array_equal(ours.model.endog, theirs.model.endog)
    np.testing.assert_array_equal(ours.model.wendog, np.asarray(theirs.model.wendog, dtype=float))
    np.testing.assert_allclose(
        np.asarray(ours.model.score(flat)), theirs.model.score(flat), atol=1e-8
    )
    np.testing.assert_allclose(
        np.asarray(ours.model.hessian(flat)), theirs.model.hessian(flat), rtol=1e-12
    )


# --- robust covariances ---------------------------------------------------------------------


@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "cluster"])
def test_robust_covariances(fits, case, cov_type):
    ours, theirs = case.build()
    groups = np.arange(ours.nobs) % 17
    kwds = {"groups": groups} if cov_type == "cluster" else {}
    robust, reference = (
        ours.fit(cov_type=cov_type, cov_kwds=kwds),
        theirs.fit(disp=0, cov_type=cov_type, cov_kwds=kwds),
    )
    assert robust.cov_type == reference.cov_type
    assert_matches(robust.bse, reference.bse, rtol=1e-9)
    assert_matches(robust.cov_params(), reference.cov_params(), rtol=1e-9, atol_scale=1e-10)
    again = fits[0].get_robustcov_results(cov_type, **kwds)
    assert_matches(again.bse, reference.bse, rtol=1e-9)


def test_wald_tests_use_statsmodels_names():
    ours, theirs = (model.fit(**kw) for model, kw in zip(_anes_arrays(), ({}, {"disp": 0})))
    assert ours.model.param_names[:2] == ["y1_logpopul", "y1_selfLR"]
    for hypothesis in ["y1_selfLR = 0", "y1_selfLR = y2_selfLR, y3_age = 0"]:
        mine, reference = ours.t_test(hypothesis), theirs.t_test(hypothesis)
        np.testing.assert_allclose(mine.effect, reference.effect, rtol=1e-9)
        np.testing.assert_allclose(mine.sd, reference.sd, rtol=1e-9)
    wald, reference = (
        ours.wald_test("y4_age = 0, y5_age = 0"),
        theirs.wald_test("y4_age = 0, y5_age = 0", scalar=True),
    )
    assert wald.statistic == pytest.approx(reference.statistic, rel=1e-9)


# --- summaries ------------------------------------------------------------------------------


def test_summary_text_matches_statsmodels_line_by_line(fits):
    ours, theirs = fits
    assert (
        mask_clock(ours.summary().as_text()).splitlines()
        == mask_clock(theirs.summary().as_text()).splitlines()
    )


def test_summary_with_options_matches(fits, monkeypatch):
    frozen = time.struct_time((2024, 3, 5, 9, 7, 3, 1, 65, 0))
    monkeypatch.setattr(time, "localtime", lambda *args: frozen)
    ours, theirs = fits
    kwargs = {"alpha": 0.1, "yname": "outcome", "title": "A title"}
    for output in ("as_text", "as_html", "as_latex"):
        assert (
            getattr(ours.summary(**kwargs), output)() == getattr(theirs.summary(**kwargs), output)()
        )


def test_summary2_matches(fits):
    ours, theirs = fits[0].summary2(), fits[1].summary2()
    for output in ("as_text", "as_html", "as_latex"):
        assert mask_summary2(getattr(ours, output)()) == mask_summary2(getattr(theirs, output)())
    assert ours.title == theirs.title and len(ours.tables) == len(theirs.tables)
    info, reference = (mask_frame(t.tables[0], iterations=True) for t in (ours, theirs))
    pd.testing.assert_frame_equal(info, reference)
    for mine, expected in zip(ours.tables[1:], theirs.tables[1:]):
        pd.testing.assert_frame_equal(mine, expected, check_exact=False, rtol=1e-8)


def test_robust_summary_matches(case):
    ours, theirs = case.build()
    mine, reference = ours.fit(cov_type="HC0"), theirs.fit(disp=0, cov_type="HC0")
    assert mask_clock(mine.summary().as_text()) == mask_clock(reference.summary().as_text())


# --- inputs ---------------------------------------------------------------------------------


def test_numpy_pandas_tensor_and_formula_inputs_agree():
    data = anes96()
    exog = sm.add_constant(data[["logpopul", "selfLR", "age"]])
    pandas_fit = ts.MNLogit(data["PID"], exog).fit()
    numpy_fit = ts.MNLogit(data["PID"].to_numpy(), exog.to_numpy()).fit()
    tensor_fit = ts.MNLogit(
        torch.tensor(data["PID"].to_numpy()), torch.tensor(exog.to_numpy())
    ).fit()
    formula_fit = ts.mnlogit("PID ~ logpopul + selfLR + age", data).fit()
    categorical_fit = ts.mnlogit("C(PID) ~ logpopul + selfLR + age", data).fit()
    expected = pandas_fit.params.to_numpy()
    np.testing.assert_allclose(numpy_fit.params, expected, rtol=1e-13)
    assert isinstance(tensor_fit.params, torch.Tensor)
    assert isinstance(tensor_fit.predict(), torch.Tensor) and tensor_fit.conf_int().shape == (
        6,
        4,
        2,
    )
    np.testing.assert_allclose(tensor_fit.params.numpy(), expected, rtol=1e-13)
    np.testing.assert_allclose(formula_fit.params.to_numpy(), expected, rtol=1e-13)
    np.testing.assert_allclose(categorical_fit.params.to_numpy(), expected, rtol=1e-13)
    assert categorical_fit.model.endog_names == "C(PID)"
    assert categorical_fit.conf_int().index[0] == ("1", "Intercept")
    assert "  C(PID)=1 " in categorical_fit.summary().as_text()


def test_text_and_categorical_formula_responses_equal_their_arrays():
    frame = iris_like(seed=2)
    ours = ts.mnlogit("species ~ sepal_length + petal_width", frame).fit()
    frame["kind"] = pd.Categorical(
        frame["species"], categories=["virginica", "setosa", "versicolor"]
    )
    ordered = ts.mnlogit("kind ~ sepal_length + petal_width", frame).fit()
    exog = sm.add_constant(frame[["sepal_length", "petal_width"]])
    assert ours.model.outcomes == ["setosa", "versicolor", "virginica"]
    assert ordered.model.outcomes == ["virginica", "setosa", "versicolor"]
    for fit, endog in ((ours, frame["species"]), (ordered, frame["kind"])):
        reference = sm.MNLogit(endog, exog).fit(disp=0)
        np.testing.assert_allclose(fit.params.to_numpy(), reference.params.to_numpy(), rtol=1e-9)
        assert list(fit.cov_params().index) == [
            (label, name.replace("const", "Intercept"))
            for label, name in reference.cov_params().index
        ]


def test_indicator_matrix_response():
    data = anes96()
    exog = sm.add_constant(data[["logpopul", "selfLR"]])
    dummies = pd.get_dummies(data["PID"].astype(int)).astype(float)
    ours, theirs = ts.MNLogit(dummies, exog).fit(), sm.MNLogit(dummies, exog).fit(disp=0)
    assert ours.model.endog_names == theirs.model.endog_names == "y"
    assert_matches(ours.bse, theirs.bse, rtol=1e-9)
    assert mask_clock(ours.summary().as_text()) == mask_clock(theirs.summary().as_text())


def test_formula_rows_dropped_and_subset():
    frame = random_frame(seed=3)
    frame.loc[[2, 5], "x1"] = np.nan
    ours = ts.mnlogit("y ~ x1 + C(g)", frame, subset=frame["x2"] > 0.2).fit()
    theirs = smf.mnlogit("y ~ x1 + C(g)", frame, subset=frame["x2"] > 0.2).fit(disp=0)
    assert ours.nobs == theirs.nobs
    assert_matches(ours.params, theirs.params, rtol=1e-9, atol_scale=1e-11)
    assert_matches(ours.resid_misclassified, theirs.resid_misclassified, rtol=0)


def test_scipy_method_takes_statsmodels_path():
    ours, theirs = _anes_numpy()
    mine = ours.fit(method="bfgs", maxiter=200)
    reference = theirs.fit(method="bfgs", maxiter=200, disp=0)
    np.testing.assert_allclose(mine.params, reference.params, rtol=1e-6)
    assert mine.mle_settings["optimizer"] == "bfgs"


def test_start_params_as_a_table_are_read_by_column():
    ours, theirs = _anes_numpy()
    reference = theirs.fit(disp=0)
    fit = ours.fit(start_params=reference.params)  # (K, J - 1): statsmodels' layout
    assert fit.mle_retvals["iterations"] <= 1
    np.testing.assert_allclose(fit.params, reference.params, rtol=1e-9)


# --- derivatives ----------------------------------------------------------------------------


def test_closed_forms_equal_autograd():
    ours = _anes_numpy()[0]
    theta = torch.tensor(np.random.default_rng(0).normal(scale=0.05, size=4 * 6))
    torch.testing.assert_close(
        ours.score(theta), torch.func.grad(ours.loglike)(theta), rtol=1e-12, atol=1e-9
    )
    torch.testing.assert_close(
        ours.score_obs(theta), autograd_score_obs(ours.loglikeobs, theta), rtol=1e-12, atol=1e-12
    )
    torch.testing.assert_close(
        ours.hessian(theta), autograd_hessian(ours.loglike, theta), rtol=1e-12, atol=1e-9
    )
    value, gradient, hessian = ours._internal_derivatives(theta)
    torch.testing.assert_close(value, -ours.loglike(theta), rtol=1e-14, atol=0)
    torch.testing.assert_close(gradient, -ours.score(theta), rtol=1e-14, atol=1e-12)
    torch.testing.assert_close(hessian, -ours.hessian(theta), rtol=1e-14, atol=1e-12)
    factor = ours.hessian_factor(theta)
    X, m = ours.design.exog, factor.shape[1]
    blocks = [[X.T @ (factor[:, j, i, None] * X) for i in range(m)] for j in range(m)]
    torch.testing.assert_close(torch.cat([torch.cat(r, 1) for r in blocks]), ours.hessian(theta))


# --- devices --------------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_device_fit_equals_cpu(device):
    frame = random_frame(seed=5)
    reference = ts.mnlogit("y ~ x1 + x2 + C(g)", frame).fit(cov_type="HC0")
    fit = ts.mnlogit("y ~ x1 + x2 + C(g)", frame, device=device).fit(cov_type="HC0")
    assert fit.fit_result.params.device.type == device
    assert_matches(fit.params, reference.params, rtol=1e-10, atol_scale=1e-12)
    assert_matches(fit.bse, reference.bse, rtol=1e-10)
    assert fit.llnull == pytest.approx(reference.llnull, rel=1e-13)
    assert_matches(fit.predict(frame.head()), reference.predict(frame.head()), rtol=1e-10)
    assert (
        fit.summary().as_text().splitlines()[10:] == reference.summary().as_text().splitlines()[10:]
    )


# --- bad input and warnings -----------------------------------------------------------------


def test_one_outcome_is_refused():
    with pytest.raises(DesignError, match="at least two outcomes"):
        ts.MNLogit(np.zeros(10), np.ones((10, 1)))


def test_empty_outcome_is_refused():
    endog = pd.Series(pd.Categorical(["a", "b"] * 5, categories=["a", "b", "c"]))
    with pytest.raises(DesignError, match=r"outcome\(s\) c have no observations"):
        ts.MNLogit(endog, np.ones((10, 1)))


def test_bad_indicator_matrix_is_refused():
    indicators = np.eye(3)[[0, 1, 2, 1]]
    indicators[1, 2] = 1.0
    with pytest.raises(ShapeMismatchError, match="exactly one 1"):
        ts.MNLogit(indicators, np.ones((4, 1)))


def test_missing_response_needs_a_policy():
    endog = np.array([0.0, 1.0, np.nan, 2.0, 1.0, 0.0, 2.0, 1.0])
    exog = np.column_stack([np.ones(8), np.arange(8.0)])
    with pytest.raises(DesignError):
        ts.MNLogit(endog, exog)
    assert ts.MNLogit(endog, exog, missing="drop").nobs == 7


def test_fractional_outcomes_warn_and_label_as_statsmodels():
    frame = pd.DataFrame({"A": [0.0, 1.1, 0, 0, 1.1], "B": [0, 1, 0, 1, 1]})
    with pytest.warns(SpecificationWarning, match="not int-like"):
        model = ts.mnlogit("A ~ B", frame)
    assert model.outcomes == ["0", "1.1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert "A=1.1" in model.fit().summary().as_text()


def test_complete_separation_warns():
    x = np.random.default_rng(0).normal(size=60)
    y = np.where(x < -0.5, 0, np.where(x < 0.5, 1, 2))
    with pytest.warns(PerfectSeparationWarning, match="complete separation"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ts.MNLogit(y, np.column_stack([np.ones(60), x])).fit()


def test_quasi_separation_warns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = rng.integers(0, 2, 200)
    y[x > 1] = 2  # outcome 2 exactly when x > 1: its coefficients diverge
    with pytest.warns(PerfectSeparationWarning, match="quasi-complete separation"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ts.MNLogit(y, np.column_stack([np.ones(200), x])).fit()


def test_overlapping_outcomes_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _anes_numpy()[0].fit()


def test_non_convergence_warns():
    with pytest.warns(ConvergenceWarning, match="did not converge after 1 iterations"):
        fit = _anes_numpy()[0].fit(maxiter=1)
    assert not fit.mle_retvals["converged"]
    assert "converged:                      False" in fit.summary().as_text()


def test_unknown_which_and_unavailable_methods():
    fit = _anes_numpy()[0].fit()
    with pytest.raises(InvalidOptionError, match="which"):
        fit.predict(which="prob")
    for method in (fit.get_prediction, fit.get_influence, fit.wald_test_terms):
        with pytest.raises(NotImplementedError):
            method()
    with pytest.raises(NotImplementedError):
        fit.model.pdf(np.zeros((2, 6)))


def test_cdf_of_linear_predictors():
    model = _anes_numpy()[0]
    eta = np.random.default_rng(0).normal(size=(4, 6))
    expected = np.exp(np.column_stack([np.zeros(4), eta]))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(model.cdf(eta), expected, rtol=1e-14)
    assert isinstance(model.cdf(torch.tensor(eta)), torch.Tensor)


def test_repr_and_flat_names():
    model = ts.mnlogit("y ~ x1 + C(g)", random_frame())
    assert re.match(
        r"<torchstats\.MNLogit formula='y ~ x1 \+ C\(g\)', nobs=400, k=16>", repr(model)
    )
    assert model.param_names[:5] == [
        "y3_Intercept",
        "y3_C(g)[T.b]",
        "y3_C(g)[T.c]",
        "y3_x1",
        "y4_Intercept",
    ]


# --- score tests ----------------------------------------------------------------------------


def _anes_small() -> tuple[Any, Any, pd.DataFrame]:
    data = anes96()
    exog = sm.add_constant(data[["logpopul", "selfLR"]])
    return ts.MNLogit(data["PID"], exog).fit(), sm.MNLogit(data["PID"], exog).fit(disp=0), data


def test_score_test_of_omitted_regressors_matches_statsmodels():
    ours, theirs, data = _anes_small()
    for extra in (data[["age"]], data[["age", "educ"]]):
        mine, reference = ours.score_test(exog_extra=extra), theirs.score_test(exog_extra=extra)
        np.testing.assert_allclose(mine.statistic, reference.statistic, rtol=1e-9)
        np.testing.assert_allclose(mine.pvalue, reference.pvalue, rtol=1e-8)
        assert mine.k_constraint == reference.k_constraint == 6 * extra.shape[1]


def test_robust_score_test_restricts_the_extra_columns_of_every_equation():
    from statsmodels.base._parameter_inference import _lm_robust

    ours, theirs, data = _anes_small()
    extended = sm.MNLogit(data["PID"], sm.add_constant(data[["logpopul", "selfLR", "age"]]))
    # the restricted estimate in the extended model: age's coefficient 0 in each equation
    params = np.vstack([theirs.params.to_numpy(), np.zeros((1, 6))]).ravel(order="F")
    scores, hessian = extended.score_obs(params), extended.hessian(params)
    restricted = np.eye(24)[[4 * j + 3 for j in range(6)]]
    cov_score = ours.nobs * np.cov(scores.T)
    expected = _lm_robust(scores.sum(0), restricted, -np.linalg.inv(hessian), cov_score)
    mine = ours.score_test(exog_extra=data[["age"]], cov_type="HC0")
    np.testing.assert_allclose(mine.statistic, expected[0], rtol=1e-8)
    # with one equation statsmodels' restriction (the last parameters) is the same
    binary = (data["PID"] > 3).astype(int)
    exog = sm.add_constant(data[["logpopul", "selfLR"]])
    two = ts.MNLogit(binary, exog).fit().score_test(exog_extra=data[["age"]], cov_type="HC0")
    reference = (
        sm.MNLogit(binary, exog).fit(disp=0).score_test(exog_extra=data[["age"]], cov_type="HC0")
    )
    np.testing.assert_allclose(two.statistic, reference.statistic, rtol=1e-9)


def test_flat_directions_of_a_multi_equation_information():
    from torchstats.models.separation import nearly_singular

    model = _anes_numpy()[0]
    fit = model.fit()
    hessian = model.hessian(fit.fit_result.params)
    gram = model.design.exog.T @ model.design.exog
    assert not nearly_singular(hessian, gram)
    flat = hessian.clone()
    flat[:, :4] = 0.0  # the first equation's information vanishes
    flat[:4, :] = 0.0
    assert nearly_singular(flat, gram)
