"""Parameters of every shape as one flat vector: tensors, tuples, dicts and nn.Modules.

Differentiation is done with respect to a single vector ``theta`` of length ``k`` (the total
number of scalars). :class:`FlatParameters` maps ``theta`` back to the caller's structure —
positional tensors, keyword tensors, or the trainable parameters of a module, which are
swapped in for the duration of one call and restored afterwards (what
``torch.func.functional_call`` does for a module's forward) — and names every scalar.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

__all__ = ["BoxTransform", "FlatParameters", "flatten_parameters"]


@dataclass(frozen=True)
class FlatParameters:
    """A structure of tensors seen as one vector.

    Attributes
    ----------
    kind : {"tensor", "sequence", "mapping", "module"}
    keys : tuple
        Positions, names or module parameter names, one per tensor.
    shapes : tuple of torch.Size
    vector : Tensor, shape (k,)
        The current values, detached, concatenated in order (float64 if any part is).
    dtypes : tuple of torch.dtype
        Each part's own dtype, restored when ``theta`` is split (a float32 module keeps
        computing in float32).
    module : nn.Module or None
    """

    kind: str
    keys: tuple[Any, ...]
    shapes: tuple[torch.Size, ...]
    vector: torch.Tensor
    dtypes: tuple[torch.dtype, ...]
    module: nn.Module | None = None

    @property
    def module_parameter_ids(self) -> frozenset[int]:
        """The ``id`` of every parameter object of the module (none for other kinds): a
        loss whose graph reaches one of them read it other than through the module."""
        if self.module is None:
            return frozenset()
        return frozenset(id(p) for p in self.module.parameters())

    @property
    def names(self) -> list[str]:
        """One label per scalar: ``mu``, ``beta[2]``, ``0.weight[1,2]``, ``x[3]``."""
        labels: list[str] = []
        for key, shape in zip(self.keys, self.shapes):
            base = f"x{key}" if self.kind == "tensor" else str(key)
            if self.kind == "sequence":
                base = f"arg{key}"
            if len(shape) == 0:
                labels.append(base)
                continue
            for index in itertools.product(*(range(size) for size in shape)):
                labels.append(f"{base}[{','.join(map(str, index))}]")
        return labels

    def split(self, theta: torch.Tensor) -> list[torch.Tensor]:
        """``theta`` cut into tensors of the original shapes."""
        sizes = [int(torch.Size(shape).numel()) for shape in self.shapes]
        return [
            part.reshape(shape).to(dtype)
            for part, shape, dtype in zip(theta.split(sizes), self.shapes, self.dtypes)
        ]

    def call(self, fn: Callable[..., torch.Tensor], theta: torch.Tensor) -> torch.Tensor:
        """``fn`` evaluated with the parameters set to ``theta``."""
        parts = self.split(theta)
        if self.kind == "tensor":
            return fn(parts[0])
        if self.kind == "sequence":
            return fn(*parts)
        if self.kind == "mapping":
            return fn(**dict(zip(self.keys, parts)))
        assert self.module is not None
        with _swapped(self.module, dict(zip(self.keys, parts))):
            return fn()


def flatten_parameters(params: Any) -> FlatParameters:
    """Describe ``params`` (tensor, sequence, mapping or module) as a flat vector.

    Raises
    ------
    TypeError
        Parameters that are not floating-point tensors (or numbers), or a module with no
        trainable parameter.
    ValueError
        No parameters at all.
    """
    if isinstance(params, nn.Module):
        _check_deterministic(params)
        named = [(n, p) for n, p in params.named_parameters() if p.requires_grad]
        if not named:
            raise TypeError("the module has no trainable parameters (all have requires_grad=False)")
        return _flat("module", [n for n, _ in named], [p for _, p in named], module=params)
    if isinstance(params, torch.Tensor):
        return _flat("tensor", [""], [_as_float(params, "params")])
    if isinstance(params, Mapping):
        if not params:
            raise ValueError("params is an empty mapping: there is nothing to differentiate")
        return _flat("mapping", list(params), [_as_float(v, str(k)) for k, v in params.items()])
    if isinstance(params, Sequence) and not isinstance(params, str):
        if not params:
            raise ValueError("params is empty: there is nothing to differentiate")
        return _flat(
            "sequence",
            list(range(len(params))),
            [_as_float(v, f"params[{i}]") for i, v in enumerate(params)],
        )
    raise TypeError(
        f"params must be a tensor, a sequence or mapping of tensors, or an nn.Module, not "
        f"{type(params).__name__}"
    )


_STATEFUL_IN_TRAINING = (
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
    nn.modules.dropout._DropoutNd,
    nn.AlphaDropout,
    nn.FeatureAlphaDropout,
)


def _check_deterministic(module: nn.Module) -> None:
    """Refuse a module whose loss changes with each call: dropout in training mode draws a
    new mask (the derivatives would be those of one random draw) and batch normalisation in
    training mode updates its running statistics (every evaluation would change the
    module).

    Raises
    ------
    ValueError
        Naming the submodules in training mode.
    """
    offending = [
        name or type(sub).__name__
        for name, sub in module.named_modules()
        if sub.training
        and isinstance(sub, _STATEFUL_IN_TRAINING)
        and not (isinstance(sub, nn.modules.dropout._DropoutNd) and sub.p == 0)
        and not (
            isinstance(
                sub, (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm)
            )
            and not sub.track_running_stats
        )
    ]
    if offending:
        raise ValueError(
            f"submodule(s) {', '.join(offending[:5])} are in training mode: dropout would "
            "draw a new random mask at every evaluation and batch normalisation would "
            "update its running statistics, so the derivatives would be those of one "
            "random draw and the module would change. Call module.eval() first"
        )


def _as_float(value: Any, name: str) -> torch.Tensor:
    """A floating-point tensor; plain Python numbers become float64 scalars."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return torch.tensor(float(value), dtype=torch.float64)
    tensor = value if isinstance(value, torch.Tensor) else torch.as_tensor(value)
    if not tensor.is_floating_point():
        raise TypeError(
            f"parameter {name} has dtype {tensor.dtype}; parameters must be floating point "
            "(use e.g. torch.tensor(..., dtype=torch.float64))"
        )
    return tensor


def _flat(
    kind: str, keys: list[Any], tensors: list[torch.Tensor], module: nn.Module | None = None
) -> FlatParameters:
    dtypes = {t.dtype for t in tensors}
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        raise TypeError(f"parameters live on several devices: {sorted(map(str, devices))}")
    dtype = torch.float64 if torch.float64 in dtypes else tensors[0].dtype
    vector = torch.cat([t.detach().reshape(-1).to(dtype) for t in tensors])
    if vector.numel() == 0:
        raise ValueError("params are empty (0 scalars): there is nothing to differentiate")
    return FlatParameters(
        kind=kind,
        keys=tuple(keys),
        shapes=tuple(t.shape for t in tensors),
        vector=vector,
        dtypes=tuple(t.dtype for t in tensors),
        module=module,
    )


class _swapped:
    """Context manager: the module's named parameters replaced by plain tensors."""

    def __init__(self, module: nn.Module, values: dict[str, torch.Tensor]) -> None:
        self._module = module
        self._values = values
        self._saved: list[tuple[nn.Module, str, Any]] = []

    def __enter__(self) -> None:
        # a parameter shared by several submodules (tied weights) is listed once by
        # named_parameters(); every place that holds it gets the new value
        replacement: dict[int, torch.Tensor] = {}
        for name, value in self._values.items():
            owner, attr = _owner(self._module, name)
            original = owner._parameters[attr]
            assert original is not None
            replacement[id(original)] = value
        for owner in self._module.modules():
            for attr, original in owner._parameters.items():
                if original is not None and id(original) in replacement:
                    self._saved.append((owner, attr, original))
                    owner._parameters[attr] = replacement[id(original)]  # type: ignore[assignment]

    def __exit__(self, *exc: Any) -> None:
        for owner, attr, original in reversed(self._saved):
            owner._parameters[attr] = original
        self._saved.clear()


def _owner(module: nn.Module, name: str) -> tuple[nn.Module, str]:
    *path, attr = name.split(".")
    owner = module
    for part in path:
        owner = getattr(owner, part)
    return owner, attr


@dataclass(frozen=True)
class BoxTransform:
    """Box constraints ``lower < theta < upper`` by reparametrisation.

    ``theta = lower + (upper - lower) * sigmoid(u)`` with both bounds, ``lower + exp(u)``
    or ``upper - exp(u)`` with one, and ``theta = u`` with none, so that an unconstrained
    optimiser works on ``u``. Estimates, standard errors and tests are always reported on
    the ``theta`` scale (the information there is the exact Hessian in ``theta``, which is
    what the delta method would give from the ``u`` scale at an interior optimum).

    Attributes
    ----------
    lower, upper : Tensor, shape (k,)
        ``-inf`` / ``inf`` where a side is open.
    """

    lower: torch.Tensor
    upper: torch.Tensor

    def _masks(self) -> tuple[torch.Tensor, ...]:
        lo, hi = self.lower, self.upper
        both = torch.isfinite(lo) & torch.isfinite(hi)
        low_only = torch.isfinite(lo) & ~torch.isfinite(hi)
        high_only = ~torch.isfinite(lo) & torch.isfinite(hi)
        # infinite bounds replaced by 0 so that no branch of torch.where computes inf - inf
        # (NaN gradients would flow back through the unselected branches otherwise)
        lo_safe = torch.where(torch.isfinite(lo), lo, torch.zeros_like(lo))
        hi_safe = torch.where(torch.isfinite(hi), hi, torch.zeros_like(hi))
        return both, low_only, high_only, lo_safe, hi_safe

    def to_user(self, u: torch.Tensor) -> torch.Tensor:
        """Unconstrained ``u`` to ``theta`` strictly within the bounds, shape (k,)."""
        both, low_only, high_only, lo, hi = self._masks()
        # exp only of the entries that use it: exp(u) of an unbounded u above 709.8 is inf,
        # and the unselected branch's gradient 0 * inf would be NaN
        one_sided = low_only | high_only
        growth = torch.exp(torch.where(one_sided, u, torch.zeros_like(u)))
        theta = torch.where(both, lo + (hi - lo) * torch.sigmoid(u), u)
        theta = torch.where(low_only, lo + growth, theta)
        return torch.where(high_only, hi - growth, theta)

    def to_unconstrained(self, theta: torch.Tensor) -> torch.Tensor:
        """``theta`` (strictly inside its bounds) to the unconstrained scale, shape (k,)."""
        both, low_only, high_only, lo, hi = self._masks()
        width = torch.where(both, hi - lo, torch.ones_like(hi))
        fraction = torch.where(both, (theta - lo) / width, torch.full_like(theta, 0.5))
        u = torch.where(both, torch.log(fraction) - torch.log1p(-fraction), theta)
        u = torch.where(low_only, torch.log(torch.where(low_only, theta - lo, 1.0)), u)
        return torch.where(high_only, torch.log(torch.where(high_only, hi - theta, 1.0)), u)

    def outside(self, theta: torch.Tensor) -> torch.Tensor:
        """Mask of the entries not strictly inside their bounds, shape (k,)."""
        return ~((theta > self.lower) & (theta < self.upper))
