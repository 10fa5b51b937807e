"""The sample app's long-lived endpoints on ASGI, with Quart (Flask's API, async): `uvicorn sample_app.asgi:app`.

The same /stream and /ws as the Flask app (sample_app/streaming.py), plus / and /healthz, so notebook 08 can put
an ASGI server beside the WSGI ones on equal terms. Each open stream is a coroutine waiting on the event loop,
not a worker or a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from quart import Quart, Response, request, websocket

from sample_app.streaming import MAX_EVENTS, event

app = Quart(__name__)


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


@app.get("/stream")
async def stream() -> Response | tuple[dict[str, str], int]:
    try:
        every = _bounded("every_ms", 500, 10, 60_000)
        count = _bounded("events", 60, 1, MAX_EVENTS)
    except ValueError as error:
        return {"error": str(error)}, 400

    async def events() -> AsyncIterator[str]:
        for number in range(count):
            if number:
                await asyncio.sleep(every / 1000)
            yield event(number)

    response = Response(events(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})
    response.timeout = None  # Quart ends a response after 60 s by default; the stream's own bound applies
    return response


@app.websocket("/ws")
async def echo() -> None:
    while True:
        await websocket.send(await websocket.receive())
