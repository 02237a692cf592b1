"""Combining statistics across processes: a no-op alone, ``torch.distributed`` together.

Every streamed statistic is a sum (``X'X``, ``X'y``, ``n``, meats, cluster sums), so a
distributed fit is the single-process fit with one all-reduce per pass: each process reads
its own shard, the sums are added up, and every process solves the same small system.
Works with any initialised process group: NCCL on GPUs, gloo on CPUs.

    torchrun --nproc-per-node 4 fit.py     # each rank: ts.streaming_ols(..., distributed=True)
"""

from __future__ import annotations

from typing import Any, Protocol

import torch

__all__ = ["Reducer", "LocalReducer", "DistributedReducer", "make_reducer"]


class Reducer(Protocol):
    """How statistics from the processes of one fit are combined."""

    rank: int
    world_size: int

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Elementwise sum over processes."""
        ...

    def union(self, values: list[Any]) -> list[Any]:
        """Labels seen by any process, in order of first appearance (rank by rank)."""
        ...


class LocalReducer:
    """A single process: nothing to combine."""

    rank = 0
    world_size = 1

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor

    def union(self, values: list[Any]) -> list[Any]:
        return list(values)


class DistributedReducer:
    """All-reduce over a ``torch.distributed`` process group.

    Parameters
    ----------
    group : ProcessGroup, optional
        Default: the world group.
    """

    def __init__(self, group: Any = None) -> None:
        import torch.distributed as dist

        if not dist.is_available() or not dist.is_initialized():
            raise RuntimeError(
                "distributed=True needs an initialised torch.distributed process group "
                "(e.g. torch.distributed.init_process_group('gloo') under torchrun)"
            )
        self._dist = dist
        self._group = group
        self.rank = dist.get_rank(group)
        self.world_size = dist.get_world_size(group)
        backend = dist.get_backend(group)
        self._device = (
            torch.device("cuda", torch.cuda.current_device()) if backend == "nccl" else None
        )

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        buffer = tensor.detach().clone()
        if self._device is not None:
            buffer = buffer.to(self._device)
        elif buffer.device.type != "cpu":
            buffer = buffer.cpu()
        self._dist.all_reduce(buffer, op=self._dist.ReduceOp.SUM, group=self._group)
        return buffer.to(tensor.device)

    def union(self, values: list[Any]) -> list[Any]:
        gathered: list[Any] = [None] * self.world_size
        self._dist.all_gather_object(gathered, list(values), group=self._group)
        merged: dict[Any, None] = {}
        for part in gathered:
            merged.update(dict.fromkeys(part))
        return list(merged)


def make_reducer(distributed: bool | Any) -> Reducer:
    """``LocalReducer`` for False, the world group for True, or the given process group."""
    if distributed is False or distributed is None:
        return LocalReducer()
    return DistributedReducer(None if distributed is True else distributed)
