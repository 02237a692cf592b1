"""Discrete ``fit_regularized(method="l1")`` against statsmodels and the KKT conditions.

statsmodels solves ``-loglike / n + sum alpha |b| / n`` by SLSQP (``acc=1e-10``) on the
split problem; its coefficients carry errors of about 1e-5 (seen up to 2.5e-5 on these
data), so they are compared at ``atol=1e-4`` and its standard errors at ``rtol=1e-3``. Our
estimates are checked at 1e-9 relative against the KKT conditions with statsmodels'
``score``, and our covariance against the inverse of statsmodels' ``hessian`` at our
estimate restricted to the coefficients not trimmed (``cov_params_func_l1``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch

import torchstats as ts
from torchstats.errors import ConvergenceWarning, InvalidOptionError
from torchstats.models.regularized_fit import penalty_weights

N = 300


def _data(seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(N), rng.normal(size=(N, 4))])
    eta = X @ np.r_[0.3, 0.5, 0.0, 0.0, -0.4]
    ys = {
        "binary": (rng.uniform(size=N) < 1 / (1 + np.exp(-eta))).astype(float),
        "count": rng.negative_binomial(2, 2 / (2 + np.exp(eta))).astype(float),
        "multinomial": rng.integers(0, 3, N).astype(float),
    }
    return X, ys


MODELS = {
    "Logit": "binary",
    "Probit": "binary",
    "Poisson": "count",
    "NegativeBinomial": "count",
    "MNLogit": "multinomial",
}


# large enough to trim some coefficients and keep others on these data
ALPHA = {"Logit": 4.0, "Probit": 8.0, "Poisson": 25.0, "NegativeBinomial": 15.0, "MNLogit": 4.0}


def _fits(name: str, alpha: object = None, **kwargs: object):
    X, ys = _data()
    alpha = ALPHA[name] if alpha is None else alpha
    y = ys[MODELS[name]]
    sm_model = getattr(sm, name)(y, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sm_model.fit_regularized(alpha=alpha, disp=0, **kwargs)
    ours = getattr(ts, name)(y, X).fit_regularized(alpha=alpha, disp=0, **kwargs)
    return sm_model, theirs, ours


def _flat(values: object) -> np.ndarray:
    return np.asarray(values, dtype=float).reshape(-1, order="F")


def _alpha_vector(sm_model, k: int, alpha: float) -> np.ndarray:
    """statsmodels' scalar alpha: every parameter but the dispersion."""
    a = np.full(k, alpha)
    if getattr(sm_model, "k_extra", 0):
        a[-1] = 0.0
    return a


@pytest.mark.parametrize("name", list(MODELS))
def test_params_trimmed_and_counts_match_statsmodels(name: str) -> None:
    _, theirs, ours = _fits(name)
    np.testing.assert_allclose(_flat(ours.params), _flat(theirs.params), atol=1e-4)
    assert np.array_equal(ours.trimmed, theirs.trimmed)
    assert ours.trimmed.any() and not ours.trimmed.all()
    assert ours.nnz_params == theirs.nnz_params
    assert ours.df_model == theirs.df_model and ours.df_resid == theirs.df_resid
    assert np.all(_flat(ours.params)[ours.trimmed] == 0.0)


@pytest.mark.parametrize("name", list(MODELS))
def test_likelihood_statistics_match_statsmodels(name: str) -> None:
    """At the minimum the log-likelihood's slope is ``alpha`` in each nonzero coefficient,
    so statsmodels' ~1e-5 error in them moves its ``llf`` by up to ``1e-5 sum(alpha)``;
    our penalised objective must be the lower one."""
    sm_model, theirs, ours = _fits(name)
    alpha = _alpha_vector(sm_model, len(_flat(ours.params)), ALPHA[name])
    atol = 1e-4 * alpha.sum()
    np.testing.assert_allclose(ours.llf, theirs.llf, atol=atol)
    np.testing.assert_allclose(ours.aic, theirs.aic, atol=2 * atol)
    np.testing.assert_allclose(ours.bic, theirs.bic, atol=2 * atol)
    np.testing.assert_allclose(ours.llnull, theirs.llnull, rtol=1e-8)

    def objective(params: object) -> float:
        b = _flat(params)
        return -sm_model.loglike(b) + np.sum(alpha * np.abs(b))

    assert objective(ours.params) <= objective(theirs.params) + 1e-9 * abs(ours.llf)


@pytest.mark.parametrize("name", list(MODELS))
def test_kkt_conditions_hold(name: str) -> None:
    sm_model, _, ours = _fits(name)
    b = _flat(ours.params)
    alpha = _alpha_vector(sm_model, len(b), ALPHA[name])
    g = -_flat(sm_model.score(b))
    r = np.where(b != 0, np.abs(g + alpha * np.sign(b)), np.maximum(np.abs(g) - alpha, 0))
    assert r.max() < 1e-9 * alpha.max()


@pytest.mark.parametrize("name", list(MODELS))
def test_covariance_is_the_restricted_inverse_hessian(name: str) -> None:
    sm_model, theirs, ours = _fits(name)
    keep = ~ours.trimmed
    b = _flat(ours.params)
    hessian = sm_model.hessian(b)
    expected = np.full(hessian.shape, np.nan)
    expected[np.ix_(keep, keep)] = np.linalg.inv(-hessian[np.ix_(keep, keep)])
    cov = np.asarray(ours.cov_params())
    # statsmodels' NegativeBinomial Hessian differs from the exact (autograd) one by 2e-9
    # relative (ours equals autograd's to 1e-15); the inverse amplifies that to ~4e-8
    rtol = 1e-7 if name == "NegativeBinomial" else 1e-9
    np.testing.assert_allclose(cov, expected, rtol=rtol, atol=1e-14)  # NaN where trimmed
    np.testing.assert_allclose(_flat(ours.bse), _flat(theirs.bse), rtol=1e-3)


@pytest.mark.parametrize("name", ["Logit", "Poisson"])
def test_alpha_zero_is_the_maximum_likelihood_fit(name: str) -> None:
    X, ys = _data(1)
    model = getattr(ts, name)(ys[MODELS[name]], X)
    res = model.fit_regularized(alpha=0.0, disp=0)
    np.testing.assert_allclose(res.params, model.fit(disp=0).params, rtol=1e-10)
    np.testing.assert_allclose(res.bse, model.fit(disp=0).bse, rtol=1e-8)
    assert not res.trimmed.any()


def test_trim_modes() -> None:
    _, theirs, off = _fits("Logit", alpha=6.0, trim_mode="off")
    assert not off.trimmed.any() and off.nnz_params == 5
    assert not theirs.trimmed.any()
    assert (off.params == 0).any()  # exact zeros, though not trimmed
    assert np.all(np.isfinite(off.bse[off.params != 0]))
    _, theirs, size = _fits("Logit", alpha=6.0, trim_mode="size", size_trim_tol=0.05)
    assert np.array_equal(size.trimmed, theirs.trimmed)
    assert np.all(size.params[size.trimmed] == 0)


def test_unpenalised_intercept_by_vector_alpha() -> None:
    alpha = np.r_[0.0, 5.0, 5.0, 5.0, 5.0]
    _, theirs, ours = _fits("Poisson", alpha=alpha)
    np.testing.assert_allclose(ours.params, theirs.params, atol=1e-4)
    assert not ours.trimmed[0]


def test_failed_qc_check_warns_as_statsmodels() -> None:
    """A QC tolerance below -1 fails every coefficient: both libraries warn and
    trim nothing."""
    X, ys = _data()
    kwargs = {"alpha": 4.0, "disp": 0, "qc_tol": -2.0}
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        sm.Logit(ys["binary"], X).fit_regularized(**kwargs)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        res = ts.Logit(ys["binary"], X).fit_regularized(**kwargs)
    for caught in (theirs, ours):
        messages = [str(w.message) for w in caught]
        assert any(m.startswith("QC check did not pass for 5 out of 5") for m in messages)
        assert any(m.startswith("Could not trim params automatically") for m in messages)
    assert all(issubclass(w.category, ConvergenceWarning) for w in ours)
    assert not res.trimmed.any()


def test_formula_names_and_summary() -> None:
    X, ys = _data(2)
    df = pd.DataFrame(X[:, 1:], columns=["a", "b", "c", "d"])
    df["y"] = ys["binary"]
    theirs = smf.logit("y ~ a + b + c + d", df).fit_regularized(alpha=5.0, disp=0)
    ours = ts.logit("y ~ a + b + c + d", df).fit_regularized(alpha=5.0, disp=0)
    assert list(ours.params.index) == list(theirs.params.index)
    pd.testing.assert_series_equal(ours.params, theirs.params, atol=1e-4)
    text = str(ours.summary())
    assert "nan" in text and "Logit Regression Results" in text


def test_l1_cvxopt_cp_solves_the_same_problem() -> None:
    X, ys = _data()
    model = ts.Logit(ys["binary"], X)
    a = model.fit_regularized(alpha=4.0, disp=0)
    b = model.fit_regularized(alpha=4.0, disp=0, method="l1_cvxopt_cp")
    np.testing.assert_array_equal(a.params, b.params)


@pytest.mark.parametrize(
    "name,kwargs,match",
    [
        ("Logit", {"alpha": -1.0}, "non-negative"),
        ("Logit", {"alpha": [1.0, 2.0]}, "one per parameter"),
        ("Logit", {"alpha": 1.0, "method": "newton"}, "unknown method"),
        ("Logit", {"alpha": 1.0, "trim_mode": "all"}, "trim_mode"),
        ("NegativeBinomial", {"alpha": np.ones(6)}, "dispersion"),
    ],
)
def test_bad_input(name: str, kwargs: dict, match: str) -> None:
    X, ys = _data()
    with pytest.raises(InvalidOptionError, match=match):
        getattr(ts, name)(ys[MODELS[name]], X).fit_regularized(disp=0, **kwargs)


def test_mnlogit_alpha_table_is_read_by_equation() -> None:
    """A ``(K, J - 1)`` alpha is laid out as the parameters (statsmodels' ``ravel("F")``)."""
    X, ys = _data(3)
    alpha = np.zeros((5, 2))
    alpha[1:, 0] = 2.0  # penalise the slopes of the first equation only
    alpha[1:, 1] = 20.0
    sm_model = sm.MNLogit(ys["multinomial"], X)
    theirs = sm_model.fit_regularized(alpha=alpha, disp=0)
    ours = ts.MNLogit(ys["multinomial"], X).fit_regularized(alpha=alpha, disp=0)
    np.testing.assert_allclose(ours.params, theirs.params, atol=1e-4)
    assert np.array_equal(ours.trimmed, theirs.trimmed)
    assert ours.trimmed[6:].all() and not ours.trimmed[5]  # second equation's slopes


def test_alpha_series_is_matched_by_label() -> None:
    """A Series of alpha labelled by the parameter names is read by label (statsmodels
    reads it by position; docs/differences.md)."""
    rng = np.random.default_rng(34)
    df = pd.DataFrame(rng.normal(size=(300, 3)), columns=list("abc"))
    X = sm.add_constant(df)
    y = rng.binomial(1, 1 / (1 + np.exp(-(0.3 + df.a - 0.5 * df.c))))
    shuffled = pd.Series([10.0, 0.0, 0.0, 10.0], index=["a", "const", "b", "c"])
    by_label = ts.Logit(y, X).fit_regularized(alpha=shuffled, disp=0)
    in_order = ts.Logit(y, X).fit_regularized(alpha=shuffled[X.columns].to_numpy(), disp=0)
    np.testing.assert_array_equal(by_label.params, in_order.params)


def test_alpha_weights_do_not_share_memory_with_the_callers_array() -> None:
    """pandas hands out read-only arrays: a tensor sharing their memory made torch warn
    "The given NumPy array is not writable" (and the weights are written to)."""
    alpha = np.r_[0.0, 1.0, 2.0]
    alpha.flags.writeable = False
    weights = penalty_weights(alpha, torch.zeros(1, dtype=torch.float64), ["x0", "x1", "x2"])
    assert not np.shares_memory(weights.numpy(), alpha)
    weights[0] = 5.0
    assert alpha[0] == 0.0
