"""Dense kernels: the numpy (SYRK) route equals torch's products on every layout and sign."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchstats.solvers.least_squares import solve_least_squares, solve_weighted_least_squares
from torchstats.structured import blas
from torchstats.structured.blas import gram_matrix, matvec, rmatvec

ROWS = 40_000  # large enough for the numpy route (n k^2 above about a million)


def _design(layout: str, dtype=torch.float64, k: int = 12) -> torch.Tensor:
    X = np.random.default_rng(0).standard_normal((ROWS, k))
    X = np.asfortranarray(X) if layout == "F" else X
    return torch.as_tensor(X).to(dtype)


def _weights(sign: str) -> torch.Tensor:
    w = torch.as_tensor(np.random.default_rng(1).uniform(0.1, 3.0, ROWS))
    if sign == "negative":
        return -w
    if sign == "mixed":
        return w * torch.where(torch.arange(ROWS) % 3 == 0, -1.0, 1.0).double()
    if sign == "zeros":
        return w * (torch.arange(ROWS) % 2).double()
    return w


@pytest.mark.parametrize("layout", ["C", "F"])
def test_gram_equals_torch(layout):
    X = _design(layout)
    assert blas._numpy_route(X, None)
    expected = X.T @ X
    torch.testing.assert_close(gram_matrix(X), expected, rtol=1e-13, atol=1e-9)


@pytest.mark.parametrize("sign", ["positive", "negative", "mixed", "zeros"])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_weighted_gram_equals_torch(layout, sign):
    X, w = _design(layout), _weights(sign)
    expected = (X * w[:, None]).T @ X
    result = gram_matrix(X, w)
    torch.testing.assert_close(result, expected, rtol=1e-12, atol=1e-9)
    torch.testing.assert_close(result, result.T, rtol=0, atol=0)


@pytest.mark.parametrize("layout", ["C", "F"])
def test_weighted_gram_in_row_blocks_copies_no_design(layout, monkeypatch):
    # small blocks force several of them: the numpy route through one reused buffer, the
    # torch route (a GPU's) block by block; both equal the product as written
    X, w = _design(layout), _weights("positive")
    expected = (X * w[:, None]).T @ X
    monkeypatch.setattr(blas, "_CHUNK_BYTES", 1 << 14)
    torch.testing.assert_close(gram_matrix(X, w), expected, rtol=1e-12, atol=1e-9)
    monkeypatch.setattr(blas, "_DEVICE_CHUNK_BYTES", 1 << 14)
    monkeypatch.setattr(blas, "_numpy_route", lambda *arrays: False)
    blocked = gram_matrix(X, w)
    torch.testing.assert_close(blocked, expected, rtol=1e-12, atol=1e-9)
    torch.testing.assert_close(blocked, blocked.T, rtol=0, atol=0)


@pytest.mark.parametrize("sign", ["positive", "negative", "mixed", "zeros"])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_weighted_gram_on_one_torch_thread_takes_cache_sized_blocks(layout, sign, monkeypatch):
    # torch on one thread (the thread policy's choice for most fits) keeps large products
    # in torch: row blocks through one buffer, any sign, an exactly symmetric result
    X, w = _design(layout), _weights(sign)
    expected = (X * w[:, None]).T @ X
    monkeypatch.setattr(blas, "_CHUNK_BYTES", 1 << 14)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert not blas._numpy_route(X, w)
        blocked = gram_matrix(X, w)
    finally:
        torch.set_num_threads(threads)
    torch.testing.assert_close(blocked, expected, rtol=1e-12, atol=1e-9)
    torch.testing.assert_close(blocked, blocked.T, rtol=0, atol=0)


def test_weighted_gram_of_nan_weights_is_nan_on_one_torch_thread():
    # a NaN weight has no sign: the general product, which carries it into the Gram
    X, w = _design("C"), _weights("positive")
    w[5] = float("nan")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        blocked = gram_matrix(X, w)
    finally:
        torch.set_num_threads(threads)
    assert bool(torch.isnan(blocked).all())


def test_float32_and_matrix_vector_products():
    X = _design("C", torch.float32)
    v, u = torch.ones(X.shape[1]), torch.linspace(-1, 1, ROWS)
    assert gram_matrix(X).dtype == torch.float32
    torch.testing.assert_close(gram_matrix(X), X.T @ X, rtol=1e-4, atol=1e-2)
    torch.testing.assert_close(matvec(X, v), X @ v, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(rmatvec(X, u), X.T @ u, rtol=1e-4, atol=1e-2)


def test_tensors_requiring_gradients_stay_in_torch():
    X = _design("C")
    w = _weights("positive").requires_grad_()
    assert not blas._numpy_route(X, w)
    gram_matrix(X, w).trace().backward()
    torch.testing.assert_close(w.grad, (X * X).sum(dim=1))


def test_small_problems_stay_in_torch():
    X = torch.randn(50, 4, dtype=torch.float64)
    assert not blas._numpy_route(X, None)
    torch.testing.assert_close(gram_matrix(X), X.T @ X)


@pytest.mark.parametrize("method", ["auto", "cholesky", "qr", "pinv"])
def test_weighted_solve_equals_whitened_solve(method):
    X, w = _design("C"), _weights("positive")
    y = X @ torch.linspace(1, 2, X.shape[1], dtype=X.dtype) + torch.randn(ROWS, dtype=X.dtype)
    root = torch.sqrt(w)
    expected = solve_least_squares(X * root[:, None], y * root, method)
    found = solve_weighted_least_squares(X, y, w, method)
    torch.testing.assert_close(found.params, expected.params, rtol=1e-12, atol=0)
    torch.testing.assert_close(found.normalized_cov, expected.normalized_cov, rtol=1e-10, atol=0)


def test_weighted_solve_hands_ill_conditioned_problems_to_qr():
    X, w = _design("C", k=4), _weights("positive")
    X = torch.cat([X, X[:, :1] + 1e-7 * torch.randn(ROWS, 1, dtype=X.dtype)], dim=1)
    y = X.sum(dim=1) + torch.randn(ROWS, dtype=X.dtype)
    found = solve_weighted_least_squares(X, y, w, "auto")
    assert found.method == "qr"
    root = torch.sqrt(w)
    expected = solve_least_squares(X * root[:, None], y * root, "qr")
    torch.testing.assert_close(found.params, expected.params, rtol=1e-9, atol=0)
