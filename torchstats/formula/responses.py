"""Formulas with several responses: ``"y1 + y2 ~ x"``.

Batched regressions fit one model per response; a binomial GLM reads two responses as
``(successes, failures)``. Both build the design from a one-response formula (the first
response) and carry the other responses as per-row arrays, so missing-row handling and
the formula machinery stay those of the single-response door.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix
from formulaic.errors import FormulaicError

from torchstats.errors import DesignError
from torchstats.formula.design import check_variables, formula_namespace

__all__ = ["split_responses"]


def split_responses(
    formula: str, rows: pd.DataFrame, context: Mapping[str, Any] | None
) -> tuple[list[str], str, list[np.ndarray]]:
    """Split ``"y1 + y2 ~ rhs"`` into the response names, ``"y1 ~ rhs"`` and the values of
    the other responses (one array per response, aligned with ``rows``).

    A formula with one response comes back unchanged, with no other responses.
    """
    _, _, rhs = formula.partition("~")
    try:
        parsed = Formula(formula)
    except FormulaicError as error:
        raise DesignError(f"cannot parse formula {formula!r}: {error}") from None
    terms = [str(term) for term in getattr(parsed, "lhs", [])]
    if len(terms) <= 1:
        return terms or ["y"], formula, []
    namespace = formula_namespace(context)
    check_variables(parsed, rows, namespace, formula)
    values = model_matrix("0 + " + " + ".join(terms), rows, context=namespace, na_action="ignore")
    others = [values[name].to_numpy(dtype=float) for name in terms[1:]]
    return terms, f"{terms[0]} ~ {rhs}", others
