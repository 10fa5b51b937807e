"""This machine, measured once: what every experiment plans from.

    facts = bench.machine.facts()        # measured the first time (a few seconds), then cached
    facts.server_cores, facts.generator_rps, facts.safe_rps

Machines differ by 4× in speed and drift ±20% from minute to minute, so no experiment hard-codes a
load level or a worker count: it derives them from these facts. The cache (in the state directory)
is keyed by everything that changes the answer: the bench's own source, the cores this process may
use (affinity and cgroup quota, read by `sample_app.limits`, which the app's /info uses too), the share of
each core `portability.sh half` leaves, and the host.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.core.paths import state_dir
from bench.host import partition, platforms
from sample_app.limits import affinity_cores, cpu_limit, usable_cpus

if TYPE_CHECKING:
    from bench.load.result import LoadResult

_BENCH = Path(__file__).resolve().parents[1]  # the whole bench package
CEILING_USERS = 32
CEILING_SECONDS = 3.0
# Offered load stays below this share of what one locust process can send here: past it, the
# generator (sharing the machine with the server) starts to shape the result ...
SAFE_SHARE = 0.25
# ... and below this share of what one app worker serves on its cheapest route: the server needs CPU
# for every request too, whatever the request then waits for.
APP_SHARE = 0.5
# A CPU-bound experiment gives each request this many times the CPU locust spends on one in `measure`'s run (at
# about 1,500 req/s here: 0.39-0.41 ms, so 24-25 ms of work). At the low rates of CPU-bound work locust costs
# more per request (about 1 ms at 90 req/s): on 2 cores with 20 ms per request it took 4.4-5.2% of the busy
# CPU (5-6% on half-speed cores), below the interference flag (8%); at 5 ms, 9-14%.
CPU_WORK_PER_GENERATOR_MS = 60
# Paced runs that measure the server's CPU per request keep server and generator this busy (cores):
# the machine is then never contended, whatever its size.
PACED_CORES = 0.4
# Cached facts stand while this CPU's speed is within this share of the speed they were measured at
# (minute-to-minute drift stays inside it; a CPU half as fast does not).
SPEED_TOLERANCE = 0.4


@dataclass(frozen=True)
class Facts:
    """What an experiment needs to know about this machine (see `facts()`)."""

    logical_cores: int
    affinity_cores: int
    cgroup_cpus: float | None
    usable_cores: float
    generator_cores: int  # cores kept for locust while a load runs (bench.host.partition); 0: it shares them
    generator_rps: float  # one FastHttpUser locust process against nginx answering from memory
    app_rps: float  # one gunicorn sync worker on the sample app's `/`: the app's own cost per request
    generator_ms: float  # locust's CPU per request in that run (a new connection each time)
    python_loop_ms: float  # a fixed pure-Python loop: this CPU's speed, for comparison between machines
    measured_at: float
    key: str

    @property
    def server_cores(self) -> float:
        """The cores a server gets while a load runs: the usable ones, less any kept for the generator."""
        return self.usable_cores - self.generator_cores

    @property
    def safe_rps(self) -> float:
        """The most load an experiment should offer here and still measure the server, not locust, and
        not the app's bare per-request CPU."""
        return min(SAFE_SHARE * self.generator_rps, APP_SHARE * self.app_rps)

    @property
    def cpu_ms(self) -> int:
        """Per-request CPU work (`/cpu?ms=`) for a CPU-bound experiment: enough that the generator's own
        CPU stays a small part of the machine's, so a busy machine still measures the server; and, on a machine
        with many cores, enough that every server core kept busy asks no more than one locust process's safe share
        (SAFE_SHARE of its ceiling)."""
        many_cores = self.server_cores * 1000 / (SAFE_SHARE * self.generator_rps)
        return max(5, math.ceil(CPU_WORK_PER_GENERATOR_MS * self.generator_ms), math.ceil(many_cores))

    def paced_rps(self, cost_ms: float) -> float:
        """An offered rate at which requests costing the server `cost_ms` of CPU (plus the app's own cost)
        and the generator together use PACED_CORES: for measuring CPU per request, not capacity."""
        per_request = cost_ms + 1000 / self.app_rps + self.generator_ms
        return min(self.safe_rps, PACED_CORES * 1000 / per_request)

    def wait_ms_for(self, concurrency: int, at_least: int = 100) -> int:
        """A per-request wait (ms), `at_least` long, at which `concurrency` waiting requests offer no more
        than the safe load: a slow machine gets longer waits, not more requests."""
        return max(at_least, math.ceil(1000 * concurrency / self.safe_rps))

    def table(self) -> list[dict[str, object]]:
        """The facts as rows for a notebook, with what each means for the later stages."""
        quota = "none" if self.cgroup_cpus is None else f"{self.cgroup_cpus:g} CPUs"
        return [
            {"fact": "logical cores", "value": self.logical_cores, "what it means": "what os.cpu_count() says"},
            {"fact": "cores this process may run on", "value": self.affinity_cores,
             "what it means": "taskset / CPU affinity"},
            {"fact": "cgroup CPU quota", "value": quota, "what it means": "a container's --cpus, or a CPU limit"},
            {"fact": "usable cores", "value": f"{self.usable_cores:g}",
             "what it means": "taskset and the quota together: the CPU the course may use"},
            {"fact": "cores kept for the load generator", "value": self.generator_cores,
             "what it means": (f"locust runs on cores of its own while a load lasts (at least {partition.MIN_CORES} "
                               "whole cores needed)" if self.generator_cores else
                               f"none: locust shares the servers' cores (a split needs {partition.MIN_CORES} whole "
                               "cores), so each run measures how much CPU it took from the server")},
            {"fact": "cores for servers", "value": f"{self.server_cores:g}",
             "what it means": "worker and instance counts in later stages derive from this"},
            {"fact": "load generator ceiling", "value": f"{self.generator_rps:,.0f} req/s",
             "what it means": "one locust process against nginx: the most this machine can measure"},
            {"fact": "safe offered load", "value": f"{self.safe_rps:,.0f} req/s",
             "what it means": f"experiments stay below {SAFE_SHARE:.0%} of the ceiling (waits get longer instead)"},
            {"fact": "one app worker on /", "value": f"{self.app_rps:,.0f} req/s",
             "what it means": f"the app's own CPU per request: offered load also stays below {APP_SHARE:.0%} of it"},
            {"fact": "locust CPU per request", "value": f"{self.generator_ms:.2f} ms",
             "what it means": (f"CPU-bound experiments give each request at least {CPU_WORK_PER_GENERATOR_MS}× this "
                              "in work, so locust's share of a busy machine stays small")},
            {"fact": "pure-Python loop", "value": f"{self.python_loop_ms:.0f} ms",
             "what it means": "this CPU's speed; compare with another machine's"},
        ]


def _bench_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(_BENCH.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cache_key() -> str:
    """Everything that changes the facts: the bench's code, the machine (not its host name: a Mac's changes with
    its network), the usable CPU (the share of each core
    `portability.sh half` leaves included: its slower cores did not always fail the speed check)."""
    from bench.load.cpu import CPU_SHARE

    return (f"{_bench_hash()}|{platforms.machine_uid()}|{platforms.simulated()}|{affinity_cores()}|{cpu_limit()}"
            f"|{os.environ.get(partition.SWITCH)}|{os.environ.get(CPU_SHARE)}")


def python_loop_ms(n: int = 2_000_000) -> float:
    """Milliseconds for a fixed loop of additions, best of three (speed of one core)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(n):
            total += i
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _cache_path() -> Path:
    return state_dir() / "machine.json"


def generator_ceiling(users: int = 32, duration: float | None = None, processes: int = 1,
                      user_class: str = "fast", progress: bool | None = None) -> LoadResult:
    """Load against nginx answering from memory: the most this generator can measure here."""
    from bench.load.runner import run_load  # imported here: the load and the servers are built on this module's facts
    from bench.servers import Nginx

    with Nginx("ceiling.conf") as nginx:
        return run_load(nginx, "/", users=users, duration=duration, processes=processes, progress=progress,
                        user_class=user_class, label=f"generator ceiling ({user_class}, {processes} proc)",
                        quiet=True)  # generator-bound by design: it measures the generator


def measure() -> Facts:
    """Measure this machine now (about fifteen seconds) and cache the result."""
    from bench.load.cpu import core_share
    from bench.load.runner import run_load
    from bench.servers import Gunicorn

    split = partition.current(core_share())
    ceiling = generator_ceiling(users=CEILING_USERS, duration=CEILING_SECONDS, progress=False)
    with Gunicorn(workers=1) as app:
        one_worker = run_load(app, "/", users=8, duration=CEILING_SECONDS, progress=False, label="one app worker",
                              quiet=True)
    facts = Facts(logical_cores=os.cpu_count() or 1, affinity_cores=affinity_cores(), cgroup_cpus=cpu_limit(),
                  usable_cores=usable_cpus(), generator_cores=len(split.generator) if split else 0,
                  generator_rps=ceiling.rps, app_rps=one_worker.rps,
                  generator_ms=one_worker.generator_cpu_total * 10 / one_worker.rps,
                  python_loop_ms=python_loop_ms(), measured_at=time.time(), key=cache_key())
    _cache_path().write_text(json.dumps(asdict(facts)))
    return facts


def cached() -> Facts | None:
    """The cached facts, if they were measured under the current key on a CPU of the same speed (a laptop
    on battery, or a busy machine, is another machine as far as plans go: a fifth of a second to check)."""
    try:
        facts = Facts(**json.loads(_cache_path().read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if facts.key != cache_key():
        return None
    return facts if abs(python_loop_ms() / facts.python_loop_ms - 1) <= SPEED_TOLERANCE else None


def facts(remeasure: bool = False) -> Facts:
    """This machine's facts: cached when still valid, else measured now."""
    found = None if remeasure else cached()
    return found or measure()
