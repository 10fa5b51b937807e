"""Where things are: the repository, its config files, and the bench's state directory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config"


def state_dir() -> Path:
    """Per-user directory for logs, rendered configs and the registry of running servers.

    `BENCH_STATE_DIR` moves it (the tests use this to stay isolated).
    """
    default = Path(tempfile.gettempdir()) / f"flask-in-production-{os.getuid()}"
    path = Path(os.environ.get("BENCH_STATE_DIR") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path
