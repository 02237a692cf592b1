"""Marginal effects (``get_margeff``) against statsmodels, Stata and exact derivatives.

statsmodels differentiates the effects by complex steps, which are exact to rounding for
these models, so effects, standard errors, covariances, z, p-values, intervals, summary
frames and summary texts agree to ~1e-13 (the negative binomial's standard errors to its
covariance, ~1e-10). Stata's numbers (``tests/reference/margins_stata``) agree to the digits
Stata printed. An oracle test checks the delta-method Jacobian against the closed form.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import torch
from statsmodels.datasets.cpunish import load as load_cpunish

from tests.conftest import DEVICES
from tests.models.discrete_cases import CASES, fit_pair
from tests.parity import assert_matches
from torchstats.errors import DesignError, InvalidOptionError, ShapeMismatchError
from torchstats.models.binary import Logit, Probit
from torchstats.models.count import NegativeBinomial, Poisson
from torchstats.results.margins import TRANSFORM_NAMES, DiscreteMargins

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "reference" / "margins_stata" / "reference.json").read_text()
)
AT_METHODS = [
    (at, method)
    for at in ("overall", "mean", "median", "zero")
    for method in ("dydx", "eyex", "dyex", "eydx")
]
DISCRETE_OPTIONS = [
    {"dummy": True},
    {"dummy": True, "at": "mean"},
    {"dummy": True, "method": "eydx"},
    {"count": True},
    {"count": True, "dummy": True, "at": "mean", "method": "eydx"},
]
# cases statsmodels can do: it refuses margins with an offset (so do we, tested below)
NO_OFFSET = [case for case in CASES if not case.offset]


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    """0/0 z statistics of effects that are exactly zero (eyex at zero) warn in numpy."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.fixture(scope="module")
def spector() -> tuple[Any, Any]:
    data = sm.datasets.spector.load()
    exog = sm.add_constant(np.asarray(data.exog), prepend=False)
    endog = np.asarray(data.endog)
    return endog, exog


def _negbin(results: Any) -> bool:
    return type(results.model).__name__ == "NegativeBinomial"


def _assert_margins_match(
    ours: DiscreteMargins, theirs: Any, negbin: bool, rtol: float | None = None
) -> None:
    """Every statistic of two margins objects, and the summary text, alike (standard errors
    to ``rtol``)."""
    # statsmodels' NB covariance carries its closed-form alpha curvature (~1e-10, see
    # test_discrete_parity); the effects themselves agree to rounding
    rtol = rtol or (1e-8 if negbin else 1e-10)
    assert_matches(ours.margeff, theirs.margeff, rtol=1e-11)
    assert_matches(ours.margeff_se, theirs.margeff_se, rtol=rtol)
    assert_matches(ours.margeff_cov, theirs.margeff_cov, rtol=rtol, atol_scale=1e-10)
    assert_matches(ours.tvalues, theirs.tvalues, rtol=rtol)
    assert_matches(ours.pvalues, theirs.pvalues, rtol=100 * rtol, atol_scale=1e-10)
    assert_matches(ours.conf_int(0.1), theirs.conf_int(0.1), rtol=rtol, atol_scale=1e-10)
    assert_matches(
        ours.summary_frame(0.1), theirs.summary_frame(0.1), rtol=100 * rtol, atol_scale=1e-10
    )
    assert ours.margeff_options == theirs.margeff_options
    for ours_idx, theirs_idx in (
        (ours.dummy_idx, theirs.dummy_idx),
        (ours.count_idx, theirs.count_idx),
    ):
        assert (ours_idx is None) == (theirs_idx is None)
        if theirs_idx is not None:
            np.testing.assert_array_equal(ours_idx, theirs_idx)
    assert ours.summary(alpha=0.1).as_text() == theirs.summary(alpha=0.1).as_text()


# --- statsmodels, formula cases ---------------------------------------------------------------


@pytest.mark.parametrize("case", NO_OFFSET, ids=lambda case: case.id)
@pytest.mark.parametrize("options", [{}, *DISCRETE_OPTIONS], ids=str)
def test_formula_cases_match_statsmodels(case: Any, options: dict[str, Any]) -> None:
    ours, theirs = fit_pair(case)
    _assert_margins_match(ours.get_margeff(**options), theirs.get_margeff(**options), _negbin(ours))


@pytest.mark.parametrize("case", NO_OFFSET[::3], ids=lambda case: case.id)
@pytest.mark.parametrize(("at", "method"), AT_METHODS, ids=lambda v: str(v))
def test_every_at_and_method_matches_statsmodels(case: Any, at: str, method: str) -> None:
    ours, theirs = fit_pair(case)
    _assert_margins_match(
        ours.get_margeff(at=at, method=method),
        theirs.get_margeff(at=at, method=method),
        _negbin(ours),
    )


@pytest.mark.parametrize("case", NO_OFFSET[::4], ids=lambda case: case.id)
@pytest.mark.parametrize("method", ["dydx", "eyex", "dyex", "eydx"])
def test_at_all_matches_statsmodels(case: Any, method: str) -> None:
    ours, theirs = fit_pair(case)
    mine, statsmodels_margins = (r.get_margeff(at="all", method=method) for r in (ours, theirs))
    assert_matches(mine.margeff, statsmodels_margins.margeff, rtol=1e-11)


# --- statsmodels, arrays, data sets and options -------------------------------------------


@pytest.mark.parametrize("model", ["logit", "probit"])
@pytest.mark.parametrize(("at", "method"), AT_METHODS, ids=lambda v: str(v))
def test_spector_matches_statsmodels(spector: Any, model: str, at: str, method: str) -> None:
    endog, exog = spector
    ours = {"logit": Logit, "probit": Probit}[model](endog, exog).fit()
    theirs = {"logit": sm.Logit, "probit": sm.Probit}[model](endog, exog).fit(disp=0)
    _assert_margins_match(
        ours.get_margeff(at=at, method=method), theirs.get_margeff(at=at, method=method), False
    )


@pytest.mark.parametrize(
    "options",
    [
        {"atexog": {0: 2.0, 2: 1.0}},
        {"atexog": {1: 21.0, 2: 0}, "at": "mean", "dummy": True},
        {"atexog": {0: np.linspace(2.0, 4.0, 32)}, "count": True},
        {"atexog": np.array([[3.0, 20.0, 1.0, 1.0], [2.5, 25.0, 0.0, 1.0]]), "at": "median"},
    ],
    ids=["dict", "dict-mean-dummy", "column-count", "rows-median"],
)
def test_atexog_matches_statsmodels(spector: Any, options: dict[str, Any]) -> None:
    endog, exog = spector
    ours = Logit(endog, exog).fit().get_margeff(**options)
    theirs = sm.Logit(endog, exog).fit(disp=0).get_margeff(**options)
    _assert_margins_match(ours, theirs, False)


def test_atexog_by_name_equals_by_index() -> None:
    data = sm.datasets.spector.load_pandas()
    exog = sm.add_constant(data.exog, prepend=False)
    res = Logit(data.endog, exog).fit()
    by_name = res.get_margeff(atexog={"GPA": 2.0, "PSI": 1.0})
    by_index = res.get_margeff(atexog={0: 2.0, 2: 1.0})
    np.testing.assert_array_equal(by_name.margeff, by_index.margeff)
    np.testing.assert_array_equal(by_name.margeff_se, by_index.margeff_se)


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("poisson", {}),
        ("poisson", {"exposure": True}),
        ("nb2", {}),
        ("nb1", {}),
        ("geometric", {"exposure": True}),
    ],
)
@pytest.mark.parametrize(
    "margeff",
    [{}, {"dummy": True}, {"at": "median", "method": "eyex"}, {"count": True}],
    ids=str,
)
def test_randhie_count_models_match_statsmodels(
    kind: str, options: dict[str, Any], margeff: dict[str, Any]
) -> None:
    data = sm.datasets.randhie.load()
    exog = sm.add_constant(np.asarray(data.exog), prepend=False)[:4000]
    endog = np.asarray(data.endog)[:4000]
    extra = {}
    if options.get("exposure"):  # margins are per unit of exposure, as statsmodels'
        extra["exposure"] = np.random.default_rng(1).uniform(0.5, 2.0, len(endog))
    if kind == "poisson":
        ours = Poisson(endog, exog, **extra).fit()
        theirs = sm.Poisson(endog, exog, **extra).fit(disp=0)
    else:
        ours = NegativeBinomial(endog, exog, loglike_method=kind, **extra).fit()
        theirs = sm.NegativeBinomial(endog, exog, loglike_method=kind, **extra).fit(
            start_params=ours.params.copy(), method="newton", maxiter=50, disp=0
        )
    _assert_margins_match(
        ours.get_margeff(**margeff), theirs.get_margeff(**margeff), kind != "poisson"
    )


@pytest.mark.parametrize("cov_type", ["HC0", "cluster"])
def test_robust_covariance_is_used(cov_type: str) -> None:
    data = sm.datasets.randhie.load()
    exog = sm.add_constant(np.asarray(data.exog), prepend=False)[:3000]
    endog = np.asarray(data.endog)[:3000]
    kwds = {"cov_kwds": {"groups": np.arange(3000) // 7}} if cov_type == "cluster" else {}
    ours = Poisson(endog, exog).fit(cov_type=cov_type, **kwds)
    theirs = sm.Poisson(endog, exog).fit(cov_type=cov_type, disp=0, **kwds)
    _assert_margins_match(ours.get_margeff(dummy=True), theirs.get_margeff(dummy=True), False)


def test_summary_html_and_latex_match_statsmodels(spector: Any) -> None:
    endog, exog = spector
    ours = Probit(endog, exog).fit().get_margeff(at="mean", method="eydx", dummy=True)
    theirs = sm.Probit(endog, exog).fit(disp=0).get_margeff(at="mean", method="eydx", dummy=True)
    for alpha in (0.05, 0.1):
        assert ours.summary(alpha).as_html() == theirs.summary(alpha).as_html()
        assert ours.summary(alpha).as_latex() == theirs.summary(alpha).as_latex()


# --- Stata ------------------------------------------------------------------------------------


def _spector_options(key: str) -> dict[str, Any]:
    """``margeff_<kind>_<method><at>`` of statsmodels' Spector results as get_margeff options."""
    options: dict[str, Any] = {}
    name = key.removeprefix("margeff_")
    if "atexog1" in name:
        options["atexog"] = {0: 2.0, 2: 1.0}
    if "atexog2" in name:
        options.update(atexog={1: 21.0, 2: 0}, at="mean")
    options["dummy"] = "dummy" in name.split("_") and "nodummy" not in name
    options["count"] = name.startswith("count")
    last = name.split("_")[-1]
    for method in ("dydx", "eyex", "dyex", "eydx"):
        if last.startswith(method):
            options["method"] = method
            at = last.removeprefix(method)
            options["at"] = {"": "overall", "overall": "overall"}.get(at, at)
    return options


@pytest.mark.parametrize(
    "key",
    [
        k
        for k in REFERENCE["spector_logit"]
        if not k.endswith("_se") and k != "margeff_dummy_count_dydx_median"
    ],
)
def test_spector_logit_matches_stata(spector: Any, key: str) -> None:
    """Stata's ``margins`` (7 digits); the ``count`` keys come from the older ``margeff``
    command, whose count effects differ from statsmodels' and ours by ~1e-5 (statsmodels
    tests them to 4 decimals)."""
    endog, exog = spector
    margins = Logit(endog, exog).fit().get_margeff(**_spector_options(key))
    expected = REFERENCE["spector_logit"]
    rtol = 1e-4 if key.startswith("margeff_count") else 3e-6
    np.testing.assert_allclose(margins.margeff, expected[key], rtol=rtol, atol=1e-7)
    np.testing.assert_allclose(margins.margeff_se, expected[key + "_se"], rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("key", ["margeff_nodummy_overall", "margeff_dummy_overall"])
def test_randhie_poisson_matches_stata(key: str) -> None:
    data = sm.datasets.randhie.load()
    exog = sm.add_constant(np.asarray(data.exog), prepend=False)
    margins = Poisson(np.asarray(data.endog), exog).fit().get_margeff(dummy="_dummy" in key)
    expected = REFERENCE["randhie_poisson"]
    np.testing.assert_allclose(margins.margeff, expected[key], rtol=1e-6)
    np.testing.assert_allclose(margins.margeff_se, expected[key + "_se"], rtol=1e-6)


@pytest.mark.parametrize("model", ["poisson", "negbin"])
@pytest.mark.parametrize("kind", ["cont", "dummy"])
def test_cpunish_matches_stata(model: str, kind: str) -> None:
    """statsmodels' test_margins: Stata's ``margins, dydx(*)`` table (statsmodels needs 50x
    looser tolerances for its Nelder-Mead NB fit)."""
    data = load_cpunish()
    exog = np.asarray(data.exog).copy()
    exog[:, 3] = np.log(exog[:, 3])
    exog = sm.add_constant(exog, prepend=False)
    exog /= np.round(exog.max(0), 3)
    endog = np.asarray(data.endog) - 1
    results = (Poisson if model == "poisson" else NegativeBinomial)(endog, exog).fit()
    margins = results.get_margeff(dummy=kind == "dummy")
    table = REFERENCE[f"cpunish_{model}_{kind}"]
    rows = slice(None) if kind == "cont" else [0, 1, 2, 3, 5, 6]
    np.testing.assert_allclose(margins.margeff, np.array(table["b"])[rows], rtol=5e-6)
    np.testing.assert_allclose(margins.margeff_se, np.array(table["se"])[rows], rtol=1e-6)
    np.testing.assert_allclose(margins.pvalues, np.array(table["pvalue"])[rows], rtol=5e-6)
    limits = np.column_stack([table["ll"], table["ul"]])[rows]
    np.testing.assert_allclose(margins.conf_int(), limits, rtol=1e-6)


# --- exactness --------------------------------------------------------------------------------


def test_delta_method_jacobian_is_exact(spector: Any) -> None:
    """Logit at the means: effect ``f(x'b) b_j`` with ``f = p (1 - p)``; its Jacobian is
    ``f'(x'b) b_j x' + f(x'b) e_j'`` with ``f' = f (1 - 2p)``, so the covariance is known in
    closed form."""
    endog, exog = spector
    res = Logit(endog, exog).fit()
    margins = res.get_margeff(at="mean")
    b = res.params
    x = exog.mean(axis=0)
    p = 1 / (1 + np.exp(-x @ b))
    f, f_prime = p * (1 - p), p * (1 - p) * (1 - 2 * p)
    jacobian = (f_prime * np.outer(b, x) + f * np.eye(len(b)))[:-1]  # drop the constant
    expected = jacobian @ res.cov_params() @ jacobian.T
    np.testing.assert_allclose(margins.margeff, (f * b)[:-1], rtol=1e-14)
    np.testing.assert_allclose(margins.margeff_cov, expected, rtol=1e-13)


def test_dummy_change_and_its_standard_error_are_exact(spector: Any) -> None:
    """Poisson-free check of the discrete change: Probit ``Phi(x1'b) - Phi(x0'b)`` at the
    means, Jacobian ``phi(x1'b) x1 - phi(x0'b) x0``."""
    from scipy import stats

    endog, exog = spector
    res = Probit(endog, exog).fit()
    margins = res.get_margeff(at="mean", dummy=True)
    b = np.asarray(res.params)
    low, high = exog.mean(axis=0), exog.mean(axis=0)
    low[2], high[2] = 0.0, 1.0
    change = stats.norm.cdf(high @ b) - stats.norm.cdf(low @ b)
    gradient = stats.norm.pdf(high @ b) * high - stats.norm.pdf(low @ b) * low
    np.testing.assert_allclose(margins.margeff[2], change, rtol=1e-14)
    np.testing.assert_allclose(
        margins.margeff_se[2], np.sqrt(gradient @ res.cov_params() @ gradient), rtol=1e-13
    )


# --- behaviour and errors ---------------------------------------------------------------------


def test_at_all_has_effects_only(spector: Any) -> None:
    endog, exog = spector
    margins = Logit(endog, exog).fit().get_margeff(at="all")
    assert margins.margeff.shape == (32, 3)
    with pytest.raises(AttributeError, match="at` is 'all'"):
        _ = margins.margeff_se
    with pytest.raises(ValueError, match="at` is 'all'"):
        _ = margins.tvalues
    with pytest.raises(ValueError, match="at` is 'all'"):
        margins.summary()
    with pytest.raises(ValueError, match="at` is 'all'"):
        margins.summary_frame()


def test_get_margeff_on_the_margins_replaces_them(spector: Any) -> None:
    endog, exog = spector
    res = Logit(endog, exog).fit()
    margins = res.get_margeff()
    assert margins.get_margeff(at="mean", method="EYDX") is None  # statsmodels lower-cases
    assert margins.margeff_options == {"method": "eydx", "at": "mean"}
    np.testing.assert_array_equal(
        margins.margeff_se, res.get_margeff(at="mean", method="eydx").margeff_se
    )
    assert DiscreteMargins(res, ("mean",), {"method": "eydx"}).margeff_options == {
        "method": "eydx",
        "at": "mean",
    }


def test_output_types_follow_the_data() -> None:
    data = sm.datasets.spector.load_pandas()
    exog = sm.add_constant(data.exog, prepend=False)
    margins = Logit(data.endog, exog).fit().get_margeff(dummy=True)
    assert isinstance(margins.margeff, np.ndarray)  # numpy for pandas data, as statsmodels
    frame = margins.summary_frame()
    assert isinstance(frame, pd.DataFrame) and list(frame.index) == ["GPA", "TUCE", "PSI"]
    np.testing.assert_array_equal(margins.dummy_idx, [2])
    assert margins.count_idx is None


@pytest.mark.parametrize("device", DEVICES)
def test_torch_data_on_any_device(spector: Any, device: str) -> None:
    endog, exog = spector
    y = torch.as_tensor(endog, device=device)
    X = torch.as_tensor(exog, device=device)
    margins = Poisson(y + 1, X).fit().get_margeff(count=True, dummy=True)
    assert isinstance(margins.margeff, torch.Tensor) and margins.margeff.device.type == device
    reference = Poisson(endog + 1, exog).fit().get_margeff(count=True, dummy=True)
    np.testing.assert_allclose(margins.margeff.cpu().numpy(), reference.margeff, rtol=1e-12)
    np.testing.assert_allclose(margins.margeff_se.cpu().numpy(), reference.margeff_se, rtol=1e-10)
    assert isinstance(margins.summary_frame(), pd.DataFrame)


def test_bad_options_raise(spector: Any) -> None:
    endog, exog = spector
    res = Logit(endog, exog).fit()
    with pytest.raises(InvalidOptionError, match="unknown at 'average'.*'overall'"):
        res.get_margeff(at="average")
    with pytest.raises(InvalidOptionError, match="unknown method 'dy'.*'eydx'"):
        res.get_margeff(method="dy")
    with pytest.raises(DesignError, match="dyex not allowed for discrete variables"):
        res.get_margeff(method="dyex", dummy=True)
    with pytest.raises(DesignError, match="zero not allowed for discrete variables"):
        res.get_margeff(at="zero", count=True)
    with pytest.raises(ShapeMismatchError, match="same number of variables as exog"):
        res.get_margeff(atexog=np.ones((3, 2)))
    with pytest.raises(ShapeMismatchError, match="give one value or one per row"):
        res.get_margeff(atexog={0: np.ones(5)})
    with pytest.raises(DesignError, match="not in exog_names"):
        res.get_margeff(atexog={"gpa": 2.0})
    with pytest.raises(DesignError, match="column index 7"):
        res.get_margeff(atexog={7: 2.0})


def test_offset_is_refused_as_statsmodels_does(spector: Any) -> None:
    endog, exog = spector
    offset = np.linspace(-0.5, 0.5, len(endog))
    with pytest.raises(NotImplementedError, match="Margins with offset are not available"):
        Logit(endog, exog, offset=offset).fit().get_margeff()
    with pytest.raises(NotImplementedError, match="Margins with offset are not available"):
        sm.Logit(endog, exog, offset=offset).fit(disp=0).get_margeff()


def test_constant_columns_are_those_with_one_value(spector: Any) -> None:
    """A constant of 0.1 over 100 rows has numpy variance 2e-33, so statsmodels reports an
    effect for it; here it is the constant it is, and ``at="zero"`` keeps its value (statsmodels
    sets it to 1, which rescales the intercept). See docs/differences.md."""
    endog, exog = spector
    exog = np.tile(exog, (4, 1))[:100]
    endog = np.tile(endog, 4)[:100]
    exog[:, 3] = 0.1
    assert np.var(exog[:, 3]) != 0
    res = Logit(endog, exog).fit()
    margins, theirs = res.get_margeff(), sm.Logit(endog, exog).fit(disp=0).get_margeff()
    assert margins.margeff.shape == (3,) and theirs.margeff.shape == (4,)
    np.testing.assert_allclose(margins.margeff, theirs.margeff[:3], rtol=1e-12)
    np.testing.assert_allclose(margins.margeff_se, theirs.margeff_se[:3], rtol=1e-10)
    at_zero = res.get_margeff(at="zero")
    p = 1 / (1 + np.exp(-0.1 * res.params[3]))  # the model at zero regressors
    np.testing.assert_allclose(at_zero.margeff, p * (1 - p) * res.params[:3], rtol=1e-13)


class _TwoOutcomeLogit(Logit):
    """Logit reporting both outcome probabilities, ``[1 - p, p]``: a two-outcome multinomial
    model, to check the effects, their order and covariance for models with J columns."""

    def predict_mean(self, params: torch.Tensor, exog: torch.Tensor) -> torch.Tensor:
        p = super().predict_mean(params, exog)
        return torch.stack([1 - p, p], dim=1)

    @property
    def outcomes(self) -> list[str]:
        return ["0", "1"]


@pytest.mark.parametrize("options", [{}, {"at": "mean", "dummy": True}, {"method": "eydx"}])
def test_one_column_per_outcome(spector: Any, options: dict[str, Any]) -> None:
    """statsmodels' MNLogit layout: margeff (k', J), the covariance outcome by outcome."""
    endog, exog = spector
    single = Logit(endog, exog).fit().get_margeff(**options)
    double = _TwoOutcomeLogit(endog, exog).fit().get_margeff(**options)
    assert double.margeff.shape == (3, 2)
    np.testing.assert_allclose(double.margeff[:, 1], single.margeff, rtol=1e-13)
    np.testing.assert_allclose(double.margeff_se[:, 1], single.margeff_se, rtol=1e-13)
    np.testing.assert_allclose(double.conf_int()[:, :, 1], single.conf_int(), rtol=1e-13)
    cov = double.margeff_cov
    np.testing.assert_allclose(cov[3:, 3:], single.margeff_cov, rtol=1e-13)
    if "eydx" not in options.values():  # the two probabilities move in opposite directions
        np.testing.assert_allclose(double.margeff[:, 0], -single.margeff, rtol=1e-13)
        np.testing.assert_allclose(cov[:3, 3:], -single.margeff_cov, rtol=1e-13)
    frame = double.summary_frame()
    assert list(frame.index.get_level_values("endog").unique()) == ["y=0", "y=1"]
    np.testing.assert_allclose(frame.loc["y=1"], single.summary_frame(), rtol=1e-13)
    label = TRANSFORM_NAMES[options.get("method", "dydx")]
    lines = [line.split() for line in double.summary().as_text().splitlines()]
    assert [words[0] for words in lines if words[1:2] == [label]] == ["y=0", "y=1"]


def test_labelled_atexog_is_read_by_name():
    """A DataFrame or Series atexog was read by position: the design's own columns in
    another order gave other effects, unrelated names were accepted."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=300), "x2": rng.normal(size=300)})
    frame["y"] = (rng.random(300) < 1 / (1 + np.exp(-(0.5 * frame.x1 - 0.4 * frame.x2)))) * 1.0
    res = Logit("y ~ x1 + x2", frame).fit(disp=0)
    rows = pd.DataFrame({"Intercept": 1.0, "x1": [2.0, 2.5], "x2": [-1.0, 0.0]})
    expected = res.get_margeff(atexog=rows.to_numpy()).margeff
    for labelled in (rows[["x2", "x1", "Intercept"]], rows.set_axis(range(3), axis=1)):
        np.testing.assert_allclose(res.get_margeff(atexog=labelled).margeff, expected)
    np.testing.assert_allclose(
        res.get_margeff(atexog=rows.iloc[0][["x2", "x1", "Intercept"]]).margeff,
        res.get_margeff(atexog=rows.to_numpy()[0]).margeff,
    )
    with pytest.raises(DesignError, match="atexog is labelled"):
        res.get_margeff(atexog=rows.set_axis(["a", "b", "c"], axis=1))
