"""fixest's formula syntax: ``y ~ x1 + x2 | f1 + f2^f3 + f4[x1] | endog ~ instruments``.

The parts are separated by ``|`` outside brackets. The first is an ordinary formula (the
response and the regressors); a later part with a ``~`` is the instrumental-variables part
(endogenous regressors ``~`` instruments); another later part lists the fixed effects:

- ``f`` a fixed effect of the factor ``f``;
- ``f1^f2`` a fixed effect of the combinations of ``f1`` and ``f2``;
- ``f[x]`` (or ``f[x1, x2]``) the fixed effect ``f`` and slopes on ``x`` varying by ``f``;
  ``f[[x]]`` the varying slopes without the fixed effect (fixest's rules);
- ``0`` no fixed effects (``y ~ x | 0 | d ~ z``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torchstats.errors import DesignError

__all__ = [
    "FixedEffectTerm",
    "FixestFormula",
    "parse_fixest",
    "split_top_level",
    "uses_fixest_syntax",
]

_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_TERM = re.compile(
    rf"^(?P<factors>{_NAME}(?:\s*\^\s*{_NAME})*)\s*"
    rf"(?:(?P<open>\[\[?)\s*(?P<slopes>{_NAME}(?:\s*,\s*{_NAME})*)\s*(?P<close>\]\]?))?$"
)


@dataclass(frozen=True)
class FixedEffectTerm:
    """One term of the fixed-effects part.

    Attributes
    ----------
    factors : tuple of str
        The columns whose combinations define the groups (one for ``f``, two for ``f1^f2``).
    slopes : tuple of str
        Variables whose slopes vary by group (``f[x1, x2]``); empty for a plain effect.
    with_effect : bool
        Whether the group's own effect is included (False for ``f[[x]]``).
    """

    factors: tuple[str, ...]
    slopes: tuple[str, ...] = ()
    with_effect: bool = True

    @property
    def name(self) -> str:
        """The group's name as fixest writes it: ``f1^f2``."""
        return "^".join(self.factors)

    @property
    def label(self) -> str:
        """The term as written: ``f1^f2``, ``f[x1,x2]``, ``f[[x]]``."""
        if not self.slopes:
            return self.name
        inner = ",".join(self.slopes)
        return f"{self.name}[{inner}]" if self.with_effect else f"{self.name}[[{inner}]]"


@dataclass(frozen=True)
class FixestFormula:
    """A formula in fixest's syntax, split into its parts.

    Attributes
    ----------
    main : str
        ``response ~ regressors``, an ordinary formula.
    fixed_effects : tuple of FixedEffectTerm
        The effects to absorb (empty without a fixed-effects part, or with ``| 0``).
    endogenous : str or None
        The endogenous regressors (left side of the instrumental-variables part).
    instruments : str or None
        The excluded instruments (its right side).
    """

    main: str
    fixed_effects: tuple[FixedEffectTerm, ...] = ()
    endogenous: str | None = None
    instruments: str | None = None

    @property
    def fixef_names(self) -> tuple[str, ...]:
        """The fixed effects' labels, as written."""
        return tuple(term.label for term in self.fixed_effects)


def uses_fixest_syntax(formula: str) -> bool:
    """Whether ``formula`` has a ``|`` outside brackets (a fixest part)."""
    return len(split_top_level(formula, "|")) > 1


def parse_fixest(formula: str) -> FixestFormula:
    """Split a fixest formula into its parts.

    Raises
    ------
    DesignError
        A part is malformed: more than one fixed-effects or instrumental-variables part,
        a fixed-effects term that is not a name, ``a^b`` or ``f[x]``.
    """
    main, *rest = (part.strip() for part in split_top_level(formula, "|"))
    if "~" not in main:
        raise DesignError(f"the formula {formula!r} has no response: write 'y ~ x | f'")
    effects: tuple[FixedEffectTerm, ...] | None = None
    endogenous = instruments = None
    for part in rest:
        if "~" in part:
            if endogenous is not None:
                raise DesignError(f"{formula!r} has two instrumental-variables parts; give one")
            endogenous, instruments = (side.strip() for side in part.split("~", 1))
            if not endogenous or not instruments:
                raise DesignError(
                    f"the instrumental-variables part {part!r} needs 'endogenous ~ instruments'"
                )
        else:
            if effects is not None:
                raise DesignError(f"{formula!r} has two fixed-effects parts; join them with '+'")
            effects = _fixed_effect_terms(part, formula)
    return FixestFormula(main, effects or (), endogenous, instruments)


def _fixed_effect_terms(part: str, formula: str) -> tuple[FixedEffectTerm, ...]:
    if part in ("0", ""):
        return ()
    terms = []
    for text in split_top_level(part, "+"):
        match = _TERM.match(text.strip())
        if (
            match is None
            or bool(match["open"]) != bool(match["close"])
            or (match["open"] and len(match["open"]) != len(match["close"]))
        ):
            raise DesignError(
                f"cannot read the fixed effect {text.strip()!r} in {formula!r}: write a column "
                "name 'f', a combination 'f1^f2', or varying slopes 'f[x]' / 'f[[x]]'"
            )
        factors = tuple(name.strip() for name in match["factors"].split("^"))
        slopes = (
            tuple(name.strip() for name in match["slopes"].split(",")) if match["slopes"] else ()
        )
        terms.append(FixedEffectTerm(factors, slopes, match["open"] != "[["))
    labels = [term.label for term in terms]
    if len(set(labels)) != len(labels):
        raise DesignError(f"a fixed effect is listed twice in {formula!r}")
    return tuple(terms)


def split_top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` where no bracket is open."""
    parts, depth, start = [], 0, 0
    for position, character in enumerate(text):
        if character in "([{":
            depth += 1
        elif character in ")]}":
            depth -= 1
        elif character == separator and depth == 0:
            parts.append(text[start:position])
            start = position + 1
    parts.append(text[start:])
    return parts
