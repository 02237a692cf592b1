"""patsy's contrast codings for ``C(g, ...)``, with patsy's values and column names.

statsmodels users write ``C(g, Sum)``, ``C(g, Treatment(reference="b"))``, ``C(g, Diff)``,
``C(g, Helmert)`` or ``C(g, Poly)`` and read coefficients named ``C(g, Sum)[S.a]`` or
``C(g, Poly).Linear``. formulaic has codings of the same names, but it names Diff and
Poly columns differently (``[D.b]`` for patsy's ``[D.a]``, ``[.L]`` for ``.Linear``) and codes
a factor that must span the intercept (``0 + C(g, Sum)``, ``x:C(g, Sum)``) with plain
dummies, where patsy puts a constant column first (``[mean]``, ``[H.intercept]``,
``.Constant``). These classes give patsy's matrices and column suffixes (patsy
``contrasts.py``: ``Treatment``, ``Sum``, ``Helmert``, ``Diff``, ``Poly``, each
``code_without_intercept`` for reduced rank and ``code_with_intercept`` for full rank); the
formula namespace binds them under patsy's names, so formulas use them without an import.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as spsparse
from formulaic.transforms.contrasts import Contrasts
from interface_meta import override

from torchstats.errors import DesignError

__all__ = ["PATSY_CONTRASTS", "Diff", "Helmert", "Poly", "Sum", "Treatment", "from_patsy"]


def _level_index(levels: Sequence[Hashable], level: Any, what: str) -> int:
    """Position of ``level`` (a level or an integer position), as patsy ``_get_level``."""
    levels = list(levels)
    if level in levels:
        return levels.index(level)
    if isinstance(level, int) and -len(levels) <= level < len(levels):
        return level % len(levels)
    raise DesignError(f"{what} level {level!r} is not one of the levels {levels}")


def _suffixes(prefix: str, levels: Sequence[Hashable]) -> list[str]:
    return [f"[{prefix}{level}]" for level in levels]


class _PatsyContrasts(Contrasts):
    """A coding given by patsy's reduced- and full-rank matrices and suffixes.

    Column names are the factor's name followed by patsy's suffix (``[S.a]``, ``.Linear``).
    Each rank is encoded on its own (no dropped field), as patsy codes them separately.
    """

    FACTOR_FORMAT = "{name}{field}"
    FACTOR_FORMAT_REDUCED = "{name}{field}"

    def _coding(
        self, levels: Sequence[Hashable], reduced_rank: bool
    ) -> tuple[np.ndarray, list[str]]:
        raise NotImplementedError

    @override
    def _get_coding_matrix(
        self, levels: Sequence[Hashable], reduced_rank: bool = True, sparse: bool = False
    ) -> Any:
        matrix = self._coding(levels, reduced_rank)[0]
        return spsparse.csc_matrix(matrix) if sparse else matrix

    @override
    def get_coding_column_names(
        self, levels: Sequence[Hashable], reduced_rank: bool = True
    ) -> list[Hashable]:
        return list(self._coding(levels, reduced_rank)[1])

    @override
    def get_coefficient_row_names(
        self, levels: Sequence[Hashable], reduced_rank: bool = True
    ) -> list[Hashable]:
        return list(self.get_coding_column_names(levels, reduced_rank))

    @override
    def get_drop_field(self, levels: Sequence[Hashable], reduced_rank: bool = True) -> Hashable:
        return None


class Treatment(_PatsyContrasts):
    """Dummy coding against a reference level (the first by default), patsy ``Treatment``."""

    def __init__(self, reference: Any = None) -> None:
        self.reference = reference

    @override
    def _coding(
        self, levels: Sequence[Hashable], reduced_rank: bool
    ) -> tuple[np.ndarray, list[str]]:
        n = len(levels)
        if not reduced_rank:
            return np.eye(n), _suffixes("", levels)
        ref = 0 if self.reference is None else _level_index(levels, self.reference, "reference")
        keep = [i for i in range(n) if i != ref]
        return np.eye(n)[:, keep], _suffixes("T.", [levels[i] for i in keep])


class Sum(_PatsyContrasts):
    """Deviation (effect) coding; the omitted level (the last by default) codes -1."""

    def __init__(self, omit: Any = None) -> None:
        self.omit = omit

    @override
    def _coding(
        self, levels: Sequence[Hashable], reduced_rank: bool
    ) -> tuple[np.ndarray, list[str]]:
        n = len(levels)
        omit = n - 1 if self.omit is None else _level_index(levels, self.omit, "omitted")
        keep = [i for i in range(n) if i != omit]
        matrix = np.eye(n)[:, keep]
        matrix[omit, :] = -1.0
        names = _suffixes("S.", [levels[i] for i in keep])
        if reduced_rank:
            return matrix, names
        return np.column_stack((np.ones(n), matrix)), ["[mean]", *names]


class Helmert(_PatsyContrasts):
    """Each level against the mean of the levels before it, patsy ``Helmert``."""

    @override
    def _coding(
        self, levels: Sequence[Hashable], reduced_rank: bool
    ) -> tuple[np.ndarray, list[str]]:
        n = len(levels)
        matrix = np.zeros((n, n - 1))
        matrix[1:][np.diag_indices(n - 1)] = np.arange(1, n)
        matrix[np.triu_indices(n - 1)] = -1.0
        if reduced_rank:
            return matrix, _suffixes("H.", levels[1:])
        return np.column_stack((np.ones(n), matrix)), _suffixes("H.", ["intercept", *levels[1:]])


class Diff(_PatsyContrasts):
    """Backward differences of adjacent levels, patsy ``Diff``."""

    @override
    def _coding(
        self, levels: Sequence[Hashable], reduced_rank: bool
    ) -> tuple[np.ndarray, list[str]]:
        n = len(levels)
        matrix = np.zeros((n, n - 1))
        for j in range(n - 1):  # column j: level j+1 minus level j
            matrix[: j + 1, j] = -(n - j - 1) / n
            matrix[j + 1 :, j] = (j + 1) / n
        if reduced_rank:
            return matrix, _suffixes("D.", levels[:-1])
        # patsy names the full-rank columns after all levels, the constant first
        return np.column_stack((np.ones(n), matrix)), _suffixes("D.", levels)


class Poly(_PatsyContrasts):
    """Orthogonal polynomials in the level scores (``0, 1, ...`` by default), patsy ``Poly``."""

    def __init__(self, scores: Sequence[float] | None = None) -> None:
        self.scores = scores

    @override
    def _coding(
        self, levels: Sequence[Hashable], reduced_rank: bool
    ) -> tuple[np.ndarray, list[str]]:
        n = len(levels)
        scores = np.arange(n, dtype=float) if self.scores is None else np.array(self.scores, float)
        if scores.shape != (n,):
            raise DesignError(f"Poly has {scores.size} scores for {n} levels; give one per level")
        scores = scores - scores.mean()
        q, r = np.linalg.qr(scores[:, None] ** np.arange(n)[None, :])
        q = q * np.sign(np.diag(r))
        q[:, 0] = 1.0  # the constant is not normalised (patsy)
        names = [".Constant", ".Linear", ".Quadratic", ".Cubic", *(f"^{i}" for i in range(4, n))]
        names = names[:n]
        return (q[:, 1:], names[1:]) if reduced_rank else (q, names)


PATSY_CONTRASTS: dict[str, type[Contrasts]] = {
    "Treatment": Treatment,
    "Sum": Sum,
    "Helmert": Helmert,
    "Diff": Diff,
    "Poly": Poly,
}


class _Fixed(_PatsyContrasts):
    """A coding matrix given outright, as patsy's ``ContrastMatrix``, used at either rank."""

    def __init__(self, matrix: np.ndarray, suffixes: Sequence[str]) -> None:
        self.matrix = np.asarray(matrix, dtype=float)
        self.suffixes = list(suffixes)

    @override
    def _coding(
        self, levels: Sequence[Hashable], reduced_rank: bool
    ) -> tuple[np.ndarray, list[str]]:
        if self.matrix.shape[0] != len(levels):
            raise DesignError(
                f"the contrast matrix has {self.matrix.shape[0]} rows for {len(levels)} levels"
            )
        return self.matrix, self.suffixes


class _PatsyProtocol(_PatsyContrasts):
    """A user's coding in patsy's protocol: an object whose ``code_without_intercept`` and
    ``code_with_intercept`` methods return ``ContrastMatrix``-like objects (``matrix``,
    ``column_suffixes``) for the levels, as statsmodels' contrast tutorial writes them."""

    def __init__(self, coding: Any) -> None:
        self.coding = coding

    @override
    def _coding(
        self, levels: Sequence[Hashable], reduced_rank: bool
    ) -> tuple[np.ndarray, list[str]]:
        method = "code_without_intercept" if reduced_rank else "code_with_intercept"
        contrast = getattr(self.coding, method)(list(levels))
        matrix = np.asarray(contrast.matrix, dtype=float)
        suffixes = list(contrast.column_suffixes)
        if matrix.ndim != 2 or matrix.shape[0] != len(levels) or matrix.shape[1] != len(suffixes):
            raise DesignError(
                f"{type(self.coding).__name__}.{method} gave a {matrix.shape} matrix with "
                f"{len(suffixes)} column names for {len(levels)} levels"
            )
        return matrix, suffixes


def _protocol_class(coding: type) -> type[_PatsyProtocol]:
    """A contrasts class standing for a user's coding class: its arguments build the
    coding (``C(g, Simple)`` and ``C(g, Simple(...))`` both work, as in patsy)."""

    def __init__(self: _PatsyProtocol, *args: Any, **kwargs: Any) -> None:
        _PatsyProtocol.__init__(self, coding(*args, **kwargs))

    return type(coding.__name__, (_PatsyProtocol,), {"__init__": __init__})


def _patsy_protocol(value: Any) -> bool:
    """Whether ``value`` (a class or an instance) codes factors by patsy's protocol."""
    return all(callable(getattr(value, m, None)) for m in _PATSY_METHODS)


_PATSY_METHODS = ("code_with_intercept", "code_without_intercept")
_PATSY_ARGUMENTS = {"Treatment": "reference", "Sum": "omit", "Poly": "scores"}


def from_patsy(value: Any) -> Any:
    """patsy's contrast classes, instances and ``ContrastMatrix`` as these classes, and any
    class or instance with patsy's ``code_with_intercept``/``code_without_intercept``
    methods; any other value unchanged.

    statsmodels scripts import them (``from patsy.contrasts import Treatment``) and name
    them in formulas; the caller's namespace would hide this module's classes otherwise.
    """
    cls = value if isinstance(value, type) else type(value)
    if getattr(cls, "__module__", None) != "patsy.contrasts":
        if isinstance(value, Contrasts) or (
            isinstance(value, type) and issubclass(value, Contrasts)
        ):
            return value
        if _patsy_protocol(value):  # a user's coding: a class (``Simple``, ``Simple()``)
            return _protocol_class(value) if isinstance(value, type) else _PatsyProtocol(value)
        return value
    name = cls.__name__
    if name == "ContrastMatrix":  # the class itself is no coding (it needs a matrix)
        return value if isinstance(value, type) else _Fixed(value.matrix, value.column_suffixes)
    if name not in PATSY_CONTRASTS:
        return value
    ours = PATSY_CONTRASTS[name]
    if isinstance(value, type):
        return ours
    argument = _PATSY_ARGUMENTS.get(name)
    return ours(getattr(value, argument)) if argument else ours()
