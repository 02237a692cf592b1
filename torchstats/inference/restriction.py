"""Linear equality restrictions ``R b = q`` as an affine map of free parameters.

Every ``b`` with ``R b = q`` is ``b = T theta + c``: ``T`` (k, k - r) an orthonormal basis of
the null space of ``R`` and ``c`` the restriction's minimum-norm solution (statsmodels'
``TransformRestriction``, from an SVD of ``R`` rather than an eigendecomposition of the
projector). A constrained fit is the model's fit in ``theta`` with the design ``X T`` and
``X c`` added to the offset; its covariance maps back as ``T V T'``.

A parameter that the restrictions fix alone (``x3 = 0``) gets an exactly zero row of ``T``
and its value from its own restriction: rounding noise of the basis would otherwise give it
a standard error of ``1e-17`` and a t statistic of rounding errors instead of 0 and NaN.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from torchstats.errors import ConstraintError

__all__ = ["AffineRestriction", "LinearConstraints"]

#: Entries of the orthonormal null-space basis below this are rounding noise of the SVD.
_BASIS_NOISE = 8 * np.finfo(float).eps


@dataclass(frozen=True)
class LinearConstraints:
    """The restrictions ``R b = q`` of a constrained fit (statsmodels' ``LinearConstraints``).

    Attributes
    ----------
    constraint_matrix, coefs : ndarray, shape (r, k)
    constraint_values, constants : ndarray, shape (r,)
    variable_names : list of str
    """

    constraint_matrix: np.ndarray
    constraint_values: np.ndarray
    variable_names: list[str]

    @property
    def coefs(self) -> np.ndarray:
        """``R`` (patsy's name)."""
        return self.constraint_matrix

    @property
    def constants(self) -> np.ndarray:
        """``q`` (patsy's name)."""
        return self.constraint_values

    @property
    def tuple(self) -> tuple[np.ndarray, np.ndarray]:
        """``(R, q)``."""
        return self.constraint_matrix, self.constraint_values

    def __iter__(self) -> Iterator[np.ndarray]:
        yield from self.tuple

    def __getitem__(self, index: int) -> np.ndarray:
        return self.tuple[index]

    def __str__(self) -> str:
        """One line per restriction, ``x1 + 2.0 * x2 = 0.1`` (statsmodels' layout; a
        negative first coefficient keeps its sign, which statsmodels drops)."""
        lines = []
        for row, value in zip(self.constraint_matrix, self.constraint_values, strict=True):
            text = ""
            for coef, name in zip(row, self.variable_names, strict=True):
                if coef == 0:
                    continue
                size = abs(float(coef))
                term = name if size == 1 else f"{size} * {name}"
                if not text:
                    text = term if coef > 0 else f"-{term}"
                else:
                    text += f" + {term}" if coef > 0 else f" - {term}"
            lines.append(f"{text} = {float(value)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class AffineRestriction:
    """``b = transform @ theta + constant`` for every ``b`` with ``R b = q``.

    Attributes
    ----------
    constraints : LinearConstraints
    transform : Tensor, shape (k, k - r)
        Orthonormal basis of the null space of ``R`` (rows of parameters fixed by the
        restrictions exactly zero).
    constant : Tensor, shape (k,)
        A solution of ``R b = q`` (exact for parameters fixed alone).
    """

    constraints: LinearConstraints
    transform: torch.Tensor
    constant: torch.Tensor

    @classmethod
    def build(
        cls, R: np.ndarray, q: np.ndarray, names: Sequence[str], like: torch.Tensor
    ) -> AffineRestriction:
        """The restriction of ``R b = q`` on the device and dtype of ``like``.

        Raises
        ------
        ConstraintError
            Linearly dependent restrictions (redundant or contradictory), or restrictions
            that fix every parameter.
        """
        R = np.atleast_2d(np.asarray(R, dtype=float))
        q = np.asarray(q, dtype=float).reshape(-1)
        r, k = R.shape
        if not (np.isfinite(R).all() and np.isfinite(q).all()):
            raise ConstraintError("the constraints hold NaN or inf")
        U, singular, Vh = np.linalg.svd(R)
        rank = int((singular > max(r, k) * np.finfo(float).eps * singular.max()).sum())
        if rank < r:
            raise ConstraintError(
                f"the {r} constraints are linearly dependent (rank {rank}): some are "
                "redundant or contradict each other; drop the redundant ones"
            )
        if rank == k:
            raise ConstraintError(
                f"the {r} constraints fix all {k} parameters: nothing is left to estimate"
            )
        transform = Vh[r:].T.copy()
        transform[np.abs(transform) < _BASIS_NOISE] = 0.0
        constant = Vh[:r].T @ ((U.T @ q) / singular)
        for row, value in zip(R, q, strict=True):
            (entries,) = np.nonzero(row)
            if entries.size == 1:  # a parameter fixed alone: its value, exactly
                constant[entries[0]] = value / row[entries[0]]
        constraints = LinearConstraints(R, q, list(names))

        def tensor(values: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(values, dtype=like.dtype, device=like.device)

        return cls(constraints, tensor(transform), tensor(constant))

    @property
    def k_constr(self) -> int:
        """Number of restrictions ``r``."""
        return int(self.constraints.constraint_matrix.shape[0])

    def expand(self, theta: torch.Tensor) -> torch.Tensor:
        """The full parameters ``T theta + c``, shape (k,)."""
        return self.transform @ theta + self.constant

    def reduce(self, params: torch.Tensor) -> torch.Tensor:
        """The free parameters ``T' (b - c)`` of ``b`` (its projection on the restriction)."""
        return self.transform.T @ (params - self.constant)

    def expand_cov(self, cov: torch.Tensor) -> torch.Tensor:
        """``T V T'``: the covariance of the full parameters, shape (k, k)."""
        return self.transform @ cov @ self.transform.T
