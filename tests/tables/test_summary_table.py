"""SummaryTable renders like statsmodels' SimpleTable; forg and d_or_f format like statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
import torch
from statsmodels.iolib import summary as sm_summary
from statsmodels.iolib.table import SimpleTable
from statsmodels.iolib.tableformatting import fmt_2cols, fmt_params

import torchstats as ts
from torchstats.tables.blocks import as_float, as_numpy, d_or_f, forg
from torchstats.tables.formats import TEXT_DEFAULT, TEXT_PARAMS, TEXT_TWO_COLUMNS, TableFormat
from torchstats.tables.table import Cell, SummaryTable, latex_tabular

TEXT_FORMATS: dict[str, tuple[TableFormat, dict | None]] = {
    "default": (TEXT_DEFAULT, None),
    "two-columns": (TEXT_TWO_COLUMNS, fmt_2cols),
    "params": (TEXT_PARAMS, fmt_params),
}

GRIDS = {
    "numbers": (
        [["1.5", "-0.25", "x"], ["100.0", "2", "long value here"]],
        ["a", "bb", "P>|t|"],
        ["row_1", "second row"],
    ),
    "special-characters": (
        [["$5 & 10%", "#1 > 0", "a_b|c"]],
        ["x_1", "$y$", "50%"],
        ["stub_&_#"],
    ),
    "no-headers": ([["1", "22"], ["333", "4"]], None, ["s1", "s2"]),
    "no-stubs": ([["1", "22"], ["333", "4"]], ["h1", "h2"], None),
    "bare": ([["only"]], None, None),
    "wide": (
        [[f"{v:#8.4g}" for v in np.linspace(-3, 3, 6)]],
        ["coef", "std err", "t", "P>|t|", "[0.025", "0.975]"],
        ["a_rather_long_parameter_name[T.level]"],
    ),
}


def _pair(grid: str, fmt: str, title: str) -> tuple[SummaryTable, SimpleTable]:
    data, headers, stubs = GRIDS[grid]
    ours_fmt, theirs_fmt = TEXT_FORMATS[fmt]
    ours = SummaryTable.from_data(data, headers, stubs, title=title, text_format=ours_fmt)
    theirs = SimpleTable(data, headers, stubs, title=title, txt_fmt=theirs_fmt)
    return ours, theirs


@pytest.mark.parametrize("title", ["", "A Title"])
@pytest.mark.parametrize("fmt", list(TEXT_FORMATS))
@pytest.mark.parametrize("grid", list(GRIDS))
def test_text_matches_simpletable(grid: str, fmt: str, title: str) -> None:
    ours, theirs = _pair(grid, fmt, title)
    assert ours.as_text() == theirs.as_text()
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("title", ["", "A Title"])
@pytest.mark.parametrize("grid", list(GRIDS))
def test_html_matches_simpletable(grid: str, title: str) -> None:
    ours, theirs = _pair(grid, "params", title)
    assert ours.as_html() == theirs.as_html()
    assert ours._repr_html_() == theirs._repr_html_()


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("title", ["", "A Title"])
@pytest.mark.parametrize("grid", list(GRIDS))
def test_latex_matches_simpletable(grid: str, title: str, center: bool) -> None:
    ours, theirs = _pair(grid, "two-columns", title)
    assert ours.as_latex_tabular(center=center) == theirs.as_latex_tabular(center=center)


def _side_by_side() -> tuple[SummaryTable, SimpleTable]:
    left = [["y"], ["OLS"], ["Least Squares"]]
    right = [["   0.359"], ["  -4.5e+03"], [" "]]
    stubs_left = ["Dep. Variable:", "Model:", "Method:"]
    stubs_right = [f"{'  ' + s:<21}" for s in ["R-squared:", "F-statistic:", " "]]
    ours = SummaryTable.from_data(left, stubs=stubs_left, title="T", text_format=TEXT_TWO_COLUMNS)
    ours = ours.hstack(
        SummaryTable.from_data(right, stubs=stubs_right, text_format=TEXT_TWO_COLUMNS)
    )
    theirs = SimpleTable(left, None, stubs_left, title="T", txt_fmt=fmt_2cols)
    theirs.extend_right(SimpleTable(right, None, stubs_right, txt_fmt=fmt_2cols))
    return ours, theirs


def test_hstack_matches_extend_right() -> None:
    ours, theirs = _side_by_side()
    assert ours.as_text() == theirs.as_text()
    assert ours.as_html() == theirs.as_html()
    assert ours.as_latex_tabular() == theirs.as_latex_tabular()


def test_hstack_needs_equal_row_counts() -> None:
    ours, _ = _side_by_side()
    short = SummaryTable.from_data([["1"]], stubs=["a"])
    with pytest.raises(ValueError, match="same number of rows"):
        ours.hstack(short)


def test_stubs_must_match_rows() -> None:
    with pytest.raises(ValueError, match="length of stubs"):
        SummaryTable.from_data([["1"], ["2"]], stubs=["only one"])


def test_latex_of_stacked_tables_matches_summary_as_latex() -> None:
    """The first table's widths span all tables' rows, as in statsmodels' merged copy."""
    ours_top, theirs_top = _side_by_side()
    ours_params, theirs_params = _pair("wide", "params", "")
    ours_tail, theirs_tail = _pair("numbers", "two-columns", "")
    summary = sm_summary.Summary()
    summary.tables = [theirs_top, theirs_params, theirs_tail]
    assert latex_tabular([ours_top, ours_params, ours_tail]) == summary.as_latex()


def test_cells_render_by_kind() -> None:
    assert Cell("x_1", "stub").render(TEXT_DEFAULT, 6) == "x_1   "
    assert Cell("h", "header").render(TEXT_DEFAULT, 5) == "  h  "
    assert Cell("", "empty").content(TEXT_DEFAULT) == ""
    assert Cell("7", 1).render(TEXT_PARAMS, 10) == "         7"


# --- number formatting ----------------------------------------------------------------------

VALUES = [
    0.0,
    1.0,
    -1.0,
    0.5,
    1e-5,
    -1e-5,
    9.99999e-5,
    1e-4,
    9999.4,
    9999.96,
    1e4,
    -12345.678,
    3.14159265,
    123.456789,
    1e300,
    -1e-300,
    np.nan,
    np.inf,
    -np.inf,
]


@pytest.mark.parametrize("prec", [3, 4])
@pytest.mark.parametrize("value", VALUES)
def test_forg_matches_statsmodels(value: float, prec: int) -> None:
    assert forg(value, prec) == sm_summary.forg(value, prec)
    assert forg(np.array([value]), prec) == sm_summary.forg(value, prec)
    assert forg(torch.tensor(value, dtype=torch.float64), prec) == sm_summary.forg(value, prec)


def test_forg_rejects_other_precisions() -> None:
    with pytest.raises(ValueError, match="either 3 or 4"):
        forg(1.0, prec=5)


@pytest.mark.parametrize("value", [0, 3, 120, 120.0, -4.0, 12.5, 1e7, 0.333333, np.nan])
def test_d_or_f_matches_statsmodels(value: float) -> None:
    assert d_or_f(value) == sm_summary.d_or_f(value)
    assert d_or_f(torch.tensor(float(value))) == sm_summary.d_or_f(float(value))


def test_as_numpy_and_as_float_accept_every_container() -> None:
    expected = np.array([1.0, 2.0])
    for value in (expected, [1.0, 2.0], pd.Series(expected), torch.tensor(expected)):
        np.testing.assert_array_equal(as_numpy(value), expected)
    for value in (2.5, np.float64(2.5), np.array([2.5]), torch.tensor(2.5), pd.Series([2.5])):
        assert as_float(value) == 2.5


@pytest.mark.parametrize("which", ["ols", "logit", "glm"])
def test_summary_tables_read_like_simpletables(which: str) -> None:
    """``summary().tables[i]`` is a sequence of rows of cells with statsmodels' ``data``:
    ``pd.DataFrame(table.data[1:], columns=table.data[0])``, ``len``, ``table[i][j]``,
    ``str(cell)`` and ``cell.data`` give what they give on a ``SimpleTable``."""
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x1": rng.normal(size=200), "g": rng.choice(list("abc"), 200)})
    data["y"] = data["x1"] + rng.normal(size=200)
    data["yb"] = (data["y"] > 0).astype(float)
    fits = {
        "ols": lambda lib, families: lib.ols("y ~ x1 + C(g)", data).fit(),
        "logit": lambda lib, families: lib.logit("yb ~ x1 + C(g)", data).fit(disp=0),
        "glm": lambda lib, families: lib.glm("yb ~ x1", data, family=families.Binomial()).fit(),
    }
    ours = fits[which](ts, ts.families).summary()
    theirs = fits[which](smf, sm.families).summary()
    assert len(ours.tables) == len(theirs.tables)
    assert len(ours.tables[0]) == len(theirs.tables[0])  # its date and time may differ
    for mine, other in zip(ours.tables[1:], theirs.tables[1:], strict=True):
        assert mine.data == other.data
        assert len(mine) == len(other)
        assert [str(cell) for cell in mine[1]] == [str(cell) for cell in other[1]]
        assert mine[1][0].data == other[1][0].data
    coefficients = ours.tables[1]
    frame = pd.DataFrame(coefficients.data[1:], columns=coefficients.data[0])
    assert frame.shape == (len(coefficients) - 1, len(coefficients[0]))
