"""Read uWSGI's stats server in the background while a load runs: requests per worker over time."""

from __future__ import annotations

import threading
import time

import pandas as pd
import requests

from bench.servers import Uwsgi


class StatsPoller:
    """Context manager: polls `server.stats()` every `interval` seconds into a tidy DataFrame."""

    def __init__(self, server: Uwsgi, interval: float = 0.25) -> None:
        self.server, self.interval = server, interval
        self.rows: list[dict[str, object]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            try:
                stats = self.server.stats()
            except (requests.RequestException, ValueError):
                stats = {"workers": []}
            t = time.monotonic() - started
            for worker in stats["workers"]:  # type: ignore[union-attr]
                self.rows.append({"t": t, "worker": worker["id"], "pid": worker["pid"],
                                  "requests": worker["requests"], "status": worker["status"]})
            self._stop.wait(self.interval)

    def __enter__(self) -> StatsPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def frame(self) -> pd.DataFrame:
        """One row per sample and worker: t (s), worker id, pid, cumulative requests, status."""
        return pd.DataFrame(self.rows, columns=["t", "worker", "pid", "requests", "status"])

    def served(self) -> pd.Series:
        """Requests each worker served while polling (last sample minus first)."""
        frame = self.frame
        by_worker = frame.groupby("worker")["requests"]
        return by_worker.last() - by_worker.first()
