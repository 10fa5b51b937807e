"""Containers of the course's images: published on 127.0.0.1 only, labelled, waited for, timed
when stopped, and sampled like `docker stats` while under load."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from bench.core import ports
from bench.core.errors import ServerStartError
from bench.core.waiting import until
from bench.host.docker_engine import client, labels

APP_PORT = 8000  # where gunicorn listens inside the image (docker/Dockerfile)


def wait_http_ok(url: str, timeout: float, before: Callable[[], None] | None = None) -> None:
    """Poll `url` until it answers 2xx; `before` runs first on each try and may raise to give up."""

    def ok() -> bool:
        if before is not None:
            before()
        return requests.get(url, timeout=2).ok

    if not until(ok, timeout, interval=0.2, errors=(requests.RequestException,)):
        raise ServerStartError(f"{url} did not answer 2xx within {timeout:g} s")


@dataclass
class Stopped:
    seconds: float
    exit_code: int

    @property
    def killed(self) -> bool:
        """True when the runtime had to SIGKILL the process (128 + 9)."""
        return self.exit_code == 137


class AppContainer:
    """The app image running detached, its port published on 127.0.0.1; a context manager."""

    def __init__(self, image: str, *, cpus: float | None = None, memory: str | None = None,
                 env: dict[str, str] | None = None, command: list[str] | None = None) -> None:
        self.image = image
        self.port = ports.free_port()
        kwargs: dict[str, object] = {}
        if cpus:
            kwargs["nano_cpus"] = round(cpus * 1e9)  # what `docker run --cpus` sets
        if memory:
            kwargs["mem_limit"] = memory
        self.container = client().containers.run(
            image, command=command, detach=True, labels=labels(), environment=env or {},
            ports={f"{APP_PORT}/tcp": ("127.0.0.1", self.port)}, **kwargs)
        self.host, self.base_url = "127.0.0.1", f"http://127.0.0.1:{self.port}"
        try:
            self.wait_ready()
        except Exception:
            self.remove()
            raise

    def wait_ready(self, timeout: float = 60) -> None:
        def still_running() -> None:
            self.container.reload()
            if self.container.status == "exited":
                raise ServerStartError(f"container {self.container.name} exited:\n{self.logs()[-2000:]}")

        wait_http_ok(f"{self.base_url}/readyz", timeout, before=still_running)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def info(self) -> dict[str, object]:
        return requests.get(self.url("/info"), timeout=5).json()

    def logs(self) -> str:
        return self.container.logs().decode(errors="replace")

    def pid1(self) -> str:
        """The command line of PID 1 inside the container."""
        code = "print(open('/proc/1/cmdline').read().replace(chr(0), ' ').strip())"
        return self.container.exec_run(["python3", "-c", code]).output.decode().strip()

    def stop(self, timeout: int = 10) -> Stopped:
        """`docker stop`: SIGTERM, then SIGKILL after `timeout` s. How long it took, and the exit code."""
        started = time.perf_counter()
        self.container.stop(timeout=timeout)
        seconds = time.perf_counter() - started
        self.container.reload()
        return Stopped(seconds, int(self.container.attrs["State"]["ExitCode"]))

    def remove(self) -> None:
        self.container.remove(force=True)

    def __enter__(self) -> AppContainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def cpu_percent(sample: dict) -> float | None:
    """CPU use in percent of one core between the two readings a stats sample holds (as `docker stats`)."""
    cpu, pre = sample.get("cpu_stats", {}), sample.get("precpu_stats", {})
    try:
        used = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
        elapsed = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
    except KeyError:
        return None
    cores = cpu.get("online_cpus") or len(cpu["cpu_usage"].get("percpu_usage") or [1])
    return 100.0 * used / elapsed * cores if elapsed > 0 else None


@dataclass
class StatsSampler:
    """Samples CPU and memory of containers about once a second in background threads."""

    containers: list
    rows: list[dict[str, object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._threads = [threading.Thread(target=self._follow, args=(c,), daemon=True) for c in self.containers]

    def _follow(self, container) -> None:
        stream = container.stats(stream=True, decode=True)
        for sample in stream:
            if self._stop.is_set():
                break
            percent = cpu_percent(sample)
            if percent is not None:
                self.rows.append({"t": time.monotonic() - self._started, "container": container.name,
                                  "cpu %": percent, "memory MB": sample["memory_stats"].get("usage", 0) / 1e6})

    def __enter__(self) -> StatsSampler:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=3)

    def frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows)


def cpu_capacity() -> float:
    """The cores' worth of CPU a container may be given here: what this machine gives the course
    (`bench.load.capacity_cores`), capped by the CPUs of the engine's machine (Docker Desktop and colima run
    containers in a virtual machine with fewer CPUs than the host, `docker info`'s NCPU)."""
    from bench.host.docker_engine import engine_cpus
    from bench.load.cpu import capacity_cores, core_share

    return min(capacity_cores(), engine_cpus() * core_share())
