"""Faults injected during a load run, timed: kill a worker and measure how fast it comes back; kill one of two
instances behind nginx and count what the clients saw."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import requests

from bench.core import mode
from bench.load.result import LoadResult
from bench.load.runner import run_load
from bench.servers import Gunicorn, proxy


class KillWorker:
    """An event for `run_load`: SIGKILL one gunicorn worker, then time its replacement in a thread."""

    def __init__(self, server: Gunicorn) -> None:
        self.server = server
        self.killed_pid: int | None = None
        self._respawn: float | None = None
        self._thread: threading.Thread | None = None

    def __call__(self) -> None:
        expected = len(self.server.workers_pids())
        self.killed_pid = self.server.kill_worker()
        self._thread = threading.Thread(target=self._time_respawn, args=(expected,), daemon=True)
        self._thread.start()

    def _time_respawn(self, expected: int) -> None:
        assert self.killed_pid is not None
        self._respawn = self.server.wait_for_workers(expected, exclude=[self.killed_pid])

    @property
    def respawn_seconds(self) -> float:
        """Seconds from the kill until the master had a full set of workers again."""
        if self._thread is None:
            raise RuntimeError("the worker was never killed: was the event scheduled inside the load?")
        self._thread.join(timeout=60)
        if self._respawn is None:
            raise RuntimeError("the killed worker was not replaced")
        return self._respawn


@dataclass
class Failover:
    """One run through nginx in front of two instances, instance B killed 1.5 s in."""

    run: LoadResult
    workers_killed: int  # B's workers: the most responses that can have been under way when it died
    survivor_only: bool  # afterwards every request was answered, and only by instance A


def kill_one_of_two(label: str, edits: dict[str, str] | None = None) -> Failover:
    """Two gunicorns behind nginx (the course's config, with `edits`), load through it, instance B killed
    outright (master and workers) 1.5 s in. The client never retries (locust's HttpUser), so every failure nginx
    did not hide is counted; then 20 more requests say who answers now."""
    with Gunicorn(workers=2) as a, Gunicorn(workers=2) as b, proxy(a, b, edits=edits) as web:
        b_pids = {p.pid for p in b.processes()}
        run = run_load(web, "/io?ms=20", users=8, duration=mode.pick(4, 10), label=label,
                       events=[(1.5, "instance B killed", b.kill)], user_class="plain")
        after = [requests.get(web.url + "/info", timeout=5) for _ in range(20)]  # no retry: some would hit B
    answered_by = {answer.json()["pid"] for answer in after if answer.ok}
    return Failover(run, b.workers, all(answer.ok for answer in after) and answered_by.isdisjoint(b_pids))
