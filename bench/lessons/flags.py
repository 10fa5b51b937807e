"""Notebook 09's task: the smoke test's server and load (2 gunicorn workers, 4 users, 3 s) on paths the learner
chose, to see at which work per request the flags (bench/load/result.py) fire.

    runs = on_smoke_server({"a try": "/cpu?ms=N"})  # N: the work per request you want to try
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bench.load.result import LoadResult
from bench.load.runner import run_load
from bench.servers import Gunicorn


def work_ms(path: str) -> int | None:
    """N for "/cpu?ms=N" (the CPU work each request asks for), None for any other path."""
    parts = urlsplit(path)
    values = parse_qs(parts.query).get("ms", [])
    return int(values[0]) if parts.path == "/cpu" and len(values) == 1 and values[0].isdigit() else None


def on_smoke_server(paths: dict[str, str], duration: float = 3) -> dict[str, LoadResult]:
    """Each path under notebook 00's smoke-test load, each on a fresh server, named as in `paths`."""
    runs = {}
    for name, path in paths.items():
        with Gunicorn(workers=2) as server:
            runs[name] = run_load(server, path, users=4, duration=duration, label=name, quiet=True)
    return runs


def flagged(run: LoadResult) -> bool:
    """Whether either flag marks the run."""
    return run.generator_bound or run.interfered


def flags_of(run: LoadResult) -> str:
    """"generator-bound", "interfered", both, or "none", with the figures they are decided from."""
    fired = [flag for flag, on in (("generator-bound", run.generator_bound), ("interfered", run.interfered)) if on]
    return (f"{' and '.join(fired) or 'no flag'} (busiest locust process {run.generator_cpu:.0f}% of a core, "
            f"generator share {run.generator_share:.0%})")
