"""The fixed-effects IRLS loop on its own (models/fixed_effects_irls.py): without effects
it is a GLM's IRLS; warm and cold starts agree; too few iterations warn."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchstats as ts
from torchstats.errors import ConvergenceWarning
from torchstats.families import families as F
from torchstats.models.fixed_effects_irls import IrlsProblem, run_irls

RNG = np.random.default_rng(5)
N = 400
X = torch.as_tensor(np.column_stack([np.ones(N), RNG.normal(size=(N, 2))]))
Y = torch.as_tensor(RNG.poisson(np.exp(0.2 + X[:, 1:].numpy() @ [0.3, -0.2])).astype(float))


def _no_effects(columns: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    del weights
    return columns


def _problem() -> IrlsProblem:
    return IrlsProblem(F.Poisson(), Y, X, None, None, _no_effects)


def test_without_effects_it_is_the_glm() -> None:
    expected = ts.GLM(Y.numpy(), X.numpy(), family=F.Poisson()).fit().params
    iterations = run_irls(_problem(), (Y + Y.mean()) / 2, None, 1e-12, 50)
    assert iterations.converged
    np.testing.assert_allclose(iterations.params.numpy(), np.asarray(expected), rtol=1e-8)


def test_first_demeaning_given_or_done_agree() -> None:
    problem = _problem()
    mu = (Y + Y.mean()) / 2
    eta = problem.family.predict(mu)
    first = torch.column_stack([problem.working_response(eta, mu), X])
    given = run_irls(problem, mu, first, 1e-12, 50)
    done = run_irls(problem, mu, None, 1e-12, 50)
    torch.testing.assert_close(given.params, done.params, rtol=1e-10, atol=0)


def test_too_few_iterations_warn() -> None:
    with pytest.warns(ConvergenceWarning, match="raise glm_maxiter"):
        iterations = run_irls(_problem(), (Y + Y.mean()) / 2, None, 1e-12, 1)
    assert not iterations.converged and iterations.n_iter == 1
