"""Stopping what the course started: this process's servers, orphans of a dead kernel, rendered configs, and
course containers.

`import bench` does exactly one thing besides importing: `at_import()` stops the orphans a dead kernel left
(only processes the registry proves it started) and arranges for `cleanup()` to run when this process exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import time
from typing import Protocol

from bench.core import registry
from bench.core.paths import state_dir
from bench.host import docker_engine


class _Stoppable(Protocol):
    def stop(self) -> None: ...


_LIVE: dict[int, _Stoppable] = {}  # the servers this process has running, by id()


def track(server: _Stoppable) -> None:
    """A server this process started: `cleanup()` stops it if nothing else does."""
    _LIVE[id(server)] = server


def untrack(server: _Stoppable) -> None:
    _LIVE.pop(id(server), None)


def cleanup(*, everyone: bool = False) -> list[str]:
    """Stop every server this process started, then any orphan left by a dead kernel, and remove
    this process's containers (every course container with `everyone`, as `make cleanup` does)."""
    stopped = []
    for server in list(_LIVE.values()):
        stopped.append(repr(server))
        server.stop()
    me = os.getpid()
    for entry in registry.entries():
        if entry.owner_pid == me:
            registry.kill_group(entry)
            stopped.append(f"{entry.kind} pid {entry.pid}")
    stopped += [f"orphan {e.kind} pid {e.pid}" for e in registry.reap_orphans()]
    _remove_rendered_configs()
    return stopped + docker_engine.remove_labelled(everyone=everyone)


def _remove_rendered_configs() -> None:
    """The nginx prefixes and derived uWSGI ini files of servers no longer running (any kernel's: a port a live
    registry entry holds, or a file younger than a minute, is left alone), so the state directory does not grow
    with every run."""
    held = {entry.port for entry in registry.entries() if registry.alive(entry)}
    settled = time.time() - 60  # one rendered a moment ago may belong to a server another kernel is starting
    for path in [*state_dir().glob("nginx-*"), *state_dir().glob("uwsgi-*.ini")]:
        port = path.name.split("-", 1)[1].split(".", 1)[0]
        if port.isdigit() and int(port) not in held and path.stat().st_mtime < settled:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def at_import() -> None:
    """Stop orphans of dead kernels, and run `cleanup()` when this process exits (once per process)."""
    registry.reap_orphans()
    atexit.unregister(cleanup)
    atexit.register(cleanup)
