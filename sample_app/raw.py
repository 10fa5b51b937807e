"""WSGI with no framework: the whole contract is one callable and `start_response`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Answer every request with a line naming its method and path."""
    body = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO') or '/'}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class Timing:
    """Middleware: wraps any WSGI app and adds an `X-Elapsed-ms` header to its responses."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()

        def timed_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            elapsed = (time.perf_counter() - started) * 1000
            return start_response(status, [*headers, ("X-Elapsed-ms", f"{elapsed:.3f}")], exc_info)

        return self.app(environ, timed_start_response)
