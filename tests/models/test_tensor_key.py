"""TensorKey: the same values without reading them (same memory, same view, no change)."""

from __future__ import annotations

import torch

from torchstats.models.tensor_key import TensorKey


def test_the_same_tensor_and_the_same_view_taken_again_are_the_same_values():
    theta = torch.arange(6.0, dtype=torch.float64)
    assert TensorKey(theta).matches(theta)
    assert TensorKey(theta[:4]).matches(theta[:4])  # two view objects, one memory
    assert TensorKey(theta[:4][1:]).matches(theta[1:4])  # views of views: one root


def test_other_views_other_tensors_and_changed_values_are_not():
    theta = torch.arange(6.0, dtype=torch.float64)
    key = TensorKey(theta[:4])
    assert not key.matches(theta[:3])
    assert not key.matches(theta[1:5])
    assert not key.matches(theta[::2])
    assert not key.matches(theta[:4].clone())  # equal values, other memory
    assert not key.matches(theta.view(torch.int64)[:4])
    assert not key.matches(theta)
    theta[5] = 0.0  # an in-place change anywhere in the root, through any view
    assert not key.matches(theta[:4])
    view = theta[:4]
    key = TensorKey(view)
    view.mul_(2.0)
    assert not key.matches(view)
    assert not key.matches(theta[:4])
