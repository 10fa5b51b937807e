"""The machine's busy CPU: the cgroup's precise accounting where it can be read, /proc/stat's ticks where not."""

from __future__ import annotations

from pathlib import Path

import psutil

from bench.host.busy import busy_seconds


def test_cgroup_v1_per_cpu_counts_only_the_chosen_cpus(tmp_path: Path) -> None:
    (tmp_path / "cpuacct").mkdir()
    (tmp_path / "cpuacct" / "cpuacct.usage_percpu").write_text("2000000000 3000000000 \n")
    assert busy_seconds(None, tmp_path) == 5.0
    assert busy_seconds([1], tmp_path) == 3.0


def test_cgroup_v2_total_only_when_every_cpu_is_counted(tmp_path: Path) -> None:
    (tmp_path / "cpu.stat").write_text("usage_usec 7500000\nuser_usec 5000000\n")
    assert busy_seconds(None, tmp_path) == 7.5
    assert busy_seconds(list(range(psutil.cpu_count() or 1)), tmp_path) == 7.5
    if (psutil.cpu_count() or 1) > 1:  # one CPU of several: the ticks of that CPU, not the whole total
        assert busy_seconds([0], tmp_path) != 7.5


def test_without_cgroup_files_the_ticks_count(tmp_path: Path) -> None:
    t = psutil.cpu_times(percpu=True)[0]  # macOS has user, nice, system and idle only
    ticks = t.user + t.nice + t.system + sum(getattr(t, name, 0) for name in ("irq", "softirq", "steal"))
    assert ticks - 1e-6 <= busy_seconds([0], tmp_path) <= ticks + 1.0  # a second at most between the reads; sums of
    # floats in another order may differ in the last digit


def test_this_machine_counts_time_passing() -> None:
    assert busy_seconds() > 0
