"""Fixtures shared by the tests that need a running JupyterLab (`make lab`)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests
from jupyter_lab import Lab, stop

from bench.core import ports
from bench.core.paths import REPO


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """`make lab` on a free port, with autosave off (a test that runs a notebook must not rewrite it)."""
    settings = tmp_path_factory.mktemp("lab-settings")
    docmanager = settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings"
    docmanager.parent.mkdir(parents=True)
    docmanager.write_text(json.dumps({"autosave": False}))
    # Every cell rendered, on screen or not: with JupyterLab's default windowing, the text of cells scrolled out of
    # view can be missing from the page (a test that looks for a claim's ✓ found none once).
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    checkpoints = tmp_path_factory.mktemp("lab-checkpoints")  # not notebooks/.ipynb_checkpoints
    port, token = ports.free_port(), secrets.token_hex(8)
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_PORT={port}",
         f"LAB_ARGS=--no-browser --FileCheckpoints.checkpoint_dir={checkpoints}"],
        cwd=REPO, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "JUPYTER_TOKEN": token, "JUPYTERLAB_SETTINGS_DIR": str(settings),
             "BENCH_PROGRESS": "1"},  # the progress widget, as a learner sees it
    )
    lab = Lab(f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if lab.get("/lab").status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        else:
            output = proc.stdout.read() if proc.poll() is not None else "(no answer in 120 s)"
            pytest.fail(f"`make lab` did not serve JupyterLab:\n{output}")
        yield lab
    finally:
        stop(proc, lab)
        assert ports.wait_free(port, timeout=10)
