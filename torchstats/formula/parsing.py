"""Formula text to formulaic terms, read as statsmodels (patsy) reads it.

formulaic parses the formula; this module adds what statsmodels users rely on:

* ``(a + b + c)**2`` lists its terms as patsy does (all main effects, then the two-way
  interactions, ...; patsy ``desc.py::_eval_binary_power``), where formulaic lists them by
  ``itertools.product`` (``a, a:b, a:c, b, ...``). The term order decides the column order
  (see :mod:`.ordering`), so it must be patsy's;
* ``y ~ .`` means every column of the data but the ones the response uses, in frame order
  (patsy has no ``.``; formulaic's meaning, as R's);
* the variables a formula needs, with backtick-quoted names (`` `Sepal.Length` ``) and patsy's
  ``Q('x.a')`` read as the columns they name (formulaic's own list splits them at the dot);
* clear errors for formulas statsmodels cannot fit either: no regressors (``y ~ 0``),
  absorbed fixed effects (``y ~ x | fe``), no response.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from formulaic import Formula
from formulaic.errors import FactorEvaluationError, FormulaicError
from formulaic.parser import DefaultFormulaParser, DefaultOperatorResolver
from formulaic.parser.types import Factor, Operator, OrderedSet, Term

from torchstats.errors import DesignError, NonNumericDataError, UnknownColumnError

__all__ = ["factor_error", "factor_variables", "formula_variables", "parse_formula"]

# The message formulaic gives when ``.`` is parsed without knowing the data's columns.
_DOT_NEEDS_COLUMNS = "The `.` operator requires additional context"


def _patsy_power(base: OrderedSet[Term], power: OrderedSet[Term]) -> OrderedSet[Term]:
    """``base ** power`` with patsy's term order: base terms, then their pairwise products
    (each base term times each earlier product, in that loop order), and so on."""
    exponent_term = next(iter(power))
    expr = exponent_term.factors[0].expr if len(exponent_term.factors) == 1 else ""
    try:
        exponent = int(expr)
    except ValueError:
        exponent = 0
    if exponent < 1:
        raise DesignError(f"the right-hand side of '**' must be a positive integer, not {expr!r}")
    left = list(base)
    terms: list[Term] = list(left)
    product: list[Term] = list(left)
    for _ in range(1, min(len(left), exponent)):
        product = list(OrderedSet(l_term * r_term for l_term in left for r_term in product))
        terms.extend(product)
    return OrderedSet(terms)


class _PatsyOperatorResolver(DefaultOperatorResolver):
    """formulaic's operators with ``**`` (and ``^``) expanding in patsy's term order."""

    @property
    def operators(self) -> list[Operator]:
        operators = super().operators
        return [
            Operator(
                op.symbol,
                arity=2,
                precedence=op.precedence,
                associativity=op.associativity,
                fixity=op.fixity,
                to_terms=_patsy_power,
                structural=op.structural,
                disabled=op.disabled,
            )
            if op.symbol in ("**", "^")
            else op
            for op in operators
        ]


_PARSER = DefaultFormulaParser(operator_resolver=_PatsyOperatorResolver())


def parse_formula(formula: str, columns: Sequence[Any] = ()) -> Any:
    """Parse ``formula`` (terms in formula order), refusing what statsmodels cannot fit.

    Parameters
    ----------
    formula : str
        ``"y ~ ..."``.
    columns : sequence
        The data's columns, needed only when the formula uses ``.`` (all other columns).

    Raises
    ------
    DesignError
        Unparseable text, no response or more than one, ``|`` (absorbed fixed effects),
        or no regressors at all (``y ~ 0``).
    """
    if not isinstance(formula, str):
        raise DesignError(f"formula must be a string such as 'y ~ x', not {type(formula).__name__}")
    try:
        return _parsed(formula, ())
    except _NeedsColumns:
        return _parsed(formula, tuple(str(c) for c in columns))


class _NeedsColumns(Exception):
    """The formula uses ``.``: parse it again with the data's columns."""


@functools.lru_cache(maxsize=256)
def _parsed(formula: str, columns: tuple[str, ...]) -> Any:
    """The parsed formula (formulaic's objects are not modified downstream, so shared):
    parsing takes a few milliseconds, a good part of a small fit in a loop."""
    context = {"__formulaic_variables_available__": list(columns)} if columns else None
    try:
        parsed = Formula(formula, _parser=_PARSER, _ordering="none", _context=context)
    except DesignError:
        raise
    except FormulaicError as error:
        if _DOT_NEEDS_COLUMNS in str(error) and not columns:
            raise _NeedsColumns from None
        raise DesignError(f"cannot parse formula {formula!r}: {error}") from None
    _check_shape(parsed, formula)
    return parsed


def _check_shape(parsed: Any, formula: str) -> None:
    if not hasattr(parsed, "lhs") or not list(parsed.lhs):
        raise DesignError(f"formula {formula!r} has no response; write it as 'y ~ x1 + ...'")
    if isinstance(parsed.rhs, tuple) or isinstance(parsed.lhs, tuple):
        raise DesignError(
            f"formula {formula!r} has several parts separated by '|': this model does not "
            "absorb fixed effects ('y ~ x | fe'; ts.ols, ts.wls, ts.glm, ts.poisson, "
            "ts.logit, ts.probit and ts.negativebinomial do, see docs/fixed-effects.md and "
            "docs/fixed-effects-glm.md): add them as dummy variables instead, "
            "'y ~ x + C(fe)' (the same slope estimates)"
        )
    if len(list(parsed.lhs)) != 1:
        raise DesignError(f"formula {formula!r} must have exactly one response term")
    if not list(parsed.rhs):
        raise DesignError(
            f"formula {formula!r} has no regressors (no intercept and no terms), so there is "
            "no model to fit (statsmodels fails on it too); add an intercept ('y ~ 1') or terms"
        )


def formula_variables(part: Any) -> set[str]:
    """Names of the data columns (or namespace names) that formula ``part`` reads.

    Unlike formulaic's ``required_variables``, backtick-quoted names and patsy's
    ``Q('x.a')`` give the whole column name, and called names (``np.log``, ``bs``) are left
    out.
    """
    names: set[str] = set()
    for term in part:
        for factor in term.factors:
            names |= factor_variables(factor)
    return names


def factor_variables(factor: Factor) -> set[str]:
    """Names one factor reads (see :func:`formula_variables`)."""
    if factor.eval_method == Factor.EvalMethod.LITERAL:
        return set()
    if factor.eval_method == Factor.EvalMethod.LOOKUP:
        return {factor.expr}
    return set(_expression_variables(factor.expr))


def expression_variables(expr: str) -> set[str]:
    """Names a Python expression of a formula reads (``C(g, Sum)``: ``{"g"}``)."""
    return set(_expression_variables(expr))


@functools.lru_cache(maxsize=1024)
def _expression_variables(expr: str) -> frozenset[str]:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        # formulaic's own reading, e.g. for backticks inside a Python expression
        return frozenset(str(v) for v in Formula(f"~ {expr}").required_variables)
    return frozenset(_names(tree.body))


def _names(node: ast.AST) -> Iterable[str]:
    """Names read by an expression: quoted ``Q('...')`` columns and unquoted names, not
    called functions nor attribute lookups on a name other than its root."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "Q" and node.args:
            quoted = node.args[0]
            if isinstance(quoted, ast.Constant) and isinstance(quoted.value, str):
                return [quoted.value]
        children: list[ast.AST] = [*node.args, *(k.value for k in node.keywords)]
        if isinstance(func, ast.Attribute):
            children.append(func.value)
        return itertools.chain.from_iterable(_names(child) for child in children)
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return _names(node.value)
    return itertools.chain.from_iterable(_names(child) for child in ast.iter_child_nodes(node))


def factor_error(error: FactorEvaluationError, formula: str) -> DesignError:
    """The torchstats error for formulaic's failure to evaluate a factor of ``formula``:
    an unknown name, text where a number is needed, or another design error."""
    cause = error.__cause__
    if isinstance(cause, NameError):
        return UnknownColumnError(f"in formula {formula!r}: {error}")
    if isinstance(cause, TypeError):
        return NonNumericDataError(
            f"in formula {formula!r}: {error} (is a text column used where a number is needed?)"
        )
    return DesignError(f"in formula {formula!r}: {error}")
