"""gunicorn, with the course's config/gunicorn.conf.py."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bench.core import ports
from bench.core.errors import ServerStartError
from bench.core.paths import CONFIG, REPO, state_dir
from bench.core.waiting import until
from bench.host import env
from bench.servers.base import APP, Server

READY_LINE = "Worker ready (pid:"  # logged by config/gunicorn.conf.py's post_worker_init hook


def extended_config(lines: str, name: str) -> Path:
    """A copy of the course's gunicorn.conf.py with `lines` (settings, hooks) added at its end, where a later
    assignment wins: what a learner's change to the file would be. Written to the bench's state directory."""
    path = state_dir() / f"gunicorn-{name}.conf.py"
    base = (CONFIG / "gunicorn.conf.py").read_text()
    path.write_text(f"{base}\n\n# added for this experiment\n{lines}\n")
    return path


def resolved(config: Path, app: str = APP) -> dict[str, str]:
    """Every setting as gunicorn resolves it from `config` (`gunicorn --print-config`): what a worker would run
    with, the config's own logic and gunicorn's defaults applied."""
    done = subprocess.run([env.require("gunicorn"), "--print-config", "--config", str(config), app],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    if done.returncode:
        raise ServerStartError(f"gunicorn cannot read {config}:\n{(done.stderr or done.stdout)[-1500:]}")
    return {name.strip(): value.strip() for name, _, value in
            (line.partition(" = ") for line in done.stdout.splitlines()) if value}


class Gunicorn(Server):
    """gunicorn with the course's config file. Arguments left as None keep the config file's value;
    the others override it on the command line."""

    kind = "gunicorn"

    def __init__(self, workers: int | None = None, worker_class: str | None = None, threads: int | None = None,
                 app: str = APP, config: Path = CONFIG / "gunicorn.conf.py", args: Sequence[str] = (),
                 protocol: str = "http", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.workers, self.worker_class, self.threads = workers, worker_class, threads
        self.app, self.config, self.args = app, config, list(args)
        if protocol == "uwsgi":  # gunicorn 24+: the uwsgi protocol, for nginx's uwsgi_pass; it answers no HTTP
            self.args += ["--protocol", "uwsgi"]
            self.ready_path = None
        elif protocol != "http":
            raise ValueError(f"protocol must be http or uwsgi, got {protocol!r}")

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

    def thread_counts(self) -> list[int]:
        """How many threads each worker runs now (a gthread worker: its pool, once used, and its main thread)."""
        return [p.num_threads() for p in self.processes()[1:]]

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
        waited = until(lambda: len([p for p in self.ready_workers() if p not in exclude]) >= count, timeout,
                       interval=0.02)
        if waited:
            return waited.seconds
        raise ServerStartError(f"gunicorn did not get back to {count} workers within {timeout:.0f} s:\n"
                               f"{self.log_tail()}")


STREAMS_CONFIG = CONFIG / "gunicorn-streams.conf.py"


def streams_server(**kw: object) -> Gunicorn:
    """gunicorn as config/nginx/app.conf's `streams` upstream expects it: gevent workers for /stream and /ws
    (config/gunicorn-streams.conf.py)."""
    return Gunicorn(config=STREAMS_CONFIG, **kw)  # type: ignore[arg-type]
