"""Lab 04b check: nginx serves /static/ itself and fails over between two instances under load."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import requests

from bench import run_load
from bench.servers import Gunicorn, Nginx
from course.labs import Check, start_nginx

ACCESS_LOG = ["--access-logfile", "-"]


def check(directory: Path) -> Iterator[Check]:
    conf = directory / "nginx.conf"
    if not conf.exists():
        yield Check("nginx.conf exists", False, f"no file at {conf}")
        return
    yield from _check(conf)


def _check(conf: Path) -> Iterator[Check]:
    with Gunicorn(workers=2, args=ACCESS_LOG) as a, Gunicorn(workers=1, args=ACCESS_LOG) as b:
        values = {"APP_A": f"127.0.0.1:{a.port}", "APP_B": f"127.0.0.1:{b.port}"}
        web = Nginx(str(conf.resolve()), values=values, ready_path="/io?ms=0")  # an absolute path: used as is
        yield from start_nginx(web)
        if not web.running:
            return
        try:
            static = requests.get(web.url + "/static/course.css", timeout=5)
            reached_app = "GET /static/" in a.log_text() + b.log_text()
            yield Check("/static/ is served by nginx from disk", static.status_code == 200 and not reached_app,
                        f"status {static.status_code}" + (", but the app served it" if reached_app else ""))
            result = run_load(web, "/io?ms=50", users=8, label="lab 04b", progress=False,
                              events=[(1.5, "instance B killed", b.kill)])
            served = {"A": a.log_text().count('"GET /io'), "B": b.log_text().count('"GET /io')}
            yield Check("both instances served requests", all(served.values()), f"requests served: {served}")
            yield Check("killing instance B under load cost at most one request", result.failures <= 1,
                        f"{result.failures} of {result.requests} failed")
        finally:
            web.stop()
