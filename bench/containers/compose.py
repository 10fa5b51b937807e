"""docker/compose.yaml as a context manager: up with N app replicas on a free 127.0.0.1 port,
wait until nginx answers, down (with its network) afterwards. Works with Compose v2
(`docker compose`) and with Debian's Compose v1 (`docker-compose`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter

import requests

from bench.containers.container import wait_http_ok
from bench.containers.images import base_image
from bench.core import ports
from bench.core.errors import BenchError, MissingToolError
from bench.core.paths import REPO
from bench.host import env
from bench.host.docker_engine import OWNER, client, labels

COMPOSE_FILE = REPO / "docker" / "compose.yaml"


def compose_command() -> list[str]:
    """`docker compose` when the v2 plugin answers, else `docker-compose` (v1), else an error."""
    for docker in (shutil.which("docker"), "/usr/bin/docker"):
        if docker and os.path.exists(docker):
            done = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
            if done.returncode == 0:
                return [docker, "compose"]
    v1 = env.find("docker-compose")
    if v1:
        return [v1]
    raise MissingToolError("neither `docker compose` nor `docker-compose` is installed. "
                           f"{env.TOOLS['docker-compose'].hint()}")


def default_image(variable: str) -> str:
    """The image docker/compose.yaml names for `variable` when it is not set, e.g. "redis:7.4.10": the one pin."""
    found = re.search(rf"\${{{variable}:-([^}}]+)}}", COMPOSE_FILE.read_text())
    if found is None:
        raise BenchError(f"{COMPOSE_FILE} names no default for {variable}")
    return found.group(1)


class ComposeStack:
    """nginx + `replicas` app containers + redis, from docker/compose.yaml."""

    def __init__(self, app_image: str, replicas: int = 3, project: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.replicas = replicas
        self.project = project or f"fip{os.getpid()}"
        self.port = ports.free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "APP_IMAGE": app_image,
            "NGINX_IMAGE": base_image(default_image("NGINX_IMAGE")),
            "REDIS_IMAGE": base_image(default_image("REDIS_IMAGE")),
            "HTTP_PORT": str(self.port),
            "COURSE_OWNER": labels()[OWNER],
            **(env or {}),
        }

    def compose(self, *args: str, timeout: float = 180) -> str:
        argv = [*compose_command(), "-p", self.project, "-f", str(COMPOSE_FILE), *args]
        done = subprocess.run(argv, capture_output=True, text=True, env=self.env, timeout=timeout)
        if done.returncode:
            raise BenchError(f"`{' '.join(argv)}` failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def up(self) -> ComposeStack:
        self.compose("up", "-d", "--no-build", "--scale", f"app={self.replicas}")
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        wait_http_ok(f"{self.base_url}/readyz", timeout)

    def containers(self, service: str | None = None) -> list:
        filters = {"label": [f"com.docker.compose.project={self.project}"]}
        if service:
            filters["label"].append(f"com.docker.compose.service={service}")
        return sorted(client().containers.list(filters=filters), key=lambda c: c.name)

    def replicas_answering(self, requests_count: int = 60) -> Counter[str]:
        """How many of `requests_count` GET /info answers came from each replica (by hostname)."""
        with requests.Session() as session:
            return Counter(session.get(f"{self.base_url}/info", timeout=5).json()["hostname"]
                           for _ in range(requests_count))

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "5")

    def __enter__(self) -> ComposeStack:
        try:
            return self.up()
        except Exception:
            self.down()
            raise

    def __exit__(self, *exc: object) -> None:
        self.down()
