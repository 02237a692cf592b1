"""fixest's formula syntax: parts, effect terms, errors; group codes and singletons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from torchstats.errors import DesignError, UnknownColumnError
from torchstats.formula.fixed_effects import encode_groups, singleton_rows
from torchstats.formula.fixest_syntax import FixedEffectTerm, parse_fixest, uses_fixest_syntax


def test_parts_are_split_outside_brackets() -> None:
    parsed = parse_fixest("y ~ x1 + I(a | b) | f1 + f2^f3 + f4[x1, x2] + f5[[x3]] | d1 + d2 ~ z1")
    assert parsed.main == "y ~ x1 + I(a | b)"
    assert parsed.fixed_effects == (
        FixedEffectTerm(("f1",)),
        FixedEffectTerm(("f2", "f3")),
        FixedEffectTerm(("f4",), ("x1", "x2"), True),
        FixedEffectTerm(("f5",), ("x3",), False),
    )
    assert parsed.fixef_names == ("f1", "f2^f3", "f4[x1,x2]", "f5[[x3]]")
    assert (parsed.endogenous, parsed.instruments) == ("d1 + d2", "z1")


@pytest.mark.parametrize(
    ("formula", "fixest"),
    [("y ~ x | f", True), ("y ~ I(a | b)", False), ("y ~ x", False), ("y ~ x | d ~ z", True)],
)
def test_uses_fixest_syntax(formula: str, fixest: bool) -> None:
    assert uses_fixest_syntax(formula) is fixest


def test_instruments_without_effects_and_zero_effects() -> None:
    assert parse_fixest("y ~ 1 | d ~ z").fixed_effects == ()
    parsed = parse_fixest("y ~ x | 0 | d ~ z")
    assert parsed.fixed_effects == () and parsed.endogenous == "d"


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("y ~ x | f1 | f2", "two fixed-effects parts"),
        ("y ~ x | f1 + log(f2)", "cannot read the fixed effect"),
        ("y ~ x | f1[x", "cannot read the fixed effect"),
        ("y ~ x | f1[[x]", "cannot read the fixed effect"),
        ("y ~ x | f1 + f1", "listed twice"),
        ("y ~ x | d ~ z | e ~ w", "two instrumental-variables parts"),
        ("y ~ x | d ~ ", "needs 'endogenous ~ instruments'"),
        ("x | f", "no response"),
    ],
)
def test_malformed_formulas_name_the_problem(formula: str, message: str) -> None:
    with pytest.raises(DesignError, match=message):
        parse_fixest(formula)


def test_group_codes_levels_and_new_rows() -> None:
    frame = pd.DataFrame(
        {"f": ["b", "a", "b", None, "c"], "g": [1, 1, 2, 2, 1]}, index=list("vwxyz")
    )
    groups = encode_groups(frame, parse_fixest("y ~ x | f + f^g").fixed_effects)
    assert groups.names == ("f", "f^g")
    np.testing.assert_array_equal(groups.codes[:, 0], [1, 0, 1, -1, 2])
    assert list(groups.levels[0]) == ["a", "b", "c"]
    # combinations are sorted as tuples; a missing part makes the combination missing
    assert list(groups.levels[1]) == [("a", 1), ("b", 1), ("b", 2), ("c", 1)]
    np.testing.assert_array_equal(groups.codes[:, 1], [1, 0, 2, -1, 3])
    new = pd.DataFrame({"f": ["c", "d", "b"], "g": [1, 1, 3]})
    np.testing.assert_array_equal(groups.codes_of(new), [[2, 3], [-1, -1], [1, -1]])
    kept = groups.restrict(np.array([True, False, True, False, True]))
    assert list(kept.levels[0]) == ["b", "c"]
    np.testing.assert_array_equal(kept.codes[:, 0], [0, 0, 1])


def test_unknown_effect_column() -> None:
    with pytest.raises(UnknownColumnError, match="no column 'h'"):
        encode_groups(pd.DataFrame({"f": [1, 2]}), parse_fixest("y ~ x | f^h").fixed_effects)


def test_singletons_are_dropped_until_none_is_left() -> None:
    # Row 4 is alone in f; once it goes, row 3 is alone in g (g=9 had rows 3 and 4).
    codes = np.array([[0, 0], [0, 0], [1, 1], [1, 9], [2, 9], [1, 1]])
    np.testing.assert_array_equal(singleton_rows(codes), [False, False, False, True, True, False])
    rng = np.random.default_rng(0)
    random = rng.integers(0, 300, size=(500, 2))
    drop = singleton_rows(random)
    for column in random[~drop].T:
        assert np.bincount(column).max() >= 2 and 1 not in np.bincount(column)
