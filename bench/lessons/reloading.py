"""Does a running server pick up changed code? A two-file app in a folder of its own, edited while it runs.

    with bench.lessons.reloading.ChangingApp() as code, bench.Gunicorn(app=code.app, args=code.args) as server:
        code.write("v2")                 # change a module the app imports
        bench.lessons.reloading.answer(server)   # still "v1": a worker keeps the code it imported

The app module imports `version.py`; `write()` replaces that file, as an editor or a deploy would.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import requests

from bench.core.waiting import until
from bench.servers import Server

_APP = '''"""A WSGI app that answers with the version its module imported."""
import version


def application(environ, start_response):
    body = version.VERSION.encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''


class ChangingApp:
    """A folder holding `toy_app.py` and the `version.py` it imports; removed on exit."""

    app = "toy_app:application"

    def __init__(self, version: str = "v1") -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="changing-app-"))
        (self.folder / "toy_app.py").write_text(_APP)
        self.args = ["--chdir", str(self.folder)]  # gunicorn imports the app from the folder
        self.write(version)

    def write(self, version: str) -> None:
        """Replace version.py (a new file moved into place, as deploy tools do), and its cached bytecode with it.

        Python reuses `__pycache__/version.*.pyc` while the source's size and modification time, in whole seconds,
        match what the .pyc recorded (PEP 552, timestamp-based pycs). "v1" → "v2" keeps the size, and here the
        change comes within the second of the import, so a new worker would import the stale bytecode and answer
        "v1" (seen as an unprivileged user, whose Python writes .pyc files; PYTHONDONTWRITEBYTECODE hid it as root).
        A real deploy ships a fresh tree; this one removes the cache."""
        fresh = self.folder / "version.py.new"
        fresh.write_text(f"VERSION = {version!r}\n")
        fresh.replace(self.folder / "version.py")
        shutil.rmtree(self.folder / "__pycache__", ignore_errors=True)

    def __enter__(self) -> ChangingApp:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def answer(server: Server) -> str:
    """What the server answers now."""
    return requests.get(server.url + "/", timeout=5).text


def seconds_until(server: Server, expected: str, timeout: float = 10.0) -> float | None:
    """Seconds until the server answers `expected` (polled every 50 ms), None if it never did in `timeout`."""
    # connection errors while workers are being replaced are waited out
    waited = until(lambda: answer(server) == expected, timeout, interval=0.05, errors=(requests.RequestException,))
    return waited.seconds if waited else None


def gunicorn_picks_up() -> tuple[dict[str, str], float | None]:
    """The version gunicorn serves after the app's code changed to v2, five ways (notebook 02b): workers left
    running; `kill -HUP`; HUP with `--preload`; a full restart with `--preload`; `--reload`'s file watcher. Also
    the seconds `--reload` took to serve the new code (None: it never did)."""
    import time

    from bench.servers import Gunicorn

    picked = {}
    with ChangingApp("v1") as code:
        with Gunicorn(workers=2, app=code.app, args=code.args) as server:
            code.write("v2")
            time.sleep(2)  # time enough for any watcher, had there been one
            picked["nothing (workers keep running)"] = answer(server)
            server.reload()  # kill -HUP: new workers import the app again
            picked["kill -HUP"] = "v2" if seconds_until(server, "v2") is not None else answer(server)
        code.write("v1")
        with Gunicorn(workers=2, app=code.app, args=[*code.args, "--preload"]) as server:
            code.write("v2")
            old = server.workers_pids()
            server.reload()
            server.wait_for_workers(2, exclude=old)  # every worker replaced ...
            picked["kill -HUP with --preload"] = answer(server)  # ... by a fork of the master's old copy
        with Gunicorn(workers=2, app=code.app, args=[*code.args, "--preload"]) as server:
            picked["a full restart with --preload"] = answer(server)
        code.write("v1")
        with Gunicorn(workers=2, app=code.app, args=[*code.args, "--reload"]) as server:
            code.write("v2")
            reload_seconds = seconds_until(server, "v2")
            picked["--reload (a file watcher)"] = answer(server)
    return picked, reload_seconds
