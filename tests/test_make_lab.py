"""`make lab` reaches a running JupyterLab on 127.0.0.1, with the RISE slideshow (then we stop it by its pid)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time

import psutil
import requests

from bench import ports
from bench.paths import REPO


def test_make_lab_serves_jupyterlab() -> None:
    port, token = ports.free_port(), secrets.token_hex(8)
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_PORT={port}", "LAB_ARGS=--no-browser"],
        cwd=REPO, env={**os.environ, "JUPYTER_TOKEN": token}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline, page = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                page = requests.get(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5)
                if page.status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        assert page is not None and page.status_code == 200, proc.stdout.read() if proc.poll() is not None else ""
        assert "JupyterLab" in page.text
        tree = requests.get(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=5).json()
        assert any(item["name"].startswith("00") for item in tree["content"]), "lab should open on notebooks/"
        slides = requests.get(f"http://127.0.0.1:{port}/rise/00_setup_check.ipynb?token={token}", timeout=10)
        assert slides.status_code == 200, "the RISE slideshow (jupyterlab-rise) should serve the notebooks"
    finally:
        group = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)] \
            if proc.poll() is None else []
        os.killpg(proc.pid, signal.SIGTERM)
        psutil.wait_procs(group, timeout=20)
        for p in group:
            if p.is_running():
                p.kill()
        proc.wait(timeout=10)
    assert ports.wait_free(port, timeout=10)
