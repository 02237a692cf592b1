"""Streamed GLMs equal in-memory GLMs: every family, link, weight and offset, and covariance."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import torchstats as ts
from tests.models.test_glm_behaviour import _quasi_separated_frame
from tests.parity import assert_matches, mask_clock
from torchstats.errors import (
    ConvergenceWarning,
    DesignError,
    InvalidOptionError,
    PerfectSeparationWarning,
    SingularDesignError,
    TorchstatsError,
)
from torchstats.families import links

F = ts.families


def _frame(seed: int, n: int = 700) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.uniform(1.0, 3.0, size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "off": rng.normal(scale=0.1, size=n),
            "e": rng.uniform(0.5, 2.0, size=n),
            "fw": rng.integers(1, 4, size=n).astype(float),
            "vw": rng.uniform(0.5, 2.0, size=n),
            "k": rng.integers(0, 25, size=n),
        }
    )
    eta = 0.3 + 0.5 * frame.x1 - 0.2 * np.log(frame.x2) + 0.3 * (frame.g == "b")
    frame["count"] = rng.poisson(np.exp(eta + frame.off))
    frame["binary"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    frame["share"] = rng.binomial(8, 1 / (1 + np.exp(-eta))) / 8
    frame["positive"] = rng.gamma(2.0, np.exp(eta) / 2.0)
    frame["normal"] = eta + rng.normal(size=n)
    frame["wald"] = rng.wald(np.exp(eta / 3), 4.0)
    return frame


# (family, response, per-row columns)
CASES = {
    "gaussian": (lambda: F.Gaussian(), "normal", {}),
    "gaussian-log+fw": (lambda: F.Gaussian(links.Log()), "positive", {"freq_weights": "fw"}),
    "poisson+offset": (lambda: F.Poisson(), "count", {"offset": "off"}),
    "poisson+exposure+fw": (lambda: F.Poisson(), "count", {"exposure": "e", "freq_weights": "fw"}),
    "binomial-logit": (lambda: F.Binomial(), "binary", {}),
    "binomial-probit+vw": (lambda: F.Binomial(links.Probit()), "share", {"var_weights": "vw"}),
    "binomial-cloglog": (lambda: F.Binomial(links.CLogLog()), "binary", {}),
    "gamma-log+vw": (lambda: F.Gamma(links.Log()), "positive", {"var_weights": "vw"}),
    "gamma-inverse": (lambda: F.Gamma(), "positive", {}),
    "inverse-gaussian-log": (lambda: F.InverseGaussian(links.Log()), "wald", {}),
    "negbin": (lambda: F.NegativeBinomial(alpha=0.7), "count", {"exposure": "e"}),
    "tweedie": (lambda: F.Tweedie(var_power=1.5), "positive", {"offset": "off"}),
}
RHS = "x1 + np.log(x2) + C(g)"


def _chunks(frame: pd.DataFrame, size: int = 97) -> list[pd.DataFrame]:
    return [frame.iloc[i : i + size] for i in range(0, len(frame), size)]


def _pair(name: str, seed: int = 0, **fit):
    family, response, columns = CASES[name]
    frame = _frame(seed)
    formula = f"{response} ~ {RHS}"
    memory_fit = dict(fit)
    if "cov_kwds" in fit:
        memory_fit["cov_kwds"] = {"groups": frame["k"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same warnings are compared below
        memory = ts.glm(
            formula, frame, family=family(), **{r: frame[c] for r, c in columns.items()}
        ).fit(**memory_fit)
        streamed = ts.glm(formula, _chunks(frame), family=family(), **columns).fit(**fit)
    return streamed, memory


@pytest.fixture(scope="module", params=sorted(CASES))
def pair(request):
    return _pair(request.param)


@pytest.mark.parametrize("name", ["params", "bse", "tvalues", "pvalues"])
def test_estimates(pair, name):
    assert_matches(getattr(pair[0], name), getattr(pair[1], name), rtol=1e-10, atol_scale=1e-13)


def test_cov_params_and_conf_int(pair):
    assert_matches(pair[0].cov_params(), pair[1].cov_params(), rtol=1e-10, atol_scale=1e-13)
    assert_matches(pair[0].conf_int(), pair[1].conf_int(), rtol=1e-10, atol_scale=1e-13)


@pytest.mark.parametrize(
    "name",
    ["scale", "deviance", "pearson_chi2", "llf", "llnull", "null_deviance", "aic", "bic"]
    + ["bic_deviance", "nobs", "df_resid", "df_model"],
)
def test_scalar_statistics(pair, name):
    np.testing.assert_allclose(getattr(pair[0], name), getattr(pair[1], name), rtol=1e-10)


def test_same_iterations_and_deviance_history(pair):
    streamed, memory = pair
    assert streamed.fit_history["iteration"] == memory.fit_history["iteration"]
    np.testing.assert_allclose(
        streamed.fit_history["deviance"], memory.fit_history["deviance"], rtol=1e-10
    )
    assert streamed.converged == memory.converged


def test_pseudo_rsquared(pair):
    for kind in ("cs", "mcf"):
        np.testing.assert_allclose(
            pair[0].pseudo_rsquared(kind), pair[1].pseudo_rsquared(kind), rtol=1e-9
        )


def test_summary_text(pair):
    assert mask_clock(str(pair[0].summary())) == mask_clock(str(pair[1].summary()))


@pytest.mark.parametrize("name", ["poisson+exposure+fw", "binomial-probit+vw", "gamma-log+vw"])
@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "cluster"])
def test_robust_covariances(name, cov_type):
    fit = {"cov_type": cov_type}
    if cov_type == "cluster":
        fit["cov_kwds"] = {"groups": "k"}
    streamed, memory = _pair(name, seed=1, **fit)
    assert_matches(streamed.bse, memory.bse, rtol=1e-10, atol_scale=1e-13)
    assert_matches(streamed.cov_params(), memory.cov_params(), rtol=1e-10, atol_scale=1e-13)


def test_robust_results_later_equal_fit_time_ones():
    streamed, _ = _pair("poisson+offset", seed=2)
    later = streamed.get_robustcov_results("cluster", groups="k")
    at_fit, _ = _pair("poisson+offset", seed=2, cov_type="cluster", cov_kwds={"groups": "k"})
    assert_matches(later.bse, at_fit.bse, rtol=1e-13)


@pytest.mark.parametrize("scale", ["X2", "dev", 2.5])
def test_scale_options(scale):
    streamed, memory = _pair("poisson+offset", seed=3, scale=scale)
    assert_matches(streamed.bse, memory.bse, rtol=1e-10)
    np.testing.assert_allclose(streamed.scale, memory.scale, rtol=1e-12)


def test_start_params_and_parquet(tmp_path):
    frame = _frame(4)
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    formula = f"count ~ {RHS}"
    memory = ts.glm(formula, frame, family=F.Poisson(), offset=frame["off"])
    start = np.full(5, 0.1)
    expected = memory.fit(start_params=start)
    streamed = ts.glm(formula, str(path), family=F.Poisson(), offset="off").fit(start_params=start)
    assert streamed.fit_history["iteration"] == expected.fit_history["iteration"]
    assert_matches(streamed.params, expected.params, rtol=1e-10)


def test_missing_values_dropped_as_in_memory():
    frame = _frame(5)
    frame.loc[frame.index[::13], "x1"] = np.nan
    frame.loc[frame.index[5::17], "off"] = np.nan
    formula = f"count ~ {RHS}"
    memory = ts.glm(formula, frame, family=F.Poisson(), offset="off").fit()
    streamed = ts.glm(formula, _chunks(frame), family=F.Poisson(), offset="off").fit()
    assert streamed.nobs == memory.nobs
    assert_matches(streamed.params, memory.params, rtol=1e-10)


def test_non_convergence_warns_as_in_memory():
    frame = _frame(6)
    with pytest.warns(ConvergenceWarning, match="did not converge in 2 iterations"):
        streamed = ts.glm(f"binary ~ {RHS}", _chunks(frame), family=F.Binomial()).fit(maxiter=2)
    assert not streamed.converged


@pytest.mark.parametrize(
    ("response", "family"),
    [
        ("count", F.Poisson()),
        ("count", F.Tweedie(var_power=1.5)),
        ("binary", F.Binomial()),
        ("share", F.Binomial()),
    ],
)
def test_quasi_separation_warns_as_in_memory(response, family):
    """Streamed, a dummy that is 1 only where y = 0 gave the in-memory fit's diverging
    coefficient without a warning (only complete separation warned)."""
    frame = _quasi_separated_frame(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for data in (frame, _chunks(frame)):
            with pytest.warns(PerfectSeparationWarning, match="quasi-complete separation"):
                ts.glm(f"{response} ~ x + d", data, family=family).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        ts.glm(f"{response} ~ x", _chunks(frame), family=family).fit()


def test_per_row_outputs_are_refused_with_the_way_out():
    streamed, _ = _pair("gaussian")
    for name in ("mu", "fittedvalues", "resid_pearson", "resid_deviance"):
        with pytest.raises(TorchstatsError, match="not available for a streamed fit"):
            getattr(streamed, name)
    with pytest.raises(TorchstatsError, match="chunk by chunk"):
        streamed.predict()
    frame = _frame(0).iloc[:5]
    np.testing.assert_allclose(streamed.predict(frame), _pair("gaussian")[1].predict(frame))


def test_bad_input_is_refused_clearly():
    chunks = _chunks(_frame(7))
    formula = f"count ~ {RHS}"
    with pytest.raises(InvalidOptionError, match="must name a column"):
        ts.glm(formula, chunks, family=F.Poisson(), offset=np.zeros(700))
    with pytest.raises(InvalidOptionError, match="log link"):
        ts.glm(formula, chunks, family=F.Poisson(links.Identity()), exposure="e")
    with pytest.raises(InvalidOptionError, match="only 'IRLS' streams"):
        ts.glm(formula, chunks, family=F.Poisson()).fit(method="newton")
    with pytest.raises(InvalidOptionError, match="HC0"):
        ts.glm(formula, chunks, family=F.Poisson()).fit(cov_type="HC3")
    with pytest.raises(SingularDesignError, match="singular"):
        ts.glm("count ~ x1 + I(2 * x1)", chunks, family=F.Poisson()).fit()
    with pytest.raises(DesignError, match="must be positive"):
        ts.glm(f"normal ~ {RHS}", chunks, family=F.Gamma()).fit()
    with pytest.raises(TorchstatsError, match="before fit"):
        _ = ts.glm(formula, chunks, family=F.Poisson()).wnobs


@pytest.mark.parametrize("cov_type", ["HC0", "HC1"])
def test_rows_of_frequency_zero_in_robust_covariances(cov_type):
    """Their scores were 0 / 0 in the streamed sandwich: every bse NaN (in memory: finite,
    and equal to the fit without those rows)."""
    frame = _frame(2)
    frame.loc[frame.index[:7], "fw"] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        memory = ts.glm(f"count ~ {RHS}", frame, family=F.Poisson(), freq_weights=frame["fw"]).fit(
            cov_type=cov_type
        )
        streamed = ts.glm(
            f"count ~ {RHS}", _chunks(frame), family=F.Poisson(), freq_weights="fw"
        ).fit(cov_type=cov_type)
    assert np.isfinite(streamed.bse).all()
    assert_matches(streamed.bse, memory.bse, rtol=1e-10, atol_scale=1e-13)
