"""Linear constraints ``R b = q`` from strings, dicts or arrays, read as patsy reads them.

statsmodels' ``t_test``, ``f_test`` and ``wald_test`` turn their ``r_matrix`` argument into
``(R, q)`` through patsy's ``DesignInfo.linear_constraint``; this module implements the same
grammar so that every constraint means here what it means there:

- a string is a comma-separated list of constraints; ``=`` may be chained, and
  ``"a = b = 0"`` is *two* restrictions (``a - b = 0`` and ``b = 0``), in that order;
- an expression without ``=`` is set to zero (``"a - 2"`` means ``a = 2``);
- ``+``, ``-``, ``*``, ``/`` and parentheses combine parameters and numbers linearly
  (``"2 * (a + b/3) = 1"``, ``"YEAR/1829 = 1"``);
- parameter names are matched literally, longest first, so names holding brackets, dots,
  commas or operators (``C(g)[T.b]``, ``np.log(x2)``, ``a[1,1]``) need no quoting;
- a list of strings is the constraints of each string, stacked;
- a dict ``{name or position: value}`` means ``name = value`` for each entry;
- ``(R, q)`` or ``R`` (one row per constraint; ``q`` defaults to zeros).

formulaic's ``LinearConstraints`` (which torchstats used before) keeps only the first link
of a chained equality, so ``"x2 = x3 = 0"`` tested one restriction instead of two; this
parser exists to give statsmodels' answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from torchstats.errors import ConstraintError

__all__ = ["linear_constraint"]

# patsy.constraint._ops: (token, arity) -> precedence
_BINARY = {",": -100, "=": 0, "+": 100, "-": 100, "*": 200, "/": 200}
_UNARY = {"+": 100, "-": 100}
_OPEN = -9999999  # precedence of "(" on the operator stack, below every operator
_NUMBER = r"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"  # patsy's number pattern


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", an operator, "NUMBER" or "VARIABLE"
    text: str
    start: int


@dataclass(frozen=True, slots=True)
class _Node:
    kind: str  # an operator, "NUMBER" or "VARIABLE"
    text: str
    args: tuple[_Node, ...] = ()


def _culprit(text: str, start: int) -> str:
    """The word at ``start`` that matched no parameter name: up to a space or an operator
    outside brackets, so ``"C(g)[T.z] = 0"`` reports ``C(g)[T.z]``."""
    depth, end = 0, start
    while end < len(text):
        char = text[end]
        if char in "([":
            depth += 1
        elif char in ")]":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (char.isspace() or char in ",=+*/"):
            break
        end += 1
    return text[start:end] or text[start]


def _unknown(word: object, text: str | None, names: Sequence[str]) -> ConstraintError:
    shown = ", ".join(map(repr, list(names)[:30])) + (", ..." if len(names) > 30 else "")
    where = f" {text!r}" if text is not None else ""
    return ConstraintError(
        f"unknown parameter {word!r} in the constraints{where}; parameters are {shown}"
    )


def _tokenize(text: str, names: Sequence[str]) -> list[_Token]:
    """patsy's ``_tokenize_constraint``: at each position the first alternative that matches,
    in the order parentheses, operators, parameter names (longest first), numbers."""
    by_length = sorted((n for n in names if n), key=len, reverse=True)
    alternatives = [r"(?P<lparen>\()", r"(?P<rparen>\))", r"(?P<op>[,=+\-*/])"]
    if by_length:
        alternatives.append("(?P<var>" + "|".join(map(re.escape, by_length)) + ")")
    alternatives += [f"(?P<num>{_NUMBER})", r"(?P<space>\s+)"]
    pattern = re.compile("|".join(alternatives))
    tokens, position = [], 0
    while position < len(text):
        match = pattern.match(text, position)
        if match is None or match.end() == position:
            raise _unknown(_culprit(text, position), text, names)
        group = match.lastgroup
        value = match.group()
        if group != "space":
            kind = {"lparen": "(", "rparen": ")", "op": value, "var": "VARIABLE"}.get(
                group or "", "NUMBER"
            )
            tokens.append(_Token(kind, value, position))
        position = match.end()
    return tokens


def _parse(text: str, names: Sequence[str]) -> _Node:
    """patsy's ``infix_parse`` (Dijkstra's shunting yard; every binary operator is left
    associative, so ``a = b = c`` is ``(a = b) = c``)."""
    operators: list[tuple[str, int, int]] = []  # (token, arity, precedence)
    nouns: list[_Node] = []

    def reduce() -> None:
        kind, arity, _ = operators.pop()
        if len(nouns) < arity:
            raise ConstraintError(f"malformed constraint {text!r}")
        args = tuple(nouns[-arity:])
        del nouns[-arity:]
        nouns.append(_Node(kind, kind, args))

    want_noun = True
    previous: _Token | None = None
    for token in _tokenize(text, names):
        if want_noun:
            if token.kind == "(":
                operators.append(("(", -1, _OPEN))
            elif token.kind in _UNARY:
                operators.append((token.kind, 1, _UNARY[token.kind]))
            elif token.kind in ("NUMBER", "VARIABLE"):
                nouns.append(_Node(token.kind, token.text))
                want_noun = False
            else:
                raise ConstraintError(
                    f"expected a parameter or a number, not {token.text!r}, at position "
                    f"{token.start} of the constraint {text!r}"
                )
        elif token.kind == ")":
            while operators and operators[-1][0] != "(":
                reduce()
            if not operators:
                raise ConstraintError(f"missing '(' or extra ')' in the constraint {text!r}")
            operators.pop()
        elif token.kind in _BINARY:
            precedence = _BINARY[token.kind]
            while operators and precedence <= operators[-1][2]:
                reduce()
            operators.append((token.kind, 2, precedence))
            want_noun = True
        elif (
            previous is not None
            and previous.kind in ("NUMBER", "VARIABLE")
            and previous.start + len(previous.text) == token.start
        ):
            # "x12" with a parameter "x1": the name runs on, so it is not a parameter
            raise _unknown(_culprit(text, previous.start), text, names)
        else:
            raise ConstraintError(
                f"expected an operator, not {token.text!r}, at position {token.start} of the "
                f"constraint {text!r}"
            )
        previous = token
    if want_noun:
        raise ConstraintError(f"the constraint {text!r} is empty or ends with an operator")
    while operators:
        if operators[-1][0] == "(":
            raise ConstraintError(f"unmatched '(' in the constraint {text!r}")
        reduce()
    return nouns[0]


class _Evaluator:
    """patsy's ``_EvalConstraint``: a linear combination is a vector of ``k`` coefficients
    and a constant (last entry); a constraint is a list of such rows ``(r, -q)``."""

    def __init__(self, names: Sequence[str], text: str) -> None:
        self.index = {name: i for i, name in enumerate(names)}
        self.k = len(names)
        self.text = text

    def _constant(self, combination: np.ndarray) -> bool:
        return not combination[: self.k].any()

    def combination(self, node: _Node) -> np.ndarray:
        """The linear combination a non-constraint node stands for."""
        if node.kind in ("=", ","):
            raise ConstraintError(
                f"a constraint cannot appear inside an expression in {self.text!r}"
            )
        out = np.zeros(self.k + 1)
        if node.kind == "VARIABLE":
            out[self.index[node.text]] = 1.0
            return out
        if node.kind == "NUMBER":
            out[-1] = float(node.text)
            return out
        if len(node.args) == 1:
            value = self.combination(node.args[0])
            return -value if node.kind == "-" else value
        left, right = (self.combination(arg) for arg in node.args)
        if node.kind == "+":
            return left + right
        if node.kind == "-":
            return left - right
        if node.kind == "*":
            if self._constant(left):
                return left[-1] * right
            if self._constant(right):
                return left * right[-1]
            raise ConstraintError(
                f"can't multiply one parameter by another in a linear constraint: {self.text!r}"
            )
        if not self._constant(right):
            raise ConstraintError(
                f"can't divide by a parameter in a linear constraint: {self.text!r}"
            )
        if right[-1] == 0:
            raise ConstraintError(f"division by zero in the constraint {self.text!r}")
        return left / right[-1]

    def constraints(self, node: _Node) -> list[np.ndarray]:
        """The rows ``[r, q]`` of a node read as constraints (patsy's ``constraint=True``)."""
        if node.kind == ",":
            return self.constraints(node.args[0]) + self.constraints(node.args[1])
        if node.kind == "=":
            # "a = b = c" parses as "(a = b) = c": the inner equality is a constraint of its
            # own and its near side stands in for it (patsy's _eval_binary_eq)
            args, rows = list(node.args), []
            for i, arg in enumerate(node.args):
                if arg.kind == "=":
                    rows += self.constraints(arg)
                    args[i] = arg.args[1 - i]
            left, right = self.combination(args[0]), self.combination(args[1])
            coefs = left[: self.k] - right[: self.k]
            if not coefs.any():
                raise ConstraintError(f"no parameters appear in a constraint of {self.text!r}")
            return [*rows, np.append(coefs, right[-1] - left[-1])]
        value = self.combination(node)
        if self._constant(value):
            raise ConstraintError(
                f"a term of the constraints {self.text!r} is constant, with no parameters"
            )
        return [np.append(value[: self.k], -value[-1])]


def _from_string(text: str, names: Sequence[str]) -> np.ndarray:
    rows = _Evaluator(names, text).constraints(_parse(text, names))
    return np.vstack(rows)


def _from_mapping(spec: Mapping[object, object], names: Sequence[str]) -> np.ndarray:
    """patsy's dict form: ``{"x1": 0, 2: 1}`` means ``x1 = 0`` and ``<third parameter> = 1``."""
    rows = np.zeros((len(spec), len(names) + 1))
    used: set[int] = set()
    for row, (key, value) in enumerate(spec.items()):
        if isinstance(key, str) and key in names:
            idx = list(names).index(key)
        elif isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if not -len(names) <= int(key) < len(names):
                raise ConstraintError(f"parameter position {key} out of range 0..{len(names) - 1}")
            idx = int(key) % len(names)
        else:
            raise _unknown(key, None, names)
        if idx in used:
            raise ConstraintError(f"parameter {names[idx]!r} is constrained twice in the dict")
        used.add(idx)
        rows[row, idx] = 1.0
        try:
            rows[row, -1] = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConstraintError(
                f"the value of {names[idx]!r} in the constraint dict must be a number, "
                f"got {value!r}"
            ) from None
    return rows


def _from_arrays(matrix: object, values: object, k: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        R = np.atleast_2d(np.asarray(matrix, dtype=float))
    except (TypeError, ValueError):
        raise ConstraintError(
            "constraints must be a string, a list of strings, a dict {name: value}, "
            f"an array R or a tuple (R, q); got {type(matrix).__name__}"
        ) from None
    if R.ndim != 2 or R.shape[1] != k:
        raise ConstraintError(
            f"the constraint matrix has {R.shape[-1]} columns but there are {k} parameters"
        )
    if R.shape[0] == 0:
        raise ConstraintError("the constraint matrix has no rows")
    q = np.zeros(R.shape[0]) if values is None else np.asarray(values, dtype=float).reshape(-1)
    if q.size == 1 and R.shape[0] > 1:
        q = np.full(R.shape[0], q[0])
    if q.shape[0] != R.shape[0]:
        raise ConstraintError(
            f"the constraint matrix has {R.shape[0]} rows but q has {q.shape[0]} values"
        )
    return R, q


def _constraint_object(spec: object, names: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(R, q)`` of a constraint object: patsy's ``LinearConstraint`` (``coefs``,
    ``constants``, ``variable_names``) or a fit's ``constraints``
    (``constraint_matrix``, ``constraint_values``); None for anything else."""
    for matrix, values in (("coefs", "constants"), ("constraint_matrix", "constraint_values")):
        if hasattr(spec, matrix) and hasattr(spec, values):
            given = getattr(spec, "variable_names", None)
            if given is not None and list(given) != names:
                raise ConstraintError(
                    f"the constraint object names the parameters {list(given)}; these are "
                    f"{names}"
                )
            return _from_arrays(getattr(spec, matrix), getattr(spec, values), len(names))
    return None


def linear_constraint(spec: object, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(R, q)`` of the hypotheses ``R b = q``, from any form statsmodels accepts.

    Parameters
    ----------
    spec : str, list of str, dict, (R, q), array-like (m, k) or a constraint object
        ``"x1 = x2 = 0, 2*x3 + x4 = 1"``; ``["x1 = 0", "x2 = 0"]``; ``{"x1": 0}``;
        a matrix, or a matrix with its right-hand side; patsy's ``LinearConstraint`` or a
        constrained fit's ``constraints``.
    names : sequence of str
        The parameter names, in order.

    Returns
    -------
    R : ndarray, shape (m, k)
    q : ndarray, shape (m,)

    Raises
    ------
    ConstraintError
        An unknown parameter (named, with the valid names), a malformed expression, or a
        matrix of the wrong shape.

    Notes
    -----
    The grammar and the order of the rows are patsy's ``DesignInfo.linear_constraint``,
    which statsmodels' ``get_linear_constraints`` calls.
    """
    names = list(names)
    if isinstance(spec, str):
        spec = [spec]
    constraint_object = _constraint_object(spec, names)
    if constraint_object is not None:
        return constraint_object
    if isinstance(spec, Mapping):
        if not spec:
            raise ConstraintError("the constraint dict is empty")
        rows = _from_mapping(spec, names)
        return rows[:, :-1], rows[:, -1]
    if isinstance(spec, (list, tuple)) and spec and all(isinstance(s, str) for s in spec):
        rows = np.vstack([_from_string(s, names) for s in spec])
        return rows[:, :-1], rows[:, -1]
    if isinstance(spec, list) and any(isinstance(s, (str, Mapping)) for s in spec):
        raise ConstraintError("a list of constraints must hold strings only")
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise ConstraintError(f"a constraint tuple is (R, q), got {len(spec)} entries")
        return _from_arrays(spec[0], spec[1], len(names))
    return _from_arrays(spec, None, len(names))
