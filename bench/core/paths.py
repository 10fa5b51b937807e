"""Where things are: the repository, its config files, and the bench's state directory."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from bench.core.errors import UnsafeStateDir

REPO = Path(__file__).resolve().parents[2]  # bench/core/paths.py
CONFIG = REPO / "config"


def state_dir() -> Path:
    """Per-user private directory (mode 0700) for logs, rendered configs and the registry of running servers.

    `BENCH_STATE_DIR` moves it (the tests use this to stay isolated). Its default name in the shared
    temporary directory is predictable, so it is used only if it is a real directory owned by this
    user; anything else (a symlink, another user's directory) is refused, not trusted.
    """
    default = Path(tempfile.gettempdir()) / f"flask-in-production-{os.getuid()}"
    path = Path(os.environ.get("BENCH_STATE_DIR") or default)
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise UnsafeStateDir(f"{path} is not a directory owned by you (uid {os.getuid()}): it may have been "
                             "planted by another user. Remove it, or set BENCH_STATE_DIR to a private directory.")
    if stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(0o700)  # ours, but made by an older bench or a loose umask: make it private
    return path
