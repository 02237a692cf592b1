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

Everything is in torch (``index_add_``, gathers, sparse CSR products): it runs where the
tensors live, on the CPU or a GPU.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from torchstats.errors import ConvergenceWarning, warn

__all__ = ["AbsorbTerm", "Absorbed", "absorb"]

_DEFAULT_TOL = 1e-10
_DEFAULT_MAXITER = 10_000


@dataclass(frozen=True)
class AbsorbTerm:
    """One set of effects to project out.

    Attributes
    ----------
    codes : Tensor of int64, shape (n,)
        The group of each row, ``0 .. n_levels - 1``.
    n_levels : int
        Number of groups.
    slope : Tensor or None, shape (n,)
        None for a fixed effect (a dummy per group); a variable for group-specific slopes
        on it (fixest's ``f[x]``).
    """

    codes: torch.Tensor
    n_levels: int
    slope: torch.Tensor | None = None


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


class _Coupling:
    """``sum_{s != t} C_ts alpha_s`` for one term ``t``: sparse cross-tabulations for the
    terms it shares few pairs of levels with, one pass through the rows for the others
    (their shares gathered and added row by row, then summed by level at once)."""

    def __init__(self, t: int, terms: list[_Term], weights: torch.Tensor | None) -> None:
        self.term = terms[t]
        self.tables: list[tuple[int, torch.Tensor]] = []
        self.through_rows: list[tuple[int, _Term]] = []
        for s, other in enumerate(terms):
            if s != t:
                table = _cross(self.term, other, weights)
                if table is None:
                    self.through_rows.append((s, other))
                else:
                    self.tables.append((s, table))

    def __call__(self, effects: list[torch.Tensor]) -> torch.Tensor:
        total: torch.Tensor | None = None
        if self.through_rows:
            first, *others = self.through_rows
            shares = first[1].fitted(effects[first[0]])
            for s, other in others:
                shares.add_(other.fitted(effects[s]))
            total = self.term.normal_rhs(shares)
        for s, table in self.tables:
            product = table @ effects[s]
            total = product if total is None else total + product
        assert total is not None
        return total


class _Term:
    """One term's data: codes, slope, the inverse of ``diag(A_t'WA_t)``."""

    def __init__(self, term: AbsorbTerm, weights: torch.Tensor | None, dtype: torch.dtype) -> None:
        self.codes = term.codes
        self.n_levels = term.n_levels
        self.slope = None if term.slope is None else term.slope.to(dtype)
        self.row_weight = _product(weights, self.slope)
        """``w * v``: what ``A_t'W`` multiplies each row by (None for ones)."""
        squared = (
            _product(self.row_weight, self.slope) if self.slope is not None else self.row_weight
        )
        mass = torch.bincount(self.codes, weights=squared, minlength=self.n_levels).to(dtype)
        self.mass = mass
        """``diag(A_t'WA_t)``: each level's (weighted) mass."""
        # A level without mass (a slope identically zero in it) has no coefficient to fit.
        self.inverse_mass = torch.where(mass > 0, 1.0 / mass, 0.0)

    def normal_rhs(self, columns: torch.Tensor) -> torch.Tensor:
        """``b_t``, shape (n_levels, p)."""
        values = columns if self.row_weight is None else columns * self.row_weight.unsqueeze(1)
        sums = torch.zeros(
            (self.n_levels, columns.shape[1]), dtype=columns.dtype, device=columns.device
        )
        sums.index_add_(0, self.codes, values)
        return sums * self.inverse_mass.unsqueeze(1)

    def fitted(self, coefficients: torch.Tensor) -> torch.Tensor:
        """``A_t alpha_t``, shape (n, p)."""
        values = coefficients.index_select(0, self.codes)
        return values if self.slope is None else values * self.slope.unsqueeze(1)


def _product(left: torch.Tensor | None, right: torch.Tensor | None) -> torch.Tensor | None:
    if left is None:
        return right
    return left if right is None else left * right


def _cross(term: _Term, other: _Term, weights: torch.Tensor | None) -> torch.Tensor | None:
    """``C_ts``: the weighted cross-tabulation of two terms, rows scaled, as sparse CSR;
    None when the pairs of levels are nearly all distinct (then it is applied through the
    rows, see :class:`_Coupling`)."""
    key = term.codes * other.n_levels + other.codes
    n = key.shape[0]
    pairs = term.n_levels * other.n_levels
    row_weight = _product(_product(weights, term.slope), other.slope)
    dtype = term.inverse_mass.dtype
    if pairs <= max(4 * n, 1 << 20):
        totals = torch.bincount(key, weights=row_weight, minlength=pairs).to(dtype)
        cells = torch.nonzero(totals, as_tuple=True)[0]
        values = totals[cells]
    else:
        if _mostly_distinct(term, other, key):
            return None
        cells, inverse = torch.unique(key, sorted=True, return_inverse=True)
        counts = (
            row_weight if row_weight is not None else torch.ones(n, dtype=dtype, device=key.device)
        )
        values = torch.zeros(cells.shape[0], dtype=dtype, device=key.device)
        values.index_add_(0, inverse, counts)
    rows = torch.div(cells, other.n_levels, rounding_mode="floor")
    values = values * term.inverse_mass[rows]
    # The cells are sorted by row, so the row pointers are the cumulative row counts.
    pointers = torch.zeros(term.n_levels + 1, dtype=cells.dtype, device=cells.device)
    pointers[1:] = torch.cumsum(torch.bincount(rows, minlength=term.n_levels), 0)
    with warnings.catch_warnings():  # torch calls its CSR tensors "beta"
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(
            pointers,
            cells - rows * other.n_levels,
            values,
            (term.n_levels, other.n_levels),
            check_invariants=False,
        )


def _mostly_distinct(term: _Term, other: _Term, key: torch.Tensor) -> bool:
    """Whether more than a quarter of the rows have a pair of levels of their own, judged
    on the rows of 1/64 of the levels of the term with more levels (then a sweep through
    the rows costs no more than one through a cross-tabulation, which is not worth the sort
    that builds it)."""
    larger = term if term.n_levels >= other.n_levels else other
    sample = key[larger.codes < max(larger.n_levels // 64, 1)]
    return int(torch.unique(sample).shape[0]) > sample.shape[0] // 4


def absorb(
    columns: torch.Tensor,
    terms: tuple[AbsorbTerm, ...],
    weights: torch.Tensor | None = None,
    *,
    tol: float = _DEFAULT_TOL,
    maxiter: int = _DEFAULT_MAXITER,
    overwrite: bool = False,
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
        Write the residuals into ``columns`` (saves a copy of the data when the caller does
        not need the columns afterwards).

    Returns
    -------
    Absorbed
    """
    if not terms:
        return Absorbed(columns.clone(), (), 0, True)
    weights = None if weights is None else weights.to(columns.dtype)
    prepared = [_Term(term, weights, columns.dtype) for term in terms]
    rhs = [term.normal_rhs(columns) for term in prepared]
    couplings = [_Coupling(t, prepared, weights) for t in range(len(prepared))]
    scale = columns.abs().amax(dim=0).clamp_min(torch.finfo(columns.dtype).tiny)
    effects, n_iter, converged = _solve(rhs, couplings, tol * scale, maxiter)
    resid = columns if overwrite else columns.clone()
    for term, effect in zip(prepared, effects, strict=True):
        resid.sub_(term.fitted(effect))
    if not converged:
        warn(
            f"absorbing the fixed effects did not converge in {maxiter} sweeps (a coefficient "
            f"still moved by more than {tol:g} of its column's scale); raise fixef_maxiter or "
            "fixef_tol, or check for effects that are only weakly connected",
            ConvergenceWarning,
        )
    return Absorbed(resid, tuple(effects), n_iter, converged)


# Accelerated Gauss-Seidel sweeps before conjugate gradients take over (easy problems,
# effects that overlap little, converge in a handful of sweeps; slowly mixing ones, where
# Gauss-Seidel needs hundreds, converge in tens of CG steps).
_SWEEPS_BEFORE_CG = 24


def _solve(
    rhs: list[torch.Tensor], couplings: list[_Coupling], threshold: torch.Tensor, maxiter: int
) -> tuple[list[torch.Tensor], int, bool]:
    """Accelerated Gauss-Seidel, then conjugate gradients, for the coefficients;
    (coefficients, iterations, converged)."""
    effects = [b.clone() for b in rhs]
    if len(rhs) == 1:
        return effects, 0, True
    n_iter = 0
    while n_iter < min(maxiter, _SWEEPS_BEFORE_CG):
        start = [e.clone() for e in effects]
        _sweep(effects, rhs, couplings)
        n_iter += 1
        if _settled(effects, start, threshold):
            return effects, n_iter, True
        if n_iter == maxiter:
            break
        once = [e.clone() for e in effects]
        _sweep(effects, rhs, couplings)
        n_iter += 1
        if _settled(effects, once, threshold):
            return effects, n_iter, True
        _extrapolate(start, once, effects)
    if n_iter >= maxiter:
        return effects, n_iter, False
    steps, converged = _conjugate_gradients(effects, rhs, couplings, threshold, maxiter - n_iter)
    return effects, n_iter + steps, converged


def _conjugate_gradients(
    effects: list[torch.Tensor],
    rhs: list[torch.Tensor],
    couplings: list[_Coupling],
    threshold: torch.Tensor,
    maxiter: int,
) -> tuple[int, bool]:
    """Preconditioned CG on the normal equations ``A'WA alpha = A'W x``, in place from
    ``effects``; the preconditioner is ``diag(A'WA)`` (each level's mass), so that
    ``M^{-1} A'WA alpha = alpha + coupling(alpha)``. Each column is its own system (its own
    step lengths). Stops as the sweeps do: when no coefficient moves by more than
    ``threshold``. Returns (steps, converged)."""
    masses = [coupling.term.mass.unsqueeze(1) for coupling in couplings]

    def scaled_product(direction: list[torch.Tensor]) -> list[torch.Tensor]:
        return [d + c(direction) for d, c in zip(direction, couplings, strict=True)]

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


def _sweep(
    effects: list[torch.Tensor], rhs: list[torch.Tensor], couplings: list[_Coupling]
) -> None:
    """One Gauss-Seidel pass over the terms, in place."""
    for t, (b, coupling) in enumerate(zip(rhs, couplings, strict=True)):
        effects[t] = b - coupling(effects)


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
