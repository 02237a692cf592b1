"""Marginal effects of NegativeBinomialP and GeneralizedPoisson against statsmodels.

statsmodels gives both models ``get_margeff`` through ``CountResults`` (the mean
``exp(x'b)``, the dispersion parameter left out of the effects); here they come from the
same ``predict_mean`` as every count model. Cases: the formula cases of
tests/models/test_generalized_count.py without an offset (statsmodels refuses margins with
one, as we do), one more NB-P with ``p = 1.5``, and statsmodels' RAND data as arrays. For
NB-P with ``p`` other than 1 and 2 statsmodels' covariance is off (its closed-form Hessian;
docs/differences.md), so its margins are given the covariance from the derivative of its own
score, as tests/models/test_generalized_count.py does for ``bse``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import statsmodels.api as sm

import torchstats as ts
from tests.models.test_generalized_count import CASES, Case, _their_cov, fit_pair
from tests.parity import assert_matches
from tests.results.test_margins import AT_METHODS, DISCRETE_OPTIONS, _assert_margins_match

MARGINS_CASES = [
    *(case for case in CASES if not case.offset),
    Case("nbp", 1.5, "yn ~ x1 + np.log(x2) + C(g)", 2, exposure=True),
]


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.fixture(params=MARGINS_CASES, ids=lambda case: case.id)
def fits(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, float]:
    """Our fit and statsmodels' (with the covariance of its score's derivative where its
    closed-form Hessian is off, and its log exposure set to zero: statsmodels' margins of
    these two models use the fit's exposures, see the last test), and the relative
    tolerance of the standard errors (the central difference of the score is good to ~1e-8)."""
    case = request.param
    ours, theirs = fit_pair(case)
    if not case.exact_hessian_in_statsmodels:
        cov = _their_cov(case, theirs)
        monkeypatch.setattr(theirs._results, "cov_params", lambda: cov)
    if case.exposure:  # effects per unit of exposure, as statsmodels' Poisson (differences.md)
        monkeypatch.setattr(theirs.model, "exposure", 0.0)
    return ours, theirs, 1e-8 if case.exact_hessian_in_statsmodels else 1e-7


def _match(ours: Any, theirs: Any, rtol: float = 1e-8) -> None:
    # statsmodels' covariance of these models is its Newton maximum's, ~1e-10 from ours
    _assert_margins_match(ours, theirs, negbin=True, rtol=rtol)


@pytest.mark.parametrize("options", [{}, *DISCRETE_OPTIONS], ids=str)
def test_formula_cases_match_statsmodels(fits: Any, options: dict[str, Any]) -> None:
    ours, theirs, rtol = fits
    _match(ours.get_margeff(**options), theirs.get_margeff(**options), rtol)


@pytest.mark.parametrize(("at", "method"), AT_METHODS, ids=str)
def test_every_at_and_method_matches_statsmodels(fits: Any, at: str, method: str) -> None:
    ours, theirs, rtol = fits
    mine, expected = (r.get_margeff(at=at, method=method) for r in (ours, theirs))
    _match(mine, expected, rtol)


@pytest.mark.parametrize("method", ["dydx", "eyex", "dyex", "eydx"])
def test_at_all_matches_statsmodels(fits: Any, method: str) -> None:
    ours, theirs, _ = fits
    mine, expected = (r.get_margeff(at="all", method=method) for r in (ours, theirs))
    assert_matches(mine.margeff, expected.margeff, rtol=1e-9)


@pytest.fixture(scope="module")
def randhie() -> tuple[np.ndarray, np.ndarray]:
    data = sm.datasets.randhie.load()
    exog = sm.add_constant(np.asarray(data.exog), prepend=False)[:3000]
    return np.asarray(data.endog)[:3000], exog


@pytest.mark.parametrize(
    ("kind", "p"), [("nbp", 1), ("nbp", 2), ("gp", 1), ("gp", 1.5)], ids=lambda v: str(v)
)
@pytest.mark.parametrize(
    "options",
    [{}, {"dummy": True, "count": True}, {"at": "median", "method": "eyex"}],
    ids=str,
)
def test_randhie_arrays_match_statsmodels(
    randhie: Any, kind: str, p: float, options: dict[str, Any]
) -> None:
    endog, exog = randhie
    ours = {"nbp": ts.NegativeBinomialP, "gp": ts.GeneralizedPoisson}[kind](endog, exog, p=p)
    theirs = {"nbp": sm.NegativeBinomialP, "gp": sm.GeneralizedPoisson}[kind](endog, exog, p=p)
    results = ours.fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs.fit(
            start_params=np.asarray(results.params), method="newton", maxiter=100, disp=0
        )
    _match(results.get_margeff(**options), expected.get_margeff(**options))


@pytest.mark.parametrize("kind", ["nbp", "gp"])
def test_robust_covariance_is_used(randhie: Any, kind: str) -> None:
    endog, exog = randhie
    ours = {"nbp": ts.NegativeBinomialP, "gp": ts.GeneralizedPoisson}[kind](endog, exog)
    theirs = {"nbp": sm.NegativeBinomialP, "gp": sm.GeneralizedPoisson}[kind](endog, exog)
    results = ours.fit(cov_type="HC0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs.fit(
            start_params=np.asarray(results.params), method="newton", cov_type="HC0", disp=0
        )
    _match(results.get_margeff(dummy=True), expected.get_margeff(dummy=True))


def test_effects_leave_out_the_dispersion_parameter() -> None:
    """The effects are those of the mean ``exp(x'b)``: the Poisson formula ``mu b_j`` at
    the estimate, whatever alpha is."""
    frame_case = MARGINS_CASES[-1]
    ours, _ = fit_pair(frame_case)
    margins = ours.get_margeff(at="mean")
    X = np.asarray(ours.model.exog)
    beta = np.asarray(ours.params)[:-1]
    mu = np.exp(X.mean(0) @ beta)
    np.testing.assert_allclose(margins.margeff, (mu * beta)[1:], rtol=1e-13)
    assert len(margins.margeff) == X.shape[1] - 1  # no effect for alpha or the constant


def test_offset_is_refused() -> None:
    ours, _ = fit_pair(next(case for case in CASES if case.offset))
    with pytest.raises(NotImplementedError, match="Margins with offset are not available"):
        ours.get_margeff()


def test_statsmodels_uses_the_fits_exposure() -> None:
    """statsmodels' NB-P and GP margins evaluate its mean with the fit's exposures (each
    row's for ``at="overall"``; at one point they fail); ours are per unit of exposure, as
    its Poisson's and NegativeBinomial's are (docs/differences.md)."""
    case = next(case for case in MARGINS_CASES if case.exposure)
    ours, theirs = fit_pair(case)
    exposure = np.exp(np.asarray(theirs.model.exposure))
    X = np.asarray(ours.model.exog)
    beta = np.asarray(ours.params)[: X.shape[1]]
    per_unit = np.exp(X @ beta)[:, None] * beta[None, 1:]
    np.testing.assert_allclose(ours.get_margeff().margeff, per_unit.mean(0), rtol=1e-12)
    with_exposure = (exposure[:, None] * per_unit).mean(0)
    np.testing.assert_allclose(theirs.get_margeff().margeff, with_exposure, rtol=1e-9)
    with pytest.raises(ValueError, match="not aligned"):
        theirs.get_margeff(at="mean")
