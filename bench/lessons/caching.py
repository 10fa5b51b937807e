"""Notebook 07's cache experiment: one app, three caches (none, Flask-Caching's SimpleCache, Redis), one offered
rate, and two sizes of the CPU work an answer costs to compute.

Why one *offered* rate, and one the uncached app can serve: a cached answer costs the server almost nothing, so a
closed loop (users asking as fast as they can) would measure the load generator, not the cache; and a rate above
the uncached app's capacity would let the pacing decide the ratio of the two rates. At a rate every variant keeps
up with, what the cache changes is what is left to measure: how long a request takes, and how much CPU the server
spends on it.

Why two work sizes: whether a cache saves CPU depends on what a hit costs against what computing costs. An
in-process hit is a dictionary lookup plus unpickling the answer (SimpleCache pickles what it stores); a Redis hit
adds a round trip over a socket, which can cost more than a small SQLite query (measured on machines of the CI kind:
1.2–1.6 ms against 1.1–1.2 ms per request, either way round from one run to the next). So the course asserts only
what holds everywhere: the saving grows with the work a hit replaces. `WORK_MS` is several times what a whole
request costs on a fast machine, so the difference stands out of the run-to-run noise, and small enough that the
offered rate keeps the uncached server well under one core.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import requests

from bench.load.runner import run_load
from bench.servers import Gunicorn, Redis

CACHES = ("none", "simple", "redis")
WORKERS, USERS = 4, 16  # sync workers, each holding one request while it waits on the backend
SHARE_OF_CAPACITY = 0.6  # the offered rate, as a share of what the uncached workers can serve: they keep up
FRESHNESS_GETS = 40  # GETs after each run: how many different quotes clients saw
WORK_MS = 5  # CPU ms a computed answer costs in the second round (APP_QUOTE_CPU_MS); see the module's docstring
SAVING_SHARE = 0.5  # a cache must save at least this share of the added work, or it is not skipping the work


@dataclass
class CacheRuns:
    """What `compare` measured: a row per cache and work size, Redis's own counters, and its command line."""

    table: pd.DataFrame
    redis_stats: dict[str, str] = field(default_factory=dict)
    redis_command: str = ""

    def at(self, work_ms: int) -> pd.DataFrame:
        """The rows measured with `work_ms` of CPU per computed answer, indexed by cache."""
        return self.table[self.table["work CPU ms"] == work_ms].set_index("cache")

    def misses_at_most(self) -> int:
        """Redis misses expected at most: each sync worker misses once per work size, before the answer is kept."""
        return WORKERS * self.table["work CPU ms"].nunique()

    def hit_ratio(self) -> float:
        hits, misses = int(self.redis_stats["keyspace_hits"]), int(self.redis_stats["keyspace_misses"])
        return hits / (hits + misses)

    def saving(self, cache: str, work_ms: int) -> float:
        """Server CPU ms per request that `cache` saved against computing every answer, at `work_ms`."""
        cpu = self.at(work_ms)["server CPU ms/req"]
        return float(cpu["none"] - cpu[cache])

    def saving_growth(self, cache: str) -> float:
        """How much more CPU per request `cache` saves when computing costs WORK_MS more."""
        return self.saving(cache, WORK_MS) - self.saving(cache, 0)


def uncached_capacity(cost_ms: float, workers: int = WORKERS) -> float:
    """Requests/s `workers` sync workers can serve when each request takes `cost_ms` (backend wait and work)."""
    return workers * 1000 / cost_ms


def offered_rate(cost_ms: float) -> float:
    """The rate every run gets: a share of what the uncached app can serve with the larger work size."""
    return SHARE_OF_CAPACITY * uncached_capacity(cost_ms + WORK_MS)


def compare(cost_ms: int, rate: float, cache_seconds: int = 60, duration: float | None = None) -> CacheRuns:
    """The same offered `rate` of /quote (a `cost_ms` backend) against each cache, with no CPU work per computed
    answer and then with WORK_MS; one Redis server for all."""
    rows = []
    with Redis() as cache_server:
        for database, work_ms in enumerate((0, WORK_MS)):  # a database each: the second starts with no answer kept
            for cache in CACHES:
                env = {"APP_CACHE": cache, "APP_REDIS_URL": cache_server.database_url(database),
                       "APP_QUOTE_COST_MS": str(cost_ms),
                       "APP_QUOTE_CPU_MS": str(work_ms), "APP_CACHE_SECONDS": str(cache_seconds)}
                with Gunicorn(workers=WORKERS, env=env) as server:
                    result = run_load(server, "/quote", users=USERS, rate=rate, duration=duration,
                                      label=f"cache: {cache}, {work_ms} ms of work")
                    seen = {requests.get(server.url + "/quote", timeout=5).json()["id"]
                            for _ in range(FRESHNESS_GETS)}
                rows.append({**result.row(), "cache": cache, "work CPU ms": work_ms,
                             f"different quotes in {FRESHNESS_GETS} GETs": len(seen)})
        return CacheRuns(pd.DataFrame(rows), cache_server.info(), cache_server.shell_command())
