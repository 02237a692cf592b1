"""Coefficient names in a regression table: which to show, and how to print them.

Ports of maketables' ``_select_order_coefs`` (``keep`` and ``drop`` patterns),
``_relabel_expvar`` and ``_rename_categorical`` (labels, interactions joined by `` × ``,
levels of categorical variables through a template), which pyfixest's ``etable`` applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from torchstats.errors import InvalidOptionError, SpecificationWarning, warn

__all__ = ["select_coefficients", "check_patterns", "relabel_coefficient"]


def select_coefficients(
    names: list[str], keep: Sequence[str], drop: Sequence[str], exact: bool
) -> list[str]:
    """maketables ``_select_order_coefs``: ``keep`` in pattern order, then ``drop``."""

    def matches(pattern: str, name: str) -> bool:
        return pattern == name if exact else re.search(pattern, name) is not None

    selected = list(names) if not keep else []
    remaining = list(names)
    for pattern in keep:
        selected += [name for name in remaining if matches(pattern, name)]
        remaining = [name for name in remaining if not matches(pattern, name)]
    for pattern in drop:
        selected = [name for name in selected if not matches(pattern, name)]
    return selected


def check_patterns(names: list[str], patterns: Mapping[str, Sequence[str]], exact: bool) -> None:
    """Raise for a pattern that is no regular expression; warn for one that matches nothing."""
    for option, values in patterns.items():
        for pattern in values:
            if exact:
                found = pattern in names
            else:
                try:
                    found = any(re.search(pattern, name) for name in names)
                except re.error as error:
                    raise InvalidOptionError(
                        f"{option} pattern {pattern!r} is not a regular expression ({error}); "
                        "escape it with re.escape or pass exact_match=True"
                    ) from error
            if not found:
                warn(
                    f"{option} pattern {pattern!r} matches no coefficient (they are "
                    f"{names}); check its spelling",
                    SpecificationWarning,
                )


def _split_interaction(name: str) -> list[str]:
    """Split at ``:`` outside brackets and not in ``::`` (maketables)."""
    parts, start, depth = [], 0, 0
    for i, char in enumerate(name):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif char == ":" and depth == 0 and name[i - 1 : i] != ":" and name[i + 1 : i + 2] != ":":
            parts.append(name[start:i])
            start = i + 1
    return [*parts, name[start:]]


_CATEGORICAL = (
    re.compile(r"C\(([^,]+)(?:,[^]]+)?\)\[(?:T\.)?(.+)\]$"),
    re.compile(r"([^[]+)\[(?:T\.)?(.+)\]$"),
)


def _as_int(value: str) -> str:
    """A level such as ``"2.0"`` as ``"2"`` (the template's ``{value_int}``)."""
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else str(number)


def relabel_coefficient(name: str, labels: Mapping[str, str], cat_template: str) -> str:
    """A coefficient's display name: labels, ``cat_template`` for levels, `` × `` joins.

    maketables ``_relabel_expvar`` with ``_rename_categorical``: ``C(g)[T.b]`` becomes
    ``g=b`` under the default template ``"{variable}={value}"``. With neither labels nor
    a template the name is kept as it is (``x1:x2`` too), as in maketables.
    """
    if not labels and not cat_template:
        return name
    parts = []
    for part in _split_interaction(name):
        if cat_template and ("C(" in part or "[" in part):
            pattern = _CATEGORICAL[0] if part.startswith("C(") else _CATEGORICAL[1]
            match = pattern.search(part)
            if match:
                variable = labels.get(match.group(1), match.group(1))
                value = match.group(2)
                part = cat_template.format(variable=variable, value=value, value_int=_as_int(value))
            parts.append(part)
        else:
            parts.append(labels.get(part, part))
    return " × ".join(parts)
