"""Notebook 03's `enable-threads` experiment: does a thread the app starts itself (a metrics pusher, a cache
refresher) run inside a uWSGI worker while the worker waits for requests?

uWSGI's docs say the Python plugin does not set up the GIL for app threads unless `enable-threads` (or any `threads`
option) is on; issues unbit/uwsgi#1141 and #1256 report threads running without it. The app below starts a thread that
counts every TICK (started in the worker: a thread started at import, in uWSGI's master, does not survive the fork);
two requests a moment apart show how far it counted in between, while the worker sat idle.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable

import requests

from bench.servers import Uwsgi

TICK = 0.01  # seconds between the thread's counts
MOST = "if it always ran (idle ÷ tick)"  # what a thread that never stopped would count: computed, not measured
_ticks = 0
_started: set[int] = set()  # the pids the counter runs in: a thread does not survive the fork into a worker


def _count() -> None:
    global _ticks
    while True:
        time.sleep(TICK)
        _ticks += 1


def app(environ: dict, start_response: Callable[..., object]) -> Iterable[bytes]:
    """Starts the counting thread in this worker on its first request; answers how far it has counted."""
    if os.getpid() not in _started:
        _started.add(os.getpid())
        threading.Thread(target=_count, daemon=True, name="counter").start()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(_ticks).encode()]


def counted_while_idle(enable_threads: bool, idle: float = 1.0) -> dict[str, object]:
    """One uWSGI worker with or without `enable-threads`: how many of its `idle / TICK` counts the app's thread
    made while the worker waited between two requests."""
    # uWSGI turns thread support on for any `threads` option, whatever its value: the run without leaves out both
    changes: dict[str, str | None] = {} if enable_threads else {"enable-threads": None, "threads": None}
    with Uwsgi(processes=1, threads=1 if enable_threads else None, app=f"{__name__}:app",
               ini_changes=changes) as server:
        first = int(requests.get(server.url + "/", timeout=5).text)
        time.sleep(idle)
        second = int(requests.get(server.url + "/", timeout=5).text)
        said = [line for line in server.log_text().splitlines() if "threads support" in line]
    return {"enable-threads": "on" if enable_threads else "off (it and `threads` removed)",
            "counts while idle": second - first, MOST: round(idle / TICK),
            "uWSGI's log": said[0] if said else ""}
