"""Notebook 09's task: where do the flags (bench/load/result.py) start? `/cpu?ms=N` under a load sized to this
machine, for the N the learner tries.

    runs = load_paths({"a try": "/cpu?ms=N"}, facts)  # N: the work per request you want to try
    flags_of(runs["a try"])

The server gets a worker per server core and the load two users per worker, so that on any machine the workers
can outpace one locust process.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bench.load.result import LoadResult
from bench.load.runner import run_load
from bench.servers import Gunicorn
from bench.sizing.machine import Facts

# A bracket: a clean N at most this many times max(the flagged N, 1). Near the boundary a run comes out either way
# from one run to the next, so a bracket that holds on a second run keeps a step from it on each side: a doubling
# search, stepped one doubling away on each side, spans 8×.
BRACKET = 8


def work_ms(path: str) -> int | None:
    """N for "/cpu?ms=N" (the CPU work each request asks for), None for any other path."""
    parts = urlsplit(path)
    values = parse_qs(parts.query).get("ms", [])
    return int(values[0]) if parts.path == "/cpu" and len(values) == 1 and values[0].isdigit() else None


def load_paths(paths: dict[str, str], facts: Facts, duration: float = 3) -> dict[str, LoadResult]:
    """Each path, on a fresh gunicorn with a worker per server core, under two users per worker."""
    workers = max(2, int(facts.server_cores))
    runs = {}
    for name, path in paths.items():
        with Gunicorn(workers=workers) as server:
            runs[name] = run_load(server, path, users=2 * workers, duration=duration, label=name, quiet=True)
    return runs


def flagged(run: LoadResult) -> bool:
    """Whether either flag marks the run."""
    return run.generator_bound or run.interfered


def flags_of(run: LoadResult) -> str:
    """"generator-bound", "interfered", both, or "no flag", with the figures they are decided from."""
    fired = [flag for flag, on in (("generator-bound", run.generator_bound), ("interfered", run.interfered)) if on]
    return (f"{' and '.join(fired) or 'no flag'} (busiest locust process {run.generator_cpu:.0f}% of a core, "
            f"generator share {run.generator_share:.0%})")
