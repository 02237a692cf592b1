"""Discrete models: input/output kinds, options, bad input, warnings, precision and devices."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch
from scipy import stats

import torchstats as ts
from tests.conftest import DEVICES
from tests.models.discrete_cases import make_discrete_frame
from tests.parity import assert_matches
from torchstats.errors import (
    CollinearityWarning,
    ConvergenceWarning,
    DesignError,
    HessianWarning,
    InvalidOptionError,
    MissingDataError,
    NumericalError,
    PerfectSeparationWarning,
    UnseenLevelError,
)
from torchstats.models.base import LikelihoodModel
from torchstats.models.binary import Logit, Probit
from torchstats.models.count import NegativeBinomial, Poisson


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_discrete_frame(3)


def _arrays(frame: pd.DataFrame, response: str) -> tuple[np.ndarray, np.ndarray]:
    X = np.column_stack([np.ones(len(frame)), frame["x1"], np.log(frame["x2"])])
    return frame[response].to_numpy(), X


# --- input and output kinds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs", "response"),
    [
        (Logit, sm.Logit, "yb"),
        (Probit, sm.Probit, "yb"),
        (Poisson, sm.Poisson, "yc"),
        (NegativeBinomial, sm.NegativeBinomial, "yn"),
    ],
    ids=["logit", "probit", "poisson", "negbin"],
)
def test_numpy_input_gives_numpy_output_matching_statsmodels(frame, ours, theirs, response):
    y, X = _arrays(frame, response)
    res = ours(y, X).fit()
    their_model = theirs(y, X)
    start = their_model.fit(method="bfgs", maxiter=1000, disp=0).params
    ref = their_model.fit(start_params=start, method="newton", maxiter=100, disp=0)
    for name in ("params", "bse", "pvalues", "fittedvalues", "resid_pearson"):
        value = getattr(res, name)
        assert isinstance(value, np.ndarray), name
        assert_matches(value, getattr(ref, name), rtol=1e-7, atol_scale=1e-10)
    assert isinstance(res.cov_params(), np.ndarray) and isinstance(res.conf_int(), np.ndarray)
    assert isinstance(res.predict(X[:5]), np.ndarray)
    assert_matches(res.predict(X[:5]), ref.predict(X[:5]), rtol=1e-9)
    assert res.model.exog_names == ref.model.exog_names


def test_pandas_arrays_give_labelled_output(frame):
    X = pd.DataFrame({"const": 1.0, "x1": frame["x1"], "lx2": np.log(frame["x2"])})
    res = Poisson(frame["yc"], X, exposure=frame["expo"]).fit()
    ref = sm.Poisson(frame["yc"], X, exposure=frame["expo"]).fit(disp=0)
    assert_matches(res.params, ref.params, rtol=1e-10)
    assert_matches(res.resid, ref.resid, rtol=1e-9)
    assert list(res.fittedvalues.index) == list(frame.index)
    assert_matches(res.predict(X.iloc[:7]), ref.predict(X.iloc[:7]), rtol=1e-10)


def test_torch_input_gives_tensors(frame):
    y, X = _arrays(frame, "yn")
    res = NegativeBinomial(torch.tensor(y), torch.tensor(X)).fit()
    for value in (
        res.params,
        res.bse,
        res.fittedvalues,
        res.resid,
        res.cov_params(),
        res.predict(torch.tensor(X[:3])),
    ):
        assert isinstance(value, torch.Tensor)
    assert res.params.shape == (4,)
    assert res.model.exog_names == ["const", "x1", "x2", "alpha"]


@pytest.mark.parametrize(("ours", "theirs"), [(Logit, sm.Logit), (Probit, sm.Probit)])
@pytest.mark.parametrize("name", ["cdf", "pdf"])
def test_cdf_and_pdf_take_numbers_and_arrays_as_statsmodels(frame, ours, theirs, name):
    y, X = _arrays(frame, "yb")
    function, reference = getattr(ours(y, X), name), getattr(theirs(y, X), name)
    for value in (np.float64(0.3), 0.3, -2, np.array([0.3, -1.0, 4.0]), [0.5, 1.5]):
        result = function(value)
        assert isinstance(result, np.float64 if np.ndim(value) == 0 else np.ndarray)
        np.testing.assert_allclose(result, reference(np.asarray(value, dtype=float)), rtol=1e-14)
    series = pd.Series([0.1, -0.7], index=["a", "b"], name="eta")
    assert_matches(function(series), reference(series), rtol=1e-14)
    tensor = function(torch.tensor([0.3, -1.0], dtype=torch.float64))
    assert isinstance(tensor, torch.Tensor)
    np.testing.assert_allclose(tensor.numpy(), reference(np.array([0.3, -1.0])), rtol=1e-14)


@pytest.mark.parametrize("build", [Logit, Probit, Poisson, NegativeBinomial])
def test_models_follow_the_likelihood_protocol(frame, build):
    model = build("yb ~ x1", frame)
    assert isinstance(model, LikelihoodModel)
    assert repr(model).startswith(f"<torchstats.{build.__name__} formula='yb ~ x1'")


def test_boolean_response_is_zero_one(frame):
    as_bool = Logit("flag ~ x1 + C(g)", frame).fit()
    as_float = Logit("flag ~ x1 + C(g)", frame.assign(flag=frame["flag"].astype(float))).fit()
    assert_matches(as_bool.params, as_float.params, rtol=1e-14)


def test_formula_and_arrays_agree(frame):
    y, X = _arrays(frame, "yb")
    by_formula = Probit("yb ~ x1 + np.log(x2)", frame).fit()
    by_arrays = Probit(y, X).fit()
    np.testing.assert_allclose(by_formula.params.to_numpy(), by_arrays.params, rtol=1e-12)


def test_from_formula_uses_the_callers_namespace(frame):
    factor = 2.5  # noqa: F841 - looked up by the formula
    direct = Logit("yb ~ I(x1 * factor)", frame).fit()
    via_classmethod = Logit.from_formula("yb ~ I(x1 * factor)", frame).fit()
    plain = Logit("yb ~ x1", frame).fit()
    assert direct.params.iloc[1] * 2.5 == pytest.approx(plain.params.iloc[1], rel=1e-10)
    assert_matches(via_classmethod.params, direct.params, rtol=1e-14)


def test_missing_rows_dropped_with_offset_as_statsmodels(frame):
    data = frame.copy()
    data.loc[data.index[[1, 4]], "x1"] = np.nan
    offset = data["off"].copy()
    offset.iloc[[7, 9]] = np.nan
    res = Poisson("yc ~ x1 + C(g)", data, offset=offset).fit()
    ref = smf.poisson("yc ~ x1 + C(g)", data, offset=offset).fit(disp=0)
    assert res.nobs == ref.nobs == len(frame) - 4
    assert_matches(res.params, ref.params, rtol=1e-10)
    assert res.llnull == pytest.approx(ref.llnull, rel=1e-8)


def test_fractional_logit_estimates_match_statsmodels(frame):
    """Proportions: same score and Hessian, so the same estimates and standard errors."""
    share = frame.assign(share=stats.norm.cdf(frame["x1"] + frame["off"]))
    res = Logit("share ~ x1 + C(h)", share).fit()
    ref = smf.logit("share ~ x1 + C(h)", share).fit(disp=0)
    assert_matches(res.params, ref.params, rtol=1e-10)
    assert_matches(res.bse, ref.bse, rtol=1e-10)
    y, p = share["share"].to_numpy(), res.predict()
    assert res.llf == pytest.approx(np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)), rel=1e-12)


def test_use_t(frame):
    res = Logit("yb ~ x1 + C(g)", frame).fit(use_t=True)
    ref = smf.logit("yb ~ x1 + C(g)", frame).fit(disp=0, use_t=True)
    assert res.use_t is True
    assert_matches(res.pvalues, ref.pvalues, rtol=1e-9)
    assert_matches(res.conf_int(), ref.conf_int(), rtol=1e-9)


@pytest.mark.parametrize(
    ("method", "options"),
    [("bfgs", {"gtol": 1e-8}), ("lbfgs", {"pgtol": 1e-10, "factr": 10.0})],
)
@pytest.mark.parametrize("model", ["logit", "negbin-nb2", "negbin-nb1"])
def test_quasi_newton_agrees_with_newton(frame, method, options, model):
    build = {
        "logit": lambda: Logit("yb ~ x1 + C(g)", frame),
        "negbin-nb2": lambda: NegativeBinomial("yn ~ x1 + C(g)", frame, exposure=frame["expo"]),
        "negbin-nb1": lambda: NegativeBinomial("yn ~ x1 + C(g)", frame, "nb1"),
    }[model]
    newton = build().fit()
    other = build().fit(method=method, maxiter=500, **options)
    assert other.mle_settings["optimizer"] == method and other.converged
    assert newton.mle_retvals["fit_history"]["llf"][-1] == pytest.approx(newton.llf, rel=1e-12)
    assert other.mle_retvals["fopt"] == pytest.approx(-other.llf / other.nobs, rel=1e-12)
    # scipy stops on the mean gradient (1e-8, 1e-10 here: about 1e-7 in the estimates);
    # Newton is exact to rounding.
    assert_matches(other.params, newton.params, rtol=1e-6, atol_scale=1e-8)
    assert_matches(other.bse, newton.bse, rtol=1e-5)


def test_start_params_in_alpha_scale(frame):
    model = NegativeBinomial("yn ~ x1 + C(g)", frame)
    default = model.fit()
    started = model.fit(start_params=np.r_[np.zeros(4), 2.0])
    assert_matches(started.params, default.params, rtol=1e-10)
    assert started.mle_settings["start_params"][-1] == pytest.approx(2.0)


def test_disp_prints_statsmodels_message(frame, capsys):
    Logit("yb ~ x1", frame).fit(disp=True)
    assert "Optimization terminated successfully." in capsys.readouterr().out


def test_results_are_immutable(frame):
    res = Poisson("yc ~ x1", frame).fit()
    with pytest.raises(AttributeError, match="immutable"):
        res.params = None
    res.mle_retvals["converged"] = False
    assert res.mle_retvals["converged"] is True


def test_logit_flipping_the_response_negates_the_estimates(frame):
    res = Logit("yb ~ x1 + C(g)", frame).fit()
    flipped = Logit("I(1 - yb) ~ x1 + C(g)", frame).fit()
    assert_matches(flipped.params, -res.params, rtol=1e-12)
    assert_matches(flipped.bse, res.bse, rtol=1e-12)


def test_exposure_is_a_log_offset(frame):
    with_exposure = Poisson("yc ~ x1 + C(g)", frame, exposure=frame["expo"]).fit()
    with_offset = Poisson("yc ~ x1 + C(g)", frame, offset=np.log(frame["expo"])).fit()
    assert_matches(with_exposure.params, with_offset.params, rtol=1e-12)
    assert with_exposure.llnull == pytest.approx(with_offset.llnull, rel=1e-12)


def test_probit_loglike_stays_accurate_in_the_far_tail():
    """log Phi(-40) = -804.6 (statsmodels clips Phi at 2.2e-16, giving -36.0)."""
    model = Probit(np.array([1.0, 0.0]), np.array([[1.0], [1.0]]))
    value = model.loglikeobs(torch.tensor([-40.0], dtype=torch.float64))
    expected = stats.norm.logcdf([-40.0, 40.0])
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-13)


# --- bad input ----------------------------------------------------------------------------------


def test_binary_response_outside_unit_interval(frame):
    with pytest.raises(DesignError, match="endog must be in the unit interval"):
        Logit("yc ~ x1", frame)


def test_probit_rejects_proportions(frame):
    with pytest.raises(DesignError, match="endog must be binary, either 0 or 1"):
        Probit(np.full(len(frame), 0.5), np.ones((len(frame), 1)))


def test_negative_counts(frame):
    with pytest.raises(DesignError, match="endog must be non-negative counts.*1 negative"):
        Poisson(np.r_[-1.0, frame["yc"].to_numpy()[1:]], np.ones((len(frame), 1)))


def test_all_zero_counts():
    with pytest.raises(DesignError, match="zero for every observation"):
        NegativeBinomial(np.zeros(10), np.ones((10, 1)))


def test_non_positive_exposure(frame):
    with pytest.raises(DesignError, match="exposure must be positive"):
        Poisson("yc ~ x1", frame, exposure=frame["expo"] - 1)


def test_nan_with_missing_none():
    with pytest.raises(MissingDataError, match="non-finite values.*'x1'"):
        Logit(np.array([0.0, 1, 0, 1]), np.array([[1.0, np.nan], [1, 2], [1, 3], [1, 0]]))


def test_offset_of_wrong_length(frame):
    with pytest.raises(DesignError, match="offset"):
        Logit("yb ~ x1", frame, offset=np.zeros(3))


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"cov_type": "HC9"}, "unknown cov_type 'HC9'.*'nonrobust'"),
        ({"method": "simplex"}, "unknown method 'simplex'.*'newton'.*'minimize'"),
        ({"gtol": 1e-8}, r"unknown option\(s\) 'gtol' for method='newton'; it takes 'ftol'"),
        ({"method": "bfgs", "xtol": 1e-8}, "unknown option.*'xtol'.*method='bfgs'.*'gtol'"),
        ({"method": "bfgs", "approx_grad": True}, "finite-difference gradients"),
        ({"method": "lbfgs", "epsilon": 1e-8}, "'epsilon' concern finite-difference"),
        ({"cov_kwds": {"groups": 1}}, "takes no cov_kwds"),
        ({"maxiter": -1}, "maxiter must be a non-negative integer"),
    ],
)
def test_bad_fit_options(frame, options, match):
    with pytest.raises(InvalidOptionError, match=match):
        Logit("yb ~ x1", frame).fit(**options)


def test_bad_loglike_method(frame):
    with pytest.raises(InvalidOptionError, match="unknown loglike_method 'nb3'"):
        NegativeBinomial("yn ~ x1", frame, loglike_method="nb3")


def test_bad_start_params(frame):
    with pytest.raises(DesignError, match="start_params has 2 values; the model has 3"):
        NegativeBinomial("yn ~ x1", frame).fit(start_params=[0.0, 0.0])
    with pytest.raises(DesignError, match="alpha must be positive"):
        NegativeBinomial("yn ~ x1", frame).fit(start_params=[0.0, 0.0, -1.0])


def test_bad_predict_options(frame):
    res = Logit("yb ~ x1 + C(g)", frame).fit()
    with pytest.raises(InvalidOptionError, match="unknown which 'prob'"):
        res.predict(which="prob")
    with pytest.raises(TypeError, match="Logit.predict takes no exposure"):
        res.predict(exposure=np.ones(len(frame)))
    with pytest.raises(UnseenLevelError, match="not seen"):
        res.predict(frame.head(3).assign(g="zzz"))


# --- warnings and numerical failures ------------------------------------------------------------


def _separated(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).normal(size=n)
    return (x > 0).astype(float), np.column_stack([np.ones(n), x])


@pytest.mark.parametrize("model", [Logit, Probit])
@pytest.mark.parametrize("maxiter", [35, 300])
def test_complete_separation_warns(model, maxiter):
    y, X = _separated()
    with pytest.warns(PerfectSeparationWarning, match="complete separation"):
        model(y, X).fit(maxiter=maxiter, warn_convergence=False)


@pytest.mark.parametrize("model", [Logit, Probit])
@pytest.mark.parametrize("maxiter", [35, 300])
def test_quasi_separation_by_a_category_warns(frame, model, maxiter):
    data = frame.assign(yb=np.where(frame["g"] == "c", 1.0, frame["yb"]))
    with pytest.warns(PerfectSeparationWarning, match="quasi-complete separation: \\d+ of 250"):
        model("yb ~ x1 + C(g)", data).fit(maxiter=maxiter, warn_convergence=False)


def test_quasi_separation_summary_note_as_statsmodels(frame):
    data = frame.assign(yb=np.where(frame["g"] == "c", 1.0, frame["yb"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = Logit("yb ~ x1 + C(g)", data).fit()
        theirs = smf.logit("yb ~ x1 + C(g)", data).fit(disp=0)
    note = str(theirs.summary()).split("\n\n")[-1]
    assert note.startswith("Possibly complete quasi-separation")
    assert str(ours.summary()).endswith(note)


def test_regular_fits_do_not_warn(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for res in (
            Logit("yb ~ x1 + C(g)", frame).fit(),
            Probit("yb ~ x1 * C(h)", frame).fit(),
            Poisson("yc ~ x1 + C(g)", frame, exposure=frame["expo"]).fit(),
            NegativeBinomial("yn ~ x1 + C(g)", frame, "nb1").fit(),
        ):
            assert res.converged and np.isfinite(res.bse).all() and np.isfinite(res.llnull)


def test_non_convergence_warns(frame):
    with pytest.warns(ConvergenceWarning, match="did not converge after 1 iterations"):
        res = NegativeBinomial("yn ~ x1 + C(g)", frame).fit(maxiter=1)
    assert res.mle_retvals["converged"] is False and res.mle_retvals["warnflag"] == 1
    assert "converged:                      False" in str(res.summary())


@pytest.mark.parametrize("loglike_method", ["nb2", "nb1"])
def test_negative_binomial_without_overdispersion_stops_and_says_so(loglike_method):
    """Poisson data: alpha heads to the boundary 0, where the likelihood's supremum (the
    Poisson model) lies. Newton stops well before maxiter, where the objective, flat in
    log(alpha) there, has no decrement left, and the fit says why."""
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(10_000), rng.standard_normal((10_000, 9))])
    y = rng.poisson(np.exp(0.1 * X @ rng.standard_normal(10))).astype(float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = NegativeBinomial(y, X, loglike_method).fit()
    boundary = [w for w in caught if "alpha tends to 0" in str(w.message)]
    assert len(boundary) == 1 and boundary[0].category is ConvergenceWarning
    assert res.mle_retvals["iterations"] < 35
    alpha = float(np.asarray(res.params)[-1])
    assert 0 < alpha < 1e-6
    # the supremum is Poisson's log-likelihood, reached to rounding (the gamma differences
    # of gamma_differences; taken directly they carried ~1e-8 of rounding a row here)
    poisson = sm.Poisson(y, X).fit(disp=0)
    assert res.llf == pytest.approx(poisson.llf, rel=1e-10)


@pytest.mark.parametrize("p", [2, 1, 1.5])
def test_negative_binomial_p_without_overdispersion_says_so(p):
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(5_000), 0.3 * rng.standard_normal((5_000, 2))])
    y = rng.poisson(np.exp(X @ np.full(3, 0.2))).astype(float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = ts.NegativeBinomialP(y, X, p=p).fit(disp=0)
    boundary = [w for w in caught if "alpha tends to 0" in str(w.message)]
    assert len(boundary) == 1 and boundary[0].category is ConvergenceWarning
    assert 0 < float(np.asarray(res.params)[-1]) < 1e-6
    # overdispersed data: no such warning
    y = rng.negative_binomial(2, 2 / (2 + np.exp(X @ np.full(3, 0.2)))).astype(float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ts.NegativeBinomialP(y, X, p=p).fit(disp=0)
    assert not [w for w in caught if "alpha tends to 0" in str(w.message)]


def test_warn_convergence_false_is_quiet(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = Logit("yb ~ x1 + C(g)", frame).fit(maxiter=1, warn_convergence=False)
    assert not res.converged


def test_rank_deficient_design_warns_and_gives_nan_bse(frame):
    y, X = _arrays(frame, "yb")
    with pytest.warns(CollinearityWarning, match="rank deficient \\(rank 3 < 4"):
        with pytest.warns(HessianWarning, match="not negative definite.*collinear"):
            res = Logit(y, np.column_stack([X, 2 * X[:, 1]])).fit()
    assert np.isnan(res.bse).all()


def test_non_finite_loglike_raises(frame):
    with pytest.raises(NumericalError, match="not finite at the start values"):
        Poisson("yc ~ x1", frame).fit(start_params=[800.0, 800.0])


# --- precision and devices ----------------------------------------------------------------------

MODEL_TABLE = {
    "logit": lambda f, **kw: Logit("yb ~ x1 + C(g)", f, offset=f["off"], **kw),
    "probit": lambda f, **kw: Probit("yb ~ x1 + np.log(x2)", f, **kw),
    "poisson": lambda f, **kw: Poisson("yc ~ x1 + C(g)", f, exposure=f["expo"], **kw),
    "negbin": lambda f, **kw: NegativeBinomial("yn ~ x1 + C(h)", f, offset=f["off"], **kw),
    "negbin-nb1": lambda f, **kw: NegativeBinomial("yn ~ x1", f, "nb1", **kw),
}


@pytest.mark.parametrize("name", list(MODEL_TABLE))
def test_float32_matches_float64(frame, name):
    single = MODEL_TABLE[name](frame, dtype=torch.float32).fit()
    double = MODEL_TABLE[name](frame).fit()
    assert single.fit_result.params.dtype == torch.float32 and single.converged
    # float32 carries ~7 digits; the Newton decrement test stops at 64 eps * (1 + |llf|).
    assert_matches(single.params, double.params, rtol=1e-3, atol_scale=1e-4)
    assert_matches(single.bse, double.bse, rtol=1e-3)
    assert single.llf == pytest.approx(double.llf, rel=1e-6)
    assert single.llnull == pytest.approx(double.llnull, rel=1e-6)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(MODEL_TABLE))
def test_devices_agree(frame, device, name):
    on_device = MODEL_TABLE[name](frame, device=device).fit()
    on_cpu = MODEL_TABLE[name](frame).fit()
    assert on_device.fit_result.params.device.type == device
    assert_matches(on_device.params, on_cpu.params, rtol=1e-10)
    assert_matches(on_device.bse, on_cpu.bse, rtol=1e-10)
    assert on_device.llnull == pytest.approx(on_cpu.llnull, rel=1e-12)
    assert_matches(on_device.predict(frame.head(5)), on_cpu.predict(frame.head(5)), rtol=1e-10)


@pytest.mark.parametrize("device", DEVICES)
def test_tensor_outputs_stay_on_the_device(frame, device):
    y, X = _arrays(frame, "yc")
    res = Poisson(torch.tensor(y, device=device), torch.tensor(X, device=device)).fit()
    assert res.params.device.type == device
    assert res.resid_pearson.device.type == device
    assert res.predict(torch.tensor(X[:4], device=device)).device.type == device


def test_get_prediction_refuses_bad_options(frame):
    res = Logit("yb ~ x1 + C(g)", frame).fit()
    with pytest.raises(InvalidOptionError, match="which"):
        res.get_prediction(frame.head(3), which="prob")
    with pytest.raises(TypeError, match="Logit.get_prediction takes no exposure"):
        res.get_prediction(frame.head(3), exposure=np.ones(3))
    with pytest.raises(ValueError, match="unknown method 'wald'"):
        res.get_prediction(frame.head(3)).conf_int(method="wald")
    counts = Poisson("yc ~ x1", frame, exposure=frame["expo"]).fit()
    with pytest.raises(DesignError, match="exposure must be positive"):
        counts.get_prediction(frame.head(3), exposure=np.zeros(3))


def test_poisson_newton_starts_where_exp_cannot_overflow():
    # statsmodels' start (slopes 0.001) puts exp(0.001 * GNP) at exp(400) on Longley, where
    # its Newton fails; torch's Newton starts at the constant-only maximum and converges fast
    data = ts.datasets.longley().assign(UNEMP=lambda d: d["UNEMP"].round())
    res = ts.poisson("UNEMP ~ GNP", data).fit()
    glm = ts.glm("UNEMP ~ GNP", data, family=ts.families.Poisson()).fit()
    assert res.mle_retvals["converged"] and res.mle_retvals["iterations"] <= 8
    np.testing.assert_allclose(res.params, glm.params, rtol=1e-10)
    np.testing.assert_allclose(res.bse, glm.bse, rtol=1e-8)


def test_kept_linear_predictor_follows_in_place_changes_and_gradients(frame):
    """The latest ``X beta`` is reused for the very tensor only while it is unchanged: an
    in-place update of ``params`` (an optimizer's step) gives the new log-likelihood, and a
    tensor that requires gradients gets a fresh graph each call."""
    y, X = _arrays(frame, "yb")
    model = Logit(y, X)
    params = torch.zeros(X.shape[1], dtype=torch.float64)
    first = float(model.loglike(params))
    params.add_(0.1)
    assert float(model.loglike(params)) == float(model.loglike(params.clone()))
    assert float(model.loglike(params)) != first
    leaf = torch.full((X.shape[1],), 0.1, dtype=torch.float64, requires_grad=True)
    for _ in range(2):  # a reused graph would fail the second backward
        (gradient,) = torch.autograd.grad(model.loglike(leaf), leaf)
        torch.testing.assert_close(gradient, model.score(leaf.detach()))


def test_known_objective_is_the_line_searchs_value_for_that_very_tensor(frame):
    """Newton's derivatives at the point its line search accepted reuse the value found
    there: only for the same, unchanged tensor, and never a value that carries a graph."""
    y, X = _arrays(frame, "yb")
    model = Logit(y, X)
    theta = torch.full((X.shape[1],), 0.05, dtype=torch.float64)
    with torch.no_grad():
        value = model._internal_objective(theta)
    assert model._known_objective(theta) is value
    assert model._known_objective(theta.clone()) is None
    assert float(model._internal_derivatives(theta)[0]) == float(value)
    theta.add_(0.01)
    assert model._known_objective(theta) is None
    assert float(model._internal_derivatives(theta)[0]) != float(value)
    leaf = theta.clone().requires_grad_(True)
    model._internal_objective(leaf)  # grad enabled: not kept
    assert model._known_objective(leaf) is None


@pytest.mark.parametrize("name", ["Logit", "Poisson"])
def test_fits_are_bitwise_those_without_the_reused_values(frame, monkeypatch, name):
    response = "yb" if name == "Logit" else "yc"
    y, X = _arrays(frame, response)
    model = getattr(ts, name)
    reused = model(y, X).fit(disp=0)
    monkeypatch.setattr(model, "_known_objective", lambda self, theta: None)
    fresh = model(y, X).fit(disp=0)
    np.testing.assert_array_equal(reused.params, fresh.params)
    np.testing.assert_array_equal(reused.bse, fresh.bse)
    assert reused.llf == fresh.llf


def test_probit_reuses_log_cdf_only_for_that_very_linear_predictor(frame):
    """``log Phi(q eta)`` of the line search serves the derivatives at the same ``eta``
    (the tensor :meth:`_linear` keeps), never after either tensor changed in place, and
    never one that carries a graph."""
    y, X = _arrays(frame, "yb")
    model = ts.Probit(y, X)
    eta = torch.linspace(-2.0, 2.0, len(y), dtype=torch.float64)
    expected = torch.special.log_ndtr((2 * torch.as_tensor(np.asarray(y)) - 1) * eta)
    first = model._log_cdf(eta)
    torch.testing.assert_close(first, expected, rtol=0, atol=0)
    assert model._log_cdf(eta) is first
    assert model._log_cdf(eta.clone()) is not first
    first = model._log_cdf(eta)
    first.add_(1.0)  # a caller changed the result in place: computed again
    torch.testing.assert_close(model._log_cdf(eta), expected, rtol=0, atol=0)
    eta.mul_(0.5)
    torch.testing.assert_close(
        model._log_cdf(eta),
        torch.special.log_ndtr((2 * torch.as_tensor(np.asarray(y)) - 1) * eta),
        rtol=0,
        atol=0,
    )
    leaf = eta.clone().requires_grad_(True)
    assert model._log_cdf(leaf) is not model._log_cdf(leaf)


def test_probit_fit_is_bitwise_that_without_reused_values(frame, monkeypatch):
    y, X = _arrays(frame, "yb")
    reused = ts.Probit(y, X).fit(disp=0)
    monkeypatch.setattr(ts.Probit, "_known_objective", lambda self, theta: None)
    monkeypatch.setattr(
        ts.Probit, "_log_cdf", lambda self, eta: torch.special.log_ndtr(self._signs * eta)
    )
    fresh = ts.Probit(y, X).fit(disp=0)
    np.testing.assert_array_equal(reused.params, fresh.params)
    np.testing.assert_array_equal(reused.bse, fresh.bse)
    assert reused.llf == fresh.llf


def test_linear_predictor_is_kept_for_the_same_view_of_the_same_parameters(frame):
    y, X = _arrays(frame, "yn")
    model = NegativeBinomial(y, X)
    theta = torch.tensor([0.1, 0.2, -0.1, np.log(0.5)], dtype=torch.float64)
    eta = model._linear(theta[:3])
    assert model._linear(theta[:3]) is eta  # a new view object over the same memory
    theta[-1] = 0.0  # alpha changed: the whole parameter vector's version moved
    again = model._linear(theta[:3])
    assert again is not eta
    torch.testing.assert_close(again, eta, rtol=0, atol=0)


@pytest.mark.parametrize("method", ["nb2", "nb1"])
@pytest.mark.parametrize("alpha", [0.01, 0.5, 3.0])
def test_negative_binomial_derivatives_in_alpha_from_those_in_log_alpha(frame, method, alpha):
    """Newton's last derivatives (in ``log alpha``) give the reported ones by the chain
    rule, equal to those computed at the estimate in ``alpha``."""
    y, X = _arrays(frame, "yn")
    model = NegativeBinomial(y, X, loglike_method=method)
    theta = torch.tensor([0.4, 0.3, -0.2, np.log(alpha)], dtype=torch.float64)
    params = model._from_internal(theta)  # as the fit reports its estimate
    loglike, score, hessian = model._reported_derivatives(
        theta, model._internal_derivatives(theta)
    )
    torch.testing.assert_close(loglike, model.loglike(params), rtol=1e-15, atol=0)
    torch.testing.assert_close(score, model.score(params), rtol=1e-13, atol=1e-12)
    torch.testing.assert_close(hessian, model.hessian(params), rtol=1e-13, atol=0)


def test_negative_binomial_fit_is_that_with_its_hessian_computed_again(frame, monkeypatch):
    y, X = _arrays(frame, "yn")
    converted = NegativeBinomial(y, X).fit(disp=0)
    monkeypatch.setattr(NegativeBinomial, "_reported_derivatives", lambda *args: None)
    again = NegativeBinomial(y, X).fit(disp=0)
    np.testing.assert_array_equal(converted.params, again.params)
    np.testing.assert_allclose(converted.bse, again.bse, rtol=1e-13)
    np.testing.assert_allclose(
        converted.mle_retvals["score"], again.mle_retvals["score"], rtol=0, atol=1e-12
    )
    assert converted.llf == again.llf


@pytest.mark.parametrize(
    ("build", "positive"),
    [
        (lambda y, X: ts.NegativeBinomialP(y, X, p=1.5), False),
        (lambda y, X: ts.ZeroInflatedNegativeBinomialP(y, X), False),
        (lambda y, X: ts.TruncatedLFNegativeBinomialP(y, X), True),  # zeros truncated
    ],
    ids=["nbp", "zinbp", "truncated-nb"],
)
def test_log_alpha_models_convert_newtons_last_derivatives(frame, monkeypatch, build, positive):
    y, X = _arrays(frame, "yn")
    if positive:
        y, X = y[y > 0], X[y > 0]
    model = build(y, X)
    converted = model.fit(disp=0)
    monkeypatch.setattr(type(model), "_reported_derivatives", lambda *args: None)
    again = build(y, X).fit(disp=0)
    np.testing.assert_array_equal(converted.params, again.params)
    np.testing.assert_allclose(converted.bse, again.bse, rtol=1e-10)
    assert converted.llf == again.llf


def test_negative_binomial_start_reuses_the_rank_of_its_design(frame, monkeypatch):
    # the auxiliary Poisson fit has the same design: its rank is not computed again
    y, X = _arrays(frame, "yn")
    model = NegativeBinomial(y, X)
    assert model.rank == 3
    calls = []
    monkeypatch.setattr(
        "torchstats.models.base.matrix_rank", lambda X: calls.append(X) or X.shape[1]
    )
    poisson = model._sibling(Poisson, model.design.exog, model.design.output.param_names[:3])
    assert poisson.rank == 3 and not calls
    other = model._sibling(Poisson, model.design.exog[:, :2], ("const", "x1"))
    assert other.rank == 2 and len(calls) == 1


def test_logit_loglikeobs_on_a_binary_response_is_the_two_term_form(frame):
    y, X = _arrays(frame, "yb")
    model = Logit(y, X)
    params = np.linspace(-0.3, 0.3, X.shape[1])
    p = 1 / (1 + np.exp(-(np.asarray(X) @ params)))
    expected = np.asarray(y) * np.log(p) + (1 - np.asarray(y)) * np.log1p(-p)
    np.testing.assert_allclose(model.loglikeobs(params), expected, rtol=1e-13)
    fractional = Logit(np.clip(np.asarray(y), 0.2, 0.7), X)
    q = np.clip(np.asarray(y), 0.2, 0.7)
    np.testing.assert_allclose(
        fractional.loglikeobs(params), q * np.log(p) + (1 - q) * np.log1p(-p), rtol=1e-13
    )


@pytest.mark.parametrize(
    "fit",
    [
        lambda y, X: ts.Poisson(y, X).fit(disp=0),
        lambda y, X: ts.NegativeBinomial(y, X).fit(disp=0),
        lambda y, X: ts.NegativeBinomialP(y, X).fit(disp=0),
        lambda y, X: ts.GeneralizedPoisson(y, X).fit(disp=0),
    ],
    ids=["poisson", "negbin", "negbin-p", "generalized-poisson"],
)
def test_a_dummy_of_zero_counts_warns_that_the_estimate_does_not_exist(fit) -> None:
    """Its coefficient goes to -inf: Newton stopped near -31 with bse 8e5, converged and
    silent (statsmodels warns that it did not converge)."""
    rng = np.random.default_rng(3)
    n = 200
    X = pd.DataFrame(
        {"const": 1.0, "x1": rng.normal(size=n), "d": (np.arange(n) < 30).astype(float)}
    )
    y = rng.poisson(np.exp(0.5 + 0.3 * X.x1)).astype(float)
    y[X.d == 1] = 0
    with pytest.warns(PerfectSeparationWarning, match="30 of 200 observations"):
        fit(y, X)
    fine = rng.poisson(np.exp(0.5 + 0.3 * X.x1 - 0.5 * X.d)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        fit(fine, X)
