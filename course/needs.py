"""What a notebook cell needs (a Docker engine, a kind cluster) and the `%%needs` cell magic that
runs a cell only where that is present, saying plainly when and why it did not run.

    %%needs docker
    with AppContainer(image) as app: ...
"""

from __future__ import annotations

import os
from collections.abc import Callable

from bench.host import docker_engine, env

SKIPPED: list[str] = []  # "what did not run" for the notebook's closing summary


def _docker() -> str | None:
    return None if docker_engine.available() else f"no Docker engine answers. {docker_engine.docker_hint()}"


def _kind() -> str | None:
    missing = [name for name in ("kind", "kubectl") if not env.find(name)]
    if missing:
        return f"{' and '.join(missing)} not installed. " + " ".join(env.TOOLS[m].hint() for m in missing)
    return _docker()


def _kubectl() -> str | None:
    return None if env.find("kubectl") else f"kubectl not installed. {env.TOOLS['kubectl'].hint()}"


def _compose() -> str | None:
    from bench.containers.compose import compose_command
    from bench.core.errors import MissingToolError

    try:
        compose_command()
    except MissingToolError as error:
        return str(error)
    return _docker()


CHECKS: dict[str, Callable[[], str | None]] = {"docker": _docker, "compose": _compose, "kind": _kind,
                                               "kubectl": _kubectl}


def missing(what: str) -> str | None:
    """Why `what` cannot run here, or None when it can. COURSE_WITHOUT=docker,kind pretends those are
    missing (to see, or test, what a notebook does on a machine without them)."""
    if what not in CHECKS:
        raise ValueError(f"unknown requirement {what!r}; known: {', '.join(CHECKS)}")
    if what in os.environ.get("COURSE_WITHOUT", "").split(","):
        return f"{what} is treated as missing (COURSE_WITHOUT={os.environ['COURSE_WITHOUT']})"
    return CHECKS[what]()


def have(what: str) -> bool:
    return missing(what) is None


def engine_cpus() -> str:
    """The CPUs of Docker's engine, where kind's nodes and every container run (on a Mac, the VM's), in words."""
    return f"Docker's engine: {docker_engine.engine_cpus()} CPUs" if have("docker") else "no Docker engine"


def needs(line: str, cell: str) -> None:
    """Cell magic: run the cell if every requirement on the line is met, else say why it was skipped."""
    from IPython import get_ipython

    for what in line.split():
        reason = missing(what)
        if reason:
            first = next((text for text in cell.splitlines() if text.strip()), "")[:70]
            SKIPPED.append(f"{first} — {reason}")
            print(f"SKIPPED (not run on this machine): {reason}")
            return
    result = get_ipython().run_cell(cell)
    result.raise_error()


def register() -> None:
    """Make `%%needs` available in the running IPython kernel (no-op outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    shell = get_ipython()
    if shell is not None:
        shell.register_magic_function(needs, magic_kind="cell", magic_name="needs")

