"""HC2/HC3 (and HC0/HC1) of GLMs and discrete models, and the cluster jackknife of least
squares, against R's sandwich (``vcovHC``, ``vcovCL(type="HC3")``).

The values come from ``tests/reference/glm_hc/make_reference.R`` (R and package versions in
``versions.txt`` there); R is not needed to run these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import torchstats as ts

pytestmark = [
    pytest.mark.filterwarnings("ignore:The InversePower link function does not respect"),
    pytest.mark.filterwarnings("ignore:The inplace keyword"),  # pyfixest's own pandas calls
]

HERE = Path(__file__).resolve().parents[1] / "reference" / "glm_hc"
REFERENCE = json.loads((HERE / "reference.json").read_text())
MTCARS = pd.read_csv(HERE / "mtcars.csv")
WARPBREAKS = pd.read_csv(HERE / "warpbreaks.csv")
# R's factor level order (the CSV loses it)
WARPBREAKS["tension"] = pd.Categorical(WARPBREAKS["tension"], categories=["L", "M", "H"])

GLMS = {
    "logit_vs_mpg_wt": ("vs ~ mpg + wt", MTCARS, ts.families.Binomial()),
    "poisson_breaks": ("breaks ~ wool + tension", WARPBREAKS, ts.families.Poisson()),
    "poisson_carb_wt": ("carb ~ wt + qsec", MTCARS, ts.families.Poisson()),
    "gamma_inverse_mpg": ("mpg ~ wt + hp", MTCARS, ts.families.Gamma()),
    "gaussian_mpg": ("mpg ~ wt + hp", MTCARS, ts.families.Gaussian()),
}
LINKS = ts.families.links
NONCANONICAL = {
    "gamma_log_mpg": ("mpg ~ wt + hp", MTCARS, ts.families.Gamma(LINKS.Log())),
    "probit_vs_mpg_wt": ("vs ~ mpg + wt", MTCARS, ts.families.Binomial(LINKS.Probit())),
    "gaussian_log_mpg": ("mpg ~ wt + hp", MTCARS, ts.families.Gaussian(LINKS.Log())),
    "poisson_sqrt_breaks": (
        "breaks ~ wool + tension",
        WARPBREAKS,
        ts.families.Poisson(LINKS.Sqrt()),
    ),
}
DISCRETE = {
    "logit_vs_mpg_wt": (ts.logit, "vs ~ mpg + wt", MTCARS),
    "poisson_breaks": (ts.poisson, "breaks ~ wool + tension", WARPBREAKS),
    "poisson_carb_wt": (ts.poisson, "carb ~ wt + qsec", MTCARS),
}


@pytest.mark.parametrize("cov_type", ["HC0", "HC2", "HC3"])
@pytest.mark.parametrize("name", list(GLMS))
def test_glm_hc_matches_r_vcovhc(name, cov_type):
    formula, data, family = GLMS[name]
    expected = REFERENCE["glm"][name]
    ours = ts.glm(formula, data, family=family).fit(cov_type=cov_type)
    np.testing.assert_allclose(ours.params.to_numpy(), expected["coef"], rtol=1e-8)
    np.testing.assert_allclose(ours.cov_params().to_numpy(), expected[cov_type], rtol=1e-9)


@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
@pytest.mark.parametrize("name", list(NONCANONICAL))
def test_glm_hc2_hc3_of_noncanonical_links_match_r_vcovhc(name, cov_type):
    # R's bread is the expected information; statsmodels has no HC2/HC3 for GLMs (it
    # returns HC0, whose bread is the observed information: tested against it elsewhere)
    formula, data, family = NONCANONICAL[name]
    expected = REFERENCE["glm"][name]
    ours = ts.glm(formula, data, family=family).fit(cov_type=cov_type, tol=1e-14)
    np.testing.assert_allclose(ours.params.to_numpy(), expected["coef"], rtol=1e-8)
    np.testing.assert_allclose(ours.cov_params().to_numpy(), expected[cov_type], rtol=1e-8)


@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_probit_hc2_hc3_match_r_vcovhc_of_the_probit_glm(cov_type):
    expected = REFERENCE["glm"]["probit_vs_mpg_wt"]
    ours = ts.probit("vs ~ mpg + wt", MTCARS).fit(cov_type=cov_type, disp=0)
    np.testing.assert_allclose(ours.cov_params().to_numpy(), expected[cov_type], rtol=1e-8)


@pytest.mark.parametrize("cov_type", ["HC0", "HC2", "HC3"])
@pytest.mark.parametrize("name", list(DISCRETE))
def test_discrete_hc_matches_r_vcovhc(name, cov_type):
    fit, formula, data = DISCRETE[name]
    expected = REFERENCE["glm"][name]
    ours = fit(formula, data).fit(cov_type=cov_type, disp=0)
    np.testing.assert_allclose(ours.cov_params().to_numpy(), expected[cov_type], rtol=1e-9)


@pytest.mark.parametrize("name", list(GLMS))
def test_glm_hc1_is_statsmodels_hc0_not_r(name):
    # the documented convention: HC1 of a GLM equals HC0 (statsmodels); R's HC1 is
    # n / (n - k) times that
    formula, data, family = GLMS[name]
    expected = REFERENCE["glm"][name]
    ours = ts.glm(formula, data, family=family).fit(cov_type="HC1")
    n, k = len(data), len(expected["coef"])
    np.testing.assert_allclose(
        ours.cov_params().to_numpy() * n / (n - k), expected["HC1"], rtol=1e-9
    )


@pytest.mark.parametrize("name", ["mtcars_gear", "mtcars_carb"])
def test_crv3_matches_r_vcovcl_hc3(name):
    formula = {"mtcars_gear": "mpg ~ wt + hp", "mtcars_carb": "mpg ~ wt + qsec"}[name]
    cluster = name.split("_")[1]
    expected = REFERENCE["crv3"][name]
    model = ts.ols(formula, MTCARS)
    groups = MTCARS[cluster]
    # R's vcovCL(type="HC3") is sum_g d_g d_g' with cadjust=TRUE (its G/(G-1) undoes the
    # (G-1)/G inside its HC3 cluster adjustment) and (G-1)/G times it with cadjust=FALSE:
    # statsmodels' (and torchstats') use_correction=False and True
    raw = model.fit(cov_type="cluster-crv3", cov_kwds={"groups": groups, "use_correction": False})
    np.testing.assert_allclose(raw.cov_params().to_numpy(), expected["HC3_cadjust"], rtol=1e-9)
    corrected = model.fit(cov_type="cluster-crv3", cov_kwds={"groups": groups})
    np.testing.assert_allclose(
        corrected.cov_params().to_numpy(), expected["HC3_nocadjust"], rtol=1e-9
    )


@pytest.mark.parametrize("cluster", ["gear", "carb"])
def test_crv3_matches_pyfixest(cluster):
    # pyfixest's CRV3 is sum_g d_g d_g' times its small-sample factor G/(G-1) (n-1)/(n-k)
    pyfixest = pytest.importorskip("pyfixest")
    theirs = pyfixest.feols("mpg ~ wt + qsec", data=MTCARS, vcov={"CRV3": cluster})
    raw = ts.ols("mpg ~ wt + qsec", MTCARS).fit(
        cov_type="cluster-crv3", cov_kwds={"groups": MTCARS[cluster], "use_correction": False}
    )
    n, k, n_groups = len(MTCARS), 3, MTCARS[cluster].nunique()
    factor = n_groups / (n_groups - 1) * (n - 1) / (n - k)
    np.testing.assert_allclose(
        raw.bse.to_numpy() * np.sqrt(factor), theirs.se().to_numpy(), rtol=1e-9
    )
