"""fit_constrained (GLM, Logit, Probit, Poisson): statsmodels' numbers, the constrained
maximum likelihood's own conditions, the constrained sandwich, and bad constraints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from tests.conftest import DEVICES, make_frame
from tests.parity import assert_matches
from torchstats.errors import ConstraintError, InvalidOptionError

CONSTRAINTS = ["x1 + x2 = 0.1, x3 = 0", "x3 = 0", "x1 - x2 = 0", "-x1 + 2*x2 = 0.5"]


def _count_data(seed: int, n: int = 300) -> tuple[pd.Series, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = sm.add_constant(pd.DataFrame(rng.normal(size=(n, 3)), columns=["x1", "x2", "x3"]))
    exposure = rng.uniform(0.5, 2.0, size=n)
    mu = exposure * np.exp(0.2 + 0.3 * X["x1"] - 0.2 * X["x2"] + 0.1 * X["x3"])
    return pd.Series(rng.poisson(mu), name="y").astype(float), X, exposure


def _glm_cases(seed: int) -> dict[str, tuple[dict, dict]]:
    """(data, options) per case: torchstats and statsmodels take the same arguments."""
    y, X, exposure = _count_data(seed)
    rng = np.random.default_rng(seed + 100)
    n = len(y)
    weights = rng.uniform(0.5, 2.0, size=n)
    positive = np.exp(0.5 + 0.2 * X["x1"]) * rng.gamma(4.0, 0.25, size=n)
    trials = rng.integers(3, 9, size=n)
    successes = rng.binomial(trials, 1 / (1 + np.exp(-(0.2 * X["x1"] - 0.4 * X["x2"]))))
    pairs = np.column_stack([successes, trials - successes]).astype(float)
    return {
        "poisson-exposure-offset": (
            {"endog": y, "exog": X},
            {"family": "poisson", "exposure": exposure, "offset": 0.1 * X["x2"].to_numpy()},
        ),
        "gaussian-var-weights": (
            {"endog": y, "exog": X},
            {"family": "gaussian", "var_weights": weights},
        ),
        "gamma-log-freq-weights": (
            {"endog": positive, "exog": X},
            {"family": "gamma-log", "freq_weights": np.round(weights * 2)},
        ),
        "binomial-trials": ({"endog": pairs, "exog": X}, {"family": "binomial"}),
    }


def _family(name: str, api: object) -> object:
    families = api.families  # type: ignore[attr-defined]
    if name == "gamma-log":
        return families.Gamma(families.links.Log())
    return {
        "poisson": families.Poisson,
        "gaussian": families.Gaussian,
        "binomial": families.Binomial,
    }[name]()


def _glm(api: object, data: dict, options: dict) -> object:
    options = {**options, "family": _family(options["family"], api)}
    return api.GLM(data["endog"], data["exog"], **options)  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "case",
    [
        "poisson-exposure-offset",
        "gaussian-var-weights",
        "gamma-log-freq-weights",
        "binomial-trials",
    ],
)
@pytest.mark.parametrize("constraints", CONSTRAINTS)
def test_glm_matches_statsmodels(seed, case, constraints):
    data, options = _glm_cases(seed)[case]
    ours = _glm(ts, data, options).fit_constrained(constraints)
    theirs = _glm(sm, data, options).fit_constrained(constraints)
    assert type(ours).__name__ == "ConstrainedGLMResults" and isinstance(ours, ts.GLMResults)
    assert_matches(ours.params, theirs.params, rtol=1e-9)
    assert_matches(ours.bse, theirs.bse, rtol=1e-8)
    assert_matches(ours.cov_params(), theirs.cov_params(), rtol=1e-8)
    for name in ("llf", "deviance", "pearson_chi2", "scale", "aic", "bic", "df_model", "df_resid"):
        np.testing.assert_allclose(
            getattr(ours, name), getattr(theirs, name), rtol=1e-9, err_msg=name
        )
    assert ours.k_constr == theirs.k_constr
    np.testing.assert_array_equal(ours.constraints.constraint_matrix, theirs.constraints.coefs)
    finite = np.isfinite(theirs.pvalues.to_numpy())
    assert_matches(ours.pvalues[finite], theirs.pvalues[finite], rtol=1e-7)
    assert_matches(ours.conf_int(), theirs.conf_int(), rtol=1e-8)
    # the coefficient table and the note, below the header (statsmodels' iteration count
    # is that of its dummy maxiter=0 fit)
    ours_text, theirs_text = ours.summary().as_text(), theirs.summary().as_text()
    assert ours_text.split("=\n", 2)[-1] == theirs_text.split("=\n", 2)[-1]


@pytest.mark.parametrize("model", ["Logit", "Probit", "Poisson"])
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "cluster"])
def test_discrete_matches_statsmodels(model, cov_type):
    y, X, _ = _count_data(3)
    endog = (y > 1).astype(float) if model != "Poisson" else y
    groups = np.arange(len(y)) % 17
    kwds = {"cov_kwds": {"groups": groups}} if cov_type == "cluster" else {}
    constraints = "x3 = 0, x1 = 2*x2"
    ours = getattr(ts, model)(endog, X).fit_constrained(
        constraints, disp=0, cov_type=cov_type, **kwds
    )
    theirs = getattr(sm, model)(endog, X).fit_constrained(
        constraints, disp=0, cov_type=cov_type, **kwds
    )
    assert_matches(ours.params, theirs.params, rtol=1e-9)
    assert_matches(ours.bse, theirs.bse, rtol=1e-8)
    for name in ("llf", "df_model", "df_resid", "aic", "bic"):
        np.testing.assert_allclose(
            getattr(ours, name), getattr(theirs, name), rtol=1e-10, err_msg=name
        )
    assert ours.mle_retvals["converged"]  # statsmodels reports its dummy fit's False
    assert ours.summary().as_text().rstrip().endswith("linear equality constraints.")
    assert "linear equality" in ours.summary2().as_text()
    assert_matches(ours.predict(X.iloc[:5]), theirs.predict(X.iloc[:5]), rtol=1e-10)


def test_formula_constraints_on_factor_levels():
    frame = make_frame(4, n=240)
    frame["count"] = np.random.default_rng(4).poisson(np.exp(0.3 + 0.2 * frame["x1"]))
    constraint = "C(g)[T.b] = C(g)[T.c], x1 = 0.2"
    ours = ts.poisson("count ~ x1 + x3 + C(g)", frame).fit_constrained(constraint, disp=0)
    theirs = smf.poisson("count ~ x1 + x3 + C(g)", frame).fit_constrained(constraint, disp=0)
    assert_matches(ours.params, theirs.params, rtol=1e-9)
    assert_matches(ours.bse, theirs.bse, rtol=1e-8)
    assert ours.params["x1"] == 0.2  # fixed alone: exactly
    assert ours.params["C(g)[T.b]"] == pytest.approx(ours.params["C(g)[T.c]"], rel=1e-14)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_estimate_solves_the_constrained_likelihood(seed):
    """Independent of statsmodels: R b = q, and the score lies in the row space of R
    (the Lagrange conditions) at the estimate."""
    y, X, exposure = _count_data(seed)
    R = np.array([[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    q = np.array([0.1, -0.05])
    model = ts.GLM(y, X, family=ts.families.Poisson(), exposure=exposure)
    res = model.fit_constrained((R, q))
    b = res.params.to_numpy()
    np.testing.assert_allclose(R @ b, q, rtol=0, atol=1e-15)
    score = np.asarray(model.score(b))
    multipliers, *_ = np.linalg.lstsq(R.T, score, rcond=None)
    residual = score - R.T @ multipliers
    assert np.abs(residual).max() <= 1e-10 * np.abs(score).max()


def test_robust_covariance_is_the_constrained_sandwich():
    """HC0 of the constrained fit: T (T'HT)^{-1} T' M T (T'HT)^{-1} T' from the model's own
    Hessian and scores at the estimate, with T a basis of the null space of R."""
    y, X, _ = _count_data(5)
    endog = (y > 1).astype(float)
    R = np.array([[0.0, 1.0, -2.0, 0.0]])
    model = ts.Logit(endog, X)
    res = model.fit_constrained((R, [0.0]), disp=0, cov_type="HC0")
    b = res.params.to_numpy()
    H = np.asarray(model.hessian(b))
    scores = np.asarray(model.score_obs(b))
    T = np.linalg.svd(R)[2][1:].T
    bread = T @ np.linalg.inv(T.T @ H @ T) @ T.T
    expected = bread @ (scores.T @ scores) @ bread
    np.testing.assert_allclose(res.cov_params().to_numpy(), expected, rtol=1e-9, atol=1e-15)


def test_fixed_parameters_have_exactly_zero_variance():
    y, X, _ = _count_data(6)
    res = ts.Poisson(y, X).fit_constrained("x3 = 0.25, x1 + x2 = 0", disp=0)
    assert res.params["x3"] == 0.25 and res.bse["x3"] == 0.0
    assert (res.cov_params()["x3"] == 0.0).all()
    # not estimated: no statistic (statsmodels: z = inf, p = 0)
    assert np.isnan(res.tvalues["x3"]) and np.isnan(res.pvalues["x3"])
    assert np.isfinite(res.pvalues.drop("x3")).all()
    with pytest.warns(ts.CollinearityWarning, match="fit_constrained"):
        test = res.t_test("x3 = 0")
    assert np.isnan(test.tvalue).all()
    with pytest.raises(ConstraintError, match="no variance in this fit"):
        res.wald_test("x3 = 0", scalar=True)
    free = res.t_test("x1 = 0")  # a free combination is tested as usual
    assert np.isfinite(free.pvalue).all()


def test_start_params_and_fit_options_pass_through():
    y, X, _ = _count_data(7)
    model = ts.GLM(y, X, family=ts.families.Poisson())
    default = model.fit_constrained("x3 = 0")
    started = model.fit_constrained("x3 = 0", start_params=np.r_[0.2, 0.3, -0.2, 5.0])
    newton = model.fit_constrained("x3 = 0", method="newton")
    assert_matches(started.params, default.params, rtol=1e-10)
    assert_matches(newton.params, default.params, rtol=1e-8)
    assert isinstance(default.results_constrained, ts.GLMResults)
    assert len(default.results_constrained.params) == 3
    assert str(default.constraints) == "x3 = 0.0"


def test_bad_constraints_are_refused():
    y, X, _ = _count_data(8)
    model = ts.GLM(y, X, family=ts.families.Poisson())
    with pytest.raises(ConstraintError, match="linearly dependent"):
        model.fit_constrained("x1 = 0, 2*x1 = 0")
    with pytest.raises(ConstraintError, match="linearly dependent"):
        model.fit_constrained("x1 = 0, x1 = 1")
    with pytest.raises(ConstraintError, match="fix all 4 parameters"):
        model.fit_constrained("const = 0, x1 = 0, x2 = 0, x3 = 0")
    with pytest.raises(ConstraintError, match="x9"):
        model.fit_constrained("x9 = 0")
    res = model.fit_constrained("x1 = 0")
    with pytest.raises(InvalidOptionError, match="cov_type= .* to fit_constrained"):
        res.get_robustcov_results("HC0")


@pytest.mark.parametrize("device", DEVICES)
def test_device(device):
    y, X, _ = _count_data(9)
    endog = torch.as_tensor(y.to_numpy(), device=device)
    exog = torch.as_tensor(X.to_numpy(), device=device)
    res = ts.Poisson(endog, exog).fit_constrained((np.array([[0.0, 1.0, 1.0, 0.0]]), [0.0]), disp=0)
    cpu = ts.Poisson(y.to_numpy(), X.to_numpy()).fit_constrained(
        (np.array([[0.0, 1.0, 1.0, 0.0]]), [0.0]), disp=0
    )
    assert res.params.device.type == device
    np.testing.assert_allclose(res.params.cpu().numpy(), cpu.params, rtol=1e-10)
    np.testing.assert_allclose(res.bse.cpu().numpy(), cpu.bse, rtol=1e-9)


def test_constraint_objects_patsy_and_a_fits_own():
    """patsy's LinearConstraint (statsmodels accepts it) and a constrained fit's own
    ``constraints`` are read as (R, q); names that are not the model's are refused."""
    import patsy

    y, X, _ = _count_data(10)
    lc = patsy.DesignInfo(list(X.columns)).linear_constraint("x1 + x2 = 0.2, x3 = 0")
    model = ts.GLM(y, X, family=ts.families.Poisson())
    ours = model.fit_constrained(lc)
    theirs = sm.GLM(y, X, family=sm.families.Poisson()).fit_constrained(lc)
    assert_matches(ours.params, theirs.params, rtol=1e-9)
    again = model.fit_constrained(ours.constraints)  # statsmodels fails on this round trip
    assert_matches(again.params, ours.params, rtol=1e-14)
    with pytest.warns(ts.CollinearityWarning, match="no variance"):  # the constraints hold
        np.testing.assert_allclose(ours.t_test(lc).effect, [0.2, 0.0], atol=1e-14)
    other = patsy.DesignInfo(["a", "b", "c", "d"]).linear_constraint("a = 0")
    with pytest.raises(ConstraintError, match=r"names the parameters \['a', 'b', 'c', 'd'\]"):
        model.fit_constrained(other)


def test_a_scalar_offset_is_kept():
    # a GLM keeps a scalar offset per row, outside the design's extras: the restricted
    # model must add it to X c (it was dropped, shifting the constant by the offset)
    y, X, _ = _count_data(11)
    ours = ts.GLM(y, X, family=ts.families.Poisson(), offset=0.3).fit_constrained("x3 = 0")
    full = np.full(len(y), 0.3)
    theirs = sm.GLM(y, X, family=sm.families.Poisson(), offset=full).fit_constrained("x3 = 0")
    assert_matches(ours.params, theirs.params, rtol=1e-9)


def test_a_covariance_beyond_float64_is_refused():
    # a regressor in units of 1e160: the free parameters' covariance holds variances near
    # 4e-323, subnormal numbers with a few bits left; mapped back, they gave a standard error
    # of 6.7e-162 with one significant digit, silently
    from torchstats.errors import NumericalRangeError

    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(200), rng.normal(size=200) * 1e160, rng.normal(size=200)])
    y = rng.poisson(np.exp(0.2 + 0.3 * X[:, 2])).astype(float)
    with pytest.raises(NumericalRangeError, match="beyond float64's range"):
        ts.GLM(y, X, family=ts.families.Poisson()).fit_constrained("x2 = 0")
