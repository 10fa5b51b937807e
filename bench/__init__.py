"""The course's lab bench: servers on loopback ports, load with locust, plots, and cleanup.

    import bench
    with bench.Gunicorn(workers=2) as server:
        result = bench.run_load(server, "/cpu?ms=5", users=8)
    print(result)

`bench.machine.facts()` is this machine measured once (usable cores, the load generator's ceiling):
experiments plan their load and worker counts from it. `bench.claim(...)` states a claim with its
numbers and asserts it, refusing evidence from a generator-bound run.

Importing the bench stops servers left behind by a kernel that died (only processes it can prove it
started); `bench.cleanup()` stops everything this kernel started (it also runs when the kernel exits).
"""

from bench import env, machine, mode, plots, registry
from bench.claims import ClaimFailed, claim
from bench.errors import BenchError, LoadError, MissingToolError, PortInUseError, ServerStartError
from bench.load import LoadResult, Measurement, generator_ceiling, measure, run_load, there_and_back
from bench.servers import DevServer, Gunicorn, Nginx, Redis, Server, Uwsgi, Wsgiref, cleanup

__all__ = [
    "BenchError", "ClaimFailed", "DevServer", "Gunicorn", "LoadError", "LoadResult", "Measurement",
    "MissingToolError", "Nginx", "PortInUseError", "Redis", "Server", "ServerStartError", "Uwsgi", "Wsgiref",
    "claim", "cleanup", "env", "generator_ceiling", "machine", "measure", "mode", "plots", "registry", "run_load",
    "there_and_back",
]

registry.reap_orphans()
