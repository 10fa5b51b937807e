"""What CPU this process may really use. In a container, `os.cpu_count()` reports the host's
cores; a `--cpus` limit (or a Kubernetes CPU limit) is a cgroup quota, read here."""

from __future__ import annotations

import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def quota_in(directory: Path) -> float | None:
    """CPUs one cgroup directory allows (v2 `cpu.max`, or v1 `cpu.cfs_quota_us`), None if unlimited or unreadable."""
    try:
        quota, period = (directory / "cpu.max").read_text().split()
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((directory / "cpu.cfs_quota_us").read_text())
        period_us = int((directory / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota_us <= 0 else quota_us / period_us


def _cgroups(proc_cgroup: str) -> list[tuple[str, str]]:
    """(controllers, path) from /proc/self/cgroup: ("", path) for v2, e.g. ("cpu,cpuacct", path) for v1's cpu."""
    found = []
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and (parts[1] == "" or "cpu" in parts[1].split(",")):
            found.append((parts[1], parts[2]))
    return found


def cpu_limit(root: Path | None = None, proc_cgroup: str | None = None) -> float | None:
    """The tightest CPU quota on this process's cgroup and its parents (v2 or v1), None if unlimited.

    In a container the root is its own cgroup (a `--cpus` limit shows there); on a host, a quota can sit
    on a cgroup further down, which is why the walk starts at this process's own cgroup.
    """
    root = CGROUP if root is None else root  # read at call time: a simulated Mac has none (bench.platforms)
    if proc_cgroup is None:
        try:
            proc_cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:
            proc_cgroup = ""
    limits = []
    for controllers, path in _cgroups(proc_cgroup) or [("", "/"), ("cpu", "/")]:
        mount = next((m for m in (root / controllers, root / "cpu") if controllers and m.is_dir()), root)
        directory = mount / path.lstrip("/")
        while True:  # the cgroup itself, then each parent up to the mount point
            limit = quota_in(directory)
            if limit is not None:
                limits.append(limit)
            if directory == mount or mount not in directory.parents:
                break
            directory = directory.parent
    return min(limits) if limits else None


def affinity_cores() -> int:
    """The cores this process may run on (taskset), whatever the machine has."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def usable_cpus() -> float:
    """The CPU a worker formula should start from: the cores we may run on, capped by a cgroup quota."""
    cores, limit = affinity_cores(), cpu_limit()
    return min(cores, limit) if limit else float(cores)
