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


def cpu_limit(root: Path = CGROUP) -> float | None:
    """CPUs allowed by the cgroup quota seen at the root (a container's own cgroup), None if unlimited."""
    return quota_in(root) or quota_in(root / "cpu")


def usable_cpus() -> float:
    """The CPU a worker formula should start from: the quota if there is one, else the cores we may run on."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    limit = cpu_limit()
    return min(cores, limit) if limit else cores
