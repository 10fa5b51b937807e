"""The bench signals only processes it started: a pid read back from disk may be someone else's now."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from bench.core import paths, ports, registry
from bench.core.errors import BenchError, UnsafeStateDir
from bench.host import dockerd
from bench.load.runner import run_load

DEAD_OWNER = {"owner_pid": 1, "owner_create_time": 0.0}  # pid 1 never started at time 0: its owner is gone


def _stale_entry(pid: int, create_time: float, marker: str = "a-marker-no-process-carries") -> registry.Entry:
    """A registry file as a dead kernel would have left it, naming `pid`."""
    entry = registry.Entry(pid=pid, create_time=create_time, kind="gunicorn", port=None, started_at=time.time(),
                           marker=marker, log="/nonexistent/log", **DEAD_OWNER)
    (paths.state_dir() / "running").mkdir(exist_ok=True)
    (paths.state_dir() / "running" / f"{pid}.json").write_text(json.dumps(entry.__dict__))
    return entry


@pytest.fixture
def foreign_group() -> Iterator[psutil.Process]:
    """A process in a session of its own, started by 'someone else' (not the bench): `setsid sleep`."""
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    yield psutil.Process(proc.pid)
    proc.kill()
    proc.wait()


@pytest.fixture
def leaderless_foreign_group() -> Iterator[tuple[int, psutil.Process]]:
    """A foreign group whose leader has exited and left a child behind: (the group's id, the child)."""
    script = ("import os, subprocess as s; p = s.Popen(['sleep', '60'], stdout=s.DEVNULL, stderr=s.DEVNULL); "
              "print(os.getpid(), p.pid, flush=True)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
                         start_new_session=True)
    group, child = map(int, out.stdout.split())
    proc = psutil.Process(child)
    assert os.getpgid(child) == group and not psutil.pid_exists(group)
    yield group, proc
    proc.kill()
    proc.wait(5)


def test_a_reused_pid_is_left_alone(foreign_group: psutil.Process) -> None:
    # The stale entry's server started earlier; the pid now belongs to a foreign session leader.
    _stale_entry(foreign_group.pid, foreign_group.create_time() - 100)
    assert registry.reap_orphans() == []
    assert foreign_group.is_running() and foreign_group.status() != psutil.STATUS_ZOMBIE
    assert foreign_group.pid not in {e.pid for e in registry.entries()}, "the stale entry is forgotten"


def test_a_foreign_group_without_its_leader_is_left_alone(leaderless_foreign_group: tuple[int, psutil.Process]) -> None:
    group, child = leaderless_foreign_group
    _stale_entry(group, child.create_time() - 100)
    assert registry.reap_orphans() == []
    assert child.is_running() and child.status() != psutil.STATUS_ZOMBIE


def test_orphaned_workers_carrying_the_marker_are_reaped() -> None:
    # A "kernel" starts gunicorn, SIGKILLs its master (the workers are orphaned), then dies itself.
    script = textwrap.dedent("""
        import os, signal, bench
        s = bench.Gunicorn(workers=2).start()
        workers = s.workers_pids()
        os.kill(s.proc.pid, signal.SIGKILL)
        print(s.port, *workers, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    port, *workers = map(int, out.stdout.split())
    assert workers and all(psutil.pid_exists(p) for p in workers), out.stderr
    reaped = registry.reap_orphans()
    assert reaped, "the orphaned workers carry the marker and must be stopped"
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in workers)
    assert ports.wait_free(port, timeout=10)


def test_orphaned_nginx_workers_are_found_by_their_log() -> None:
    # nginx rewrites its environment for its process titles; its log file still names it.
    script = textwrap.dedent("""
        import os, signal, bench
        s = bench.Nginx().start()
        workers = [p.pid for p in s.processes()[1:]]
        os.kill(s.proc.pid, signal.SIGKILL)
        print(*workers, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    workers = list(map(int, out.stdout.split()))
    assert workers and all(psutil.pid_exists(p) for p in workers), out.stderr
    assert registry.reap_orphans()
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in workers)


def test_entries_without_a_marker_are_never_trusted(foreign_group: psutil.Process) -> None:
    # What an older bench wrote: no marker. It is dropped, and nothing is signalled.
    old = {"pid": foreign_group.pid, "create_time": foreign_group.create_time(), "kind": "gunicorn", "port": None,
           "started_at": time.time(), **DEAD_OWNER}
    (paths.state_dir() / "running").mkdir(exist_ok=True)
    (paths.state_dir() / "running" / f"{foreign_group.pid}.json").write_text(json.dumps(old))
    assert registry.reap_orphans() == []
    assert foreign_group.is_running()


def test_state_dir_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o777)
    loose.chmod(0o777)
    monkeypatch.setenv("BENCH_STATE_DIR", str(loose))
    assert paths.state_dir() == loose and (loose.stat().st_mode & 0o777) == 0o700
    fresh = tmp_path / "fresh"
    monkeypatch.setenv("BENCH_STATE_DIR", str(fresh))
    assert (paths.state_dir().stat().st_mode & 0o777) == 0o700


def test_a_planted_state_dir_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    planted = tmp_path / "planted"
    planted.symlink_to(target)
    monkeypatch.setenv("BENCH_STATE_DIR", str(planted))
    with pytest.raises(UnsafeStateDir, match="not a directory owned by you"):
        paths.state_dir()
    if os.geteuid() == 0:  # root can make a directory owned by another user
        other = tmp_path / "other"
        other.mkdir()
        os.chown(other, 65534, 65534)
        monkeypatch.setenv("BENCH_STATE_DIR", str(other))
        with pytest.raises(UnsafeStateDir):
            paths.state_dir()


@pytest.fixture
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """dockerd's pid file of a real `make test` lives in the shared state directory: keep away from it."""
    monkeypatch.setenv("BENCH_STATE_DIR", str(tmp_path / "state"))


@pytest.mark.usefixtures("private_state")
def test_dockerd_stop_leaves_a_foreign_pid_alone(foreign_group: psutil.Process) -> None:
    # The pid file names a process with the right pid and start time, but not our marker.
    record = {"pid": foreign_group.pid, "create_time": foreign_group.create_time(), "marker": "not-its-marker"}
    (paths.state_dir() / "dockerd.json").write_text(json.dumps(record))
    assert "not signalled" in dockerd.stop()
    assert foreign_group.is_running() and foreign_group.status() != psutil.STATUS_ZOMBIE
    assert not (paths.state_dir() / "dockerd.json").exists()


@pytest.mark.usefixtures("private_state")
def test_dockerd_stop_stops_its_own_process() -> None:
    marker = registry.new_marker()
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True, env={**os.environ, registry.MARKER_VAR: marker})
    record = {"pid": proc.pid, "create_time": psutil.Process(proc.pid).create_time(), "marker": marker}
    (paths.state_dir() / "dockerd.json").write_text(json.dumps(record))
    assert "stopped" in dockerd.stop()
    proc.wait(5)  # psutil reaped it already: gone
    assert not psutil.pid_exists(proc.pid)


@pytest.mark.parametrize("path", ["http://example.com/", "//example.com/", "https://10.0.0.1/x", "io?ms=5",
                                  "/\\\\example.com", ["/", "http://example.com/"]])
def test_run_load_refuses_anything_but_a_path(path: str | list[str]) -> None:
    with pytest.raises(BenchError, match="give a path on the server"):
        run_load("http://127.0.0.1:9", path, duration=1)


@pytest.mark.usefixtures("private_state")
def test_dockerd_run_stops_only_an_engine_it_started(monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[bool] = []
    monkeypatch.setattr(dockerd, "stop", lambda: stopped.append(True) or "stopped")
    monkeypatch.setattr(dockerd, "start", lambda: False)  # an engine answered already
    assert dockerd.main(["run", "--", "sh", "-c", "exit 3"]) == 3 and not stopped
    monkeypatch.setattr(dockerd, "start", lambda: True)  # this call started it
    assert dockerd.main(["run", "--", "true"]) == 0 and stopped == [True]
    assert dockerd.main(["start"]) == 2  # usage


def test_cleanup_removes_the_configs_of_servers_that_are_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.host import leftovers

    monkeypatch.setattr(leftovers, "state_dir", lambda: tmp_path)
    monkeypatch.setattr(leftovers.registry, "entries", lambda: [])
    (tmp_path / "nginx-40001" / "logs").mkdir(parents=True)
    (tmp_path / "uwsgi-40002.ini").write_text("[uwsgi]\n")
    (tmp_path / "nginx-notes").mkdir()  # not a port: not the bench's
    for path in tmp_path.iterdir():
        os.utime(path, (time.time() - 120, time.time() - 120))
    (tmp_path / "nginx-40003").mkdir()  # just rendered: perhaps a server another kernel is starting
    leftovers._remove_rendered_configs()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nginx-40003", "nginx-notes"]
