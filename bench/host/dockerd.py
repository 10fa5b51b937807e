"""Start a Docker engine for the course when none answers (Linux, as root), and stop only that one.

    python -m bench.host.dockerd run -- CMD ...   start dockerd if no engine answers, run CMD, then stop
                                             dockerd again if this call started it (make lab/test/record)

Elsewhere (Docker Desktop, colima, a rootless engine) it only reports what it finds. The pid file
records the daemon's start time and a marker in its environment: a pid read back later may have
been reused by another process, which must never be signalled.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from bench.core import registry
from bench.core.paths import state_dir
from bench.core.waiting import until
from bench.host import docker_engine, env

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


def _pidfile() -> Path:
    return state_dir() / "dockerd.json"


def start() -> bool:
    """Make sure an engine answers; True when this call started dockerd (RuntimeError if it fails)."""
    if docker_engine.available():
        return False
    binary = env.find("dockerd")
    if os.geteuid() != 0 or binary is None:
        print(f"note: no Docker engine answers; stage 05 will skip its container cells. "
              f"{docker_engine.docker_hint()}", file=sys.stderr)
        return False
    log = state_dir() / "dockerd.log"
    proc, marker = registry.start_marked([binary], log)  # not in the registry: it serves more than one kernel
    daemon = psutil.Process(proc.pid)
    _pidfile().write_text(json.dumps({"pid": proc.pid, "create_time": daemon.create_time(), "marker": marker}))
    up = until(lambda: proc.poll() is not None or docker_engine.available(), START_TIMEOUT, interval=0.5)
    if not up or proc.poll() is not None:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        stop()
        raise RuntimeError(f"dockerd did not answer within {START_TIMEOUT:.0f} s; its log ({log}) ends with:\n{tail}")
    print(f"==> started dockerd (pid {proc.pid}, log {log})")
    return True


def ours() -> psutil.Process | None:
    """The dockerd that `start` started, if that very process still runs."""
    try:
        recorded = json.loads(_pidfile().read_text())
        proc = psutil.Process(int(recorded["pid"]))
        same = abs(proc.create_time() - float(recorded["create_time"])) < 0.01
        return proc if same and registry.carries(proc, str(recorded["marker"])) else None
    except (OSError, ValueError, KeyError, TypeError, psutil.Error):
        return None


def stop() -> str:
    """Stop the dockerd `start` started (SIGTERM, then SIGKILL); anything else is left alone."""
    if not _pidfile().exists():
        return "no dockerd started by the course"
    proc = ours()
    _pidfile().unlink(missing_ok=True)
    if proc is None:
        return "the dockerd the course started is gone (its pid is not signalled: it may be another process now)"
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT)
    except psutil.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_TIMEOUT)
    return f"stopped dockerd (pid {proc.pid})"


def run(argv: list[str]) -> int:
    """Run a command with an engine answering; stop the engine afterwards if this call started it.

    Ctrl+C and SIGTERM reach the command (it is in our process group, or is forwarded), and the
    engine is stopped once the command has ended.
    """
    started = start()
    child = subprocess.Popen(argv)
    previous = signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue  # the terminal sent SIGINT to the command as well: wait for it to finish
    finally:
        signal.signal(signal.SIGTERM, previous)
        if started:
            print(f"==> {stop()}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["stop"]:
        print(stop())
        return 0
    if argv[:2] != ["run", "--"] or len(argv) < 3:
        print("usage: python -m bench.host.dockerd run -- COMMAND [ARG ...] | stop", file=sys.stderr)
        return 2
    try:
        return run(argv[2:])
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
