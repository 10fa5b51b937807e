"""Long-lived connections on the Flask app: a server-sent events stream and a WebSocket echo.

Each open stream or socket occupies whatever serves it for as long as it stays open: a sync worker, a
thread, or (under gevent) a greenlet. Notebook 08 measures what that costs on each server. So each one is
bounded here, whatever the client asks (the values come from Settings, APP_* variables):

- a stream lives at most `stream_max_seconds` (minutes, not the days 3600 events a minute apart would take),
  waits at most MAX_GAP_MS between events, and writes a heartbeat comment whenever `stream_heartbeat_ms` pass
  without an event: a server only learns that a client has gone when a write fails, so without it a departed
  client would hold its worker until the next event;
- a WebSocket message over `ws_max_message_bytes` closes the socket with 1009 (RFC 6455, section 7.4.1:
  "message too big"), and a socket quiet for `ws_idle_seconds` is closed (1000, "idle").
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator

from flask import Flask, Response
from flask_sock import Sock

from sample_app.settings import Settings

MAX_EVENTS = 3600
MAX_GAP_MS = 30_000  # the longest wait between events a client may ask for (?every_ms=)
# A comment line (RFC: lines starting with a colon are ignored by EventSource). Written twice: a write to a
# connection the client has closed succeeds once (the client's side answers it with a reset), and the second
# one fails, so the stream ends at this heartbeat rather than the next.
HEARTBEAT = ": heartbeat\n"
TOO_BIG, IDLE = 1009, 1000  # WebSocket close codes (RFC 6455, 7.4.1)

_open = {"streams": 0}  # event streams this process is serving now (/info shows it)
_lock = threading.Lock()


def open_streams() -> int:
    """Event streams this process is sending now."""
    return _open["streams"]


def event(number: int) -> str:
    """One server-sent event: an id and a JSON payload saying which process sent it."""
    return f"id: {number}\ndata: {json.dumps({'n': number, 'pid': os.getpid()})}\n\n"


def paced(count: int, every_ms: int, heartbeat_ms: int, max_seconds: float,
          clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Iterator[str]:
    """The chunks of a stream: `count` events `every_ms` apart (the first at once), a heartbeat after each
    `heartbeat_ms` without one, and nothing after `max_seconds`."""
    end = clock() + max_seconds
    for number in range(count):
        if number:
            due = min(clock() + every_ms / 1000, end)
            while (left := due - clock()) > 0:
                sleep(min(left, heartbeat_ms / 1000))
                if clock() < due:
                    yield HEARTBEAT
                    yield HEARTBEAT
            if clock() >= end:
                return
        yield event(number)


def counted(chunks: Iterator[str]) -> Iterator[str]:
    """`chunks`, counted in `open_streams()` from the first to the last (or until the client went away)."""
    with _lock:
        _open["streams"] += 1
    try:
        yield from chunks
    finally:
        with _lock:
            _open["streams"] -= 1


def register(app: Flask, int_param: Callable[..., int], settings: Settings) -> None:
    """Add GET /stream (server-sent events) and the /ws WebSocket to `app`."""
    app.config["SOCK_SERVER_OPTIONS"] = {"max_message_size": settings.ws_max_message_bytes}
    sock = Sock(app)

    @app.get("/stream")
    def stream() -> Response:
        # ?every_ms=N between events, ?events=N in all; the first event goes out at once.
        every = int_param("every_ms", default=500, low=10, high=MAX_GAP_MS, unit=" of milliseconds")
        count = int_param("events", default=60, low=1, high=MAX_EVENTS)
        chunks = paced(count, every, settings.stream_heartbeat_ms, settings.stream_max_seconds)
        # no-cache: a cache in between must not hold the stream; nginx reads X-Accel-Buffering too, but the
        # course's nginx config turns buffering off for /stream itself, so it does not depend on the app.
        return Response(counted(chunks), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})

    @sock.route("/ws")
    def echo(ws) -> None:  # ws: flask-sock's connection (simple_websocket.Server); too big: it closes with 1009
        while (message := ws.receive(timeout=settings.ws_idle_seconds)) is not None:
            ws.send(message)
        ws.close(IDLE, "idle")
