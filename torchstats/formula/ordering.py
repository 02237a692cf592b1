"""Order formula terms as statsmodels (through patsy) does.

formulaic keeps terms in formula order (with ``_ordering="none"``) or sorts them by degree;
patsy, and so statsmodels, does neither. patsy

1. puts terms into buckets by the *set of numeric factors* they contain, buckets ordered by
   first appearance except that the bucket with no numeric factor comes first;
2. within a bucket, sorts terms stably by degree (number of factors);
3. chooses each term's contrast coding in that new order, so the order decides, e.g., whether
   ``x1:C(g)`` is coded with full dummies or with ``T.`` contrasts.

Reference: patsy ``build.py::_make_subterm_infos`` ("Sort terms into bins by numeric factors").
Because coding depends on the order, the reordered terms must be materialised again rather than
merely permuting columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from formulaic.parser.types import Factor, Term

__all__ = ["patsy_term_order", "term_label"]


def _model_factors(term: Term) -> list[Factor]:
    """Factors of ``term`` other than the literal ``1`` of the intercept."""
    return [f for f in term.factors if f.eval_method != Factor.EvalMethod.LITERAL]


def patsy_term_order(terms: Sequence[Term], numeric_factors: Iterable[str]) -> list[Term]:
    """Return ``terms`` in the order patsy would build their columns.

    Parameters
    ----------
    terms : sequence of formulaic Term
        Terms in formula order (formulaic ``_ordering="none"``).
    numeric_factors : iterable of str
        Expressions of the factors that evaluate to numeric data (not categorical).

    Returns
    -------
    list of Term
    """
    numeric = set(numeric_factors)
    buckets: dict[frozenset[str], list[Term]] = {}
    for term in terms:
        key = frozenset(f.expr for f in _model_factors(term) if f.expr in numeric)
        buckets.setdefault(key, []).append(term)
    keys = list(buckets)
    if frozenset() in buckets:
        keys.remove(frozenset())
        keys.insert(0, frozenset())
    ordered: list[Term] = []
    for key in keys:
        ordered.extend(sorted(buckets[key], key=lambda t: len(_model_factors(t))))
    return ordered


def term_label(term: Term) -> str:
    """statsmodels' name of a term: ``"Intercept"`` for the constant, else the formula text."""
    return "Intercept" if not _model_factors(term) else str(term)
