"""bench.lessons.streams: long-lived connections held open against real servers (small counts, a few seconds)."""

from __future__ import annotations

import pytest

import bench
from bench.core.errors import BenchError
from bench.lessons.streams import Streams, holding, probe, read_events


def test_only_loopback_and_known_kinds() -> None:
    with pytest.raises(BenchError):
        Streams("http://example.com", 1)
    with pytest.raises(ValueError, match="kind"):
        Streams("http://127.0.0.1:9", 1, kind="smoke")


def test_a_sync_worker_holds_one_stream_and_gevent_holds_them_all() -> None:
    with bench.Gunicorn(workers=1, worker_class="sync") as server:
        sync = holding(server.url, 3, probes=2, first_within=1.5, probe_timeout=1)
    with bench.Gunicorn(workers=1, worker_class="gevent") as server:
        gevent = holding(server.url, 3, probes=2, first_within=1.5, probe_timeout=1)
        sockets = holding(server.url, 3, kind="ws", probes=2, first_within=1.5)
    assert (sync["held"], sync["ordinary answered"]) == (1, 0)
    assert (gevent["held"], gevent["ordinary answered"]) == (3, 2)
    assert sockets["held"] == 3


def test_read_events_times_each_event_and_sees_the_end() -> None:
    with bench.Uvicorn() as server:
        events = read_events(server.url, "/stream?every_ms=200&events=3", seconds=2)
        answered = probe(server.url, count=3)
    assert len(events.seconds) == 3 and events.closed is False  # keep-alive: the stream ended, the socket did not
    assert all(0.1 < gap < 0.4 for gap in events.gaps)
    assert answered.answered == 3 and answered.p95_ms > 0
