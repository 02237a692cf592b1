"""fixest's multiple estimation: several responses and stepwise regressors in one formula.

- ``y1 + y2 ~ x``: one model per response;
- ``sw(a, b)``: one model with ``a``, one with ``b`` (stepwise);
- ``csw(a, b)``: one with ``a``, one with ``a + b`` (cumulative stepwise);
- ``sw0``, ``csw0``: the same, starting with a model without any of them.

At most one stepwise function per part: the regressors, the fixed effects (``y ~ x |
csw0(f1, f2)``) and the instruments (``y ~ x | f | d ~ sw(z1, z2)``). The order is pyfixest's
(``FixestMulti``): the fixed-effects steps vary slowest, then the responses, then the
regressor steps, then the instrument steps: ``y1 + y2 ~ csw(a, b) | sw(f, g)`` gives
``y1 ~ a | f``, ``y1 ~ a + b | f``, ``y2 ~ a | f``, ``y2 ~ a + b | f``, then the same with
``g``.
"""

from __future__ import annotations

import itertools
import re

from torchstats.errors import DesignError
from torchstats.formula.fixest_syntax import split_top_level

__all__ = ["expand_formula", "uses_multiple_estimation", "uses_stepwise"]

_STEPWISE = re.compile(r"\b(csw0|sw0|csw|sw)\(")


def uses_multiple_estimation(formula: str) -> bool:
    """Whether ``formula`` asks for several models (stepwise terms or several responses)."""
    return len(expand_formula(formula)) > 1


def uses_stepwise(formula: str) -> bool:
    """Whether ``formula`` has a stepwise function (``sw``, ``csw``, ``sw0``, ``csw0``)."""
    return _STEPWISE.search(formula) is not None


def expand_formula(formula: str) -> list[str]:
    """The single-model formulas ``formula`` stands for, in pyfixest's order.

    Raises
    ------
    DesignError
        More than one stepwise function in a part, or one without arguments.
    """
    main, *rest = split_top_level(formula, "|")
    if "~" not in main:
        return [formula]
    response, regressors = main.split("~", 1)
    responses = [part.strip() for part in split_top_level(response, "+")]
    parts = [regressors, *rest]
    variants = [_stepwise(part, formula) for part in parts]
    # the fixed-effects part (the first after the regressors without its own "~") varies
    # slowest, as in pyfixest's dictionary of models keyed by fixed effects
    effects = next((i for i, part in enumerate(rest, 1) if "~" not in part), None)
    outer: list[str | None] = [None] if effects is None else list(variants[effects])
    inner = [v for i, v in enumerate(variants) if i != effects]
    expanded = []
    for effect in outer:
        for name in responses:
            for combination in itertools.product(*inner):
                chosen = list(combination)
                if effect is not None and effects is not None:
                    chosen.insert(effects, effect)
                expanded.append(_tidy(f"{name} ~{'|'.join(chosen)}"))
    return expanded


def _stepwise(text: str, formula: str) -> list[str]:
    matches = list(_STEPWISE.finditer(text))
    if not matches:
        return [text]
    if len(matches) > 1:
        raise DesignError(
            f"{formula!r} has more than one stepwise function in one part; one is allowed per "
            "part (regressors, fixed effects, instruments)"
        )
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
