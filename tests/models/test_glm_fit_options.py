"""``GLM.fit`` beyond the IRLS defaults, against live statsmodels: the likelihood methods
(statsmodels' ``_fit_gradient``), the IRLS tolerances, ``attach_wls``, ``eim`` and the
arguments that have no effect."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import torchstats as ts
from tests.models.glm_cases import _BASE, GlmCase, glm_frame
from torchstats.errors import ConvergenceWarning, SpecificationWarning

# one case per family, with links, weights, offsets and fixed or estimated scales
GRADIENT_CASES = [
    _BASE[0],  # gaussian
    _BASE[2],  # gaussian, inverse power link
    _BASE[6],  # binomial, probit
    _BASE[10],  # binomial proportions with var_weights
    _BASE[13],  # poisson, offset and exposure
    _BASE[14],  # poisson, freq_weights
    _BASE[16],  # poisson, scale="X2"
    _BASE[18],  # gamma, log link
    _BASE[21],  # gamma, scale="dev"
    _BASE[22],  # inverse Gaussian
    _BASE[25],  # negative binomial, exposure and freq_weights
    _BASE[27],  # tweedie with var_weights
]


def _fit_both(case: GlmCase, **fit_kwds):
    frame = glm_frame(case.seed)
    ours_family, theirs_family = case.families()
    kwds = case.model_kwds()
    fit_kwds = {**dict(case.fit_kwds), **fit_kwds}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ts.glm(case.formula, frame, family=ours_family, **kwds).fit(**fit_kwds)
        theirs = smf.glm(case.formula, frame, family=theirs_family, **kwds).fit(**fit_kwds)
    return ours, theirs


@pytest.mark.parametrize("method", ["newton", "bfgs", "lbfgs", "nm"])
@pytest.mark.parametrize("case", GRADIENT_CASES, ids=lambda c: c.id)
def test_likelihood_methods_match_statsmodels(case, method):
    options = {"maxiter": 3000} if method == "nm" else {}
    ours, theirs = _fit_both(case, method=method, **options)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-9)
    np.testing.assert_allclose(ours.scale, theirs.scale, rtol=1e-10)
    np.testing.assert_allclose(ours.llf, theirs.llf, rtol=1e-12)
    np.testing.assert_allclose(ours.deviance, theirs.deviance, rtol=1e-10)
    assert ours.method == theirs.method == method
    assert set(theirs.mle_retvals) <= set(ours.mle_retvals)
    assert ours.converged and theirs.mle_retvals["converged"]
    if method in ("lbfgs", "nm"):  # the scipy steps, one for one
        assert ours.fit_history == theirs.fit_history
        assert ours.mle_retvals["fcalls"] == theirs.mle_retvals["fcalls"]


@pytest.mark.parametrize("case", GRADIENT_CASES[::3], ids=lambda c: c.id)
def test_expected_information_options(case):
    # optim_hessian="eim" steps with the expected Hessian; cov_type="eim" reports it
    # with the expected Hessian Newton is Fisher scoring and converges linearly, so
    # statsmodels' stop (no parameter moves by 1e-8) leaves about 1e-8 of error
    ours, theirs = _fit_both(case, method="newton", optim_hessian="eim", cov_type="eim")
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-7)
    assert ours.cov_type == theirs.cov_type == "nonrobust"
    irls, irls_theirs = _fit_both(case, cov_type="eim")
    np.testing.assert_allclose(irls.bse, irls_theirs.bse, rtol=1e-9)


@pytest.mark.parametrize("case", GRADIENT_CASES[::4], ids=lambda c: c.id)
def test_start_values_of_the_likelihood_methods(case):
    # no start iterations: statsmodels starts from zeros
    ours, theirs = _fit_both(case, method="bfgs", max_start_irls=0, maxiter=500)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-7, atol=1e-10)
    assert ours.mle_settings["max_start_irls"] == 0
    np.testing.assert_allclose(ours.mle_settings["start_params"], 0.0)
    given = np.asarray(theirs.params) * 0.9
    ours, theirs = _fit_both(case, method="lbfgs", start_params=given)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-9, atol=1e-12)
    assert ours.mle_retvals["fcalls"] == theirs.mle_retvals["fcalls"]


@pytest.mark.parametrize(
    "options",
    [
        {"rtol": 1e-3},
        {"atol": 1e-4},
        {"tol": 1e-3},
        {"tol_criterion": "params"},
        {"tol_criterion": "params", "rtol": 1e-5, "atol": 0.0},
        {"wls_method": "lstsq"},
        {"wls_method": "qr"},
        {"wls_method": "pinv"},
    ],
    ids=str,
)
@pytest.mark.parametrize("case", GRADIENT_CASES[::2], ids=lambda c: c.id)
def test_irls_tolerances(case, options):
    ours, theirs = _fit_both(case, **options)
    assert ours.fit_history["iteration"] == theirs.fit_history["iteration"]
    np.testing.assert_allclose(
        ours.fit_history["deviance"], theirs.fit_history["deviance"][1:], rtol=1e-9
    )
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-9, atol=1e-12)
    assert ours.converged == theirs.converged
    assert ours.mle_settings["wls_method"] == options.get("wls_method", "auto")


@pytest.mark.parametrize("case", GRADIENT_CASES[::3], ids=lambda c: c.id)
def test_attach_wls(case):
    ours, theirs = _fit_both(case, attach_wls=True)
    wls, wls_theirs = ours.results_wls, theirs.results_wls
    assert type(wls).__name__ == "RegressionResults"
    np.testing.assert_allclose(wls.params, wls_theirs.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(wls.bse, wls_theirs.bse, rtol=1e-8)
    np.testing.assert_allclose(wls.scale, wls_theirs.scale, rtol=1e-8)
    np.testing.assert_allclose(wls.model.weights, wls_theirs.model.weights, rtol=1e-10)
    assert list(wls.params.index) == list(ours.params.index)
    with pytest.raises(AttributeError, match="attach_wls=True"):
        _ = _fit_both(case)[0].results_wls


def test_irls_results_have_no_mle_retvals_as_in_statsmodels():
    ours, theirs = _fit_both(_BASE[0])
    assert not hasattr(theirs, "mle_retvals")
    with pytest.raises(AttributeError, match="IRLS fits have no mle_retvals"):
        _ = ours.mle_retvals
    assert ours.mle_settings == theirs.mle_settings | {"wls_method": "auto"}


def test_arguments_without_effect_warn():
    model = ts.glm("yc ~ x1", glm_frame(0), family=ts.families.Poisson())
    with pytest.warns(SpecificationWarning, match="disp=True, max_start_irls=5 has no effect"):
        model.fit(disp=True, max_start_irls=5)
    with pytest.warns(SpecificationWarning, match="full_output=False has no effect.*IRLS"):
        model.fit(full_output=False)
    with pytest.warns(SpecificationWarning, match="attach_wls has no effect with method='bfgs'"):
        model.fit(method="bfgs", attach_wls=True)
    with pytest.warns(FutureWarning, match="full_output=False has no effect"):
        model.fit(method="bfgs", full_output=False)
    with pytest.warns(SpecificationWarning, match="'ridge_factor' of statsmodels' Newton"):
        model.fit(method="newton", ridge_factor=1e-10)


def test_disp_prints_scipy_report_as_statsmodels(capsys):
    frame = glm_frame(0)
    smf.glm("yc ~ x1 + C(g)", frame, family=sm.families.Poisson()).fit(method="bfgs", disp=True)
    theirs = capsys.readouterr().out
    ts.glm("yc ~ x1 + C(g)", frame, family=ts.families.Poisson()).fit(method="bfgs", disp=True)
    assert capsys.readouterr().out == theirs
    assert theirs.startswith("Optimization terminated successfully.")


def test_likelihood_method_convergence_warning():
    model = ts.glm("yc ~ x1 + x2", glm_frame(0), family=ts.families.Poisson())
    with pytest.warns(ConvergenceWarning, match=r"\(bfgs\) did not converge after 2 iterations"):
        res = model.fit(method="bfgs", maxiter=2, max_start_irls=0)
    assert not res.converged and not res.mle_retvals["converged"]
    assert res.fit_history == {"iteration": 2}


def test_summary_equals_statsmodels():
    frame = glm_frame(0)
    ours = ts.glm("yc ~ x1", frame, family=ts.families.Poisson()).fit(method="lbfgs")
    theirs = smf.glm("yc ~ x1", frame, family=sm.families.Poisson()).fit(method="lbfgs")
    mask = re.compile(r"^(Date|Time):.*?(?=[A-Za-z]\S*:|$)|\d\d:\d\d:\d\d", re.M)
    assert mask.sub("", str(ours.summary())) == mask.sub("", str(theirs.summary()))
    assert "lbfgs" in str(ours.summary())


@pytest.mark.parametrize("cov_type", ["HC0", "HC1"])
@pytest.mark.parametrize("case", GRADIENT_CASES[::4], ids=lambda c: c.id)
def test_robust_covariance_of_likelihood_fits(case, cov_type):
    ours, theirs = _fit_both(case, method="newton", cov_type=cov_type)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-9)
    assert ours.cov_type == theirs.cov_type


def test_maxiter_zero_returns_the_start_as_statsmodels() -> None:
    """fit(maxiter=0) raised a bare AssertionError (no covariance); statsmodels returns the
    start values, unconverged, with NaN standard errors."""
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(200), rng.uniform(size=200)])
    y = rng.poisson(np.exp(0.5 + 0.6 * X[:, 1])).astype(float)
    for start in (None, [0.1, 0.2]):
        ours = ts.GLM(y, X, family=ts.families.Poisson()).fit(maxiter=0, start_params=start)
        theirs = sm.GLM(y, X, family=sm.families.Poisson()).fit(maxiter=0, start_params=start)
        np.testing.assert_array_equal(ours.params, theirs.params)
        assert np.isnan(ours.bse).all() and np.isnan(theirs.bse).all()
        assert not ours.converged
