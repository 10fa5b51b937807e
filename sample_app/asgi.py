"""The sample app's long-lived endpoints on ASGI, with Quart (Flask's API, async): `uvicorn sample_app.asgi:app`.

The same /stream and /ws as the Flask app (sample_app/streaming.py), with the same limits (a stream's lifetime,
the longest gap, a heartbeat; a WebSocket's largest message and idle timeout, from the same APP_* settings), plus /
and /healthz, so notebook 08 can put an ASGI server beside the WSGI ones on equal terms. Each open stream is a
coroutine waiting on the event loop, not a worker or a thread. (uvicorn also refuses WebSocket messages over its own
`--ws-max-size`, 16 MiB by default, before the app sees them.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from quart import Quart, Response, request, websocket

from sample_app.settings import Settings
from sample_app.streaming import HEARTBEAT, IDLE, MAX_EVENTS, MAX_GAP_MS, TOO_BIG, event

app = Quart(__name__)
settings = Settings.from_env()


def _bounded(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, str(default))
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be a whole number between {low} and {high}")
    return int(raw)


@app.get("/")
async def index() -> tuple[str, int, dict[str, str]]:
    return "Hello from Flask in Production (ASGI)!\n", 200, {"Content-Type": "text/plain"}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def paced(count: int, every_ms: int) -> AsyncIterator[str]:
    """streaming.paced, awaited: events `every_ms` apart, heartbeats in the gaps, nothing past the lifetime."""
    end = time.monotonic() + settings.stream_max_seconds
    for number in range(count):
        if number:
            due = min(time.monotonic() + every_ms / 1000, end)
            while (left := due - time.monotonic()) > 0:
                await asyncio.sleep(min(left, settings.stream_heartbeat_ms / 1000))
                if time.monotonic() < due:
                    yield HEARTBEAT
                    yield HEARTBEAT
            if time.monotonic() >= end:
                return
        yield event(number)


@app.get("/stream")
async def stream() -> Response | tuple[dict[str, str], int]:
    try:
        every = _bounded("every_ms", 500, 10, MAX_GAP_MS)
        count = _bounded("events", 60, 1, MAX_EVENTS)
    except ValueError as error:
        return {"error": str(error)}, 400
    response = Response(paced(count, every), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})
    response.timeout = None  # Quart ends a response after 60 s by default; the stream's own lifetime applies
    return response


@app.websocket("/ws")
async def echo() -> None:
    while True:
        try:
            message = await asyncio.wait_for(websocket.receive(), settings.ws_idle_seconds)
        except asyncio.TimeoutError:
            await websocket.close(IDLE, "idle")
            return
        if len(message) > settings.ws_max_message_bytes:
            await websocket.close(TOO_BIG, "message too big")
            return
        await websocket.send(message)
