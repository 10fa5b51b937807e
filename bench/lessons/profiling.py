"""Profiling the app three ways: cProfile around the test client (in this process), werkzeug's ProfilerMiddleware
(the maintained built-in, one .prof file per request), and py-spy sampling a worker that is already serving
traffic, from outside, without restarting or changing it."""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from flask import Flask

from bench.core.commands import shell
from bench.core.errors import BenchError
from bench.core.paths import REPO
from bench.host import env
from bench.load.runner import run_load
from bench.servers import Server


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
    return _table(pstats.Stats(profiler), repeat)


def profile_call(function: Callable[..., object], *args: object) -> pd.DataFrame:
    """One call of `function(*args)` under cProfile: the same table as profile_request."""
    profiler = cProfile.Profile()
    profiler.runcall(function, *args)
    return _table(pstats.Stats(profiler), 1)


def _table(stats: pstats.Stats, repeat: int) -> pd.DataFrame:
    """One row per function of a cProfile result, the costliest own time first."""
    rows = []
    for (file, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": name if file == "~" else f"{Path(file).name}:{line}({name})",
                     "calls": calls // repeat, "own ms": 1000 * own / repeat,
                     "cumulative ms": 1000 * cumulative / repeat,
                     "in app": file.startswith(str(REPO / "sample_app"))})
    return pd.DataFrame(rows).sort_values("own ms", ascending=False, ignore_index=True)


def profile_with_middleware(path: str, app: Flask | None = None) -> pd.DataFrame:
    """GET `path` once through werkzeug's ProfilerMiddleware, which writes one .prof file per request into a
    folder (what you would switch on in development): the same table as profile_request."""
    from werkzeug.middleware.profiler import ProfilerMiddleware

    app = app or _app()
    with tempfile.TemporaryDirectory(prefix="profiles-") as folder:
        app.wsgi_app = ProfilerMiddleware(app.wsgi_app, stream=None, profile_dir=folder)  # type: ignore[method-assign]
        response = app.test_client().get(path)
        if response.status_code != 200:
            raise BenchError(f"GET {path} answered {response.status_code}")
        files = sorted(Path(folder).glob("*.prof"))
        if len(files) != 1:
            raise BenchError(f"expected one profile file, found {len(files)}")
        return _table(pstats.Stats(str(files[0])), 1)


def cannot_attach() -> str:
    """Why py-spy cannot read another process's memory here ("" when it can). It needs ptrace: root, or on
    Linux kernel.yama.ptrace_scope 0 (the worker is not py-spy's child), or the SYS_PTRACE capability in a
    container; on macOS, sudo."""
    if os.geteuid() == 0:
        return ""
    if sys.platform == "darwin":
        return "py-spy needs sudo on macOS to read another process"
    scope = Path("/proc/sys/kernel/yama/ptrace_scope")
    if scope.exists() and scope.read_text().strip() != "0":
        return ("py-spy needs ptrace: run as root, or `sudo sysctl kernel.yama.ptrace_scope=0` "
                "(this machine allows tracing only a process's own children)")
    return ""


def py_spy_command(pid: int, seconds: float, output: Path, rate: int = 250) -> list[str]:
    """py-spy record on `pid` for `seconds`, without pausing it, writing raw stacks to `output`."""
    return [env.require("py-spy"), "record", "--pid", str(pid), "--duration", f"{max(1, round(seconds))}",
            "--rate", str(rate), "--format", "raw", "--output", str(output), "--nonblocking"]


def sample_process(pid: int, seconds: float, rate: int = 250) -> pd.DataFrame:
    """py-spy record on a running process for `seconds`, without pausing it: one row per function, with the
    samples where it was on top of the stack (its own time) and their share, the most frequent first."""
    with tempfile.TemporaryDirectory(prefix="py-spy-") as folder:
        out = Path(folder) / "stacks.txt"
        done = subprocess.run(py_spy_command(pid, seconds, out, rate), capture_output=True, text=True,
                              timeout=seconds + 60)
        if done.returncode != 0 or not out.exists():
            raise BenchError(f"py-spy failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-400:]}")
        own: dict[str, int] = {}
        for line in out.read_text().splitlines():  # "frame;frame;...;leaf count", the leaf on top of the stack
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                leaf = re.sub(r":\d+\)$", ")", stack.rsplit(";", 1)[-1])  # "name (file:line)": one row per function
                own[leaf] = own.get(leaf, 0) + int(count)
    total = sum(own.values()) or 1
    frame = pd.DataFrame([{"function": f, "samples": n, "share": n / total} for f, n in own.items()])
    return frame.sort_values("samples", ascending=False, ignore_index=True)


def sample_under_load(server: Server, path: str, seconds: float = 2, users: int = 2) -> tuple[str, pd.DataFrame]:
    """py-spy on the server's first process while locust keeps it busy with `path` (sampling starts 1 s into
    the load): the command it ran, to copy, and `sample_process`'s table."""
    pid = server.processes()[-1].pid  # a worker, where there is a master
    sampled: dict[str, pd.DataFrame] = {}
    run_load(server, path, users=users, duration=seconds + 3, label=f"{path}, py-spy attached",
             events=[(1.0, "py-spy", lambda: sampled.update(stacks=sample_process(pid, seconds)))])
    return shell(py_spy_command(pid, seconds, Path("stacks.txt"))), sampled["stacks"]


def time_in_process(path: str, repeat: int = 5, app: Flask | None = None) -> float:
    """The fastest of `repeat` answers to GET `path` in this process, in milliseconds (after one warm-up request).
    The fastest, not the mean: on a busy machine a request that had to wait for a core measures the wait too."""
    client = (app or _app()).test_client()
    client.get(path)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path)
        best = min(best, time.perf_counter() - started)
    return 1000 * best
