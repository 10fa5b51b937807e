"""Notebook 02b's task: a thread the app starts at import time, under gunicorn's `--preload`.

Without preload every worker imports the app, so every worker starts its own thread. With preload the master
imports it once and then forks; `fork` copies only the thread that calls it (Python's `os.fork` docs), so the
workers get the counter's memory but no thread to move it. A `post_fork` hook in the config starts one in each
worker. The app answers "<pid> <count>"; two rounds of requests a moment apart show how far each worker's
thread counted while the worker sat idle.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import requests

from bench.core.paths import CONFIG
from bench.lessons.app_threads import MOST
from bench.servers.gunicorn import Gunicorn, extended_config

TICK = 0.01  # seconds between the thread's counts
_ticks = 0


def _count() -> None:
    global _ticks
    while True:
        time.sleep(TICK)
        _ticks += 1


def start_counter() -> None:
    """Start the counting thread in this process (what a metrics pusher or a cache refresher would be)."""
    threading.Thread(target=_count, daemon=True, name="counter").start()


start_counter()  # at import: in each worker without --preload, only in the master with it


def app(environ: dict, start_response: Callable[..., object]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{os.getpid()} {_ticks}".encode()]


def _counts(url: str, workers: int, tries: int = 200) -> dict[int, int]:
    """Each worker's count: requests until every worker has answered once."""
    seen: dict[int, int] = {}
    for _ in range(tries):
        pid, count = map(int, requests.get(url, timeout=5).text.split())
        seen.setdefault(pid, count)
        if len(seen) == workers:
            break
    return seen


def counted_while_idle(preload: bool, hook: str = "", workers: int = 2, idle: float = 1.0) -> dict[str, object]:
    """gunicorn with `workers` workers, `--preload` or not, and `hook` (config lines) added to the course's
    config: the counts each worker's thread made in `idle` seconds, and the most it could have made."""
    config: Path = extended_config(hook, "preload-threads") if hook else CONFIG / "gunicorn.conf.py"
    args = ["--preload"] if preload else []
    with Gunicorn(workers=workers, app=f"{__name__}:app", config=config, args=args) as server:
        first = _counts(server.url + "/", workers)
        time.sleep(idle)
        second = _counts(server.url + "/", workers)
    counts = [second[pid] - first[pid] for pid in first if pid in second]
    return {"preload": preload, "hook": "post_fork" if hook else "none", "workers answering": len(counts),
            "fewest counts in a worker": min(counts, default=0), MOST: round(idle / TICK)}


def every_worker_counted(row: dict[str, object], share: float = 0.5) -> bool:
    """Every worker answered, and the laziest one's thread counted at least `share` of what it could have (a
    busy machine delays the sleeps; a missing thread counts nothing)."""
    return row["workers answering"] >= 2 and row["fewest counts in a worker"] >= share * row[MOST]
