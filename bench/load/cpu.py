"""CPU accounting during a load: the generator's CPU, the server's, and the machine's, over the window that
counts; and the cores experiments may use (`portability.sh half` gives each core a share of its speed)."""

from __future__ import annotations

import math
import os
import time
from statistics import median
from typing import TYPE_CHECKING

import psutil

from bench.host.busy import busy_seconds
from sample_app.limits import usable_cpus

if TYPE_CHECKING:
    from bench.load.result import Target

BACKGROUND_PIDS, CPU_SHARE = "BENCH_BACKGROUND_PIDS", "BENCH_CPU_SHARE"

LOAD_WARMUP = 0.5  # seconds after the first request before the CPU figures count (users connecting)


Window = tuple[float, float]  # (first, last) unix time of what a measurement counts


class CpuWatch:
    """Samples the CPU use of a process tree (% of one core): its busiest process, and all of it."""

    def __init__(self, pid: int, server: Target | None = None) -> None:
        self.root = psutil.Process(pid)
        self.server = server
        self.procs: dict[int, psutil.Process] = {}
        self.samples: list[tuple[float, float, float]] = []  # (time, busiest, total)
        self.machine: list[tuple[float, float]] = []  # (time, busy CPU seconds of the cores we may use)
        self.served: list[tuple[float, float]] = []  # (time, CPU seconds the server has used)
        self.generated: dict[int, list[tuple[float, float]]] = {}  # pid -> (time, CPU seconds it has used)
        self.cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None

    def _machine_busy_seconds(self) -> float:
        return busy_seconds(self.cpus) - _background_seconds()

    def sample(self) -> float:
        """Take a sample; return the total."""
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        shares, seconds = [], {}
        for proc in tree:
            known = self.procs.setdefault(proc.pid, proc)
            try:
                shares.append(known.cpu_percent(None))
                times = known.cpu_times()
                seconds[proc.pid] = times.user + times.system
            except psutil.NoSuchProcess:
                continue
        now = time.time()
        self.samples.append((now, max(shares, default=0.0), sum(shares)))
        for pid, used in seconds.items():
            self.generated.setdefault(pid, []).append((now, used))
        self.machine.append((now, self._machine_busy_seconds()))
        if self.server is not None and self.server.running:
            self.served.append((now, self.server.cpu_seconds()))
        return sum(shares)

    def machine_busy(self, window: Window) -> float:
        """Cores busy on the machine (all processes) within `window`."""
        return _rate(self.machine, window)

    def server_busy(self, window: Window) -> float:
        """Cores the server kept busy within `window` (NaN when the target is not a bench Server)."""
        return _rate(self.served, window)

    def medians(self, window: Window) -> tuple[float, float]:
        """(busiest, total) medians within `window`."""
        start, end = window
        kept = [s for s in self.samples if start <= s[0] <= end] or self.samples
        if not kept:
            return 0.0, 0.0
        return median(s[1] for s in kept), median(s[2] for s in kept)

    def usage(self, window: Window) -> tuple[float, float]:
        """(busiest, total) within `window`, in % of one core: the busiest process's median (its ceiling is one
        core), the tree's total from its CPU seconds. A 0.2 s sample counts whole 10 ms clock ticks, so a median of
        them moves in steps of 5% of a core; the CPU seconds over the run do not."""
        busiest, total = self.medians(window)
        rate = _tree_rate(self.generated, window)
        return busiest, total if math.isnan(rate) else 100 * rate


def load_window(started: float, ended: float) -> Window:
    """The part of a run the CPU figures count: from LOAD_WARMUP after locust's first request to its last one.
    Not from locust's start: its start-up (imports, ~1 s of a core here, twice that on half-speed cores) and its
    shutdown cost far more than sending requests, and a 3 s run read 5-9% of a core where 12 s read 4%."""
    return started + min(LOAD_WARMUP, (ended - started) / 4), ended


def _rate(counter: list[tuple[float, float]], window: Window) -> float:
    """Seconds of CPU per second, from (time, CPU seconds so far) samples within `window`."""
    kept = [m for m in counter if window[0] <= m[0] <= window[1]]
    if len(kept) < 2 or kept[-1][0] <= kept[0][0]:
        return float("nan")
    return (kept[-1][1] - kept[0][1]) / (kept[-1][0] - kept[0][0])


def _tree_rate(per_process: dict[int, list[tuple[float, float]]], window: Window) -> float:
    """Seconds of CPU per second used within `window` by processes that come and go (locust's workers stop
    before it): each from its value at the window's first sample (0 if it started later) to the last one it
    was seen at within the window."""
    times = sorted({t for samples in per_process.values() for t, _ in samples if window[0] <= t <= window[1]})
    if len(times) < 2:
        return float("nan")
    first, last = times[0], times[-1]
    used = 0.0
    for samples in per_process.values():
        seen = [value for t, value in samples if t <= last]
        before = [value for t, value in samples if t <= first]
        if seen:
            used += seen[-1] - (before[-1] if before else 0.0)
    return used / (last - first)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy so far, the busy loops of `portability.sh half` left out."""
    return busy_seconds() - _background_seconds()


def _background_seconds() -> float:
    """CPU seconds used so far by the busy loops that stand for a slower machine (BENCH_BACKGROUND_PIDS)."""
    total = 0.0
    for pid in os.environ.get(BACKGROUND_PIDS, "").split():
        try:
            times = psutil.Process(int(pid)).cpu_times()
            total += times.user + times.system
        except (psutil.Error, ValueError):
            continue
    return total


def core_share() -> float:
    """The share of each core left to this process: 1, except in `portability.sh half`."""
    return float(os.environ.get(CPU_SHARE) or 1)


def capacity_cores() -> float:
    """The cores experiments may use, in whole cores' worth: usable cores times the share of each."""
    return usable_cpus() * core_share()
