"""The base of every bench server: a context manager on a free 127.0.0.1 port, started in its own process
group, ready when it answers, its log captured, stopped by pid, recorded in the registry."""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import ClassVar

import psutil
import requests

from bench.core import ports, registry
from bench.core.commands import shell
from bench.core.errors import BenchError, ServerStartError
from bench.core.paths import REPO, state_dir
from bench.core.waiting import until
from bench.host import leftovers, platforms

APP = "sample_app.wsgi:app"
_ERROR_LINE = re.compile(r"\w*(Error|Exception)\b:|\[emerg\]|^Error:")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # a terminal colour or cursor code


class Server:
    """Base class: subclasses say how to build the command line (and any config to render)."""

    kind: ClassVar[str] = "server"
    stop_signal: ClassVar[signal.Signals] = signal.SIGTERM
    ready_path: str | None = "/healthz"  # None: ready when the port accepts TCP connections

    def __init__(self, port: int | None = None, env: dict[str, str] | None = None,
                 start_timeout: float = 30.0) -> None:
        self.port = port
        self.env = dict(env or {})
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.entry: registry.Entry | None = None
        self.log_path: Path | None = None
        self._cpu_seen: dict[tuple[int, float], float] = {}  # (pid, start time) -> CPU seconds when last seen

    # -- what subclasses provide -------------------------------------------------------------
    def command(self) -> list[str]:
        raise NotImplementedError

    def max_cores(self) -> float | None:
        """The most cores this server's processes can keep busy at once (one per Python process: each has
        its own GIL), or None when it is not known. A server held to fewer cores than the machine has
        leaves the rest idle whatever the load generator does."""
        return None

    def prepare(self) -> None:
        """Render config files before start (nothing by default)."""

    # -- life cycle ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{ports.HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> Server:
        if self.proc is not None:
            return self
        if self.port is None:
            self.port = ports.free_port()
        else:
            ports.ensure_free(self.port)
        argv = self.command()  # raises MissingToolError before anything starts
        self.prepare()
        logs = state_dir() / "logs"
        logs.mkdir(exist_ok=True)
        self.log_path = logs / f"{self.kind}-{self.port}.log"
        self.proc, self.entry = registry.spawn(argv, self.log_path, self.kind, self.port, self.env, cwd=REPO)
        leftovers.track(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        """Whether the server answers yet; ServerStartError if it has exited."""
        assert self.proc is not None
        code = self.proc.poll()
        if code is not None:
            raise ServerStartError(
                f"{self.kind} exited with status {code} before answering on port {self.port}.{self._first_error()}\n"
                f"Last lines of its log ({self.log_path}):\n{self.log_tail()}"
            )
        return self.answers()

    def _wait_ready(self) -> None:
        if not until(self._ready, self.start_timeout, interval=0.1):
            raise ServerStartError(
                f"{self.kind} did not answer on {self.url}{self.ready_path or ''} within {self.start_timeout:.0f} s. "
                f"Last lines of its log ({self.log_path}):\n{self.log_tail()}"
            )

    def answers(self) -> bool:
        """True when the server accepts a connection (and its ready path returns 200)."""
        if self.ready_path is None:
            try:
                socket.create_connection((ports.HOST, self.port), timeout=1).close()
                return True
            except OSError:
                return False
        try:
            return requests.get(self.url + self.ready_path, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """Ask politely (the server's own stop signal), then SIGKILL the whole process group."""
        if self.proc is None:
            return
        group = registry.members(self.entry) if self.entry is not None else []  # while the master lives
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)  # if it will not stop, SIGKILL below
        if self.entry is not None:
            registry.kill_group(self.entry, first=signal.SIGKILL, known=group)
        self.proc.wait()
        if self.port is not None:
            ports.wait_free(self.port)
        leftovers.untrack(self)
        self.proc = None

    def shell_command(self) -> str:
        """The command line this server runs, to copy into a terminal at the repository's root (after start:
        it names the port)."""
        if self.port is None:
            raise BenchError("start the server first: its command names the port it was given")
        return shell(self.command(), self.env)

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as if the machine died (a fault to inject)."""
        if self.entry is not None:
            registry.kill_group(self.entry, first=signal.SIGKILL)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- looking inside --------------------------------------------------------------------
    def log_text(self) -> str:
        """Everything the server has written to stdout and stderr so far, without terminal colours (werkzeug's
        development server colours its log lines)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return ANSI_ESCAPE.sub("", self.log_path.read_text(errors="replace"))

    def log_count(self, text: str, at_least: int, timeout: float = 30.0) -> int:
        """How often `text` is in the log, once it is there `at_least` times or `timeout` seconds have passed (a
        worker that loads its app after the first answer logs it later, on a slow machine seconds later)."""
        deadline = time.monotonic() + timeout
        while (found := self.log_text().count(text)) < at_least and time.monotonic() < deadline:
            time.sleep(0.2)
        return found

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_text().splitlines()[-lines:]) or "(log is empty)"

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server's processes, reaped workers included.

        Linux gives the master's account of the workers it has reaped (`children_user`/`children_system`);
        macOS always gives 0 there, so a worker that exits (max_requests, a kill) takes its CPU with it: there
        the total is each process's CPU as last seen by this method, which the load's sampling calls every
        0.2 s, so only a dead worker's last fraction of a second is lost."""
        reaped_counted = not platforms.is_macos()
        current = 0.0
        for i, proc in enumerate(self.processes()):
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                used = times.user + times.system
                self._cpu_seen[(proc.pid, proc.create_time())] = used
                current += used
                if i == 0 and reaped_counted:
                    current += times.children_user + times.children_system
        return current if reaped_counted else sum(self._cpu_seen.values())

    def _first_error(self) -> str:
        """The first line of the log that names an error: usually the cause, buried above a traceback."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        for line in self.log_path.read_text(errors="replace").splitlines():
            if _ERROR_LINE.search(line):
                return f"\nFirst error in its log: {line.strip()}"
        return ""

    def processes(self) -> list[psutil.Process]:
        """The server's master process followed by its children (workers, routers)."""
        if not self.running:
            return []
        assert self.proc is not None
        master = psutil.Process(self.proc.pid)
        return [master, *master.children(recursive=True)]

    def roles(self) -> dict[int, str]:
        """Each process's role, by pid: the master, and its children."""
        processes = self.processes()
        return {proc.pid: "master" if index == 0 else "worker" for index, proc in enumerate(processes)}

    def __repr__(self) -> str:
        state = f"running on {self.url}" if self.running else "stopped"
        return f"<{type(self).__name__} {state}>"
