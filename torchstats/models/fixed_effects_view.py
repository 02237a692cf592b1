"""What a fixed-effects model shows of its :class:`FixedEffectsSample`.

The least-squares, GLM and instrumental-variables models with absorbed effects
(:mod:`~torchstats.models.fixed_effects`, :mod:`~torchstats.models.fixed_effects_glm`,
:mod:`~torchstats.models.instrumental`) each hold one sample and expose the same facts of
it under pyfixest's and statsmodels' names; :class:`SampleView` defines them once. It
holds no state: a model sets ``sample``, ``design``, ``fixest_formula`` and
``_formula_text``. The sizes (``nobs``, ``rank``, ``df_model``, ``k_constant``) are the
regression's; the IV model, whose regressors include the endogenous ones, has its own.
"""

from __future__ import annotations

import numpy as np
import torch

from torchstats.covariance.fixest import EffectCounts
from torchstats.formula.design import Design
from torchstats.formula.fixed_effects import EffectGroups
from torchstats.formula.fixest_syntax import FixestFormula
from torchstats.models.fixed_effects_sample import FixedEffectsSample
from torchstats.solvers.demean import AbsorbTerm

__all__ = ["SampleView"]


class SampleView:
    """The sample's rows, effects and degrees of freedom as model properties (a mixin)."""

    sample: FixedEffectsSample
    design: Design
    fixest_formula: FixestFormula
    _formula_text: str

    @property
    def n_singletons(self) -> int:
        """Rows dropped as singletons."""
        return self.sample.n_singletons

    @property
    def groups(self) -> EffectGroups:
        """The fixed-effect groups of the rows used."""
        return self.sample.groups

    @property
    def positions(self) -> np.ndarray:
        """Positions, in the data as given, of the rows used."""
        return self.sample.positions

    @property
    def row_weights(self) -> torch.Tensor | None:
        """The weights of the rows used (None without weights)."""
        return self.sample.row_weights

    @property
    def absorb_terms(self) -> tuple[AbsorbTerm, ...]:
        """The effects as :func:`~torchstats.solvers.demean.absorb` takes them, in order:
        each term's own effect (once per group), then its slopes."""
        return self.sample.absorb_terms

    @property
    def absorb_labels(self) -> tuple[str, ...]:
        """A name for each of :attr:`absorb_terms`: ``"f"``, or ``"f[x]"`` for a slope."""
        return self.sample.absorb_labels

    @property
    def formula_text(self) -> str:
        """The formula as given."""
        return self._formula_text

    @property
    def fixef_names(self) -> tuple[str, ...]:
        """The fixed effects as written in the formula."""
        return self.fixest_formula.fixef_names

    @property
    def effect_counts(self) -> EffectCounts:
        """The absorbed effects' levels and codes, for the degrees of freedom."""
        return self.sample.effect_counts

    @property
    def nobs(self) -> float:
        """Observations used (after missing values, singletons and, for GLMs, separated
        levels)."""
        return float(self.design.nobs)

    @property
    def rank(self) -> int:
        """Number of coefficients (regressors left after the collinearity check)."""
        return self.design.k_exog

    @property
    def df_resid(self) -> float:
        """``nobs - k - levels of the effects`` (and slopes), plus one reference level per fixed
        effect after the first."""
        return self.sample.df_resid(self.rank)

    @property
    def df_model(self) -> float:
        """Number of coefficients."""
        return float(self.rank)

    @property
    def k_constant(self) -> int:
        """0 with fixed effects (they absorb the intercept), else statsmodels' rule."""
        if self.fixest_formula.fixed_effects:
            return 0
        return super().k_constant  # type: ignore[misc]
