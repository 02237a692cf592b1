"""Coefficient-cell formatting equals maketables' (which pyfixest's etable calls).

maketables' private helpers are the oracle: the parsed ``coef_fmt`` elements and their
description, the default number format, the ``digits`` rewrite and the stars.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from maketables import etable as mt

from torchstats.errors import InvalidOptionError
from torchstats.tables.cell_format import (
    STATISTIC_TOKENS,
    apply_digits,
    format_number,
    parse_coef_fmt,
    significance_stars,
)

COEF_FMTS = [
    "b:.3f* \n (se:.3f)",
    "b* \\n (se)",
    "b:.4e [t:.2f*] p:.3f",
    "b:,.2f (se:.2e)",
    "b, se, t, p",
    "b:d* (ci95l:.3f, ci95u:.3f)",
    "t:*",
    "w:.1f b",
    "(b) \\[se\\]",
]


@pytest.mark.parametrize("coef_fmt", COEF_FMTS)
def test_parse_equals_maketables(coef_fmt: str) -> None:
    elements, title = parse_coef_fmt(coef_fmt, custom_tokens=["w"])
    columns = set(STATISTIC_TOKENS)
    expected, expected_title = mt._parse_coef_fmt(coef_fmt, {"w": []}, columns)
    assert title == expected_title
    ours = [(e.token, e.format_spec, e.stars) for e in elements]
    theirs = [(e["token"], e["format"], e["add_stars"]) for e in expected]
    assert ours == theirs


def test_custom_token_may_not_shadow_a_builtin() -> None:
    with pytest.raises(InvalidOptionError, match="built-in"):
        parse_coef_fmt("b (se)", custom_tokens=["se"])


NUMBERS = [
    0.0, 1.0, -3.0, 999.0, 1000.0, 123456.0, 0.5, -0.25, 0.1234567, 0.000123, -0.0004567,
    1.5, 12.3456, 999.9994, 1234.5678, -98765.4321, 1e-12, 2.0000000000001, float("nan"),
]  # fmt: skip


@pytest.mark.parametrize("spec", [None, ".3f", ".2e", ",.0f", "d", ".4g", "bad spec"])
def test_format_number_equals_maketables(spec: str | None) -> None:
    rng = np.random.default_rng(0)
    numbers = NUMBERS + list(rng.normal(scale=10.0 ** rng.integers(-5, 6, size=200)))
    for x in numbers:
        assert format_number(x, spec) == mt._format_number(x, spec), x


@pytest.mark.parametrize("coef_fmt", COEF_FMTS)
@pytest.mark.parametrize("digits", [0, 2, 5])
def test_apply_digits_equals_maketables(coef_fmt: str, digits: int) -> None:
    assert apply_digits(coef_fmt, digits) == mt._apply_digits_to_coef_fmt(coef_fmt, digits)


def test_stars_equal_maketables() -> None:
    rng = np.random.default_rng(1)
    pvalues = pd.Series(np.concatenate([rng.uniform(size=300) ** 3, [0.001, 0.01, 0.05, 0.1]]))
    for code in ([0.001, 0.01, 0.05], [0.01, 0.05, 0.1], []):
        expected = mt.ETable._compute_stars(None, pvalues, code)  # type: ignore[arg-type]
        ours = [significance_stars(p, code) for p in pvalues]
        assert ours == list(expected)
    assert significance_stars(math.nan, [0.01, 0.05, 0.1]) == ""
