"""A record on disk of every process the bench starts, so nothing outlives the notebook.

Each running server has a JSON file naming its pid, its start time, a random marker put in its
environment, and the process (kernel) that owns it. `reap_orphans()` stops servers whose owner
has died — e.g. a kernel that was restarted or killed. `history.jsonl` keeps every start, for the
leftover test.

A pid read back from disk may belong to someone else by now, so a process is signalled only when
it is provably the one the bench started (see `members`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from bench.core.paths import state_dir

# Every process the bench starts carries this variable (and its children inherit it).
MARKER_VAR = "FLASK_IN_PRODUCTION_RUN"


@dataclass(frozen=True)
class Entry:
    pid: int
    create_time: float
    kind: str
    port: int | None
    owner_pid: int
    owner_create_time: float
    started_at: float
    marker: str
    log: str  # the file its stdout and stderr go to, in the private state directory


def new_marker() -> str:
    """A value for MARKER_VAR that no other process carries."""
    return secrets.token_hex(16)


def start_marked(argv: list[str], log: Path, env: Mapping[str, str] | None = None,
                 cwd: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start `argv` in a session of its own, its output going to `log`, its environment carrying a
    fresh marker; returns the process and the marker."""
    marker = new_marker()
    # A fresh file (a process still writing to an old log of this name keeps its own, unlinked), opened for
    # appending: the server's processes share it, and every line lands at the end whatever their offsets.
    log.unlink(missing_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=cwd, env={**os.environ, **(env or {}), MARKER_VAR: marker})
    return proc, marker


def spawn(argv: list[str], log: Path, kind: str, port: int | None = None, env: Mapping[str, str] | None = None,
          cwd: Path | None = None) -> tuple[subprocess.Popen[bytes], Entry]:
    """`start_marked`, then recorded in the registry (so it never outlives its owner)."""
    proc, marker = start_marked(argv, log, env, cwd)
    return proc, add(psutil.Process(proc.pid), kind, port, marker, log)


def _running_dir() -> Path:
    path = state_dir() / "running"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _same_process(pid: int, create_time: float) -> psutil.Process | None:
    """The process `pid` if it is still the one we started (pids get reused)."""
    try:
        proc = psutil.Process(pid)
        return proc if abs(proc.create_time() - create_time) < 0.01 else None
    except psutil.NoSuchProcess:
        return None


def carries(proc: psutil.Process, marker: str) -> bool:
    """True when `proc`'s environment holds the bench's marker (False when it cannot be read)."""
    try:
        return bool(marker) and proc.environ().get(MARKER_VAR) == marker
    except (psutil.Error, OSError):
        return False


def _holds(proc: psutil.Process, log: str) -> bool:
    """True when `proc` has the entry's log file open (nginx and redis overwrite their environment
    to set their process titles; the log, in a directory only we can write, identifies them too)."""
    try:
        return any(f.path == log for f in proc.open_files())
    except (psutil.Error, OSError):
        return False


def members(entry: Entry) -> list[psutil.Process]:
    """Live processes of the server's process group that are provably the bench's.

    - If a process holds the leader's pid but started at another time, the pid was reused: the
      kernel hands out a pid only once no process group of that number is left, so none of ours
      remains and nothing is returned.
    - If our leader is alive, every process in its group is ours (only its session can join it).
    - If the leader is gone (killed with SIGKILL, its workers orphaned), a process counts only when
      its environment carries the entry's marker or it holds the entry's log file open.
    """
    leader_alive = False
    with contextlib.suppress(psutil.NoSuchProcess):
        holder = psutil.Process(entry.pid)
        if abs(holder.create_time() - entry.create_time) >= 0.01:
            return []
        leader_alive = holder.status() != psutil.STATUS_ZOMBIE
    found = []
    for proc in psutil.process_iter(["pid", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            in_group = os.getpgid(proc.pid) == entry.pid
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
        if in_group and (leader_alive or carries(proc, entry.marker) or _holds(proc, entry.log)):
            found.append(proc)
    return found


def add(proc: psutil.Process, kind: str, port: int | None, marker: str, log: Path) -> Entry:
    """Record a process the bench just started with `MARKER_VAR=marker` in its environment and its
    output going to `log`."""
    me = psutil.Process()
    entry = Entry(proc.pid, proc.create_time(), kind, port, me.pid, me.create_time(), time.time(), marker,
                  str(log.resolve()))
    (_running_dir() / f"{proc.pid}.json").write_text(json.dumps(asdict(entry)))
    with (state_dir() / "history.jsonl").open("a") as f:
        f.write(json.dumps(asdict(entry)) + "\n")
    return entry


def remove(pid: int) -> None:
    (_running_dir() / f"{pid}.json").unlink(missing_ok=True)


def _load(text: str) -> Entry | None:
    try:
        return Entry(**json.loads(text))
    except (ValueError, TypeError):
        return None  # unreadable, or written by an older bench without a marker: never trusted


def entries() -> list[Entry]:
    out = []
    for path in sorted(_running_dir().glob("*.json")):
        entry = _load(path.read_text(errors="replace"))
        if entry is None:
            path.unlink(missing_ok=True)
        else:
            out.append(entry)
    return out


def history(since: float = 0.0) -> list[Entry]:
    path = state_dir() / "history.jsonl"
    if not path.exists():
        return []
    rows = [_load(line) for line in path.read_text().splitlines() if line.strip()]
    return [e for e in rows if e is not None and e.started_at >= since]


def kill_group(entry: Entry, first: signal.Signals = signal.SIGTERM, timeout: float = 5.0,
               known: list[psutil.Process] | None = None) -> None:
    """Send `first` to the leader, wait, then SIGKILL whatever of its group is left; forget it.

    `known`: members found earlier, while the leader was alive (psutil checks each is still the
    same process before signalling it).
    """
    known = [*(known or []), *members(entry)]  # while the leader lives, its whole group
    leader = _same_process(entry.pid, entry.create_time)
    if leader is not None:
        try:
            leader.send_signal(first)
            leader.wait(timeout)
        except (psutil.NoSuchProcess, psutil.TimeoutExpired):
            pass  # gone already, or stuck: SIGKILL below
    rest = {p.pid: p for p in [*known, *members(entry)] if p.is_running()}.values()
    for proc in rest:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(list(rest), timeout=timeout)
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
