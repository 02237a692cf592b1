"""A model summary document: tables stacked, then notes (statsmodels' ``Summary``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from torchstats.tables.table import SummaryTable, latex_tabular

__all__ = ["Summary"]


class Summary:
    """A model summary: a list of tables plus extra text (statsmodels ``Summary``).

    Attributes
    ----------
    tables : list of SummaryTable
        The tables, top to bottom.
    extra_txt : str or None
        Text printed after the tables (notes and warnings).
    """

    def __init__(self, tables: Iterable[SummaryTable] = ()) -> None:
        self.tables: list[SummaryTable] = list(tables)
        self.extra_txt: str | None = None

    def add_extra_txt(self, etext: Sequence[str]) -> None:
        """Set the extra text to the given lines (replacing any earlier text)."""
        self.extra_txt = "\n".join(etext)

    def as_text(self) -> str:
        """The tables stacked (each but the last without its closing rule), then the text."""
        parts = [str(table).rsplit("\n", 1)[0] for table in self.tables[:-1]]
        text = "\n".join([*parts, str(self.tables[-1])])
        if self.extra_txt is not None:
            text += "\n\n" + self.extra_txt
        return text

    def as_html(self) -> str:
        """One ``<table class="simpletable">`` per table, then the text with ``<br/>``."""
        html = "\n".join(table.as_html() for table in self.tables)
        if self.extra_txt is not None:
            html += "<br/><br/>" + self.extra_txt.replace("\n", "<br/>")
        return html

    def as_latex(self) -> str:
        """The tables as LaTeX ``tabular`` blocks, then the text with ``\\newline``."""
        latex = latex_tabular(self.tables)
        if self.extra_txt is not None:
            latex += "\n\n" + self.extra_txt.replace("\n", " \\newline\n ")
        return latex

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return f'{type(self)}\n"""\n{self}\n"""'

    def _repr_html_(self) -> str:
        return self.as_html()

    def _repr_latex_(self) -> str:
        return self.as_latex()
