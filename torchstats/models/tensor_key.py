"""What identifies a tensor's values between two calls, for the values a model keeps.

Newton asks for derivatives at the point whose objective its line search has just
evaluated; the models keep what that evaluation computed (the linear predictor, Probit's
``log Phi``) and reuse it when asked about the same values again. "The same values" is
decided without reading them: the same tensor, or the same view of the same tensor (a slice
``theta[:k]`` taken again is a new object over the same memory), whose version counter,
shared by a tensor and all its views and bumped by any in-place change, has not moved.
"""

from __future__ import annotations

import torch

__all__ = ["TensorKey"]


class TensorKey:
    """The identity of ``tensor``'s values now: its root tensor (itself, or the tensor it
    is a view of), the view's place in it (offset, shape, strides, dtype) and the version
    counter. Two keys are equal when both name the same memory, read the same way, with no
    in-place change in between. The key keeps the root alive, so no other tensor can take
    its memory."""

    __slots__ = ("_root", "_view", "_version")

    def __init__(self, tensor: torch.Tensor) -> None:
        self._root = tensor if tensor._base is None else tensor._base
        self._view = (tensor.storage_offset(), tuple(tensor.shape), tensor.stride(), tensor.dtype)
        self._version = tensor._version

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TensorKey)
            and self._root is other._root
            and self._view == other._view
            and self._version == other._version
        )

    __hash__ = None  # type: ignore[assignment]  # equal keys may stop being equal
