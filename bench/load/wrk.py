"""wrk, the independent yardstick: a C load generator that costs next to nothing per request.

    result = bench.wrk.run(server, "/quote", connections=16, duration=4)
    result.rps

The bench's own numbers (locust) are checked against it in tests/test_wrk_yardstick.py: where the two
differ by more than 15%, the bench must have flagged its run. A claim may also take a wrk run as evidence
where locust would take too much of the server's CPU (it spends about as much per request as the
development server does): a run records wrk's CPU and the server's, and is flagged like a locust run.
"""

from __future__ import annotations

import math
import re
import resource
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bench.core import registry
from bench.core.errors import LoadError
from bench.core.paths import state_dir
from bench.host import env
from bench.load import cpu
from bench.load.result import (
    GENERATOR_BOUND_CPU,
    INTERFERENCE_SHARE,
    Target,
    checked_paths,
    generator_share,
    target_url,
)

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
    generator_cores: float = math.nan  # wrk's CPU over the run, in cores
    generator_share: float = math.nan  # its part of the busy CPU, when contended (result.generator_share)
    label: str = "wrk"

    @property
    def generator_bound(self) -> bool:
        """wrk's one thread used most of what a core gives (or its CPU was not measured), as for locust's busiest
        process: the rate is wrk's, not the server's."""
        return not self.generator_cores < GENERATOR_BOUND_CPU * cpu.core_share() / 100

    @property
    def interfered(self) -> bool:
        """wrk took CPU the server could have used, by the rule locust's runs are held to (or it is not known)."""
        return not self.generator_share < INTERFERENCE_SHARE

    def __str__(self) -> str:
        return (f"{self.label}: {self.rps:,.0f} req/s ({self.requests:,} requests), "
                f"wrk's CPU {self.generator_cores:.0%} of a core"
                + (f", ⚠ {self.generator_share:.0%} of the busy machine's" if self.interfered else ""))


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


def _clocks(server: Target | None) -> tuple[float, float, float, float]:
    """CPU seconds so far of this process's reaped children, the busy machine and `server`; the monotonic clock."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (children.ru_utime + children.ru_stime, cpu.machine_busy_seconds(),
            server.cpu_seconds() if server else math.nan, time.monotonic())


def run(target: Target | str, path: str = "/", connections: int = 16, duration: float = 4.0,
        label: str = "wrk") -> WrkResult:
    """Run wrk against `target` (on 127.0.0.1 only) for `duration` seconds. wrk's CPU is what this process's
    reaped children used meanwhile (wrk is the only one it waits for here)."""
    url = target_url(target) + checked_paths(path)[0]
    out = state_dir() / "load" / f"wrk-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns()}.log"
    out.parent.mkdir(parents=True, exist_ok=True)
    server = None if isinstance(target, str) else target
    before = _clocks(server)
    proc, entry = registry.spawn(argv(url, connections, duration), out, "wrk")
    try:
        proc.wait(timeout=duration + 30)
    finally:
        registry.kill_group(entry, first=signal.SIGKILL)
        proc.wait()
    after = _clocks(server)
    generator, busy, server_cores = ((after[i] - before[i]) / (after[3] - before[3]) for i in range(3))
    share = generator_share(generator, busy, cpu.capacity_cores(), server_cores,
                          server.max_cores() if server else None, cpu.core_share())
    result = parse(Path(out).read_text(errors="replace"), url, connections, duration)
    return replace(result, generator_cores=generator, generator_share=share, label=label)
