"""Unit tests for the helpers notebooks 02b and 03 use during a load run: `faults.KillWorker` (kill a gunicorn
worker, time its replacement) and `uwsgi_stats.StatsPoller` (requests per worker from uWSGI's stats server)."""

from __future__ import annotations

import time

import pandas as pd
import pytest
import requests

import bench
from bench.lessons.faults import KillWorker
from bench.lessons.uwsgi_stats import StatsPoller


def test_kill_worker_times_the_replacement() -> None:
    with bench.Gunicorn(workers=2) as server:
        before = set(server.workers_pids())
        event = KillWorker(server)
        event()
        seconds = event.respawn_seconds
        after = set(server.workers_pids())
    assert event.killed_pid in before and event.killed_pid not in after
    assert len(after) == 2 and 0 < seconds < 30


def test_kill_worker_says_when_it_never_ran() -> None:
    with bench.Gunicorn(workers=1) as server, pytest.raises(RuntimeError, match="never killed"):
        KillWorker(server).respawn_seconds  # noqa: B018 (the property is what is tested)


def _settled_counts(server: bench.Uwsgi) -> pd.Series:
    """Requests each worker has served, once two reads 0.2 s apart agree: uWSGI counts a request after answering it,
    so the start-up probe's can land late (on one core a run counted 41 of 40)."""
    def counts() -> pd.Series:
        return pd.Series({w["id"]: w["requests"] for w in server.stats()["workers"]})
    last, deadline = counts(), time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = counts()
        if now.equals(last):
            break
        last = now
    return last


def test_stats_poller_counts_what_each_worker_served() -> None:
    with bench.Uwsgi(processes=2, stats=True) as server, StatsPoller(server, interval=0.1) as poller:
        before = _settled_counts(server)
        for _ in range(40):
            requests.get(server.url + "/", timeout=5).raise_for_status()
        time.sleep(0.3)
    frame, served = poller.frame, poller.served()
    assert list(frame.columns) == ["t", "worker", "pid", "requests", "status"]
    during = frame.groupby("worker")["requests"].last() - before
    assert set(served.index) == {1, 2} and during.sum() == 40 and served.sum() >= 40


class _Broken:
    def stats(self) -> dict:
        raise requests.ConnectionError("no stats server")


def test_stats_poller_survives_a_stats_server_that_does_not_answer() -> None:
    with StatsPoller(_Broken(), interval=0.05) as poller:  # type: ignore[arg-type]
        time.sleep(0.2)
    assert poller.frame.empty and poller.served().empty
