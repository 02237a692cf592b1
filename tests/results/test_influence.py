"""Influence measures: OLS against statsmodels' leave-one-out loop, WLS against our own loop."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from tests.parity import assert_matches

FORMULAS = ["y ~ x1 * C(g) + np.log(x2)", "y ~ C(k) + x3 - 1"]
VECTORS = [
    "hat_matrix_diag",
    "resid_press",
    "resid_studentized_internal",
    "resid_studentized_external",
    "sigma2_not_obsi",
    "dfbeta",
    "dfbetas",
    "params_not_obsi",
    "resid",
    "influence",
    "hat_diag_factor",
    "resid_var",
    "resid_std",
    "det_cov_params_not_obsi",
    "cov_ratio",
]


@pytest.fixture(params=FORMULAS)
def influences(frame, request):
    ours = ts.ols(request.param, frame).fit().get_influence()
    theirs = smf.ols(request.param, frame).fit().get_influence()
    return ours, theirs


@pytest.mark.parametrize("name", VECTORS)
def test_measures_match_statsmodels(influences, name):
    ours, theirs = influences
    assert_matches(getattr(ours, name), getattr(theirs, name), rtol=1e-8, atol_scale=1e-12)


def test_ess_press(influences):
    ours, theirs = influences
    assert ours.ess_press == pytest.approx(theirs.ess_press, rel=1e-10)


@pytest.mark.parametrize("sigma", [None, 1.7, "per_row"])
def test_get_resid_studentized_external(influences, sigma):
    ours, theirs = influences
    if sigma == "per_row":
        sigma = np.sqrt(theirs.sigma2_not_obsi)
    assert_matches(
        ours.get_resid_studentized_external(sigma),
        theirs.get_resid_studentized_external(sigma),
        rtol=1e-9,
    )


def test_statsmodels_attributes(influences):
    ours, theirs = influences
    assert_matches(ours.endog, theirs.endog, rtol=0)
    assert_matches(ours.exog, theirs.exog, rtol=0)
    assert ours.model_class is ts.OLS and theirs.model_class.__name__ == "OLS"
    assert (ours.nobs, ours.k_vars) == (theirs.nobs, theirs.k_vars)
    assert ours.scale == pytest.approx(theirs.scale, rel=1e-12)


def test_cooks_distance(influences):
    ours, theirs = influences
    assert_matches(ours.cooks_distance[0], theirs.cooks_distance[0], rtol=1e-8)
    assert_matches(ours.cooks_distance[1], theirs.cooks_distance[1], rtol=1e-8)


@pytest.mark.parametrize("name", ["dffits", "dffits_internal"])
def test_dffits_and_threshold(influences, name):
    ours, theirs = influences
    assert_matches(getattr(ours, name)[0], getattr(theirs, name)[0], rtol=1e-8)
    assert getattr(ours, name)[1] == pytest.approx(getattr(theirs, name)[1], rel=1e-14)


def test_summary_frame(influences):
    ours, theirs = influences
    assert_matches(ours.summary_frame(), theirs.summary_frame(), rtol=1e-8, atol_scale=1e-12)


def test_wls_influence_equals_leave_one_out_refits(frame):
    formula = "y ~ x1 + C(g)"
    influence = ts.wls(formula, frame, weights=frame["w"]).fit().get_influence()
    params, sigma2 = [], []
    for label in frame.index[:12]:
        kept = frame.drop(index=label)
        res = ts.wls(formula, kept, weights=kept["w"]).fit()
        params.append(res.params.to_numpy())
        sigma2.append(res.mse_resid)
    np.testing.assert_allclose(influence.params_not_obsi[:12], np.array(params), rtol=1e-9)
    np.testing.assert_allclose(influence.sigma2_not_obsi[:12], sigma2, rtol=1e-9)


def test_large_n_without_the_hat_matrix():
    n = 400_000  # an n x n hat matrix would need 1.3 TB
    rng = np.random.default_rng(1)
    X = torch.tensor(np.column_stack([np.ones(n), rng.normal(size=(n, 3))]))
    y = X @ torch.tensor([1.0, 0.5, -0.5, 2.0], dtype=torch.float64) + torch.tensor(
        rng.normal(size=n)
    )
    influence = ts.OLS(y, X).fit().get_influence()
    h = influence.hat_matrix_diag
    assert isinstance(h, torch.Tensor) and h.shape == (n,)
    torch.testing.assert_close(h.sum(), torch.tensor(4.0, dtype=torch.float64))
    assert influence.dfbetas.shape == (n, 4)


@pytest.mark.parametrize("seed", range(5))
def test_cov_ratio_of_a_rank_deficient_fit_is_the_full_rank_fits(seed):
    """With x3 = x1 + x2 the determinants are rounding in the null eigenvalue, which did not
    cancel: cov_ratio 0.09 or 1.41 where the fit of the same column space gives 1.22
    (statsmodels: 0, inf or negative). Pseudo-determinants over the rank, as R's covratio."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=40), "x2": rng.normal(size=40)})
    frame["x3"] = frame["x1"] + frame["x2"]
    frame["y"] = 1 + frame["x1"] - frame["x2"] + rng.normal(size=40)
    with pytest.warns(ts.CollinearityWarning):
        aliased = ts.ols("y ~ x1 + x2 + x3", frame).fit().get_influence()
    full = ts.ols("y ~ x1 + x2", frame).fit().get_influence()
    np.testing.assert_allclose(np.asarray(aliased.cov_ratio), np.asarray(full.cov_ratio), rtol=1e-9)
