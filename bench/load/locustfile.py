"""The locust file the bench runs in a subprocess (never imported by a notebook kernel:
locust patches the standard library with gevent, which hangs Jupyter).

BENCH_PATHS holds the paths to request, separated by whitespace; each user cycles through them.
FastUser (geventhttpclient) is the default: it costs several times less CPU per request.
"""

import itertools
import os
import random
import time

import gevent
from locust import FastHttpUser, HttpUser, constant, events, task

PATHS = os.environ.get("BENCH_PATHS", "/").split()  # whitespace between paths
# Paths on --host only: an absolute URL here would send the load wherever it points.
if any(not p.startswith("/") or p.startswith("//") for p in PATHS):
    raise SystemExit(f"BENCH_PATHS must hold paths such as /io?ms=50, not URLs: {PATHS}")


# BENCH_RATE: requests per second per user (an offered load that does not depend on the server's speed);
# unset, each user sends its next request as soon as the last one returns (a closed loop).
RATE = float(os.environ.get("BENCH_RATE") or 0)


# BENCH_STARTED: a file to write when this process's first request was sent (unix time), when the run is over. A
# rate counts from there: locust's own statistics start at the first *answer*, one response time late, and a rate
# counted from it overstates by about a response time over the run's length.
STARTED = os.environ.get("BENCH_STARTED", "")
_first_sent: list[float] = []


def _spread(user) -> None:
    """A paced user starts at a random point of one pacing interval, not when locust spawns it (it spawns every
    user at once: --spawn-rate = users), and keeps that phase: its requests start one interval apart from there.
    (locust's constant_throughput counts from the spawn: the second requests of all users would start together.)
    Either way, the first user to get here notes when the first request goes out."""
    if RATE > 0:
        gevent.sleep(random.uniform(0, 1 / RATE))
        user._next_start = time.perf_counter()
    if not _first_sent:
        _first_sent.append(time.time())


if STARTED:

    @events.quitting.add_listener
    def _write_started(**_: object) -> None:
        if _first_sent:
            with open(f"{STARTED}.{os.getpid()}", "w") as out:
                out.write(f"{_first_sent[0]:.6f}\n")


def _paced(user) -> float:
    """Seconds until the user's next start, one interval after its last (never to catch up after a slow answer)."""
    user._next_start = max(user._next_start + 1 / RATE, time.perf_counter())
    return user._next_start - time.perf_counter()


WAIT = _paced if RATE > 0 else constant(0)


def _next_path(user) -> str:
    if not hasattr(user, "_paths"):
        user._paths = itertools.cycle(PATHS)
    return next(user._paths)


class FastUser(FastHttpUser):
    wait_time = WAIT
    on_start = _spread

    @task
    def get(self) -> None:
        path = _next_path(self)
        self.client.get(path, name=path.split("?")[0])


class PlainUser(HttpUser):
    wait_time = WAIT
    on_start = _spread

    @task
    def get(self) -> None:
        path = _next_path(self)
        self.client.get(path, name=path.split("?")[0])


# BENCH_REQUEST_LOG: a file to write each request's end (unix time), response time (ms) and failure to, one line
# each, when the run is over (bench.load's `per_request=True`: locust's own statistics count per whole second).
REQUEST_LOG = os.environ.get("BENCH_REQUEST_LOG", "")
_ended: list[str] = []

if REQUEST_LOG:

    @events.request.add_listener
    def _note(response_time: float, exception: object, **_: object) -> None:
        _ended.append(f"{time.time():.4f} {response_time:.1f} {int(exception is not None)}\n")

    @events.quitting.add_listener
    def _write(**_: object) -> None:
        with open(f"{REQUEST_LOG}.{os.getpid()}", "w") as out:
            out.writelines(_ended)
