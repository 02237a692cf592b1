"""Containers of the tests' optional outputs (statsmodels' ``ResultsStore`` and named tuples)."""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["ResultsStore", "LMTestResult", "GoldfeldQuandtResult"]


class ResultsStore:
    """Intermediate results of a test, kept when it is called with ``store=True``.

    Attributes are set by the test (``resols``, ``usedlag``, ...), as in statsmodels.
    """

    _str: str = ""

    def __str__(self) -> str:
        return self._str or repr(self)

    def __setattr__(self, name: str, value: Any) -> None:  # attributes are free-form
        object.__setattr__(self, name, value)


class LMTestResult(NamedTuple):
    """Result of :func:`acorr_breusch_godfrey` (statsmodels' ``LMTestResult``)."""

    lm: float
    lmpval: float
    fval: float
    fpval: float
    res_store: ResultsStore | None


class GoldfeldQuandtResult(NamedTuple):
    """Result of :func:`het_goldfeldquandt` (statsmodels' ``GoldfeldQuandtResult``)."""

    fval: float
    pval: float
    ordering: str
    res_store: ResultsStore | None
