"""The Docker engine, through the Python Docker SDK: connect with a clear error, label what the
course creates, and remove all of it again."""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

from bench.errors import MissingToolError

if TYPE_CHECKING:
    import docker

# Every container, network, volume and image the course creates carries this label, and the
# pid of the Python process that created it (so one kernel's cleanup leaves another's alone).
LABEL = "flask-in-production.course"
OWNER = "flask-in-production.owner"
LABEL_FILTER = {"label": f"{LABEL}=true"}


_created: set[int] = set()  # pids that asked for labels: cleanup at exit is needed only then


def labels() -> dict[str, str]:
    """Labels for something this process creates."""
    _created.add(os.getpid())
    return {LABEL: "true", OWNER: str(os.getpid())}

HOW_TO_GET_DOCKER = (
    "Debian/Ubuntu: `sudo apt-get install docker.io` then `sudo dockerd &` (or `sudo systemctl start docker`); "
    "macOS/Windows: install and start Docker Desktop (or `brew install colima docker && colima start`). "
    "`make test` does the Debian steps itself when run as root."
)


@cache
def client() -> docker.DockerClient:
    """A connected Docker client, or MissingToolError saying how to get an engine."""
    try:
        import docker
    except ImportError as error:  # pragma: no cover - docker is in requirements.txt
        raise MissingToolError("the Docker SDK is missing: run `make lab` (pip install docker)") from error
    try:
        engine = docker.from_env(timeout=120)
        engine.ping()
    except docker.errors.DockerException as error:
        raise MissingToolError(f"no Docker engine answers ({error}). {HOW_TO_GET_DOCKER}") from error
    return engine


def available() -> bool:
    """True when a Docker engine answers."""
    try:
        client()
    except MissingToolError:
        return False
    return True


def engine_version() -> str:
    return str(client().version().get("Version", "?"))


def remove_labelled(*, everyone: bool = False) -> list[str]:
    """Remove the containers, networks and volumes this process made (every course one with
    `everyone`, as `make cleanup` does); returns what was removed."""
    if not (everyone or os.getpid() in _created) or not available():
        return []
    engine = client()
    filters = LABEL_FILTER if everyone else {"label": [f"{LABEL}=true", f"{OWNER}={os.getpid()}"]}
    removed = []
    for container in engine.containers.list(all=True, filters=filters):
        container.remove(force=True, v=True)
        removed.append(f"container {container.name}")
    for network in engine.networks.list(filters=filters):
        network.remove()
        removed.append(f"network {network.name}")
    for volume in engine.volumes.list(filters=filters):
        volume.remove(force=True)
        removed.append(f"volume {volume.name}")
    return removed


def running_labelled() -> list[str]:
    """Names of the course's containers that exist now (running or stopped)."""
    if not available():
        return []
    return [c.name for c in client().containers.list(all=True, filters=LABEL_FILTER)]
