"""app.conf's caps on long-lived connections fit what one nginx worker (its worker_connections; nginx raises its
own open-file limit to worker_rlimit_nofile) and the streams server (its worker_connections, at the common
open-file limit of 1024) hold: every stream past the caps is refused with 429, none is dropped, and the app still
answers meanwhile. The streams config's open-file hook is tested on its own below."""

from __future__ import annotations

import resource
from collections import Counter
from contextlib import ExitStack

import pytest
import requests

from bench.core.paths import CONFIG
from bench.lessons.streams import Streams, limits_in
from bench.servers import Gunicorn, proxy, streams_server

QUIET = "/stream?every_ms=20000&events=3"  # the first event at once, then quiet: this holds, it does not stream
EXTRA = 40  # streams past the total cap: each must get a 429
COMMON_LIMIT = 1024


@pytest.mark.load
def test_one_nginx_worker_holds_every_stream_the_caps_allow_at_1024_open_files() -> None:
    limits = limits_in((CONFIG / "nginx" / "app.conf").read_text())
    total, per_client = limits["streams_total"], limits["streams_per_client"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < total + EXTRA + 64:
        pytest.skip(f"this process may open {hard} files at most: too few to open {total + EXTRA} streams")
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(COMMON_LIMIT, hard), hard))  # what the servers inherit
    try:
        app, streams, one_worker = Gunicorn(workers=1), streams_server(), {"worker_processes": "worker_processes 1;"}
        with app, streams, proxy(app, streams=[streams], edits=one_worker) as web, ExitStack() as held:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))  # the servers have theirs; the clients need more
            clients = [f"127.0.1.{n + 1}" for n in range(-(-(total + EXTRA) // per_client))]
            opened = []
            for n, address in enumerate(clients):
                count = min(per_client, total + EXTRA - n * per_client)
                opened.append(held.enter_context(Streams(web.url, count, path=QUIET, source=address,
                                                         first_within=5.0)))
            healthz = requests.get(web.url + "/healthz", timeout=5).status_code
            outcomes = sum((Counter(s.outcomes()) for s in opened), Counter())
            errors = (web.prefix / "logs" / "error.log").read_text(errors="replace") if web.prefix else ""
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert outcomes == {"held": total, "refused 429": EXTRA}, outcomes
    assert healthz == 200
    assert "Too many open files" not in errors


def test_the_streams_server_raises_its_open_file_limit_or_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    hook = runpy.run_path(str(CONFIG / "gunicorn-streams.conf.py"))["on_starting"]
    needed = runpy.run_path(str(CONFIG / "gunicorn-streams.conf.py"))["OPEN_FILES_NEEDED"]
    warned: list[str] = []
    log = type("Log", (), {"warning": lambda self, *args: warned.append(args[0] % args[1:])})()
    server = type("Arbiter", (), {"log": log})()
    limits = {"now": (256, 10_240)}  # macOS's soft limit, a hard one above what is needed
    monkeypatch.setattr(resource, "getrlimit", lambda which: limits["now"])
    monkeypatch.setattr(resource, "setrlimit", lambda which, value: limits.update(now=value))
    hook(server)
    assert limits["now"] == (needed, 10_240) and not warned
    limits["now"] = (256, 300)  # a hard limit below it: raised as far as it goes, and said
    hook(server)
    assert limits["now"] == (300, 300) and warned and "ulimit -n" in warned[0]
