"""Cores kept apart for locust where there are spare ones (bench.host.partition): the plan, and the pinning."""

from __future__ import annotations

import os

import psutil
import pytest

from bench.host import partition
from bench.host.partition import Partition, plan
from bench.load.runner import run_load
from bench.servers import Gunicorn


def test_no_split_without_spare_whole_cores() -> None:
    assert plan([0, 1]) is None  # the reference machine: locust shares the cores, and the bench measures it
    assert plan([0, 1, 2]) is None
    assert plan([0, 1, 2, 3], quota=3.0) is None  # a quota is shared whatever the pinning
    assert plan([0, 1, 2, 3], share=0.5) is None  # portability.sh half: each core is half a core


def test_the_generator_gets_the_last_cores_one_per_process_at_most_a_quarter() -> None:
    assert plan([0, 1, 2, 3]) == Partition(server=(0, 1, 2), generator=(3,))
    assert plan(range(8), generator_processes=2) == Partition(server=(0, 1, 2, 3, 4, 5), generator=(6, 7))
    assert plan(range(8), generator_processes=5).generator == (6, 7)  # never more than one core in four
    assert plan([6, 0, 4, 2]) == Partition(server=(0, 2, 4), generator=(6,))  # taskset -c 0,2,4,6
    assert plan(range(4), quota=4.0) is not None  # a quota as large as the cores takes nothing away


def test_the_split_follows_this_process_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(partition, "cpu_limit", lambda: None)
    assert partition.current() == Partition(server=tuple(range(7)), generator=(7,))
    monkeypatch.setenv(partition.SWITCH, "0")
    assert partition.current() is None


def _affinities(server: Gunicorn, seen: dict[str, set[int]]) -> None:
    """What the server's processes and this test's locust run on, during the load."""
    seen["server"] = {cpu for proc in server.processes() for cpu in proc.cpu_affinity()}
    locusts = [p for p in psutil.Process().children(recursive=True) if "locust" in " ".join(p.cmdline())]
    seen["locust"] = {cpu for proc in locusts for cpu in proc.cpu_affinity()}


def _cores() -> set[int]:
    """The cores this process may run on; empty where the system has no CPU affinity (macOS)."""
    return set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else set()


@pytest.mark.load
@pytest.mark.skipif(len(_cores()) < 2, reason="pinning apart needs two cores to pin to (and CPU affinity: not macOS)")
def test_a_run_pins_locust_and_the_server_apart_and_gives_the_cores_back(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second, *_ = sorted(_cores())
    everything = _cores()
    split = Partition(server=(first,), generator=(second,))  # what a 4-core machine does, on two of them
    monkeypatch.setattr(partition, "current", lambda share=1.0, generator_processes=1: split)
    seen: dict[str, set[int]] = {}
    with Gunicorn(workers=2) as server:
        result = run_load(server, "/io?ms=10", users=4, duration=2, progress=False,
                          events=[(0.5, "look", lambda: _affinities(server, seen))])
        after = {cpu for proc in server.processes() for cpu in proc.cpu_affinity()}
    assert seen == {"server": {first}, "locust": {second}}
    assert after == everything  # the server gets every core back once the load is over
    assert result.cores_apart and result.generator_share == 0 and not result.interfered
    assert result.failures == 0 and result.requests > 0


@pytest.mark.load
@pytest.mark.skipif(not _cores(), reason="no CPU affinity on this system (macOS)")
def test_a_url_target_is_not_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only processes the bench started can be pinned: a bare URL (or a container) shares the cores as before."""
    monkeypatch.setattr(partition, "current", lambda share=1.0, generator_processes=1: Partition((0,), (1,)))
    seen: dict[str, set[int]] = {}
    with Gunicorn(workers=1) as server:
        result = run_load(server.url, "/io?ms=10", users=2, duration=2, progress=False,
                          events=[(0.5, "look", lambda: _affinities(server, seen))])
    assert not result.cores_apart
    assert seen["locust"] == _cores()


def test_the_generator_gets_whole_physical_cores_where_cores_have_two_threads() -> None:
    """With SMT, the last logical CPUs are hyper-thread siblings of the server's cores: the split is by core."""
    smt = [(0, 4), (1, 5), (2, 6), (3, 7)]  # Linux numbers the second thread of each core after the first threads
    assert plan(range(8), cores=smt) == Partition(server=(0, 1, 2, 4, 5, 6), generator=(3, 7))
    assert plan(range(4), cores=[(0, 1), (2, 3)]) is None  # 2 physical cores: too few to split
    assert plan([0, 1, 2, 3, 4, 5, 6], cores=smt).generator == (3,)  # taskset took CPU 7: its core's other thread


def test_physical_cores_are_read_from_the_kernels_topology(tmp_path) -> None:
    for cpu, siblings in enumerate(["0,2", "1,3", "0,2", "1,3"]):
        topology = tmp_path / f"cpu{cpu}" / "topology"
        topology.mkdir(parents=True)
        (topology / "thread_siblings_list").write_text(siblings + "\n")
    assert partition.physical_cores(tmp_path) == [(0, 2), (1, 3)]
    assert partition._cpu_list("0-3,8") == [0, 1, 2, 3, 8]
    assert partition.physical_cores(tmp_path / "none") is None
