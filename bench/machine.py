"""This machine, measured once: what every experiment plans from.

    facts = bench.machine.facts()        # measured the first time (a few seconds), then cached
    facts.usable_cores, facts.generator_rps

Machines differ by 4× in speed and drift ±20% from minute to minute, so no experiment hard-codes a
load level or a worker count: it derives them from these facts. The cache (in the state directory)
is keyed by everything that changes the answer: the bench's own source, the cores this process may
use (affinity and cgroup quota), and the host.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.paths import state_dir
from sample_app.limits import quota_in

_BENCH = Path(__file__).resolve().parent
CGROUP = Path("/sys/fs/cgroup")
CEILING_USERS = 32
CEILING_SECONDS = 3.0
# Offered load stays below this share of what one locust process can send here: past it, the
# generator (sharing the machine with the server) starts to shape the result.
SAFE_SHARE = 0.25


def _cgroup_paths(proc_cgroup: str) -> list[tuple[str, str]]:
    """(hierarchy, path) pairs from /proc/self/cgroup: ("", path) for v2, ("cpu", path) for v1's cpu controller."""
    found = []
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            found.append(("", path))
        elif "cpu" in controllers.split(","):
            found.append((controllers, path))
    return found


def cgroup_cpus(root: Path = CGROUP, proc_cgroup: str | None = None) -> float | None:
    """The tightest CPU quota on this process's cgroup and its ancestors (v1 or v2), None if none."""
    if proc_cgroup is None:
        try:
            proc_cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:
            return None
    limits = []
    for controllers, path in _cgroup_paths(proc_cgroup):
        mounts = [root] if controllers == "" else [root / controllers, root / "cpu", root / "cpu,cpuacct"]
        for mount in mounts:
            if not mount.is_dir():
                continue
            directory = mount / path.lstrip("/")
            while True:  # the cgroup itself, then each parent up to the mount point
                limit = quota_in(directory)
                if limit is not None:
                    limits.append(limit)
                if directory == mount or mount not in directory.parents:
                    break
                directory = directory.parent
            break
    return min(limits) if limits else None


def affinity_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def usable_cores() -> float:
    """The CPU this process may really use: the cores it may run on, capped by a cgroup quota."""
    limit = cgroup_cpus()
    return min(affinity_cores(), limit) if limit else float(affinity_cores())


@dataclass(frozen=True)
class Facts:
    """What an experiment needs to know about this machine (see `facts()`)."""

    logical_cores: int
    affinity_cores: int
    cgroup_cpus: float | None
    usable_cores: float
    generator_rps: float  # one FastHttpUser locust process against nginx answering from memory
    generator_cpu: float  # % of a core that locust process used meanwhile
    python_loop_ms: float  # a fixed pure-Python loop: this CPU's speed, for comparison between machines
    measured_at: float
    key: str

    @property
    def safe_rps(self) -> float:
        """The most load an experiment should offer here and still measure the server, not locust."""
        return SAFE_SHARE * self.generator_rps

    @property
    def spare_core(self) -> bool:
        """True when the load generator can run beside a server on a core of its own (2+ usable cores)."""
        return self.usable_cores >= 2

    def workers_up_to_cores(self) -> list[int]:
        """Worker counts for a CPU scaling sweep: 1, then up to the usable cores, then twice that."""
        cores = max(1, int(self.usable_cores))
        return sorted({1, cores, 2 * cores}) if cores > 1 else [1, 2]

    def wait_ms_for(self, concurrency: int, share: float = 1.0) -> int:
        """The shortest per-request wait (ms) at which `concurrency` waiting requests offer no more than
        `share` of the safe load: a slow machine gets longer waits, not more requests."""
        return max(5, int(-(-1000 * concurrency // (share * self.safe_rps))))

    def table(self) -> list[dict[str, object]]:
        """The facts as rows for a notebook, with what each means for the later stages."""
        quota = "none" if self.cgroup_cpus is None else f"{self.cgroup_cpus:g} CPUs"
        return [
            {"fact": "logical cores", "value": self.logical_cores, "what it means": "what os.cpu_count() says"},
            {"fact": "cores this process may run on", "value": self.affinity_cores,
             "what it means": "taskset / CPU affinity"},
            {"fact": "cgroup CPU quota", "value": quota, "what it means": "a container's --cpus, or a CPU limit"},
            {"fact": "usable cores", "value": f"{self.usable_cores:g}",
             "what it means": "worker and instance counts in later stages derive from this"},
            {"fact": "load generator ceiling", "value": f"{self.generator_rps:,.0f} req/s",
             "what it means": "one locust process against nginx: the most this machine can measure"},
            {"fact": "safe offered load", "value": f"{self.safe_rps:,.0f} req/s",
             "what it means": f"experiments stay below {SAFE_SHARE:.0%} of the ceiling (waits get longer instead)"},
            {"fact": "pure-Python loop", "value": f"{self.python_loop_ms:.0f} ms",
             "what it means": "this CPU's speed; compare with another machine's"},
        ]


def _bench_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(_BENCH.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cache_key() -> str:
    """Everything that changes the facts: the bench's code, the host, the usable CPU."""
    return f"{_bench_hash()}|{platform.node()}|{affinity_cores()}|{cgroup_cpus()}"


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


def measure() -> Facts:
    """Measure this machine now (about ten seconds) and cache the result."""
    from bench.load import generator_ceiling  # the load module needs a server: imported only here

    ceiling = generator_ceiling(users=CEILING_USERS, duration=CEILING_SECONDS, progress=False)
    facts = Facts(logical_cores=os.cpu_count() or 1, affinity_cores=affinity_cores(), cgroup_cpus=cgroup_cpus(),
                  usable_cores=usable_cores(), generator_rps=ceiling.rps, generator_cpu=ceiling.generator_cpu,
                  python_loop_ms=python_loop_ms(), measured_at=time.time(), key=cache_key())
    _cache_path().write_text(json.dumps(asdict(facts)))
    return facts


def cached() -> Facts | None:
    """The cached facts, if they were measured under the current key."""
    try:
        facts = Facts(**json.loads(_cache_path().read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return facts if facts.key == cache_key() else None


def facts(remeasure: bool = False) -> Facts:
    """This machine's facts: cached when still valid, else measured now."""
    found = None if remeasure else cached()
    return found or measure()
