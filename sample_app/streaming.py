"""Long-lived connections on the Flask app: a server-sent events stream and a WebSocket echo.

Each open stream or socket occupies whatever serves it for as long as it stays open: a sync worker, a
thread, or (under gevent) a greenlet. Notebook 08 measures what that costs on each server.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator

from flask import Flask, Response
from flask_sock import Sock

from sample_app import work

# Longest stream the app sends: a stream never outlives the client, but a bound keeps a forgotten one finite.
MAX_EVENTS = 3600


def event(number: int) -> str:
    """One server-sent event: an id and a JSON payload saying which process sent it."""
    return f"id: {number}\ndata: {json.dumps({'n': number, 'pid': os.getpid()})}\n\n"


def register(app: Flask, int_param: Callable[..., int]) -> None:
    """Add GET /stream (server-sent events) and the /ws WebSocket to `app`."""
    sock = Sock(app)

    @app.get("/stream")
    def stream() -> Response:
        # ?every_ms=N between events, ?events=N in all; the first event goes out at once.
        every = int_param("every_ms", default=500, low=10, high=60_000, unit=" of milliseconds")
        count = int_param("events", default=60, low=1, high=MAX_EVENTS)

        def events() -> Iterator[str]:
            for number in range(count):
                if number:
                    work.wait(every)
                yield event(number)

        # no-cache: a cache in between must not hold the stream; nginx reads X-Accel-Buffering too, but the
        # course's nginx config turns buffering off for /stream itself, so it does not depend on the app.
        return Response(events(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})

    @sock.route("/ws")
    def echo(ws) -> None:  # ws: flask-sock's connection (simple_websocket.Server)
        while True:
            ws.send(ws.receive())
