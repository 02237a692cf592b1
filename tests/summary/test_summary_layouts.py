"""Summaries built by torchstats' layouts from statsmodels results equal statsmodels' own.

Every case fits a statsmodels model, renders it with ``res.summary()`` and with the
matching torchstats layout function, and compares text, HTML and LaTeX exactly. The clock
is frozen so the Date and Time cells agree; one test compares against the live clock
with those two lines masked.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch
from statsmodels.base.model import GenericLikelihoodModel
from statsmodels.discrete.truncated_model import HurdleCountModel

import torchstats as ts
from tests.conftest import DEVICES, make_frame
from torchstats.summary.layouts import (
    discrete_summary,
    glm_summary,
    likelihood_summary,
    regression_summary,
    separation_note,
)
from torchstats.tables.document import Summary

FROZEN_TIME = time.struct_time((2024, 3, 5, 9, 7, 3, 1, 65, 0))


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both statsmodels and torchstats read ``time.localtime()``; pin it."""
    monkeypatch.setattr(time, "localtime", lambda *args: FROZEN_TIME)


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    """Small-sample and perfect-fit warnings of statsmodels/scipy are expected here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# --- data -----------------------------------------------------------------------------------


def _count_frame(seed: int, n: int = 300) -> pd.DataFrame:
    """Binary, count and positive responses driven by two regressors and a factor."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.uniform(0.5, 2.0, size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "exposure": rng.uniform(0.5, 3.0, size=n),
        }
    )
    eta = 0.3 + 0.7 * frame["x1"] - 0.4 * frame["x2"] + (frame["g"] == "b") * 0.5
    frame["binary"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    mean = np.exp(0.2 + 0.3 * eta) * frame["exposure"]
    frame["count"] = rng.poisson(mean)
    frame["overdispersed"] = rng.negative_binomial(2, 2 / (2 + mean))
    frame["positive"] = rng.gamma(2.0, np.exp(0.5 + 0.2 * eta) / 2.0)
    frame["successes"] = rng.binomial(10, 1 / (1 + np.exp(-eta)))
    frame["failures"] = 10 - frame["successes"]
    return frame


def _small_frame(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=["x", "z", "w", "e"])
    frame["y"] = 1 + frame["x"] - frame["z"] + frame["e"]
    return frame


def _groups(seed: int) -> np.ndarray:
    """Integer cluster codes from the four-level factor ``k`` of ``make_frame(seed)``."""
    return pd.factorize(make_frame(seed)["k"])[0]


def _longley() -> pd.DataFrame:
    return sm.datasets.longley.load_pandas().data


class NormalRegression(GenericLikelihoodModel):
    """A linear regression with Gaussian errors, fitted by generic maximum likelihood."""

    def __init__(self, endog: Any, exog: Any, **kwargs: Any) -> None:
        super().__init__(endog, exog, extra_params_names=["log_sigma"], **kwargs)

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        beta, log_sigma = params[:-1], params[-1]
        resid = self.endog - self.exog @ beta
        sigma = np.exp(log_sigma)
        return -0.5 * np.log(2 * np.pi) - log_sigma - 0.5 * (resid / sigma) ** 2


class MyProbit(GenericLikelihoodModel):
    """Probit written as a generic likelihood model (statsmodels' documentation example)."""

    def loglike(self, params: np.ndarray) -> float:
        from scipy import stats

        q = 2 * self.endog - 1
        return float(stats.norm.logcdf(q * (self.exog @ params)).sum())


# --- cases ----------------------------------------------------------------------------------

Case = tuple[Callable[[], Any], Callable[..., Summary], dict[str, Any]]


def _ols(formula: str, frame: Callable[[], pd.DataFrame], **fit: Any) -> Callable[[], Any]:
    return lambda: smf.ols(formula, frame()).fit(**fit)


def _wls(formula: str, frame: Callable[[], pd.DataFrame], **fit: Any) -> Callable[[], Any]:
    return lambda: smf.wls(formula, frame(), weights=frame()["w"]).fit(**fit)


def _glm(formula: str, family: Any, **options: Any) -> Callable[[], Any]:
    fit = options.pop("fit", {})

    def build() -> Any:
        frame = _count_frame(11)
        extra = {k: frame[v] if isinstance(v, str) else v for k, v in options.items()}
        return smf.glm(formula, frame, family=family, **extra).fit(**fit)

    return build


def _discrete(
    kind: str, formula: str, model: dict[str, Any] | None = None, **fit: Any
) -> Callable[[], Any]:
    return lambda: getattr(smf, kind)(formula, _count_frame(12), **(model or {})).fit(disp=0, **fit)


def _hurdle() -> Any:
    """statsmodels' hurdle model: ``converged`` holds one flag per part ("[True, True]")."""
    frame = _count_frame(12)
    exog = sm.add_constant(frame[["x1", "x2"]])
    return HurdleCountModel(frame["count"], exog).fit(method="newton", disp=0)


def _ols_arrays() -> Any:
    frame = make_frame(4)
    return sm.OLS(frame["y"].to_numpy(), sm.add_constant(frame[["x1", "x2"]].to_numpy())).fit()


def _longley_ols() -> Any:
    data = _longley()
    return sm.OLS(data["TOTEMP"], sm.add_constant(data.drop(columns="TOTEMP"))).fit()


def _generic_normal() -> Any:
    frame = make_frame(5)
    exog = sm.add_constant(frame[["x1", "x2"]])
    start = np.r_[np.zeros(exog.shape[1]), 0.0]
    return NormalRegression(frame["y"], exog).fit(start_params=start, disp=0, maxiter=2000)


def _generic_probit() -> Any:
    frame = _count_frame(13)
    exog = sm.add_constant(frame[["x1", "x2"]])
    return MyProbit(frame["binary"], exog).fit(disp=0, method="bfgs")


FRAME = lambda: make_frame(0)  # noqa: E731


def _mnlogit_labels() -> Any:
    rng = np.random.default_rng(0)
    labels = rng.choice(["a", "b", "c_very_long_outcome_name", "dd"], 300)
    exog = sm.add_constant(pd.DataFrame({"x": rng.normal(size=300)}))
    return sm.MNLogit(pd.Series(labels, name="y"), exog).fit(disp=0, cov_type="HC0")


CASES: dict[str, Case] = {
    "ols-categorical": (_ols("y ~ x1 + C(g)", FRAME), regression_summary, {}),
    "ols-interaction": (_ols("y ~ x1 * C(h) + np.log(x2)", FRAME), regression_summary, {}),
    "ols-three-factors": (_ols("y ~ C(g) + C(k) + C(h):x1 + x3", FRAME), regression_summary, {}),
    "ols-no-intercept": (_ols("y ~ x1 + x2 - 1", FRAME), regression_summary, {}),
    "ols-no-intercept-factor": (_ols("y ~ C(g) + x1 - 1", FRAME), regression_summary, {}),
    "ols-large-condno": (
        _ols("y ~ x3 + I(x3**2) + I(x3**3) + I(1e3*x2)", FRAME),
        regression_summary,
        {},
    ),
    "ols-singular": (_ols("y ~ x1 + I(2*x1) + x2", FRAME), regression_summary, {}),
    "ols-small-n-6": (_ols("y ~ x + z", lambda: _small_frame(6)), regression_summary, {}),
    "ols-small-n-10": (_ols("y ~ x + z + w", lambda: _small_frame(10)), regression_summary, {}),
    "ols-more-columns-than-rows": (
        _ols("y ~ x + z + w + e", lambda: _small_frame(4)),
        regression_summary,
        {},
    ),
    "ols-longley": (_longley_ols, regression_summary, {}),
    "ols-arrays": (_ols_arrays, regression_summary, {}),
    "ols-hc1": (_ols("y ~ x1 + C(g)", FRAME, cov_type="HC1"), regression_summary, {}),
    "ols-hc3-no-intercept": (
        _ols("y ~ x1 + x3 - 1", FRAME, cov_type="HC3"),
        regression_summary,
        {},
    ),
    "ols-hac": (
        _ols("y ~ x1 + x2", FRAME, cov_type="HAC", cov_kwds={"maxlags": 2}),
        regression_summary,
        {},
    ),
    "ols-cluster": (
        _ols("y ~ x1 + x2", FRAME, cov_type="cluster", cov_kwds={"groups": _groups(0)}),
        regression_summary,
        {},
    ),
    "ols-hc1-use-t": (
        _ols("y ~ x1 + x2", FRAME, cov_type="HC1", use_t=True),
        regression_summary,
        {},
    ),
    "ols-slim": (_ols("y ~ x1 + C(g)", FRAME), regression_summary, {"slim": True}),
    "ols-slim-no-intercept": (_ols("y ~ x1 + x2 - 1", FRAME), regression_summary, {"slim": True}),
    "ols-alpha-names-title": (
        _ols("y ~ x1 + x2", FRAME),
        regression_summary,
        {"alpha": 0.1, "yname": "response", "xname": ["const", "a", "b"], "title": "My title"},
    ),
    "ols-longley-other-data": (
        _ols("y ~ x1 + x2 + x3", lambda: make_frame(1)),
        regression_summary,
        {},
    ),
    "wls-categorical": (_wls("y ~ x1 + C(g)", FRAME), regression_summary, {}),
    "wls-no-intercept": (_wls("y ~ x1 + x2 - 1", FRAME), regression_summary, {}),
    "wls-hc1": (_wls("y ~ x1 * x2", FRAME, cov_type="HC1"), regression_summary, {}),
    "wls-slim": (_wls("y ~ x1 + C(k)", lambda: make_frame(2)), regression_summary, {"slim": True}),
    "glm-binomial-logit": (
        _glm("binary ~ x1 + x2 + C(g)", sm.families.Binomial()),
        glm_summary,
        {},
    ),
    "glm-binomial-probit": (
        _glm("binary ~ x1 + x2", sm.families.Binomial(sm.families.links.Probit())),
        glm_summary,
        {},
    ),
    "glm-binomial-proportion": (
        _glm("successes + failures ~ x1 + x2", sm.families.Binomial()),
        glm_summary,
        {},
    ),
    "glm-poisson-offset": (
        _glm(
            "count ~ x1 + C(g)", sm.families.Poisson(), offset=np.log(_count_frame(11)["exposure"])
        ),
        glm_summary,
        {},
    ),
    "glm-poisson-hc0": (
        _glm("count ~ x1 + x2", sm.families.Poisson(), fit={"cov_type": "HC0"}),
        glm_summary,
        {},
    ),
    "glm-gamma-inverse": (_glm("positive ~ x1 + x2", sm.families.Gamma()), glm_summary, {}),
    "glm-gamma-log": (
        _glm("positive ~ x1 + C(g)", sm.families.Gamma(sm.families.links.Log())),
        glm_summary,
        {},
    ),
    "glm-gaussian": (_glm("positive ~ x1 + x2", sm.families.Gaussian()), glm_summary, {}),
    "glm-gaussian-no-intercept": (
        _glm("positive ~ x1 + x2 - 1", sm.families.Gaussian()),
        glm_summary,
        {"alpha": 0.01},
    ),
    "glm-inverse-gaussian": (_glm("positive ~ x2", sm.families.InverseGaussian()), glm_summary, {}),
    "glm-negative-binomial": (
        _glm("overdispersed ~ x1 + x2", sm.families.NegativeBinomial(alpha=0.5)),
        glm_summary,
        {},
    ),
    "glm-tweedie": (
        _glm("count ~ x1", sm.families.Tweedie(var_power=1.5)),
        glm_summary,
        {},
    ),
    "logit": (_discrete("logit", "binary ~ x1 + x2 + C(g)"), discrete_summary, {}),
    "logit-hc1": (_discrete("logit", "binary ~ x1 + x2", cov_type="HC1"), discrete_summary, {}),
    "probit": (_discrete("probit", "binary ~ x1 + x2"), discrete_summary, {}),
    "probit-no-intercept": (_discrete("probit", "binary ~ x1 + x2 - 1"), discrete_summary, {}),
    "poisson": (_discrete("poisson", "count ~ x1 + C(g)"), discrete_summary, {}),
    "poisson-alpha": (_discrete("poisson", "count ~ x1 + x2"), discrete_summary, {"alpha": 0.1}),
    "negative-binomial": (
        _discrete("negativebinomial", "overdispersed ~ x1 + x2"),
        discrete_summary,
        {},
    ),
    "negative-binomial-bfgs": (
        _discrete("negativebinomial", "overdispersed ~ x1 + C(g)", method="bfgs", maxiter=500),
        discrete_summary,
        {},
    ),
    "negative-binomial-nb1": (
        _discrete("negativebinomial", "overdispersed ~ x1", model={"loglike_method": "nb1"}),
        discrete_summary,
        {},
    ),
    "poisson-exposure": (
        lambda: smf.poisson(
            "count ~ x1", _count_frame(12), exposure=_count_frame(12)["exposure"]
        ).fit(disp=0),
        discrete_summary,
        {},
    ),
    "mnlogit": (
        lambda: smf.mnlogit(
            "PID ~ logpopul + selfLR + age", sm.datasets.anes96.load_pandas().data
        ).fit(disp=0),
        discrete_summary,
        {"yname_list": [f"PID={j}" for j in range(1, 7)]},
    ),
    # a later block wider than the first: statsmodels sizes each block but the first alone
    "mnlogit-block-widths": (
        _mnlogit_labels,
        discrete_summary,
        {"yname_list": ["y=b", "y=c_very_long_outcome_name", "y=dd"], "alpha": 0.1},
    ),
    "hurdle-converged-per-part": (_hurdle, discrete_summary, {}),
    "generic-normal": (_generic_normal, likelihood_summary, {}),
    "generic-probit": (_generic_probit, likelihood_summary, {}),
}


def _render(summary: Any) -> dict[str, str]:
    return {"text": summary.as_text(), "html": summary.as_html(), "latex": summary.as_latex()}


@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def rendered(request: pytest.FixtureRequest) -> tuple[dict[str, str], dict[str, str]]:
    """(statsmodels, torchstats) renderings of one fitted case."""
    build, layout, kwargs = CASES[request.param]
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as patch:
        warnings.simplefilter("ignore")
        patch.setattr(time, "localtime", lambda *args: FROZEN_TIME)
        results = build()
        expected = _render(results.summary(**kwargs))
        actual = _render(layout(results, **kwargs))
    return expected, actual


@pytest.mark.parametrize("output", ["text", "html", "latex"])
def test_layout_matches_statsmodels(
    rendered: tuple[dict[str, str], dict[str, str]], output: str
) -> None:
    expected, actual = rendered
    assert actual[output].splitlines() == expected[output].splitlines()
    assert actual[output] == expected[output]


# --- the live clock -------------------------------------------------------------------------

_DATE_TIME = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4}|\d{2}:\d{2}:\d{2}")


def test_live_clock_matches_with_date_and_time_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real clock
    results = CASES["ols-categorical"][0]()
    expected = results.summary().as_text()
    actual = regression_summary(results).as_text()
    assert len(_DATE_TIME.findall(actual)) == 2
    assert _DATE_TIME.sub("<masked>", actual) == _DATE_TIME.sub("<masked>", expected)


# --- values given as torch tensors ----------------------------------------------------------


def _tensor(value: Any, device: str) -> Any:
    """Numeric values as float64 tensors on ``device``; strings, bools and dicts kept."""
    if isinstance(value, (bool, str, type(None))):
        return value
    if isinstance(
        value, (pd.Series, pd.DataFrame, np.ndarray, float, int, np.floating, np.integer)
    ):
        return torch.tensor(np.array(value, dtype=np.float64), device=device)
    return value


class _TensorResults:
    """A statsmodels results object whose numbers come out as torch tensors."""

    def __init__(self, results: Any, device: str) -> None:
        self._results, self._device = results, device
        model = results.model
        proxy = type(type(model).__name__, (), {})()
        proxy.endog_names, proxy.exog_names = model.endog_names, model.exog_names
        proxy.exog = _tensor(model.exog, device)
        if hasattr(model, "family"):
            proxy.family = model.family
        self.model = proxy

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._results, name)
        if name in ("mle_retvals", "fit_history"):
            return {
                key: torch.tensor(val, device=self._device)
                for key, val in value.items()
                if key in ("converged", "iteration")
            }
        return _tensor(value, self._device)

    def conf_int(self, alpha: float = 0.05) -> torch.Tensor:
        return _tensor(self._results.conf_int(alpha), self._device)

    def pseudo_rsquared(self, kind: str = "cs") -> torch.Tensor:
        return _tensor(self._results.pseudo_rsquared(kind=kind), self._device)


TENSOR_CASES = [
    "ols-hc1",
    "ols-no-intercept",
    "wls-categorical",
    "glm-poisson-offset",
    "logit",
    "negative-binomial",
    "mnlogit",
    "generic-normal",
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", TENSOR_CASES)
def test_tensor_values_render_like_statsmodels(case: str, device: str) -> None:
    build, layout, kwargs = CASES[case]
    results = build()
    expected = _render(results.summary(**kwargs))
    actual = _render(layout(_TensorResults(results, device), **kwargs))
    assert actual == expected


# --- notes, names and the container ---------------------------------------------------------


def test_extra_notes_are_numbered_after_statsmodels_notes() -> None:
    results = CASES["ols-large-condno"][0]()
    text = regression_summary(results, extra_notes=["Rank deficient.", "Solver did not converge."])
    lines = text.as_text().splitlines()
    assert lines[-5:] == [
        "[1] Standard Errors assume that the covariance matrix of the errors is correctly "
        "specified.",
        "[2] The condition number is large, 5.51e+03. This might indicate that there are",
        "strong multicollinearity or other numerical problems.",
        "[3] Rank deficient.",
        "[4] Solver did not converge.",
    ]
    assert "[3] Rank deficient. \\newline" in text.as_latex()
    assert text.as_html().endswith("<br/>[3] Rank deficient.<br/>[4] Solver did not converge.")


def test_wrong_number_of_names_raises() -> None:
    results = CASES["ols-categorical"][0]()
    with pytest.raises(ValueError, match="xnames and params do not have the same length"):
        regression_summary(results, xname=["a", "b"])


def test_summary_container_protocols() -> None:
    summary = regression_summary(CASES["ols-categorical"][0]())
    assert str(summary) == summary.as_text()
    assert summary._repr_html_() == summary.as_html()
    assert summary._repr_latex_() == summary.as_latex()
    assert repr(summary).startswith('<class \'torchstats.tables.document.Summary\'>\n"""\n')
    assert len(summary.tables) == 3
    summary.add_extra_txt(["one", "two"])
    assert summary.extra_txt == "one\ntwo"
    assert summary.as_text().endswith("\n\none\ntwo")


def test_slim_summary_has_two_tables() -> None:
    summary = regression_summary(CASES["ols-categorical"][0](), slim=True)
    assert len(summary.tables) == 2


def test_family_and_link_given_as_strings() -> None:
    results = CASES["glm-gamma-log"][0]()
    proxy = _TensorResults(results, "cpu")
    proxy.model.family = "Gamma"
    proxy.model.link = "Log"
    assert _render(glm_summary(proxy)) == _render(results.summary())


def test_alpha_named_from_params_index_when_exog_names_lack_it() -> None:
    results = CASES["negative-binomial"][0]()
    proxy = _TensorResults(results, "cpu")
    proxy.model.exog_names = results.model.exog_names[:-1]  # torchstats models may omit it
    proxy.params = results.params  # a Series that names every parameter
    assert _render(discrete_summary(proxy)) == _render(results.summary())


# --- binary separation ----------------------------------------------------------------------


def _separated_logit(complete: bool) -> Any:
    """Outcomes split by the sign of x; with ``complete=False`` ten ties at x = 0 overlap."""
    rng = np.random.default_rng(21)
    ties = 0 if complete else 10
    x = np.r_[rng.uniform(-3, -1, 20), np.zeros(ties), rng.uniform(1, 3, 20)]
    y = np.r_[np.zeros(20), rng.integers(0, 2, ties), np.ones(20)].astype(float)
    return sm.Logit(y, sm.add_constant(x)).fit(disp=0, maxiter=100)


@pytest.mark.parametrize("complete", [False, True], ids=["quasi", "complete"])
def test_separation_note_matches_statsmodels(complete: bool) -> None:
    results = _separated_logit(complete)
    note = separation_note(results.model.endog, results.predict())
    assert note, "the case should trigger statsmodels' separation text"
    assert _render(discrete_summary(results, extra_txt=note)) == _render(results.summary())


def test_no_separation_note_for_a_regular_logit() -> None:
    results = CASES["logit"][0]()
    assert separation_note(results.model.endog, results.predict()) == []


# --- torchstats' own results ----------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    "formula",
    ["y ~ x1 + C(g)", "y ~ x1 * C(h) + np.log(x2)", "y ~ x1 + x2 - 1", "y ~ x3 + I(x3**3)"],
)
@pytest.mark.parametrize("weighted", [False, True], ids=["ols", "wls"])
def test_torchstats_regression_summary_matches_statsmodels(
    formula: str, weighted: bool, device: str
) -> None:
    frame = make_frame(0)
    if weighted:
        ours = ts.wls(formula, frame, weights=frame["w"], device=device).fit()
        theirs = smf.wls(formula, frame, weights=frame["w"]).fit()
    else:
        ours = ts.ols(formula, frame, device=device).fit()
        theirs = smf.ols(formula, frame).fit()
    assert _render(ours.summary()) == _render(theirs.summary())
