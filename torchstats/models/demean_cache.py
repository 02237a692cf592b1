"""Demeaned columns shared by the models of one multiple estimation.

``ts.ols("y1 + y2 ~ csw(x1, x2) | f1 + f2", df)`` fits several models on the same rows
and effects; each variable's residual on the effects is the same in all of them. A
:class:`DemeanCache` demeans each variable once per (rows, effects, weights, tolerance) and
builds the effects' patterns once per (rows, effects), for least squares and 2SLS alike.
"""

from __future__ import annotations

import torch

from torchstats.models.fixed_effects_sample import FixedEffectsSample
from torchstats.solvers.demean import Absorbed, AbsorbPlan, absorb

__all__ = ["DemeanCache"]


class DemeanCache:
    """Demeaned columns by (rows, effects, weights, tolerance) and column name."""

    def __init__(self) -> None:
        self._store: dict[
            tuple[object, ...], dict[str, tuple[torch.Tensor, list[torch.Tensor]]]
        ] = {}
        self._sweeps: dict[tuple[object, ...], tuple[int, bool]] = {}
        self._plans: dict[tuple[object, ...], AbsorbPlan] = {}

    def absorb(
        self, sample: FixedEffectsSample, names: tuple[str, ...], columns: torch.Tensor
    ) -> Absorbed:
        """:func:`~torchstats.solvers.demean.absorb` of ``columns`` (named ``names``, one
        name per variable of ``sample``'s data) on ``sample``'s effects with its weights,
        demeaning only the columns not yet stored for the same rows, effects, weights and
        tolerance; ``columns`` may be overwritten."""
        key = _key(sample)
        stored = self._store.setdefault(key, {})
        missing = [i for i, name in enumerate(names) if name not in stored]
        if missing:
            rows_and_effects = key[:2]
            if rows_and_effects not in self._plans:
                self._plans[rows_and_effects] = AbsorbPlan(sample.absorb_terms)
            fresh = absorb(
                columns[:, missing],
                sample.absorb_terms,
                sample.row_weights,
                tol=sample.fixef_tol,
                maxiter=sample.fixef_maxiter,
                overwrite=True,
                plan=self._plans[rows_and_effects],
            )
            for j, i in enumerate(missing):
                stored[names[i]] = (fresh.resid[:, j], [e[:, j] for e in fresh.effects])
            n_iter, converged = self._sweeps.get(key, (0, True))
            self._sweeps[key] = (max(n_iter, fresh.n_iter), converged and fresh.converged)
        resid = torch.stack([stored[name][0] for name in names], dim=1)
        effects = tuple(
            torch.stack([stored[name][1][t] for name in names], dim=1)
            for t in range(len(sample.absorb_terms))
        )
        n_iter, converged = self._sweeps[key]
        return Absorbed(resid, effects, n_iter, converged)


def _key(sample: FixedEffectsSample) -> tuple[object, ...]:
    """What the demeaning of a variable depends on besides the variable: the rows used,
    the effects (first two entries: what the effects' patterns depend on), the weights and
    the stopping rule."""
    weights = sample.row_weights
    return (
        sample.positions.tobytes(),
        sample.absorb_labels,
        None if weights is None else weights.cpu().numpy().tobytes(),
        (sample.fixef_tol, sample.fixef_maxiter),
    )
