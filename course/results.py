"""Each stage's best configuration, measured on one standard workload and saved with the machine it
ran on, so that notebook 07 can compare them side by side.

    course.results.record("02a gunicorn", "gunicorn gthread 2 × 12", server)   # in a notebook's last cell
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from bench.core import mode
from bench.core.paths import state_dir
from bench.host import env, platforms
from bench.load.measuring import Measurement, servers_there_and_back
from bench.load.result import LoadResult
from bench.load.runner import run_load
from course import recording, stages

if TYPE_CHECKING:
    from bench.servers import Server

# The standard workload: a cacheable read with a 20 ms "backend" behind it, some CPU (a report; not /cpu, which
# the course's nginx config rate-limits), a little I/O. The report is big enough that the CPU the server spends
# per request is several times locust's: with a third of the catalogue, on two cores at half speed
# (`portability.sh half`), locust took a fifth of the busy CPU and the development server's run was interfered;
# with this one it left the idle CPU the bench asks for (measured 4.7 × locust's).
STANDARD_PATHS = ["/quote", "/report?catalogue=6", "/io?ms=20"]
STANDARD_ENV = {"APP_QUOTE_COST_MS": "20"}
STANDARD_USERS = 24
# Each stage's configuration on it: 2 processes of this many threads, one thread per concurrent user (Little's
# law: with fewer, requests queue for a thread while others wait on the backend).
STANDARD_THREADS = STANDARD_USERS // 2


def machine_id() -> str:
    """What identifies the machine a result came from: its id (bench.platforms.machine_uid: not the host name, which
    changes with a Mac's network), cores, memory, OS."""
    facts = env.machine()
    return f"{platforms.machine_uid()} · {facts['logical cores']} cores · {facts['memory GiB']} GiB · {facts['os']}"


def _store():
    return state_dir() / "stage-results.jsonl"


def standard_run(target: Server | str, label: str) -> LoadResult:
    """The standard workload against `target` (started with STANDARD_ENV)."""
    return run_load(target, STANDARD_PATHS, users=STANDARD_USERS, label=label)


def contenders() -> dict[str, Callable[[], Server]]:
    """The servers notebook 07 measures side by side on the standard workload: the development server and the
    configurations of stages 02a and 03."""
    from bench.servers import DevServer, Gunicorn, Uwsgi

    return {
        "dev server": lambda: DevServer(env=STANDARD_ENV),
        "gunicorn (02a)": lambda: Gunicorn(workers=2, worker_class="gthread", threads=STANDARD_THREADS,
                                          env=STANDARD_ENV),
        "uWSGI (03)": lambda: Uwsgi(processes=2, threads=STANDARD_THREADS, env=STANDARD_ENV),
    }


def side_by_side() -> dict[str, Measurement]:
    """The contenders on the standard workload, there and back: saved results come from different minutes, and a
    machine's speed drifts between them, so a claim comparing servers needs them measured together. A production
    server's rate may be interfered (a lower bound), which is enough for an "at least" claim."""
    return servers_there_and_back(contenders(), STANDARD_PATHS, users=STANDARD_USERS)


def record(stage: str, config: str, target: Server | str) -> LoadResult:
    """Run the standard workload against `target` (started with STANDARD_ENV) and save the result under
    `stage`, the stage's label in course/stages.py."""
    labels = [s.result for s in stages.results()]
    if stage not in labels:
        raise ValueError(f"{stage!r} is no stage's result label in course/stages.py: {labels}")
    result = standard_run(target, f"{stage}: {config}")
    row = {"stage": stage, "config": config, "rps": result.rps, "p95 ms": result.p95, "mean ms": result.mean,
           "failures": result.failures, "generator-bound": result.generator_bound, "interfered": result.interfered,
           "mode": mode.current().name,
           "machine": machine_id(), "when": time.strftime("%Y-%m-%d %H:%M:%S"), "t": time.time(),
           "recording": recording.current()}
    with _store().open("a") as out:
        out.write(json.dumps(row) + "\n")
    return result


def saved(this_machine: bool = True) -> pd.DataFrame:
    """The latest saved result of each stage (from this machine and mode only, by default; and, while a
    recording runs, from that recording only: course.recording)."""
    path = _store()
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    frame = pd.DataFrame(rows, columns=["stage", "config", "rps", "p95 ms", "mean ms", "failures", "generator-bound",
                                        "interfered", "mode", "machine", "when", "t", "recording"])
    frame["interfered"] = frame["interfered"].astype(object).fillna(False)  # rows saved before it was recorded
    frame["recording"] = frame["recording"].astype(object).fillna("")
    if this_machine:
        frame = frame[(frame["machine"] == machine_id()) & (frame["mode"] == mode.current().name)]
    if recording.current():
        frame = frame[frame["recording"] == recording.current()]
    frame = frame[frame["stage"].isin([s.result for s in stages.results()])]  # a stage since split or renamed: gone
    # The file is append-only, so its order is time order: the last row of each stage is its latest.
    return frame.groupby("stage").tail(1).sort_values("stage", ignore_index=True)
