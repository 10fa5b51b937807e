"""The classic "which WSGI stack is fastest" benchmark, done with load that saturates each stack."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

from bench import mode
from bench.load import Measurement, measure
from bench.servers import DevServer, Gunicorn, Server, Uwsgi, proxy

STACKS = (
    "dev server",
    "gunicorn",
    "nginx → gunicorn",
    "uWSGI --http",
    "nginx → uWSGI --http-socket",
    "nginx → uWSGI (uwsgi protocol)",
)


@contextmanager
def stack(name: str, workers: int) -> Iterator[Server]:
    """Start one stack of STACKS with `workers` processes; yield the server that clients talk to."""
    with ExitStack() as started:
        def up(server: Server) -> Server:
            return started.enter_context(server)

        if name == "dev server":
            yield up(DevServer(threaded=True))
        elif name == "gunicorn":
            yield up(Gunicorn(workers=workers))
        elif name == "nginx → gunicorn":
            yield up(proxy(up(Gunicorn(workers=workers))))
        elif name == "uWSGI --http":
            yield up(Uwsgi(processes=workers, protocol="http"))
        elif name == "nginx → uWSGI --http-socket":
            yield up(proxy(up(Uwsgi(processes=workers))))
        elif name == "nginx → uWSGI (uwsgi protocol)":
            yield up(proxy(up(Uwsgi(processes=workers, protocol="socket")), protocol="uwsgi"))
        else:
            raise ValueError(f"unknown stack {name!r}; choose from {STACKS}")


def saturate(target: Server, path: str, users_levels: Sequence[int], gain: float = 1.05,
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
