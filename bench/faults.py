"""Faults injected during a load run, timed: kill a worker and measure how fast it comes back."""

from __future__ import annotations

import threading

from bench.servers import Gunicorn


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
