"""Binomial GLMs with a (successes, failures) response, against statsmodels' two-column form."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch
from scipy.special import gammaln

import torchstats as ts
from tests.parity import assert_matches, mask_clock
from torchstats.errors import (
    DesignError,
    InvalidOptionError,
    MissingDataError,
    UnknownColumnError,
)


def _counts_frame(seed: int, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.uniform(0.5, 2.0, size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "off": rng.normal(scale=0.2, size=n),
            "vw": rng.uniform(0.5, 2.0, size=n),
            "fw": rng.integers(1, 4, size=n).astype(float),
        },
        index=[f"r{i}" for i in rng.permutation(n)],
    )
    trials = rng.integers(1, 20, size=n)
    p = 1 / (1 + np.exp(-(0.2 + 0.7 * frame["x"] - 0.3 * frame["z"])))
    frame["s"] = rng.binomial(trials, p).astype(float)
    frame["f"] = trials - frame["s"]
    return frame


SETUPS = {
    "logit": ("s + f ~ x + z + C(g)", {}, None),
    "probit": ("s + f ~ x + z", {}, "Probit"),
    "cloglog-offset": ("s + f ~ x + C(g)", {"offset": "off"}, "CLogLog"),
    "var_weights": ("s + f ~ x + z", {"var_weights": "vw"}, None),
    "freq_weights": ("s + f ~ x + C(g)", {"freq_weights": "fw"}, None),
}
STATISTICS = [
    "params",
    "bse",
    "pvalues",
    "llf",
    "llnull",
    "deviance",
    "null_deviance",
    "pearson_chi2",
    "aic",
    "bic",
    "df_resid",
    "fittedvalues",
    "resid_response",
    "resid_pearson",
    "resid_deviance",
    "resid_anscombe",
]


def _fit_pair(setup: str, seed: int, **fit_kwds):
    formula, columns, link = SETUPS[setup]
    frame = _counts_frame(seed)
    kwds = {argument: frame[column] for argument, column in columns.items()}
    ours_family = ts.families.Binomial(getattr(ts.families.links, link)() if link else None)
    theirs_family = sm.families.Binomial(getattr(sm.families.links, link)() if link else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ts.glm(formula, frame, family=ours_family, **kwds).fit(**fit_kwds)
        theirs = smf.glm(formula, frame, family=theirs_family, **kwds).fit(**fit_kwds)
    return ours, theirs, frame


@pytest.fixture(params=[(s, seed) for s in SETUPS for seed in (0, 1)], ids=str)
def pair(request):
    return _fit_pair(*request.param)


@pytest.mark.parametrize("name", STATISTICS)
def test_statistics_match_statsmodels(pair, name):
    ours, theirs, _ = pair
    assert_matches(getattr(ours, name), getattr(theirs, name), rtol=1e-9, atol_scale=1e-11)


def test_summary_matches_statsmodels(pair):
    ours, theirs, _ = pair
    mine, other = mask_clock(str(ours.summary())), mask_clock(str(theirs.summary()))
    if theirs.model.freq_weights.max() != 1:
        # Cox-Snell with the observations counted by their frequency (statsmodels: rows)
        cs = 1 - np.exp(2 * (theirs.llnull - theirs.llf) / theirs.model.wnobs)
        other = other.replace(f"{theirs.pseudo_rsquared('cs'):#.4g}", f"{cs:#.4g}")
    assert mine == other
    assert "['s', 'f']" in str(ours.summary())
    assert ours.model.endog_names == theirs.model.endog_names == ["s", "f"]


def test_model_response_is_the_proportion_and_trials_are_kept(pair):
    ours, theirs, frame = pair
    np.testing.assert_allclose(ours.model.endog, theirs.model.endog, rtol=1e-15)
    np.testing.assert_array_equal(ours.model.n_trials, theirs.model.n_trials)
    np.testing.assert_allclose(ours.model.iweights, theirs.model.iweights, rtol=1e-15)


def test_predictions(pair):
    ours, theirs, frame = pair
    new = frame.iloc[:7]
    assert_matches(
        ours.get_prediction(new).summary_frame(),
        theirs.get_prediction(new).summary_frame(),
        rtol=1e-9,
    )


@pytest.mark.parametrize("setup", SETUPS)
def test_robust_covariance(setup):
    ours, theirs, _ = _fit_pair(setup, 0, cov_type="HC0")
    assert_matches(ours.bse, theirs.bse, rtol=1e-9)
    assert_matches(ours.cov_params(), theirs.cov_params(), rtol=1e-9, atol_scale=1e-12)


def test_influence(pair):
    ours, theirs, _ = pair
    mine, reference = ours.get_influence(), theirs.get_influence()
    assert_matches(mine.hat_matrix_diag, reference.hat_matrix_diag, rtol=1e-9, atol_scale=1e-12)
    assert_matches(mine.cooks_distance[0], reference.cooks_distance[0], rtol=1e-8)


def test_working_residuals_are_the_irls_ones(pair):
    """R's working residuals ``(y - mu) g'(mu)`` on the proportion scale; statsmodels 0.15
    multiplies them by the trials twice (its source flags the double count)."""
    ours, theirs, _ = pair
    expected = (theirs.model.endog - theirs.mu) * theirs.family.link.deriv(theirs.mu)
    assert_matches(ours.resid_working, expected, rtol=1e-9, atol_scale=1e-12)
    n = theirs.model.n_trials
    assert_matches(ours.resid_working * n**2, theirs.resid_working, rtol=1e-9, atol_scale=1e-12)


def test_log_likelihood_adds_the_binomial_coefficients():
    ours, _, frame = _fit_pair("logit", 0)
    trials = frame["s"] + frame["f"]
    mu = ours.fittedvalues
    expected = (
        gammaln(trials + 1)
        - gammaln(frame["s"] + 1)
        - gammaln(frame["f"] + 1)
        + frame["s"] * np.log(mu)
        + frame["f"] * np.log(1 - mu)
    ).sum()
    assert ours.llf == pytest.approx(expected, rel=1e-12)


def test_equal_to_proportions_with_trials_as_var_weights():
    ours, _, frame = _fit_pair("logit", 1)
    trials = frame["s"] + frame["f"]
    proportions = frame.assign(p=frame["s"] / trials)
    weighted = ts.glm(
        "p ~ x + z + C(g)", proportions, family=ts.families.Binomial(), var_weights=trials
    ).fit()
    for name in ("params", "bse", "deviance", "pearson_chi2", "resid_pearson"):
        assert_matches(getattr(ours, name), getattr(weighted, name), rtol=1e-11)
    assert ours.llf != pytest.approx(weighted.llf, rel=1e-3)


def test_pearson_scale_is_pearson_chi2_over_df_resid():
    """``scale="X2"`` is R's quasibinomial dispersion; statsmodels 0.15 leaves the trials
    out of it (its scale disagrees with its own ``pearson_chi2``)."""
    ours, theirs, _ = _fit_pair("logit", 0, scale="X2")
    assert ours.scale == pytest.approx(ours.pearson_chi2 / ours.df_resid, rel=1e-12)
    assert ours.pearson_chi2 == pytest.approx(theirs.pearson_chi2, rel=1e-10)
    unit = _fit_pair("logit", 0)[0]  # the stopping rule sees the scale: estimates differ ~1e-9
    assert_matches(ours.bse, unit.bse * np.sqrt(ours.scale), rtol=1e-7)


@pytest.mark.parametrize("kind", ["pandas", "numpy", "torch"])
def test_array_response_with_two_columns(kind):
    frame = _counts_frame(2)
    endog, exog = frame[["s", "f"]], sm.add_constant(frame[["x", "z"]])
    theirs = sm.GLM(endog, exog, family=sm.families.Binomial()).fit()
    if kind == "numpy":
        endog, exog = endog.to_numpy(), exog.to_numpy()
    elif kind == "torch":
        endog, exog = torch.as_tensor(endog.to_numpy()), torch.as_tensor(exog.to_numpy())
    ours = ts.GLM(endog, exog, family=ts.families.Binomial()).fit()
    np.testing.assert_allclose(np.asarray(ours.params), theirs.params, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(ours.bse), theirs.bse, rtol=1e-10)
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-12)
    names = ["s", "f"] if kind == "pandas" else ["y1", "y2"]
    assert ours.model.endog_names == names
    expected_type = {"pandas": pd.Series, "numpy": np.ndarray, "torch": torch.Tensor}[kind]
    assert isinstance(ours.resid_response, expected_type)


def test_missing_counts_drop_their_rows():
    frame = _counts_frame(3)
    frame.loc[frame.index[:4], "f"] = np.nan
    ours = ts.glm("s + f ~ x", frame, family=ts.families.Binomial()).fit()
    theirs = smf.glm("s + f ~ x", frame, family=sm.families.Binomial()).fit()
    assert ours.nobs == theirs.nobs == len(frame) - 4
    assert list(ours.resid_response.index) == list(theirs.resid_response.index)
    assert_matches(ours.params, theirs.params, rtol=1e-10)


@pytest.mark.parametrize(
    ("formula", "family", "change", "error", "message"),
    [
        ("s + ff ~ x", "Binomial", {}, UnknownColumnError, "unknown column.*'ff'"),
        ("s + f ~ x", "Poisson", {}, InvalidOptionError, "needs the Binomial family"),
        ("s + f + z ~ x", "Binomial", {}, DesignError, "3 columns"),
        ("s + f ~ x", "Binomial", {"f": -1.0}, DesignError, "'f' must be non-negative"),
        ("s + f ~ x", "Binomial", {"s": 0.0, "f": 0.0}, DesignError, "no trials"),
    ],
)
def test_bad_count_responses(formula, family, change, error, message):
    frame = _counts_frame(4).assign(**change)
    with pytest.raises(error, match=message):
        ts.glm(formula, frame, family=getattr(ts.families, family)())


def test_three_column_array_is_refused():
    with pytest.raises(DesignError, match=re.escape("3 columns")):
        ts.GLM(np.ones((6, 3)), np.ones((6, 1)), family=ts.families.Binomial())


def test_missing_failures_are_named_under_missing_raise():
    frame = _counts_frame(5)
    frame.loc[frame.index[2], "f"] = np.nan
    with pytest.raises(MissingDataError, match="'f'"):
        ts.glm("s + f ~ x", frame, family=ts.families.Binomial(), missing="raise")
    with pytest.raises(MissingDataError, match="'f'"):
        ts.GLM(frame[["s", "f"]], np.ones((len(frame), 1)), family=ts.families.Binomial())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")
def test_cuda_equals_cpu():
    frame = _counts_frame(6)
    formula, family = "s + f ~ x + C(g)", ts.families.Binomial()
    cpu = ts.glm(formula, frame, family=family).fit()
    cuda = ts.glm(formula, frame, family=family, device="cuda").fit()
    assert_matches(cuda.params, cpu.params, rtol=1e-10)
    assert_matches(cuda.bse, cpu.bse, rtol=1e-10)
    assert cuda.llf == pytest.approx(cpu.llf, rel=1e-12)
    assert_matches(cuda.resid_anscombe, cpu.resid_anscombe, rtol=1e-10, atol_scale=1e-12)
    new = frame.iloc[:5]
    assert_matches(
        cuda.get_prediction(new, which="mean").summary_frame(),
        cpu.get_prediction(new, which="mean").summary_frame(),
        rtol=1e-10,
    )


@pytest.mark.parametrize("kind", ["formula", "pandas", "numpy"])
def test_model_data_shows_the_counts_as_given(kind):
    # model.data.orig_endog held the fitted proportions under a name "['s', 'f']":
    # orig_endog.sum(axis=1), the trials, gave numbers below one
    frame = _counts_frame(5)
    if kind == "formula":
        ours = ts.glm("s + f ~ x + z", frame, family=ts.families.Binomial())
        theirs = smf.glm("s + f ~ x + z", frame, family=sm.families.Binomial())
    else:
        endog, exog = frame[["s", "f"]], sm.add_constant(frame[["x", "z"]])
        if kind == "numpy":
            endog, exog = endog.to_numpy(), exog.to_numpy()
        ours = ts.GLM(endog, exog, family=ts.families.Binomial())
        theirs = sm.GLM(endog, exog, family=sm.families.Binomial())
    for name in ("orig_endog", "endog"):
        mine, reference = getattr(ours.data, name), getattr(theirs.data, name)
        assert type(mine) is type(reference), name
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(reference))
    if kind != "numpy":
        assert list(ours.data.orig_endog.columns) == ["s", "f"]
        assert list(ours.data.orig_endog.index) == list(theirs.data.orig_endog.index)
    np.testing.assert_allclose(ours.endog, theirs.endog, rtol=1e-15)
