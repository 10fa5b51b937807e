"""A record on disk of every process the bench starts, so nothing outlives the notebook.

Each running server has a JSON file naming its pid and the process (kernel) that owns it.
`reap_orphans()` (run when the bench is imported) stops servers whose owner has died — e.g. a
kernel that was restarted or killed. `history.jsonl` keeps every start, for the leftover test.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from bench.paths import state_dir


@dataclass(frozen=True)
class Entry:
    pid: int
    create_time: float
    kind: str
    port: int | None
    owner_pid: int
    owner_create_time: float
    started_at: float


def _running_dir() -> Path:
    path = state_dir() / "running"
    path.mkdir(exist_ok=True)
    return path


def _same_process(pid: int, create_time: float) -> psutil.Process | None:
    """The process `pid` if it is still the one we started (pids get reused)."""
    try:
        proc = psutil.Process(pid)
        return proc if abs(proc.create_time() - create_time) < 0.01 else None
    except psutil.NoSuchProcess:
        return None


def members(entry: Entry) -> list[psutil.Process]:
    """Live processes of the entry's process group started no earlier than its leader.

    Workers can outlive a leader killed with SIGKILL; they keep the group id, so they are found too.
    """
    found = []
    for proc in psutil.process_iter(["pid", "create_time", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            if os.getpgid(proc.pid) == entry.pid and proc.info["create_time"] >= entry.create_time - 0.01:
                found.append(proc)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return found


def add(proc: psutil.Process, kind: str, port: int | None) -> Entry:
    me = psutil.Process()
    entry = Entry(proc.pid, proc.create_time(), kind, port, me.pid, me.create_time(), time.time())
    (_running_dir() / f"{proc.pid}.json").write_text(json.dumps(asdict(entry)))
    with (state_dir() / "history.jsonl").open("a") as f:
        f.write(json.dumps(asdict(entry)) + "\n")
    return entry


def remove(pid: int) -> None:
    (_running_dir() / f"{pid}.json").unlink(missing_ok=True)


def entries() -> list[Entry]:
    out = []
    for path in sorted(_running_dir().glob("*.json")):
        try:
            out.append(Entry(**json.loads(path.read_text())))
        except (OSError, ValueError, TypeError):
            path.unlink(missing_ok=True)
    return out


def history(since: float = 0.0) -> list[Entry]:
    path = state_dir() / "history.jsonl"
    if not path.exists():
        return []
    rows = [Entry(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    return [e for e in rows if e.started_at >= since]


def kill_group(entry: Entry, first: signal.Signals = signal.SIGTERM, timeout: float = 5.0) -> None:
    """Send `first` to the leader, wait, then SIGKILL whatever of its group is left; forget it."""
    leader = _same_process(entry.pid, entry.create_time)
    if leader is not None:
        try:
            leader.send_signal(first)
            leader.wait(timeout)
        except (psutil.NoSuchProcess, psutil.TimeoutExpired):
            pass  # gone already, or stuck: SIGKILL below
    rest = members(entry)
    for proc in rest:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(rest, timeout=timeout)
    remove(entry.pid)


def alive(entry: Entry) -> bool:
    return bool(members(entry))


def reap_orphans() -> list[Entry]:
    """Stop servers whose owning process is gone; forget entries whose server is gone."""
    reaped = []
    for entry in entries():
        if not alive(entry):
            remove(entry.pid)
        elif _same_process(entry.owner_pid, entry.owner_create_time) is None:
            kill_group(entry)
            reaped.append(entry)
    return reaped
