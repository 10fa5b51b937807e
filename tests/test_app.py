"""The sample app through Flask's test client."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from sample_app import create_app, quotes
from sample_app.raw import Timing, application
from sample_app.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(quotes_db=tmp_path / "quotes.sqlite3", max_upload_bytes=1000, trusted_proxies=0,
                    max_work_ms=500)


@pytest.fixture
def client(settings: Settings):
    return create_app(settings).test_client()


def test_index_and_probes(client) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_readyz_fails_on_empty_database(settings: Settings) -> None:
    app = create_app(settings)
    import sqlite3

    with sqlite3.connect(settings.quotes_db) as db:
        db.execute("DELETE FROM quotes")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503


@pytest.mark.parametrize("route", ["/cpu", "/io"])
def test_work_routes(client, route: str) -> None:
    body = client.get(f"{route}?ms=5").get_json()
    assert body["ms"] == 5


def test_cpu_does_work(client) -> None:
    assert client.get("/cpu?ms=20").get_json()["rounds"] > 0


@pytest.mark.parametrize("query, message", [
    ("ms=abc", "whole number"), ("ms=-1", "between 0 and 500"), ("ms=501", "between 0 and 500"), ("ms=1.5", "whole"),
])
def test_bad_ms_is_400_with_reason(client, query: str, message: str) -> None:
    response = client.get(f"/io?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_quote(client) -> None:
    body = client.get("/quote").get_json()
    assert body["text"] and body["author"]
    assert "measure" in client.get("/quote?q=measure").get_json()["text"].lower()
    assert client.get("/quote?q=zzzz-nothing").status_code == 404


def test_quotes_build_is_idempotent(tmp_path: Path) -> None:
    path = quotes.build(tmp_path / "q.sqlite3")
    before = path.stat().st_mtime_ns
    assert quotes.build(path).stat().st_mtime_ns == before
    assert quotes.random_quote(path) is not None


def test_info(client) -> None:
    body = client.get("/info").get_json()
    assert {"pid", "hostname", "server", "concurrency", "remote_addr", "scheme"} <= body.keys()


def test_static_file(client) -> None:
    response = client.get("/static/course.css")
    assert response.status_code == 200 and b"font-family" in response.data


def test_upload_and_body_limit(client) -> None:
    payload = b"x" * 900
    body = client.post("/upload", data=payload).get_json()
    assert body == {"bytes": 900, "sha256": hashlib.sha256(payload).hexdigest()}
    assert client.post("/upload", data=b"x" * 1001).status_code == 413


def test_unknown_route_is_json_404(client) -> None:
    response = client.get("/nope")
    assert response.status_code == 404 and response.get_json()["error"] == "Not Found"


def test_proxy_headers_trusted_only_when_configured(settings: Settings) -> None:
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    plain = create_app(settings).test_client().get("/info", headers=headers).get_json()
    assert plain["remote_addr"] == "127.0.0.1" and plain["scheme"] == "http"
    trusting = Settings(**{**settings.__dict__, "trusted_proxies": 1})
    fixed = create_app(trusting).test_client().get("/info", headers=headers).get_json()
    assert fixed["remote_addr"] == "203.0.113.9" and fixed["scheme"] == "https"


def test_debug_is_off(client) -> None:
    assert client.application.debug is False


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APP_QUOTES_DB", str(tmp_path / "x.db"))
    monkeypatch.setenv("APP_MAX_UPLOAD_BYTES", "42")
    s = Settings.from_env()
    assert s.quotes_db == tmp_path / "x.db" and s.max_upload_bytes == 42
    monkeypatch.setenv("APP_MAX_UPLOAD_BYTES", "lots")
    with pytest.raises(ValueError, match="APP_MAX_UPLOAD_BYTES must be a whole number"):
        Settings.from_env()


def test_raw_wsgi_app_and_timing_middleware() -> None:
    from wsgiref.util import setup_testing_defaults

    environ: dict = {}
    setup_testing_defaults(environ)
    seen: list = []
    body = b"".join(Timing(application)(environ, lambda status, headers, exc=None: seen.append((status, headers))))
    assert body == b"GET /\n"
    status, headers = seen[0]
    assert status == "200 OK" and "X-Elapsed-ms" in dict(headers)


def test_dataset_is_built_at_start_up(tmp_path: Path) -> None:
    settings = Settings(quotes_db=tmp_path / "q.sqlite3", max_upload_bytes=1000, trusted_proxies=0,
                        max_work_ms=500, dataset_mb=3)
    assert create_app(settings).test_client().get("/info").get_json()["dataset_mb"] == 3


def test_degraded_instance_adds_latency(tmp_path: Path) -> None:
    import time

    settings = Settings(quotes_db=tmp_path / "q.sqlite3", max_upload_bytes=1000, trusted_proxies=0,
                        max_work_ms=500, degraded_ms=30)
    client = create_app(settings).test_client()
    started = time.perf_counter()
    assert client.get("/healthz").status_code == 200
    assert time.perf_counter() - started >= 0.03


def _quote_app(tmp_path, cache: str):
    return create_app(Settings(quotes_db=tmp_path / "q.sqlite3", max_upload_bytes=1024, trusted_proxies=0,
                               max_work_ms=1000, cache=cache, cache_seconds=60)).test_client()


def test_simple_cache_serves_the_same_quote_until_it_expires(tmp_path) -> None:
    client = _quote_app(tmp_path, "simple")
    first = client.get("/quote").get_json()
    assert all(client.get("/quote").get_json() == first for _ in range(20))
    assert client.get("/quote?q=the").status_code == 200  # its own cache entry


def test_without_cache_quotes_vary(tmp_path) -> None:
    client = _quote_app(tmp_path, "none")
    assert len({client.get("/quote").get_json()["id"] for _ in range(30)}) > 1


def test_unknown_cache_type_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("APP_CACHE", "memcached")
    with pytest.raises(ValueError, match="APP_CACHE must be one of"):
        Settings.from_env()


def test_info_reports_cpu_and_uid(client) -> None:
    body = client.get("/info").get_json()
    assert body["cpu_count"] == os.cpu_count() and body["uid"] == os.getuid()


def test_stream_sends_server_sent_events_and_checks_its_parameters(client) -> None:
    response = client.get("/stream?every_ms=10&events=3")
    assert response.mimetype == "text/event-stream" and response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert body.count("data: ") == 3 and body.startswith("id: 0\ndata: ")
    assert client.get("/stream?every_ms=1").status_code == 400
    assert client.get("/stream?events=0").status_code == 400


def test_the_asgi_twin_has_the_same_long_lived_endpoints() -> None:
    import asyncio

    from sample_app.asgi import app as asgi_app

    async def exchange() -> tuple[str, int, str]:
        client = asgi_app.test_client()
        stream = await client.get("/stream?every_ms=10&events=2")
        bad = await client.get("/stream?every_ms=x")
        async with client.websocket("/ws") as ws:
            await ws.send("ping")
            echo = await ws.receive()
        return await stream.get_data(as_text=True), bad.status_code, echo

    body, bad_status, echo = asyncio.run(exchange())
    assert body.count("data: ") == 2 and bad_status == 400 and echo == "ping"


class _Clock:
    """A fake monotonic clock that `sleep` advances."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_quiet_stream_sends_heartbeats_and_ends_at_its_lifetime() -> None:
    from sample_app.streaming import HEARTBEAT, paced

    clock = _Clock()
    chunks = list(paced(count=100, every_ms=12_000, heartbeat_ms=5_000, max_seconds=30, clock=clock,
                        sleep=clock.sleep))
    events = [c for c in chunks if c.startswith("id:")]
    assert len(events) == 3  # at 0, 12 and 24 s; the next would come at 36 s, past the 30 s lifetime
    assert chunks[:5] == [events[0], HEARTBEAT, HEARTBEAT, HEARTBEAT, HEARTBEAT]  # at 5 and 10 s: two writes each
    assert clock.now == 30  # it ended at its lifetime, not later
    other = _Clock()
    busy = list(paced(count=3, every_ms=1_000, heartbeat_ms=5_000, max_seconds=30, clock=other, sleep=other.sleep))
    assert HEARTBEAT not in busy  # events more often than the heartbeat need none


def test_the_longest_gap_between_events_is_bounded(client) -> None:
    from sample_app.streaming import MAX_GAP_MS

    assert client.get(f"/stream?every_ms={MAX_GAP_MS + 1}").status_code == 400


@pytest.mark.parametrize("name", ["APP_STREAM_MAX_SECONDS", "APP_STREAM_HEARTBEAT_MS", "APP_WS_MAX_MESSAGE_BYTES",
                                  "APP_WS_IDLE_SECONDS"])
def test_long_lived_limits_cannot_be_turned_off(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, "0")
    with pytest.raises(ValueError, match=name):
        Settings.from_env()


def test_the_asgi_twin_keeps_the_same_websocket_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from quart.testing.connections import WebsocketDisconnectError

    from sample_app import asgi

    monkeypatch.setattr(asgi, "settings", Settings(**{**asgi.settings.__dict__, "ws_idle_seconds": 1}))

    async def close_codes() -> list[int]:
        codes = []
        client = asgi.app.test_client()
        for message in ("x" * (asgi.settings.ws_max_message_bytes + 1), None):  # too big; then nothing at all
            async with client.websocket("/ws") as ws:
                if message is not None:
                    await ws.send(message)
                try:
                    await ws.receive()
                except WebsocketDisconnectError as closed:
                    codes.append(closed.args[0])
        return codes

    assert asyncio.run(close_codes()) == [1009, 1000]
