"""The servers that come with Python and Flask: werkzeug's development server and wsgiref."""

from __future__ import annotations

import sys

from bench.core import ports
from bench.servers.base import APP, Server


class DevServer(Server):
    """Flask's development server (werkzeug), as `flask run` starts it."""

    kind = "werkzeug"

    def __init__(self, threaded: bool = True, app: str = APP, debug: bool = False, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.threaded, self.app, self.debug = threaded, app, debug
        self.env["FLASK_DEBUG"] = "1" if debug else "0"  # debug: the interactive debugger, for the lesson only

    def command(self) -> list[str]:
        return [sys.executable, "-m", "flask", "--app", self.app, "run", "--host", ports.HOST,
                "--port", str(self.port), "--no-reload", "--debugger" if self.debug else "--no-debugger",
                "--with-threads" if self.threaded else "--without-threads"]

    def max_cores(self) -> float | None:
        # Without threads, one request at a time: one core at most. With them the ceiling is not one core: the
        # threads read and write sockets outside the GIL (measured on 2 cores: 1.02-1.06 cores busy under
        # locust, 1.22-1.24 under wrk), so no ceiling is known.
        return None if self.threaded else 1.0


class Wsgiref(Server):
    """The standard library's reference WSGI server: one request at a time."""

    kind = "wsgiref"
    ready_path = "/"

    def __init__(self, app: str = "sample_app.raw:application", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.app = app

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.servers.wsgiref_serve", self.app, str(self.port)]

    def max_cores(self) -> float:
        return 1.0
