"""Double-double kernels are exact where they claim to be (oracle: Python fractions)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from torchstats.solvers.extended import dd_matmul, dd_matmul_t, two_prod, two_sum


def _exact(values) -> list[Fraction]:
    return [Fraction(float(v)) for v in np.ravel(values)]


def _powers_of_ten(exponents) -> np.ndarray:
    """``10.0 ** e`` correctly rounded on every CPU (numpy's SIMD ``pow`` is not)."""
    return np.vectorize(lambda e: float(f"1e{int(e)}"))(exponents)


def _dd_error(hi, lo, exact: Fraction) -> Fraction:
    return abs(Fraction(float(hi)) + Fraction(float(lo)) - exact)


def test_two_sum_is_error_free():
    rng = np.random.default_rng(0)
    a = torch.tensor(rng.normal(size=1000) * 10.0 ** rng.integers(-8, 8, 1000))
    b = torch.tensor(rng.normal(size=1000) * 10.0 ** rng.integers(-8, 8, 1000))
    s, e = two_sum(a, b)
    for ai, bi, si, ei in zip(_exact(a), _exact(b), _exact(s), _exact(e)):
        assert ai + bi == si + ei


def test_two_prod_is_error_free():
    rng = np.random.default_rng(1)
    a = torch.tensor(rng.normal(size=1000) * 10.0 ** rng.integers(-6, 6, 1000))
    b = torch.tensor(rng.normal(size=1000) * 10.0 ** rng.integers(-6, 6, 1000))
    p, e = two_prod(a, b)
    for ai, bi, pi, ei in zip(_exact(a), _exact(b), _exact(p), _exact(e)):
        assert ai * bi == pi + ei


@pytest.mark.parametrize("rows", [7, 64, 1001])
def test_dd_matmul_t_is_accurate_to_twice_working_precision(rows):
    rng = np.random.default_rng(rows)
    A = rng.normal(size=(rows, 3)) * 1e4
    B = rng.normal(size=(rows, 2))
    hi, lo = dd_matmul_t(torch.tensor(A), torch.tensor(B))
    for j in range(3):
        for m in range(2):
            exact = sum(Fraction(float(a)) * Fraction(float(b)) for a, b in zip(A[:, j], B[:, m]))
            got = Fraction(float(hi[j, m])) + Fraction(float(lo[j, m]))
            assert abs(got - exact) <= abs(exact) * Fraction(2) ** -100 + Fraction(2) ** -1000


def test_dd_matmul_cancels_catastrophically_cancelling_products():
    A = torch.tensor([[1e16, 1.0, -1e16]], dtype=torch.float64)
    B = torch.tensor([[1.0], [1.0], [1.0]], dtype=torch.float64)
    hi, lo = dd_matmul(A, B)
    assert float(hi[0, 0]) + float(lo[0, 0]) == 1.0
    assert float((A @ B)[0, 0]) != 1.0  # plain float64 loses it


@pytest.mark.parametrize("chunk", [1, 37, 1 << 21])
def test_both_matmuls_exact_across_row_chunks(monkeypatch, chunk):
    """The products are formed in row chunks (bounded temporaries): chunking loses nothing."""
    import torchstats.solvers.extended as extended

    monkeypatch.setattr(extended, "_CHUNK_ELEMENTS", chunk)
    rng = np.random.default_rng(chunk)
    A = rng.normal(size=(41, 5)) * _powers_of_ten(rng.integers(-5, 5, (41, 5)))
    B = rng.normal(size=(5, 3))
    C = rng.normal(size=(41, 3))
    hi, lo = dd_matmul(torch.tensor(A), torch.tensor(B))
    hi_t, lo_t = dd_matmul_t(torch.tensor(A), torch.tensor(C))
    for i in range(41):
        for m in range(3):
            exact = sum(Fraction(float(A[i, j])) * Fraction(float(B[j, m])) for j in range(5))
            got = Fraction(float(hi[i, m])) + Fraction(float(lo[i, m]))
            assert abs(got - exact) <= abs(exact) * Fraction(2) ** -100 + Fraction(2) ** -1000
    for j in range(5):
        for m in range(3):
            exact = sum(Fraction(float(A[i, j])) * Fraction(float(C[i, m])) for i in range(41))
            got = Fraction(float(hi_t[j, m])) + Fraction(float(lo_t[j, m]))
            assert abs(got - exact) <= abs(exact) * Fraction(2) ** -100 + Fraction(2) ** -1000


@pytest.mark.parametrize("seed", range(6))
def test_products_exact_to_2_pow_minus_100_under_heavy_cancellation(seed):
    """Sums that cancel to 1e-12 of their terms keep 2^-100 relative to the result."""
    rng = np.random.default_rng(seed)
    n = 301
    A = rng.normal(size=(n, 2)) * _powers_of_ten(rng.integers(-8, 8, (n, 2)))
    c = rng.normal(size=(n, 1))
    # last row cancels the column sums of A * c up to a tiny remainder
    exact_cols = [
        sum(Fraction(float(a)) * Fraction(float(ci)) for a, ci in zip(A[:-1, j], c[:-1, 0]))
        for j in range(2)
    ]
    c[-1, 0] = 1.0
    A[-1] = [-float(x) + 1e-12 * float(abs(x)) for x in exact_cols]
    hi, lo = dd_matmul_t(torch.tensor(A), torch.tensor(c))
    for j in range(2):
        exact = sum(Fraction(float(a)) * Fraction(float(ci)) for a, ci in zip(A[:, j], c[:, 0]))
        assert _dd_error(hi[j, 0], lo[j, 0], exact) <= abs(exact) * Fraction(2) ** -100
    row_hi, row_lo = dd_matmul(torch.tensor(A.T.copy()), torch.tensor(c))
    for j in range(2):
        exact = sum(Fraction(float(a)) * Fraction(float(ci)) for a, ci in zip(A[:, j], c[:, 0]))
        assert _dd_error(row_hi[j, 0], row_lo[j, 0], exact) <= abs(exact) * Fraction(2) ** -100


def test_dd_matmul_t_of_no_rows_is_zero():
    empty = torch.zeros(0, 3, dtype=torch.float64)
    hi, lo = dd_matmul_t(empty, empty[:, :2])
    assert hi.shape == (3, 2) and not hi.any() and not lo.any()
