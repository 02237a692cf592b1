"""A side-by-side regression table, rendered as text, Markdown, HTML, LaTeX or a DataFrame.

The table holds already formatted strings: header levels over the model columns (the
response, optional model headings, the model numbers), then panels of labelled rows
(coefficients, fixed effects, model statistics) and a note. A cell may hold several lines
(``"0.512***\\n(0.041)"``): text, Markdown and LaTeX print each line as its own row, HTML
breaks the line inside the cell. Adjacent equal entries of a header level other than the
last span their columns (a multicolumn heading in text, HTML and LaTeX).

Used by :func:`torchstats.summary.etable`, which fills it from results objects.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

import pandas as pd

from torchstats.tables.table import latex_escape

__all__ = ["Panel", "RegressionTable"]

# Notes wrap at the table's width, but no narrower than a terminal line.
_NOTE_WIDTH = 72

# Characters of the default labels that LaTeX's text mode does not print.
_LATEX_SYMBOLS = (("²", "$^2$"), ("×", r"$\times$"), ("<", "$<$"))


def _latex(text: str) -> str:
    text = latex_escape(text)
    for old, new in _LATEX_SYMBOLS:
        text = text.replace(old, new)
    return text


def _lines(cell: str) -> list[str]:
    return [line.strip() for line in cell.split("\n")]


def _spans(level: Sequence[str]) -> list[tuple[str, int]]:
    """Runs of equal adjacent entries: ``["y", "y", "z"]`` -> ``[("y", 2), ("z", 1)]``."""
    return [(label, len(list(run))) for label, run in groupby(level)]


@dataclass(frozen=True, slots=True)
class Panel:
    """A block of rows under one heading.

    Attributes
    ----------
    name : str
        The panel's key in :meth:`RegressionTable.to_frame` (``"coef"``, ``"fe"``,
        ``"stats"``).
    rows : tuple of (str, tuple of str)
        Each row's label and its cells, one per model.
    """

    name: str
    rows: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class RegressionTable:
    """Models side by side: formatted cells under header levels, in panels, with a note.

    Attributes
    ----------
    header : tuple of tuple of str
        Header levels, top to bottom, each with one entry per model; the last level is
        never merged into spans.
    panels : tuple of Panel
        Empty panels are not drawn.
    notes : str
        Printed under the table.
    """

    header: tuple[tuple[str, ...], ...]
    panels: tuple[Panel, ...]
    notes: str = ""

    @property
    def n_models(self) -> int:
        """The number of model columns."""
        return len(self.header[-1])

    def _panels(self) -> list[Panel]:
        return [panel for panel in self.panels if panel.rows]

    def _physical_rows(self, panel: Panel) -> list[list[str]]:
        """Each row's lines as rows of their own: the label on the first line only."""
        out: list[list[str]] = []
        for label, cells in panel.rows:
            lines = [_lines(cell) for cell in cells]
            for i in range(max(len(cell) for cell in lines)):
                first = label if i == 0 else ""
                out.append([first, *(cell[i] if i < len(cell) else "" for cell in lines)])
        return out

    # --- pandas ---------------------------------------------------------------------------

    def to_frame(self) -> pd.DataFrame:
        """The cells as a DataFrame laid out as pyfixest's ``etable(type="df")``.

        Rows are indexed by ``(panel, label)``; columns by the header levels (a
        MultiIndex when there are several, else the model numbers). Cells keep their line
        breaks.
        """
        index = [(panel.name, label) for panel in self._panels() for label, _ in panel.rows]
        data = [list(cells) for panel in self._panels() for _, cells in panel.rows]
        columns: pd.Index = (
            pd.MultiIndex.from_arrays([list(level) for level in self.header])
            if len(self.header) > 1
            else pd.Index(list(self.header[0]))
        )
        return pd.DataFrame(data, index=pd.MultiIndex.from_tuples(index), columns=columns)

    # --- text -------------------------------------------------------------------------------

    def _text_widths(self) -> list[int]:
        """The stub column's width and each model column's, wide enough for every span."""
        rows = [row for panel in self._panels() for row in self._physical_rows(panel)]
        widths = [max([len(row[j]) for row in rows] + [0]) for j in range(self.n_models + 1)]
        for j, label in enumerate(self.header[-1]):
            widths[j + 1] = max(widths[j + 1], len(label))
        for level in self.header[:-1]:
            start = 1
            for label, span in _spans(level):
                room = sum(widths[start : start + span]) + 2 * (span - 1)
                share, left = divmod(max(len(label) - room, 0), span)
                for j in range(span):  # spread what the heading lacks over its columns
                    widths[start + j] += share + (j < left)
                start += span
        return widths

    def as_text(self) -> str:
        """The table as plain text: ``=`` rules around it, ``-`` rules between panels."""
        widths = self._text_widths()
        lines = []
        for level in self.header[:-1]:
            cells, start = [" " * widths[0]], 1
            for label, span in _spans(level):
                room = sum(widths[start : start + span]) + 2 * (span - 1)
                cells.append(label.center(room))
                start += span
            lines.append("  ".join(cells))
        number_row = [""] + list(self.header[-1])
        lines.append(self._text_row(number_row, widths))
        total = len(lines[-1])
        body = [("-" * total)]
        for k, panel in enumerate(self._panels()):
            if k:
                body.append("-" * total)
            body += [self._text_row(row, widths) for row in self._physical_rows(panel)]
        text = ["=" * total, *lines, *body, "=" * total]
        if self.notes:
            text += textwrap.wrap(self.notes, max(total, _NOTE_WIDTH))
        return "\n".join(line.rstrip() for line in text)

    @staticmethod
    def _text_row(row: Sequence[str], widths: Sequence[int]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.center(width) for cell, width in zip(row[1:], widths[1:])]
        return "  ".join(cells)

    # --- Markdown ---------------------------------------------------------------------------

    def as_markdown(self) -> str:
        """The table as a GitHub pipe table; the header levels join in one header row."""
        heads = [
            " ".join(h for h in column if h).replace("|", r"\|") for column in zip(*self.header)
        ]
        rows = [["", *heads], [":---", *([":---:"] * self.n_models)]]
        for panel in self._panels():
            rows += [
                [cell.replace("|", r"\|") for cell in row] for row in self._physical_rows(panel)
            ]
        text = "\n".join("| " + " | ".join(row) + " |" for row in rows)
        return text + (f"\n\n{self.notes}" if self.notes else "")

    # --- HTML -------------------------------------------------------------------------------

    def as_html(self) -> str:
        """The table as HTML: spanning headings, one ``<tbody>`` per panel, a note row."""
        ncols = self.n_models + 1
        rule = "border-bottom: 1px solid"
        lines = ['<table class="etable" style="border-collapse: collapse">', "<thead>"]
        for k, level in enumerate(self.header):
            spans = _spans(level) if k < len(self.header) - 1 else [(h, 1) for h in level]
            style = f' style="{rule}"' if k == len(self.header) - 1 else ""
            heads = "".join(
                f'<th colspan="{span}" style="text-align: center">{html.escape(label)}</th>'
                for label, span in spans
            )
            lines.append(f"<tr{style}><th></th>{heads}</tr>")
        lines.append("</thead>")
        for panel in self._panels():
            lines.append(f'<tbody style="{rule}">')
            for label, cells in panel.rows:
                data = "".join(
                    '<td style="text-align: center">'
                    + "<br>".join(html.escape(line) for line in _lines(cell))
                    + "</td>"
                    for cell in cells
                )
                lines.append(
                    f'<tr><th style="text-align: left">{html.escape(label)}</th>{data}</tr>'
                )
            lines.append("</tbody>")
        if self.notes:
            lines.append(
                f'<tfoot><tr><td colspan="{ncols}" style="text-align: left">'
                f"<small>{html.escape(self.notes)}</small></td></tr></tfoot>"
            )
        lines.append("</table>")
        return "\n".join(lines)

    # --- LaTeX ------------------------------------------------------------------------------

    def as_latex(self) -> str:
        """The table as a booktabs ``tabular`` in a ``threeparttable`` with the note.

        Needs ``\\usepackage{booktabs}`` and ``\\usepackage{threeparttable}``.
        """
        lines = [r"\begin{threeparttable}", rf"\begin{{tabular}}{{l{'c' * self.n_models}}}"]
        lines.append(r"\toprule")
        for level in self.header[:-1]:
            cells, rules, start = [""], [], 2
            for label, span in _spans(level):
                cells.append(rf"\multicolumn{{{span}}}{{c}}{{{_latex(label)}}}")
                if label:
                    rules.append(rf"\cmidrule(lr){{{start}-{start + span - 1}}}")
                start += span
            lines.append(" & ".join(cells) + r" \\")
            lines.extend(rules)
        lines.append(" & ".join(["", *map(_latex, self.header[-1])]) + r" \\")
        for panel in self._panels():
            lines.append(r"\midrule")
            lines += [
                " & ".join(_latex(cell) for cell in row) + r" \\"
                for row in self._physical_rows(panel)
            ]
        lines += [r"\bottomrule", r"\end{tabular}"]
        if self.notes:
            lines += [
                r"\begin{tablenotes}\footnotesize",
                rf"\item {_latex(self.notes)}",
                r"\end{tablenotes}",
            ]
        lines.append(r"\end{threeparttable}")
        return "\n".join(lines)

    # --- display ----------------------------------------------------------------------------

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()

    def _repr_latex_(self) -> str:
        return self.as_latex()
