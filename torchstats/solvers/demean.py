"""Absorbing fixed effects: the residuals of columns on many sets of group dummies.

Each *term* ``t`` is a matrix ``A_t = diag(v_t) D_t``: the dummies ``D_t`` of a factor
(``v_t = 1``, a fixed effect) or of a factor times a variable (group-specific slopes,
fixest's ``f[x]``). The residual of ``x`` on all terms, ``r = x - sum_t A_t alpha_t``, is
found as fixest finds it (Berge 2018): Gauss-Seidel on the *coefficients*, not on rows,

    alpha_t <- b_t - sum_{s != t} C_ts alpha_s,
    b_t = (A_t'WA_t)^{-1} A_t'W x,   C_ts = (A_t'WA_t)^{-1} A_t'W A_s,

where ``A_t'WA_t`` is diagonal (one non-zero per row and term) and each cross matrix
``C_ts`` is the sparse cross-tabulation of two factors, with at most one non-zero per
distinct pair of levels. A sweep then costs the cross-tabulations' non-zeros, not the
rows: the rows are read once to build them and once for the final residual. When nearly
every row has a pair of levels of its own (a quarter of them or more, judged on a sample
of levels), building the cross-tabulation would cost a sort for no saving: that coupling
is applied through the rows instead (one gather-sum and one ``index_add_`` per term). One
term
needs no sweep; with two or more, sweeps converge linearly at a rate set by how the
factors overlap, and every pair of sweeps ends with an Irons-Tuck extrapolation,

    alpha <- G(G(alpha)) - c (G(G(alpha)) - G(alpha)),   c = <D, D2> / <D2, D2>,
    D = G(G(alpha)) - G(alpha),   D2 = G(G(alpha)) - 2 G(alpha) + alpha,

column by column (fixest's acceleration). After 24 sweeps, preconditioned conjugate
gradients on the normal equations ``A'WA alpha = A'W x`` (preconditioner ``diag(A'WA)``,
warm-started from the sweeps) take over: where the effects overlap badly Gauss-Seidel needs
hundreds of sweeps and CG tens of steps (1e5 rows of workers moving among neighbouring
firms: 568 sweeps against 24 + 98 steps).

The iterations stop when no coefficient moves by more than ``tol`` times the column's largest
absolute value; ``maxiter`` steps without that warn (:class:`~torchstats.errors.
ConvergenceWarning`) and report ``converged=False``.

What depends on the effects alone (which pairs of levels occur, the cross-tabulations'
CSR layout, the route of each pair) is an :class:`AbsorbPlan`
(:mod:`torchstats.solvers.absorb_plan`): built once per sample and passed as ``plan=``, a
call with new weights only sums them into the known cells (the IRLS iterations of the
fixed-effects GLMs, the models of a multiple estimation). The sweeps work on the
transposed columns, one contiguous row per column (gathers column by column, sums by
level along the rows); :func:`column_major` stacks columns in that layout, which
``overwrite=True`` then overwrites without a copy.

Everything is in torch (``index_add_``, gathers, sparse CSR products): it runs where the
tensors live, on the CPU or a GPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from torchstats.errors import ConvergenceWarning, InvalidOptionError, warn
from torchstats.solvers.absorb_plan import AbsorbPlan, AbsorbTerm, WeightedEffects

__all__ = ["AbsorbPlan", "AbsorbTerm", "Absorbed", "absorb", "column_major"]

_DEFAULT_TOL = 1e-10
_DEFAULT_MAXITER = 10_000


@dataclass(frozen=True)
class Absorbed:
    """Residuals after the effects, the effects themselves, and how the sweeps went.

    Attributes
    ----------
    resid : Tensor, shape (n, p)
        The columns with every term projected out (weighted projections with weights).
    effects : tuple of Tensor, each (n_levels, p)
        Each term's coefficients: ``columns - resid = sum_t slope_t * effects_t[codes_t]``.
    n_iter : int
        Sweeps taken (extrapolations included).
    converged : bool
        Whether the stopping rule was met within ``maxiter`` sweeps.
    """

    resid: torch.Tensor
    effects: tuple[torch.Tensor, ...]
    n_iter: int
    converged: bool


def absorb(
    columns: torch.Tensor,
    terms: tuple[AbsorbTerm, ...],
    weights: torch.Tensor | None = None,
    *,
    tol: float = _DEFAULT_TOL,
    maxiter: int = _DEFAULT_MAXITER,
    overwrite: bool = False,
    plan: AbsorbPlan | None = None,
) -> Absorbed:
    """Project the effects ``terms`` out of ``columns`` (weighted with ``weights``).

    Parameters
    ----------
    columns : Tensor, shape (n, p)
        The columns to residualise (the response and the regressors, side by side).
    terms : tuple of AbsorbTerm
        The effects: fixed effects and group-specific slopes.
    weights : Tensor, shape (n,), optional
        Positive row weights: the projections are weighted least squares.
    tol : float
        Relative stopping tolerance (see the module notes).
    maxiter : int
        Most sweeps.
    overwrite : bool
        Write the residuals into ``columns`` when they are stored column by column (as
        :func:`column_major` stacks them): saves a copy of the data when the caller does
        not need the columns afterwards. Row-major columns are copied either way.
    plan : AbsorbPlan, optional
        ``AbsorbPlan(terms)`` built earlier: calls on the same rows and effects with other
        weights or columns (IRLS iterations, several models) then skip building the
        cross-tabulations' patterns. Its terms must be ``terms``.

    Returns
    -------
    Absorbed

    Raises
    ------
    InvalidOptionError
        ``plan`` was built for other terms.
    """
    if not terms:
        return Absorbed(columns if overwrite else columns.clone(), (), 0, True)
    if plan is None:
        plan = AbsorbPlan(terms)
    elif len(plan.terms) != len(terms) or not all(
        _same_term(mine, theirs) for mine, theirs in zip(plan.terms, terms, strict=True)
    ):
        raise InvalidOptionError(
            "the absorb plan was built for other effects: build AbsorbPlan(terms) for these"
        )
    system = plan.weigh(weights, columns.dtype)
    # The sweeps' gathers and sums by level run along the rows of the transposed columns,
    # stored contiguously (column-major input, see column_major, is used without a copy).
    stored = columns.T
    resid = (
        stored
        if overwrite and stored.is_contiguous()
        else stored.clone(memory_format=torch.contiguous_format)
    )
    rhs = system.normal_rhs(resid)
    scale = torch.maximum(resid.amax(dim=1), -resid.amin(dim=1))
    scale = scale.clamp_min(torch.finfo(columns.dtype).tiny)
    effects, n_iter, converged = _solve(rhs, system, tol * scale, maxiter)
    system.subtract_fitted(resid, effects)
    if not converged:
        warn(
            f"absorbing the fixed effects did not converge in {maxiter} sweeps (a coefficient "
            f"still moved by more than {tol:g} of its column's scale); raise fixef_maxiter or "
            "fixef_tol, or check for effects that are only weakly connected",
            ConvergenceWarning,
        )
    return Absorbed(resid.T, tuple(effects), n_iter, converged)


def column_major(*parts: torch.Tensor) -> torch.Tensor:
    """Columns (each (n,) or (n, k)) side by side as an (n, p) tensor stored column by
    column, the layout :func:`absorb` works in (it then needs no copy with
    ``overwrite=True``)."""
    blocks = [part.reshape(part.shape[0], -1) for part in parts]
    first = blocks[0]
    width = sum(block.shape[1] for block in blocks)
    stored = torch.empty((width, first.shape[0]), dtype=first.dtype, device=first.device)
    position = 0
    for block in blocks:
        stored[position : position + block.shape[1]] = block.T
        position += block.shape[1]
    return stored.T


def _same_term(mine: AbsorbTerm, theirs: AbsorbTerm) -> bool:
    if mine is theirs:
        return True
    if mine.n_levels != theirs.n_levels or not torch.equal(mine.codes, theirs.codes):
        return False
    if mine.slope is None or theirs.slope is None:
        return mine.slope is theirs.slope
    return torch.equal(mine.slope, theirs.slope)


# Accelerated Gauss-Seidel sweeps before conjugate gradients take over (easy problems,
# effects that overlap little, converge in a handful of sweeps; slowly mixing ones, where
# Gauss-Seidel needs hundreds, converge in tens of CG steps).
_SWEEPS_BEFORE_CG = 24


def _solve(
    rhs: list[torch.Tensor], system: WeightedEffects, threshold: torch.Tensor, maxiter: int
) -> tuple[list[torch.Tensor], int, bool]:
    """Accelerated Gauss-Seidel, then conjugate gradients, for the coefficients;
    (coefficients, iterations, converged)."""
    effects = [b.clone() for b in rhs]
    if len(rhs) == 1:
        return effects, 0, True
    n_iter = 0
    while n_iter < min(maxiter, _SWEEPS_BEFORE_CG):
        start = [e.clone() for e in effects]
        system.sweep(effects, rhs)
        n_iter += 1
        if _settled(effects, start, threshold):
            return effects, n_iter, True
        if n_iter == maxiter:
            break
        once = [e.clone() for e in effects]
        system.sweep(effects, rhs)
        n_iter += 1
        if _settled(effects, once, threshold):
            return effects, n_iter, True
        _extrapolate(start, once, effects)
    if n_iter >= maxiter:
        return effects, n_iter, False
    steps, converged = _conjugate_gradients(effects, rhs, system, threshold, maxiter - n_iter)
    return effects, n_iter + steps, converged


def _conjugate_gradients(
    effects: list[torch.Tensor],
    rhs: list[torch.Tensor],
    system: WeightedEffects,
    threshold: torch.Tensor,
    maxiter: int,
) -> tuple[int, bool]:
    """Preconditioned CG on the normal equations ``A'WA alpha = A'W x``, in place from
    ``effects``; the preconditioner is ``diag(A'WA)`` (each level's mass), so that
    ``M^{-1} A'WA alpha = alpha + coupling(alpha)``. Each column is its own system (its own
    step lengths). Stops as the sweeps do: when no coefficient moves by more than
    ``threshold``. Returns (steps, converged)."""
    masses = [mass.unsqueeze(1) for mass in system.masses]

    def scaled_product(direction: list[torch.Tensor]) -> list[torch.Tensor]:
        return [d + c for d, c in zip(direction, system.coupled(direction), strict=True)]

    applied = scaled_product(effects)
    # residual r = A'W x - A'WA alpha, kept premultiplied by M^{-1}: z = b - (alpha + C alpha)
    preconditioned = [b - a for b, a in zip(rhs, applied, strict=True)]
    direction = [z.clone() for z in preconditioned]
    rho = _inner(preconditioned, preconditioned, masses)
    for step in range(1, maxiter + 1):
        product = scaled_product(direction)
        curvature = _inner(direction, product, masses)
        length = torch.where(curvature > 0, rho / curvature, 0.0)
        moves = [length * d for d in direction]
        for effect, move in zip(effects, moves, strict=True):
            effect.add_(move)
        if bool((torch.stack([m.abs().amax(dim=0) for m in moves]) <= threshold).all()):
            return step, True
        for z, q in zip(preconditioned, product, strict=True):
            z.sub_(length * q)
        updated = _inner(preconditioned, preconditioned, masses)
        ratio = torch.where(rho > 0, updated / rho, 0.0)
        rho = updated
        direction = [z + ratio * d for z, d in zip(preconditioned, direction, strict=True)]
    return maxiter, False


def _inner(
    left: list[torch.Tensor], right: list[torch.Tensor], masses: list[torch.Tensor]
) -> torch.Tensor:
    """Column-wise ``sum_t <left_t, M_t right_t>``: the inner product that makes the
    preconditioned operator symmetric."""
    return sum(((a * m) * b).sum(dim=0) for a, b, m in zip(left, right, masses, strict=True))  # type: ignore[return-value]


def _settled(
    effects: list[torch.Tensor], before: list[torch.Tensor], threshold: torch.Tensor
) -> bool:
    change = torch.stack([(a - b).abs().amax(dim=0) for a, b in zip(effects, before, strict=True)])
    return bool((change <= threshold).all())


def _extrapolate(
    start: list[torch.Tensor], once: list[torch.Tensor], twice: list[torch.Tensor]
) -> None:
    """Irons-Tuck step from three iterates, written into ``twice``."""
    inner = torch.zeros_like(twice[0][0])
    norm = torch.zeros_like(inner)
    for first, second, third in zip(start, once, twice, strict=True):
        step = third - second
        curvature = step - second + first
        inner += (step * curvature).sum(dim=0)
        norm += (curvature * curvature).sum(dim=0)
    coefficient = torch.where(norm > 0, inner / norm, 0.0)
    for second, third in zip(once, twice, strict=True):
        third.sub_(coefficient * (third - second))
