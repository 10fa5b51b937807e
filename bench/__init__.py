"""The course's lab bench: servers on loopback ports, load with locust, plots, and cleanup.

    import bench
    with bench.Gunicorn(workers=2) as server:
        result = bench.run_load(server, "/cpu?ms=5", users=8)
    print(result)

Importing the bench stops servers left behind by a kernel that died; `bench.cleanup()` stops
everything this kernel started (it also runs when the kernel exits).
"""

from bench import env, mode, plots, registry
from bench.errors import BenchError, LoadError, MissingToolError, PortInUseError, ServerStartError
from bench.load import LoadResult, Measurement, generator_ceiling, measure, run_load
from bench.servers import DevServer, Gunicorn, Nginx, Redis, Server, Uwsgi, Wsgiref, cleanup

__all__ = [
    "BenchError", "DevServer", "Gunicorn", "LoadError", "LoadResult", "Measurement", "MissingToolError", "Nginx",
    "PortInUseError", "Redis", "Server", "ServerStartError", "Uwsgi", "Wsgiref", "cleanup", "env",
    "generator_ceiling", "measure", "mode", "plots", "registry", "run_load",
]

registry.reap_orphans()
