"""Marginal effects of MNLogit (one column per outcome) against statsmodels and closed forms.

statsmodels' MNLogit margins work for ``method`` ``"dydx"`` and ``"eydx"`` at every ``at``,
with or without ``dummy``; with ``count=True`` only at ``"all"``, and ``"eyex"``/``"dyex"``
not at all (a broadcasting error in ``MNLogit._derivative_exog`` and in the count Jacobian;
docs/differences.md). Those are compared with statsmodels on the MNLogit cases of
tests/models/test_multinomial.py (anes96 from pandas, formula and numpy, a text response, a
categorical response with its own reference, random data with a factor); the others with
the closed form ``p_j (b_j - sum_l p_l b_l)`` and a complex-step Jacobian of it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import torch
from statsmodels.tools.numdiff import approx_fprime_cs

import torchstats as ts
from tests.conftest import DEVICES
from tests.models.test_multinomial import ANES_FORMULA, CASES, anes96
from tests.parity import assert_matches
from tests.results.test_margins import _assert_margins_match
from torchstats.summary.layouts import margins_summary

ALLOWED = [
    (at, method, dummy)
    for at in ("overall", "mean", "median", "zero", "all")
    for method in ("dydx", "eydx")
    for dummy in (False, True)
    if not (dummy and at in ("median", "zero"))
]


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.fixture(scope="module", params=CASES, ids=lambda case: case.id)
def fits(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    ours, theirs = request.param.build()
    return ours.fit(), theirs.fit(disp=0)


@pytest.fixture(scope="module")
def anes() -> tuple[Any, Any]:
    data = anes96()
    exog = sm.add_constant(data[["logpopul", "selfLR", "age", "educ", "income"]], prepend=False)
    return ts.MNLogit(data["PID"], exog).fit(), sm.MNLogit(data["PID"], exog).fit(disp=0)


# --- statsmodels --------------------------------------------------------------------------------


@pytest.mark.parametrize(("at", "method", "dummy"), ALLOWED, ids=str)
def test_matches_statsmodels(fits: Any, at: str, method: str, dummy: bool) -> None:
    ours, theirs = fits
    mine = ours.get_margeff(at=at, method=method, dummy=dummy)
    expected = theirs.get_margeff(at=at, method=method, dummy=dummy)
    if at == "all":
        assert_matches(mine.margeff, expected.margeff, rtol=1e-11, atol_scale=1e-13)
        assert mine.margeff.shape == expected.margeff.shape
        return
    _assert_margins_match(mine, expected, negbin=False)


def test_count_effects_at_every_row_match_statsmodels(fits: Any) -> None:
    """statsmodels computes count effects of MNLogit only at ``at="all"``."""
    ours, theirs = fits
    for method in ("dydx", "eydx"):
        mine = ours.get_margeff(at="all", method=method, count=True, dummy=True)
        expected = theirs.get_margeff(at="all", method=method, count=True, dummy=True)
        assert_matches(mine.margeff, expected.margeff, rtol=1e-11, atol_scale=1e-13)
        for ours_idx, theirs_idx in ((mine.count_idx, expected.count_idx),):
            assert (ours_idx is None) == (theirs_idx is None)
            if theirs_idx is not None:
                np.testing.assert_array_equal(ours_idx, theirs_idx)


@pytest.mark.parametrize(
    "options",
    [
        {"atexog": {0: 10.0, 2: 40.0}},
        {"atexog": {1: 4.0}, "at": "mean", "method": "eydx"},
        {"atexog": np.array([[1.0, 3.0, 30.0, 4.0, 12.0, 1.0]]), "at": "median"},
    ],
    ids=["dict", "dict-mean-eydx", "rows-median"],
)
def test_atexog_matches_statsmodels(anes: Any, options: dict[str, Any]) -> None:
    ours, theirs = anes
    _assert_margins_match(ours.get_margeff(**options), theirs.get_margeff(**options), False)


def test_predict_mean_is_the_probabilities_and_differentiable(anes: Any) -> None:
    ours, _ = anes
    model = ours.model
    params = torch.tensor(np.asarray(ours.params).T.reshape(-1), dtype=torch.float64)
    rows = torch.tensor(np.asarray(model.exog)[:7], dtype=torch.float64)
    np.testing.assert_allclose(
        model.predict_mean(params, rows).numpy(), ours.predict()[:7], rtol=1e-14
    )
    rows.requires_grad_(True)
    (gradient,) = torch.autograd.grad(model.predict_mean(params, rows)[:, 3].sum(), rows)
    p = ours.predict()[:7]
    coefficients = np.column_stack([np.zeros(6), np.asarray(ours.params)])
    expected = p[:, [3]] * (coefficients[:, 3] - p @ coefficients.T)
    np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_summary_html_and_latex_match_statsmodels(anes: Any, alpha: float) -> None:
    ours, theirs = anes
    mine = ours.get_margeff(at="mean", method="eydx")
    expected = theirs.get_margeff(at="mean", method="eydx")
    assert mine.summary(alpha).as_text() == expected.summary(alpha).as_text()
    assert mine.summary(alpha).as_html() == expected.summary(alpha).as_html()
    assert mine.summary(alpha).as_latex() == expected.summary(alpha).as_latex()


def test_summary_frame_labels_outcomes_as_statsmodels(fits: Any) -> None:
    ours, theirs = fits
    frame, expected = ours.get_margeff().summary_frame(), theirs.get_margeff().summary_frame()
    assert isinstance(frame.index, pd.MultiIndex)
    assert frame.index.names == expected.index.names == ["endog", "exog"]
    assert frame.index.equals(expected.index)


@pytest.mark.parametrize("cov_type", ["HC0", "cluster"])
def test_robust_covariance_is_used(cov_type: str) -> None:
    data = anes96()
    exog = sm.add_constant(data[["logpopul", "selfLR", "age"]], prepend=False)
    kwds = {"cov_kwds": {"groups": np.arange(len(data)) // 5}} if cov_type == "cluster" else {}
    ours = ts.MNLogit(data["PID"], exog).fit(cov_type=cov_type, **kwds)
    theirs = sm.MNLogit(data["PID"], exog).fit(cov_type=cov_type, disp=0, **kwds)
    _assert_margins_match(ours.get_margeff(at="mean"), theirs.get_margeff(at="mean"), False)


def test_formula_and_arrays_agree() -> None:
    by_formula = ts.mnlogit(ANES_FORMULA, anes96()).fit().get_margeff(method="eydx")
    data = anes96()
    exog = sm.add_constant(data[["logpopul", "selfLR", "age", "educ", "income"]])
    by_arrays = ts.MNLogit(data["PID"], exog).fit().get_margeff(method="eydx")
    np.testing.assert_allclose(by_formula.margeff, by_arrays.margeff, rtol=1e-12)
    np.testing.assert_allclose(by_formula.margeff_cov, by_arrays.margeff_cov, rtol=1e-10)
    assert by_formula.summary().as_text() == by_arrays.summary().as_text()


# --- closed forms: what statsmodels cannot compute ------------------------------------------


def _closed_form_effects(
    params: np.ndarray, rows: np.ndarray, method: str, at: str, count: tuple[int, ...] = ()
) -> np.ndarray:
    """``p_j (b_j - sum_l p_l b_l)`` per row (times ``x``, over ``p_j`` for the methods),
    count columns as ``(p(x + 1) - p(x - 1)) / 2``; averaged for ``at="overall"``; the
    non-constant columns, outcome after outcome. Complex-step safe (no max shift)."""
    k = rows.shape[1]
    coefficients = np.column_stack([np.zeros(k), params.reshape(-1, k).T])  # (K, J)

    def probabilities(x: np.ndarray) -> np.ndarray:
        e = np.exp(x @ coefficients)
        return e / e.sum(1, keepdims=True)

    p = probabilities(rows)
    effects = p[:, None, :] * (coefficients[None] - (p @ coefficients.T)[:, :, None])
    if "ex" in method:
        effects = effects * rows[:, :, None]
    if "ey" in method:
        effects = effects / p[:, None, :]
    for i in count:
        low, high = rows.copy(), rows.copy()
        low[:, i] -= 1
        high[:, i] += 1
        effects[:, i] = (probabilities(high) - probabilities(low)) / 2
    if at == "overall":
        effects = effects.mean(0, keepdims=True)
    varying = ~np.all(rows == rows[:1], axis=0) if at == "overall" else np.ones(k, bool)
    return effects[0, varying].T.reshape(-1)


@pytest.mark.parametrize("at", ["overall", "mean", "median", "zero"])
@pytest.mark.parametrize("method", ["eyex", "dyex"])
def test_elasticities_equal_the_closed_form(anes: Any, at: str, method: str) -> None:
    """statsmodels fails on these (docs/differences.md); the closed form and its
    complex-step Jacobian give effects and covariance."""
    ours, theirs = anes
    X = np.asarray(theirs.model.exog)
    rows = {
        "overall": X,
        "mean": X.mean(0, keepdims=True),
        "median": np.median(X, 0, keepdims=True),
        "zero": np.r_[np.zeros(X.shape[1] - 1), 1.0][None, :],
    }[at]
    params = np.asarray(theirs.params).T.reshape(-1)
    margins = ours.get_margeff(at=at, method=method)
    expected = _closed_form_effects(params, rows, method, at)
    keep = np.r_[np.ones(5, bool), False]  # the constant is last
    if at != "overall":
        expected = expected.reshape(-1, X.shape[1])[:, keep].reshape(-1)
    jacobian = approx_fprime_cs(params, lambda b: _closed_form_effects(b, rows, method, at))
    if at != "overall":
        jacobian = jacobian.reshape(-1, X.shape[1], len(params))[:, keep].reshape(-1, len(params))
    cov = jacobian @ np.asarray(theirs.cov_params()) @ jacobian.T
    np.testing.assert_allclose(margins.margeff.T.reshape(-1), expected, rtol=1e-11, atol=1e-16)
    scale = np.abs(cov).max()
    np.testing.assert_allclose(margins.margeff_cov, cov, rtol=1e-8, atol=1e-12 * scale)


@pytest.mark.parametrize("at", ["overall", "mean"])
def test_count_effects_and_standard_errors_equal_the_closed_form(anes: Any, at: str) -> None:
    """statsmodels fails on count effects with standard errors for MNLogit."""
    ours, theirs = anes
    X = np.asarray(theirs.model.exog)
    rows = X if at == "overall" else X.mean(0, keepdims=True)
    params = np.asarray(theirs.params).T.reshape(-1)
    margins = ours.get_margeff(at=at, count=True)
    count = tuple(int(i) for i in margins.count_idx)
    assert count == (1, 2, 3, 4)  # selfLR, age, educ, income (not the constant)

    def effects(b: np.ndarray) -> np.ndarray:
        values = _closed_form_effects(b, rows, "dydx", at, count)
        return values if at == "overall" else values.reshape(-1, 6)[:, :5].reshape(-1)

    jacobian = approx_fprime_cs(params, effects)
    cov = jacobian @ np.asarray(theirs.cov_params()) @ jacobian.T
    np.testing.assert_allclose(margins.margeff.T.reshape(-1), effects(params), rtol=1e-11)
    np.testing.assert_allclose(margins.margeff_cov, cov, rtol=1e-8, atol=1e-12 * np.abs(cov).max())


def test_probability_effects_sum_to_zero_over_outcomes(anes: Any) -> None:
    """The probabilities sum to one, so their derivatives (and the rows of the delta-method
    Jacobian) sum to zero over the outcomes."""
    margins = anes[0].get_margeff(at="mean", dummy=True)
    np.testing.assert_allclose(margins.margeff.sum(1), 0, atol=1e-15)
    k, J = margins.margeff.shape
    cov = margins.margeff_cov.reshape(J, k, J, k)
    np.testing.assert_allclose(cov.sum(0), 0, atol=1e-15)


# --- types, devices and errors ----------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_torch_data_on_any_device(anes: Any, device: str) -> None:
    _, theirs = anes
    y = torch.as_tensor(np.asarray(theirs.model.endog), device=device)
    X = torch.as_tensor(np.asarray(theirs.model.exog), device=device)
    margins = ts.MNLogit(y, X).fit().get_margeff(count=True)
    assert isinstance(margins.margeff, torch.Tensor) and margins.margeff.device.type == device
    assert margins.margeff.shape == (5, 7) and margins.conf_int().shape == (5, 2, 7)
    reference = anes[0].get_margeff(count=True)
    np.testing.assert_allclose(margins.margeff.cpu().numpy(), reference.margeff, rtol=1e-11)
    np.testing.assert_allclose(margins.margeff_se.cpu().numpy(), reference.margeff_se, rtol=1e-9)
    frame = margins.summary_frame()  # names y, x1..x5 (torch data have none)
    assert frame.index[0] == ("y=0", "x1")
    np.testing.assert_allclose(frame.to_numpy(), reference.summary_frame().to_numpy(), rtol=1e-9)


def test_at_all_has_one_row_per_observation_and_no_summary(anes: Any) -> None:
    margins = anes[0].get_margeff(at="all")
    assert margins.margeff.shape == (944, 5, 7)
    with pytest.raises(ValueError, match="at` is 'all'"):
        margins.summary()
    with pytest.raises(ValueError, match="at` is 'all'"):
        margins.summary_frame()


def test_margins_summary_needs_one_title_per_outcome() -> None:
    values = (*(np.ones((2, 3)),) * 4, np.ones((2, 2, 3)))
    with pytest.raises(ValueError, match="2 equation_names for effects on 3 outcomes"):
        margins_summary(
            model_name="MNLogit",
            endog_name="y",
            method="dydx",
            at="overall",
            effect_label="dy/dx",
            names=["a", "b"],
            values=values,
            equation_names=["y=0", "y=1"],
        )
