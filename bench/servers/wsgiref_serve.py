"""Serve a WSGI callable with the standard library's reference server (one request at a time).

Usage: python -m bench.servers.wsgiref_serve module:callable PORT
"""

from __future__ import annotations

import importlib
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # one line per request would dominate
        pass


def main() -> None:
    spec, port = sys.argv[1], int(sys.argv[2])
    module, _, name = spec.partition(":")
    app = getattr(importlib.import_module(module), name or "application")
    with make_server("127.0.0.1", port, app, handler_class=_QuietHandler) as httpd:
        print(f"wsgiref serving {spec} on 127.0.0.1:{port}", flush=True)
        httpd.serve_forever()


if __name__ == "__main__":
    main()
