"""ts.etable: pyfixest's regression table, from torchstats and statsmodels results.

Three oracles: pyfixest's ``etable(type="df")`` on pyfixest ``feols`` fits of the same
formulas (the numbers torchstats computes equal pyfixest's to every digit shown), maketables'
``ETable`` (which pyfixest's etable calls) on statsmodels results of GLM, Logit and Poisson
models, and ts.etable itself on statsmodels' results of the same fits (the same text,
HTML, LaTeX, Markdown and frame from either library's results).
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import maketables
import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch
from maketables.etable import _relabel_expvar, _select_order_coefs

import torchstats as ts
from tests.conftest import DEVICES, make_frame
from torchstats.errors import InvalidOptionError, SpecificationWarning
from torchstats.summary import HasFixedEffects, RegressionTable
from torchstats.summary.coefficient_names import relabel_coefficient, select_coefficients

# pyfixest 0.60 on pandas 3 warns of its own use of ``inplace=`` (not torchstats' concern)
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")

# pyfixest computes robust p-values from the t distribution: use_t=True asks the same.
SEEDS = [1234, 7, 99]
FORMULAS = ["Y ~ X1 + X2", "Y ~ X1 * X2 + C(f1)", "Y2 ~ X1 + np.log(X2 + 10)"]
# (pyfixest vcov, torchstats fit options given the data)
VCOVS = {
    "iid": ("iid", lambda d: {}),
    "hetero": ("hetero", lambda d: {"cov_type": "HC1", "use_t": True}),
    "CRV1": (
        {"CRV1": "f2"},
        lambda d: {"cov_type": "cluster", "cov_kwds": {"groups": d["f2"]}, "use_t": True},
    ),
}
STATS = ["N", "r2", "adj_r2"]


@pytest.fixture(params=SEEDS, scope="module", ids=lambda s: f"seed{s}")
def pyfixest_data(request: pytest.FixtureRequest) -> pd.DataFrame:
    data = pf.get_data(seed=request.param)
    return data.dropna(subset=["Y", "Y2", "X1", "X2", "f1", "f2"]).reset_index(drop=True)


def _fits(data: pd.DataFrame, vcov: str) -> tuple[list[Any], list[Any]]:
    pyfixest_vcov, options = VCOVS[vcov]
    ours = [ts.ols(f, data).fit(**options(data)) for f in FORMULAS]
    theirs = [pf.feols(f, data, vcov=pyfixest_vcov) for f in FORMULAS]
    return ours, theirs


def assert_same_cells(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Same rows (pyfixest orders coefficients by the formula, torchstats as statsmodels)."""
    assert sorted(ours.index) == sorted(theirs.index)
    assert list(ours.columns) == list(theirs.columns)
    aligned = theirs.loc[ours.index].astype(str)
    for label, row in ours.astype(str).iterrows():
        assert list(row) == list(aligned.loc[label]), label


PYFIXEST_OPTIONS: list[dict[str, Any]] = [
    {},
    {"coef_fmt": "b:.6f* (se:.6f) [p:.4f]"},
    {"coef_fmt": "b:.4e \n t:.3f* \n p:.3f", "signif_code": [0.01, 0.05, 0.1]},
    {"keep": ["X2", "X1"], "drop": "f1"},
    {"keep": "X1", "exact_match": True, "labels": {"X1": "treatment", "Y": "outcome"}},
    {"labels": {"X2": "dose", "f1": "site"}, "cat_template": "{variable}::{value}"},
    {"cat_template": "", "model_heads": ["a", "b", "b"], "head_order": "hd"},
    {"model_heads": ["a", "b", "c"], "head_order": "h"},
    {"head_order": ""},
]


@pytest.mark.parametrize("vcov", list(VCOVS))
def test_frame_equals_pyfixest(pyfixest_data, vcov) -> None:
    ours, theirs = _fits(pyfixest_data, vcov)
    expected = pf.etable(theirs, type="df", model_stats=STATS)
    assert_same_cells(ts.etable(ours, type="df", model_stats=STATS), expected)


@pytest.mark.parametrize("options", PYFIXEST_OPTIONS, ids=lambda o: ",".join(o) or "defaults")
def test_options_equal_pyfixest(pyfixest_data, options) -> None:
    ours, theirs = _fits(pyfixest_data, "hetero")
    expected = pf.etable(theirs, type="df", model_stats=STATS, **options)
    assert_same_cells(ts.etable(ours, type="df", model_stats=STATS, **options), expected)


def test_custom_statistics_equal_pyfixest(pyfixest_data) -> None:
    ours, theirs = _fits(pyfixest_data, "iid")
    # one made-up value per coefficient, in each library's own coefficient order
    custom_ours = {"w": [list(range(len(r.params))) for r in ours]}
    order = [list(r.params.index) for r in ours]
    custom_theirs = {
        "w": [[o.index(name) for name in r.coef().index] for r, o in zip(theirs, order)]
    }
    rows = {"Controls": ["no", "yes", "no"], "Mean": [1.5, 2.0, 1234.5]}
    ours_frame = ts.etable(
        ours,
        type="df",
        model_stats=STATS,
        coef_fmt="b:.3f {w:d}",
        custom_stats=custom_ours,
        custom_model_stats=rows,
    )
    theirs_frame = pf.etable(
        theirs,
        type="df",
        model_stats=STATS,
        coef_fmt="b:.3f {w:d}",
        custom_stats=custom_theirs,
        custom_model_stats={"Controls": rows["Controls"]},
    )
    assert_same_cells(ours_frame.drop(index=[("stats", "Mean")]), theirs_frame)
    assert list(ours_frame.loc[("stats", "Mean")]) == ["1.500", "2", "1,234.50"]


def test_digits_sets_every_unformatted_token(pyfixest_data) -> None:
    ours, theirs = _fits(pyfixest_data, "iid")
    expected = pf.etable(theirs, type="df", model_stats=STATS, coef_fmt="b:.5f* \n (se:.5f)")
    assert_same_cells(ts.etable(ours, type="df", model_stats=STATS, digits=5), expected)
    expected = pf.etable(theirs, type="df", model_stats=STATS, coef_fmt="b:.2f [t:.2f]")
    ours_frame = ts.etable(ours, type="df", model_stats=STATS, coef_fmt="b [t]", digits=2)
    assert_same_cells(ours_frame, expected)


# --- statsmodels results: maketables' ETable and torchstats' own ----------------------------


def _frame(seed: int) -> pd.DataFrame:
    frame = make_frame(seed)
    rng = np.random.default_rng(seed)
    frame["yb"] = (frame["y"] > frame["y"].median()).astype(float)
    frame["yc"] = rng.poisson(np.exp(0.2 + 0.3 * frame["x1"]))
    return frame


LIKELIHOOD_MODELS = {
    "ols": (
        lambda d: ts.ols("y ~ x1 + C(g)", d).fit(),
        lambda d: smf.ols("y ~ x1 + C(g)", d).fit(),
    ),
    "wls": (
        lambda d: ts.wls("y ~ x1 + x3", d, weights=d["w"]).fit(cov_type="HC3"),
        lambda d: smf.wls("y ~ x1 + x3", d, weights=d["w"]).fit(cov_type="HC3"),
    ),
    "glm": (
        lambda d: ts.glm("yc ~ x1 + C(h)", d, family=ts.families.Poisson()).fit(),
        lambda d: smf.glm("yc ~ x1 + C(h)", d, family=sm.families.Poisson()).fit(),
    ),
    "logit": (
        lambda d: ts.logit("yb ~ x1 + x3:x1", d).fit(disp=0),
        lambda d: smf.logit("yb ~ x1 + x3:x1", d).fit(disp=0),
    ),
    "poisson": (
        lambda d: ts.poisson("yc ~ x1 + C(g)", d).fit(disp=0),
        lambda d: smf.poisson("yc ~ x1 + C(g)", d).fit(disp=0),
    ),
}


@pytest.fixture(params=[0, 5], scope="module", ids=lambda s: f"seed{s}")
def fits(request: pytest.FixtureRequest) -> tuple[list[Any], list[Any]]:
    data = _frame(request.param)
    ours = [fit(data) for fit, _ in LIKELIHOOD_MODELS.values()]
    theirs = [fit(data) for _, fit in LIKELIHOOD_MODELS.values()]
    return ours, theirs


MAKETABLES_STATS = ["N", "se_type", "r2", "adj_r2", "pseudo_r2", "ll", "aic", "bic", "df_resid"]


def test_statsmodels_results_equal_maketables(fits) -> None:
    _, theirs = fits
    options = {"model_stats": MAKETABLES_STATS, "signif_code": [0.01, 0.05, 0.1]}
    expected = maketables.ETable(theirs, labels={}, **options).df
    ours = ts.etable(theirs, type="df", **options)
    assert_same_cells(ours, expected)
    assert list(ours.index) == list(expected.index)


MAKETABLES_OPTIONS: list[dict[str, Any]] = [
    {"model_heads": [["A", "A", "B", "B", "B"], ["ls", "ls", "glm", "ml", "ml"]]},
    {"model_heads": [["A", "A", "B", "B", "B"], ["", "", "", "", ""]], "head_order": "hd"},
    {"custom_model_stats": {"Sample": ["all"] * 5}, "model_stats": ["N", "ll"]},
    {"keep": ["x3", "x1"], "drop": ":", "labels": {"x1": "dose", "yc": "count"}},
    {"coef_fmt": "b:.2e (p:.3f*)", "signif_code": [0.02, 0.2, 0.5]},
]


@pytest.mark.parametrize("options", MAKETABLES_OPTIONS, ids=lambda o: ",".join(o))
def test_options_equal_maketables(fits, options) -> None:
    ours, theirs = fits
    options = {"model_stats": MAKETABLES_STATS, "signif_code": [0.01, 0.05, 0.1], **options}
    expected = maketables.ETable(theirs, **{"labels": {}, **options}).df
    assert_same_cells(ts.etable(ours, type="df", **options), expected)


def test_torchstats_results_equal_maketables_on_statsmodels(fits) -> None:
    ours, theirs = fits
    options = {
        "model_stats": MAKETABLES_STATS,
        "coef_fmt": "b:.6f* \n (se:.6f) \n [ci95l:.4f, ci95u:.4f]",
        "signif_code": [0.01, 0.05, 0.1],
    }
    expected = maketables.ETable(theirs, labels={}, **options).df
    assert_same_cells(ts.etable(ours, type="df", **options), expected)


@pytest.mark.parametrize("output", ["df", "md", "tex", "html", "text"])
def test_same_table_from_either_library(fits, output) -> None:
    ours, theirs = fits
    options = {"model_heads": ["LS", "LS", "GLM", "ML", "ML"], "keep": ["x", "Intercept"]}
    mine = ts.etable(ours, type=output, **options)
    reference = ts.etable(theirs, type=output, **options)
    if output == "df":
        pd.testing.assert_frame_equal(mine, reference)
    else:
        assert mine == reference


def test_no_stars_with_an_empty_signif_code(fits) -> None:
    """``signif_code=[]`` turns the stars off (maketables documents it but rejects it)."""
    ours, _ = fits
    starred = ts.etable(ours, type="df", signif_code=[0.5, 0.9, 0.99])
    assert (
        starred.loc["coef"].apply(lambda column: column.str.contains("*", regex=False)).any().any()
    )
    plain = ts.etable(ours, type="df", signif_code=[], notes="")
    assert not plain.map(lambda cell: "*" in cell).any().any()
    expected = ts.etable(ours, type="df", coef_fmt="b:.3f \n (se:.3f)")
    pd.testing.assert_frame_equal(plain, expected)
    assert "Significance" not in ts.etable(ours, signif_code=[]).notes


def test_default_statistics(fits) -> None:
    ours, _ = fits
    frame = ts.etable(ours, type="df")
    labels = [label for panel, label in frame.index if panel == "stats"]
    assert labels == ["Observations", "S.E. type", "R²", "Adj. R²", "Pseudo R²"]
    assert list(frame.loc[("stats", "S.E. type")]) == [r.cov_type for r in ours]
    assert list(frame.loc[("stats", "Pseudo R²")])[:3] == ["-", "-", "-"]
    only_ols = ts.etable(ours[:2], type="df")
    assert "Pseudo R²" not in only_ols.index.get_level_values(1)


# --- fixed effects: results exposing fixef_names -------------------------------------------


@dataclass
class _WithFixedEffects:
    """Results of a fixed-effects model as etable reads them: statsmodels' names plus
    ``fixef_names`` (a stand-in until torchstats' fixed-effects results exist)."""

    inner: Any
    fixef_names: tuple[str, ...]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_fixed_effects_rows(fits) -> None:
    ours, _ = fits
    models = [
        ours[0],
        _WithFixedEffects(ours[0], ("year", "firm")),
        _WithFixedEffects(ours[1], ("firm",)),
    ]
    assert isinstance(models[1], HasFixedEffects)
    assert not isinstance(ours[0], HasFixedEffects)
    frame = ts.etable(models, type="df")
    fe = frame.loc["fe"]
    assert list(fe.index) == ["firm", "year"]  # sorted, as pyfixest
    assert fe.values.tolist() == [["-", "x", "x"], ["-", "x", "-"]]
    relabelled = ts.etable(
        models,
        type="df",
        felabels={"firm": "Firm FE"},
        labels={"year": "Year"},
        fe_present="Yes",
        fe_absent="No",
    ).loc["fe"]
    assert list(relabelled.index) == ["Firm FE", "Year"]
    assert relabelled.values.tolist() == [["No", "Yes", "Yes"], ["No", "Yes", "No"]]
    assert "fe" not in ts.etable(models, type="df", show_fe=False).index.get_level_values(0)
    assert "fe" not in ts.etable(ours, type="df").index.get_level_values(0)
    text = ts.etable(models, type="text")
    assert any(line.split() == ["firm", "-", "x", "x"] for line in text.splitlines())


FIXED_EFFECTS_FORMULAS = [
    "Y ~ X1 + X2",
    "Y ~ X1 + X2 | f1",
    "Y ~ X1 + X2 | f1 + f2",
    "Y2 ~ X1 | f2",
]


@pytest.mark.parametrize("vcov", ["iid", "hetero", "CRV1"])
def test_fixed_effects_results_equal_pyfixest(pyfixest_data, vcov) -> None:
    """torchstats' absorbed fixed effects (``y ~ x | f``) tabulated as pyfixest's feols.

    pyfixest 0.60 marks the fixed effects of the two-way model ``-``: maketables splits
    its ``"f1 + f2"`` at ``"+"`` without stripping the spaces, so that model's markers are
    checked to be ``x`` rather than compared.
    """
    pyfixest_vcov, options = VCOVS[vcov]
    ours = [
        ts.ols(f, pyfixest_data).fit(vcov=pyfixest_vcov)
        if "|" in f
        else ts.ols(f, pyfixest_data).fit(**options(pyfixest_data))
        for f in FIXED_EFFECTS_FORMULAS
    ]
    theirs = [pf.feols(f, pyfixest_data, vcov=pyfixest_vcov) for f in FIXED_EFFECTS_FORMULAS]
    table_options = {"model_stats": STATS, "coef_fmt": "b:.6f* (se:.6f) [t:.4f]"}
    expected = pf.etable(theirs, type="df", **table_options)
    frame = ts.etable(ours, type="df", **table_options)
    two_way = 2
    keep = [j for j in range(len(ours)) if j != two_way]
    assert_same_cells(frame.iloc[:, keep], expected.iloc[:, keep])
    assert_same_cells(
        frame.drop(index="fe").iloc[:, [two_way]], expected.drop(index="fe").iloc[:, [two_way]]
    )
    assert list(frame.loc["fe"].iloc[:, two_way]) == ["x", "x"]
    # the covariance row of the fixed-effects models, in pyfixest's words ("by: f2"...)
    se_type = ("stats", "S.E. type")
    ours_type = ts.etable(ours, type="df", model_stats=["se_type"]).loc[se_type]
    expected_type = pf.etable(theirs, type="df", model_stats=["se_type"]).loc[se_type]
    assert list(ours_type)[1:] == list(expected_type)[1:]


# --- rendering -------------------------------------------------------------------------------


def test_default_object_displays(fits) -> None:
    ours, _ = fits
    table = ts.etable(ours, model_heads=["a", "a", "b", "c", "c"])
    assert isinstance(table, RegressionTable)
    assert (
        str(table)
        == repr(table)
        == table.as_text()
        == ts.etable(ours, type="text", model_heads=["a", "a", "b", "c", "c"])
    )
    assert table._repr_html_() == table.as_html()
    assert table._repr_latex_() == table.as_latex()
    pd.testing.assert_frame_equal(
        table.to_frame(), ts.etable(ours, type="df", model_heads=["a", "a", "b", "c", "c"])
    )


def test_text_layout(fits) -> None:
    ours, _ = fits
    text = ts.etable(ours, model_heads=["a", "a", "b", "c", "c"], notes="").as_text()
    lines = text.splitlines()
    rule = lines[0]
    assert set(rule) == {"="} and lines.count(rule) == 2
    body = lines[: lines.index(rule, 1) + 1]
    assert all(len(line) <= len(rule) for line in body)
    # every coefficient cell of the frame appears, line by line, in the text
    frame = ts.etable(ours, type="df")
    for cell in frame.to_numpy().ravel():
        for part in str(cell).split("\n"):
            assert part.strip() in text
    # the model headings span: "a" is printed once, centred over models 1 and 2
    assert lines[2].split() == ["a", "b", "c"]


def test_html_and_latex_structure(fits) -> None:
    ours, _ = fits
    table = ts.etable(ours, model_heads=["a", "a", "b", "c", "c"], labels={"x1": "x<1>"})
    html = table.as_html()
    assert html.count("<tr") == 3 + len(table.to_frame()) + 1  # headers, rows, note
    assert '<th colspan="2" style="text-align: center">a</th>' in html
    assert "x&lt;1&gt;" in html and "<br>" in html
    latex = table.as_latex()
    assert r"\multicolumn{2}{c}{a}" in latex and r"\cmidrule(lr){2-3}" in latex
    assert latex.count(r"\begin{tabular}") == latex.count(r"\end{tabular}") == 1
    assert r"R$^2$" in latex and "x$<$1$>$" in latex
    body = [line for line in latex.splitlines() if line.endswith(r"\\")]
    for line in body:
        spans = [int(n) for n in re.findall(r"\\multicolumn\{(\d+)\}", line)]
        if spans:
            assert sum(spans) == len(ours), line
        else:
            assert line.count(" & ") == len(ours), line
    markdown = table.as_markdown()
    widths = {line.count(" | ") for line in markdown.splitlines() if line.startswith("|")}
    assert widths == {len(ours)}


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"type": "gt"}, "unknown etable type 'gt'"),
        ({"signif_code": [0.05, 0.01, 0.001]}, "three ascending"),
        ({"signif_code": [0.1, 0.5]}, "three ascending"),
        ({"head_order": "x"}, "unknown head_order"),
        ({"model_stats": ["N", "rsq"]}, "unknown model statistic 'rsq'"),
        ({"model_heads": ["a"]}, "one heading per model"),
        ({"custom_model_stats": {"row": [1]}}, "one value per model"),
        ({"custom_stats": {"se": [[1], [1]]}}, "built-in"),
        ({"custom_stats": {"w": [[1], [1]]}, "coef_fmt": "b w"}, r"custom_stats\['w'\]\[0\]"),
    ],
)
def test_bad_options_raise(fits, options, match) -> None:
    ours, _ = fits
    with pytest.raises(InvalidOptionError, match=match):
        ts.etable(ours[:2], **options)


def test_patterns_matching_nothing_warn_and_bad_patterns_raise(fits) -> None:
    ours, _ = fits
    with pytest.warns(SpecificationWarning, match="keep pattern 'x9' matches no coefficient"):
        frame = ts.etable(ours, type="df", keep=["^x1$", "x9"])
    assert [label for panel, label in frame.index if panel == "coef"] == ["x1"]
    with pytest.warns(SpecificationWarning, match="drop pattern 'x1:x9' matches no"):
        ts.etable(ours, drop="x1:x9", exact_match=True)
    with pytest.raises(InvalidOptionError, match=r"keep pattern '\(x1' is not a regular"):
        ts.etable(ours, keep="(x1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = ts.etable(ours, type="df", keep=["x3:x1", "x1"], exact_match=True, drop="x1")
    assert [label for panel, label in frame.index if panel == "coef"] == ["x3 × x1"]


def test_fixef_names_must_be_names(fits) -> None:
    ours, _ = fits
    with pytest.raises(InvalidOptionError, match="must be a tuple of fixed-effect names"):
        ts.etable([_WithFixedEffects(ours[0], "firm")])  # type: ignore[arg-type]


def test_no_models_raise() -> None:
    with pytest.raises(InvalidOptionError, match="at least one"):
        ts.etable([])


def test_multi_equation_results_raise() -> None:
    data = make_frame(2)
    results = ts.mnlogit("g ~ x1", data).fit(disp=0)
    with pytest.raises(InvalidOptionError, match="single-equation"):
        ts.etable(results)


NAMES = [
    "x1", "Intercept", "x1:x2", "C(g)[T.b]", "C(g)[T.b]:x1", "C(f1)[T.2.0]", "g[T.b]",
    "C(t)[T.10:30]", "np.log(x2)", "C(g, Treatment('c'))[T.a]", "I(x1 ** 2):C(h)[T.v]",
]  # fmt: skip


@pytest.mark.parametrize("template", ["{variable}={value}", "{variable}::{value_int}", ""])
@pytest.mark.parametrize("labels", [{}, {"x1": "dose", "g": "group", "f1": "site"}])
def test_relabel_equals_maketables(template, labels) -> None:
    for name in NAMES:
        expected = name
        if labels or template:
            expected = _relabel_expvar(name, labels, " × ", template)
        assert relabel_coefficient(name, labels, template) == expected, name


@pytest.mark.parametrize(
    ("keep", "drop", "exact"),
    [
        (["x1", "C"], [], False),
        ([], [r"\]$"], False),
        (["x1"], ["x1:x2"], True),
        ([r"^C"], ["b"], False),
    ],
)
def test_keep_drop_equal_maketables(keep, drop, exact) -> None:
    assert select_coefficients(NAMES, keep, drop, exact) == _select_order_coefs(
        NAMES, keep, drop, exact
    )


@pytest.mark.parametrize("device", DEVICES)
def test_tensor_results_on_any_device(device) -> None:
    data = _frame(3)
    X = sm.add_constant(data[["x1", "x3"]].to_numpy())
    y = data["y"].to_numpy()
    ours = ts.OLS(torch.tensor(y, device=device), torch.tensor(X, device=device)).fit()
    reference = sm.OLS(y, X).fit()
    assert ts.etable(ours, type="text") == ts.etable(reference, type="text")


def test_docs_page_prints_what_it_shows() -> None:
    """docs/tables.md's first example prints the table shown under it."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "tables.md").read_text()
    example = re.search(r"```python\n(.*?)```", page, re.S)
    shown = re.search(r"prints\n\n```\n(.*?)```", page, re.S)
    assert example is not None and shown is not None
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(example.group(1), "docs/tables.md", "exec"), {})
    assert output.getvalue() == shown.group(1)


def test_long_spanning_heading_widens_its_columns(fits) -> None:
    ours, _ = fits
    heading = "a heading much wider than the two columns below it"
    text = ts.etable(ours[:3], model_heads=[heading, heading, "b"], notes="").as_text()
    lines = text.splitlines()
    assert all(len(line) <= len(lines[0]) for line in lines)
    line = next(line for line in lines if heading in line)
    numbers = next(line for line in lines if "(1)" in line)
    # the heading sits over models 1 and 2 only: model 3's number starts after it ends
    assert numbers.index("(3)") > line.index(heading) + len(heading)
    assert line.split(heading)[1].strip() == "b"


class _TagBalance(HTMLParser):
    """Checks that every opened HTML element is closed in order (``<br>`` is void)."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "br":
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, tag


def test_html_is_well_formed(fits) -> None:
    ours, _ = fits
    parser = _TagBalance()
    parser.feed(ts.etable(ours, model_heads=["a", "a", "b", "c", "c"], type="html"))
    assert parser.open == []


def test_within_r2_statistics_equal_pyfixest(pyfixest_data) -> None:
    # maketables' "r2_within" and "adj_r2_within" (they were refused as unknown)
    formulas = ["Y ~ X1 | f1", "Y ~ X1 + X2 | f1 + f2"]
    ours = [ts.ols(f, pyfixest_data).fit() for f in formulas]
    theirs = [pf.feols(f, pyfixest_data, vcov="iid") for f in formulas]
    stats = ["N", "r2_within", "adj_r2_within"]
    ours_frame = ts.etable(ours, type="df", model_stats=stats).loc[["stats"]]
    theirs_frame = pf.etable(theirs, type="df", model_stats=stats).loc[["stats"]]
    assert_same_cells(ours_frame, theirs_frame)  # (the effects' markers differ: documented)
    assert "-" not in set(ours_frame.loc[("stats", "Within R²")])
