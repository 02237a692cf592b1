"""statsmodels' optimizers (``fit(method=...)``) of the discrete models.

Each scipy method is called as statsmodels calls it, on the same objective from the same
start, so the fits take the same path: against live statsmodels the estimates agree to
rounding where the path is the same step for step (Logit, Poisson, the negative binomial;
Probit's path differs because statsmodels clips ``Phi`` in the far tail that the first
steps visit), and against statsmodels' stored Stata results (``tests/reference/
statsmodels_discrete``) to the precision its own tests ask of each optimizer.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm

from tests.models.discrete_cases import make_discrete_frame
from torchstats.errors import ConvergenceWarning, InvalidOptionError, SpecificationWarning
from torchstats.models.binary import Logit, Probit
from torchstats.models.count import NegativeBinomial, Poisson

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference/statsmodels_discrete/reference.json").read_text()
)

# statsmodels' discrete/tests/test_discrete.py: TestProbit<method> fit options
STATSMODELS_CASES = {
    "bfgs": {},
    "nm": {"maxiter": 500},
    "powell": {"ftol": 1e-8},
    "ncg": {"avextol": 1e-8, "warn_convergence": False},
    "basinhopping": {"niter": 5, "minimizer": {"method": "L-BFGS-B", "tol": 1e-8}, "seed": 0},
    "minimize": {"niter": 5, "tol": 1e-8},
    "minimize-dogleg": {"niter": 5, "tol": 1e-8, "min_method": "dogleg"},
    "minimize-nelder-mead": {
        "maxiter": 500,
        "min_method": "Nelder-Mead",
        "xatol": 1e-4,
        "fatol": 1e-4,
    },
    "lbfgs": {},
}


@cache
def _spector() -> tuple[np.ndarray, np.ndarray]:
    data = sm.datasets.spector.load_pandas()
    exog = sm.add_constant(data.exog, prepend=False)
    return data.endog.to_numpy(), exog.to_numpy()


@cache
def _randhie() -> tuple[np.ndarray, np.ndarray]:
    data = sm.datasets.randhie.load_pandas()
    exog = sm.add_constant(data.exog, prepend=False)
    return data.endog.to_numpy(), exog.to_numpy()


def _fit_both(ours_cls, theirs_cls, endog, exog, method, options, model_args=()):
    options = dict(options)
    method = method.split("-")[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = theirs_cls(endog, exog, *model_args).fit(method=method, disp=0, **options)
        ours = ours_cls(endog, exog, *model_args).fit(method=method, **options)
    return ours, theirs


# --- statsmodels' stored results (Stata) --------------------------------------------------


@pytest.mark.parametrize("case", sorted(STATSMODELS_CASES))
def test_probit_optimizers_reach_statsmodels_stored_results(case):
    y, X = _spector()
    method = case.split("-")[0]
    res = Probit(y, X).fit(method=method, **STATSMODELS_CASES[case])
    stored = REFERENCE["spector_probit"]
    # statsmodels' CheckBinaryResults: four decimals
    np.testing.assert_allclose(res.params, stored["params"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(res.bse, stored["bse"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(res.llf, stored["llf"], atol=1e-4, rtol=0)
    assert res.mle_settings["optimizer"] == method


def test_logit_bfgs_reaches_stata_constant():
    # statsmodels' TestLogitBFGS: the default 35 BFGS steps converge; the constant is
    # -13.0213 (torchstats' former L-BFGS stopped at -13.0032 after 35 steps)
    y, X = _spector()
    res = Logit(y, X).fit(method="bfgs")
    stored = REFERENCE["spector_logit"]
    assert res.mle_retvals["converged"] and res.mle_retvals["warnflag"] == 0
    np.testing.assert_allclose(res.params, stored["params"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(res.params[-1], -13.0213, atol=5e-5)
    np.testing.assert_allclose(res.bse, stored["bse"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(res.llf, stored["llf"], atol=1e-4, rtol=0)


@pytest.mark.parametrize(
    ("loglike_method", "maxiter", "stored"),
    [("nb2", 1000, "randhie_nb2_bfgs"), ("nb1", 100, "randhie_nb1_bfgs")],
)
def test_negative_binomial_bfgs_reaches_stata(loglike_method, maxiter, stored):
    # statsmodels' TestNegativeBinomialNB2BFGS / NB1BFGS
    y, X = _randhie()
    res = NegativeBinomial(y, X, loglike_method).fit(method="bfgs", maxiter=maxiter)
    ref = REFERENCE[stored]
    assert res.mle_retvals["converged"]
    np.testing.assert_allclose(res.params, ref["params"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(res.lnalpha, ref["lnalpha"], atol=1e-3, rtol=0)
    np.testing.assert_allclose(res.lnalpha_std_err, ref["lnalpha_std_err"], atol=1e-4)


# --- live statsmodels: the same path --------------------------------------------------------

# Where the path is the same, the estimates agree to rounding; Newton-CG's inner conjugate-
# gradient stops and Powell's line minimisations are decisions that rounding can flip, after
# which the paths agree only to the tolerance (avextol 1e-8, ftol 1e-8 here).
LOGIT_RTOL = {"ncg": 1e-7, "powell": 1e-7}


@pytest.mark.parametrize("case", sorted(STATSMODELS_CASES))
def test_logit_optimizers_match_statsmodels(case):
    y, X = _spector()
    ours, theirs = _fit_both(Logit, sm.Logit, y, X, case, STATSMODELS_CASES[case])
    rtol = LOGIT_RTOL.get(case, 1e-10)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=rtol)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=max(rtol, 1e-9))
    np.testing.assert_allclose(ours.llf, theirs.llf, rtol=1e-12)
    assert set(theirs.mle_retvals) <= set(ours.mle_retvals)
    assert ours.mle_retvals["converged"] == theirs.mle_retvals["converged"]
    if case not in LOGIT_RTOL:  # the same evaluations, one for one
        assert ours.mle_retvals.get("fcalls") == theirs.mle_retvals.get("fcalls")
        assert ours.mle_retvals.get("warnflag") == theirs.mle_retvals.get("warnflag")


def test_unconverged_cg_follows_statsmodels():
    # 35 conjugate-gradient steps stop short in both; the paths agree step for step
    y, X = _spector()
    ours, theirs = _fit_both(Logit, sm.Logit, y, X, "cg", {})
    assert not ours.mle_retvals["converged"] and not theirs.mle_retvals["converged"]
    assert ours.mle_retvals["fcalls"] == theirs.mle_retvals["fcalls"]
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-4)


@pytest.mark.parametrize("method", ["bfgs", "lbfgs", "nm", "powell", "cg", "ncg"])
def test_poisson_optimizers_match_statsmodels(method):
    frame = make_discrete_frame(3)
    X = sm.add_constant(frame[["x1", "x2", "x3"]].to_numpy())
    y = frame["yc"].to_numpy()
    options = {"maxiter": 2000} if method in ("nm", "powell") else {"maxiter": 200}
    ours, theirs = _fit_both(Poisson, sm.Poisson, y, X, method, options)
    assert ours.mle_settings["start_params"][1] == 0.001  # statsmodels' start
    rtol = 1e-7 if method in ("ncg", "powell") else 1e-10
    np.testing.assert_allclose(ours.params, theirs.params, rtol=rtol)
    assert ours.mle_retvals["converged"] == theirs.mle_retvals["converged"]


@pytest.mark.parametrize("loglike_method", ["nb2", "nb1", "geometric"])
def test_negative_binomial_default_bfgs_matches_statsmodels(loglike_method):
    # statsmodels' default fit of NegativeBinomial: 35 BFGS steps in log(alpha) from its
    # start (the moment estimate of alpha taken as log(alpha)); NB2 and NB1 stop short there
    y, X = _randhie()
    ours, theirs = _fit_both(
        NegativeBinomial, sm.NegativeBinomial, y, X, "bfgs", {}, (loglike_method,)
    )
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-9)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-6)
    for key in ("converged", "warnflag", "fcalls", "gcalls"):
        assert ours.mle_retvals[key] == theirs.mle_retvals[key]
    np.testing.assert_allclose(
        ours.mle_retvals["gopt"], theirs.mle_retvals["gopt"], rtol=1e-6, atol=1e-12
    )


def test_negative_binomial_ncg_steps_in_alpha_as_statsmodels():
    y, X = _randhie()
    ours, theirs = _fit_both(NegativeBinomial, sm.NegativeBinomial, y, X, "ncg", {})
    assert ours.mle_retvals["converged"] and theirs.mle_retvals["converged"]
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-7)
    assert ours.mle_retvals["fcalls"] == theirs.mle_retvals["fcalls"]


def test_negative_binomial_default_is_still_newton():
    y, X = _randhie()
    res = NegativeBinomial(y, X).fit()
    assert res.mle_settings["optimizer"] == "newton" and res.mle_retvals["converged"]
    assert res.mle_retvals["iterations"] <= 10


# --- options, retvals, settings and the printed report -------------------------------------


def test_settings_hold_statsmodels_defaults():
    y, X = _spector()
    for method in ("bfgs", "nm", "cg", "ncg", "powell"):
        ours, theirs = _fit_both(Logit, sm.Logit, y, X, method, {})
        shared = set(theirs.mle_settings) - {"callback", "fargs", "retall", "extra_fit_funcs"}
        for key in shared:
            assert np.all(ours.mle_settings[key] == theirs.mle_settings[key]) or key == "disp"


def test_maxiter_maxfun_and_gtol_are_honoured():
    y, X = _spector()
    with pytest.warns(ConvergenceWarning, match=r"\(nm\) did not converge.*function evaluations"):
        limited = Logit(y, X).fit(method="nm", maxfun=20)
    assert limited.mle_retvals["fcalls"] <= 21 and limited.mle_retvals["warnflag"] == 1
    with pytest.warns(ConvergenceWarning, match=r"\(bfgs\) did not converge after 3 iter"):
        short = Logit(y, X).fit(method="bfgs", maxiter=3)
    assert short.mle_retvals["iterations"] == 3 and not short.converged
    loose = Logit(y, X).fit(method="bfgs")
    tight = Logit(y, X).fit(method="bfgs", gtol=1e-8)
    newton = Logit(y, X).fit()
    assert tight.converged and np.abs(tight.mle_retvals["gopt"]).max() <= 1e-8
    assert np.abs(tight.params - newton.params).max() < np.abs(loose.params - newton.params).max()
    assert tight.mle_settings["gtol"] == 1e-8 and loose.mle_settings["gtol"] == 1e-5


def test_disp_prints_what_statsmodels_prints(capsys):
    y, X = _spector()
    sm.Logit(y, X).fit(method="bfgs", disp=1)
    theirs = capsys.readouterr().out
    Logit(y, X).fit(method="bfgs", disp=True)
    ours = capsys.readouterr().out
    assert ours == theirs
    assert ours.startswith("Optimization terminated successfully.")


def test_disp_of_newton_prints_statsmodels_lines(capsys):
    y, X = _spector()
    res = Logit(y, X).fit(disp=True)
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "Optimization terminated successfully.",
        f"         Current function value: {-res.llf / res.nobs:f}",
        f"         Iterations {res.mle_retvals['iterations']:d}",
    ]
    with pytest.warns(ConvergenceWarning):
        Logit(y, X).fit(disp=True, maxiter=1)
    assert capsys.readouterr().out.splitlines()[::2] == [
        "Warning: Maximum number of iterations has been exceeded.",
        "         Iterations: 1",
    ]


def test_newton_retvals_have_statsmodels_keys():
    y, X = _spector()
    ours = Logit(y, X).fit()
    theirs = sm.Logit(y, X).fit(disp=0)
    assert set(theirs.mle_retvals) <= set(ours.mle_retvals)
    np.testing.assert_allclose(
        ours.mle_retvals["Hessian"], theirs.mle_retvals["Hessian"], rtol=1e-8
    )
    np.testing.assert_allclose(ours.mle_retvals["score"], 0, atol=1e-12)
    assert ours.mle_retvals["fopt"] == pytest.approx(theirs.mle_retvals["fopt"], rel=1e-13)


def test_statsmodels_newton_options_warn_that_they_do_nothing():
    y, X = _spector()
    with pytest.warns(SpecificationWarning, match="'ridge_factor', 'tol' of statsmodels"):
        res = Logit(y, X).fit(tol=1e-10, ridge_factor=1e-8)
    assert res.converged


def test_full_output_false_warns_as_statsmodels():
    y, X = _spector()
    with pytest.warns(FutureWarning, match="full_output=False has no effect"):
        Logit(y, X).fit(full_output=False)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"method": "bfgs", "maxfun": 3}, r"unknown option\(s\) 'maxfun' for method='bfgs'"),
        ({"method": "nm", "gtol": 1e-3}, r"'gtol' for method='nm'; it takes 'xtol', 'ftol'"),
        ({"method": "lbfgs", "approx_grad": True}, "'approx_grad' concern finite-difference"),
    ],
)
def test_unknown_optimizer_options(options, match):
    y, X = _spector()
    with pytest.raises(InvalidOptionError, match=match):
        Probit(y, X).fit(**options)


def test_all_methods_agree_with_newton_on_a_formula_model():
    frame = make_discrete_frame(4)
    newton = Poisson("yc ~ x1 + C(g)", frame, exposure=frame["expo"]).fit()
    tight = {
        "bfgs": {"gtol": 1e-8},
        "lbfgs": {"pgtol": 1e-10, "factr": 10.0},
        "cg": {"gtol": 1e-7},
        "ncg": {"avextol": 1e-12},
        "nm": {"xtol": 1e-10, "ftol": 1e-14, "maxfun": 20000},
        "powell": {"xtol": 1e-10, "ftol": 1e-14},
        "minimize": {"min_method": "trust-ncg", "gtol": 1e-8},
        "basinhopping": {"niter": 2, "seed": 1, "minimizer": {"method": "Newton-CG"}},
    }
    for method, options in tight.items():
        res = Poisson("yc ~ x1 + C(g)", frame, exposure=frame["expo"]).fit(
            method=method, maxiter=5000, **options
        )
        assert res.converged, method
        np.testing.assert_allclose(res.params, newton.params, rtol=1e-6, err_msg=method)
        assert list(res.params.index) == list(newton.params.index)
        assert math.isfinite(res.mle_retvals["fopt"])
        assert re.match(r"\w", res.mle_retvals["message"])


@pytest.mark.parametrize("method", ["lbfgs", "nm", "ncg"])
def test_a_scipy_stop_short_of_the_maximum_is_not_converged(method) -> None:
    """On a badly scaled logit these methods met scipy's own tests 32-37 log-likelihood
    units below the maximum and reported converged=True (statsmodels does too); the exact
    Newton decrement shows it."""
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=(n, 2))
    X = np.column_stack([np.ones(n), 1e3 * x[:, 0], 1e-3 * x[:, 1]])
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + x[:, 0] + 0.8 * x[:, 1])))).astype(float)
    best = Logit(y, X).fit(disp=0)
    with pytest.warns(ConvergenceWarning, match="stopped short"):
        res = Logit(y, X).fit(method=method, disp=0, maxiter=1000)
    assert not res.converged and not res.mle_retvals["converged"]
    assert res.llf < best.llf - 10
