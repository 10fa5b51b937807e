"""What one load run measured (`LoadResult`), what a load goes to (`Target`), and the flags that say when the
load generator, not the server, decided the number.

A run is *generator-bound* when locust was the bottleneck, and *interfered* when locust took CPU the server
needed (its rate is then a lower bound); `bench.claim` refuses evidence from either. The thresholds below were
measured against wrk, which costs next to nothing per request (tests/test_wrk_yardstick.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import pandas as pd

from bench.core.errors import BenchError

# A locust process above this share of one core is the bottleneck, not the server...
GENERATOR_BOUND_CPU = 80.0
# ... and so is a generator whose processes together take this share of all the machine's cores
# (on 2 cores: two locust processes at 50% each leave the server too little to be measured).
GENERATOR_BOUND_MACHINE_SHARE = 0.4
# Interference: where the machine's idle CPU is less than this many times what the generator uses, the
# server could have used the generator's CPU (a server held back by its own limits, such as one process
# under the GIL, leaves more idle than that). Measured against wrk (which costs next to nothing per
# request), such a run loses the generator's share of the busy CPU or more (see INTERFERENCE_SHARE).
IDLE_MARGIN = 1.2
# On the half-speed cores of `portability.sh half` that idle CPU comes in slices between the busy loops' and
# serves a server waking up for each request far worse: there gunicorn /quote ×16, locust at 0.21-0.25 cores and
# 0.17-0.27 cores idle (0.7-1.2 × locust's), measured 0.54-0.63 × wrk. The margin there is IDLE_MARGIN / the share
# each core gives.
# `scripts/portability.sh half` stands for a slower machine with a busy loop on each core. It names them here,
# with the share of each core they leave: their CPU is the machine being slower, not other work, so it is left
# out of "busy" and the usable cores shrink by that share instead.

# On a saturated machine locust's CPU costs the server more than its share of the busy CPU (context switches,
# caches, its own delay in sending the next request). Measured against wrk, gunicorn (2 workers, 16 users) on 2
# cores: /cpu?ms=5, locust 9-12% of the busy CPU, 0.80-0.92 × wrk; /cpu?ms=20, 4.4-5.2%, 0.92-0.97 × wrk. On the
# half-speed cores of `portability.sh half` the same: 13-14%, 0.77-0.89 × wrk; 4.7-5.9%, 0.94-0.96 × wrk. Past
# this share the number is too low to stand for the server.
INTERFERENCE_SHARE = 0.08
# A server that can keep fewer cores busy than the machine has (one process under the GIL, one worker) and used
# at least this share of them got all the CPU it could use: the generator ran on the cores it could not use.
SATURATED = 0.85
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


COMPLETION_COLUMNS = ["t", "ms", "failed"]
APPENDIX = "see notebook 09, How this course measures"


@dataclass
class LoadResult:
    label: str
    url: str
    paths: list[str]
    users: int
    duration: float
    processes: int
    user_class: str
    requests: int
    failures: int
    rps: float
    p50: float  # milliseconds
    p95: float
    p99: float
    generator_cpu: float  # median % of one core used by the busiest locust process
    generator_cpu_total: float  # % of one core used by all locust processes together, over the load (load_window)
    generator_bound: bool
    timeseries: pd.DataFrame = field(repr=False)
    failure_messages: pd.DataFrame = field(repr=False)
    log: str = field(repr=False, default="")
    events: dict[str, float] = field(default_factory=dict)  # name -> seconds after the load started
    server_cpu_ms: float = float("nan")  # server CPU time per request, when the target is a bench server
    mean: float = float("nan")  # mean response time, milliseconds
    machine_busy: float = float("nan")  # cores busy on the whole machine while the load ran
    generator_share: float = 0.0  # the generator's part of that busy CPU, when the machine was contended
    server_busy: float = float("nan")  # cores the server kept busy, when the target is a bench server
    started_at: float = float("nan")  # unix time of locust's first request
    cores_apart: bool = False  # locust and the server ran on cores of their own (bench.host.partition)
    flag_shown: bool = field(repr=False, default=False)  # run_load printed the flag line already
    # each request's end (t, on the clock of timeseries["t"]), response time and failure: run_load(per_request=True)
    completions: pd.DataFrame = field(repr=False, default_factory=lambda: pd.DataFrame(columns=COMPLETION_COLUMNS))

    @property
    def interfered(self) -> bool:
        """The generator took CPU the server needed: the rate is a lower bound on what the server can do."""
        return self.generator_share >= INTERFERENCE_SHARE

    @property
    def failure_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def row(self) -> dict[str, object]:
        """The headline numbers, for building a DataFrame of many runs."""
        return {
            "label": self.label, "users": self.users, "rps": round(self.rps, 1), "mean ms": round(self.mean, 1),
            "p50 ms": self.p50,
            "p95 ms": self.p95, "p99 ms": self.p99, "requests": self.requests, "failures": self.failures,
            "generator CPU %": round(self.generator_cpu_total), "generator-bound": self.generator_bound,
            "generator share %": round(100 * self.generator_share), "interfered": self.interfered,
            "server CPU ms/req": round(self.server_cpu_ms, 3),
        }

    def flag_line(self) -> str:
        """One line when a flag is up, "" otherwise: what the flags mean, and what to do, is the appendix's lesson
        (notebook 09)."""
        if self.generator_bound:
            return f"⚠ {self.label}: generator-bound, this rate measures locust, not the server ({APPENDIX})"
        if self.interfered:
            return f"⚠ {self.label}: interfered, read this rate as a lower bound ({APPENDIX})"
        return ""

    def __str__(self) -> str:
        text = (f"{self.label}: {self.rps:,.0f} req/s, p50 {self.p50:.0f} ms, p95 {self.p95:.0f} ms, "
                f"{self.failures} failed of {self.requests} ({self.failure_rate:.1%})")
        shown = self.flag_line() and not self.flag_shown  # printed once, where the run ended, not again here
        return text + (f"\n  {self.flag_line()}" if shown else "")


class Target(Protocol):
    """What load goes to when it is not a URL: a bench server (bench.servers), which also says how much CPU it
    used, so a run can report the server's CPU per request and whether it was saturated. A target that also has
    `processes()` (its psutil processes) can be pinned apart from locust where there are spare cores
    (bench.host.partition)."""

    @property
    def url(self) -> str: ...

    @property
    def running(self) -> bool: ...

    def cpu_seconds(self) -> float: ...

    def max_cores(self) -> float | None: ...


def target_url(target: Target | str) -> str:
    url = target if isinstance(target, str) else target.url
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise BenchError(f"load goes only to this machine (127.0.0.1), not to {host!r}: "
                         "start the server with the bench, or publish the container on 127.0.0.1")
    return url.rstrip("/")


def checked_paths(path: str | list[str]) -> list[str]:
    """Paths on the target, never URLs: locust requests an absolute URL as given, past the loopback check."""
    paths = [path] if isinstance(path, str) else list(path)
    for p in paths:
        parts = urlsplit(p)
        if not p.startswith("/") or p.startswith("//") or parts.scheme or parts.netloc or "\\" in p:
            raise BenchError(f"give a path on the server, such as '/io?ms=50', not {p!r}: "
                             "load goes only to the server the bench started, on 127.0.0.1")
    return paths


def generator_share(generator_cores: float, busy_cores: float, usable: float, server_cores: float = float("nan"),
                    server_ceiling: float | None = None, share: float = 1.0) -> float:
    """The generator's part of the machine's busy CPU, counted only when the machine was contended: when
    less CPU sat idle than the generator used (with IDLE_MARGIN), the server could have used the
    generator's CPU. On a machine with room to spare the generator takes nothing the server wanted; nor
    does it from a server that can use fewer cores than the machine has (`server_ceiling`, in cores) and
    used (SATURATED) all of them. `share`: what each core gives (`core_share`). Below 1 the idle CPU comes in
    slices between the busy loops', so the margin grows as the share shrinks (see IDLE_MARGIN), and no server is
    exempt: a process runs in whichever core's free slice comes first, so it is not held to one core's share
    (against wrk, the development server's one process kept 0.57 cores busy where each core gave 0.49)."""
    if math.isnan(busy_cores) or busy_cores <= 0 or usable - busy_cores >= IDLE_MARGIN / share * generator_cores:
        return 0.0
    if (server_ceiling is not None and share >= 1 and server_ceiling < usable
            and server_cores >= SATURATED * server_ceiling):
        return 0.0
    return min(1.0, generator_cores / busy_cores)
