"""What a model hands to the robust covariance estimators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from torchstats.covariance.scores import ScoreSource, TensorScores

__all__ = ["SandwichInputs"]


@dataclass(frozen=True, slots=True)
class SandwichInputs:
    """What a model hands to the robust estimators.

    Attributes
    ----------
    bread : Tensor, shape (k, k)
        Inverse of the negative Hessian in the units of the scores.
    scores : ScoreSource
        The per-observation scores at the estimate, in the data's row order: in memory
        (:class:`~torchstats.covariance.scores.TensorScores`) or streamed.
    df_resid : float
        Residual degrees of freedom: of the t and F tests (unless a cluster correction
        sets them), and HC1's ``n / df_resid`` where ``hc1_correction`` holds.
    hc1_correction : bool
        Whether HC1 multiplies HC0 by ``n / df_resid``. statsmodels does for least squares
        only; for likelihood models its HC1 equals HC0 (``cov_white_simple`` without
        correction), which is reproduced with False.
    leverage_available : bool
        Whether the scores come with leverages (least squares, GLMs and single-index
        discrete models), which HC2/HC3 need.
    least_squares : bool
        Whether the bread is ``(X'WX)^{-1}`` of a (weighted) least-squares fit, which
        ``"fixed scale"`` and the cluster jackknife (``"cluster-crv3"``, ``"cluster-jk"``)
        need.
    white_covariance : callable, optional
        ``white_covariance(p)`` returns the HC0 (``p = 0``), HC2 (1) or HC3 (2) sandwich
        computed by a more accurate route than ``bread @ meat @ bread``, or None where
        there is none. Least squares forms it in an orthonormal basis of the design:
        ``bread @ meat @ bread`` cancels, and loses ``cond(X)^2 eps`` (1e-8 on Longley).
    aliased : int
        Parameters a rank-deficient design leaves unidentified (``k - rank``): the
        small-sample factors count the identified ones, :attr:`k_identified` (R's
        ``sandwich`` drops aliased coefficients; statsmodels counts every column).
    """

    bread: torch.Tensor
    scores: ScoreSource
    df_resid: float
    hc1_correction: bool = True
    leverage_available: bool = False
    least_squares: bool = False
    white_covariance: Callable[[int], torch.Tensor | None] | None = None
    aliased: int = 0

    @classmethod
    def from_tensor(
        cls,
        bread: torch.Tensor,
        scores: torch.Tensor,
        df_resid: float,
        *,
        hc1_correction: bool = True,
    ) -> SandwichInputs:
        """Inputs from an in-memory ``(n, k)`` score tensor (no leverages)."""
        return cls(
            bread=bread,
            scores=TensorScores(scores),
            df_resid=df_resid,
            hc1_correction=hc1_correction,
        )

    @property
    def nobs(self) -> int:
        return int(self.scores.nobs)

    @property
    def k_params(self) -> int:
        return int(self.scores.k_params)

    @property
    def k_identified(self) -> int:
        """Parameters the small-sample factors count: ``k_params`` less the aliased."""
        return self.k_params - self.aliased

    def sandwich(self, meat: torch.Tensor) -> torch.Tensor:
        """``bread @ meat @ bread``, symmetrised against rounding."""
        cov = self.bread @ meat @ self.bread
        return 0.5 * (cov + cov.T)
