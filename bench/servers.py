"""Servers as context managers on free 127.0.0.1 ports: started in their own process group,
ready when they answer, logs captured, stopped by pid, recorded in the registry.

    with Gunicorn(workers=2) as g:
        requests.get(g.url + "/info")
"""

from __future__ import annotations

import atexit
import contextlib
import getpass
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import psutil
import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from bench import docker_engine, env, ports, registry
from bench.commands import shell
from bench.errors import BenchError, ServerStartError
from bench.paths import CONFIG, REPO, state_dir
from bench.templates import render_file

APP = "sample_app.wsgi:app"
READY_LINE = "Worker ready (pid:"  # logged by config/gunicorn.conf.py's post_worker_init hook
_LIVE: dict[int, Server] = {}
_ERROR_LINE = re.compile(r"\w*(Error|Exception)\b:|\[emerg\]|^Error:")


class _NotReady(Exception):
    pass


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
        _LIVE[id(self)] = self
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _check(self) -> None:
        assert self.proc is not None
        code = self.proc.poll()
        if code is not None:
            raise ServerStartError(
                f"{self.kind} exited with status {code} before answering on port {self.port}.{self._first_error()}\n"
                f"Last lines of its log ({self.log_path}):\n{self.log_tail()}"
            )
        if not self.answers():
            raise _NotReady

    def _wait_ready(self) -> None:
        try:
            for attempt in Retrying(stop=stop_after_delay(self.start_timeout), wait=wait_fixed(0.1),
                                    retry=retry_if_exception_type(_NotReady), reraise=True):
                with attempt:
                    self._check()
        except _NotReady:
            raise ServerStartError(
                f"{self.kind} did not answer on {self.url}{self.ready_path or ''} within {self.start_timeout:.0f} s. "
                f"Last lines of its log ({self.log_path}):\n{self.log_tail()}"
            ) from None

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
        _LIVE.pop(id(self), None)
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
        """Everything the server has written to stdout and stderr so far."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_text().splitlines()[-lines:]) or "(log is empty)"

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server's processes, reaped workers included."""
        total = 0.0
        for i, proc in enumerate(self.processes()):
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                total += times.user + times.system
                if i == 0:  # the master's account of workers it has already reaped
                    total += times.children_user + times.children_system
        return total

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

    def __repr__(self) -> str:
        state = f"running on {self.url}" if self.running else "stopped"
        return f"<{type(self).__name__} {state}>"


class DevServer(Server):
    """Flask's development server (werkzeug), as `flask run` starts it."""

    kind = "werkzeug"

    def __init__(self, threaded: bool = True, app: str = APP, debug: bool = False, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.threaded, self.app, self.debug = threaded, app, debug
        self.env["FLASK_DEBUG"] = "1" if debug else "0"  # debug: the interactive debugger, for the lesson only

    def command(self) -> list[str]:
        return [sys.executable, "-m", "flask", "--app", self.app, "run", "--host", ports.HOST,
                "--port", str(self.port), "--no-reload", "--debugger" if self.debug else "--no-debugger",
                "--with-threads" if self.threaded else "--without-threads"]

    def max_cores(self) -> float:
        return 1.0  # one process: its threads take turns under the GIL


class Wsgiref(Server):
    """The standard library's reference WSGI server: one request at a time."""

    kind = "wsgiref"
    ready_path = "/"

    def __init__(self, app: str = "sample_app.raw:application", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.app = app

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.wsgiref_serve", self.app, str(self.port)]

    def max_cores(self) -> float:
        return 1.0


class Gunicorn(Server):
    """gunicorn with the course's config file. Arguments left as None keep the config file's value;
    the others override it on the command line."""

    kind = "gunicorn"

    def __init__(self, workers: int | None = None, worker_class: str | None = None, threads: int | None = None,
                 app: str = APP, config: Path = CONFIG / "gunicorn.conf.py", args: Sequence[str] = (),
                 **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.workers, self.worker_class, self.threads = workers, worker_class, threads
        self.app, self.config, self.args = app, config, list(args)

    def command(self) -> list[str]:
        overrides = {"--workers": self.workers, "--worker-class": self.worker_class, "--threads": self.threads}
        flags = [part for flag, value in overrides.items() if value is not None for part in (flag, str(value))]
        return [env.require("gunicorn"), "--config", str(self.config), "--bind", f"{ports.HOST}:{self.port}",
                *flags, *self.args, self.app]

    def max_cores(self) -> float | None:
        return float(self.workers) if self.workers else None  # None: the config file's count

    def _has_ready_hook(self) -> bool:
        return READY_LINE in self.config.read_text()

    def ready_workers(self) -> list[int]:
        """Workers that have loaded the app: those the config's post_worker_init hook logged (all
        workers, for a config without the hook)."""
        pids = self.workers_pids()
        if not self._has_ready_hook() or self.log_path is None:
            return pids
        logged = set(re.findall(rf"{re.escape(READY_LINE)} (\d+)\)", self.log_path.read_text(errors="replace")))
        return [pid for pid in pids if str(pid) in logged]

    def answers(self) -> bool:
        """Ready when it answers HTTP and every worker has loaded the app."""
        return super().answers() and len(self.ready_workers()) >= (self.workers or 1)

    def workers_pids(self) -> list[int]:
        return [p.pid for p in self.processes()[1:]]

    def reload(self) -> None:
        """SIGHUP: reload the config and replace the workers gracefully."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)

    def kill_worker(self) -> int:
        """SIGKILL one worker (a crash, as far as the master can tell); return its pid."""
        pid = self.workers_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_for_workers(self, count: int, timeout: float = 30.0, exclude: Sequence[int] = ()) -> float:
        """Seconds until `count` workers (none of them in `exclude`) have loaded the app."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            live = [p for p in self.ready_workers() if p not in exclude]
            if len(live) >= count:
                return time.monotonic() - started
            time.sleep(0.02)
        raise ServerStartError(f"gunicorn did not get back to {count} workers within {timeout:.0f} s:\n"
                               f"{self.log_tail()}")


class Uwsgi(Server):
    """uWSGI with the course's ini file. protocol: "http-socket" (HTTP spoken by the workers),
    "http" (a separate router process in front) or "socket" (the binary uwsgi protocol, for nginx)."""

    kind = "uwsgi"
    stop_signal = signal.SIGINT  # uWSGI's "shut down now", whatever die-on-term says

    def __init__(self, processes: int = 2, threads: int = 1, protocol: str = "http-socket", app: str = APP,
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
        return [env.require("uwsgi"), "--ini", str(ini), f"--{self.protocol}", f"{ports.HOST}:{self.port}",
                "--module", self.app, "--processes", str(self.processes_n), "--threads", str(self.threads),
                "--home", sys.prefix, *self._stats_args(), *self.args]

    def max_cores(self) -> float:
        return float(self.processes_n + (self.protocol == "http"))  # --http adds a router process

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


class Nginx(Server):
    """nginx run as the current user from its own prefix directory, never the system service.

    `template` is a file under config/nginx/ (or an absolute path); `values` fill its @PLACEHOLDERS@
    (PORT, PREFIX and STATIC are filled in for you). `edits`: {directive: replacement} for the rendered
    config, to show what a line is for: each line starting with the directive becomes the replacement
    ("" leaves it out).
    """

    kind = "nginx"
    ready_path = "/"

    def __init__(self, template: str = "ceiling.conf", values: dict[str, object] | None = None,
                 ready_path: str = "/", edits: Mapping[str, str] | None = None, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.template, self.values, self.ready_path = CONFIG / "nginx" / template, dict(values or {}), ready_path
        self.edits = dict(edits or {})
        self.prefix: Path | None = None

    def _globals(self) -> str:
        # Settings that belong to how the bench runs nginx, not to the config a learner copies.
        directives = ["daemon off;", "pid nginx.pid;"]
        if os.geteuid() == 0:
            directives.append(f"user {getpass.getuser()};")  # workers run as us, not as 'nobody'
        return " ".join(directives)

    def command(self) -> list[str]:
        self.prefix = state_dir() / f"nginx-{self.port}"
        conf = self.prefix / "nginx.conf"
        return [env.require("nginx"), "-p", str(self.prefix), "-c", str(conf),
                "-e", str(self.prefix / "logs" / "error.log"), "-g", self._globals()]

    def prepare(self) -> None:
        assert self.prefix is not None
        for sub in ("logs", "temp"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        values = {"PORT": self.port, "PREFIX": self.prefix, "STATIC": REPO / "sample_app" / "static", **self.values}
        conf = render_file(self.template, values, self.prefix / "nginx.conf")
        if self.edits:
            conf.write_text("".join(self._edited(line) for line in conf.read_text().splitlines(keepends=True)))

    def _edited(self, line: str) -> str:
        for directive, replacement in self.edits.items():
            if line.strip().startswith(directive):
                indent = line[: len(line) - len(line.lstrip())]
                return f"{indent}{replacement}\n" if replacement else ""
        return line

    def test_config(self) -> subprocess.CompletedProcess[str]:
        """`nginx -t` on the rendered config (renders it first)."""
        if self.port is None:
            self.port = ports.free_port()
        argv = self.command()
        self.prepare()
        return subprocess.run([*argv, "-t"], capture_output=True, text=True, timeout=30)


class Redis(Server):
    """redis-server with config/redis.conf, on a free loopback port."""

    kind = "redis"
    ready_path = None  # ready when the port accepts connections

    def __init__(self, config: Path = CONFIG / "redis.conf", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.config = config

    @property
    def redis_url(self) -> str:
        return f"redis://{ports.HOST}:{self.port}/0"

    def command(self) -> list[str]:
        return [env.require("redis"), str(self.config), "--port", str(self.port), "--dir", str(state_dir())]

    def info(self) -> dict[str, str]:
        """`INFO stats` and `INFO memory` as a dict (keyspace hits and misses, memory used)."""
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            return {**client.info("stats"), **client.info("memory")}
        finally:
            client.close()


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


atexit.register(cleanup)
