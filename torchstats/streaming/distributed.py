"""Combining statistics across processes: a no-op alone, ``torch.distributed`` together.

Every streamed statistic is a sum (``X'X``, ``X'y``, ``n``, meats, cluster sums), so a
distributed fit is the single-process fit with one all-reduce per pass: each process reads
its own shard, the sums are added up, and every process solves the same small system.
Works with any initialised process group: NCCL on GPUs, gloo on CPUs.

    torchrun --nproc-per-node 4 fit.py     # each rank: ts.streaming_ols(..., distributed=True)

A distributed fit fails fast. Collectives block until every process joins them, so a process
that raises (a bad chunk, a full disk) while the others wait in an all-reduce would leave
them blocked until the process group's timeout (30 minutes for gloo). Every step that talks
to the other processes is therefore run under :meth:`DistributedReducer.guard`: each
collective starts with a one-number all-reduce saying whether a process failed, and a
process that raises inside a guard sends its error (pickled, or its text) to the others
instead of leaving. Every process then stops with the original error (the others with a note
naming the rank it came from). A process that dies without reporting (killed, crashed)
closes its connections; the others stop with a :class:`~torchstats.errors.DistributedError`
saying so instead of the backend's "Connection closed by peer".
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol

import torch

from torchstats.errors import DistributedError

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

    def guard(self) -> AbstractContextManager[None]:
        """Run a step that calls :meth:`sum` or :meth:`union` so that an error in any
        process stops every process with it (see the module docstring)."""
        ...


class LocalReducer:
    """A single process: nothing to combine."""

    rank = 0
    world_size = 1

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor

    def union(self, values: list[Any]) -> list[Any]:
        return list(values)

    def guard(self) -> AbstractContextManager[None]:
        return nullcontext()


class DistributedReducer:
    """All-reduce over a ``torch.distributed`` process group, failing fast.

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
        self._depth = 0

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        self._exchange(None)
        buffer = tensor.detach().clone()
        if self._device is not None:
            buffer = buffer.to(self._device)
        elif buffer.device.type != "cpu":
            buffer = buffer.cpu()
        with self._collective():
            self._dist.all_reduce(buffer, op=self._dist.ReduceOp.SUM, group=self._group)
        return buffer.to(tensor.device)

    def union(self, values: list[Any]) -> list[Any]:
        self._exchange(None)
        gathered = self._gather(list(values))
        merged: dict[Any, None] = {}
        for part in gathered:
            merged.update(dict.fromkeys(part))
        return list(merged)

    @contextmanager
    def guard(self) -> Iterator[None]:
        """An error inside is sent to every process, which all raise it; the outermost
        guard ends with a check that no process failed."""
        self._depth += 1
        try:
            yield
        except Exception as error:
            if not _already_shared(error):
                self._exchange(error)
            raise
        else:
            if self._depth == 1:
                self._exchange(None)
        finally:
            self._depth -= 1

    def _exchange(self, error: Exception | None) -> None:
        """Tell the other processes whether this one failed; raise if any did.

        Every process calls this at the same points (the start of each collective, the end
        of the outermost guard, or when it fails), so one all-reduce of a flag pairs them.
        """
        flag = torch.tensor([0.0 if error is None else 1.0], dtype=torch.float64)
        if self._device is not None:
            flag = flag.to(self._device)
        with self._collective():
            self._dist.all_reduce(flag, op=self._dist.ReduceOp.SUM, group=self._group)
        if float(flag[0]) == 0:
            return
        reports = self._gather(None if error is None else _report(error))
        source, report = next((r, p) for r, p in enumerate(reports) if p is not None)
        if error is not None:
            _mark_shared(error)
            return  # the caller re-raises its own error
        remote = _restore(report, source, self.world_size)
        _mark_shared(remote)
        raise remote

    def _gather(self, value: Any) -> list[Any]:
        gathered: list[Any] = [None] * self.world_size
        with self._collective():
            self._dist.all_gather_object(gathered, value, group=self._group)
        return gathered

    @contextmanager
    def _collective(self) -> Iterator[None]:
        """A backend error in a collective means a process left without reporting."""
        try:
            yield
        except RuntimeError as error:
            raise DistributedError(
                f"rank {self.rank} of {self.world_size}: another process of the distributed "
                "fit stopped without reporting an error (killed, crashed or out of memory?), "
                f"so this one stops too; its own log has the cause. Backend: {error}"
            ) from error


def _report(error: Exception) -> bytes | str:
    """The error pickled, or its text if it cannot be pickled."""
    try:
        payload = pickle.dumps(error)
        pickle.loads(payload)
    except Exception:
        return f"{type(error).__name__}: {error}"
    return payload


def _restore(report: bytes | str, source: int, world_size: int) -> Exception:
    """The error of process ``source`` as this process raises it."""
    where = f"raised by rank {source} of {world_size} of the distributed fit"
    if isinstance(report, str):
        return DistributedError(f"{where}: {report}")
    error = pickle.loads(report)
    error.add_note(f"({where}; every rank stops with it)")
    return error


def _mark_shared(error: Exception) -> None:
    try:
        error.__dict__["_torchstats_shared"] = True
    except (AttributeError, TypeError):  # pragma: no cover - exceptions without a __dict__
        pass


def _already_shared(error: Exception) -> bool:
    return isinstance(error, DistributedError) or bool(
        getattr(error, "__dict__", {}).get("_torchstats_shared", False)
    )


def make_reducer(distributed: bool | Any) -> Reducer:
    """``LocalReducer`` for False, the world group for True, or the given process group."""
    if distributed is False or distributed is None:
        return LocalReducer()
    return DistributedReducer(None if distributed is True else distributed)
