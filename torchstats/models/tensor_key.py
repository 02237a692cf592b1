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
    """``tensor``'s values now: the tensor and its version counter. It keeps the tensor
    (and so its memory, which no other tensor can then take)."""

    __slots__ = ("_tensor", "_version")

    def __init__(self, tensor: torch.Tensor) -> None:
        self._tensor = tensor
        self._version = tensor._version

    def matches(self, tensor: torch.Tensor) -> bool:
        """Whether ``tensor`` holds these values: it is the kept tensor, or the same view
        (offset, shape, strides, dtype) of the same root tensor, and no in-place change
        happened since (the version counter, which views share with their root)."""
        kept = self._tensor
        if tensor is kept:
            return tensor._version == self._version
        root = kept if kept._base is None else kept._base
        return (
            (tensor if tensor._base is None else tensor._base) is root
            and tensor._version == self._version
            and tensor.storage_offset() == kept.storage_offset()
            and tensor.shape == kept.shape
            and tensor.stride() == kept.stride()
            and tensor.dtype == kept.dtype
        )
