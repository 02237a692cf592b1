"""The record every solver returns."""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["SolverResult"]


@dataclass(frozen=True, slots=True)
class SolverResult:
    """What a solver found and how it got there.

    Attributes
    ----------
    params : Tensor, shape (k,)
        The estimate.
    method : str
        The solver that produced it (``"qr"``, ``"cholesky"``, ``"pinv"``, ``"gd"``, ...).
    converged : bool
        Whether the convergence criterion was met (always True for direct solvers that
        succeeded).
    n_iter : int
        Iterations (refinement steps for direct solvers).
    grad_norm : float
        Infinity norm of the gradient of the objective at ``params`` (0 when not computed).
    message : str
        Human-readable account of the stopping reason.
    rank : int
        Numerical rank of the design (``k`` for full rank).
    normalized_cov : Tensor or None, shape (k, k)
        ``(X'WX)^{-1}`` (a pseudo-inverse when rank deficient) for least squares; None for
        solvers that leave the Hessian to the model.
    singular_values : Tensor or None, shape (k,)
        Singular values of the (weighted) design, descending, when the solver has them.
    resid : Tensor or None, shape (n,)
        Residuals of the (weighted) problem when the solver computed them more accurately
        than a plain ``y - X @ params`` would.
    nonfinite : int
        Points tried (and rejected) where the objective or its gradient was not finite.
    factor : Tensor or None, shape (k, k)
        Upper-triangular ``R`` of the column-equilibrated (weighted) design,
        ``X / column_scale = Q R``, when the solver computed one (QR or Cholesky of a
        full-rank design): the leverages take it (see :mod:`torchstats.solvers.leverage`).
    column_scale : Tensor or None, shape (k,)
        The power-of-two column scales ``d`` of ``factor`` and ``scaled_normalized_cov``.
    scaled_normalized_cov : Tensor or None, shape (k, k)
        ``(X_s'X_s)^{-1}`` of the equilibrated design ``X_s = X / d``; ``normalized_cov``
        is it divided by ``d d'``, which leaves float64's range for columns scaled beyond
        about 1e±150 (this does not).
    response_scale : float
        The power of two the response was divided by for the solve (1 unless it lay beyond
        2^±480); ``params`` and ``resid`` are in the response's units.
    scale : float
        The dispersion estimated with ``params`` (a GLM's ``scale``); 1 where the model has
        none to estimate.
    free : Tensor of bool or None, shape (k,)
        Which parameters were estimated; None when all were (a restricted maximum-
        likelihood fit holds the others fixed).
    """

    params: torch.Tensor
    method: str
    converged: bool = True
    n_iter: int = 0
    grad_norm: float = 0.0
    message: str = ""
    rank: int = 0
    normalized_cov: torch.Tensor | None = None
    singular_values: torch.Tensor | None = None
    resid: torch.Tensor | None = None
    nonfinite: int = 0
    factor: torch.Tensor | None = None
    column_scale: torch.Tensor | None = None
    scaled_normalized_cov: torch.Tensor | None = None
    response_scale: float = 1.0
    scale: float = 1.0
    free: torch.Tensor | None = None
