"""What a matplotlib figure shows, for comparing a statsmodels plot with a torchstats one:
titles and labels, scatter offsets and sizes, line data and annotations."""

from __future__ import annotations

from typing import Any

import numpy as np


def plotted(fig: Any) -> list[tuple[Any, ...]]:
    """Every mark of every axes of ``fig``, as (kind, strings..., arrays...) tuples."""
    items: list[tuple[Any, ...]] = [("suptitle", fig._suptitle.get_text() if fig._suptitle else "")]
    for ax in fig.axes:
        items.append(("axes", ax.get_title(), ax.get_xlabel(), ax.get_ylabel()))
        for collection in ax.collections:
            segments = getattr(collection, "get_segments", None)
            if segments is not None and segments():
                items.append(("segments", np.asarray(segments(), dtype=float)))
            else:
                items.append(
                    (
                        "scatter",
                        np.asarray(collection.get_offsets(), dtype=float),
                        np.asarray(collection.get_sizes(), dtype=float),
                    )
                )
        for line in ax.lines:
            items.append(
                (
                    "line",
                    f"{line.get_linestyle()} {line.get_marker()} {line.get_color()}",
                    np.asarray(line.get_xdata(), dtype=float),
                    np.asarray(line.get_ydata(), dtype=float),
                )
            )
        for text in ax.texts:
            xytext = getattr(text, "xyann", (np.nan, np.nan))
            items.append(
                (
                    "text",
                    text.get_text(),
                    np.asarray(getattr(text, "xy", (0, 0)), float),
                    np.asarray(xytext, dtype=float),
                )
            )
        items.append(("limits", np.asarray(ax.get_xlim()), np.asarray(ax.get_ylim())))
    return items


def assert_same_plot(expected: Any, actual: Any, rtol: float = 1e-10, atol: float = 1e-12) -> float:
    """The two figures show the same marks: strings equal, numbers within ``rtol``/``atol``.

    Returns the largest absolute difference of the numbers (for the report).
    """
    want, got = plotted(expected), plotted(actual)
    assert [item[0] for item in got] == [item[0] for item in want]
    largest = 0.0
    for w, g in zip(want, got):
        assert len(w) == len(g), (w, g)
        for a, b in zip(w[1:], g[1:]):
            if isinstance(a, np.ndarray):
                assert a.shape == b.shape, (w, g)
                np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, err_msg=str(w[0]))
                if a.size:
                    largest = max(largest, float(np.nanmax(np.abs(a - b), initial=0.0)))
            else:
                assert a == b, (w[0], a, b)
    return largest
