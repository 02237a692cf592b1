"""Output formats of a :class:`~torchstats.tables.table.SummaryTable`.

Each :class:`TableFormat` holds the subset of the option dictionaries of statsmodels'
``iolib/table.py`` (``default_txt_fmt``, ``default_html_fmt``, ``default_latex_fmt``) and
``iolib/tableformatting.py`` (``fmt_2cols``, ``fmt_params``) that the model summaries use.
The constants below reproduce those dictionaries as the summary tables see them, so the
rendered tables match statsmodels character for character.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

__all__ = [
    "Align",
    "TableFormat",
    "TEXT_DEFAULT",
    "TEXT_TWO_COLUMNS",
    "TEXT_PARAMS",
    "HTML_DEFAULT",
    "LATEX_DEFAULT",
    "LATEX_REPLACEMENTS",
]

Align = Literal["l", "c", "r"]

# statsmodels' ``default_latex_fmt["replacements"]``, applied in this (sorted) order.
LATEX_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    ("#", r"\#"),
    ("$", r"\$"),
    ("%", r"\%"),
    ("&", r"\&"),
    (">", r"$>$"),
    ("_", r"\_"),
    ("|", r"$|$"),
)


@dataclass(frozen=True, slots=True)
class TableFormat:
    """How one table is rendered in one output format.

    Attributes
    ----------
    data_fmts : tuple of str
        ``%``-format of data cells; data cell ``j`` of a sub-table uses
        ``data_fmts[j % len(data_fmts)]``.
    data_aligns : str
        Alignment of data cells, indexed like ``data_fmts``.
    stub, header, empty : str
        ``%``-formats of row labels (stubs), column headers and the empty corner cell.
        A format without ``%s`` is used verbatim (statsmodels' ``TypeError`` fallback).
    stub_align, header_align, empty_align : {"l", "c", "r"}
        Alignments of those cells.
    colwidths : int or None
        Minimum width of every column; None means the content width only.
    colsep, row_pre, row_post : str
        Column separator and the text before and after each row.
    table_dec_above, table_dec_below, header_dec_below : str or None
        Rules above the body, below the table and below the header row.
    title_align : {"l", "c", "r"}
        Alignment of the title in text output.
    latex_escape : bool
        Whether cell contents are escaped with :data:`LATEX_REPLACEMENTS`.
    """

    data_fmts: tuple[str, ...] = ("%s",)
    data_aligns: str = "r"
    stub: str = "%s"
    stub_align: Align = "l"
    header: str = "%s"
    header_align: Align = "c"
    empty: str = ""
    empty_align: Align = "c"
    colwidths: int | None = None
    colsep: str = " "
    row_pre: str = ""
    row_post: str = ""
    table_dec_above: str | None = "="
    table_dec_below: str | None = "-"
    header_dec_below: str | None = "-"
    title_align: Align = "c"
    latex_escape: bool = False


# statsmodels ``iolib.table.default_txt_fmt``.
TEXT_DEFAULT = TableFormat()

# statsmodels ``tableformatting.fmt_base``, the parent of ``fmt_2cols`` and ``fmt_params``.
_TEXT_BASE = TableFormat(
    data_fmts=("%s", "%s", "%s", "%s", "%s"),
    colwidths=10,
    table_dec_above="=",
    table_dec_below="=",
    header_dec_below="-",
    header_align="r",
)

# ``fmt_2cols``: the two-column header blocks (``summary_top``).
TEXT_TWO_COLUMNS = replace(_TEXT_BASE, data_fmts=("%18s", "-%19s", "%18s", "%19s"), colwidths=18)

# ``fmt_params``: the coefficient table (``summary_params``).
TEXT_PARAMS = replace(_TEXT_BASE, data_fmts=("%s", "%s", "%8s", "%s", "%11s", "%11s"))

# ``default_html_fmt``: summaries never override it.
HTML_DEFAULT = TableFormat(
    data_fmts=("<td>%s</td>",),
    data_aligns="c",
    stub="<th>%s</th>",
    header="<th>%s</th>",
    empty="<td></td>",
    row_pre="<tr>\n  ",
    row_post="\n</tr>",
    table_dec_above=None,
    table_dec_below=None,
    header_dec_below=None,
)

# ``default_latex_fmt``: summaries never override it.
LATEX_DEFAULT = TableFormat(
    data_fmts=("%s",),
    data_aligns="c",
    stub=r"\textbf{%s}",
    header=r"\textbf{%s}",
    empty="",
    empty_align="l",
    colsep=" & ",
    row_post=r"  \\",
    table_dec_above=r"\toprule",
    table_dec_below=r"\bottomrule",
    header_dec_below=r"\midrule",
    latex_escape=True,
)
