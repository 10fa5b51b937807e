"""Drive load with locust in a subprocess and return a tidy, honest result.

    result = run_load(server, "/io?ms=50", users=16)
    result.rps, result.p95, result.generator_bound

Honest means: the load generator's own CPU is measured while it runs, and a result where the
generator (not the server) was the bottleneck is flagged, so no claim is drawn from it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from urllib.parse import urlsplit

import pandas as pd
import psutil
from tqdm import tqdm

from bench import mode, registry
from bench.errors import BenchError, LoadError
from bench.paths import state_dir
from bench.servers import Nginx, Server

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
USER_CLASSES = {"fast": "FastUser", "plain": "PlainUser"}
# A locust process above this share of one core is the bottleneck, not the server...
GENERATOR_BOUND_CPU = 80.0
# ... and so is a generator whose processes together take this share of all the machine's cores
# (on 2 cores: two locust processes at 50% each leave the server too little to be measured).
GENERATOR_BOUND_MACHINE_SHARE = 0.4
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_LOCUST_CPU_WARNING = "CPU usage above"


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
    generator_cpu_total: float  # median % of one core used by all locust processes together
    generator_bound: bool
    timeseries: pd.DataFrame = field(repr=False)
    failure_messages: pd.DataFrame = field(repr=False)
    log: str = field(repr=False, default="")
    events: dict[str, float] = field(default_factory=dict)  # name -> seconds after the load started

    @property
    def failure_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def row(self) -> dict[str, object]:
        """The headline numbers, for building a DataFrame of many runs."""
        return {
            "label": self.label, "users": self.users, "rps": round(self.rps, 1), "p50 ms": self.p50,
            "p95 ms": self.p95, "p99 ms": self.p99, "requests": self.requests, "failures": self.failures,
            "generator CPU %": round(self.generator_cpu_total), "generator-bound": self.generator_bound,
        }

    def __str__(self) -> str:
        text = (f"{self.label}: {self.rps:,.0f} req/s, p50 {self.p50:.0f} ms, p95 {self.p95:.0f} ms, "
                f"{self.failures} failed of {self.requests} ({self.failure_rate:.1%}), "
                f"generator CPU {self.generator_cpu_total:.0f}%")
        if self.generator_bound:
            text += ("\n  ⚠ generator-bound: locust used most of a core (or a large share of the machine), so this "
                     "number measures locust, not the server. Give the endpoint more work, or add processes= "
                     "on a machine with spare cores.")
        return text


def _target_url(target: Server | str) -> str:
    url = target.url if isinstance(target, Server) else target
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise BenchError(f"load goes only to this machine (127.0.0.1), not to {host!r}: "
                         "start the server with the bench, or publish the container on 127.0.0.1")
    return url.rstrip("/")


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")  # locust writes N/A when nothing was measured


def _read_history(path: Path) -> pd.DataFrame:
    """Per-second rows of the aggregated stats: requests/s and failures/s from the running totals."""
    columns = ["t", "users", "rps", "failures/s", "p50", "p95", "requests", "failures"]
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame(columns=columns)
    raw = pd.read_csv(path)
    raw = raw[raw["Name"] == "Aggregated"]
    if raw.empty:
        return pd.DataFrame(columns=columns)
    t = raw["Timestamp"].astype(float)
    dt = t.diff().where(lambda s: s > 0)
    total, failed = raw["Total Request Count"].astype(float), raw["Total Failure Count"].astype(float)
    frame = pd.DataFrame({
        "t": t - t.iloc[0],
        "users": raw["User Count"].astype(int),
        "rps": (total.diff() / dt).fillna(0.0),
        "failures/s": (failed.diff() / dt).fillna(0.0),
        "p50": raw["50%"].map(_number),
        "p95": raw["95%"].map(_number),
        "requests": total.astype(int),
        "failures": failed.astype(int),
    })
    # The first row is the snapshot taken as users were spawned, before any request: rates start after it.
    return frame.iloc[1:].reset_index(drop=True) if len(frame) > 1 else frame.reset_index(drop=True)


class _CpuWatch:
    """Samples the CPU use of a process tree (% of one core): its busiest process, and all of it."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.procs: dict[int, psutil.Process] = {}
        self.samples: list[tuple[float, float, float]] = []  # (time, busiest, total)
        self.started = time.monotonic()

    def sample(self) -> float:
        """Take a sample; return the total."""
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        shares = []
        for proc in tree:
            known = self.procs.setdefault(proc.pid, proc)
            try:
                shares.append(known.cpu_percent(None))
            except psutil.NoSuchProcess:
                continue
        self.samples.append((time.monotonic() - self.started, max(shares, default=0.0), sum(shares)))
        return sum(shares)

    def medians(self, skip: float = 1.0) -> tuple[float, float]:
        """(busiest, total) medians after the first `skip` seconds (locust's start-up burns CPU too)."""
        kept = [s for s in self.samples if s[0] >= skip] or self.samples
        if not kept:
            return 0.0, 0.0
        return median(s[1] for s in kept), median(s[2] for s in kept)


Event = tuple[float, str, Callable[[], object]]  # (seconds after the load starts, name, action)


def _locust_argv(url: str, users: int, duration: float, processes: int, user_class: str, csv: Path) -> list[str]:
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
            "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{duration:g}s",
            "--csv", str(csv), "--csv-full-history", "--only-summary", "--exit-code-on-error", "0",
            "--loglevel", "WARNING"]
    if processes > 1:
        argv += ["--processes", str(processes)]
    return [*argv, USER_CLASSES[user_class]]


def _has_rows(path: Path) -> bool:
    try:
        with path.open() as f:
            return sum(1 for _ in f) >= 2
    except OSError:
        return False


def run_load(target: Server | str, path: str | list[str] = "/", users: int = 10, duration: float | None = None,
             processes: int = 1, user_class: str = "fast", label: str | None = None,
             progress: bool | None = None, events: Sequence[Event] = ()) -> LoadResult:
    """Run locust headless against `target` for `duration` seconds (mode default) and parse its CSV.

    `events` are actions run during the load, e.g. `(2.0, "kill a worker", fn)`: the time each fired
    is in `result.events`, on the same clock as `result.timeseries["t"]`.
    """
    url = _target_url(target)
    paths = [path] if isinstance(path, str) else list(path)
    duration = float(duration if duration is not None else mode.current().duration)
    if user_class not in USER_CLASSES:
        raise BenchError(f"user_class must be one of {sorted(USER_CLASSES)}, got {user_class!r}")
    if users < 1 or processes < 1 or duration <= 0:
        raise BenchError("users and processes must be at least 1, duration above 0")
    label = label or f"{paths[0]} ×{users}"
    if progress is None:
        progress = os.environ.get("BENCH_PROGRESS", "1") != "0"

    out = state_dir() / "load" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}"
    out.mkdir(parents=True)
    log_path = out / "locust.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(_locust_argv(url, users, duration, processes, user_class, out / "run"),
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env={**os.environ, "BENCH_PATHS": "\n".join(paths)})
    entry = registry.add(psutil.Process(proc.pid), "locust", None)
    watch = _CpuWatch(proc.pid)
    pending, fired = sorted(events, key=lambda e: e[0]), {}
    started: float | None = None
    bar = tqdm(total=round(duration), desc=label, unit="s", file=sys.stderr, disable=not progress,
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
                action()
                fired[name] = time.monotonic() - started
            cpu = watch.sample()
            bar.n = min(round(duration), round(now - started)) if started else 0
            bar.set_postfix_str(f" generator CPU {cpu:.0f}%", refresh=True)
            time.sleep(0.2)
        bar.n = round(duration)
        bar.refresh()
    finally:
        bar.close()
        registry.kill_group(entry, first=signal.SIGKILL if proc.poll() is None else signal.SIGTERM)
        proc.wait()
    if pending:
        raise LoadError(f"the load ended before these events: {[name for _, name, _ in pending]}")
    result = _parse(out, log_path, label, url, paths, users, duration, processes, user_class, *watch.medians())
    result.events = fired
    return result


def _parse(out: Path, log_path: Path, label: str, url: str, paths: list[str], users: int, duration: float,
           processes: int, user_class: str, generator_cpu: float, generator_total: float) -> LoadResult:
    log = log_path.read_text(errors="replace")
    stats_path = out / "run_stats.csv"
    if not stats_path.exists():
        tail = "\n".join(log.splitlines()[-15:])
        raise LoadError(f"locust wrote no results (log {log_path}). Last lines:\n{tail}")
    stats = pd.read_csv(stats_path)
    agg = stats[stats["Name"] == "Aggregated"].iloc[0]
    if int(agg["Request Count"]) == 0:
        tail = "\n".join(log.splitlines()[-15:])
        raise LoadError(f"locust sent no requests (log {log_path}). Last lines:\n{tail}")
    failures_path = out / "run_failures.csv"
    failure_messages = pd.read_csv(failures_path) if failures_path.exists() else pd.DataFrame()
    machine_share = generator_total / (100 * (os.cpu_count() or 1))
    bound = (generator_cpu >= GENERATOR_BOUND_CPU or machine_share >= GENERATOR_BOUND_MACHINE_SHARE
             or _LOCUST_CPU_WARNING in log)
    return LoadResult(
        label=label, url=url, paths=paths, users=users, duration=duration, processes=processes,
        user_class=user_class, requests=int(agg["Request Count"]), failures=int(agg["Failure Count"]),
        rps=_number(agg["Requests/s"]), p50=_number(agg["50%"]), p95=_number(agg["95%"]),
        p99=_number(agg["99%"]), generator_cpu=generator_cpu, generator_cpu_total=generator_total,
        generator_bound=bound,
        timeseries=_read_history(out / "run_stats_history.csv"), failure_messages=failure_messages, log=log,
    )


def generator_ceiling(users: int = 32, duration: float | None = None, processes: int = 1,
                      user_class: str = "fast") -> LoadResult:
    """Load against nginx answering from memory: the most this generator can measure here."""
    with Nginx("ceiling.conf") as nginx:
        return run_load(nginx, "/", users=users, duration=duration, processes=processes,
                        user_class=user_class, label=f"generator ceiling ({user_class}, {processes} proc)")
