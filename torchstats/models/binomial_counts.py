"""A binomial response given as counts: ``(successes, failures)``, as statsmodels and R.

``GLM("s + f ~ x", df, family=Binomial())`` (or a two-column ``endog`` array) fits the
proportions ``s / (s + f)`` with ``n = s + f`` trials per row. As in statsmodels, the
trials then weight every row's variance (IRLS weights, scores, Hessian, Pearson and
deviance residuals), the log-likelihood includes the binomial coefficients, and the
degrees of freedom count rows, not trials.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from torchstats.errors import DesignError, InvalidOptionError
from torchstats.families.families import Binomial, Family
from torchstats.formula.design import Design
from torchstats.formula.responses import split_responses

__all__ = ["BinomialCounts", "binomial_counts", "proportions_of_trials"]

#: Names of the GLM's own per-row inputs: the failures travel through the design builder as
#: a per-row input named after their column (so that errors name it), unless it is one of
#: these.
_RESERVED = frozenset({"offset", "exposure", "freq_weights", "var_weights"})


@dataclass(frozen=True)
class BinomialCounts:
    """The two columns of a count response.

    Attributes
    ----------
    successes : formula str or array-like
        A one-response formula (``"s ~ x"``) or the first column.
    failures : array-like
        The second column, one value per row of the data.
    names : list of str
        The two response names (statsmodels' ``endog_names``).
    """

    successes: Any
    failures: Any
    names: list[str]

    @property
    def key(self) -> str:
        """Name of the failures among the design's per-row inputs."""
        name = self.names[1]
        return "failures" if name in _RESERVED else name


def binomial_counts(
    endog: Any, data: Any, family: Family, namespace: Mapping[str, Any] | None
) -> BinomialCounts | None:
    """The two columns of a ``(successes, failures)`` response, or None for one response.

    Raises
    ------
    InvalidOptionError
        Two responses with a family other than Binomial.
    DesignError
        More than two responses.
    """
    if isinstance(endog, str):
        if "+" not in endog.partition("~")[0] or not isinstance(data, pd.DataFrame):
            return None  # one response: the design builder takes it as it is
        names, first, others = split_responses(endog, data, namespace)
        columns = len(names)
        if columns == 2:
            _require_binomial(family, names)
            return BinomialCounts(first, others[0], names)
    else:
        shape = np.shape(endog)
        columns = shape[1] if len(shape) == 2 else 1
        if columns == 2:
            names = _array_names(endog)
            _require_binomial(family, names)
            first, second = _columns(endog)
            return BinomialCounts(first, second, names)
    if columns > 2 and isinstance(family, Binomial):
        raise DesignError(
            f"the response has {columns} columns; the Binomial family takes one (0/1 or "
            "proportions) or two (successes, failures)"
        )
    return None


def proportions_of_trials(design: Design, counts: BinomialCounts) -> tuple[Design, torch.Tensor]:
    """The design with ``successes / (successes + failures)`` as response, and the trials.

    Raises
    ------
    DesignError
        Negative counts or rows with no trials.
    """
    names = counts.names
    successes = design.endog
    failures = design.extras[counts.key].reshape(-1)
    for name, column in zip(names, (successes, failures), strict=True):
        negative = int((column < 0).sum())
        if negative:
            raise DesignError(
                f"the counts in {name!r} must be non-negative; found {negative} negative value(s)"
            )
    trials = successes + failures
    empty = int((trials == 0).sum())
    if empty:
        raise DesignError(f"{empty} row(s) have no trials ({names[0]} + {names[1]} = 0); drop them")
    extras = {k: v for k, v in design.extras.items() if k != counts.key}
    proportions = replace(design, endog=successes / trials, endog_name=str(names), extras=extras)
    return proportions, trials


def _require_binomial(family: Family, names: list[str]) -> None:
    if not isinstance(family, Binomial):
        raise InvalidOptionError(
            f"a two-column response {names} means (successes, failures) and needs the "
            f"Binomial family; the {type(family).__name__} family takes one response"
        )


def _array_names(endog: Any) -> list[str]:
    if isinstance(endog, pd.DataFrame):
        return [str(name) for name in endog.columns]
    return ["y1", "y2"]


def _columns(endog: Any) -> tuple[Any, Any]:
    if isinstance(endog, pd.DataFrame):
        return endog.iloc[:, 0], endog.iloc[:, 1].to_numpy(dtype=float)
    if isinstance(endog, torch.Tensor):
        return endog[:, 0], endog[:, 1]
    array = np.asarray(endog, dtype=float)
    return array[:, 0], array[:, 1]
