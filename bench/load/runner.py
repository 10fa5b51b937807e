"""Drive load with locust in a subprocess and return a tidy, honest result.

    result = run_load(server, "/io?ms=50", users=16)
    result.rps, result.p95, result.generator_bound

Honest means: the load generator's own CPU is measured while it runs, and a result where the
generator (not the server) was the bottleneck is flagged, so no claim is drawn from it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm  # a widget in Jupyter, text in a terminal

from bench.core import mode, registry
from bench.core.commands import shell
from bench.core.errors import BenchError, LoadError
from bench.core.paths import state_dir
from bench.host import partition
from bench.load.cpu import CpuWatch, capacity_cores, core_share, load_window
from bench.load.result import (
    COMPLETION_COLUMNS,
    GENERATOR_BOUND_CPU,
    GENERATOR_BOUND_MACHINE_SHARE,
    LoadResult,
    Target,
    checked_paths,
    generator_share,
    target_url,
)

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
USER_CLASSES = {"fast": "FastUser", "plain": "PlainUser"}

_LOCUST_CPU_WARNING = "CPU usage above"


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")  # locust writes N/A when nothing was measured


def _percentile(histogram: Mapping[str, int], q: float) -> float:
    """The q-quantile of locust's response-time histogram ({rounded ms: count}), as locust computes it."""
    total = sum(histogram.values())
    if not total:
        return float("nan")
    seen = 0
    for value in sorted(histogram, key=float):
        seen += histogram[value]
        if seen >= q * total:
            return float(value)
    return float(max(histogram, key=float))


def _merge(dicts: list[Mapping[str, int]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for d in dicts:
        for key, count in d.items():
            merged[key] = merged.get(key, 0) + count
    return merged


def _read_history(path: Path) -> pd.DataFrame:
    """Users and p50/p95 latency per second, from locust's aggregated history CSV, by unix second."""
    columns = ["second", "users", "p50", "p95"]
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame(columns=columns)
    raw = pd.read_csv(path)
    raw = raw[raw["Name"] == "Aggregated"]
    return pd.DataFrame({"second": raw["Timestamp"].astype(int), "users": raw["User Count"].astype(int),
                         "p50": raw["50%"].map(_number), "p95": raw["95%"].map(_number)}).drop_duplicates("second")


def _timeseries(entries: list[dict], history: pd.DataFrame, start: float | None = None) -> pd.DataFrame:
    """Requests and failures per second (exact rates, partial seconds at the edges included) from the
    final stats, joined with users and latency from the history CSV; `t` counts seconds from `start` (the first
    request sent; by default locust's start of statistics)."""
    columns = ["t", "users", "rps", "failures/s", "p50", "p95", "requests", "failures"]
    per_second = _merge([e["num_reqs_per_sec"] for e in entries])
    failed = _merge([e["num_fail_per_sec"] for e in entries])
    if not per_second:
        return pd.DataFrame(columns=columns)
    start = min(e["start_time"] for e in entries) if start is None else start
    end = max(e["last_request_timestamp"] or start for e in entries)
    seconds = sorted(int(k) for k in per_second)
    covered = [max(1e-3, min(sec + 1, end) - max(sec, start)) for sec in seconds]
    frame = pd.DataFrame({
        "second": seconds,
        "t": [sec - int(start) for sec in seconds],
        "rps": [per_second[str(sec)] / c for sec, c in zip(seconds, covered, strict=True)],
        "failures/s": [failed.get(str(sec), 0) / c for sec, c in zip(seconds, covered, strict=True)],
        "requests": pd.Series([per_second[str(sec)] for sec in seconds]).cumsum(),
        "failures": pd.Series([failed.get(str(sec), 0) for sec in seconds]).cumsum(),
    })
    frame = frame.merge(history, on="second", how="left")
    return frame[columns]


Event = tuple[float, str, Callable[[], object]]  # (seconds after the load starts, name, action)


@dataclass(frozen=True)
class LoadSpec:
    """One load test, checked: where it goes, which paths, how many users, for how long, with what."""

    url: str
    paths: tuple[str, ...]
    users: int
    duration: float
    processes: int = 1
    user_class: str = "fast"
    rate: float | None = None  # requests/s offered in total (None: as fast as the server answers)
    label: str = ""

    @classmethod
    def of(cls, target: Target | str, path: str | list[str] = "/", users: int = 10, duration: float | None = None,
           processes: int = 1, user_class: str = "fast", rate: float | None = None,
           label: str | None = None) -> LoadSpec:
        """A spec from run_load's arguments: paths checked, the mode's duration by default, a default label."""
        paths = tuple(checked_paths(path))
        duration = float(duration if duration is not None else mode.current().duration)
        if user_class not in USER_CLASSES:
            raise BenchError(f"user_class must be one of {sorted(USER_CLASSES)}, got {user_class!r}")
        if users < 1 or processes < 1 or duration <= 0:
            raise BenchError("users and processes must be at least 1, duration above 0")
        return cls(target_url(target), paths, users, duration, processes, user_class, rate,
                   label or f"{paths[0]} ×{users}")

    def argv(self, *options: str) -> list[str]:
        """locust, headless, with the course's locustfile; `options` go before the user class."""
        return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", self.url,
                "--users", str(self.users), "--spawn-rate", str(self.users), "--run-time", f"{self.duration:g}s",
                *options, *(["--processes", str(self.processes)] if self.processes > 1 else []),
                USER_CLASSES[self.user_class]]

    def env(self) -> dict[str, str]:
        """What the locustfile reads: the paths, and each user's pace when a rate is set."""
        return {"BENCH_PATHS": " ".join(self.paths),
                "BENCH_RATE": f"{self.rate / self.users:g}" if self.rate else ""}


def first_sent(out: Path, entries: list[dict]) -> float:
    """When the run's first request went out: the earliest a locust process noted (the locustfile's BENCH_STARTED),
    else, where none did, locust's own start of statistics, which is the first answer (one response time later)."""
    noted = [float(path.read_text()) for path in out.glob("started.*") if path.read_text().strip()]
    return min(noted) if noted else min(e["start_time"] for e in entries)


def locust_command(target: Target | str, path: str | list[str] = "/", users: int = 10,
                   duration: float | None = None, user_class: str = "fast", rate: float | None = None,
                   processes: int = 1) -> str:
    """The load test run_load runs, as a command to copy into a terminal at the repository's root: locust with
    the course's locustfile (bench/load/locustfile.py), headless, printing its usual report (run_load adds only
    CSV and JSON files to read the results from)."""
    spec = LoadSpec.of(target, path, users, duration, processes, user_class, rate)
    return shell(spec.argv(), {k: v for k, v in spec.env().items() if v})


def _has_rows(path: Path) -> bool:
    try:
        with path.open() as f:
            return sum(1 for _ in f) >= 2
    except OSError:
        return False


def run_load(target: Target | str, path: str | list[str] = "/", users: int = 10, duration: float | None = None,
             processes: int = 1, user_class: str = "fast", label: str | None = None,
             progress: bool | None = None, events: Sequence[Event] = (), rate: float | None = None,
             per_request: bool = False, quiet: bool = False) -> LoadResult:
    """Run locust headless against `target` for `duration` seconds (mode default) and parse its CSV.

    `rate`: offer at most this many requests/s in total (spread over the users), whatever the server
    could take: the way to measure a fast server without making the load generator the bottleneck.

    `events` are actions run during the load, e.g. `(2.0, "kill a worker", fn)`: the time each fired
    is in `result.events`, on the same clock as `result.timeseries["t"]`.

    `per_request`: also note when each request ended (`result.completions`), for what happens within a second
    (bench.timeline); locust's own statistics count whole seconds.

    `quiet`: no flag line even when the run is flagged, for a run whose rate is not the point (the generator's
    ceiling, generator-bound by design; a smoke test); the flags stay on the result.
    """
    spec = LoadSpec.of(target, path, users, duration, processes, user_class, rate, label)
    duration, label = spec.duration, spec.label
    # progress: a live bar (True, or BENCH_PROGRESS=1, the default), or none (False, BENCH_PROGRESS=0, or
    # BENCH_PROGRESS=line, which `make record` sets: a recorded notebook keeps no progress bar)
    shown = ("1" if progress else "0") if progress is not None else os.environ.get("BENCH_PROGRESS", "1")

    out = state_dir() / "load" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}"
    out.mkdir(parents=True)
    log_path = out / "locust.log"
    csv = out / "run"
    options = ["--csv", str(csv), "--csv-full-history", "--json-file", str(csv.with_name("final")), "--only-summary",
               "--exit-code-on-error", "0", "--loglevel", "WARNING"]
    request_log = out / "requests"
    env = {**spec.env(), "BENCH_STARTED": str(out / "started"),
           **({"BENCH_REQUEST_LOG": str(request_log)} if per_request else {})}
    proc, entry = registry.spawn(spec.argv(*options), log_path, "locust", env=env)
    server = target if not isinstance(target, str) and target.running else None
    # where there are cores to spare, locust and the server run on cores of their own while the load lasts
    give_back = partition.apart(partition.current(core_share(), spec.processes), proc.pid,
                                getattr(server, "processes", None))
    watch = CpuWatch(proc.pid, server)
    pending, fired = sorted(events, key=lambda e: e[0]), {}
    started: float | None = None
    server_cpu = server.cpu_seconds() if server else float("nan")
    bar = tqdm(total=round(duration), desc=label, unit="s", file=sys.stderr, disable=shown in ("0", "line"),
               bar_format="{desc}: {bar} {n:.0f}/{total:.0f} s")
    deadline = time.monotonic() + duration + 60  # start-up and shut-down, generously
    try:
        while proc.poll() is None:
            now = time.monotonic()
            if now > deadline:
                raise LoadError(f"locust did not finish within {duration + 60:.0f} s; log: {log_path}")
            if started is None and _has_rows(out / "run_stats_history.csv"):
                started = now
            while started is not None and pending and now - started >= pending[0][0]:
                _, name, action = pending.pop(0)
                fired[name] = time.time()  # when it began: a kill may take a while to return
                action()
            watch.sample()
            bar.n = min(round(duration), round(now - started)) if started else 0
            bar.refresh()
            time.sleep(0.2)
        bar.n = round(duration)
        bar.refresh()
        if server is not None and server.running:
            server_cpu = server.cpu_seconds() - server_cpu
    finally:
        bar.close()
        registry.kill_group(entry, first=signal.SIGKILL)  # normally gone already; never left behind
        proc.wait()
        if give_back:
            give_back()
    if pending:
        raise LoadError(f"the load ended before these events: {[name for _, name, _ in pending]}")
    result = _parse(out, log_path, spec, watch, apart=give_back is not None)
    # on the clock of result.timeseries["t"] (whole seconds since locust's first request)
    result.events = {name: at - int(result.started_at) for name, at in fired.items()}
    if per_request:
        result.completions = _completions(out, int(result.started_at))
    result.generator_share = 0.0 if result.cores_apart else generator_share(
        result.generator_cpu_total / 100, result.machine_busy, capacity_cores(), result.server_busy,
        server.max_cores() if server is not None else None, core_share())
    if server is not None and result.requests:
        result.server_cpu_ms = server_cpu * 1000 / result.requests
    if result.flag_line() and not quiet:  # a quiet bench: a load prints nothing unless it needs a caveat
        print(result.flag_line())
        result.flag_shown = True
    return result


def _completions(out: Path, origin: int) -> pd.DataFrame:
    """The request log of every locust process (bench/load/locustfile.py), on the clock of timeseries["t"]."""
    rows = [line.split() for path in sorted(out.glob("requests.*")) for line in path.read_text().splitlines()]
    frame = pd.DataFrame(rows, columns=COMPLETION_COLUMNS).astype({"t": float, "ms": float, "failed": int})
    frame["t"] -= origin
    return frame.sort_values("t", ignore_index=True)


def _parse(out: Path, log_path: Path, spec: LoadSpec, watch: CpuWatch, apart: bool = False) -> LoadResult:
    """Totals from locust's final JSON stats (its CSV files are written once a second and can miss the
    last second of a run); the history CSV adds users and latency per second; `watch` the CPU figures, over the
    time locust sent requests. `apart`: locust ran on cores of its own, so only its busiest process can be the
    bottleneck, not its share of the machine."""
    log = log_path.read_text(errors="replace")
    tail = "\n".join(log.splitlines()[-15:])
    final = out / "final.json"
    if not final.exists():
        raise LoadError(f"locust wrote no results (log {log_path}). Last lines:\n{tail}")
    entries = json.loads(final.read_text())
    requests = sum(e["num_requests"] for e in entries)
    if requests == 0:
        raise LoadError(f"locust sent no requests (log {log_path}). Last lines:\n{tail}")
    histogram = _merge([e["response_times"] for e in entries])
    started = first_sent(out, entries)
    ended = max(e["last_request_timestamp"] or 0 for e in entries)
    elapsed = ended - started
    window = load_window(started, ended)
    generator_cpu, generator_total = watch.usage(window)
    failures_path = out / "run_failures.csv"
    failure_messages = pd.read_csv(failures_path) if failures_path.exists() else pd.DataFrame()
    machine_share = generator_total / (100 * capacity_cores())  # of the cores this process may use
    bound = (generator_cpu >= GENERATOR_BOUND_CPU * core_share()
             or (machine_share >= GENERATOR_BOUND_MACHINE_SHARE and not apart)
             or _LOCUST_CPU_WARNING in log)
    return LoadResult(
        label=spec.label, url=spec.url, paths=list(spec.paths), users=spec.users, duration=spec.duration,
        processes=spec.processes, user_class=spec.user_class, requests=requests,
        failures=sum(e["num_failures"] for e in entries),
        rps=requests / elapsed if elapsed > 0 else float("nan"), p50=_percentile(histogram, 0.50),
        p95=_percentile(histogram, 0.95), p99=_percentile(histogram, 0.99), generator_cpu=generator_cpu,
        generator_cpu_total=generator_total, generator_bound=bound,
        timeseries=_timeseries(entries, _read_history(out / "run_stats_history.csv"), started),
        failure_messages=failure_messages, log=log,
        mean=sum(e["total_response_time"] for e in entries) / requests,
        started_at=started, cores_apart=apart, machine_busy=watch.machine_busy(window),
        server_busy=watch.server_busy(window),
    )
