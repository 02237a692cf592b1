"""fixest's multiple estimation: several responses and stepwise regressors in one formula.

- ``y1 + y2 ~ x``: one model per response;
- ``sw(a, b)``: one model with ``a``, one with ``b`` (stepwise);
- ``csw(a, b)``: one with ``a``, one with ``a + b`` (cumulative stepwise);
- ``sw0``, ``csw0``: the same, starting with a model without any of them.

One stepwise function per formula, in the regressors or in the fixed-effects part (``y ~ x |
csw0(f1, f2)``). Responses vary slowest: ``y1 + y2 ~ csw(a, b)`` gives ``y1 ~ a``,
``y1 ~ a + b``, ``y2 ~ a``, ``y2 ~ a + b``.
"""

from __future__ import annotations

import re

from torchstats.errors import DesignError
from torchstats.formula.fixest_syntax import split_top_level

__all__ = ["expand_formula", "uses_multiple_estimation"]

_STEPWISE = re.compile(r"\b(csw0|sw0|csw|sw)\(")


def uses_multiple_estimation(formula: str) -> bool:
    """Whether ``formula`` asks for several models (stepwise terms or several responses)."""
    return len(expand_formula(formula)) > 1


def expand_formula(formula: str) -> list[str]:
    """The single-model formulas ``formula`` stands for, in fixest's order.

    Raises
    ------
    DesignError
        More than one stepwise function, or one without arguments.
    """
    main, *rest = split_top_level(formula, "|")
    if "~" not in main:
        return [formula]
    response, regressors = main.split("~", 1)
    responses = [part.strip() for part in split_top_level(response, "+")]
    tail = "|".join([regressors, *rest])
    expanded = []
    for name in responses:
        for variant in _stepwise(tail, formula):
            expanded.append(_tidy(f"{name} ~{variant}"))
    return expanded


def _stepwise(text: str, formula: str) -> list[str]:
    matches = list(_STEPWISE.finditer(text))
    if not matches:
        return [text]
    if len(matches) > 1:
        raise DesignError(f"{formula!r} has more than one stepwise function; fixest allows one")
    match = matches[0]
    end = _closing(text, match.end() - 1)
    arguments = [part.strip() for part in split_top_level(text[match.end() : end], ",")]
    if not all(arguments):
        raise DesignError(f"the stepwise function in {formula!r} needs its terms: sw(a, b)")
    kind = match[1]
    if kind.startswith("c"):
        steps = [" + ".join(arguments[: i + 1]) for i in range(len(arguments))]
    else:
        steps = arguments
    if kind.endswith("0"):
        steps = ["", *steps]
    return [text[: match.start()] + step + text[end + 1 :] for step in steps]


def _closing(text: str, opening: int) -> int:
    depth = 0
    for position in range(opening, len(text)):
        depth += {"(": 1, ")": -1}.get(text[position], 0)
        if depth == 0:
            return position
    raise DesignError(f"unbalanced parentheses in {text!r}")


def _tidy(formula: str) -> str:
    """Remove the ``+`` a dropped term left behind; an emptied part becomes ``1`` (the
    regressors) or ``0`` (the fixed effects)."""
    main, *rest = split_top_level(formula, "|")
    response, regressors = main.split("~", 1)
    parts = [_join(regressors) or "1"]
    for part in rest:
        parts.append(part.strip() if "~" in part else (_join(part) or "0"))
    return " | ".join([f"{response.strip()} ~ {parts[0]}", *parts[1:]])


def _join(text: str) -> str:
    return " + ".join(term.strip() for term in split_top_level(text, "+") if term.strip())
