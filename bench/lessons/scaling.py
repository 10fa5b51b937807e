"""Scaling on one machine: up (more workers in one gunicorn) or out (more one-worker gunicorns behind nginx).

    with scaled(UP, 4) as target: run_load(target, "/cpu?ms=10", ...)
    table = up_vs_out("/cpu?ms=10", bench.plans.scaling(facts), duration=4)  # both ways, at every count

Notebook 07 measures both at 1, the cores and twice the cores (bench.plans.scaling). Its claims take the run at
the core count as their winning side (`bench.faster`, `bench.not_faster`): with every core busy, the load generator may
take CPU those servers could use, which can only lower their rate, so an interfered run there still stands as a
lower bound; the runs at 1 and at twice the cores must be clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import pandas as pd

from bench.load.measuring import run_on, there_and_back
from bench.servers import Gunicorn, Server, proxy
from bench.sizing.plans import Scaling

UP, OUT = "up: workers", "out: instances behind nginx"


@contextmanager
def scaled(how: str, n: int) -> Iterator[Server]:
    """`n` workers in one gunicorn (UP), or `n` one-worker gunicorns behind nginx with least_conn (OUT)."""
    if how == UP:
        with Gunicorn(workers=n) as server:
            yield server
        return
    servers = [Gunicorn(workers=1).start() for _ in range(n)]
    try:
        # the course's config holds /cpu to 50 requests/s per client (notebook 04b); the load is one client
        with proxy(*servers, policy="least_conn", edits={"limit_req zone=expensive": ""}) as web:
            yield web
    finally:
        for server in servers:
            server.stop()


def up_vs_out(path: str, plan: Scaling, duration: float) -> pd.DataFrame:
    """`path` under load on UP and OUT at each of the plan's counts, there and back (1 → most, then back, so a
    slow drift favours none): one row per configuration, with its `how` and `n`."""
    measured = there_and_back({(how, n): partial(run_on, partial(scaled, how, n), path, users=plan.users,
                                                 duration=duration, label=f"{how.split(':')[0]} {n}")
                               for n in plan.counts for how in (UP, OUT)})
    return pd.DataFrame([{**m.row(), "how": how, "n": n} for (how, n), m in measured.items()])
