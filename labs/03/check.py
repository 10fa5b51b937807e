"""Lab 03 check: SIGTERM stops uWSGI, 8 KB headers work, 5 s requests are cut off, a broken app exits."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from bench.core.errors import BenchError, ServerStartError
from bench.servers import Uwsgi
from course.labs import Check

LIMIT_S = 5


def _stops_on_sigterm(ini: Path) -> Check:
    server = Uwsgi(ini=ini).start()
    try:
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=5)
            return Check("SIGTERM stops uWSGI within 5 s", True)
        except subprocess.TimeoutExpired:
            return Check("SIGTERM stops uWSGI within 5 s", False, "still running 5 s after SIGTERM (it reloaded)")
    finally:
        server.stop()


def _large_headers(ini: Path) -> Check:
    with Uwsgi(ini=ini) as server:
        try:
            status = requests.get(server.url + "/info", headers={"Cookie": "s=" + "x" * 8000}, timeout=5).status_code
        except requests.RequestException as error:
            status = type(error).__name__
    return Check("a request with an 8 KB cookie is answered", status == 200, f"got {status}")


def _runaway_cut_off(ini: Path) -> Check:
    with Uwsgi(ini=ini) as server:
        started = time.monotonic()
        with contextlib.suppress(requests.RequestException):  # cut off: an error is the expected outcome
            requests.get(server.url + f"/io?ms={(LIMIT_S + 4) * 1000}", timeout=LIMIT_S + 10)
        elapsed = time.monotonic() - started
    return Check(f"a request running over {LIMIT_S} s is cut off", elapsed < LIMIT_S + 2.5,
                 f"it ran {elapsed:.1f} s")


def _broken_app_exits(ini: Path) -> Check:
    requirement = "uWSGI exits when the app cannot be imported"
    try:
        with Uwsgi(ini=ini, app="no_such_module:app", start_timeout=6):
            return Check(requirement, False, "it answered requests without an app")
    except ServerStartError as error:
        exited = "exited with status" in str(error)
        return Check(requirement, exited, "" if exited else "it kept running without an app instead of exiting")


def check(directory: Path) -> Iterator[Check]:
    ini = directory / "uwsgi.ini"
    if not ini.exists():
        yield Check("uwsgi.ini exists", False, f"no file at {ini}")
        return
    for test in (_stops_on_sigterm, _large_headers, _runaway_cut_off, _broken_app_exits):
        try:
            yield test(ini)
        except BenchError as error:
            yield Check(test.__name__.strip("_").replace("_", " "), False, str(error).splitlines()[0])
