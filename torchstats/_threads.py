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
ends. Setting ``torch.set_num_threads(n)`` therefore still caps every fit at ``n``, and
``TORCHSTATS_THREADS=auto|max`` (``max``: always ``torch.get_num_threads()``) selects the
policy; see ``docs/performance.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["SMALL_DESIGN", "fit_threads", "threads_for"]

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


@contextmanager
def fit_threads(numbers: int) -> Iterator[int]:
    """Run the body on :func:`threads_for` ``(numbers)`` torch threads, then restore."""
    before = torch.get_num_threads()
    wanted = threads_for(numbers)
    if wanted == before:
        yield wanted
        return
    torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        torch.set_num_threads(before)
