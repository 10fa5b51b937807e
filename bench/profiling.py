"""Profile the app answering one request, in this process, with the standard library's cProfile."""

from __future__ import annotations

import cProfile
import pstats
import time
from pathlib import Path

import pandas as pd
from flask import Flask

from bench.errors import BenchError
from bench.paths import REPO


def _app() -> Flask:
    from sample_app import create_app

    return create_app()


def profile_request(path: str, repeat: int = 3, app: Flask | None = None) -> pd.DataFrame:
    """GET `path` `repeat` times under cProfile (after one warm-up request): one row per function,
    with its calls, own time and cumulative time, the costliest own time first. `in app` marks the
    sample app's own functions."""
    client = (app or _app()).test_client()
    client.get(path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        response = client.get(path)
    profiler.disable()
    if response.status_code != 200:
        raise BenchError(f"GET {path} answered {response.status_code}: {response.get_data(as_text=True)[:200]}")
    rows = []
    for (file, line, name), (_, calls, own, cumulative, _) in pstats.Stats(profiler).stats.items():
        rows.append({"function": name if file == "~" else f"{Path(file).name}:{line}({name})",
                     "calls": calls // repeat, "own ms": 1000 * own / repeat,
                     "cumulative ms": 1000 * cumulative / repeat,
                     "in app": file.startswith(str(REPO / "sample_app"))})
    return pd.DataFrame(rows).sort_values("own ms", ascending=False, ignore_index=True)


def time_in_process(path: str, repeat: int = 3, app: Flask | None = None) -> float:
    """Mean milliseconds to answer GET `path` in this process (after one warm-up request)."""
    client = (app or _app()).test_client()
    client.get(path)
    started = time.perf_counter()
    for _ in range(repeat):
        client.get(path)
    return 1000 * (time.perf_counter() - started) / repeat
