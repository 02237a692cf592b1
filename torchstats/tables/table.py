"""One summary table rendered as text, HTML or LaTeX, exactly as statsmodels does.

A port of the parts of statsmodels' ``iolib/table.py::SimpleTable`` that the model
summaries use: a rectangular grid of already formatted strings with an optional header
row, a column of row labels ("stubs") and a title. Column widths, padding, alignment,
rules and LaTeX escaping follow ``SimpleTable.as_text``, ``as_html`` and
``as_latex_tabular`` character for character.

Not ported: CSV output, multi-line headers, per-row and per-cell format overrides and
cell labelling, which no summary uses.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from torchstats.tables.formats import (
    HTML_DEFAULT,
    LATEX_DEFAULT,
    LATEX_REPLACEMENTS,
    TEXT_DEFAULT,
    Align,
    TableFormat,
)

__all__ = ["Cell", "Row", "SummaryTable", "latex_tabular"]

CellKind = int | Literal["stub", "header", "empty"]
Output = Literal["text", "html", "latex"]


def pad(text: str, width: int, align: Align) -> str:
    """Pad ``text`` with spaces to ``width``: left, right or centred (``str.center``)."""
    if align == "l":
        return text.ljust(width)
    if align == "r":
        return text.rjust(width)
    return text.center(width)


def latex_escape(text: str) -> str:
    """Escape LaTeX special characters as statsmodels does (``$>$`` for ``>``...)."""
    for old, new in LATEX_REPLACEMENTS:
        text = text.replace(old, new)
    return text


def _interpolate(template: str, text: str) -> str:
    """``template % text``, or ``template`` itself when it has no ``%s`` to fill."""
    try:
        return template % (text,)
    except TypeError:  # e.g. the empty-cell format "<td></td>"
        return template


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: already formatted text and what kind of cell it is.

    Attributes
    ----------
    text : str
        The cell's value, formatted by the caller (e.g. ``"    1.3134"``).
    kind : int or {"stub", "header", "empty"}
        A data cell's column index within its sub-table (which picks its entry of
        ``TableFormat.data_fmts``), or a row label, a column header, or the empty corner.
    """

    text: str
    kind: CellKind

    @property
    def data(self) -> str:
        """The cell's text (statsmodels' ``Cell.data``)."""
        return self.text

    def __str__(self) -> str:
        return self.text

    def content(self, fmt: TableFormat) -> str:
        """The unpadded rendering of the cell in ``fmt``."""
        if isinstance(self.kind, int):
            index = self.kind % len(fmt.data_fmts)
            content = fmt.data_fmts[index] % (self.text,)
            # statsmodels escapes only data cells of the first data format.
            return latex_escape(content) if fmt.latex_escape and index == 0 else content
        text = latex_escape(self.text) if fmt.latex_escape else self.text
        template = {"stub": fmt.stub, "header": fmt.header, "empty": fmt.empty}[self.kind]
        return _interpolate(template, text)

    def align(self, fmt: TableFormat) -> Align:
        """The cell's alignment in ``fmt``."""
        if isinstance(self.kind, int):
            return fmt.data_aligns[self.kind % len(fmt.data_aligns)]  # type: ignore[return-value]
        return {"stub": fmt.stub_align, "header": fmt.header_align, "empty": fmt.empty_align}[
            self.kind
        ]

    def render(self, fmt: TableFormat, width: int = 0) -> str:
        """The cell's content padded to ``width`` with its alignment."""
        return pad(self.content(fmt), width, self.align(fmt))


@dataclass(frozen=True, slots=True)
class Row:
    """One table row; a header row gets ``header_dec_below`` drawn under it.

    ``text_rule_below`` draws a rule under any row in the text output only (statsmodels'
    ``row.add_format("txt", row_dec_below=...)``, which separates stacked sub-tables).
    """

    cells: tuple[Cell, ...]
    is_header: bool = False
    text_rule_below: str | None = None

    # a sequence of cells, as statsmodels' ``Row`` (a list of them)
    def __len__(self) -> int:
        return len(self.cells)

    def __getitem__(self, index: int) -> Cell:
        return self.cells[index]

    def __iter__(self) -> Iterator[Cell]:
        return iter(self.cells)

    def aligns(self, fmt: TableFormat) -> str:
        """The alignment letters of the cells, e.g. ``"lclc"`` (a LaTeX column spec)."""
        return "".join(cell.align(fmt) for cell in self.cells)

    def render(self, fmt: TableFormat, widths: Sequence[int], output: Output) -> str:
        """The row as one string (plus its header rule, for a header row)."""
        cells = [cell.render(fmt, width) for cell, width in zip(self.cells, widths)]
        line = fmt.row_pre + fmt.colsep.join(cells) + fmt.row_post
        rule = fmt.header_dec_below if self.is_header else None
        if output == "text" and self.text_rule_below is not None:
            rule = self.text_rule_below
        if rule is None:
            return line
        if output == "text":
            repeat, extra = divmod(len(line), len(rule))
            return line + "\n" + rule * repeat + rule[:extra]
        if output == "latex":
            return line + "\n" + rule
        raise ValueError(f"cannot draw a rule below a {output} header row")


def column_widths(rows: Sequence[Row], fmt: TableFormat) -> list[int]:
    """Width of each column: the widest rendered cell, at least ``fmt.colwidths``.

    As in ``SimpleTable._get_colwidths``, columns are zipped across rows, so a ragged
    table is measured only up to its shortest row.
    """
    ncols = max(len(row.cells) for row in rows)
    if fmt.colwidths == 0:
        return [0] * ncols
    request = [fmt.colwidths or 0] * ncols
    columns = zip(*(row.cells for row in rows))
    content = [max(len(cell.content(fmt)) for cell in column) for column in columns]
    return [max(width, minimum) for width, minimum in zip(content, request)]


@dataclass(frozen=True)
class SummaryTable:
    """A table of formatted strings that renders like statsmodels' ``SimpleTable``.

    Attributes
    ----------
    rows : tuple of Row
        Header rows first, then data rows.
    title : str
        Centred above the text table, a ``<caption>`` in HTML, a comment in LaTeX.
    text_format, html_format, latex_format : TableFormat
        The format of each output.
    row_blocks : tuple of int
        For stacked tables (:meth:`stack`), the block of each row; empty for one block.
    """

    rows: tuple[Row, ...]
    title: str = ""
    text_format: TableFormat = TEXT_DEFAULT
    html_format: TableFormat = field(default=HTML_DEFAULT, repr=False)
    latex_format: TableFormat = field(default=LATEX_DEFAULT, repr=False)
    row_blocks: tuple[int, ...] = ()

    # a sequence of rows, as statsmodels' ``SimpleTable`` (a list of them), with its
    # ``data``: ``pd.DataFrame(table.data[1:], columns=table.data[0])`` works on both
    @property
    def data(self) -> list[list[str]]:
        """Every row's cell texts, header row first (statsmodels' ``SimpleTable.data``)."""
        return [[cell.text for cell in row.cells] for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> Row:
        return self.rows[index]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    @classmethod
    def from_data(
        cls,
        data: Sequence[Sequence[str]],
        headers: Sequence[str] | None = None,
        stubs: Sequence[str] | None = None,
        title: str = "",
        text_format: TableFormat = TEXT_DEFAULT,
    ) -> SummaryTable:
        """Build a table as ``SimpleTable(data, headers, stubs, title, txt_fmt=...)`` does.

        Parameters
        ----------
        data : sequence of sequence of str, shape (R, K)
            Formatted cell values; data cell ``j`` of each row has kind ``j``.
        headers : sequence of str, optional
            K column headers; the header row gets an empty corner cell if there are stubs.
        stubs : sequence of str, optional
            R row labels, inserted as the first column.
        title : str, optional
            Table title.
        text_format : TableFormat, optional
            Format of the text output (HTML and LaTeX always use statsmodels' defaults).

        Returns
        -------
        SummaryTable
        """
        rows = [Row(tuple(Cell(text, j) for j, text in enumerate(values))) for values in data]
        if stubs:
            if len(stubs) != len(rows):
                raise ValueError("length of stubs must match table length")
            rows = [Row((Cell(s, "stub"), *r.cells)) for s, r in zip(stubs, rows)]
        if headers:
            corner = (Cell("", "empty"),) if stubs else ()
            header = Row((*corner, *(Cell(h, "header") for h in headers)), is_header=True)
            rows.insert(0, header)
        return cls(tuple(rows), title=title, text_format=text_format)

    def hstack(self, other: SummaryTable) -> SummaryTable:
        """Append the cells of ``other``'s rows to this table's rows (``extend_right``)."""
        if len(self.rows) != len(other.rows):
            raise ValueError("tables placed side by side need the same number of rows")
        rows = tuple(
            Row(left.cells + right.cells, left.is_header)
            for left, right in zip(self.rows, other.rows)
        )
        return SummaryTable(rows, self.title, self.text_format, self.html_format, self.latex_format)

    @classmethod
    def stack(cls, tables: Sequence[SummaryTable]) -> SummaryTable:
        """Tables one below the other, each title moved into its header's corner cell.

        statsmodels' ``iolib.summary.table_extend`` (``keep_headers=True``), which lays out
        the coefficient blocks of multi-equation models: a text rule of ``-`` separates
        the blocks, and the stacked table has no title and the first table's formats.
        statsmodels' rows keep the table they came from, so the first block's columns are
        as wide as those of all blocks and every other block's as its own (see
        :meth:`row_widths`).
        """
        rows: list[Row] = []
        blocks: list[int] = []
        for block, table in enumerate(tables):
            if rows:
                rows[-1] = replace(rows[-1], text_rule_below="-")
            first, *rest = table.rows
            if first.is_header:
                first = replace(first, cells=(Cell(table.title, "header"), *first.cells[1:]))
            rows += [first, *rest]
            blocks += [block] * len(table.rows)
        head = tables[0]
        return cls(
            tuple(rows), "", head.text_format, head.html_format, head.latex_format, tuple(blocks)
        )

    def row_widths(self, fmt: TableFormat, outer: Sequence[Row] | None = None) -> list[list[int]]:
        """The column widths each row is rendered with.

        Rows of the first block (all rows of an unstacked table) are measured together with
        ``outer`` (default: every row of this table); the rows of any other block of a
        stacked table among themselves.
        """
        first = column_widths(self.rows if outer is None else outer, fmt)
        if not self.row_blocks:
            return [first] * len(self.rows)
        own = {
            block: column_widths(
                [row for row, b in zip(self.rows, self.row_blocks) if b == block], fmt
            )
            for block in set(self.row_blocks) - {0}
        }
        return [first if block == 0 else own[block] for block in self.row_blocks]

    def as_text(self) -> str:
        """The table as plain text: title, ``=`` rule, rows, closing rule."""
        fmt = self.text_format
        widths = self.row_widths(fmt)
        lines = [row.render(fmt, w, "text") for row, w in zip(self.rows, widths)]
        rowlen = len(lines[-1])
        if fmt.table_dec_above:
            lines.insert(0, fmt.table_dec_above * rowlen)
        if self.title:
            lines.insert(0, pad(self.title, rowlen, fmt.title_align))
        if fmt.table_dec_below:
            lines.append(fmt.table_dec_below * rowlen)
        return "\n".join(lines)

    def as_html(self) -> str:
        """The table as ``<table class="simpletable">`` HTML."""
        fmt = self.html_format
        widths = self.row_widths(fmt)
        lines = ['<table class="simpletable">']
        if self.title:
            lines.append(f"<caption>{self.title}</caption>")
        lines.extend(row.render(fmt, w, "html") for row, w in zip(self.rows, widths))
        lines.append("</table>")
        return "\n".join(lines)

    def as_latex_tabular(self, center: bool = True) -> str:
        """The table as a booktabs LaTeX ``tabular`` (see :func:`latex_tabular`)."""
        return latex_tabular([self], center=center)

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()

    def _repr_latex_(self) -> str:
        return self.as_latex_tabular()


def latex_tabular(tables: Sequence[SummaryTable], center: bool = True) -> str:
    """Several tables stacked into LaTeX ``tabular`` blocks, as ``Summary.as_latex``.

    A new ``tabular`` starts wherever the column alignments change; only the first one
    gets ``\\toprule``, each one ends with ``\\bottomrule``, and the first table's title
    becomes a ``%\\caption`` comment.

    Parameters
    ----------
    tables : sequence of SummaryTable
        Rendered with the first table's LaTeX format.
    center : bool, optional
        Wrap the output in a ``center`` environment.

    Returns
    -------
    str

    Notes
    -----
    statsmodels extends a copy of the first table with the rows of the others, so the
    first table's column widths are measured over the rows of *all* tables, while the
    other tables keep their own widths (a stacked table: see
    :meth:`SummaryTable.row_widths`). That is reproduced here, as is statsmodels' final
    ``.replace("$$", " ")`` (GH 5444).
    """
    fmt = tables[0].latex_format
    all_rows = [row for table in tables for row in table.rows]
    widths = [tables[0].row_widths(fmt, all_rows)]
    widths += [table.row_widths(fmt) for table in tables[1:]]
    lines = [r"\begin{center}"] if center else []
    previous = ""
    for table, table_widths in zip(tables, widths):
        for row, row_widths in zip(table.rows, table_widths):
            aligns = row.aligns(fmt)
            if aligns != previous:
                if previous:
                    lines += [fmt.table_dec_below or "", r"\end{tabular}"]
                lines.append(rf"\begin{{tabular}}{{{aligns}}}")
                if not previous:
                    lines.append(fmt.table_dec_above or "")
            lines.append(row.render(fmt, row_widths, "latex"))
            previous = aligns
    if previous:
        lines += [fmt.table_dec_below or "", r"\end{tabular}"]
    if tables[0].title:
        lines.append(rf"%\caption{{{tables[0].title}}}")
    if center:
        lines.append(r"\end{center}")
    return "\n".join(lines).replace("$$", " ")
