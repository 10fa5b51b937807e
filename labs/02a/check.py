"""Lab 02a check: p95 ≤ 250 ms on /io?ms=100 with 50 users and at most 2 workers, no failures."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

from bench import run_load
from bench.core.errors import BenchError
from bench.host import env
from bench.servers import APP, Gunicorn
from course.labs import Check

P95_TARGET_MS = 250
MAX_WORKERS = 2
USERS = 50


def _settings(config: Path) -> dict[str, str]:
    out = subprocess.run([env.require("gunicorn"), "--print-config", "--config", str(config), APP],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise BenchError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "gunicorn rejected it")
    return {k.strip(): v.strip() for k, v in (line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)}


def check(directory: Path) -> Iterator[Check]:
    config = directory / "gunicorn.conf.py"
    if not config.exists():
        yield Check("gunicorn.conf.py exists", False, f"no file at {config}")
        return
    try:
        settings = _settings(config)
    except BenchError as error:
        yield Check("gunicorn accepts the config", False, str(error))
        return
    yield Check("gunicorn accepts the config", True)
    workers = int(settings["workers"])
    yield Check(f"at most {MAX_WORKERS} worker processes", workers <= MAX_WORKERS, f"workers = {workers}")
    try:
        with Gunicorn(config=config) as server:
            result = run_load(server, "/io?ms=100", users=USERS, label="lab 02a", progress=False)
    except BenchError as error:
        yield Check("gunicorn starts with the config", False, str(error).splitlines()[0])
        return
    yield Check("the measurement is trustworthy (load generator not the bottleneck)", not result.generator_bound,
                f"generator CPU {result.generator_cpu_total:.0f}%")
    yield Check("no failed requests", result.failures == 0, f"{result.failures} of {result.requests} failed")
    yield Check(f"p95 latency ≤ {P95_TARGET_MS} ms", result.p95 <= P95_TARGET_MS,
                f"p95 = {result.p95:.0f} ms at {result.rps:.0f} req/s")
