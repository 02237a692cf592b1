"""``score_test`` of GLM and discrete results against live statsmodels (rtol 1e-8)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import torchstats as ts
from tests.models.discrete_cases import make_discrete_frame
from torchstats.errors import (
    InvalidOptionError,
    RowLabelError,
    ShapeMismatchError,
    SpecificationWarning,
)
from torchstats.inference.score_tests import ScoreTestResult
from torchstats.models.binary import Logit, Probit
from torchstats.models.count import NegativeBinomial, Poisson

RTOL = 1e-8


def _data(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Responses, a design with a constant and two candidate omitted regressors."""
    frame = make_discrete_frame(seed, n=300)
    X = sm.add_constant(frame[["x1", "x2"]])
    extra = pd.DataFrame({"x3": frame["x3"], "x1sq": frame["x1"] ** 2}, index=frame.index)
    return frame, X, extra


# family name -> (torchstats family, statsmodels family, response, fit keywords)
GLM_FAMILIES = {
    "poisson": (ts.families.Poisson, sm.families.Poisson, "yc", {}),
    "binomial": (ts.families.Binomial, sm.families.Binomial, "yb", {}),
    "gamma-log": (
        lambda: ts.families.Gamma(ts.families.links.Log()),
        lambda: sm.families.Gamma(sm.families.links.Log()),
        "x2",
        {},
    ),
    "gaussian": (ts.families.Gaussian, sm.families.Gaussian, "x3", {}),
    "gamma-dev": (
        lambda: ts.families.Gamma(ts.families.links.Log()),
        lambda: sm.families.Gamma(sm.families.links.Log()),
        "x2",
        {"scale": "dev"},
    ),
    "negbin": (ts.families.NegativeBinomial, sm.families.NegativeBinomial, "yn", {}),
}


def _glm_pair(name: str, seed: int, columns: list[str] | None = None):
    ours_family, theirs_family, response, fit_kwds = GLM_FAMILIES[name]
    frame, X, _ = _data(seed)
    X = X if columns is None else X[columns]
    y = frame[response]
    if name.startswith("gamma"):  # a positive response that depends on the regressors
        y = np.exp(0.2 * frame["x1"]) * frame["x2"]
    ours = ts.GLM(y, X, family=ours_family()).fit(**fit_kwds)
    theirs = sm.GLM(y, X, family=theirs_family()).fit(**fit_kwds)
    return ours, theirs


def _assert_same(ours: ScoreTestResult, theirs, *, atol: float = 0.0) -> None:
    assert type(ours.statistic) is type(theirs.statistic)
    assert np.shape(ours.statistic) == np.shape(theirs.statistic)
    np.testing.assert_allclose(ours.statistic, theirs.statistic, rtol=RTOL, atol=atol)
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue, rtol=RTOL, atol=atol)
    assert ours.distribution == theirs.distribution
    assert ours.k_constraint == theirs.k_constraint
    statistic, pvalue = ours  # unpacks as statsmodels' does
    assert statistic is ours.statistic and pvalue is ours.pvalue and len(ours) == 2


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", sorted(GLM_FAMILIES))
@pytest.mark.parametrize(
    "options", [{}, {"cov_type": "HC0"}, {"observed": False}], ids=["joint", "HC0", "eim"]
)
def test_glm_omitted_variables(name, seed, options):
    ours, theirs = _glm_pair(name, seed)
    extra = _data(seed)[2]
    _assert_same(
        ours.score_test(exog_extra=extra, **options), theirs.score_test(exog_extra=extra, **options)
    )


@pytest.mark.parametrize("name", ["poisson", "gamma-log", "gaussian"])
def test_glm_separate_z_tests(name):
    ours, theirs = _glm_pair(name, 2)
    extra = _data(2)[2].to_numpy()
    mine = ours.score_test(exog_extra=extra, hypothesis="separate")
    ref = theirs.score_test(exog_extra=extra, hypothesis="separate")
    # the scores of the fitted directions are zero to rounding: compare absolutely there
    _assert_same(mine, ref, atol=1e-9)
    np.testing.assert_allclose(mine.statistic[-2:], ref.statistic[-2:], rtol=RTOL)


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("name", sorted(GLM_FAMILIES))
def test_glm_restricted_parameters(name, seed):
    # the restricted fit without x2, tested in the full model (the scale of Gamma and
    # Gaussian is re-estimated with df_resid + k_constraints, as statsmodels does)
    restricted, _ = _glm_pair(name, seed, ["const", "x1"])
    full, theirs = _glm_pair(name, seed)
    constrained = np.r_[np.asarray(restricted.params), 0.0]
    _assert_same(
        full.score_test(params_constrained=constrained, k_constraints=1),
        theirs.score_test(params_constrained=constrained, k_constraints=1),
    )


def test_glm_formula_model_with_dropped_rows_aligns_extra_columns():
    frame, _, extra = _data(4)
    frame = frame.copy()
    frame.loc[frame.index[:5], "x1"] = np.nan
    ours = ts.glm("yc ~ x1 + x2", frame, family=ts.families.Poisson()).fit()
    kept = frame.dropna(subset=["x1"])
    theirs = sm.GLM(
        kept["yc"], sm.add_constant(kept[["x1", "x2"]]), family=sm.families.Poisson()
    ).fit()
    expected = theirs.score_test(exog_extra=extra.loc[kept.index])
    _assert_same(ours.score_test(exog_extra=extra), expected)  # rows picked by label
    _assert_same(ours.score_test(exog_extra=extra.iloc[::-1]), expected)  # in any order
    _assert_same(ours.score_test(exog_extra=extra.to_numpy()), expected)  # by position
    with pytest.raises(RowLabelError, match="exog_extra is matched to the data's rows"):
        ours.score_test(exog_extra=extra.reset_index(drop=True))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    ("ours_cls", "theirs_cls", "response"),
    [(Poisson, sm.Poisson, "yc"), (Logit, sm.Logit, "yb"), (Probit, sm.Probit, "yb")],
    ids=["poisson", "logit", "probit"],
)
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_discrete_omitted_variables(ours_cls, theirs_cls, response, seed, cov_type):
    frame, X, extra = _data(seed)
    ours = ours_cls(frame[response], X).fit()
    theirs = theirs_cls(frame[response], X).fit(disp=0)
    _assert_same(
        ours.score_test(exog_extra=extra, cov_type=cov_type),
        theirs.score_test(exog_extra=extra, cov_type=cov_type),
    )


@pytest.mark.parametrize(
    ("ours_cls", "theirs_cls", "response"),
    [
        (Poisson, sm.Poisson, "yc"),
        (Logit, sm.Logit, "yb"),
        (Probit, sm.Probit, "yb"),
        (NegativeBinomial, sm.NegativeBinomial, "yn"),
    ],
    ids=["poisson", "logit", "probit", "negbin"],
)
def test_discrete_restricted_parameters(ours_cls, theirs_cls, response):
    frame, X, _ = _data(5)
    restricted = ours_cls(frame[response], X[["const", "x1"]]).fit()
    values = np.asarray(restricted.params)
    # the dropped coefficient (x2) is zero; the negative binomial's alpha stays last
    constrained = np.r_[values[:2], 0.0, values[2:]]
    ours = ours_cls(frame[response], X).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = theirs_cls(frame[response], X).fit(disp=0, method="newton", maxiter=100)
    _assert_same(
        ours.score_test(params_constrained=constrained, k_constraints=1),
        theirs.score_test(params_constrained=constrained, k_constraints=1),
    )
    separate = ours.score_test(
        params_constrained=constrained, k_constraints=1, hypothesis="separate"
    )
    ref = theirs.score_test(params_constrained=constrained, k_constraints=1, hypothesis="separate")
    _assert_same(separate, ref, atol=1e-9)


def test_score_test_uses_the_fit_cov_type():
    frame, X, extra = _data(6)
    ours = Poisson(frame["yc"], X).fit(cov_type="HC0")
    theirs = sm.Poisson(frame["yc"], X).fit(disp=0, cov_type="HC0")
    _assert_same(ours.score_test(exog_extra=extra), theirs.score_test(exog_extra=extra))


def test_score_test_bad_input():
    frame, X, extra = _data(7)
    glm = ts.GLM(frame["yc"], X, family=ts.families.Poisson()).fit()
    with pytest.raises(InvalidOptionError, match="give k_constraints"):
        glm.score_test()
    with pytest.raises(InvalidOptionError, match="cov_type 'HC1' is not available"):
        glm.score_test(exog_extra=extra, cov_type="HC1")
    with pytest.raises(InvalidOptionError, match="needs the restriction matrix"):
        glm.score_test(k_constraints=1, cov_type="HC0")
    with pytest.raises(InvalidOptionError, match="unknown hypothesis 'both'"):
        glm.score_test(exog_extra=extra, hypothesis="both")
    with pytest.raises(ShapeMismatchError, match="exog_extra has 10 rows; the model was fitted"):
        glm.score_test(exog_extra=extra.to_numpy()[:10])
    with pytest.raises(ShapeMismatchError, match="params_constrained has 2 values"):
        glm.score_test(params_constrained=[0.0, 1.0], k_constraints=1)
    with pytest.raises(InvalidOptionError, match="tuple of exog_extra"):
        glm.score_test(exog_extra=(extra, extra))
    with pytest.warns(SpecificationWarning, match="cov_kwds has no effect"):
        glm.score_test(exog_extra=extra, cov_kwds={"groups": 1})
    nb = NegativeBinomial(frame["yn"], X).fit()
    with pytest.raises(InvalidOptionError, match="needs a single-index model"):
        nb.score_test(exog_extra=extra)
    with pytest.raises(InvalidOptionError, match="observed=False"):
        Poisson(frame["yc"], X).fit().score_test(exog_extra=extra, observed=False)


def test_glm_weights_warn_as_statsmodels():
    frame, X, extra = _data(8)
    res = ts.GLM(frame["yc"], X, family=ts.families.Poisson(), freq_weights=frame["expo"]).fit()
    with pytest.warns(SpecificationWarning, match="not been verified with freq_weights"):
        res.score_test(exog_extra=extra)
