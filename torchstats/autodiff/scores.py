"""Per-observation scores: the ``(n, k)`` Jacobian of per-observation log-likelihoods.

Robust covariances (OPG, sandwich, cluster, HAC) need one gradient per observation, which
``loss.backward()`` cannot give (it sums them). Two exact routes:

- :func:`score_obs` differentiates a function returning all ``n`` per-observation values.
  Forward mode (``torch.func.jacfwd``: ``k`` Jacobian-vector products, vectorised) suits the
  usual ``n >> k``; reverse mode (``jacrev``: ``n`` vector-Jacobian products) suits
  ``k > n``. Both see the whole data at once, so any vectorised likelihood works.
- :func:`per_example_scores` is the ``torch.func.vmap(torch.func.grad(...))`` recipe for a
  log-likelihood written for *one* observation (as in per-example gradients for
  differential privacy): ``vmap`` maps it over the rows of the data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import torch

from torchstats.autodiff.parameters import flatten_parameters

__all__ = ["score_obs", "per_example_scores"]

Mode = Literal["auto", "forward", "reverse"]


def score_obs(fn: Callable[..., torch.Tensor], params: Any, *, mode: Mode = "auto") -> torch.Tensor:
    """Per-observation gradients of ``fn``, which returns one value per observation.

    Parameters
    ----------
    fn : callable
        Returns a tensor of ``n`` per-observation values (any shape; flattened). Called as
        for :func:`~torchstats.autodiff.hessian.hessian`: ``fn(t)``, ``fn(*params)``,
        ``fn(**params)`` or ``fn()`` for a module.
    params : Tensor, sequence or mapping of tensors, or nn.Module
        Where to evaluate the scores (a module: its trainable parameters).
    mode : {"auto", "forward", "reverse"}
        ``jacfwd`` (``k`` forward passes), ``jacrev`` (``n`` backward passes), or forward
        falling back to reverse where an operation has no forward-mode derivative.

    Returns
    -------
    Tensor, shape (n, k)
        Row ``i`` is ``d fn_i / d theta`` in the flattened parameter order.

    Raises
    ------
    ValueError
        ``fn`` returns a single value (a sum has no per-observation scores).
    """
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"unknown mode {mode!r}; choose 'auto', 'forward' or 'reverse'")
    flat = flatten_parameters(params)

    def values(theta: torch.Tensor) -> torch.Tensor:
        return flat.call(fn, theta).reshape(-1)

    with torch.no_grad():
        n = values(flat.vector).numel()
    if n <= 1:
        raise ValueError(
            "per-observation scores need per-observation values: make the function return "
            "one value per observation (e.g. reduction='none') instead of their sum"
        )
    with torch.enable_grad():
        if mode == "reverse":
            return torch.func.jacrev(values)(flat.vector).detach()
        try:
            return torch.func.jacfwd(values)(flat.vector).detach()
        except (RuntimeError, NotImplementedError):
            if mode == "forward":
                raise
            return torch.func.jacrev(values)(flat.vector).detach()


def per_example_scores(
    fn: Callable[..., torch.Tensor],
    params: Any,
    *data: torch.Tensor,
    chunk_size: int | None = None,
) -> torch.Tensor:
    """Gradients of a one-observation log-likelihood, vectorised over the rows of ``data``.

    Parameters
    ----------
    fn : callable
        ``fn(theta_parts..., *rows)`` returns the scalar log-likelihood of one observation:
        called as ``fn(t, *rows)`` for a tensor ``params``, ``fn(*params, *rows)`` for a
        sequence and ``fn(*rows, **params)`` for a mapping; ``rows`` are one row of each
        data tensor.
    params : Tensor, sequence or mapping of tensors
        Where to evaluate the scores.
    *data : Tensor, shape (n, ...)
        The observations, mapped over their first dimension.
    chunk_size : int, optional
        Rows per vectorised batch (``torch.func.vmap``'s ``chunk_size``), to bound memory.

    Returns
    -------
    Tensor, shape (n, k)

    Notes
    -----
    ``torch.func.vmap(torch.func.grad(fn), in_dims=(None, 0, ...))``: one reverse pass per
    observation, batched. Modules need no special case: write ``fn`` with
    ``torch.func.functional_call(module, params, (x,))`` and pass
    ``dict(module.named_parameters())``.
    """
    if not data:
        raise ValueError("per_example_scores needs the data to map over (*data)")
    if isinstance(params, torch.nn.Module):
        raise TypeError(
            "pass dict(module.named_parameters()) and call the module through "
            "torch.func.functional_call inside fn"
        )
    flat = flatten_parameters(params)
    n = data[0].shape[0]
    if any(d.shape[0] != n for d in data):
        raise ValueError(f"data tensors differ in length: {[d.shape[0] for d in data]}")

    def one(theta: torch.Tensor, *rows: torch.Tensor) -> torch.Tensor:
        value = flat.call(lambda *parts, **named: fn(*parts, *rows, **named), theta)
        if value.numel() != 1:
            raise ValueError(
                f"fn must return one observation's scalar log-likelihood, got shape "
                f"{tuple(value.shape)}"
            )
        return value.reshape(())

    in_dims = (None,) + (0,) * len(data)
    with torch.enable_grad():
        scores = torch.func.vmap(torch.func.grad(one), in_dims=in_dims, chunk_size=chunk_size)(
            flat.vector, *data
        )
    return scores.detach()
