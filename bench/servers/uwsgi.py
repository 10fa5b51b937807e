"""uWSGI, with the course's config/uwsgi.ini."""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import psutil
import requests

from bench.core import ports
from bench.core.paths import CONFIG, state_dir
from bench.host import env
from bench.servers.base import APP, Server


class Uwsgi(Server):
    """uWSGI with the course's ini file. protocol: "http-socket" (HTTP spoken by the workers),
    "http" (a separate router process in front) or "socket" (the binary uwsgi protocol, for nginx)."""

    kind = "uwsgi"
    stop_signal = signal.SIGINT  # uWSGI's "shut down now", whatever die-on-term says

    def __init__(self, processes: int = 2, threads: int | None = 1, protocol: str = "http-socket", app: str = APP,
                 ini: Path = CONFIG / "uwsgi.ini", args: Sequence[str] = (),
                 ini_changes: dict[str, str | None] | None = None, stats: bool = False, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.stats_port: int | None = ports.free_port() if stats else None
        if protocol not in ("http-socket", "http", "socket"):
            raise ValueError(f"protocol must be 'http-socket', 'http' or 'socket', got {protocol!r}")
        self.processes_n, self.threads, self.protocol = processes, threads, protocol
        self.app, self.ini, self.args = app, ini, list(args)
        self.ini_changes = dict(ini_changes or {})
        if protocol == "socket":
            self.ready_path = None

    def command(self) -> list[str]:
        ini = self.ini
        if self.ini_changes:  # uWSGI cannot switch a flag off on the command line: derive an ini instead
            ini = changed_ini(self.ini, self.ini_changes, state_dir() / f"uwsgi-{self.port}.ini")
        uwsgi = env.require("uwsgi")
        return [uwsgi, "--ini", str(ini), f"--{self.protocol}", f"{ports.HOST}:{self.port}",
                "--module", self.app, "--processes", str(self.processes_n),
                *(["--threads", str(self.threads)] if self.threads is not None else []),  # None: no threads option
                "--home", sys.prefix, *reload_binary(uwsgi), *self._stats_args(), *self.args]

    def max_cores(self) -> float:
        return float(self.processes_n + (self.protocol == "http"))  # --http adds a router process

    def roles(self) -> dict[int, str]:
        """With --http, the router is the child listening on the public port (the workers listen on an inner socket
        it forwards to); where the system will not say (AccessDenied), "worker or router"."""
        roles = super().roles()
        if self.protocol == "http":
            for proc in self.processes()[1:]:
                try:
                    public = any(c.status == psutil.CONN_LISTEN and c.laddr.port == self.port
                                 for c in proc.net_connections())
                except psutil.AccessDenied:
                    roles[proc.pid] = "worker or router"
                    continue
                roles[proc.pid] = "router" if public else "worker"
        return roles

    def _stats_args(self) -> list[str]:
        return [] if self.stats_port is None else ["--stats", f"{ports.HOST}:{self.stats_port}", "--stats-http"]

    def stats(self) -> dict[str, object]:
        """uWSGI's stats server, read now (start with stats=True)."""
        if self.stats_port is None:
            raise ValueError("start the server with Uwsgi(stats=True) to read its stats")
        return requests.get(f"http://{ports.HOST}:{self.stats_port}", timeout=5).json()


def changed_ini(base: Path, changes: dict[str, str | None], dest: Path) -> Path:
    """A copy of an ini file with `key = value` lines replaced (value None: removed)."""
    keep = [line for line in base.read_text().splitlines()
            if line.split("=", 1)[0].strip() not in changes]
    added = [f"{key} = {value}" for key, value in changes.items() if value is not None]
    dest.write_text("\n".join([*keep, *added]) + "\n")
    return dest


def reload_binary(uwsgi: str) -> list[str]:
    """`--binary-path` for pyuwsgi (uWSGI as a Python package). On a reload uWSGI executes its binary again; with
    pyuwsgi that binary is the Python interpreter, and uWSGI finds the real one behind the virtual environment,
    not the environment's `python`, so the reloaded process lacks the environment's packages and exits (found
    while building notebook 03, which always passes this flag: no cell shows the failure). This environment's
    python keeps them. A compiled `uwsgi` binary needs nothing."""
    try:
        first_line = Path(uwsgi).read_bytes()[:200].split(b"\n", 1)[0]
    except OSError:
        return []
    return ["--binary-path", sys.executable] if first_line.startswith(b"#!") and b"python" in first_line else []
