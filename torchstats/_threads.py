"""How many threads a fit uses: torchstats' thread policy.

torch runs its CPU kernels on an OpenMP pool of ``torch.get_num_threads()`` threads (by
default one per core). Two costs make that count wrong for many fits:

- **Waking the pool.** A fit is hundreds of kernels, most of them small; handing each to a
  pool of threads costs more than the work up to tens of millions of numbers (an OLS fit of
  1e5 x 20 took 63 ms on two threads and 11 ms on one, on an idle two-core machine).
- **Oversubscription.** A parallel region ends when its slowest thread does. When another
  process keeps a core busy, the pool's thread on that core waits for a time slice, and
  every region waits with it: a Logit fit of 1e5 x 20 rows took 2.0 s on two threads and
  0.43 s on one with the machine loaded.

So each fit runs under :func:`fit_threads`: one thread for a small design (fewer than
:data:`SMALL_DESIGN` numbers), and for a large one as many threads as there are idle
cores (the cores this process may use, less the load other processes put on them: the
1-minute load average or the threads runnable now, whichever is larger), never more than
``torch.get_num_threads()``. The count is restored when the fit
ends. Building a model and what its results compute later (residuals, summaries,
influence, predictions) run under the same policy: the models' constructors and the
results' public members are wrapped by :class:`ThreadScoped` (under load, a Poisson GLM's
``resid_pearson`` at 1e4 x 20 took 43 ms on torch's two threads and 8 ms on one, a Logit's
constructor 7.4 ms against 0.37 ms). Scopes do not nest: the outermost one decides.
Setting ``torch.set_num_threads(n)`` therefore still caps every fit at ``n``, and
``TORCHSTATS_THREADS=auto|max`` (``max``: always ``torch.get_num_threads()``) selects the
policy; see ``docs/performance.md``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property, wraps
from types import FunctionType
from typing import Any, TypeVar

import torch

__all__ = [
    "SMALL_DESIGN",
    "ThreadScoped",
    "fit_threads",
    "input_numbers",
    "threads_for",
    "wrap_public_members",
]

SMALL_DESIGN = 1 << 25
"""Designs with fewer numbers (rows x columns) than this fit on one thread. Measured on two
idle cores, fit + bse, one thread against two: OLS 1e5 x 20 11 ms vs 63 ms, 1e6 x 50
408 ms vs 362 ms; Logit 1e5 x 20 90 ms vs 175 ms, 1e6 x 50 2.57 s vs 2.37 s. A second
thread pays only from about 3e7 numbers on."""


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _running_threads() -> int | None:
    """Threads runnable right now, this one included (Linux's ``/proc/loadavg``), or None."""
    try:
        with open("/proc/loadavg") as file:
            return int(file.read().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):  # pragma: no cover - not Linux
        return None


def _idle_cores(cores: int) -> float:
    """Cores not busy with other processes: ``cores`` less the other processes' load, the
    larger of the 1-minute load average and the threads runnable right now, each less this
    process's own thread (the average lags a minute behind a process that just started)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - no load average (Windows)
        return float(cores)
    running = _running_threads()
    others = max(load - 1.0, 0.0 if running is None else running - 1.0, 0.0)
    return cores - others


def threads_for(numbers: int) -> int:
    """The threads a fit of a design with ``numbers`` entries runs on (see the module)."""
    cap = torch.get_num_threads()
    if os.environ.get("TORCHSTATS_THREADS", "auto").lower() == "max":
        return cap
    if numbers < SMALL_DESIGN or cap == 1:
        return 1
    idle = int(_idle_cores(min(cap, _usable_cores())) + 0.5)
    return max(1, min(cap, idle))


_scope = threading.local()


@contextmanager
def fit_threads(numbers: int) -> Iterator[int]:
    """Run the body on :func:`threads_for` ``(numbers)`` torch threads, then restore.

    Inside another scope (a fit inside a results method, a model built by another) the
    body keeps the outer scope's count.
    """
    if getattr(_scope, "active", False):
        yield torch.get_num_threads()
        return
    before = torch.get_num_threads()
    wanted = threads_for(numbers)
    _scope.active = True
    try:
        if wanted != before:
            torch.set_num_threads(wanted)
        yield wanted
    finally:
        _scope.active = False
        if wanted != before:
            torch.set_num_threads(before)


def input_numbers(*values: object) -> int:
    """The numbers held by the arrays among ``values`` (anything with a ``shape``: numpy,
    torch, pandas), to size a model's construction before its design exists."""
    total = 0
    for value in values:
        shape = getattr(value, "shape", None)
        if isinstance(shape, tuple | torch.Size):
            count = 1
            for size in shape:
                count *= int(size)
            total += count
    return total


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _scoped(method: _Method) -> _Method:
    @wraps(method)
    def run(self: ThreadScoped, *args: Any, **kwargs: Any) -> Any:
        if getattr(_scope, "active", False):
            return method(self, *args, **kwargs)
        with fit_threads(self._thread_numbers()):
            return method(self, *args, **kwargs)

    return run  # type: ignore[return-value]


class ThreadScoped:
    """A mixin: the public methods, properties and cached properties that each subclass
    defines run under :func:`fit_threads` of :meth:`_thread_numbers` (names starting with
    an underscore are left alone: they run inside a public member's scope)."""

    def _thread_numbers(self) -> int:
        """The numbers of the data this object computes with (rows x columns)."""
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        wrap_public_members(cls, _scoped, methods=True)


def wrap_public_members(
    cls: type, wrap: Callable[[Callable[..., Any]], Callable[..., Any]], *, methods: bool
) -> None:
    """Replace, on ``cls`` itself, the getter of each public property and cached property
    (and each public method, with ``methods``) by ``wrap(getter)``; names starting with an
    underscore are left alone. For mixins that act in ``__init_subclass__``."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(member, cached_property):
            member.func = wrap(member.func)
        elif isinstance(member, property) and member.fget is not None:
            setattr(
                cls, name, property(wrap(member.fget), member.fset, member.fdel, member.__doc__)
            )
        elif methods and isinstance(member, FunctionType):  # not classes, static/class methods
            setattr(cls, name, wrap(member))
