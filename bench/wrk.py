"""wrk, the independent yardstick: a C load generator that costs next to nothing per request.

    result = bench.wrk.run(server, "/quote", connections=16, duration=4)
    result.rps

The bench's own numbers (locust) are checked against it in tests/test_wrk_yardstick.py: where the two
differ by more than 15%, the bench must have flagged its run.
"""

from __future__ import annotations

import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from bench import env, registry
from bench.errors import LoadError
from bench.load import checked_paths, target_url
from bench.paths import state_dir
from bench.servers import Server

_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_TOTAL = re.compile(r"(\d+) requests in")
_ERRORS = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)|Socket errors:.*")


@dataclass(frozen=True)
class WrkResult:
    url: str
    connections: int
    duration: float
    requests: int
    rps: float
    output: str

    def __str__(self) -> str:
        return f"wrk {self.url} ×{self.connections}: {self.rps:,.0f} req/s ({self.requests:,} requests)"


def argv(url: str, connections: int, duration: float) -> list[str]:
    """The wrk command line: one thread (one core at most), `connections` kept-alive connections."""
    return [env.require("wrk"), "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "5s", url]


def parse(output: str, url: str, connections: int, duration: float) -> WrkResult:
    """The rate and request count from wrk's summary; a LoadError if any request failed."""
    rps, total = _RPS.search(output), _TOTAL.search(output)
    if rps is None or total is None:
        raise LoadError(f"wrk printed no summary:\n{output[-500:]}")
    if _ERRORS.search(output):
        raise LoadError(f"wrk saw errors against {url}:\n{output[-500:]}")
    return WrkResult(url, connections, duration, int(total.group(1)), float(rps.group(1)), output)


def run(target: Server | str, path: str = "/", connections: int = 16, duration: float = 4.0) -> WrkResult:
    """Run wrk against `target` (on 127.0.0.1 only) for `duration` seconds."""
    url = target_url(target) + checked_paths(path)[0]
    out = state_dir() / "load" / f"wrk-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns()}.log"
    out.parent.mkdir(parents=True, exist_ok=True)
    proc, entry = registry.spawn(argv(url, connections, duration), out, "wrk")
    try:
        proc.wait(timeout=duration + 30)
    finally:
        registry.kill_group(entry, first=signal.SIGKILL)
        proc.wait()
    return parse(Path(out).read_text(errors="replace"), url, connections, duration)
