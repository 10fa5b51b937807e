"""uvicorn, an ASGI server: the sample app's async twin (sample_app/asgi.py, Quart) for notebook 08."""

from __future__ import annotations

from bench.core import ports
from bench.host import env
from bench.servers.base import Server

ASGI_APP = "sample_app.asgi:app"


class Uvicorn(Server):
    """uvicorn with `workers` processes, each one event loop. WebSockets through wsproto (pure Python)."""

    kind = "uvicorn"

    def __init__(self, workers: int = 1, app: str = ASGI_APP, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.workers, self.app = workers, app

    def command(self) -> list[str]:
        return [env.require("uvicorn"), self.app, "--host", ports.HOST, "--port", str(self.port),
                "--workers", str(self.workers), "--ws", "wsproto", "--log-level", "warning", "--no-access-log"]

    def max_cores(self) -> float:
        return float(self.workers)  # one event loop per process, each under its own GIL
