"""t_test, f_test, wald_test, wald_test_terms, comparisons and ANOVA against statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm as sm_anova_lm

import torchstats as ts
from tests.parity import assert_matches
from torchstats.errors import ConstraintError, TorchstatsWarning

FORMULA = "y ~ x1 + x3 + C(g) + np.log(x2)"
CONSTRAINTS = [
    "x1 = 0",
    "x1 = x3",
    "x1 + x3 = 1, C(g)[T.b] = 0",
    "C(g)[T.b] = C(g)[T.c], np.log(x2) = 2 * x1",
    ["x1 = 0", "x3 = 0.5"],
]


def _pair(kind, frame, cov_type="nonrobust", **kwds):
    cov_kwds = {k: frame[v] for k, v in kwds.items()}
    sm_kwds = {k: frame[v].to_numpy() for k, v in kwds.items()}
    if kind == "ols":
        return (
            ts.ols(FORMULA, frame).fit(cov_type=cov_type, cov_kwds=cov_kwds),
            smf.ols(FORMULA, frame).fit(cov_type=cov_type, cov_kwds=sm_kwds),
        )
    return (
        ts.wls(FORMULA, frame, weights=frame["w"]).fit(cov_type=cov_type, cov_kwds=cov_kwds),
        smf.wls(FORMULA, frame, weights=frame["w"]).fit(cov_type=cov_type, cov_kwds=sm_kwds),
    )


FITS = [("ols", "nonrobust", {}), ("wls", "nonrobust", {}), ("ols", "HC3", {})]
FITS += [("ols", "cluster", {"groups": "k"})]


@pytest.fixture(params=FITS, ids=lambda f: f"{f[0]}-{f[1]}")
def fits(request, frame):
    kind, cov_type, kwds = request.param
    return _pair(kind, frame, cov_type, **kwds)


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=str)
def test_t_test(fits, constraint):
    ours, theirs = fits[0].t_test(constraint), fits[1].t_test(constraint)
    for name in ("effect", "sd", "tvalue", "pvalue"):
        assert_matches(getattr(ours, name), getattr(theirs, name), rtol=1e-9)
    assert_matches(ours.conf_int(), theirs.conf_int(), rtol=1e-9)
    assert_matches(ours.summary_frame(), theirs.summary_frame(), rtol=1e-9)


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=str)
def test_f_test(fits, constraint):
    ours, theirs = fits[0].f_test(constraint), fits[1].f_test(constraint)
    np.testing.assert_allclose(ours.fvalue, theirs.fvalue, rtol=1e-9)
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue, rtol=1e-8)
    assert ours.df_num == theirs.df_num and ours.df_denom == theirs.df_denom


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=str)
@pytest.mark.parametrize("use_f", [True, False])
def test_wald_test(fits, constraint, use_f):
    ours = fits[0].wald_test(constraint, use_f=use_f)
    theirs = fits[1].wald_test(constraint, use_f=use_f, scalar=True)
    np.testing.assert_allclose(ours.statistic, theirs.statistic, rtol=1e-9)
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue, rtol=1e-8)
    assert ours.distribution == theirs.distribution


def test_arrays_as_constraints(fits):
    R = np.zeros((2, 6))
    R[0, 3], R[1, 4] = 1.0, 1.0
    q = np.array([0.5, 0.0])
    ours, theirs = fits[0].f_test((R, q)), fits[1].f_test((R, q))
    np.testing.assert_allclose(ours.fvalue, theirs.fvalue, rtol=1e-9)
    np.testing.assert_allclose(fits[0].t_test(R[0]).tvalue, fits[1].t_test(R[0]).tvalue, rtol=1e-9)


def test_wald_test_terms(fits):
    ours, theirs = fits[0].wald_test_terms(), fits[1].wald_test_terms(scalar=True)
    assert_matches(ours.table, theirs.table, rtol=1e-8, atol_scale=1e-14)
    assert ours.distribution == theirs.distribution
    assert list(ours.summary_frame().columns)[0] in ("F", "chi2")


def test_wald_test_terms_options(frame):
    ours = ts.ols("y ~ x1 + C(g) + C(h)", frame).fit()
    theirs = smf.ols("y ~ x1 + C(g) + C(h)", frame).fit()
    kwargs = {"skip_single": True, "combine_terms": ["C("]}
    assert_matches(
        ours.wald_test_terms(**kwargs).table,
        theirs.wald_test_terms(scalar=True, **kwargs).table,
        rtol=1e-9,
    )


def test_tests_on_discrete_models(frame):
    data = frame.assign(b=(frame["y"] > frame["y"].median()).astype(float))
    ours = ts.logit("b ~ x1 + C(g)", data).fit()
    theirs = smf.logit("b ~ x1 + C(g)", data).fit(disp=0)
    constraint = "x1 = 0, C(g)[T.b] = C(g)[T.c]"
    np.testing.assert_allclose(
        ours.wald_test(constraint).statistic,
        theirs.wald_test(constraint, scalar=True).statistic,
        rtol=1e-7,
    )
    assert_matches(
        ours.t_test("x1 = 0.5").summary_frame(),
        theirs.t_test("x1 = 0.5").summary_frame(),
        rtol=1e-7,
    )
    assert_matches(
        ours.wald_test_terms().table, theirs.wald_test_terms(scalar=True).table, rtol=1e-7
    )


def test_unknown_parameter_is_named(frame):
    res = ts.ols(FORMULA, frame).fit()
    with pytest.raises(ConstraintError, match=r"unknown parameter 'C\(g\)\[T.z\]'.*'x1'"):
        res.t_test("C(g)[T.z] = 0")
    with pytest.raises(ConstraintError, match="unknown parameter 'x9'"):
        res.f_test("x1 = x9")


def test_malformed_constraints(frame):
    res = ts.ols(FORMULA, frame).fit()
    with pytest.raises(ConstraintError, match="columns but there are 6 parameters"):
        res.f_test(np.eye(3))


def test_singular_constraint_covariance_warns(frame):
    res = ts.ols(FORMULA, frame).fit(cov_type="cluster", cov_kwds={"groups": frame["h"]})
    with pytest.warns(TorchstatsWarning, match="does not have full rank"):
        res.f_test("x1 = 0, x3 = 0, C(g)[T.b] = 0")


def test_summary_text_of_a_t_test(frame):
    ours = ts.ols(FORMULA, frame).fit().t_test("x1 = x3, C(g)[T.b] = 0")
    theirs = smf.ols(FORMULA, frame).fit().t_test("x1 = x3, C(g)[T.b] = 0")
    assert str(ours.summary()) == str(theirs.summary())


# --- model comparisons ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ols", "wls"])
def test_compare_f_and_lr_tests(frame, kind):
    def fit(formula, library):
        if kind == "ols":
            return library.ols(formula, frame).fit()
        return library.wls(formula, frame, weights=frame["w"]).fit()

    small, big = "y ~ x1", "y ~ x1 + C(g) + x3"
    ours_f = fit(big, ts).compare_f_test(fit(small, ts))
    theirs_f = fit(big, smf).compare_f_test(fit(small, smf))
    np.testing.assert_allclose(ours_f, tuple(theirs_f), rtol=1e-9)
    ours_lr = fit(big, ts).compare_lr_test(fit(small, ts))
    theirs_lr = fit(big, smf).compare_lr_test(fit(small, smf))
    np.testing.assert_allclose(ours_lr, tuple(theirs_lr), rtol=1e-9)


def test_comparisons_warn_with_robust_covariances(frame):
    big = ts.ols("y ~ x1 + x3", frame).fit(cov_type="HC1")
    with pytest.warns(TorchstatsWarning, match="likely invalid with robust covariance"):
        big.compare_f_test(ts.ols("y ~ x1", frame).fit())


# --- ANOVA --------------------------------------------------------------------------------


ANOVA_FORMULAS = ["y ~ x1 * C(g) + np.log(x2) + C(h)", "y ~ C(g) * C(h) + x3", "y ~ C(k) + x1:C(h)"]


@pytest.mark.parametrize("formula", ANOVA_FORMULAS)
@pytest.mark.parametrize("typ", [1, 2, 3])
def test_anova_lm(frame, formula, typ):
    ours = ts.anova_lm(ts.ols(formula, frame).fit(), typ=typ)
    theirs = sm_anova_lm(smf.ols(formula, frame).fit(), typ=typ)
    assert_matches(ours, theirs, rtol=1e-9, atol_scale=1e-13)


@pytest.mark.parametrize("typ", [2, 3])
def test_anova_lm_robust(frame, typ):
    formula = ANOVA_FORMULAS[0]
    ours = ts.anova_lm(ts.ols(formula, frame).fit(), typ=typ, robust="hc3")
    theirs = sm_anova_lm(smf.ols(formula, frame).fit(), typ=typ, robust="hc3")
    assert_matches(ours, theirs, rtol=1e-9, atol_scale=1e-13)


def test_anova_lm_weighted(frame):
    """Type I sums of squares of the weighted problem: reductions of the weighted SSR.

    statsmodels' type I table for WLS takes its sums of squares from the *unweighted* design
    and response while keeping the weighted residual sum of squares; torchstats computes the
    weighted problem's, checked here against nested statsmodels WLS fits.
    """
    ours = ts.anova_lm(ts.wls("y ~ x1 + C(g)", frame, weights=frame["w"]).fit())
    ssr = [
        smf.wls(f, frame, weights=frame["w"]).fit().ssr
        for f in ("y ~ 1", "y ~ C(g)", "y ~ C(g) + x1")  # statsmodels' term order
    ]
    np.testing.assert_allclose(
        ours["sum_sq"], [ssr[0] - ssr[1], ssr[1] - ssr[2], ssr[2]], rtol=1e-9
    )
    assert list(ours.index) == ["C(g)", "x1", "Residual"]
    np.testing.assert_allclose(ours["df"], [2, 1, len(frame) - 4])


def test_anova_lm_several_models(frame):
    formulas = ["y ~ x1", "y ~ x1 + C(g)", "y ~ x1 * C(g) + x3"]
    ours = ts.anova_lm(*(ts.ols(f, frame).fit() for f in formulas))
    theirs = sm_anova_lm(*(smf.ols(f, frame).fit() for f in formulas))
    assert_matches(ours, theirs, rtol=1e-9)


def test_anova_lm_errors(frame):
    fit = ts.ols("y ~ x1", frame).fit()
    with pytest.raises(ValueError, match="unknown ANOVA type 4"):
        ts.anova_lm(fit, typ=4)
    with pytest.raises(ValueError, match="only be compared with typ=1"):
        ts.anova_lm(fit, fit, typ=2)
    with pytest.raises(ValueError, match="increasing complexity"):
        ts.anova_lm(ts.ols("y ~ x1 + x3", frame).fit(), fit)
    with pytest.raises(ValueError, match="built from a formula"):
        ts.anova_lm(ts.OLS(frame["y"].to_numpy(), np.ones((len(frame), 1))).fit())


def test_printed_tests_read_as_statsmodels() -> None:
    """Plain floats (numpy scalars printed np.float64(...)), and repr's class line."""
    import statsmodels.formula.api as smf

    data = ts.datasets.longley()
    ours = ts.ols("TOTEMP ~ GNP + UNEMP", data).fit()
    theirs = smf.ols("TOTEMP ~ GNP + UNEMP", data).fit()
    for test in ("f_test", "wald_test"):
        mine = getattr(ours, test)("GNP = 0", **({"scalar": True} if test == "wald_test" else {}))
        other = getattr(theirs, test)(
            "GNP = 0", **({"scalar": True} if test == "wald_test" else {})
        )
        assert "np.float64" not in repr(mine)
        assert str(mine).split(",")[0].split("=")[0] == str(other).split(",")[0].split("=")[0]
        assert repr(mine).splitlines()[0].startswith("<class '")
        assert str(mine).endswith("df_denom=13, df_num=1>") == str(other).endswith(
            "df_denom=13, df_num=1>"
        )


# --- rank-deficient fits and extreme units -----------------------------------------------------


def _aliased_frame(seed: int):
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = 60
    frame = pd.DataFrame({name: rng.normal(size=n) for name in ("x1", "x2", "x3")})
    frame["cl"] = rng.integers(0, 8, n)
    frame["x4"] = frame["x1"] - frame["x2"]
    frame["y"] = 1 + frame["x1"] + rng.normal(size=n)
    return frame


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC3", "cluster"])
def test_unidentified_combinations_are_not_tested(seed, cov_type):
    """x1 - x2 - x4 lies in the null space of the design (x4 = x1 - x2): its t statistic was
    +-inf with p = 0 (a standard error of exactly 0) or a ratio of rounding errors, and
    f_test divided by a rank of 0 (ZeroDivisionError)."""
    frame = _aliased_frame(seed)
    kwds = {"groups": frame["cl"].to_numpy()} if cov_type == "cluster" else None
    with pytest.warns(ts.CollinearityWarning):
        res = ts.ols("y ~ x1 + x2 + x4 + x3", frame).fit(cov_type=cov_type, cov_kwds=kwds)
    with pytest.warns(ts.CollinearityWarning, match=r"row\(s\) 0 have no variance"):
        test = res.t_test("x1 - x2 - x4 = 0, x3 = 0")
    assert np.isnan(test.tvalue[0]) and np.isnan(test.pvalue[0])
    assert np.isfinite(test.pvalue[1])  # the identified row is tested as before
    for joint in ("x1 - x2 - x4 = 0", "x1 - x2 - x4 = 0, x3 = 0"):
        with pytest.raises(ConstraintError, match="no variance in this fit"):
            res.f_test(joint)
    full = ts.ols("y ~ x1 + x2 + x3", frame).fit(cov_type=cov_type, cov_kwds=kwds)
    np.testing.assert_allclose(  # an identified combination keeps the full-rank fit's test
        res.t_test("x1 + x4 = 0").pvalue, full.t_test("x1 = 0").pvalue, rtol=1e-8
    )


def test_constraints_without_variance_are_refused():
    frame = _aliased_frame(0)
    res = ts.ols("y ~ x1 + x3", frame).fit()
    with pytest.raises(ConstraintError, match="no variance"):
        res.f_test((np.zeros((1, 3)), np.ones(1)))


@pytest.mark.parametrize("scale", [1e200, 1e160, 1e-160, 1e-200])
@pytest.mark.parametrize("typ", [1, 2, 3])
def test_anova_in_extreme_units(scale, typ):
    """anova_lm of a regressor in units of 1e160 gave sum_sq = F = inf and p = 0 (types 2 and
    3; 1e200: ZeroDivisionError; 1e-160: ConstraintError), a Cholesky error (type 1) or
    2.4e-6 relative errors (type 1 at 1e-160), while f_test was right."""
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["g"] = rng.choice(list("abc"), n)
    frame["y"] = 1 + frame.x1 + 0.5 * frame.x2 + (frame.g == "b") * 0.7 + rng.normal(size=n)
    formula = "y ~ x1 * C(g) + x2"
    expected = ts.anova_lm(ts.ols(formula, frame).fit(), typ=typ)
    found = ts.anova_lm(ts.ols(formula, frame.assign(x1=frame.x1 * scale)).fit(), typ=typ)
    np.testing.assert_allclose(found.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_contrast_results_have_statsmodels_dist_attributes():
    """dist, dist_args and c_names were missing (AttributeError)."""
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=60), "x2": rng.normal(size=60)})
    frame["y"] = 1 + frame["x1"] + rng.normal(size=60)
    ours = ts.ols("y ~ x1 + x2", frame).fit()
    theirs = smf.ols("y ~ x1 + x2", frame).fit()
    for call in (
        lambda r: r.f_test("x1 = 0"),
        lambda r: r.t_test("x1 = 0"),
        lambda r: r.wald_test("x1 = 0, x2 = 0", use_f=False, scalar=True),
    ):
        found, expected = call(ours), call(theirs)
        assert found.dist is expected.dist
        assert found.dist_args == pytest.approx(expected.dist_args)
        assert found.c_names == expected.c_names


def test_tests_involve_only_the_parameters_they_name():
    """An L1 fit's trimmed coefficients have NaN variances: t_test of an untrimmed one gave
    NaN and wald_test raised (0 * NaN in R V R'); statsmodels tests them."""
    import statsmodels.api as sm

    rng = np.random.default_rng(6)
    X = sm.add_constant(rng.normal(size=(300, 3)))
    y = rng.binomial(1, 1 / (1 + np.exp(-(0.2 + X[:, 1] - 0.5 * X[:, 3]))))
    ours = ts.Logit(y, X).fit_regularized(alpha=8.0, disp=0)
    theirs = sm.Logit(y, X).fit_regularized(alpha=8.0, disp=0)
    assert list(ours.trimmed) == [True, False, True, False]
    single = ours.t_test("x1 = 0")
    np.testing.assert_allclose(single.sd, np.asarray(ours.bse)[1], rtol=1e-14)
    np.testing.assert_allclose(single.pvalue, np.asarray(ours.pvalues)[1], rtol=1e-12)
    joint, reference = ours.wald_test("x1 = 0, x3 = 0"), theirs.wald_test("x1 = 0, x3 = 0")
    b, V = np.asarray(ours.params)[[1, 3]], np.asarray(ours.cov_params())[np.ix_([1, 3], [1, 3])]
    np.testing.assert_allclose(joint.statistic, b @ np.linalg.solve(V, b), rtol=1e-12)
    # statsmodels stops its SLSQP ~1e-6 short of the optimum (relative)
    np.testing.assert_allclose(joint.statistic, reference.statistic, rtol=1e-5)
    np.testing.assert_allclose(
        ours.f_test("x1 = x3").fvalue, theirs.f_test("x1 = x3").fvalue, rtol=1e-5
    )
    assert np.isnan(ours.t_test("x2 = 0").sd).all()  # a trimmed one has no variance
