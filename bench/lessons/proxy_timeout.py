"""Notebook 04a's timeouts: what a proxy's read timeout does to a slow request, seen from both ends. The client
gets nginx's 504; the worker, which nothing told, goes on and answers a connection nobody reads any more."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping

import requests

from bench.core.waiting import until
from bench.servers import Gunicorn, proxy

ACCESS_FORMAT = "%(r)s %(s)s %(L)s"  # request line, status, seconds it took (gunicorn's access-log atoms)


def worker_answers(app: Gunicorn, path: str) -> tuple[int, float] | None:
    """The status and seconds of `path`'s line in the app's access log, once it is there."""
    pattern = re.compile(rf"GET {re.escape(path)} HTTP/1\.\d (\d{{3}}) ([\d.]+)")
    found = pattern.findall(app.log_text())
    return (int(found[-1][0]), float(found[-1][1])) if found else None


def both_ends(edits: Mapping[str, str] | None, path: str = "/io?ms=3000") -> dict[str, object]:
    """One slow request through nginx (with `edits` to its config) to a gthread worker with an access log: what
    the client got and when, and what the worker answered and how long it worked."""
    app = Gunicorn(workers=1, worker_class="gthread", threads=2,
                   args=["--access-logfile", "-", "--access-logformat", ACCESS_FORMAT])
    with app, proxy(app, edits=edits) as web:
        started = time.monotonic()
        client = requests.get(web.url + path, timeout=30).status_code
        client_seconds = time.monotonic() - started
        until(lambda: worker_answers(app, path) is not None, timeout=30, interval=0.1)
        worker, worker_seconds = worker_answers(app, path) or (0, float("nan"))
    return {"client got": client, "client waited s": round(client_seconds, 2), "worker answered": worker,
            "worker worked s": round(worker_seconds, 2)}
