"""Output of models whose parameters form equations over the same regressors.

A multinomial logit has one equation (a coefficient vector over the same ``k``
regressors) per non-reference outcome. Inside torchstats its ``m k`` parameters are one
vector, equation after equation; statsmodels shows them as a ``(k, m)`` table (one column
per equation) and labels the covariance with a (equation, regressor) MultiIndex.
:class:`EquationOutputFormat` is that layout; any model with equations of equal length can
return it as its ``output``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch

from torchstats._device import OutputFormat, to_numpy

__all__ = ["EquationOutputFormat"]


@dataclass(frozen=True, slots=True)
class EquationOutputFormat(OutputFormat):
    """statsmodels' multi-equation layout of parameter-shaped output.

    Attributes
    ----------
    param_names : tuple of str
        One flat name per parameter, equation after equation (the names constraints such
        as ``t_test("y1_x = 0")`` use).
    regressor_names : tuple of str
        The ``k`` names each equation shares (the rows of ``params``).
    equation_labels : tuple of str
        One label per equation (the first level of the MultiIndex).
    equation_title : str or None
        The name of that level (statsmodels: the response's name).
    equation_columns : tuple or None
        Column labels of ``params``; None gives the positions ``0..m-1`` (statsmodels'
        multinomial results).

    Notes
    -----
    Parameter vectors become ``(k, m)`` tables (a DataFrame for pandas input); parameter
    matrices and tables (``cov_params()``, ``conf_int()``) are indexed by
    ``MultiIndex.from_product([equation_labels, regressor_names])``; for numpy and torch
    input a table of ``c`` statistics per parameter has shape ``(m, k, c)``, as
    statsmodels' multinomial ``conf_int``.
    """

    regressor_names: tuple[str, ...] = ()
    equation_labels: tuple[str, ...] = ()
    equation_title: str | None = None
    equation_columns: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.param_names) != len(self.regressor_names) * len(self.equation_labels):
            raise ValueError(
                f"{len(self.param_names)} parameter names for {len(self.equation_labels)} "
                f"equations of {len(self.regressor_names)} regressors"
            )

    @property
    def multi_index(self) -> pd.MultiIndex:
        """(equation, regressor) labels of the flat parameters."""
        return pd.MultiIndex.from_product(
            [list(self.equation_labels), list(self.regressor_names)],
            names=[self.equation_title, None],
        )

    def equations(self, values: torch.Tensor) -> torch.Tensor:
        """The flat parameter axis (the first) split into ``(m, k, ...)``."""
        shape = (len(self.equation_labels), len(self.regressor_names))
        return values.reshape(shape + tuple(values.shape[1:]))

    def params(self, values: torch.Tensor, name: str | None = None) -> Any:
        """A per-parameter vector as a ``(k, m)`` table: one column per equation."""
        table = self.equations(values).T
        if self.kind != "pandas":
            return self.plain(table)
        columns = (
            pd.RangeIndex(table.shape[1])
            if self.equation_columns is None
            else list(self.equation_columns)
        )
        return pd.DataFrame(to_numpy(table), index=list(self.regressor_names), columns=columns)

    def matrix(self, values: torch.Tensor) -> Any:
        """A parameter-by-parameter matrix labelled by (equation, regressor) pairs."""
        if self.kind != "pandas":
            return self.plain(values)
        index = self.multi_index
        return pd.DataFrame(to_numpy(values), index=index, columns=index)

    def table(self, values: torch.Tensor, columns: Sequence[Any]) -> Any:
        """Statistics per parameter, shape ``(m k, c)``: a MultiIndex DataFrame, else an
        ``(m, k, c)`` array."""
        if self.kind != "pandas":
            return self.plain(self.equations(values))
        return pd.DataFrame(to_numpy(values), index=self.multi_index, columns=list(columns))
