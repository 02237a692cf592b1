"""Observed against predicted count probabilities (statsmodels' ``plot_probs``), drawn from
arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from torchstats.drawing.axes import as_array, import_pyplot

__all__ = ["draw_probs"]


def draw_probs(
    freq: Any,
    probs_predicted: Any,
    label: str | list[str] = "predicted",
    upp_xlim: int | None = None,
    fig: Any = None,
) -> Any:
    """Three panels, as statsmodels' ``plot_probs``: both sequences, their cumulative sums,
    and a PP-plot of the cumulative sums.

    Parameters
    ----------
    freq, probs_predicted : array-like
        Two sequences over the same counts ``0, 1, ...``.
    label : str or list of two str
        The predicted sequence's legend label (the other is ``"freq"``), or both labels.
    upp_xlim : int, optional
        Upper x limit of the first two panels.
    fig : matplotlib Figure, optional
        Receives a (3, 1) grid of axes; default a new 8 x 12 inch figure.

    Returns
    -------
    matplotlib Figure
    """
    freq, predicted = as_array(freq), as_array(probs_predicted)
    label0, label1 = label if isinstance(label, list) else ("freq", label)
    if fig is None:
        fig = import_pyplot("plot_probs").figure(figsize=(8, 12))
    for position, values, title in (
        (311, (freq, predicted), "probabilities"),
        (312, (np.cumsum(freq), np.cumsum(predicted)), "cumulative probabilities"),
    ):
        ax = fig.add_subplot(position)
        ax.plot(values[0], "-o", label=label0)
        ax.plot(values[1], "-d", label=label1)
        if upp_xlim is not None:
            ax.set_xlim(0, upp_xlim)
        ax.legend()
        ax.set_title(title)
    ax3 = fig.add_subplot(313)
    ax3.plot(np.cumsum(predicted), np.cumsum(freq), "o")
    diagonal = np.arange(len(freq)) / len(freq)
    ax3.plot(diagonal, diagonal)
    ax3.set_title("PP-plot")
    ax3.set_xlabel(label1)
    ax3.set_ylabel(label0)
    return fig
