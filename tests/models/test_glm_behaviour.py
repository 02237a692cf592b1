"""GLM behaviour beyond statsmodels parity: derivatives against autograd, weights as
repeated rows, array inputs, devices, warnings and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from tests.conftest import DEVICES
from tests.models.glm_cases import glm_frame
from torchstats.errors import (
    ConvergenceWarning,
    DesignError,
    DomainWarning,
    InvalidOptionError,
    InvalidWeightsError,
    NumericalError,
    PerfectSeparationWarning,
    UnknownColumnError,
)

F, L = ts.families, ts.families.links

DERIVATIVE_CASES = [
    ("yc ~ x1 + C(g)", F.Poisson()),
    ("yc ~ x1 + x2", F.Poisson(L.Sqrt())),
    ("yb ~ x1 + x2", F.Binomial(L.Probit())),
    ("yb ~ x1 + x2", F.Binomial(L.CLogLog())),
    ("ypos ~ x1 + x2", F.Gamma(L.Log())),
    ("ypos ~ x2", F.Gamma()),
    ("yig ~ x1", F.InverseGaussian(L.Log())),
    ("yc ~ x1", F.NegativeBinomial(alpha=0.5)),
    ("ytw ~ x1 + x2", F.Tweedie(var_power=1.5)),
]


def _model(formula: str, family: F.Family, **kwds: object) -> ts.GLM:
    frame = glm_frame(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        return ts.glm(formula, frame, family=family, var_weights=frame["vw"], **kwds)


@pytest.mark.parametrize(("formula", "family"), DERIVATIVE_CASES, ids=repr)
def test_score_and_hessian_equal_autograd(formula: str, family: F.Family) -> None:
    model = _model(formula, family)
    params = model.fit().fit_result.params + 0.01  # away from the optimum: no cancellation
    # the binomial log-likelihood ignores the scale (statsmodels'); the score divides by it
    scale = 1.0 if isinstance(family, F.Binomial) else 1.3
    y, X, var_weights = map(torch.as_tensor, (model.endog, model.exog, model.var_weights))

    def loglike(b: torch.Tensor) -> torch.Tensor:
        return model.family.loglike(y, model.family.fitted(X @ b), var_weights, 1.0, scale)

    if isinstance(family, F.Tweedie):  # its density needs scipy: a quasi-likelihood check
        expected_score = torch.func.jacrev(
            lambda b: (
                -model.family.deviance(y, model.family.fitted(X @ b), var_weights) / (2 * scale)
            )
        )(params)
    else:
        expected_score = torch.func.grad(loglike)(params)
        expected_hessian = torch.func.hessian(loglike)(params)
        np.testing.assert_allclose(model.hessian(params, scale=scale), expected_hessian, rtol=1e-9)
    np.testing.assert_allclose(model.score(params, scale=scale), expected_score, rtol=1e-9)
    if isinstance(family, F.Tweedie):
        return
    per_row = torch.func.jacrev(
        lambda b: model.family.loglike_obs(y, model.family.fitted(X @ b), var_weights, scale)
    )(params)
    np.testing.assert_allclose(model.score_obs(params, scale=scale), per_row, rtol=1e-9)


@pytest.mark.parametrize(("formula", "family"), DERIVATIVE_CASES[:4], ids=repr)
def test_closed_forms_match_statsmodels(formula: str, family: F.Family) -> None:
    model = _model(formula, family)
    frame = glm_frame(2)
    theirs_family = getattr(sm.families, type(family).__name__)(
        getattr(sm.families.links, type(family.link).__name__)()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sm.GLM.from_formula(formula, frame, family=theirs_family, var_weights=frame["vw"])
    params = model.fit().fit_result.params.numpy() + 0.02
    for observed in (True, False):
        np.testing.assert_allclose(
            model.hessian(params, scale=1.0, observed=observed),
            theirs.hessian(params, scale=1.0, observed=observed),
            rtol=1e-10,
        )
    np.testing.assert_allclose(
        model.score_obs(params, scale=1.0), theirs.score_obs(params, scale=1.0)
    )


def test_frequency_weights_equal_repeated_rows() -> None:
    frame = glm_frame(0)
    weighted = ts.glm("yc ~ x1 + C(g)", frame, family=F.Poisson(), freq_weights=frame["fw"]).fit()
    repeated = frame.loc[frame.index.repeat(frame["fw"].astype(int))]
    expanded = ts.glm("yc ~ x1 + C(g)", repeated, family=F.Poisson()).fit()
    np.testing.assert_allclose(weighted.params, expanded.params, rtol=1e-10)
    np.testing.assert_allclose(weighted.bse, expanded.bse, rtol=1e-10)
    assert np.isclose(weighted.llf, expanded.llf, rtol=1e-12)
    assert weighted.df_resid == expanded.df_resid


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_array_inputs_give_outputs_of_the_same_kind(kind: str) -> None:
    frame = glm_frame(0)
    X = sm.add_constant(frame[["x1", "x2"]].to_numpy())
    y = frame["yc"].to_numpy()
    if kind == "torch":
        X, y = torch.as_tensor(X), torch.as_tensor(y)
    res = ts.GLM(y, X, family=F.Poisson()).fit()
    expected = sm.GLM(np.asarray(y), np.asarray(X), family=sm.families.Poisson()).fit()
    container = np.ndarray if kind == "numpy" else torch.Tensor
    for name in ("params", "bse", "pvalues", "mu", "resid_deviance"):
        assert isinstance(getattr(res, name), container), name
    np.testing.assert_allclose(np.asarray(res.params), expected.params, rtol=1e-10)
    assert res.model.exog_names == ["const", "x1", "x2"]


def test_formula_entry_points_agree() -> None:
    frame = glm_frame(0)
    a = ts.glm("yb ~ x1 + C(g)", frame, family=F.Binomial()).fit()
    b = ts.GLM("yb ~ x1 + C(g)", frame, family=F.Binomial()).fit()
    c = ts.GLM.from_formula("yb ~ x1 + C(g)", frame, family=F.Binomial()).fit()
    pd.testing.assert_series_equal(a.params, b.params)
    pd.testing.assert_series_equal(a.params, c.params)


def test_names_from_the_callers_namespace() -> None:
    frame = glm_frame(0)
    shift = 2.0
    res = ts.glm("yc ~ I(x1 + shift)", frame, family=F.Poisson()).fit()
    assert list(res.params.index) == ["Intercept", "I(x1 + shift)"]
    shifted = ts.glm("yc ~ z", frame.assign(z=frame["x1"] + shift), family=F.Poisson()).fit()
    np.testing.assert_allclose(res.params.to_numpy(), shifted.params.to_numpy(), rtol=1e-12)


def test_missing_rows_are_dropped_and_labels_kept() -> None:
    frame = glm_frame(0).copy()
    frame.loc[frame.index[[3, 8]], "x1"] = np.nan
    res = ts.glm("yc ~ x1", frame, family=F.Poisson(), exposure=frame["expo"]).fit()
    assert res.nobs == len(frame) - 2
    assert list(res.resid_response.index) == list(frame.index.delete([3, 8]))


def test_wald_tests_with_categorical_names() -> None:
    frame = glm_frame(0)
    res = ts.glm("yc ~ x1 + C(g)", frame, family=F.Poisson()).fit()
    theirs = sm.GLM.from_formula("yc ~ x1 + C(g)", frame, family=sm.families.Poisson()).fit()
    hypothesis = "C(g)[T.b] = 0, C(g)[T.c] = x1"
    ours_test = res.wald_test(hypothesis, scalar=True)
    theirs_test = theirs.wald_test(hypothesis, scalar=True)
    assert np.isclose(ours_test.statistic, theirs_test.statistic, rtol=1e-9)
    assert np.isclose(ours_test.pvalue, theirs_test.pvalue, rtol=1e-9)
    terms = res.wald_test_terms()
    assert list(terms.table.index) == ["Intercept", "C(g)", "x1"]


def test_float32_fit_agrees_with_float64() -> None:
    frame = glm_frame(0)
    res32 = ts.glm("yc ~ x1 + C(g)", frame, family=F.Poisson(), dtype=torch.float32).fit()
    res64 = ts.glm("yc ~ x1 + C(g)", frame, family=F.Poisson()).fit()
    assert res32.fit_result.params.dtype == torch.float32
    np.testing.assert_allclose(res32.params, res64.params, rtol=1e-4)
    np.testing.assert_allclose(res32.bse, res64.bse, rtol=1e-4)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("formula", "family"),
    [("yb ~ x1 + C(g)", F.Binomial()), ("ypos ~ x1 + x2", F.Gamma(L.Log()))],
    ids=repr,
)
def test_devices_give_the_same_numbers(device: str, formula: str, family: F.Family) -> None:
    frame = glm_frame(1)
    on_device = ts.glm(formula, frame, family=family, device=device).fit(cov_type="HC0")
    on_cpu = ts.glm(formula, frame, family=family).fit(cov_type="HC0")
    assert on_device.fit_result.params.device.type == device
    np.testing.assert_allclose(on_device.params, on_cpu.params, rtol=1e-10)
    np.testing.assert_allclose(on_device.bse, on_cpu.bse, rtol=1e-10)
    assert np.isclose(on_device.llf, on_cpu.llf, rtol=1e-12)


# --- warnings ---------------------------------------------------------------------------


def test_unsafe_link_warns_domain() -> None:
    frame = glm_frame(0)
    with pytest.warns(DomainWarning, match="Identity link function does not respect"):
        ts.glm("yc ~ x1", frame, family=F.Poisson(L.Identity()))


def test_means_outside_the_family_range_warn() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 60)
    y = rng.poisson(np.maximum(0.05, 4 - 0.6 * x)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        model = ts.GLM(y, sm.add_constant(x), family=F.Poisson(L.Identity()))
    with pytest.warns(DomainWarning, match="fitted mean.*outside the range of the Poisson"):
        model.fit()


def test_non_convergence_warns() -> None:
    frame = glm_frame(0)
    with pytest.warns(ConvergenceWarning, match="did not converge in 2 iterations"):
        res = ts.glm("ypos ~ x1 + x2", frame, family=F.Gamma(L.Log())).fit(maxiter=2)
    assert not res.converged and res.fit_history["iteration"] == 2


def test_perfect_separation_warns() -> None:
    x = np.linspace(-1, 1, 40)
    y = (x > 0).astype(float)
    with pytest.warns(PerfectSeparationWarning, match="perfect separation"):
        ts.GLM(y, sm.add_constant(x), family=F.Binomial()).fit()


def _quasi_separated_frame(seed: int) -> pd.DataFrame:
    """A dummy ``d`` that is 1 only on rows of ``y = 0`` (counts and 0/1 outcomes)."""
    rng = np.random.default_rng(seed)
    n = 600
    frame = pd.DataFrame({"x": rng.normal(size=n), "d": (rng.random(n) < 0.05).astype(float)})
    frame["count"] = rng.poisson(np.exp(0.5 + 0.3 * frame["x"])) * (1 - frame["d"])
    frame["binary"] = (rng.random(n) < 1 / (1 + np.exp(-frame["x"]))) * (1 - frame["d"])
    frame["share"] = np.where(frame["d"] == 1, 0.0, rng.uniform(0.1, 0.9, n))
    return frame


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    ("response", "family", "method"),
    [
        ("count", F.Poisson(), "IRLS"),
        ("count", F.NegativeBinomial(alpha=0.5), "IRLS"),
        ("count", F.Tweedie(var_power=1.5), "IRLS"),
        ("binary", F.Binomial(), "IRLS"),
        ("binary", F.Binomial(L.Probit()), "IRLS"),
        ("share", F.Binomial(), "IRLS"),
        ("binary", F.Binomial(), "newton"),
    ],
)
@pytest.mark.filterwarnings("ignore::torchstats.errors.ConvergenceWarning")
def test_quasi_separation_warns(seed, response, family, method) -> None:
    """A dummy that is 1 only where y = 0 has no finite estimate: IRLS stopped at -25 with
    a standard error of 1e4, reported converged, without a warning (statsmodels' GLM warns
    only when every mean equals its response); the discrete models warned."""
    frame = _quasi_separated_frame(seed)
    with pytest.warns(PerfectSeparationWarning, match="quasi-complete separation"):
        res = ts.glm(f"{response} ~ x + d", frame, family=family).fit(method=method)
    assert res.params["d"] < -5  # running off to -inf


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    ("response", "family"),
    [
        ("count", F.Poisson()),
        ("binary", F.Binomial()),
        ("share", F.Binomial()),
        ("ypos", F.Gamma(L.Log())),
    ],
)
def test_no_separation_warning_without_separation(seed, response, family) -> None:
    frame = _quasi_separated_frame(seed).assign(
        ypos=lambda d: np.exp(d["x"]) * np.random.default_rng(seed).gamma(2.0, size=len(d))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        ts.glm(f"{response} ~ x", frame, family=family).fit()
        ts.glm(f"{response} ~ x", frame.assign(d2=frame["d"] * frame["x"]), family=family).fit()


def test_rank_deficient_design_warns_once() -> None:
    frame = glm_frame(0).assign(x1_copy=lambda d: 2 * d["x1"])
    with pytest.warns(ts.CollinearityWarning) as record:
        res = ts.glm("yc ~ x1 + x1_copy", frame, family=F.Poisson()).fit()
    assert sum(issubclass(r.category, ts.CollinearityWarning) for r in record) == 1
    assert res.df_model == 1


# --- bad input ----------------------------------------------------------------------------


def test_exposure_needs_the_log_link() -> None:
    frame = glm_frame(0)
    with (
        pytest.warns(DomainWarning),
        pytest.raises(InvalidOptionError, match="exposure can only be used with the log link"),
    ):
        ts.glm("yc ~ x1", frame, family=F.Poisson(L.Sqrt()), exposure=frame["expo"])


@pytest.mark.parametrize("name", ["freq_weights", "var_weights"])
def test_negative_weights_are_refused(name: str) -> None:
    frame = glm_frame(0)
    weights = frame["vw"].copy()
    weights.iloc[4] = -1.0
    with pytest.raises(InvalidWeightsError, match=f"{name} must be non-negative"):
        ts.glm("yc ~ x1", frame, family=F.Poisson(), **{name: weights})


def test_all_zero_weights_are_refused() -> None:
    frame = glm_frame(0)
    with pytest.raises(InvalidWeightsError, match="all var_weights are zero"):
        ts.glm("yc ~ x1", frame, family=F.Poisson(), var_weights=0.0 * frame["vw"])


def test_non_positive_exposure_is_refused() -> None:
    frame = glm_frame(0)
    with pytest.raises(DesignError, match="exposure must be positive"):
        ts.glm("yc ~ x1", frame, family=F.Poisson(), exposure=frame["x1"])


def test_response_outside_the_support_is_refused() -> None:
    frame = glm_frame(0)
    with pytest.raises(DesignError, match=r"Binomial family: the response must lie in \[0, 1\]"):
        ts.glm("yc ~ x1", frame, family=F.Binomial())


def test_unknown_column_is_named() -> None:
    with pytest.raises(UnknownColumnError, match="nope"):
        ts.glm("yc ~ nope", glm_frame(0), family=F.Poisson())


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "simplex"}, InvalidOptionError, "unknown method 'simplex'.*'IRLS'.*'bfgs'"),
        ({"gtol": 1e-6}, InvalidOptionError, r"unknown fit option\(s\) 'gtol' for method='IRLS'"),
        ({"method": "bfgs", "xtol": 1.0}, InvalidOptionError, "'xtol' for method='bfgs'"),
        ({"tol_criterion": "mu"}, InvalidOptionError, "unknown tol_criterion 'mu'"),
        ({"rtol": -1.0}, InvalidOptionError, "rtol must be a non-negative number"),
        ({"method": "newton", "optim_hessian": "xim"}, InvalidOptionError, "optim_hessian"),
        ({"scale": "pearson"}, InvalidOptionError, "unknown scale 'pearson'"),
        ({"cov_type": "HC9"}, InvalidOptionError, "HC9"),
        ({"maxiter": -1}, InvalidOptionError, "maxiter"),
        ({"start_params": [0.0]}, DesignError, "start_params has 1 values; the model has 2"),
        ({"wls_method": "svd"}, InvalidOptionError, "wls_method"),
    ],
)
def test_bad_fit_options(kwargs: dict, error: type, message: str) -> None:
    model = ts.glm("yc ~ x1", glm_frame(0), family=F.Poisson())
    with pytest.raises(error, match=message):
        model.fit(**kwargs)


def test_family_must_be_an_instance() -> None:
    with pytest.raises(TypeError, match=r"family instance such as Poisson\(\)"):
        ts.glm("yc ~ x1", glm_frame(0), family=F.Poisson)
    with pytest.raises(TypeError, match="torchstats family"):
        ts.glm("yc ~ x1", glm_frame(0), family="Poisson")
    # statsmodels' family objects are read as ours: tests/families/test_statsmodels_families.py


def test_non_finite_start_deviance_is_an_error() -> None:
    frame = glm_frame(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        model = ts.glm("ycont ~ x1", frame, family=F.Gaussian(L.Log()))
    with pytest.raises(NumericalError, match="not finite at the start"):
        model.fit(start_params=[1000.0, 0.0])


def test_get_prediction_refuses_an_unknown_which() -> None:
    res = ts.glm("yc ~ x1", glm_frame(0), family=F.Poisson()).fit()
    with pytest.raises(InvalidOptionError, match="which"):
        res.get_prediction(which="var")


def test_in_sample_get_prediction_keeps_offset_and_exposure() -> None:
    """statsmodels' in-sample get_prediction() drops them; passing the design with them
    explicitly gives the same frame as ours, and the means equal the fitted values."""
    frame = glm_frame(0)
    formula, options = "yc ~ x1 + C(g)", {"offset": frame["off"], "exposure": frame["expo"]}
    ours = ts.glm(formula, frame, family=ts.families.Poisson(), **options).fit()
    theirs = sm.formula.glm(formula, frame, family=sm.families.Poisson(), **options).fit()
    prediction = ours.get_prediction().summary_frame()
    expected = theirs.get_prediction(
        theirs.model.exog, offset=frame["off"], exposure=frame["expo"], transform=False
    ).summary_frame()
    np.testing.assert_allclose(prediction.to_numpy(), expected.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(prediction["mean"], ours.fittedvalues, rtol=1e-12)


@pytest.mark.parametrize("wls_method", ["qr", "cholesky", "pinv"])
def test_wls_methods_agree_and_are_recorded(wls_method: str) -> None:
    frame = glm_frame(0)
    formula, family = "yc ~ x1 + C(g)", ts.families.Poisson()
    default = ts.glm(formula, frame, family=family).fit()
    other = ts.glm(formula, frame, family=family).fit(wls_method=wls_method)
    assert default.mle_settings == {"optimizer": "IRLS", "wls_method": "auto"}
    assert other.mle_settings["wls_method"] == wls_method
    np.testing.assert_allclose(other.params, default.params, rtol=1e-10)
    np.testing.assert_allclose(other.bse, default.bse, rtol=1e-10)


def _gamma_draws(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    return rng.gamma(2, mean / 2)


def _poisson_draws(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    return rng.poisson(20 * mean).astype(float)  # counts of mean 20 mu


@pytest.mark.parametrize("factor", [0.1, 0.01, 0.001])
@pytest.mark.parametrize(
    ("family", "draw", "boost"),
    [
        (lambda: ts.families.Gamma(ts.families.links.Log()), _gamma_draws, 1.0),
        (lambda: ts.families.Poisson(), _poisson_draws, 20.0),
    ],
    ids=["gamma-log", "poisson"],
)
def test_null_model_with_an_offset_is_the_constant_only_maximum(family, draw, boost, factor):
    """llnull and null_deviance are those of the constant-only model with the same offset.
    statsmodels (and this library before) started its IRLS at the intercept link(mean(y)),
    which ignores the offset: with a log link and offset log(0.01) the Gamma IRLS drifted
    to means of 1e38 (llnull -8220 against 314) and at log(0.001) to NaN (an error)."""
    rng = np.random.default_rng(6)
    n = 100
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    offset = np.full(n, np.log(factor * boost))
    y = draw(np.random.default_rng(1), np.exp(X @ np.array([0.3, 0.4, -0.2]) + np.log(factor)))
    res = ts.GLM(y, X, family=family(), offset=offset).fit()
    constant = ts.GLM(y, X[:, :1], family=family(), offset=offset).fit()
    assert res.null_deviance == pytest.approx(constant.deviance, rel=1e-10)
    expected = family().loglike(
        torch.as_tensor(y), torch.as_tensor(np.asarray(constant.fittedvalues)), scale=res.scale
    )
    assert res.llnull == pytest.approx(float(expected), rel=1e-10)


@pytest.mark.parametrize(
    "family",
    [ts.families.Poisson, lambda: ts.families.Tweedie(var_power=1.5), ts.families.NegativeBinomial],
    ids=["poisson", "tweedie", "negbin"],
)
def test_all_zero_response_says_the_estimate_does_not_exist(family):
    X = np.column_stack([np.ones(30), np.linspace(-1, 1, 30)])
    with pytest.raises(ts.errors.NumericalError, match="0 in every row.*does not exist"):
        ts.GLM(np.zeros(30), X, family=family()).fit()


@pytest.mark.parametrize("which", ["mean", "var_unscaled"])
def test_average_prediction_as_statsmodels(which) -> None:
    """get_prediction(average=True, agg_weights=...) raised TypeError (statsmodels: the
    weighted average of the predictions with its delta-method standard error)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "t": rng.uniform(1, 2, 200)})
    frame["c"] = rng.poisson(np.exp(0.3 * frame["x"]) * frame["t"])
    ours = ts.glm("c ~ x", frame, family=F.Poisson(), exposure=frame["t"]).fit()
    theirs = smf.glm("c ~ x", frame, family=sm.families.Poisson(), exposure=frame["t"]).fit()
    new, weights = frame.head(5), rng.uniform(0.5, 1.5, 5)
    kwargs = {"which": which, "average": True, "agg_weights": weights}
    exposure = new["t"].to_numpy()
    np.testing.assert_allclose(
        ours.get_prediction(new, exposure=exposure, **kwargs).summary_frame().to_numpy(),
        theirs.get_prediction(new, exposure=exposure, **kwargs).summary_frame().to_numpy(),
        rtol=1e-7,  # statsmodels' standard error from numerical derivatives
    )
