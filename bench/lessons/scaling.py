"""Scaling on one machine: up (more workers in one gunicorn) or out (more one-worker gunicorns behind nginx).

    with scaled(UP, 4) as target: run_load(target, "/cpu?ms=10", ...)

Notebook 07 measures both at 1, the cores and twice the cores (bench.plans.scaling). Its claims take the run at
the core count as their winning side (`bench.faster`, `bench.not_faster`): with every core busy, the load generator may
take CPU those servers could use, which can only lower their rate, so an interfered run there still stands as a
lower bound; the runs at 1 and at twice the cores must be clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bench.servers import Gunicorn, Server, proxy

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
