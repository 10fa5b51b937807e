"""Each experiment's plan (workers, instances, users, generator processes) as a function of the machine's facts.

    plan = bench.plans.matrix(facts)      # notebook 04b: processes per stack, locust processes
    plan = bench.plans.scaling(facts)     # notebook 07: how many workers and instances, and for how many users

The notebooks call these instead of working a plan out in a cell, so that `tests/test_plans.py` can check every
plan on machines this course has never run on: 1 to 64 cores, with and without SMT. Three rules hold for each:

- the load it plans stays within what one locust process can send and still measure the server (a stack that serves
  more than the generator can send measures locust, not the stack);
- the users grow with what they must keep busy (16 users cannot keep 30 instances busy);
- the number of processes it starts stays within the quick-mode time budget, whatever the machine's size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.core import mode
from bench.sizing.machine import SAFE_SHARE, Facts

# A stack in the benchmark matrix must not be able to serve more than this share of what its locust processes can
# send on the cheapest route: above it, the generator reaches its ceiling first and the run is generator-bound.
MATRIX_GENERATOR_SHARE = 0.6
# The most instances (or workers) the scaling experiment starts: each is started and stopped twice (there and
# back), about a second each, within 07's quick-mode budget.
MAX_SCALING_PROCESSES = 16
# Users per process the scaling experiment keeps busy (a closed loop: one request each at a time).
USERS_PER_PROCESS = 2
MIN_USERS = 16


def server_cores(facts: Facts) -> int:
    """The whole cores servers get while a load runs (notebook 00's 'cores for servers')."""
    return max(1, int(facts.server_cores))


@dataclass(frozen=True)
class WorkerSweep:
    """Notebook 02a: gunicorn workers from 1 to past the cores, on CPU-bound work."""

    cores: int
    levels: list[int]
    users: int


def worker_sweep(facts: Facts) -> WorkerSweep:
    """1 worker, one per core and 2 × cores + 1 (more levels in full mode), with users to keep them all busy."""
    cores = server_cores(facts)
    levels = mode.pick(quick=sorted({1, cores, 2 * cores + 1}),
                       full=sorted({1, 2, cores, cores + 1, 2 * cores, 2 * cores + 1}))
    return WorkerSweep(cores, levels, max(MIN_USERS, 2 * (2 * cores + 1)))


@dataclass(frozen=True)
class Matrix:
    """Notebook 04b: the same number of processes in every stack, and the users to ramp through."""

    workers: int
    levels: list[int]


def matrix(facts: Facts) -> Matrix:
    """One process per server core, capped so that no stack can outrun its generator (one locust process, whose
    ceiling `facts.generator_rps` is): a process serves at most `facts.app_rps` on the cheapest route (one worker,
    measured), so `workers × app_rps` stays within MATRIX_GENERATOR_SHARE of the ceiling. On a big machine that
    leaves cores idle rather than measure locust. Users ramp up to 8 per process in full mode."""
    can_load = MATRIX_GENERATOR_SHARE * facts.generator_rps / facts.app_rps
    workers = max(1, min(server_cores(facts), math.floor(can_load)))
    full = sorted({4, 8, 16, 32, 64, *(2 ** k for k in range(7, 12) if 2 ** k <= 8 * workers)})
    return Matrix(workers, mode.pick(quick=[16], full=full))


@dataclass(frozen=True)
class Scaling:
    """Notebook 07: scaling up (workers) and out (instances) to the cores and past them."""

    cores: int  # the cores the experiment scales to
    counts: list[int]  # 1, cores, 2 × cores
    users: int
    whole_machine: bool  # False: the machine has more server cores than the experiment's budget starts for

    def why_not_past_the_cores(self, facts: Facts) -> str:
        """The reason "past the cores, doubling buys little" cannot be measured here ("" when it can)."""
        if self.whole_machine:
            return ""
        return (f"this machine gives servers {facts.server_cores:g} cores; within its time budget the experiment "
                f"starts at most {MAX_SCALING_PROCESSES} processes, so it cannot go past them")


def scaling(facts: Facts) -> Scaling:
    """Counts 1, c and 2c where c is the server cores, at most MAX_SCALING_PROCESSES / 2; enough users to keep
    2c processes busy."""
    cores = server_cores(facts)
    used = min(cores, MAX_SCALING_PROCESSES // 2)
    counts = sorted({1, used, 2 * used}) if used > 1 else [1, 2]
    return Scaling(used, counts, max(MIN_USERS, USERS_PER_PROCESS * max(counts)), used == cores)


@dataclass(frozen=True)
class Streams:
    """Notebook 08: servers with a few workers, and more open streams than their threads can hold."""

    workers: int
    threads: int
    streams: int


def streams(facts: Facts, threads: int = 4) -> Streams:
    """Up to 4 workers (one per usable core), and 5 × the threads they have in streams: past what threads can hold,
    well within what gevent can."""
    workers = max(1, min(int(facts.usable_cores), 4))
    return Streams(workers, threads, 5 * workers * threads)


def cpu_bound_rps(facts: Facts, processes: int) -> float:
    """What `processes` busy on /cpu?ms=facts.cpu_ms can serve here at most (the server cores bound it)."""
    return min(processes, facts.server_cores) * 1000 / facts.cpu_ms


def generator_safe_rps(facts: Facts) -> float:
    """The most a CPU-bound experiment may ask of one locust process and still measure the server (SAFE_SHARE)."""
    return SAFE_SHARE * facts.generator_rps
