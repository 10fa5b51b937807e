"""The classic "which WSGI stack is fastest" benchmark, done with load that saturates each stack.

Why the development server is measured twice (`run_matrix`): it is the losing side of notebook 04b's claim ("the
median stack serves at least 1.5× the dev server"), so its rate must be its own, not a lower bound. On a machine
with few cores locust spends on each request a good part of what the dev server does, so there its run is
flagged interfered. wrk spends a fraction of that: the claim compares with wrk's rate, and holds wrk's run to the
same rule (the table shows locust's too). The production stacks' runs may be interfered: on the winning side a
lower bound is enough (`bench.faster`). Not every production stack beats the dev server on a CPU-starved machine
(gunicorn's sync workers open a connection per request), so the claim is about the median stack.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import pandas as pd
import psutil
from matplotlib.figure import Figure

from bench.core import mode
from bench.core.paths import REPO
from bench.host import env
from bench.load import plots, wrk
from bench.load.measuring import Measurement, measure
from bench.servers import DevServer, Granian, Gunicorn, Server, Uwsgi, proxy

FIGURE = REPO / "docs" / "benchmark-matrix.png"  # the README's headline figure
SEED_STACK = "nginx → uWSGI --http"  # what the benchmark the course redoes ran: the router, behind nginx
STACKS = (
    "dev server",
    "gunicorn",
    "granian",
    "nginx → gunicorn",
    "uWSGI --http",
    SEED_STACK,
    "nginx → uWSGI --http-socket",
    "nginx → uWSGI (uwsgi protocol)",
    "nginx → gunicorn (uwsgi protocol)",  # gunicorn 24+: the protocol without uWSGI
)


@dataclass
class Stack:
    """The servers of one stack as one load target: clients talk to the first; the CPU is all of theirs."""

    servers: list[Server]

    @property
    def url(self) -> str:
        return self.servers[0].url

    @property
    def running(self) -> bool:
        return all(s.running for s in self.servers)

    @property
    def ready_path(self) -> str | None:
        return self.servers[0].ready_path

    def cpu_seconds(self) -> float:
        return sum(s.cpu_seconds() for s in self.servers)

    def processes(self) -> list[psutil.Process]:
        return [proc for server in self.servers for proc in server.processes()]

    def max_cores(self) -> float | None:
        cores = [s.max_cores() for s in self.servers]
        return None if None in cores else sum(c for c in cores if c is not None)


@contextmanager
def stack(name: str, workers: int) -> Iterator[Stack]:
    """Start one stack of STACKS with `workers` processes (the front first, then what it proxies to)."""
    with ExitStack() as started:
        def up(front: Server, *behind: Server) -> Stack:  # `behind`: already started (nginx needs their ports)
            started.enter_context(front)
            return Stack([front, *behind])

        def app(server: Server) -> Server:
            return started.enter_context(server)

        if name == "dev server":
            yield up(DevServer(threaded=True))
        elif name == "gunicorn":
            yield up(Gunicorn(workers=workers))
        elif name == "granian":
            yield up(Granian(workers=workers))
        elif name == "nginx → gunicorn":
            behind = app(Gunicorn(workers=workers))
            yield up(proxy(behind), behind)
        elif name == "uWSGI --http":
            yield up(Uwsgi(processes=workers, protocol="http"))
        elif name == SEED_STACK:
            behind = app(Uwsgi(processes=workers, protocol="http"))
            yield up(proxy(behind), behind)
        elif name == "nginx → uWSGI --http-socket":
            behind = app(Uwsgi(processes=workers))
            yield up(proxy(behind), behind)
        elif name == "nginx → uWSGI (uwsgi protocol)":
            behind = app(Uwsgi(processes=workers, protocol="socket"))
            yield up(proxy(behind, protocol="uwsgi"), behind)
        elif name == "nginx → gunicorn (uwsgi protocol)":
            behind = app(Gunicorn(workers=workers, protocol="uwsgi"))
            yield up(proxy(behind, protocol="uwsgi"), behind)
        else:
            raise ValueError(f"unknown stack {name!r}; choose from {STACKS}")


def saturate(target: Stack | Server, path: str, users_levels: Sequence[int], gain: float = 1.05,
             repeats: int | None = None, **kwargs: object) -> tuple[Measurement, list[dict[str, object]]]:
    """Ramp users (one run per level) until requests/s stops rising by `gain`, then repeat the best level
    until it has `repeats` runs (the mode's default). Returns that measurement and the ramp's rows."""
    best: Measurement | None = None
    ramp: list[dict[str, object]] = []
    for users in users_levels:
        current = measure(target, path, repeats=1, users=users, **kwargs)
        ramp.append(current.row())
        rising = best is None or current.rps >= gain * best.rps
        if best is None or current.rps > best.rps:
            best = current
        if not rising:
            break
    if best is None:
        raise ValueError("give at least one level of users")
    wanted = repeats if repeats is not None else mode.current().repeats
    extra = measure(target, path, repeats=wanted - 1, users=best.runs[0].users, **kwargs) if wanted > 1 else None
    return (Measurement(best.runs + extra.runs) if extra else best), ramp


@dataclass
class MatrixRun:
    """Every stack's best level (`table`), each stack's ramp, the development server measured by wrk as well,
    and the command line granian ran with (new in notebook 04b)."""

    table: pd.DataFrame
    ramps: pd.DataFrame
    dev_wrk: wrk.WrkResult
    granian_command: str
    levels: Sequence[int] = ()
    workers: int = 0

    def chart(self, ceiling_rps: float, run_id: str = "") -> Figure:
        """The requests/s per stack, titled with the load, this machine and the run it comes from. A full run's
        chart (`make full-run`, ids "full-run-…") is also the README's headline figure, saved to FIGURE."""
        load = ("users ramped to saturation, the best level repeated" if len(self.levels) > 1
                else f"quick mode: one level ({self.levels[0]} users), one run per stack")
        where = f"\n{env.machine_label()}" + (f"\n{run_id}" if run_id else "")
        fig = plots.bars(self.table, x="stack", yerr="rps sd", ceiling=ceiling_rps,
                         title=f"/quote, {self.workers} processes per stack; {load}{where}")
        if run_id.startswith("full-run"):
            fig.savefig(FIGURE, dpi=110, bbox_inches="tight")
        return fig


def run_matrix(path: str, levels: Sequence[int], workers: int) -> MatrixRun:
    """Saturate each of STACKS on `path` with `workers` processes, ramping users over `levels`."""
    rows, ramps = [], []
    dev_wrk, granian = None, ""
    for name in STACKS:
        with stack(name, workers=workers) as front:
            best, ramp = saturate(front, path, levels, label=name)
            if name == "granian":
                granian = front.servers[0].shell_command()
            if name == "dev server":  # a second time, with wrk: the module's docstring says why
                dev_wrk = wrk.run(front, path, connections=best.runs[0].users, label="dev server (wrk)",
                                  duration=mode.pick(quick=3, full=10))
        rows.append({**best.row(), "stack": name})
        ramps += [{**r, "stack": name} for r in ramp]
    assert dev_wrk is not None
    return MatrixRun(pd.DataFrame(rows), pd.DataFrame(ramps), dev_wrk, granian, list(levels), workers)
