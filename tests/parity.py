"""Comparison helpers for statsmodels parity tests."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd


def assert_matches(ours: object, theirs: object, *, rtol: float, atol_scale: float = 1e-12) -> None:
    """Assert equal labels (for pandas) and values within ``rtol``.

    An absolute tolerance of ``atol_scale * max|theirs|`` absorbs entries that are zero up to
    rounding (e.g. a coefficient whose true value is 0).
    """
    if isinstance(theirs, (pd.Series, pd.DataFrame)):
        assert isinstance(ours, type(theirs)), (
            f"expected {type(theirs).__name__}, got {type(ours).__name__}"
        )
        assert list(ours.index) == list(theirs.index)
        if isinstance(theirs, pd.DataFrame):
            assert list(ours.columns) == list(theirs.columns)
    expected = np.asarray(theirs, dtype=float)
    actual = np.asarray(ours, dtype=float)
    assert actual.shape == expected.shape
    finite = np.isfinite(expected)
    scale = np.max(np.abs(expected[finite])) if finite.any() else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol_scale * scale, equal_nan=True)


_CLOCK = re.compile(r"^((?:Date|Time):\s+)\S.*?(?=\s{3,}|$)", re.M)


def mask_clock(text: str) -> str:
    """A summary's text with the values of its Date and Time lines replaced (they change)."""
    return _CLOCK.sub(r"\1<clock>", text)
