"""Notebook 04b's rate limit: a flood of requests to `/cpu` through nginx's `limit_req`, counted at both ends.
nginx's side is what the clients got (accepted, or refused with a status); the app's side is gunicorn's access
log, which shows whether a refused request ever reached Python."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bench.core.paths import CONFIG
from bench.load.result import LoadResult
from bench.load.runner import run_load
from bench.servers import Gunicorn, proxy

LAST_REQUESTS = 8  # one per user: the requests cut off as a run ends, which nginx may have let through unanswered


@dataclass(frozen=True)
class Flood:
    run: LoadResult
    accepted: int  # requests nginx let through (answered without an error)
    app_served: int  # requests gunicorn's access log shows
    statuses: tuple[str, ...]  # the statuses of the refused ones

    @property
    def seconds(self) -> float:
        return self.run.requests / self.run.rps if self.run.rps else 0.0

    @property
    def accepted_per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def row(self) -> dict[str, object]:
        return {"accepted req/s": round(self.accepted_per_second, 1), "refused": self.run.failures,
                "refused with": ", ".join(self.statuses) or "—", "app served": self.app_served,
                "nginx let through": self.accepted}

    def keeps_to(self, rate: float, burst: int, slack: float = 0.15) -> bool:
        """What got through is at most `rate` per second (plus `slack` for timing) and the burst, spread over the
        run, and at least 70% of `rate`: a limit set lower than asked also fails."""
        most = rate * (1 + slack) + burst / self.seconds
        return 0.7 * rate <= self.accepted_per_second <= most


def flood(edits: Mapping[str, str] | None = None, users: int = 8, path: str = "/cpu?ms=1") -> Flood:
    """`users` clients asking as fast as they can for `path`, through nginx with `edits` to app.conf."""
    with Gunicorn(workers=2, args=["--access-logfile", "-"]) as app, proxy(app, edits=edits) as web:
        # quiet: the flood's rate is not the point, what got through is
        run = run_load(web, path, users=users, label="a flood through limit_req", quiet=True)
        time.sleep(0.5)  # the last access-log lines reach the log
        served = app.log_text().count("GET /cpu")
    refused = run.failure_messages["Error"] if run.failures else []
    statuses = sorted({m.group(1) for text in refused for m in [re.search(r"(\d{3})", str(text))] if m})
    return Flood(run, run.requests - run.failures, served, tuple(statuses))


def reports_changed(edits: Mapping[str, str] | None) -> list[str]:
    """The lines of app.conf's `/report` limit that `edits` would rewrite too: an edit's key matches every line
    that starts with it (`bench.servers.Nginx`), so a key too short reaches past `/cpu`."""
    lines = [line.strip() for line in (CONFIG / "nginx" / "app.conf").read_text().splitlines()]
    reports = [line for line in lines if line.startswith("limit_req") and "zone=reports" in line]
    return [line for line in reports if any(line.startswith(key) for key in (edits or {}))]
