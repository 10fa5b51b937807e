"""A JupyterLab started by `make lab` for a test: its address, and how to stop it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass

import psutil
import requests


@dataclass(frozen=True)
class Lab:
    """A JupyterLab started by `make lab`: its address and the token that opens it."""

    url: str
    token: str

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return requests.get(f"{self.url}{path}", params={"token": self.token}, timeout=10, **kwargs)


def stop(proc: subprocess.Popen, lab: Lab | None) -> None:
    """Shut the kernels down through the server (their clean-up runs), then stop `make lab` by its group."""
    if lab is not None and proc.poll() is None:
        for kernel in lab.get("/api/kernels").json():
            requests.delete(f"{lab.url}/api/kernels/{kernel['id']}", params={"token": lab.token}, timeout=30)
    group = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)] \
        if proc.poll() is None else []
    if group:
        os.killpg(proc.pid, signal.SIGTERM)
    psutil.wait_procs(group, timeout=20)
    for p in group:
        if p.is_running():
            p.kill()
    proc.wait(timeout=10)
