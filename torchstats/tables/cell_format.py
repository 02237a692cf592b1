"""The coefficient cells of a regression table: ``coef_fmt`` strings, numbers and stars.

A port of the cell formatting of maketables' ``ETable``, which pyfixest's ``etable`` calls
(``maketables/etable.py``: ``_parse_coef_fmt``, ``_format_number``, ``_compute_stars``).
A ``coef_fmt`` such as ``"b:.3f* \\n (se:.3f)"`` is a sequence of statistic tokens, each
with an optional Python format spec after ``:`` and an optional ``*`` that appends the
significance stars, and of literal characters; ``\\n`` (or a newline) breaks the line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from torchstats.errors import InvalidOptionError

__all__ = [
    "CellElement",
    "STATISTIC_TOKENS",
    "parse_coef_fmt",
    "format_number",
    "significance_stars",
    "apply_digits",
]

# The per-coefficient statistics every results object gives, and their names in the note
# that explains the cell (maketables' ``title_map``).
STATISTIC_TOKENS: dict[str, str] = {
    "b": "Coefficient",
    "se": "Std. Error",
    "t": "t-stats",
    "p": "p-value",
    "ci95l": "95% CI Lower",
    "ci95u": "95% CI Upper",
}

# Characters that end a format spec (maketables' delimiters).
_SPEC_END = frozenset(" \n()[]\\*")
_ESCAPED = ("\\(", "\\)", "\\[", "\\]")


@dataclass(frozen=True, slots=True)
class CellElement:
    """One piece of a coefficient cell.

    Attributes
    ----------
    token : str
        A statistic name (``"b"``, ``"se"``, a custom statistic...), ``"\\n"`` for a line
        break, or a literal character.
    format_spec : str or None
        The Python format spec of a statistic (``".3f"``), None for the default format.
    stars : bool
        Whether the significance stars follow the statistic.
    is_statistic : bool
        Whether ``token`` names a statistic (else it is copied as is).
    """

    token: str
    format_spec: str | None = None
    stars: bool = False
    is_statistic: bool = False


def _valid_spec(spec: str) -> bool:
    try:
        format(0.0, spec)
    except ValueError:
        return False
    return True


def _read_spec(coef_fmt: str, start: int, tokens: Sequence[str]) -> int:
    """The end of the format spec starting at ``start`` (a ``,`` may be a grouping option)."""
    end = start
    while end < len(coef_fmt) and coef_fmt[end] not in _SPEC_END:
        if coef_fmt[end] == "," and not _valid_spec(coef_fmt[start : end + 1]):
            break
        if any(coef_fmt.startswith(token, end) for token in tokens):
            break
        end += 1
    return end


def parse_coef_fmt(
    coef_fmt: str, custom_tokens: Iterable[str] = ()
) -> tuple[list[CellElement], str]:
    """Split a ``coef_fmt`` string into cell elements, and the note that describes it.

    Parameters
    ----------
    coef_fmt : str
        E.g. ``"b:.3f* \\n (se:.3f)"`` or ``"b* [t:.2f]"``.
    custom_tokens : iterable of str
        Names of user statistics that may appear as tokens.

    Returns
    -------
    elements : list of CellElement
    title : str
        The cell's description, e.g. ``"Coefficient \\n (Std. Error)"``.

    Raises
    ------
    InvalidOptionError
        If a custom statistic reuses a built-in token's name.

    Notes
    -----
    Longer tokens are matched first (``se`` before ``s``), as in maketables.
    """
    custom = [str(token) for token in custom_tokens]
    clash = sorted(set(custom) & set(STATISTIC_TOKENS))
    if clash:
        raise InvalidOptionError(
            f"custom statistics may not be named {clash}: those names are the built-in "
            f"tokens {sorted(STATISTIC_TOKENS)}; rename them"
        )
    tokens = sorted([*STATISTIC_TOKENS, *custom], key=len, reverse=True)
    elements: list[CellElement] = []
    title: list[str] = []
    i = 0
    while i < len(coef_fmt):
        token = next((t for t in tokens if coef_fmt.startswith(t, i)), None)
        if token is not None:
            i += len(token)
            spec = None
            if coef_fmt.startswith(":", i):
                end = _read_spec(coef_fmt, i + 1, tokens)
                spec, i = coef_fmt[i + 1 : end], end
            stars = coef_fmt.startswith("*", i)
            i += stars
            elements.append(CellElement(token, spec, stars, is_statistic=True))
            title.append(STATISTIC_TOKENS.get(token, token))
        elif coef_fmt.startswith("\\n", i):
            elements.append(CellElement("\n"))
            title.append("\n")
            i += 2
        elif coef_fmt[i : i + 2] in _ESCAPED:
            # maketables keeps the backslash in the cell, drops it from the description
            elements.append(CellElement(coef_fmt[i : i + 2]))
            title.append(coef_fmt[i + 1])
            i += 2
        else:
            elements.append(CellElement(coef_fmt[i]))
            title.append(coef_fmt[i])
            i += 1
    return elements, "".join(title)


def format_number(value: float, format_spec: str | None = None) -> str:
    """A number as a table cell: with ``format_spec``, or maketables' default format.

    Parameters
    ----------
    value : float
        NaN prints as ``"-"``.
    format_spec : str, optional
        A Python format spec (``".3f"``, ``".2e"``, ``",.0f"``), or ``"d"`` for a rounded
        integer. Without one: integers as integers (with thousands separators from 1000),
        other numbers with 3 decimals (trailing zeros dropped below 1, up to 6 decimals
        below 0.001, thousands separators and 2 decimals from 1000).

    Returns
    -------
    str

    Notes
    -----
    maketables ``etable._format_number``, which formats pyfixest's ``etable`` cells.
    """
    if math.isnan(value):
        return "-"
    if format_spec is not None:
        if format_spec == "d":
            return f"{round(value):d}"
        try:
            return f"{value:{format_spec}}"
        except ValueError:
            return format_number(value)
    size = abs(value)
    if abs(value - round(value)) < 1e-10:
        return f"{round(value):,}" if size >= 1000 else f"{round(value)}"
    if 0 < size < 0.001:
        return f"{value:.6f}".rstrip("0").rstrip(".")
    if size < 1:
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if size < 1000:
        return f"{value:.3f}"
    return f"{value:,.2f}"


def significance_stars(pvalue: float, signif_code: Sequence[float]) -> str:
    """``"***"``, ``"**"``, ``"*"`` or ``""`` for a p-value and three ascending cutoffs."""
    if not signif_code or math.isnan(pvalue):
        return ""
    for stars, cutoff in zip(("***", "**", "*"), signif_code):
        if pvalue < cutoff:
            return stars
    return ""


def apply_digits(coef_fmt: str, digits: int) -> str:
    """Give every ``b``, ``se``, ``t`` and ``p`` token without a format spec ``.{digits}f``.

    maketables ``_apply_digits_to_coef_fmt``: ``apply_digits("b* (se)", 2)`` is
    ``"b:.2f* (se:.2f)"``.
    """
    spec = f".{max(digits, 0)}f"
    for token in ("b", "se", "t", "p"):
        coef_fmt = re.sub(rf"\b{token}\b(?!:)", f"{token}:{spec}", coef_fmt)
    return coef_fmt
