"""The inverse of an information matrix: a singular one is caught whichever way rounding
tips Cholesky's last pivot, and the decision does not depend on the parameters' units."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchstats.errors import HessianWarning
from torchstats.models.likelihood_engine import information_rank, invert_information

NAMES = ["a", "b", "c", "d", "e"]


def _with_spectrum(eigenvalues: list[float], seed: int) -> tuple[torch.Tensor, np.ndarray]:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    return torch.tensor(q @ np.diag(eigenvalues) @ q.T), q


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("flat", [0.0, 3e-16, -3e-16])
def test_flat_direction_is_caught_even_when_cholesky_succeeds(seed, flat):
    # an eigenvalue at rounding level (either sign): Cholesky may succeed with a tiny pivot
    information, q = _with_spectrum([flat, 1.0, 2.0, 5.0, 9.0], seed)
    with pytest.warns(HessianWarning, match="not identified"):
        inverse = invert_information(information, NAMES, "not identified")
    assert information_rank(information) == 4
    loaded = np.abs(q[:, 0]) > 1e-8
    assert np.isnan(inverse.numpy()[loaded]).all()


@pytest.mark.parametrize("seed", range(4))
def test_positive_pivot_of_a_singular_matrix_is_not_trusted(seed):
    # the last pivot of this exactly singular matrix comes out tiny and positive
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(5, 4))
    information = torch.tensor(B @ B.T)
    factor, info = torch.linalg.cholesky_ex(information)
    with pytest.warns(HessianWarning):
        inverse = invert_information(information, NAMES, "singular")
    assert torch.isnan(inverse).any()
    assert information_rank(information) == 4
    assert int(info) in (0, 4) and factor.shape == (5, 5)


def test_units_of_the_parameters_do_not_matter():
    information, _ = _with_spectrum([0.5, 1.0, 2.0, 5.0, 9.0], 0)
    units = torch.tensor([1e-9, 1e-3, 1.0, 1e4, 1e9], dtype=torch.float64)
    scaled = information * units[:, None] * units[None, :]
    expected = torch.linalg.inv(information) / units[:, None] / units[None, :]
    inverse = invert_information(scaled, NAMES, "unused")
    torch.testing.assert_close(inverse, expected, rtol=1e-12, atol=0)
    assert information_rank(scaled) == 5
