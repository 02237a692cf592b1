"""``predict_mean(params, exog)``: the mean at design rows as a torch function of both.

It is what ``get_margeff`` differentiates, so it must equal ``predict(params, exog)`` for new
rows (no offset or exposure) and carry gradients to ``params`` and ``exog``.
"""

from __future__ import annotations

import pytest
import torch

from tests.models.discrete_cases import CASES, fit_pair


@pytest.mark.parametrize("case", CASES[::4], ids=lambda case: case.id)
def test_predict_mean_is_predict_for_new_rows(case) -> None:
    ours, _ = fit_pair(case)
    model, params = ours.model, ours.fit_result.params
    rows = model.design.exog[:7] * 1.1
    expected = model.predict(params, rows)
    torch.testing.assert_close(model.predict_mean(params, rows), expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("case", CASES[1::4], ids=lambda case: case.id)
def test_predict_mean_differentiates_in_params_and_rows(case) -> None:
    """The gradient in a row is ``mean'(x'b) b`` (single-index models), in ``b`` it is
    ``mean'(x'b) x``; autograd gives both."""
    ours, _ = fit_pair(case)
    model = ours.model
    params = ours.fit_result.params.clone().requires_grad_(True)
    rows = model.design.exog[:5].clone().requires_grad_(True)
    mean = model.predict_mean(params, rows)
    d_params, d_rows = torch.autograd.grad(mean.sum(), (params, rows))
    k = model.design.k_exog
    slope = model.mean_derivative(rows.detach() @ params.detach()[:k])
    torch.testing.assert_close(d_rows, slope[:, None] * params.detach()[None, :k])
    torch.testing.assert_close(d_params[:k], (slope[:, None] * rows.detach()).sum(0))
    assert bool((d_params[k:] == 0).all())  # alpha does not move the mean
