"""Drive load with locust in a subprocess and return a tidy, honest result.

    result = run_load(server, "/io?ms=50", users=16)
    result.rps, result.p95, result.generator_bound

Honest means: the load generator's own CPU is measured while it runs, and a result where the
generator (not the server) was the bottleneck is flagged, so no claim is drawn from it.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any, Protocol
from urllib.parse import urlsplit

import pandas as pd
import psutil
import requests
from tqdm.auto import tqdm  # a widget in Jupyter, text in a terminal

from bench import mode, partition, registry
from bench.busy import busy_seconds
from bench.commands import shell
from bench.errors import BenchError, LoadError
from bench.paths import state_dir
from sample_app.limits import usable_cpus

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
USER_CLASSES = {"fast": "FastUser", "plain": "PlainUser"}
# A locust process above this share of one core is the bottleneck, not the server...
GENERATOR_BOUND_CPU = 80.0
# ... and so is a generator whose processes together take this share of all the machine's cores
# (on 2 cores: two locust processes at 50% each leave the server too little to be measured).
GENERATOR_BOUND_MACHINE_SHARE = 0.4
# Interference: where the machine's idle CPU is less than this many times what the generator uses, the
# server could have used the generator's CPU (a server held back by its own limits, such as one process
# under the GIL, leaves more idle than that). Measured against wrk (which costs next to nothing per
# request), such a run loses the generator's share of the busy CPU or more (see INTERFERENCE_SHARE).
IDLE_MARGIN = 1.2
# On the half-speed cores of `portability.sh half` that idle CPU comes in slices between the busy loops' and
# serves a server waking up for each request far worse: there gunicorn /quote ×16, locust at 0.21-0.25 cores and
# 0.17-0.27 cores idle (0.7-1.2 × locust's), measured 0.54-0.63 × wrk. The margin there is IDLE_MARGIN / the share
# each core gives.
# `scripts/portability.sh half` stands for a slower machine with a busy loop on each core. It names them here,
# with the share of each core they leave: their CPU is the machine being slower, not other work, so it is left
# out of "busy" and the usable cores shrink by that share instead.
BACKGROUND_PIDS, CPU_SHARE = "BENCH_BACKGROUND_PIDS", "BENCH_CPU_SHARE"
# On a saturated machine locust's CPU costs the server more than its share of the busy CPU (context switches,
# caches, its own delay in sending the next request). Measured against wrk, gunicorn (2 workers, 16 users) on 2
# cores: /cpu?ms=5, locust 9-12% of the busy CPU, 0.80-0.92 × wrk; /cpu?ms=20, 4.4-5.2%, 0.92-0.97 × wrk. On the
# half-speed cores of `portability.sh half` the same: 13-14%, 0.77-0.89 × wrk; 4.7-5.9%, 0.94-0.96 × wrk. Past
# this share the number is too low to stand for the server.
INTERFERENCE_SHARE = 0.08
# A server that can keep fewer cores busy than the machine has (one process under the GIL, one worker) and used
# at least this share of them got all the CPU it could use: the generator ran on the cores it could not use.
SATURATED = 0.85
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LOAD_WARMUP = 0.5  # seconds after the first request before the CPU figures count (users connecting)
SETTLE_SECONDS = 120.0  # the longest a server may take to serve what a load left queued (see settle)
_LOCUST_CPU_WARNING = "CPU usage above"


COMPLETION_COLUMNS = ["t", "ms", "failed"]
APPENDIX = "see notebook 09, How this course measures"


@dataclass
class LoadResult:
    label: str
    url: str
    paths: list[str]
    users: int
    duration: float
    processes: int
    user_class: str
    requests: int
    failures: int
    rps: float
    p50: float  # milliseconds
    p95: float
    p99: float
    generator_cpu: float  # median % of one core used by the busiest locust process
    generator_cpu_total: float  # % of one core used by all locust processes together, over the load (load_window)
    generator_bound: bool
    timeseries: pd.DataFrame = field(repr=False)
    failure_messages: pd.DataFrame = field(repr=False)
    log: str = field(repr=False, default="")
    events: dict[str, float] = field(default_factory=dict)  # name -> seconds after the load started
    server_cpu_ms: float = float("nan")  # server CPU time per request, when the target is a bench server
    mean: float = float("nan")  # mean response time, milliseconds
    machine_busy: float = float("nan")  # cores busy on the whole machine while the load ran
    generator_share: float = 0.0  # the generator's part of that busy CPU, when the machine was contended
    server_busy: float = float("nan")  # cores the server kept busy, when the target is a bench server
    started_at: float = float("nan")  # unix time of locust's first request
    cores_apart: bool = False  # locust and the server ran on cores of their own (bench.partition)
    # each request's end (t, on the clock of timeseries["t"]), response time and failure: run_load(per_request=True)
    completions: pd.DataFrame = field(repr=False, default_factory=lambda: pd.DataFrame(columns=COMPLETION_COLUMNS))

    @property
    def interfered(self) -> bool:
        """The generator took CPU the server needed: the rate is a lower bound on what the server can do."""
        return self.generator_share >= INTERFERENCE_SHARE

    @property
    def failure_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def row(self) -> dict[str, object]:
        """The headline numbers, for building a DataFrame of many runs."""
        return {
            "label": self.label, "users": self.users, "rps": round(self.rps, 1), "mean ms": round(self.mean, 1),
            "p50 ms": self.p50,
            "p95 ms": self.p95, "p99 ms": self.p99, "requests": self.requests, "failures": self.failures,
            "generator CPU %": round(self.generator_cpu_total), "generator-bound": self.generator_bound,
            "generator share %": round(100 * self.generator_share), "interfered": self.interfered,
            "server CPU ms/req": round(self.server_cpu_ms, 3),
        }

    def __str__(self) -> str:
        text = (f"{self.label}: {self.rps:,.0f} req/s, p50 {self.p50:.0f} ms, p95 {self.p95:.0f} ms, "
                f"{self.failures} failed of {self.requests} ({self.failure_rate:.1%}), "
                f"generator CPU {self.generator_cpu_total:.0f}%")
        # One line each: what the flags mean, and what to do, is the appendix's lesson (notebook 09).
        if self.generator_bound:
            text += f"\n  ⚠ generator-bound: this rate measures the load generator, not the server ({APPENDIX})"
        elif self.interfered:
            text += f"\n  ⚠ interfered: read this rate as a lower bound ({APPENDIX})"
        return text


class Target(Protocol):
    """What load goes to when it is not a URL: a bench server (bench.servers), which also says how much CPU it
    used, so a run can report the server's CPU per request and whether it was saturated. A target that also has
    `processes()` (its psutil processes) can be pinned apart from locust where there are spare cores
    (bench.partition)."""

    @property
    def url(self) -> str: ...

    @property
    def running(self) -> bool: ...

    def cpu_seconds(self) -> float: ...

    def max_cores(self) -> float | None: ...


def target_url(target: Target | str) -> str:
    url = target if isinstance(target, str) else target.url
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise BenchError(f"load goes only to this machine (127.0.0.1), not to {host!r}: "
                         "start the server with the bench, or publish the container on 127.0.0.1")
    return url.rstrip("/")


def checked_paths(path: str | list[str]) -> list[str]:
    """Paths on the target, never URLs: locust requests an absolute URL as given, past the loopback check."""
    paths = [path] if isinstance(path, str) else list(path)
    for p in paths:
        parts = urlsplit(p)
        if not p.startswith("/") or p.startswith("//") or parts.scheme or parts.netloc or "\\" in p:
            raise BenchError(f"give a path on the server, such as '/io?ms=50', not {p!r}: "
                             "load goes only to the server the bench started, on 127.0.0.1")
    return paths


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


def _timeseries(entries: list[dict], history: pd.DataFrame) -> pd.DataFrame:
    """Requests and failures per second (exact rates, partial seconds at the edges included) from the
    final stats, joined with users and latency from the history CSV."""
    columns = ["t", "users", "rps", "failures/s", "p50", "p95", "requests", "failures"]
    per_second = _merge([e["num_reqs_per_sec"] for e in entries])
    failed = _merge([e["num_fail_per_sec"] for e in entries])
    if not per_second:
        return pd.DataFrame(columns=columns)
    start = min(e["start_time"] for e in entries)
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


Window = tuple[float, float]  # (first, last) unix time of what a measurement counts


class _CpuWatch:
    """Samples the CPU use of a process tree (% of one core): its busiest process, and all of it."""

    def __init__(self, pid: int, server: Target | None = None) -> None:
        self.root = psutil.Process(pid)
        self.server = server
        self.procs: dict[int, psutil.Process] = {}
        self.samples: list[tuple[float, float, float]] = []  # (time, busiest, total)
        self.machine: list[tuple[float, float]] = []  # (time, busy CPU seconds of the cores we may use)
        self.served: list[tuple[float, float]] = []  # (time, CPU seconds the server has used)
        self.generated: dict[int, list[tuple[float, float]]] = {}  # pid -> (time, CPU seconds it has used)
        self.cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        self.started = time.time()  # samples are on the wall clock, like locust's own timestamps

    def _machine_busy_seconds(self) -> float:
        return busy_seconds(self.cpus) - _background_seconds()

    def sample(self) -> float:
        """Take a sample; return the total."""
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        shares, seconds = [], {}
        for proc in tree:
            known = self.procs.setdefault(proc.pid, proc)
            try:
                shares.append(known.cpu_percent(None))
                times = known.cpu_times()
                seconds[proc.pid] = times.user + times.system
            except psutil.NoSuchProcess:
                continue
        now = time.time()
        self.samples.append((now, max(shares, default=0.0), sum(shares)))
        for pid, used in seconds.items():
            self.generated.setdefault(pid, []).append((now, used))
        self.machine.append((now, self._machine_busy_seconds()))
        if self.server is not None and self.server.running:
            self.served.append((now, self.server.cpu_seconds()))
        return sum(shares)

    def machine_busy(self, window: Window) -> float:
        """Cores busy on the machine (all processes) within `window`."""
        return _rate(self.machine, window)

    def server_busy(self, window: Window) -> float:
        """Cores the server kept busy within `window` (NaN when the target is not a bench Server)."""
        return _rate(self.served, window)

    def medians(self, window: Window | None = None) -> tuple[float, float]:
        """(busiest, total) medians within `window`; by default from a second after locust started (its start-up
        burns CPU too), which is what the live progress bar shows."""
        start, end = window or (self.started + 1.0, math.inf)
        kept = [s for s in self.samples if start <= s[0] <= end] or self.samples
        if not kept:
            return 0.0, 0.0
        return median(s[1] for s in kept), median(s[2] for s in kept)

    def usage(self, window: Window) -> tuple[float, float]:
        """(busiest, total) within `window`, in % of one core: the busiest process's median (its ceiling is one
        core), the tree's total from its CPU seconds. A 0.2 s sample counts whole 10 ms clock ticks, so a median of
        them moves in steps of 5% of a core; the CPU seconds over the run do not."""
        busiest, total = self.medians(window)
        rate = _tree_rate(self.generated, window)
        return busiest, total if math.isnan(rate) else 100 * rate


def load_window(started: float, ended: float) -> Window:
    """The part of a run the CPU figures count: from LOAD_WARMUP after locust's first request to its last one.
    Not from locust's start: its start-up (imports, ~1 s of a core here, twice that on half-speed cores) and its
    shutdown cost far more than sending requests, and a 3 s run read 5-9% of a core where 12 s read 4%."""
    return started + min(LOAD_WARMUP, (ended - started) / 4), ended


def _rate(counter: list[tuple[float, float]], window: Window) -> float:
    """Seconds of CPU per second, from (time, CPU seconds so far) samples within `window`."""
    kept = [m for m in counter if window[0] <= m[0] <= window[1]]
    if len(kept) < 2 or kept[-1][0] <= kept[0][0]:
        return float("nan")
    return (kept[-1][1] - kept[0][1]) / (kept[-1][0] - kept[0][0])


def _tree_rate(per_process: dict[int, list[tuple[float, float]]], window: Window) -> float:
    """Seconds of CPU per second used within `window` by processes that come and go (locust's workers stop
    before it): each from its value at the window's first sample (0 if it started later) to the last one it
    was seen at within the window."""
    times = sorted({t for samples in per_process.values() for t, _ in samples if window[0] <= t <= window[1]})
    if len(times) < 2:
        return float("nan")
    first, last = times[0], times[-1]
    used = 0.0
    for samples in per_process.values():
        seen = [value for t, value in samples if t <= last]
        before = [value for t, value in samples if t <= first]
        if seen:
            used += seen[-1] - (before[-1] if before else 0.0)
    return used / (last - first)


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


def locust_command(target: Target | str, path: str | list[str] = "/", users: int = 10,
                   duration: float | None = None, user_class: str = "fast", rate: float | None = None,
                   processes: int = 1) -> str:
    """The load test run_load runs, as a command to copy into a terminal at the repository's root: locust with
    the course's locustfile (bench/locustfile.py), headless, printing its usual report (run_load adds only
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
             per_request: bool = False) -> LoadResult:
    """Run locust headless against `target` for `duration` seconds (mode default) and parse its CSV.

    `rate`: offer at most this many requests/s in total (spread over the users), whatever the server
    could take: the way to measure a fast server without making the load generator the bottleneck.

    `events` are actions run during the load, e.g. `(2.0, "kill a worker", fn)`: the time each fired
    is in `result.events`, on the same clock as `result.timeseries["t"]`.

    `per_request`: also note when each request ended (`result.completions`), for what happens within a second
    (bench.timeline); locust's own statistics count whole seconds.
    """
    spec = LoadSpec.of(target, path, users, duration, processes, user_class, rate, label)
    duration, label = spec.duration, spec.label
    # progress: a live bar (True, or BENCH_PROGRESS=1, the default), one line once the run is over
    # (BENCH_PROGRESS=line: what `make record` keeps in the notebooks), or nothing (False, BENCH_PROGRESS=0)
    shown = ("1" if progress else "0") if progress is not None else os.environ.get("BENCH_PROGRESS", "1")

    out = state_dir() / "load" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}"
    out.mkdir(parents=True)
    log_path = out / "locust.log"
    csv = out / "run"
    options = ["--csv", str(csv), "--csv-full-history", "--json-file", str(csv.with_name("final")), "--only-summary",
               "--exit-code-on-error", "0", "--loglevel", "WARNING"]
    request_log = out / "requests"
    env = {**spec.env(), **({"BENCH_REQUEST_LOG": str(request_log)} if per_request else {})}
    proc, entry = registry.spawn(spec.argv(*options), log_path, "locust", env=env)
    server = target if not isinstance(target, str) and target.running else None
    # where there are cores to spare, locust and the server run on cores of their own while the load lasts
    give_back = partition.apart(partition.current(core_share(), spec.processes), proc.pid,
                                getattr(server, "processes", None))
    watch = _CpuWatch(proc.pid, server)
    pending, fired = sorted(events, key=lambda e: e[0]), {}
    started: float | None = None
    server_cpu = server.cpu_seconds() if server else float("nan")
    bar = tqdm(total=round(duration), desc=label, unit="s", file=sys.stderr, disable=shown in ("0", "line"),
               bar_format="{desc}: {bar} {n:.0f}/{total:.0f} s{postfix}")
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
            # the median since the first second, as the result reports it (locust's start-up spikes above 100%)
            bar.set_postfix_str(f" generator CPU {watch.medians()[1]:.0f}% (median)", refresh=True)
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
    if shown == "line":
        print(f"{label}: {duration:g} s of load, generator CPU {result.generator_cpu_total:.0f}%")
    result.generator_share = 0.0 if result.cores_apart else generator_share(
        result.generator_cpu_total / 100, result.machine_busy, capacity_cores(), result.server_busy,
        server.max_cores() if server is not None else None, core_share())
    if server is not None and result.requests:
        result.server_cpu_ms = server_cpu * 1000 / result.requests
    return result


def _completions(out: Path, origin: int) -> pd.DataFrame:
    """The request log of every locust process (bench/locustfile.py), on the clock of timeseries["t"]."""
    rows = [line.split() for path in sorted(out.glob("requests.*")) for line in path.read_text().splitlines()]
    frame = pd.DataFrame(rows, columns=COMPLETION_COLUMNS).astype({"t": float, "ms": float, "failed": int})
    frame["t"] -= origin
    return frame.sort_values("t", ignore_index=True)


def run_on(make: Callable[[], Target], path: str | list[str] = "/", **load: Any) -> LoadResult:
    """Start the server `make()` builds, run `run_load(server, path, **load)` against it, and stop it: one
    experiment for `there_and_back`."""
    with make() as server:  # type: ignore[attr-defined]
        return run_load(server, path, **load)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy so far, the busy loops of `portability.sh half` left out."""
    return busy_seconds() - _background_seconds()


def _background_seconds() -> float:
    """CPU seconds used so far by the busy loops that stand for a slower machine (BENCH_BACKGROUND_PIDS)."""
    total = 0.0
    for pid in os.environ.get(BACKGROUND_PIDS, "").split():
        try:
            times = psutil.Process(int(pid)).cpu_times()
            total += times.user + times.system
        except (psutil.Error, ValueError):
            continue
    return total


def core_share() -> float:
    """The share of each core left to this process: 1, except in `portability.sh half`."""
    return float(os.environ.get(CPU_SHARE) or 1)


def capacity_cores() -> float:
    """The cores experiments may use, in whole cores' worth: usable cores times the share of each."""
    return usable_cpus() * core_share()


def generator_share(generator_cores: float, busy_cores: float, usable: float, server_cores: float = float("nan"),
                    server_ceiling: float | None = None, share: float = 1.0) -> float:
    """The generator's part of the machine's busy CPU, counted only when the machine was contended: when
    less CPU sat idle than the generator used (with IDLE_MARGIN), the server could have used the
    generator's CPU. On a machine with room to spare the generator takes nothing the server wanted; nor
    does it from a server that can use fewer cores than the machine has (`server_ceiling`, in cores) and
    used (SATURATED) all of them. `share`: what each core gives (`core_share`). Below 1 the idle CPU comes in
    slices between the busy loops', so the margin grows as the share shrinks (see IDLE_MARGIN), and no server is
    exempt: a process runs in whichever core's free slice comes first, so it is not held to one core's share
    (against wrk, the development server's one process kept 0.57 cores busy where each core gave 0.49)."""
    if math.isnan(busy_cores) or busy_cores <= 0 or usable - busy_cores >= IDLE_MARGIN / share * generator_cores:
        return 0.0
    if (server_ceiling is not None and share >= 1 and server_ceiling < usable
            and server_cores >= SATURATED * server_ceiling):
        return 0.0
    return min(1.0, generator_cores / busy_cores)


def _parse(out: Path, log_path: Path, spec: LoadSpec, watch: _CpuWatch, apart: bool = False) -> LoadResult:
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
    started = min(e["start_time"] for e in entries)
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
        timeseries=_timeseries(entries, _read_history(out / "run_stats_history.csv")),
        failure_messages=failure_messages, log=log,
        mean=sum(e["total_response_time"] for e in entries) / requests,
        started_at=started, cores_apart=apart, machine_busy=watch.machine_busy(window),
        server_busy=watch.server_busy(window),
    )


@dataclass
class Measurement:
    """Several runs of the same load (COURSE_MODE decides how many): mean and spread."""

    runs: list[LoadResult]

    @property
    def label(self) -> str:
        return self.runs[0].label

    @property
    def generator_bound(self) -> bool:
        return any(r.generator_bound for r in self.runs)

    @property
    def interfered(self) -> bool:
        return any(r.interfered for r in self.runs)

    @property
    def rps(self) -> float:
        """Mean requests/s over the runs."""
        return sum(r.rps for r in self.runs) / len(self.runs)

    def row(self) -> dict[str, object]:
        """Like LoadResult.row(), averaged over the runs, plus the standard deviation of requests/s."""
        frame = pd.DataFrame([r.row() for r in self.runs])
        row = self.runs[0].row()
        for column in ("rps", "mean ms", "p50 ms", "p95 ms", "p99 ms", "server CPU ms/req"):
            row[column] = round(float(frame[column].mean()), 3)
        row.update({"rps sd": round(float(frame["rps"].std(ddof=1)), 1) if len(frame) > 1 else 0.0,
                    "runs": len(self.runs), "requests": int(frame["requests"].sum()),
                    "failures": int(frame["failures"].sum()), "generator CPU %": int(frame["generator CPU %"].max()),
                    "generator share %": int(frame["generator share %"].max()), "interfered": self.interfered,
                    "generator-bound": self.generator_bound})
        return row

    def __str__(self) -> str:
        row = self.row()
        return (f"{self.label}: {row['rps']:,.0f} ± {row['rps sd']:,.0f} req/s over {len(self.runs)} run(s), "
                f"p95 {row['p95 ms']:.0f} ms" + ("  ⚠ generator-bound" if self.generator_bound
                                                 else "  ⚠ interfered" if self.interfered else ""))


def settle(target: Target | str, timeout: float = SETTLE_SECONDS) -> None:
    """Wait until a bench server answers a request again. When a load stops, every user's last request is still
    queued in the server (a sync worker serves the requests it has accepted, whoever is left to read the answer):
    200 users on 2 sync workers and a 200 ms wait leave 20 s of work, and a run started before it is done
    measures that queue, not the server. One request on the ready path comes back once the queue is served."""
    path = getattr(target, "ready_path", None)
    if isinstance(target, str) or path is None:
        return
    try:
        requests.get(target.url + path, timeout=timeout)
    except requests.RequestException as error:
        raise LoadError(f"{target.url} did not answer within {timeout:g} s of the last load ending: {error}") from None


def measure(target: Target | str, path: str | list[str] = "/", repeats: int | None = None,
            **kwargs: object) -> Measurement:
    """`run_load` repeated `repeats` times (the mode's default: 1 in quick mode, 3 in full), each once the
    server has served what the one before left queued (`settle`)."""
    count = repeats if repeats is not None else mode.current().repeats
    runs = []
    for repeat in range(count):
        if repeat:
            settle(target)
        runs.append(run_load(target, path, **kwargs))  # type: ignore[arg-type]
    return Measurement(runs)


def there_and_back(experiments: Mapping[str, Callable[[], LoadResult]]) -> dict[str, Measurement]:
    """Run each experiment in the order given, then in reverse, and keep both runs of each.

    A machine's speed drifts from minute to minute (notebook 09 measures by how much); measured there and
    back, a slow drift favours no experiment in the averages (`Measurement.row()`).
    """
    order = list(experiments)
    runs: dict[str, list[LoadResult]] = {name: [] for name in order}
    for name in [*order, *order[::-1]]:
        runs[name].append(experiments[name]())
    return {name: Measurement(results) for name, results in runs.items()}
