"""Lab 07 check: with the settings in app.env, /quote (50 ms backend) under load is fast, every
worker serves the same quote, and no quote is older than 30 s."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from bench import run_load
from bench.servers import Gunicorn, Redis
from course.labs import Check

WORKERS, BACKEND_MS, MAX_STALE_S = 4, 50, 30
# Without a cache, 4 sync workers each spend 50 ms per /quote: at most 4 / 0.05 = 80 requests/s.
UNCACHED_CEILING = WORKERS / (BACKEND_MS / 1000)


def read_env(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments ignored."""
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def check(directory: Path) -> Iterator[Check]:
    path = directory / "app.env"
    if not path.exists():
        yield Check("app.env exists", False, f"no file at {path}")
        return
    settings = read_env(path)
    stale = int(settings.get("APP_CACHE_SECONDS", "5") or 5)
    yield Check(f"a cached quote is at most {MAX_STALE_S} s old", stale <= MAX_STALE_S,
                f"APP_CACHE_SECONDS={stale}")
    with Redis() as redis_server:
        env = {**settings, "APP_QUOTE_COST_MS": str(BACKEND_MS), "APP_REDIS_URL": redis_server.redis_url}
        try:
            with Gunicorn(workers=WORKERS, env=env) as server:
                started = time.monotonic()
                seen = {requests.get(server.url + "/quote", timeout=5).json()["id"] for _ in range(40)}
                # a shared cache may expire (once per window) while we ask: allow one new quote per window crossed
                allowed = 1 + math.ceil((time.monotonic() - started) / max(stale, 1))
                result = run_load(server, "/quote", users=16, duration=3, label="lab 07", progress=False)
        except Exception as error:  # a bad setting stops the app from starting: show why
            yield Check("the app starts with these settings", False, str(error).splitlines()[0][:300])
            return
    yield Check(f"/quote serves at least 4× the uncached ceiling ({4 * UNCACHED_CEILING:.0f} requests/s)",
                result.rps >= 4 * UNCACHED_CEILING and result.failures == 0,
                f"{result.rps:.0f} requests/s, {result.failures} failed")
    yield Check("every worker serves the same quote (one shared cache)", len(seen) <= allowed,
                f"{len(seen)} different quotes in 40 requests")
