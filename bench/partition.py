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
         generator_processes: int = 1) -> Partition | None:
    """How to split `cpus` (the ones this process may use): a core per locust process, at most one in
    GENERATOR_SHARE, the last ones; None where the cores cannot be split (see the module's docstring)."""
    chosen = sorted(cpus)
    if len(chosen) < MIN_CORES or share < 1 or (quota is not None and quota < len(chosen)):
        return None
    keep = min(max(1, generator_processes), len(chosen) // GENERATOR_SHARE)
    return Partition(server=tuple(chosen[:-keep]), generator=tuple(chosen[-keep:]))


def current(share: float = 1.0, generator_processes: int = 1) -> Partition | None:
    """The partition for this machine and process (None: the generator shares the server's cores)."""
    if os.environ.get(SWITCH, "1") == "0" or not hasattr(os, "sched_getaffinity"):
        return None
    return plan(sorted(os.sched_getaffinity(0)), cpu_limit(), share, generator_processes)


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
