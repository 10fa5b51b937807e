"""Notebook 03's task: a request stuck in a worker, the report that arrives behind it, and uWSGI's `harakiri`.

The team's uWSGI starts from the course's config/uwsgi.ini with `processes = 1` (`START`): one stuck request holds
the only worker, and the master cuts it off only after `harakiri = 30` seconds. The learner's ini changes go on
top. `stuck_beside_report` sends the stuck request, then a report a moment later, and times both.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests

from bench.servers import Uwsgi

START = {"processes": "1", "harakiri": "30"}  # the team's uWSGI: one worker, config/uwsgi.ini's harakiri
STUCK_MS, REPORT_MS = 8000, 1000  # a runaway request, and the slowest legitimate one (a report)


@dataclass(frozen=True)
class Runaway:
    harakiri: int  # seconds, as the ini ends up with it
    report: int | str  # the report's status (or what went wrong)
    report_seconds: float
    stuck: int | str  # the stuck request's status: anything but 200 means it was cut off
    stuck_seconds: float

    def __str__(self) -> str:
        return (f"harakiri {self.harakiri} s: report {self.report} after {self.report_seconds:.1f} s; "
                f"stuck request {self.stuck} after {self.stuck_seconds:.1f} s")


def _timed_get(url: str) -> tuple[int | str, float]:
    started = time.monotonic()
    try:
        status: int | str = requests.get(url, timeout=15).status_code
    except requests.RequestException as error:
        status = type(error).__name__
    return status, time.monotonic() - started


def stuck_beside_report(changes: dict[str, str], head_start: float = 0.3) -> Runaway:
    """uWSGI with `START` and `changes` on config/uwsgi.ini: a request stuck for STUCK_MS, and `head_start`
    seconds later a report of REPORT_MS; each one's status and seconds."""
    ini = {**START, **changes}
    processes = int(changes.get("workers") or ini["processes"])  # uWSGI's other name for processes
    threads = int(ini.get("threads") or 1)
    found: dict[str, tuple[int | str, float]] = {}
    with Uwsgi(processes=processes, threads=threads, ini_changes=ini) as server:
        stuck = threading.Thread(target=lambda: found.update(stuck=_timed_get(f"{server.url}/io?ms={STUCK_MS}")))
        stuck.start()
        time.sleep(head_start)
        found["report"] = _timed_get(f"{server.url}/io?ms={REPORT_MS}")
        stuck.join()
    return Runaway(int(ini["harakiri"]), *found["report"], *found["stuck"])
