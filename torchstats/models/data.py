"""What a model shows of its data: statsmodels' ``model.data`` and the model's arrays.

statsmodels models hold their data as numpy arrays (``model.endog``, ``model.exog``,
``model.weights``...) and keep the labelled originals on ``model.data``, where its plots,
influence measures and diagnostics look for them (``orig_endog``, ``row_labels``,
``xnames``...). torchstats models compute with the tensors of their
:class:`~torchstats.formula.design.Design`; :func:`plain_array` gives the statsmodels view
of one of them (numpy for numpy and pandas input, the tensor itself for tensor input), and
:class:`ModelData` the labelled one. Both are built only when read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import pandas as pd
import torch

from torchstats.formula.design import Design
from torchstats.structured.block_matrix import BlockMatrix, densify

__all__ = ["ModelData", "plain_array"]


def plain_array(design: Design, values: torch.Tensor | BlockMatrix) -> Any:
    """A model array as statsmodels shows it: numpy for numpy and pandas input, else the tensor.

    Parameters
    ----------
    design : Design
        The model's design, whose input kind decides the container.
    values : Tensor or BlockMatrix
        A per-row vector or the design matrix (sparse dummy blocks are made dense).

    Returns
    -------
    numpy.ndarray or Tensor
        An array sharing the tensor's memory on the CPU.
    """
    return design.output.plain(densify(values) if isinstance(values, BlockMatrix) else values)


class ModelData:
    """statsmodels' ``ModelData`` / ``PandasData`` of a model (``model.data``).

    Parameters
    ----------
    design : Design
        The model's design.
    ynames : str or list of str
        Name(s) of the response (the model's ``endog_names``).
    xnames : sequence of str
        The model's ``exog_names``: the design columns, then any extra parameter (the
        negative binomial's ``alpha``), as statsmodels.
    constant : callable
        Returns ``(k_constant, const_idx)``; called when either is read.
    response : Tensor, optional, shape (n, m)
        The response's columns as given, where the model fits a transform of them (a
        binomial GLM's ``(successes, failures)``, fitted as proportions): ``endog`` and
        ``orig_endog`` show them, as statsmodels' ``model.data`` does.

    Notes
    -----
    ``model_spec`` is formulaic's ``ModelSpec`` (statsmodels keeps patsy's ``DesignInfo``
    there). ``frame`` exists only for formula models, as in statsmodels.
    """

    def __init__(
        self,
        design: Design,
        *,
        ynames: str | list[str],
        xnames: Sequence[str],
        constant: Callable[[], tuple[int, int | None]],
        response: torch.Tensor | None = None,
    ) -> None:
        self._design = design
        self.ynames = ynames
        self.xnames = list(xnames)
        self._constant = constant
        self._response = response

    @cached_property
    def endog(self) -> Any:
        """Response, shape (n,) (or the given columns, (n, m)): numpy (a tensor for tensor
        input)."""
        values = self._design.endog if self._response is None else self._response
        return plain_array(self._design, values)

    @cached_property
    def exog(self) -> Any:
        """Design matrix, shape (n, k): numpy (a tensor for tensor input)."""
        return plain_array(self._design, self._design.exog)

    @property
    def row_labels(self) -> pd.Index | None:
        """Labels of the rows used (pandas input), else None."""
        return self._design.row_index

    @cached_property
    def orig_endog(self) -> Any:
        """The response as given: a DataFrame for formulas, a Series for pandas, else an array."""
        if self._design.output.kind != "pandas":
            return self.endog
        if self._response is not None:
            return pd.DataFrame(self.endog, index=self.row_labels, columns=list(self.ynames))
        name = self._design.endog_name
        if self._design.formula is not None:
            return pd.DataFrame({name: self.endog}, index=self.row_labels)
        return pd.Series(self.endog, index=self.row_labels, name=name)

    @cached_property
    def orig_exog(self) -> Any:
        """The design as given: a labelled DataFrame for pandas input, else an array."""
        if self._design.output.kind != "pandas":
            return self.exog
        return pd.DataFrame(
            self.exog, index=self.row_labels, columns=list(self._design.exog_names), copy=False
        )

    @property
    def param_names(self) -> list[str]:
        """Parameter names: :attr:`xnames` (statsmodels' default)."""
        return list(self.xnames)

    @property
    def cov_names(self) -> list[str]:
        """Labels of the covariance matrix (the parameter names)."""
        return self.param_names

    @property
    def k_constant(self) -> int:
        """1 if the design has an explicit or implicit constant, else 0."""
        return self._constant()[0]

    @property
    def const_idx(self) -> int | None:
        """Column of the explicit constant, None if absent or implicit."""
        return self._constant()[1]

    @property
    def formula(self) -> str | None:
        """The model's formula, if any."""
        return self._design.formula

    @property
    def model_spec(self) -> Any:
        """formulaic's ``ModelSpec`` of the right-hand side (formula models), else None."""
        return self._design.model_spec

    @property
    def frame(self) -> pd.DataFrame:
        """The data the formula was evaluated on (after ``subset``), as statsmodels keeps it.

        Raises
        ------
        AttributeError
            For models built from arrays, which have no frame (as in statsmodels).
        """
        rows = self._design.rows
        if rows is None or rows.frame is None:
            raise AttributeError("'ModelData' object has no attribute 'frame' (no formula)")
        return rows.frame

    def __repr__(self) -> str:
        return f"<torchstats.ModelData {self._design.output.kind}, nobs={self._design.nobs}>"
