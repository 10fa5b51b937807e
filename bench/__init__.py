"""The course's lab bench: servers on loopback ports, load with locust, plots, and cleanup.

    import bench
    with bench.Gunicorn(workers=2) as server:
        result = bench.run_load(server, "/cpu?ms=5", users=8)
    print(result)

`bench.machine.facts()` is this machine measured once (usable cores, the load generator's ceiling):
experiments plan their load and worker counts from it. `bench.claim(...)` states a claim with its
numbers and asserts it, refusing evidence from a generator-bound run.

Importing the bench does one thing (`bench.host.leftovers.at_import`): it stops servers left behind by a kernel that
died (only processes it can prove it started), and arranges for `bench.cleanup()`, which stops everything this
kernel started, to run when the kernel exits. (With `BENCH_SIMULATE=macos` set, it also makes this process
see macOS: bench/host/platforms.py.)
"""

from bench.core import mode, registry
from bench.core.errors import BenchError, LoadError, MissingToolError, PortInUseError, ServerStartError
from bench.core.templates import excerpt
from bench.host import env, leftovers, platforms, procs
from bench.host.leftovers import cleanup
from bench.load import plots, timeline, wrk
from bench.load.claims import SPARE_CORE, TWO_CORES, ClaimFailed, Needs, claim
from bench.load.comparisons import faster, not_faster
from bench.load.measuring import Measurement, measure, run_on, servers_there_and_back, there_and_back
from bench.load.result import LoadResult
from bench.load.runner import run_load
from bench.servers import DevServer, Gunicorn, Nginx, Redis, Server, Uvicorn, Uwsgi, Wsgiref
from bench.sizing import machine, plans
from bench.sizing.machine import generator_ceiling

__all__ = [
    "SPARE_CORE", "TWO_CORES", "BenchError", "ClaimFailed", "DevServer", "Gunicorn", "LoadError", "LoadResult",
    "Measurement", "MissingToolError", "Needs", "Nginx", "PortInUseError", "Redis", "Server", "ServerStartError",
    "Uvicorn", "Uwsgi", "Wsgiref", "claim", "cleanup", "env", "excerpt", "faster", "generator_ceiling", "machine",
    "measure", "mode", "not_faster", "plans", "plots", "procs", "registry", "run_load", "run_on",
    "servers_there_and_back", "there_and_back", "timeline", "wrk",
]

platforms.apply()  # BENCH_SIMULATE=macos: this process sees macOS (bench/host/platforms.py); nothing otherwise
leftovers.at_import()  # the one thing importing does: see bench/host/leftovers.py
