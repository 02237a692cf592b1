"""A formula's namespace made picklable, for results that are saved and loaded.

A formula model keeps the namespace its formula was evaluated in (the caller's variables,
numpy, torchstats' transforms) so that ``predict`` can evaluate the formula on new data.
That namespace holds modules, which pickle refuses, and everything else in the caller's
scope (data frames included). Pickled, it keeps only the names the formula mentions and
torchstats' own entries (``<...>`` keys), modules by their import name; loading imports
them again and adds the default namespace back.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

__all__ = ["reduced_namespace", "restored_namespace"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class _ModuleName:
    """A module, pickled by its import name."""

    name: str


def reduced_namespace(
    namespace: Mapping[str, Any] | None, formula: str | None, defaults: Mapping[str, Any]
) -> dict[str, Any] | None:
    """What of ``namespace`` a pickle keeps: the entries named in ``formula`` that are not
    the default ones, and the ``<...>`` entries; modules as :class:`_ModuleName`."""
    if namespace is None:
        return None
    mentioned = set(_NAME.findall(formula or ""))
    kept: dict[str, Any] = {}
    for name, value in namespace.items():
        if name in defaults and defaults[name] is value:
            continue
        if name.startswith("<") or name in mentioned:
            kept[name] = _ModuleName(value.__name__) if isinstance(value, ModuleType) else value
    return kept


def restored_namespace(
    kept: Mapping[str, Any] | None, defaults: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The namespace of a loaded design: the defaults and the kept entries, modules
    imported again."""
    if kept is None:
        return None
    restored = {
        name: importlib.import_module(value.name) if isinstance(value, _ModuleName) else value
        for name, value in kept.items()
    }
    return {**defaults, **restored}
