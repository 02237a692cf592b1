"""The Hessian of any scalar torch function, as one clean matrix.

``torch.autograd.functional.hessian`` returns nested tuples for several inputs, and the
hand-written loop people reach for — ``grad(loss, params)`` then ``grad`` of each entry —
silently returns zeros (or fails) unless the first call has ``create_graph=True``; with an
``nn.Module`` there is no input to differentiate at all. :func:`hessian` takes the
parameters as a tensor, a tuple/list, a dict or a module, flattens them into one vector
``theta`` (see :mod:`.parameters`) and returns the ``(k, k)`` matrix of
``d^2 fn / d theta d theta'``, labelled on request.

The default computation is ``torch.func.hessian`` (forward-over-reverse, vectorised over
the ``k`` directions). Functions that ``torch.func`` cannot transform (in-place buffer
updates, some custom autograd functions) fall back to the double-backward loop with
``create_graph=True``, one backward pass per row.

Both would return zeros, not an error, for a function autograd cannot differentiate twice:
one whose value was detached from the parameters (``.detach()``, ``.item()``, numpy,
``torch.no_grad()``), or one that passes through an ``autograd.Function`` whose backward
is marked ``@once_differentiable``. Before differentiating, the function is evaluated once
with autograd recording and its graph is inspected; either case raises
:class:`~torchstats.errors.AutogradError`. A parameter the function genuinely does
not use still gets zero rows and columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pandas as pd
import torch
from torch.autograd.function import once_differentiable

from torchstats.autodiff.parameters import FlatParameters, flatten_parameters
from torchstats.errors import AutogradError

__all__ = ["hessian", "hvp", "hessian_diag", "gradient"]

Method = Literal["auto", "func", "loop"]

# ``once_differentiable`` wraps every backward in the same inner function, so a Function's
# backward carries that code object exactly when it was decorated.
_ONCE_DIFFERENTIABLE_CODE = once_differentiable(lambda ctx: None).__code__


def _scalar_objective(fn: Callable[..., torch.Tensor], flat: FlatParameters) -> Callable:
    def objective(theta: torch.Tensor) -> torch.Tensor:
        value = flat.call(fn, theta)
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"fn must return a torch tensor, got {type(value).__name__}")
        if value.numel() != 1:
            raise ValueError(
                f"fn must return a scalar (one element), got shape {tuple(value.shape)}; "
                "sum per-observation values first"
            )
        return value.reshape(())

    return objective


def _recorded_value(
    objective: Callable[[torch.Tensor], torch.Tensor],
    theta: torch.Tensor,
    *,
    order: int,
    captured: frozenset[int] = frozenset(),
) -> tuple[torch.Tensor, torch.Tensor]:
    """``objective`` at a fresh leaf ``x`` with autograd recording, its graph checked.

    Returns ``(x, value)``. Raises :class:`AutogradError` when the value has no
    graph back to ``x`` (the derivatives would be zeros), or, for ``order=2``, when the
    graph holds a ``@once_differentiable`` Function (the second derivatives would be).
    """
    x = theta.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        value = objective(x)
    reaches, once, through_captured = _inspect_graph(value, x, captured)
    if through_captured:
        raise AutogradError(
            "fn reaches the module's parameters other than through the module (a reference "
            "taken before the call, e.g. a penalty over list(net.parameters()) built "
            "outside fn): those terms would be left out of every derivative. Read the "
            "parameters from the module inside fn (net.parameters(), net.layer.weight)."
        )
    if not reaches:
        raise AutogradError(
            "fn's value does not depend on the parameters through autograd (it has "
            f"{'no graph' if value.grad_fn is None else 'a graph that never reaches them'}"
            "), so every derivative would come out as zero: it was detached (.detach(), "
            ".item(), .numpy(), a copy of the parameters) or computed under "
            "torch.no_grad(). Build the loss from the parameters passed in, with "
            "differentiable torch operations."
        )
    if order == 2 and once:
        names = ", ".join(sorted(once))
        raise AutogradError(
            f"fn goes through the autograd.Function {names}, whose backward is marked "
            "@once_differentiable: autograd cannot differentiate it twice, so its second "
            "derivatives would come out as zero. Write its backward with differentiable "
            "torch operations and drop @once_differentiable, or differentiate "
            "ts.gradient numerically."
        )
    return x, value


def _inspect_graph(
    value: torch.Tensor, x: torch.Tensor, captured: frozenset[int] = frozenset()
) -> tuple[bool, set[str], bool]:
    """Whether the graph of ``value`` reaches the leaf ``x``, the names of the
    ``@once_differentiable`` Functions in it, and whether it reaches a leaf whose ``id`` is
    in ``captured`` (a module parameter read other than through the module)."""
    reaches, once, through_captured = False, set[str](), False
    seen: set[int] = set()
    stack = [value.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        leaf = getattr(node, "variable", None)  # an AccumulateGrad's tensor
        if leaf is x:
            reaches = True
        elif leaf is not None and id(leaf) in captured:
            through_captured = True
        forward_cls = getattr(node, "_forward_cls", None)  # a custom Function's backward
        backward = getattr(forward_cls, "backward", None)
        if getattr(backward, "__code__", None) is _ONCE_DIFFERENTIABLE_CODE:
            once.add(getattr(forward_cls, "__name__", "?"))
        stack.extend(next_node for next_node, _ in node.next_functions)
    return reaches, once, through_captured


def hessian(
    fn: Callable[..., torch.Tensor],
    params: Any,
    *,
    labels: bool = False,
    method: Method = "auto",
) -> torch.Tensor | pd.DataFrame:
    """Hessian of a scalar function with respect to all its parameters, flattened.

    Parameters
    ----------
    fn : callable
        Returns a scalar tensor. Called as ``fn(t)`` for a tensor, ``fn(*params)`` for a
        tuple/list, ``fn(**params)`` for a dict, and ``fn()`` for an ``nn.Module`` (a
        closure that uses the module; only parameters with ``requires_grad=True`` count).
    params : Tensor, sequence of tensors, mapping of str to tensor, or nn.Module
        Where to evaluate the Hessian.
    labels : bool
        Return a ``pandas.DataFrame`` labelled with parameter names (``mu``, ``beta[1]``,
        ``0.weight[1,2]``) instead of a tensor.
    method : {"auto", "func", "loop"}
        ``torch.func.hessian``; the double-backward loop; or the first, falling back to the
        second if ``torch.func`` cannot transform ``fn``.

    Returns
    -------
    Tensor, shape (k, k), or DataFrame

    Raises
    ------
    ValueError, TypeError
        ``fn`` not scalar, parameters not floating point, no parameters.
    AutogradError
        ``fn``'s value has no autograd graph back to the parameters (detached), or goes
        through a ``@once_differentiable`` Function: the Hessian would be all zeros.

    Notes
    -----
    Parameters that do not influence ``fn`` get zero rows and columns. A module's parameters
    and their ``requires_grad`` flags are left exactly as they were. ``fn`` is evaluated
    once more than the differentiation needs, to check its graph (the loop reuses it).
    """
    flat = flatten_parameters(params)
    objective = _scalar_objective(fn, flat)
    if method not in ("auto", "func", "loop"):
        raise ValueError(f"unknown method {method!r}; choose 'auto', 'func' or 'loop'")
    x, value = _recorded_value(objective, flat.vector, order=2, captured=flat.module_parameter_ids)
    matrix: torch.Tensor
    if method == "loop":
        matrix = _hessian_loop(x, value)
    else:
        try:
            matrix = torch.func.hessian(objective)(flat.vector)
        except (RuntimeError, NotImplementedError):
            if method == "func":
                raise
            matrix = _hessian_loop(x, value)
    matrix = matrix.detach()
    if labels:
        names = flat.names
        return pd.DataFrame(matrix.cpu().numpy(), index=names, columns=names)
    return matrix


def _hessian_loop(x: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """Row by row: the gradient of ``value`` (recorded at the leaf ``x``) with
    ``create_graph=True``, then a backward pass per entry."""
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(value, x, create_graph=True)
        rows = []
        for i in range(x.shape[0]):
            if grad[i].requires_grad:
                (row,) = torch.autograd.grad(grad[i], x, retain_graph=True, allow_unused=True)
            else:
                row = None
            rows.append(torch.zeros_like(x) if row is None else row)
    return torch.stack(rows)


def gradient(fn: Callable[..., torch.Tensor], params: Any) -> torch.Tensor:
    """Gradient of a scalar function with respect to the flattened parameters.

    Parameters
    ----------
    fn, params
        As for :func:`hessian`.

    Returns
    -------
    Tensor, shape (k,)

    Raises
    ------
    AutogradError
        ``fn``'s value has no autograd graph back to the parameters (detached).
    """
    flat = flatten_parameters(params)
    x, value = _recorded_value(
        _scalar_objective(fn, flat), flat.vector, order=1, captured=flat.module_parameter_ids
    )
    (grad,) = torch.autograd.grad(value, x)
    return grad.detach()


def hvp(fn: Callable[..., torch.Tensor], params: Any, v: torch.Tensor) -> torch.Tensor:
    """Hessian-vector product ``H v`` without forming ``H`` (forward-over-reverse).

    Parameters
    ----------
    fn, params
        As for :func:`hessian`.
    v : Tensor, shape (k,)
        A direction in the flattened parameter space (the order of :func:`hessian`'s rows).

    Returns
    -------
    Tensor, shape (k,)

    Raises
    ------
    AutogradError
        As for :func:`hessian`.
    """
    flat = flatten_parameters(params)
    v = torch.as_tensor(v, dtype=flat.vector.dtype, device=flat.vector.device).reshape(-1)
    if v.shape[0] != flat.vector.shape[0]:
        raise ValueError(
            f"v has {v.shape[0]} entries but there are {flat.vector.shape[0]} parameters"
        )
    objective = _scalar_objective(fn, flat)
    _recorded_value(objective, flat.vector, order=2, captured=flat.module_parameter_ids)
    product = torch.func.jvp(torch.func.grad(objective), (flat.vector,), (v,))[1]
    return product.detach()


def hessian_diag(
    fn: Callable[..., torch.Tensor], params: Any, *, chunk_size: int = 256
) -> torch.Tensor:
    """The exact diagonal of the Hessian, ``chunk_size`` Hessian-vector products at a time.

    Parameters
    ----------
    fn, params
        As for :func:`hessian`.
    chunk_size : int
        Unit directions pushed through one vectorised forward-over-reverse pass.

    Returns
    -------
    Tensor, shape (k,)

    Raises
    ------
    AutogradError
        As for :func:`hessian`.

    Notes
    -----
    Memory stays at ``chunk_size`` gradients (``chunk_size x k`` numbers) rather than the
    ``k x k`` matrix; the cost is that of ``k`` Hessian-vector products, as for any exact
    diagonal. Stochastic estimators (Hutchinson) are cheaper but inexact.
    """
    flat = flatten_parameters(params)
    objective = _scalar_objective(fn, flat)
    theta = flat.vector
    k = theta.shape[0]

    def row(direction: torch.Tensor) -> torch.Tensor:
        return torch.func.jvp(torch.func.grad(objective), (theta,), (direction,))[1]

    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size}")
    _recorded_value(objective, theta, order=2, captured=flat.module_parameter_ids)
    diagonal = torch.empty(k, dtype=theta.dtype, device=theta.device)
    for start in range(0, k, chunk_size):
        stop = min(start + chunk_size, k)
        rows = torch.arange(stop - start, device=theta.device)
        directions = torch.zeros(stop - start, k, dtype=theta.dtype, device=theta.device)
        directions[rows, rows + start] = 1.0  # unit vectors e_start .. e_(stop-1)
        products = torch.func.vmap(row)(directions)
        diagonal[start:stop] = products[rows, rows + start]
    return diagonal.detach()
