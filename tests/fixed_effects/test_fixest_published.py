"""torchstats against the numbers R fixest printed in its own documentation.

R fixest cannot be run here, so these tests use the output fixest's authors rendered and
committed: the vignettes ``fixest_walkthrough`` and ``standard_errors`` and the examples of
``feols``, ``feglm`` and ``summary.fixest`` (fixest 0.12, built 2025-04-18), on fixest's own
data sets ``trade`` and ``base_did`` (``tests/data/fixest/*.csv.gz``, written from fixest's
``.RData`` files by ``make_fixtures.py``), R's ``iris`` (``iris.csv``, from R's sources by
``make_iris.py``) and plm's ``Grunfeld`` data; plus the one hard-coded fixest-style constant
in pyfixest's tests. ``tests/data/fixest/published.json`` holds every printed number with
the line it was read from (repository, path, commit); ``make_published.py`` wrote it and
checks each line against its page.

Each number must be reproduced to the precision it was printed: within half a unit of its
last printed digit. The values that differ are marked ``xfail(strict=True)`` with their cause
(``KNOWN_DIFFERENCES``; a change that makes them agree is noticed):

- the standard errors of fixest's Poisson fits in which fixest's last IRLS step was not
  negligible: fixest forms the covariance with the weights of its last iteration, which are
  computed from the means of the iteration before, and it starts at R's
  ``poisson()$initialize`` means ``y + 0.1`` where torchstats starts at pyfixest's
  ``(y + mean(y)) / 2``; the printed values then differ by up to 7e-5 relative.
  :func:`test_poisson_from_fixests_start` runs torchstats' IRLS from fixest's start and
  reproduces every one of these numbers to its printed digits;
- fixest's hetero covariance with ``ssc(adj = FALSE)``, which keeps an ``n / (n - 1)``
  (:func:`test_hetero_without_adj_differs_by_n_over_n_minus_1`);
- fixest's negative-binomial over-dispersion ``theta``.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

import torchstats as ts
from torchstats.errors import CollinearityWarning

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixest"
PUBLISHED: dict[str, Any] = json.loads((FIXTURES / "published.json").read_text())
CASES: dict[str, dict[str, Any]] = {case["name"]: case for case in PUBLISHED["cases"]}

FIXEST_START = (
    "fixest forms the Poisson covariance with the weights of its last IRLS iteration (the "
    "means of the iteration before) and starts at R's poisson()$initialize means y + 0.1; "
    "here its last step was not negligible, so its printed value is that of its own "
    "iteration path (reproduced from fixest's start in test_poisson_from_fixests_start)"
)
HETERO_ADJ = (
    "fixest's heteroskedasticity-robust covariance keeps cluster.adj's n / (n - 1) (every row "
    "its own cluster; vcov_hetero_internal in R/VCOV.R) when ssc(adj = FALSE); torchstats, "
    "as pyfixest 0.60, ties the hetero correction to k_adj alone (n / (n - K), or 1 with "
    "k_adj=False); test_hetero_without_adj_differs_by_n_over_n_minus_1 checks the rest"
)
COMPACT_ROUNDING = (
    "summary(..., 'compact') rounds twice, to 3 significant digits and then to the column's "
    "decimals: 0.08148 prints 0.082 (via 0.0815), 0.07555 prints 0.075 (via 0.0755); "
    "test_compact_summary_rounds_twice reproduces every printed string of the table"
)
KNOWN_DIFFERENCES: dict[tuple[str, str, str], str] = {
    **{
        (name, stat, term): FIXEST_START
        for name in ("trade_poisson_nofe_twoway", "trade_poisson_nofe_product")
        for stat in ("bse", "tvalues")
        for term in ("Intercept", "np.log(dist_km)")
    },
    ("trade_poisson_nofe_twoway", "pvalues", "np.log(dist_km)"): FIXEST_START,
    **{
        ("trade_poisson_3fe_dest_x_product", stat, "np.log(dist_km)"): FIXEST_START
        for stat in ("bse", "tvalues")
    },
    **{("base_did_id_hetero_noadj", stat, "x1"): HETERO_ADJ for stat in ("bse", "tvalues")},
    ("trade_negbin_4fe_twoway", "theta", ""): (
        "fenegbin maximises over theta with its default tolerances (fixef.tol = 1e-5, "
        "deriv.tol = 1e-4); torchstats' theta = 1 / alpha is the exact maximum (profile "
        "score zero; alpha is tested against statsmodels' NegativeBinomial), 0.548788 "
        "against fixest's 0.54877 (3.3e-5 relative), while the log-likelihood agrees with "
        "fixest's printed BIC to its 0.1"
    ),
}
# values of one model of a multiple estimation: (case, model, stat, term)
KNOWN_FIT_DIFFERENCES: dict[tuple[str, str, str, str], str] = {
    ("iris_multiple_nofe", "y1 ~ x1 + x2 + I(x2**2)", "bse", "x1"): COMPACT_ROUNDING,
    ("iris_multiple_species", "y2 ~ x1 + x2 + I(x2**2) | species", "bse", "x1"): COMPACT_ROUNDING,
}


# --- data and fits --------------------------------------------------------------------------


@functools.cache
def dataset(name: str) -> pd.DataFrame:
    """The data set of a case (see ``make_published.py``)."""
    if name == "trade":
        data = pd.read_csv(FIXTURES / "trade.csv.gz")
        # fixest's "vcov = ~Destination^Product", as one column
        data["Destination_x_Product"] = data["Destination"] + "^" + data["Product"].astype(str)
        return data
    if name == "base_did":
        data = pd.read_csv(FIXTURES / "base_did.csv.gz")
        for period in sorted(set(data["period"]) - {5}):  # fixest's i(period, treat, 5)
            data[f"treat_x_period_{period}"] = data["treat"] * (data["period"] == period)
        return data
    if name == "iris":
        data = pd.read_csv(FIXTURES / "iris.csv")
        data.columns = [column.replace(".", "_") for column in data.columns]
        # the effects fixest's examples add: rep(1:10, 15) and rep(letters[1:5], 30)
        data["fe_2"] = np.tile(np.arange(1, 11), 15)
        data["fe2"] = np.tile(list("abcde"), 30)
        data["Species_x_fe_2"] = data["Species"] + "_" + data["fe_2"].astype(str)
        data["Species_x_fe2"] = data["Species"] + "_" + data["fe2"]
        return data
    if name == "iris_multiple":  # the multiple-estimations vignette's names
        data = pd.read_csv(FIXTURES / "iris.csv")
        data.columns = ["y1", "y2", "x1", "x2", "species"]
        return data
    if name == "grunfeld":
        import statsmodels.api as sm

        # plm's Grunfeld (the data of fixest's standard-errors vignette) is the 11-firm
        # original without American Steel
        data = sm.datasets.grunfeld.load_pandas().data
        return data[data["firm"] != "American Steel"].reset_index(drop=True)
    if name == "pyfixest":
        import pyfixest as pf

        return pf.get_data()
    raise AssertionError(f"unknown data set {name!r}")


@functools.cache
def model(data: str, kind: str, formula: str) -> Any:
    """The torchstats model of a case (one per data set, model and formula)."""
    builder: dict[str, Callable[..., Any]] = {
        "ols": ts.ols,
        "poisson": ts.poisson,
        "negativebinomial": ts.negativebinomial,
    }
    if "+ f1 | f1 |" not in formula:
        return builder[kind](formula, dataset(data))
    # pyfixest's case: the regressor f1 is collinear with the effect f1 (as in fixest, dropped)
    with pytest.warns(CollinearityWarning, match="f1"):
        return builder[kind](formula, dataset(data))


@functools.cache
def default_fit(data: str, kind: str, formula: str) -> Any:
    """The model fitted once (iid); other covariances are new results from ``vcov``."""
    return model(data, kind, formula).fit()


@functools.cache
def results(name: str) -> Any:
    """The fit of a case with its covariance and small-sample correction."""
    case = CASES[name]
    fit = default_fit(case["data"], case["model"], case["formula"])
    return fit.vcov(case.get("vcov", "iid"), case.get("ssc"))


# --- reading printed numbers --------------------------------------------------------------


def printed_number(text: str) -> float:
    """The number as printed (thousands separators removed)."""
    return float(text.replace(",", ""))


def half_unit(text: str) -> float:
    """Half a unit in the last printed digit of ``text`` ("0.0481", "1.93e-6", "1,293,786.1")."""
    mantissa, _, exponent = text.replace(",", "").lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def test_half_unit_reads_the_printed_precision() -> None:
    assert half_unit("0.0481") == pytest.approx(5e-5)
    assert half_unit("1.93e-6") == pytest.approx(5e-9)
    assert half_unit("-7.025e+11") == pytest.approx(5e7)
    assert half_unit("1,293,786.1") == pytest.approx(0.05)
    assert half_unit("21.818") == pytest.approx(5e-4)
    assert printed_number("1,293,786.1") == 1293786.1


# --- the values ------------------------------------------------------------------------------


@functools.cache
def effects_as_fixest(name: str) -> dict[str, pd.Series]:
    """A case's effects, with fixest's reference levels.

    Only the sum of the effects is identified. Both libraries leave the first effect free and
    set one level of each other effect to 0: torchstats the first level in sorted order,
    fixest the first level in the order of the data (``fixef_reference``; the ``trade`` data
    start with Destination ``LU``). The reference's value moves to the first effect, leaving
    every sum unchanged.
    """
    effects = {term: values.copy() for term, values in results(name).fixef().items()}
    first = next(iter(effects))
    for term, level in CASES[name].get("fixef_reference", {}).items():
        shift = float(effects[term][level])
        effects[term] -= shift
        effects[first] += shift
    return effects


@functools.cache
def multiple_results(name: str) -> Any:
    """A case of several estimations in one call (responses, ``csw``, ``fsplit``)."""
    case = CASES[name]
    fit: Any = ts.ols(case["formula"], dataset(case["data"]), fsplit=case["fsplit"])
    return fit.fit(vcov=case["vcov"]).all_fitted_models


def computed(name: str, value: dict[str, Any]) -> float:
    """torchstats' number for a published value."""
    res = multiple_results(name)[value["fit"]] if "fit" in value else results(name)
    stat, term = value["stat"], value["term"]
    if stat in ("params", "bse", "tvalues", "pvalues"):
        return float(getattr(res, stat)[term])
    if stat == "fixef":
        effect, _, level = term.partition(":")
        values = effects_as_fixest(name)[effect]
        # fixest labels a level of f1^f2 "a_b"
        labels = [
            "_".join(map(str, key)) if isinstance(key, tuple) else str(key) for key in values.index
        ]
        return float(values.to_numpy()[labels.index(level)])
    if stat == "theta":
        return 1.0 / float(res.model.family.alpha)
    if stat == "bic":
        return -2.0 * float(res.llf) + CASES[name]["bic_k"] * math.log(float(res.nobs))
    return float(getattr(res, stat))


def published_params(select: Any = None) -> list[Any]:
    """One pytest parameter per published value (known differences marked)."""
    params = []
    for case in CASES.values():
        for value in case["values"]:
            if select is not None and not select(case, value):
                continue
            key = (case["name"], value["stat"], value["term"])
            reason = KNOWN_DIFFERENCES.get(key) if "fit" not in value else None
            if "fit" in value:
                reason = KNOWN_FIT_DIFFERENCES.get(
                    (case["name"], value["fit"], value["stat"], value["term"])
                )
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            fit = f"{value['fit']}-" if "fit" in value else ""
            ident = f"{case['name']}-{fit}{value['stat']}-{value['term'] or 'model'}"
            params.append(pytest.param(case["name"], value, id=ident, marks=marks))
    return params


@pytest.mark.parametrize(("name", "value"), published_params())
def test_published_value(name: str, value: dict[str, Any]) -> None:
    """torchstats' fit reproduces the printed number to its last digit."""
    case = CASES[name]
    got = computed(name, value)
    expected = printed_number(value["printed"])
    assert abs(got - expected) <= half_unit(value["printed"]), (
        f"{name}: {value['stat']}[{value['term']}] = {got!r}, fixest printed "
        f"{value['printed']} ({case['r_call']}; {value['source']['line'].strip()})"
    )


@functools.cache
def iterations_from_fixests_start(data: str, kind: str, formula: str) -> Any:
    """torchstats' IRLS from fixest's start, R's ``poisson()$initialize``: ``mu = y + 0.1``."""
    poisson = model(data, kind, formula)
    return poisson.iterate(start=poisson.design.endog + 0.1)


@functools.cache
def from_fixests_start(name: str) -> dict[str, pd.Series]:
    """A Poisson case's estimates and statistics from fixest's start."""
    case = CASES[name]
    poisson = model(case["data"], case["model"], case["formula"])
    iterations = iterations_from_fixests_start(case["data"], case["model"], case["formula"])
    covariance = poisson.glm_covariance(iterations, case.get("vcov", "iid"), case.get("ssc"))
    names = default_fit(case["data"], case["model"], case["formula"]).params.index
    params = iterations.params.cpu().numpy()
    bse = torch.sqrt(torch.diagonal(covariance.cov)).cpu().numpy()
    z = params / bse
    return {
        "params": pd.Series(params, index=names),
        "bse": pd.Series(bse, index=names),
        "tvalues": pd.Series(z, index=names),
        "pvalues": pd.Series(2 * stats.norm.sf(np.abs(z)), index=names),
    }


# The Poisson fits whose printed standard errors depend on fixest's iteration path: every
# value published for them is checked from fixest's start (two more IRLS fits).
START_SENSITIVE = {
    CASES[name]["formula"]
    for name, stat, _ in KNOWN_DIFFERENCES
    if stat != "theta"
    if CASES[name]["model"] == "poisson"
}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param(p.values[0], p.values[1], id=p.id)
        for p in published_params(
            lambda case, value: (
                case["formula"] in START_SENSITIVE
                and value["stat"] in ("params", "bse", "tvalues", "pvalues")
            )
        )
    ],
)
def test_poisson_from_fixests_start(name: str, value: dict[str, Any]) -> None:
    """Started where fixest starts, torchstats' Poisson IRLS and fixest's covariances give
    every printed coefficient, standard error, z and p-value, the known differences of
    :func:`test_published_value` included: those are fixest's iteration path, not its
    covariance."""
    got = float(from_fixests_start(name)[value["stat"]][value["term"]])
    assert abs(got - printed_number(value["printed"])) <= half_unit(value["printed"]), (
        f"{name}: {value['stat']}[{value['term']}] = {got!r}, fixest printed {value['printed']}"
    )


def test_hetero_without_adj_differs_by_n_over_n_minus_1() -> None:
    """fixest's ``hetero ~ ssc(adj = FALSE)`` is torchstats' ``ssc={"k_adj": False}`` times
    fixest's ``n / (n - 1)`` (see ``HETERO_ADJ``), to the printed digits."""
    name = "base_did_id_hetero_noadj"
    res = results(name)
    n = float(res.nobs)
    bse = float(res.bse["x1"]) * math.sqrt(n / (n - 1))
    printed = {value["stat"]: value["printed"] for value in CASES[name]["values"]}
    assert abs(bse - printed_number(printed["bse"])) <= half_unit(printed["bse"])
    tvalue = float(res.params["x1"]) / bse
    assert abs(tvalue - printed_number(printed["tvalues"])) <= half_unit(printed["tvalues"])
    assert float(res.bse["x1"]) < printed_number(printed["bse"]) - half_unit(printed["bse"])


def test_varying_slopes_count_as_parameters_without_references() -> None:
    """``f[x]`` adds one parameter per level (no reference level, never nested in a cluster):
    the iid standard errors and residual degrees of freedom are those of the regression on
    the interacted dummies (as fixest's published ``fe1[x2]`` examples above)."""
    data = dataset("iris")
    slopes: Any = ts.ols("Sepal_Length ~ Petal_Length | Species[Sepal_Width]", data).fit()
    dummies = ts.ols(
        "Sepal_Length ~ Petal_Length + C(Species) + C(Species):Sepal_Width - 1", data
    ).fit()
    assert slopes.df_resid == dummies.df_resid
    np.testing.assert_allclose(slopes.bse["Petal_Length"], dummies.bse["Petal_Length"], rtol=1e-10)
    full = slopes.vcov({"CRV1": "Species"}, {"k_fixef": "full"}).bse["Petal_Length"]
    nested = slopes.vcov({"CRV1": "Species"}).bse["Petal_Length"]
    n, k_full = float(slopes.nobs), 1 + 3 + 3
    # nested: Species' 3 levels leave K (one stays), the 3 slopes do not: K = 1 + 1 + 3
    np.testing.assert_allclose(nested / full, np.sqrt((n - k_full) / (n - 5)), rtol=1e-12)


def test_split_samples_are_fitted_on_their_own_rows() -> None:
    """Each sample of ``split=``/``fsplit=`` is its own fit (the vignette's table caught the
    samples sharing the first sample's demeaned columns)."""
    data = dataset("iris_multiple")
    fits: Any = ts.ols("y1 ~ x1 + x2 | species", data, split="species").fit()
    for level, rows in data.groupby("species"):
        alone = ts.ols("y1 ~ x1 + x2 | species", rows).fit()
        split = fits.all_fitted_models[f"y1 ~ x1 + x2 | species; sample: species={level}"]
        np.testing.assert_allclose(split.params, alone.params, rtol=1e-12)


@pytest.mark.parametrize("name", ["iris_multiple_nofe", "iris_multiple_species"])
def test_compact_summary_rounds_twice(name: str) -> None:
    """Every estimate and standard error of the vignette's 32 estimations, printed as fixest's
    compact summary prints them (3 significant digits, then the column's decimals)."""
    for value in CASES[name]["values"]:
        decimals = len(value["printed"].partition(".")[2])
        got = computed(name, value)
        assert f"{float(f'{got:.3g}'):.{decimals}f}" == value["printed"], (value["fit"], value)


def test_every_case_has_values_and_a_source() -> None:
    """The fixture is complete: every value names its repository, file, commit and line."""
    assert len(CASES) == len(PUBLISHED["cases"])
    for case in CASES.values():
        assert case["values"], case["name"]
        for value in case["values"]:
            source = value["source"]
            assert set(source) == {"repo", "path", "commit", "line"}
            assert len(source["commit"]) == 40
            assert value["printed"] in source["line"]
    known = {(c["name"], v["stat"], v["term"]) for c in CASES.values() for v in c["values"]}
    assert set(KNOWN_DIFFERENCES) <= known
    fits = {
        (c["name"], v["fit"], v["stat"], v["term"])
        for c in CASES.values()
        for v in c["values"]
        if "fit" in v
    }
    assert set(KNOWN_FIT_DIFFERENCES) <= fits
