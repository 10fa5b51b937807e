"""Cores kept apart for the load generator, where the machine has cores to spare.

On a machine with few cores, locust and the server share them, and the bench measures how much CPU the
generator took from the server (`load.generator_share`, the "interfered" flag). With cores to spare there is
a better answer than a measured guess: while a load runs, locust is pinned to cores of its own and the server's
processes to the others, so neither can take the other's CPU. Notebooks plan worker counts from the server's
side (`machine.Facts.server_cores`).

Partitioning needs whole cores: not under a CPU quota smaller than the cores (a quota is shared, whatever the
pinning), nor in `portability.sh half` (each core is half a core), nor below MIN_CORES (one core for the
generator would be half of a 2-core machine's server). BENCH_PARTITION=0 turns it off.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from sample_app.limits import cpu_limit

MIN_CORES = 4  # below this the server would lose too large a share to the generator's core
GENERATOR_SHARE = 4  # at most one core in this many goes to the generator
SWITCH = "BENCH_PARTITION"


@dataclass(frozen=True)
class Partition:
    server: tuple[int, ...]  # CPU numbers the server's processes run on
    generator: tuple[int, ...]  # CPU numbers locust runs on


def plan(cpus: Sequence[int], quota: float | None = None, share: float = 1.0,
         generator_processes: int = 1, cores: Sequence[Sequence[int]] | None = None) -> Partition | None:
    """How to split `cpus` (the ones this process may use): a whole physical core per locust process, at most one
    core in GENERATOR_SHARE, the last ones; None where the cores cannot be split (see the module's docstring).
    `cores` groups the logical CPUs into physical cores (SMT siblings together, `physical_cores()`): a generator
    on one hyper-thread of a core the server uses would still take the server's CPU. None: one CPU per core."""
    chosen = sorted(cpus)
    whole = _group(chosen, cores)
    if len(whole) < MIN_CORES or share < 1 or (quota is not None and quota < len(chosen)):
        return None
    keep = min(max(1, generator_processes), len(whole) // GENERATOR_SHARE)
    server = sorted(cpu for core in whole[:-keep] for cpu in core)
    generator = sorted(cpu for core in whole[-keep:] for cpu in core)
    return Partition(server=tuple(server), generator=tuple(generator))


def _group(cpus: Sequence[int], cores: Sequence[Sequence[int]] | None) -> list[tuple[int, ...]]:
    """`cpus` grouped by physical core (in the order of each core's first CPU); a CPU in no group is a core alone."""
    if not cores:
        return [(cpu,) for cpu in cpus]
    wanted, groups, placed = set(cpus), [], set()
    for core in cores:
        mine = tuple(sorted(set(core) & wanted))
        if mine:
            groups.append(mine)
            placed.update(mine)
    groups += [(cpu,) for cpu in cpus if cpu not in placed]
    return sorted(groups)


def physical_cores(root: Path = Path("/sys/devices/system/cpu")) -> list[tuple[int, ...]] | None:
    """The logical CPUs of each physical core (Linux's `thread_siblings_list`), or None where it cannot be read."""
    found = set()
    for path in sorted(root.glob("cpu[0-9]*/topology/thread_siblings_list")):
        try:
            found.add(tuple(_cpu_list(path.read_text())))
        except (OSError, ValueError):
            return None
    return sorted(found) or None


def _cpu_list(text: str) -> list[int]:
    """"0-1,4" -> [0, 1, 4] (the kernel's CPU list format)."""
    cpus: list[int] = []
    for part in text.strip().split(","):
        first, _, last = part.partition("-")
        cpus += range(int(first), int(last or first) + 1)
    return cpus


def current(share: float = 1.0, generator_processes: int = 1) -> Partition | None:
    """The partition for this machine and process (None: the generator shares the server's cores)."""
    if os.environ.get(SWITCH, "1") == "0" or not hasattr(os, "sched_getaffinity"):
        return None
    return plan(sorted(os.sched_getaffinity(0)), cpu_limit(), share, generator_processes, physical_cores())


def _pin(processes: list[psutil.Process], cpus: Sequence[int]) -> bool:
    """Pin each of `processes` to `cpus`; False if any could not be (gone processes are skipped)."""
    pinned = True
    for proc in processes:
        try:
            proc.cpu_affinity(list(cpus))
        except psutil.NoSuchProcess:
            continue
        except psutil.Error:
            pinned = False
    return pinned


def apart(split: Partition | None, generator_pid: int,
          server_processes: Callable[[], list[psutil.Process]] | None) -> Callable[[], None] | None:
    """Pin the generator (pid, and the processes it forks later) and the server's processes to their sides of
    `split`. Returns the function that gives the server back every core, or None when they could not both be
    pinned (no split, a server whose processes are not ours to pin, such as a container), in which case nothing
    stays pinned."""
    if split is None or server_processes is None:
        return None
    generator = [psutil.Process(generator_pid)]
    server = server_processes()
    if not server or not _pin(generator, split.generator) or not _pin(server, split.server):
        _pin(generator + server, sorted(split.server + split.generator))  # neither side stays pinned
        return None
    return lambda: _pin(server_processes(), sorted(split.server + split.generator))
