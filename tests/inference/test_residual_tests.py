"""Omnibus, Jarque-Bera and Durbin-Watson equal scipy's and statsmodels' values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from statsmodels.stats import stattools

from tests.conftest import DEVICES
from torchstats.errors import TorchstatsWarning
from torchstats.inference.residual_tests import durbin_watson, jarque_bera, omni_normtest

RTOL = 1e-12


def _sample(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    draws = {
        "normal": lambda: rng.normal(size=n),
        "student-t": lambda: rng.standard_t(3, size=n),
        "skewed": lambda: rng.exponential(size=n) - 1.0,
        "uniform": lambda: rng.uniform(-1, 1, size=n),
        "autocorrelated": lambda: np.cumsum(rng.normal(size=n)) * 0.1 + rng.normal(size=n),
    }
    return draws[kind]()


SAMPLES = [
    pytest.param(kind, n, seed, id=f"{kind}-n{n}-s{seed}")
    for kind in ("normal", "student-t", "skewed", "uniform", "autocorrelated")
    for n in (8, 19, 20, 57, 500, 5000)
    for seed in (0, 1)
]


@pytest.fixture(autouse=True)
def _quiet() -> object:
    """scipy warns that the kurtosis test needs n >= 20; that is expected here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


@pytest.mark.parametrize(("kind", "n", "seed"), SAMPLES)
def test_omnibus_matches_scipy_and_statsmodels(kind: str, n: int, seed: int) -> None:
    resid = _sample(kind, n, seed)
    statistic, pvalue = omni_normtest(resid)
    expected = stats.normaltest(resid)
    np.testing.assert_allclose(
        [statistic, pvalue], [expected.statistic, expected.pvalue], rtol=RTOL
    )
    np.testing.assert_allclose([statistic, pvalue], stattools.omni_normtest(resid), rtol=RTOL)


@pytest.mark.parametrize(("kind", "n", "seed"), SAMPLES)
def test_jarque_bera_matches_statsmodels(kind: str, n: int, seed: int) -> None:
    resid = _sample(kind, n, seed)
    np.testing.assert_allclose(jarque_bera(resid), stattools.jarque_bera(resid), rtol=RTOL)


@pytest.mark.parametrize(("kind", "n", "seed"), SAMPLES)
def test_durbin_watson_matches_statsmodels(kind: str, n: int, seed: int) -> None:
    resid = _sample(kind, n, seed)
    np.testing.assert_allclose(durbin_watson(resid), stattools.durbin_watson(resid), rtol=RTOL)


def test_jarque_bera_with_two_observations_matches_statsmodels() -> None:
    resid = np.array([0.3, -0.3])
    np.testing.assert_allclose(jarque_bera(resid), stattools.jarque_bera(resid), rtol=RTOL)


@pytest.mark.parametrize("n", [1, 3, 7])
def test_omnibus_below_eight_observations_warns_and_is_nan(n: int) -> None:
    resid = _sample("normal", n, 0)
    with pytest.warns(TorchstatsWarning, match="less than 8 observations; .* samples were given"):
        statistic, pvalue = omni_normtest(resid)
    assert np.isnan(statistic) and np.isnan(pvalue)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(stattools.omni_normtest(resid)).all()


def test_jarque_bera_needs_two_observations() -> None:
    with pytest.raises(ValueError, match="at least 2 elements"):
        jarque_bera([1.0])


def test_two_dimensional_residuals_are_rejected() -> None:
    with pytest.raises(ValueError, match="must be 1-d"):
        durbin_watson(np.ones((4, 3)))


@pytest.mark.parametrize("device", DEVICES)
def test_tensor_and_pandas_inputs_give_the_numpy_values(device: str) -> None:
    resid = _sample("skewed", 200, 3)
    inputs = [
        torch.tensor(resid, device=device),
        torch.tensor(resid, device=device, requires_grad=True),
        pd.Series(resid, index=[f"r{i}" for i in range(resid.size)]),
        resid.reshape(-1, 1),
        resid.tolist(),
    ]
    for value in inputs:
        assert omni_normtest(value) == omni_normtest(resid)
        assert jarque_bera(value) == jarque_bera(resid)
        assert durbin_watson(value) == durbin_watson(resid)


def test_results_are_python_floats() -> None:
    resid = _sample("normal", 50, 0)
    values = [*omni_normtest(resid), *jarque_bera(resid), durbin_watson(resid)]
    assert all(type(value) is float for value in values)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n", [8, 30, 1000])
def test_diagnostics_from_moments_equal_the_array_versions(seed, n):
    from torchstats.inference.residual_tests import ResidualMoments, diagnostics_from_moments

    values = np.random.default_rng(seed).standard_t(5, size=n) + 0.1
    centred = values - values.mean()
    moments = ResidualMoments(
        nobs=n,
        m2=float(np.mean(centred**2)),
        m3=float(np.mean(centred**3)),
        m4=float(np.mean(centred**4)),
        sum_squares=float(np.sum(values**2)),
        sum_squared_differences=float(np.sum(np.diff(values) ** 2)),
    )
    got = diagnostics_from_moments(moments)
    omnibus, omnibus_p = omni_normtest(values)
    jb, jb_p, skew, kurtosis = jarque_bera(values)
    expected = [omnibus, omnibus_p, jb, jb_p, skew, kurtosis, durbin_watson(values)]
    names = ["omnibus", "omnibus_pvalue", "jarque_bera", "jarque_bera_pvalue", "skew"]
    names += ["kurtosis", "durbin_watson"]
    np.testing.assert_allclose([got[name] for name in names], expected, rtol=1e-10)
