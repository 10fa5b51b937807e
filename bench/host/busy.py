"""CPU seconds the machine has spent busy, counted as precisely as the kernel allows.

/proc/stat charges each timer tick to whatever runs at that tick. That is fair on average, except where
something runs in step with the ticks: the CPU quota's throttling of `portability.sh half`'s busy loops
(10 ms periods) made /proc/stat count 1.49 cores busy where the loops used 1.00 and the rest of the machine
0.01 (measured idle). The cgroup CPU accounting adds up the time each task really ran, so it is used where
it can be read: cgroup v1's per-CPU `cpuacct.usage_percpu`, or v2's `cpu.stat` when every CPU is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import psutil

CGROUP = Path("/sys/fs/cgroup")


def _per_cpu_ns(root: Path) -> list[int] | None:
    try:
        return [int(x) for x in (root / "cpuacct" / "cpuacct.usage_percpu").read_text().split()]
    except (OSError, ValueError):
        return None


def _total_us(root: Path) -> int | None:
    try:
        lines = (root / "cpu.stat").read_text().splitlines()
    except OSError:
        return None
    usage = [int(line.split()[1]) for line in lines if line.startswith("usage_usec ")]
    return usage[0] if usage else None


def busy_seconds(cpus: Sequence[int] | None = None, root: Path | None = None) -> float:
    """CPU seconds spent running tasks so far on `cpus` (None: all of them). Without cgroups (macOS), the ticks."""
    root = CGROUP if root is None else root
    per_cpu = _per_cpu_ns(root)
    if per_cpu:
        return sum(per_cpu[i] for i in (cpus if cpus is not None else range(len(per_cpu))) if i < len(per_cpu)) / 1e9
    total = _total_us(root)
    if total is not None and (cpus is None or len(cpus) >= (psutil.cpu_count() or 1)):
        return total / 1e6
    times = psutil.cpu_times(percpu=True)
    chosen = [times[i] for i in cpus if i < len(times)] if cpus is not None else times
    return sum(t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0) + getattr(t, "steal", 0)
               for t in chosen)
