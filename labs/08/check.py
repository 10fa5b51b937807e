"""Lab 08 check: nginx in front of a gevent app carries WebSockets and quiet event streams, one client holds at most
10 of them, and ordinary requests still time out at 2 s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import requests

from bench.lessons.streams import Streams, answer_to_one_more, read_events
from bench.servers import Gunicorn, Nginx
from course.labs import Check, start_nginx

SOCKETS = 10  # the most long-lived connections one client may hold
QUIET = "/stream?every_ms=3000&events=3"  # an event, then 3 s of silence: longer than the 2 s API timeout


def check(directory: Path) -> Iterator[Check]:
    conf = directory / "nginx.conf"
    if not conf.exists():
        yield Check("nginx.conf exists", False, f"no file at {conf}")
        return
    with Gunicorn(workers=1, worker_class="gevent") as app:
        web = Nginx(str(conf.resolve()), values={"APP": f"127.0.0.1:{app.port}"}, ready_path="/healthz")
        yield from start_nginx(web)
        if not web.running:
            return
        try:
            yield from _checks(web.url)
        finally:
            web.stop()


def _checks(url: str) -> Iterator[Check]:
    with Streams(url, SOCKETS, kind="ws") as sockets:
        one_more = answer_to_one_more(url, kind="sse")
    yield Check(f"{SOCKETS} WebSockets open through nginx", sockets.held == SOCKETS,
                f"{sockets.held} of {SOCKETS} got their echo")
    yield Check(f"with {SOCKETS} open, one more long-lived connection from the same client is refused",
                one_more in (429, 503), f"the event stream got {one_more}")
    quiet = read_events(url, QUIET, seconds=4.5)
    yield Check("a stream quiet for 3 s between events stays open", len(quiet.seconds) >= 2 and not quiet.closed,
                f"{len(quiet.seconds)} events in 4.5 s" + (", then nginx closed it" if quiet.closed else ""))
    try:
        status = requests.get(url + "/io?ms=3000", timeout=10).status_code
    except requests.RequestException as error:
        status = type(error).__name__
    yield Check("an ordinary request slower than 2 s still gets 504 from nginx", status == 504, f"got {status}")
