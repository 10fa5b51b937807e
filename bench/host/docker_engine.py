"""The Docker engine, through the Python Docker SDK: connect with a clear error, label what the
course creates, and remove all of it again."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from typing import TYPE_CHECKING

from bench.core.errors import MissingToolError
from bench.host import platforms

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

def docker_hint(where: str | None = None) -> str:
    """Where a Docker engine comes from on this platform, and how to start it."""
    where = where or platforms.name()
    if where == "macos":
        return ("install and start Docker Desktop, or `brew install colima docker && colima start`: the course finds "
                "either through `docker context`")
    start = "`sudo systemctl start docker`" if platforms.has_systemd() else "`sudo dockerd &` (no systemd here)"
    if where == "wsl":
        return ("on WSL, Docker Desktop for Windows with WSL integration turned on for this distribution (Settings → "
                f"Resources → WSL integration); or, inside WSL, `sudo apt-get install docker.io` and {start}")
    return f"`sudo apt-get install docker.io docker-compose`, then {start}; `make test` does both as root"


def context_host() -> str | None:
    """The engine address of the docker CLI's current context (`docker context inspect`): where Docker Desktop
    without its default socket, colima and rootless Docker put the engine. None without the CLI or a context."""
    cli = shutil.which("docker")
    if cli is None:
        return None
    try:
        out = subprocess.run([cli, "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    host = out.stdout.strip()
    return host if out.returncode == 0 and "://" in host else None


@cache
def client() -> docker.DockerClient:
    """A connected Docker client, or MissingToolError saying how to get an engine. DOCKER_HOST first (the SDK's
    default), then the default socket, then the docker CLI's current context; an engine found through the context
    is put in DOCKER_HOST, so that docker-compose and the CLI the bench runs use the same one."""
    try:
        import docker
    except ImportError as error:  # pragma: no cover - docker is in requirements.txt
        raise MissingToolError("the Docker SDK is missing: run `make lab` (pip install docker)") from error
    try:
        engine = docker.from_env(timeout=120)
        engine.ping()
        return engine
    except docker.errors.DockerException as error:
        first_error = error
    host = None if os.environ.get("DOCKER_HOST") else context_host()
    if host is not None:
        try:
            engine = docker.DockerClient(base_url=host, timeout=120)
            engine.ping()
        except docker.errors.DockerException as error:
            first_error = error
        else:
            os.environ["DOCKER_HOST"] = host
            return engine
    raise MissingToolError(f"no Docker engine answers ({first_error}). {docker_hint()}") from first_error


def engine_cpus() -> int:
    """The CPUs the engine's containers run on (`docker info`'s NCPU): Docker Desktop and colima run containers
    in a virtual machine with a CPU count of its own, not the host's."""
    return int(client().info()["NCPU"])


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
