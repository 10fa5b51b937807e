"""granian, a Rust HTTP server that also runs WSGI apps: one of the servers learners now hear about."""

from __future__ import annotations

from bench.core import ports
from bench.host import env
from bench.servers.base import APP, Server


class Granian(Server):
    """granian with its WSGI interface: `workers` processes, each running the app in its blocking threads."""

    kind = "granian"

    def __init__(self, workers: int = 1, app: str = APP, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.workers, self.app = workers, app

    def command(self) -> list[str]:
        return [env.require("granian"), "--interface", "wsgi", "--host", ports.HOST, "--port", str(self.port),
                "--workers", str(self.workers), "--log-level", "warning", "--no-access-log", self.app]

    def max_cores(self) -> float:
        return float(self.workers)  # the app runs in each worker's Python, under that worker's GIL
