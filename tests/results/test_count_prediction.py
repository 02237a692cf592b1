"""Count models' predictive distributions against statsmodels: ``predict(which="prob")``,
``predict_prob``, ``get_distribution``, ``get_prediction(which=, average=, y_values=)`` and
``get_diagnostic()``; GLM ``get_distribution`` per family.

statsmodels' negative binomial stops before full convergence by default, so its fits here
start at torchstats' estimate and take Newton steps to a tight tolerance: both then sit at
the same maximum and every quantity compares to 1e-8 or better.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import torchstats as ts
from tests.parity import assert_matches

RTOL = 1e-9


def _frame(seed: int, n: int = 90) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "g": rng.choice(["a", "b", "c"], size=n),
            "expo": rng.uniform(0.5, 3.0, size=n),
        },
        index=[f"r{i}" for i in rng.permutation(n)],
    )
    mean = frame["expo"] * np.exp(0.2 + 0.5 * frame["x"] + (frame["g"] == "b") * 0.4)
    frame["y"] = rng.negative_binomial(2, 2 / (2 + mean)).astype(float)
    return frame


FRAMES = {seed: _frame(seed) for seed in (0, 1)}
MODELS = ["poisson", "nb2", "nb1", "geometric"]


@functools.cache
def _fit_pair(kind: str, seed: int, exposure: bool = True):
    frame = FRAMES[seed]
    kwds = {"exposure": frame["expo"]} if exposure else {}
    formula = "y ~ x + C(g)"
    if kind == "poisson":
        ours = ts.poisson(formula, frame, **kwds).fit()
        theirs = smf.poisson(formula, frame, **kwds).fit(disp=0)
        return ours, theirs
    ours = ts.negativebinomial(formula, frame, loglike_method=kind, **kwds).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = smf.negativebinomial(formula, frame, loglike_method=kind, **kwds).fit(
            start_params=ours.params.to_numpy(), method="newton", maxiter=50, tol=1e-14, disp=0
        )
    return ours, theirs


@pytest.fixture(params=[(k, s) for k in MODELS for s in FRAMES], ids=lambda p: f"{p[0]}-{p[1]}")
def pair(request):
    return (*_fit_pair(*request.param), FRAMES[request.param[1]])


def test_predict_prob_in_sample_and_new_data(pair):
    ours, theirs, frame = pair
    got = ours.predict(which="prob")
    assert isinstance(got, np.ndarray)
    assert_matches(got, theirs.predict(which="prob"), rtol=RTOL, atol_scale=1e-14)
    new = frame.iloc[:7]
    y_values = [0, 1, 3, 7]
    assert_matches(
        ours.predict(new, which="prob", y_values=y_values, exposure=new["expo"]),
        theirs.predict(new, which="prob", y_values=y_values, exposure=new["expo"].to_numpy()),
        rtol=RTOL,
    )


def test_predict_prob_sums_to_one_over_enough_counts(pair):
    ours, _, _ = pair
    np.testing.assert_allclose(ours.predict(which="prob", y_values=np.arange(400)).sum(1), 1)


def test_poisson_predict_prob():
    ours, theirs = _fit_pair("poisson", 0)
    assert_matches(ours.predict_prob(), theirs.predict_prob(), rtol=RTOL, atol_scale=1e-14)
    assert_matches(ours.predict_prob(n=[0, 2]), theirs.predict_prob(n=[0, 2]), rtol=RTOL)


def test_get_distribution(pair):
    ours, theirs, frame = pair
    got, expected = ours.get_distribution(), theirs.get_distribution()
    assert got.dist.name == expected.dist.name
    for counts in (0, 2, 5):
        assert_matches(got.pmf(counts), expected.pmf(counts), rtol=RTOL, atol_scale=1e-14)
    assert_matches(got.mean(), expected.mean(), rtol=RTOL)
    assert_matches(got.var(), expected.var(), rtol=RTOL)
    new = frame.iloc[:4]
    assert_matches(
        ours.get_distribution(new).pmf(1), theirs.get_distribution(new).pmf(1), rtol=RTOL
    )


def test_binary_get_distribution():
    frame = FRAMES[0].assign(yb=lambda f: (f["y"] > 1).astype(float))
    ours = ts.logit("yb ~ x + C(g)", frame).fit()
    theirs = smf.logit("yb ~ x + C(g)", frame).fit(disp=0)
    got, expected = ours.get_distribution(), theirs.get_distribution()
    assert got.dist.name == expected.dist.name == "bernoulli"
    assert_matches(got.pmf(1), expected.pmf(1), rtol=RTOL)


# statsmodels' delta method differentiates numerically: a complex step for the Poisson mean
# (exact to rounding), forward differences through scipy's nbinom (errors up to ~1e-6).
# Standard errors are checked tightly against the delta method with a centred, Richardson-
# extrapolated derivative of statsmodels' own prediction function, and loosely against
# statsmodels' reported ones.
SE_RTOL, SE_RTOL_STATSMODELS = 1e-8, 1e-5


def _reference_se(theirs, function) -> np.ndarray:
    params = np.asarray(theirs.params, dtype=float)
    cov = np.asarray(theirs.cov_params())

    def central(step):
        columns = []
        for j in range(params.size):
            shift = np.zeros_like(params)
            shift[j] = step * max(1.0, abs(params[j]))
            columns.append((function(params + shift) - function(params - shift)) / (2 * shift[j]))
        return np.stack(columns, axis=-1)

    h = 1e-4
    jacobian = (4 * central(h / 2) - central(h)) / 3  # Richardson: error O(h^4)
    return np.sqrt(np.einsum("...i,ij,...j->...", jacobian, cov, jacobian))


def _statsmodels_function(theirs, exog, kwds):
    which = kwds.get("which", "mean")
    extra = {"y_values": kwds["y_values"]} if "y_values" in kwds else {}
    weights = kwds.get("agg_weights")

    def function(params):
        values = theirs.model.predict(params, exog, which=which, **extra)
        if kwds.get("average"):
            w = 1.0 if weights is None else (weights if values.ndim == 1 else weights[:, None])
            return (values * w).mean(axis=0)
        return values

    return function


@pytest.mark.parametrize(
    "options",
    [
        {"which": "prob", "average": True},
        {"which": "prob", "average": True, "y_values": [0, 4]},
        {"which": "var"},
        {"which": "mean", "average": True},
        {"which": "mean", "average": True, "agg_weights": "weights"},
        {"which": "var", "average": True},
    ],
    ids=lambda k: "-".join(f"{a}={b}" for a, b in k.items()),
)
def test_get_prediction_delta_method(options):
    # no exposure: statsmodels' in-sample delta predictions drop it (torchstats keeps it)
    for kind in MODELS:
        ours, theirs = _fit_pair(kind, 1, exposure=False)
        kwds = dict(options)
        if "agg_weights" in kwds:
            kwds["agg_weights"] = np.linspace(0.2, 2.0, ours.nobs)
        got, expected = ours.get_prediction(**kwds), theirs.get_prediction(**kwds)
        assert_matches(got.predicted, expected.predicted, rtol=RTOL)
        reference = _reference_se(theirs, _statsmodels_function(theirs, theirs.model.exog, kwds))
        assert_matches(got.se, reference, rtol=SE_RTOL)
        assert_matches(got.se, expected.se, rtol=SE_RTOL_STATSMODELS)
        q = 1.6448536269514722  # norm.ppf(0.95)
        lower = np.asarray(expected.predicted) - q * reference
        upper = np.asarray(expected.predicted) + q * reference
        assert_matches(got.conf_int(alpha=0.1), np.column_stack((lower, upper)), rtol=SE_RTOL)
        assert got.dist is expected.dist and got.dist_args == expected.dist_args == ()
        stat, pvalue = got.t_test(value=0.1)
        expected_stat, expected_pvalue = expected.t_test(value=0.1)
        assert_matches(stat, expected_stat, rtol=SE_RTOL_STATSMODELS)
        if np.ndim(expected.predicted) == 1 and not kwds.get("average"):
            frame_got = got.summary_frame().reset_index(drop=True)
            assert_matches(frame_got, expected.summary_frame(), rtol=SE_RTOL_STATSMODELS)


def test_get_prediction_prob_per_row_new_data():
    ours, theirs = _fit_pair("nb2", 0)
    new = FRAMES[0].iloc[:5]
    got = ours.get_prediction(new, which="prob", y_values=[0, 1, 2], exposure=new["expo"])
    expected = theirs.get_prediction(
        new, which="prob", y_values=[0, 1, 2], exposure=new["expo"].to_numpy()
    )
    assert got.predicted.shape == (5, 3)
    assert_matches(got.predicted, expected.predicted, rtol=RTOL)
    assert_matches(got.se, expected.se, rtol=SE_RTOL_STATSMODELS)
    with pytest.raises(ValueError, match="one column per count"):
        got.summary_frame()


def test_prob_is_for_count_models_only():
    frame = FRAMES[0].assign(yb=lambda f: (f["y"] > 1).astype(float))
    res = ts.logit("yb ~ x", frame).fit()
    with pytest.raises(ts.errors.InvalidOptionError, match="count models"):
        res.predict(which="prob")
    with pytest.raises(ts.errors.InvalidOptionError, match="which"):
        res.get_prediction(which="prob")


# --- diagnostics ------------------------------------------------------------------------


@pytest.fixture(params=list(FRAMES), ids=lambda s: f"seed{s}")
def poisson_diagnostics(request):
    ours, theirs = _fit_pair("poisson", request.param)
    return ours.get_diagnostic(), theirs.get_diagnostic()


def test_probs_predicted(poisson_diagnostics):
    ours, theirs = poisson_diagnostics
    assert_matches(ours.probs_predicted, theirs.probs_predicted, rtol=RTOL, atol_scale=1e-14)


def test_dispersion(poisson_diagnostics):
    ours, theirs = poisson_diagnostics
    got, expected = ours.test_dispersion(), theirs.test_dispersion()
    assert_matches(got.statistic, expected.statistic, rtol=RTOL)
    assert_matches(got.pvalue, expected.pvalue, rtol=1e-8)
    assert got.method == expected.method and got.alternative == expected.alternative
    frame_got, frame_expected = got.summary_frame(), expected.summary_frame()
    assert list(frame_got.columns) == list(frame_expected.columns)
    statistic, pvalue = got
    assert statistic is got.statistic and pvalue is got.pvalue


@pytest.mark.parametrize("method", ["prob", "broek", "jh"])
def test_zero_inflation(poisson_diagnostics, method):
    ours, theirs = poisson_diagnostics
    if method == "jh":
        exog_infl = np.column_stack([np.ones(ours.results.nobs), ours.results.model.exog[:, 1]])
        got = ours.test_poisson_zeroinflation(method="broek", exog_infl=exog_infl)
        expected = theirs.test_poisson_zeroinflation(method="broek", exog_infl=exog_infl)
        fields = ["statistic", "pvalue", "df", "rank_score"]
    else:
        got = ours.test_poisson_zeroinflation(method=method)
        expected = theirs.test_poisson_zeroinflation(method=method)
        fields = ["statistic", "pvalue", "pvalue_smaller", "pvalue_larger", "chi2", "pvalue_chi2"]
    for field in fields:
        assert getattr(got, field) == pytest.approx(getattr(expected, field), rel=1e-8), field
    assert tuple(got) == pytest.approx(tuple(expected), rel=1e-8)


@pytest.mark.parametrize(
    ("kind", "bin_edges"),
    [("poisson", None)]
    + [(kind, edges) for kind in MODELS for edges in (np.arange(4), np.array([0, 1, 3, 6]))],
)
def test_chisquare_prob(kind, bin_edges):
    ours, theirs = _fit_pair(kind, 0)
    got = ours.get_diagnostic().test_chisquare_prob(bin_edges=bin_edges)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs.get_diagnostic().test_chisquare_prob(bin_edges=bin_edges)
    # the default bins (every count up to max(y)) include counts nobody has, so the
    # auxiliary design is nearly singular and both lose digits there (for the negative
    # binomial even its numerical rank, hence the degrees of freedom, can differ)
    rel = 1e-5 if bin_edges is None else 1e-8
    assert got.df == expected.df
    assert got.statistic == pytest.approx(expected.statistic, rel=rel)
    assert got.pvalue == pytest.approx(expected.pvalue, rel=rel)
    assert_matches(got.diff1, expected.diff1, rtol=RTOL, atol_scale=1e-14)


def test_negative_binomial_diagnostic_is_count_diagnostic():
    ours, _ = _fit_pair("nb2", 0)
    diagnostic = ours.get_diagnostic(y_max=3)
    assert not hasattr(diagnostic, "test_dispersion")
    assert diagnostic.probs_predicted.shape == (ours.nobs, 4)


# --- GLM ----------------------------------------------------------------------------------

GLM_FAMILIES = [
    ("Gaussian", {}, "ycont"),
    ("Poisson", {}, "y"),
    ("Binomial", {}, "yb"),
    ("Gamma", {"link": "Log"}, "ypos"),
    ("InverseGaussian", {"link": "Log"}, "ypos"),
    ("NegativeBinomial", {"alpha": 0.7}, "y"),
]


@pytest.mark.parametrize(("family", "options", "response"), GLM_FAMILIES, ids=lambda v: str(v))
@pytest.mark.parametrize("var_weights", [1.0, "vw"])
def test_glm_get_distribution(family, options, response, var_weights):
    frame = FRAMES[1].assign(
        yb=lambda f: (f["y"] > 1).astype(float),
        ypos=lambda f: f["y"] + 0.5,
        ycont=lambda f: f["y"] + f["x"],
        vw=lambda f: np.linspace(0.5, 2.0, len(f)),
    )

    def make(lib):
        kwds = {k: v for k, v in options.items() if k != "link"}
        if "link" in options:
            kwds["link"] = getattr(lib.families.links, options["link"])()
        return getattr(lib.families, family)(**kwds)

    formula = f"{response} ~ x + C(g)"
    ours = ts.glm(formula, frame, family=make(ts)).fit()
    theirs = smf.glm(formula, frame, family=make(sm)).fit()
    weights = frame["vw"].to_numpy() if var_weights == "vw" else 1.0
    got = ours.get_distribution(var_weights=weights)
    expected = theirs.get_distribution(var_weights=weights)
    assert got.dist.name == expected.dist.name
    assert_matches(got.mean(), expected.mean(), rtol=RTOL)
    assert_matches(got.var(), expected.var(), rtol=RTOL)
    point = frame[response].to_numpy()
    if got.dist.name in ("poisson", "nbinom", "binom"):
        assert_matches(got.pmf(point), expected.pmf(point), rtol=RTOL)
    else:
        assert_matches(got.pdf(point), expected.pdf(point), rtol=RTOL)


def test_glm_get_distribution_tweedie_raises():
    frame = FRAMES[0]
    res = ts.glm("y ~ x", frame, family=ts.families.Tweedie(var_power=1.5)).fit()
    with pytest.raises(ts.errors.InvalidOptionError, match="Tweedie"):
        res.get_distribution()
