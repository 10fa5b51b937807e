"""Notebook 07's cache experiment: one app, three caches (none, Flask-Caching's SimpleCache, Redis), one offered rate.

Why one *offered* rate, and one the uncached app can serve: a cached answer costs the server almost nothing, so a
closed loop (users asking as fast as they can) would measure the load generator, not the cache; and a rate above
the uncached app's capacity would let the pacing decide the ratio of the two rates. At a rate every variant keeps
up with, the rates are equal by design, and what the cache changes is what is left to measure: how long a request
takes, and how much CPU the server spends on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import requests

from bench.load import run_load
from bench.servers import Gunicorn, Redis

CACHES = ("none", "simple", "redis")
WORKERS, USERS = 4, 16  # sync workers, each holding one request while it waits on the backend
SHARE_OF_CAPACITY = 0.6  # the offered rate, as a share of what the uncached workers can serve: they keep up
FRESHNESS_GETS = 40  # GETs after each run: how many different quotes clients saw


@dataclass
class CacheRuns:
    """What `compare` measured: a row per cache, Redis's own counters, and the command Redis ran as."""

    table: pd.DataFrame
    redis_stats: dict[str, str] = field(default_factory=dict)
    redis_command: str = ""

    def by_cache(self) -> pd.DataFrame:
        return self.table.set_index("cache")

    def hit_ratio(self) -> float:
        hits, misses = int(self.redis_stats["keyspace_hits"]), int(self.redis_stats["keyspace_misses"])
        return hits / (hits + misses)


def uncached_capacity(cost_ms: float, workers: int = WORKERS) -> float:
    """Requests/s `workers` sync workers can serve when each request waits `cost_ms` on its backend."""
    return workers * 1000 / cost_ms


def compare(cost_ms: int, rate: float, cache_seconds: int = 60, duration: float | None = None) -> CacheRuns:
    """The same offered `rate` of /quote (a `cost_ms` backend) against each cache, a Redis server for all."""
    rows = []
    with Redis() as cache_server:
        for cache in CACHES:
            env = {"APP_CACHE": cache, "APP_REDIS_URL": cache_server.redis_url,
                   "APP_QUOTE_COST_MS": str(cost_ms), "APP_CACHE_SECONDS": str(cache_seconds)}
            with Gunicorn(workers=WORKERS, env=env) as server:
                result = run_load(server, "/quote", users=USERS, rate=rate, duration=duration,
                                  label=f"cache: {cache}")
                seen = {requests.get(server.url + "/quote", timeout=5).json()["id"] for _ in range(FRESHNESS_GETS)}
            rows.append({**result.row(), "cache": cache, f"different quotes in {FRESHNESS_GETS} GETs": len(seen)})
        return CacheRuns(pd.DataFrame(rows), cache_server.info(), cache_server.shell_command())
