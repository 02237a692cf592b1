"""What absorbing fixed effects needs from the effects alone, built once per sample.

Absorbing effects (:func:`~torchstats.solvers.demean.absorb`) couples every pair of terms
through their cross-tabulation ``A_t'WA_s``: a sparse matrix with one entry per pair of
levels that occurs. Which pairs occur, in which order, and whether a cross-tabulation is
worth building at all depend on the group codes only; the entries' values depend on the
weights. An :class:`AbsorbPlan` holds the first part (the cells of each cross-tabulation,
its CSR pattern in both orientations, the choice of route), so that a call with new
weights (every IRLS iteration of a fixed-effects GLM, every model of a multiple
estimation) only sums the weights into the known cells: one ``bincount`` per pair, no sort.

:meth:`AbsorbPlan.weigh` returns the :class:`WeightedEffects` of one set of weights: each
term's masses ``diag(A_t'WA_t)`` and each term's coupling to the others,
``sum_{s != t} C_ts alpha_s`` with ``C_ts = (A_t'WA_t)^{-1} A_t'WA_s``, either through the
cross-tabulation or, when nearly every row has a pair of levels of its own, through the
rows (one gather per other term and one ``index_add_``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import torch

__all__ = ["AbsorbPlan", "AbsorbTerm", "WeightedEffects"]

Route = Literal["table", "rows"]


@dataclass(frozen=True)
class AbsorbTerm:
    """One set of effects to project out.

    Attributes
    ----------
    codes : Tensor of int64 or int32, shape (n,)
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


# Cross-tabulations with at most this many possible cells (or four per row) are summed
# straight into a dense array of all cells; larger ones are sorted once.
_DENSE_CELLS = 1 << 20


class _Pattern:
    """The cells of the cross-tabulation of terms ``t < s`` and their CSR layout in both
    orientations (``C_ts``: rows are ``t``'s levels; ``C_st``: the transpose)."""

    def __init__(
        self,
        first: AbsorbTerm,
        second: AbsorbTerm,
        row_cells: torch.Tensor | None,
        cells: torch.Tensor,
    ) -> None:
        self.first, self.second = first, second
        self.row_cells = row_cells
        """Each row's cell (None: the cells are the dense keys, summed into all cells)."""
        self.cells = cells
        """The keys ``code_t * n_levels_s + code_s`` of the pairs that occur, sorted."""
        self.rows = torch.div(cells, second.n_levels, rounding_mode="floor")
        self.columns = cells - self.rows * second.n_levels
        self.pointers = _pointers(self.rows, first.n_levels)
        self.order = torch.argsort(self.columns * first.n_levels + self.rows)
        """The cells in ``C_st``'s order (by ``s``'s level, then ``t``'s)."""
        self.transposed_rows = self.columns[self.order]
        self.transposed_columns = self.rows[self.order]
        self.transposed_pointers = _pointers(self.transposed_rows, second.n_levels)

    def totals(self, row_weight: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor:
        """The (weighted) count of rows in each cell."""
        if self.row_cells is not None:
            counts = torch.bincount(self.row_cells, weights=row_weight, minlength=len(self.cells))
            return counts.to(dtype)
        key = _pair_keys(self.first, self.second)
        size = self.first.n_levels * self.second.n_levels
        return torch.bincount(key, weights=row_weight, minlength=size).to(dtype)[self.cells]

    def tables(
        self,
        totals: torch.Tensor,
        first_inverse_mass: torch.Tensor,
        second_inverse_mass: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``C_ts`` and ``C_st`` as sparse CSR, from the cells' totals and each term's
        inverse masses."""
        shape = (self.first.n_levels, self.second.n_levels)
        forward = _csr(self.pointers, self.columns, totals * first_inverse_mass[self.rows], shape)
        backward = _csr(
            self.transposed_pointers,
            self.transposed_columns,
            totals[self.order] * second_inverse_mass[self.transposed_rows],
            (shape[1], shape[0]),
        )
        return forward, backward


def _pointers(rows: torch.Tensor, n_rows: int) -> torch.Tensor:
    """CSR row pointers of entries sorted by row."""
    pointers = torch.zeros(n_rows + 1, dtype=rows.dtype, device=rows.device)
    pointers[1:] = torch.cumsum(torch.bincount(rows, minlength=n_rows), 0)
    return pointers


def _pair_keys(first: AbsorbTerm, second: AbsorbTerm) -> torch.Tensor:
    """Each row's pair of levels as one int64 key ``code_first * n_levels_second +
    code_second`` (int32 codes are widened first: the product may pass 2**31)."""
    key = first.codes.to(torch.int64, copy=True)
    return key.mul_(second.n_levels).add_(second.codes)


def _pattern(first: AbsorbTerm, second: AbsorbTerm) -> _Pattern | None:
    """The cross-tabulation's pattern, or None when the pairs of levels are nearly all
    distinct (the coupling then goes through the rows)."""
    key = _pair_keys(first, second)
    n = key.shape[0]
    size = first.n_levels * second.n_levels
    if size <= max(4 * n, _DENSE_CELLS):
        present = torch.bincount(key, minlength=size)
        return _Pattern(first, second, None, torch.nonzero(present, as_tuple=True)[0])
    if _mostly_distinct(first, second, key):
        return None
    cells, row_cells = torch.unique(key, sorted=True, return_inverse=True)
    if cells.shape[0] < 2**31:  # half the memory; bincount counts int32 as fast
        row_cells = row_cells.to(torch.int32)
    return _Pattern(first, second, row_cells, cells)


def _mostly_distinct(first: AbsorbTerm, second: AbsorbTerm, key: torch.Tensor) -> bool:
    """Whether more than a quarter of the rows have a pair of levels of their own, judged
    on the rows of 1/64 of the levels of the term with more levels (then a sweep through
    the rows costs no more than one through a cross-tabulation, which is not worth the sort
    that builds it)."""
    larger = first if first.n_levels >= second.n_levels else second
    sample = key[larger.codes < max(larger.n_levels // 64, 1)]
    return int(torch.unique(sample).shape[0]) > sample.shape[0] // 4


class AbsorbPlan:
    """The weight-free structure of absorbing ``terms``: build once per sample, then
    :meth:`weigh` (or pass as ``plan=`` to :func:`~torchstats.solvers.demean.absorb`) for
    each set of weights.

    Parameters
    ----------
    terms : tuple of AbsorbTerm
        The effects, as :func:`~torchstats.solvers.demean.absorb` takes them.
    """

    def __init__(self, terms: tuple[AbsorbTerm, ...]) -> None:
        self.terms = terms
        self._patterns: dict[tuple[int, int], _Pattern | None] = {
            (t, s): _pattern(terms[t], terms[s])
            for t in range(len(terms))
            for s in range(t + 1, len(terms))
        }

    def route(self, t: int, s: int) -> Route:
        """How terms ``t`` and ``s`` are coupled: ``"table"`` (their sparse
        cross-tabulation) or ``"rows"`` (a pass through the rows)."""
        return "rows" if self._patterns[(min(t, s), max(t, s))] is None else "table"

    def weigh(self, weights: torch.Tensor | None, dtype: torch.dtype) -> WeightedEffects:
        """The masses and couplings of the terms under ``weights`` (None: all ones)."""
        weights = None if weights is None else weights.to(dtype)
        terms = [_Term(term, weights, dtype) for term in self.terms]
        couplings = [_Coupling() for _ in terms]
        for (t, s), pattern in self._patterns.items():
            if pattern is None:
                couplings[t].through_rows.append(s)
                couplings[s].through_rows.append(t)
                continue
            row_weight = _product(_product(weights, terms[t].slope), terms[s].slope)
            totals = pattern.totals(row_weight, dtype)
            forward, backward = pattern.tables(totals, terms[t].inverse_mass, terms[s].inverse_mass)
            couplings[t].tables.append((s, forward))
            couplings[s].tables.append((t, backward))
        return WeightedEffects(terms, couplings)


def _csr(
    pointers: torch.Tensor, columns: torch.Tensor, values: torch.Tensor, shape: tuple[int, int]
) -> torch.Tensor:
    with warnings.catch_warnings():  # torch calls its CSR tensors "beta"
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(pointers, columns, values, shape, check_invariants=False)


class _Term:
    """One term under one set of weights: codes, slope, ``diag(A_t'WA_t)`` and its inverse."""

    def __init__(self, term: AbsorbTerm, weights: torch.Tensor | None, dtype: torch.dtype) -> None:
        self.codes = term.codes
        self.n_levels = term.n_levels
        self.slope = None if term.slope is None else term.slope.to(dtype)
        self.row_weight = _product(weights, self.slope)
        """``w * v``: what ``A_t'W`` multiplies each row by (None for ones)."""
        squared = (
            _product(self.row_weight, self.slope) if self.slope is not None else self.row_weight
        )
        self.mass = torch.bincount(self.codes, weights=squared, minlength=self.n_levels).to(dtype)
        """``diag(A_t'WA_t)``: each level's (weighted) mass."""
        # A level without mass (a slope identically zero in it) has no coefficient to fit.
        self.inverse_mass = torch.where(self.mass > 0, 1.0 / self.mass, 0.0)

    def normal_rhs(self, rows: torch.Tensor, scratch: bool = False) -> torch.Tensor:
        """``(A_t'WA_t)^{-1} A_t'W x`` of the columns stored as the rows of ``rows``
        (shape (p, n)), shape (n_levels, p) (stored as (p, n_levels)); ``scratch``: ``rows``
        may be overwritten."""
        sums = torch.zeros((rows.shape[0], self.n_levels), dtype=rows.dtype, device=rows.device)
        # one row at a time: no (p, n) weighted copy, and index_add_ along dim 1 of a 2-d
        # tensor takes 20x longer with int32 codes (the same sums, in the same order)
        buffer = None
        for row, out in zip(rows, sums, strict=True):
            values = row
            if self.row_weight is not None:
                if scratch:
                    values = row.mul_(self.row_weight)
                else:
                    buffer = torch.mul(row, self.row_weight, out=buffer)
                    values = buffer
            out.index_add_(0, self.codes, values)
        return sums.mul_(self.inverse_mass).T

    def fitted(self, coefficients: torch.Tensor) -> torch.Tensor:
        """``A_t alpha_t`` of coefficients of shape (n_levels, p), as the rows of a
        (p, n) tensor (one gather per column: faster than a gather of rows)."""
        stored = coefficients.T
        values = torch.empty(
            (stored.shape[0], self.codes.shape[0]), dtype=stored.dtype, device=stored.device
        )
        for column, out in zip(stored, values, strict=True):
            torch.index_select(column, 0, self.codes, out=out)
        return values if self.slope is None else values.mul_(self.slope)

    def add_fitted(self, coefficients: torch.Tensor, rows: torch.Tensor, sign: float = 1.0) -> None:
        """``rows += sign * A_t alpha_t`` (``rows`` of shape (p, n)), one column at a time."""
        buffer = torch.empty_like(rows[0])
        for column, row in zip(coefficients.T, rows, strict=True):
            torch.index_select(column, 0, self.codes, out=buffer)
            if self.slope is None:
                row.add_(buffer, alpha=sign)
            else:
                row.addcmul_(buffer, self.slope, value=sign)


@dataclass
class _Coupling:
    """How one term ``t`` is coupled to the others: through sparse cross-tabulations
    (``tables``: (s, ``C_ts``)) and through the rows (``through_rows``: the other terms'
    fitted values added row by row, then summed by ``t``'s level at once)."""

    tables: list[tuple[int, torch.Tensor]] = field(default_factory=list)
    through_rows: list[int] = field(default_factory=list)


def _product(left: torch.Tensor | None, right: torch.Tensor | None) -> torch.Tensor | None:
    if left is None:
        return right
    return left if right is None else left * right


# On the CPU the sweeps' passes through the rows gather and sum a block of rows at a time:
# the buffers stay small (1 MB) whatever the number of rows, and each level's sum takes its
# rows in the same order as in one pass (the same numbers). On a GPU, where each block would
# cost kernel launches, the block is all the rows.
_ROW_BLOCK = 1 << 17


def _sums_through_rows(
    targets: list[_Term], others: list[_Term], effects: list[torch.Tensor]
) -> list[torch.Tensor]:
    """For each term ``t`` of ``targets``, ``(A_t'WA_t)^{-1} A_t'W sum_s A_s alpha_s`` over
    the terms ``others`` (coefficients ``effects``, each (n_levels_s, p)), each
    (n_levels_t, p) stored as (p, n_levels_t): :meth:`_Term.normal_rhs` of the sum of
    :meth:`_Term.fitted`, the same operations in the same order, a column and a block of
    rows at a time (no (p, n) temporary)."""
    first = effects[0]
    n, p = others[0].codes.shape[0], first.shape[1]
    block = max(min(n, _ROW_BLOCK) if first.device.type == "cpu" else n, 1)
    share = torch.empty(block, dtype=first.dtype, device=first.device)
    buffer = torch.empty_like(share) if len(others) > 1 else share
    weighted = (
        torch.empty_like(share)
        if len(targets) > 1 and any(t.row_weight is not None for t in targets)
        else share
    )
    sums = [torch.zeros((p, t.n_levels), dtype=first.dtype, device=first.device) for t in targets]
    for j in range(p):
        columns = [coefficients[:, j] for coefficients in effects]
        for start in range(0, n, block):
            rows = slice(start, min(start + block, n))
            size = rows.stop - start
            total, gathered = share[:size], buffer[:size]
            for position, (term, column) in enumerate(zip(others, columns, strict=True)):
                if position == 0:
                    torch.index_select(column, 0, term.codes[rows], out=total)
                    if term.slope is not None:
                        total.mul_(term.slope[rows])
                    continue
                torch.index_select(column, 0, term.codes[rows], out=gathered)
                if term.slope is None:
                    total.add_(gathered)
                else:
                    total.addcmul_(gathered, term.slope[rows])
            for target, out in zip(targets, sums, strict=True):
                values = total
                if target.row_weight is not None:
                    if len(targets) == 1:
                        values = total.mul_(target.row_weight[rows])
                    else:
                        values = torch.mul(total, target.row_weight[rows], out=weighted[:size])
                out[j].index_add_(0, target.codes[rows], values)
    return [out.mul_(target.inverse_mass).T for out, target in zip(sums, targets, strict=True)]


class WeightedEffects:
    """The terms under one set of weights: what each Gauss-Seidel update and each product
    with the normal equations needs.

    Fitted values ``A_s alpha_s`` passed through the rows are gathered once while a later
    term of the same pass can reuse them (three effects coupled through the rows: four
    gathers a sweep instead of six): where the later terms read that fitted value alone,
    their sums by level are taken from the same gathered rows at once (no (p, n) fitted
    value is kept), else the fitted value is kept until they read it.
    """

    def __init__(self, terms: list[_Term], couplings: list[_Coupling]) -> None:
        self.terms = terms
        self.couplings = couplings

    @property
    def masses(self) -> list[torch.Tensor]:
        """Each term's ``diag(A_t'WA_t)``."""
        return [term.mass for term in self.terms]

    def normal_rhs(self, rows: torch.Tensor) -> list[torch.Tensor]:
        """Each term's ``(A_t'WA_t)^{-1} A_t'W x`` of the columns stored as the rows of
        ``rows`` (shape (p, n)); each (n_levels, p), stored as (p, n_levels)."""
        return [term.normal_rhs(rows) for term in self.terms]

    def subtract_fitted(self, rows: torch.Tensor, effects: list[torch.Tensor]) -> None:
        """``x -= sum_t A_t alpha_t`` for the columns stored as the rows of ``rows``, in
        place, one term at a time."""
        for term, effect in zip(self.terms, effects, strict=True):
            term.add_fitted(effect, rows, sign=-1.0)

    def sweep(self, effects: list[torch.Tensor], rhs: list[torch.Tensor]) -> None:
        """One Gauss-Seidel pass, in place: ``alpha_t <- b_t - sum_{s != t} C_ts alpha_s``."""
        cache: dict[int, torch.Tensor] = {}
        pending: dict[int, torch.Tensor] = {}
        for t, b in enumerate(rhs):
            effects[t] = b - self._coupled(t, effects, cache, pending, sweeping=True)
            cache.pop(t, None)

    def coupled(self, effects: list[torch.Tensor]) -> list[torch.Tensor]:
        """``sum_{s != t} C_ts alpha_s`` for every term ``t`` at the same ``alpha``."""
        cache: dict[int, torch.Tensor] = {}
        pending: dict[int, torch.Tensor] = {}
        return [
            self._coupled(t, effects, cache, pending, sweeping=False) for t in range(len(effects))
        ]

    def _readers(self, s: int, t: int, sweeping: bool) -> list[int]:
        """The terms after ``t`` that read ``A_s alpha_s`` through the rows before ``s`` is
        updated (in a sweep, ``s`` is updated at its own turn)."""
        readers = []
        for u in range(t + 1, len(self.terms)):
            if sweeping and u == s:
                break
            if s in self.couplings[u].through_rows:
                readers.append(u)
        return readers

    def _reused(self, s: int, t: int, sweeping: bool) -> bool:
        """Whether a term after ``t`` reads ``A_s alpha_s`` through the rows before ``s`` is
        updated."""
        return bool(self._readers(s, t, sweeping))

    def _shares(
        self, t: int, effects: list[torch.Tensor], cache: dict[int, torch.Tensor], sweeping: bool
    ) -> tuple[torch.Tensor, bool]:
        """``sum_s A_s alpha_s`` over the terms coupled to ``t`` through the rows, stored as
        (p, n), and whether it may be overwritten. A fitted value no later term reuses is
        gathered straight into the sum (one column at a time: no (p, n) temporary)."""
        shares: torch.Tensor | None = None
        scratch = False
        for s in self.couplings[t].through_rows:
            term = self.terms[s]
            kept = self._reused(s, t, sweeping)
            value = cache.pop(s, None)
            if value is None and (kept or shares is None):
                value = term.fitted(effects[s])
            if kept:
                assert value is not None
                cache[s] = value
            if shares is None:
                assert value is not None
                shares, scratch = value, not kept
                continue
            if not scratch:
                shares, scratch = shares.clone(), True
            if value is None:
                term.add_fitted(effects[s], shares)
            else:
                shares.add_(value)
        assert shares is not None
        return shares, scratch

    def _coupled(
        self,
        t: int,
        effects: list[torch.Tensor],
        cache: dict[int, torch.Tensor],
        pending: dict[int, torch.Tensor],
        sweeping: bool,
    ) -> torch.Tensor:
        coupling = self.couplings[t]
        rows = coupling.through_rows
        total: torch.Tensor | None = pending.pop(t, None)
        if total is None and rows and not any(s in cache for s in rows):
            readers = [self._readers(s, t, sweeping) for s in rows]
            others = [self.terms[s] for s in rows]
            if not any(readers):  # no fitted value to keep for a later term
                total = _sums_through_rows([self.terms[t]], others, [effects[s] for s in rows])[0]
            elif len(rows) == 1 and all(self.couplings[u].through_rows == rows for u in readers[0]):
                # the later terms read this one fitted value alone: their sums by level now,
                # from the same gathered rows, instead of keeping the (p, n) fitted value
                targets = [t, *readers[0]]
                sums = _sums_through_rows(
                    [self.terms[u] for u in targets], others, [effects[rows[0]]]
                )
                total = sums[0]
                pending.update(zip(readers[0], sums[1:], strict=True))
        if total is None and rows:
            shares, scratch = self._shares(t, effects, cache, sweeping)
            total = self.terms[t].normal_rhs(shares, scratch)
        for s, table in coupling.tables:
            product = table @ effects[s]
            total = product if total is None else total.add_(product)
        assert total is not None
        return total
