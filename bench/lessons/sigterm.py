"""What uWSGI does with SIGTERM, the signal Docker, Kubernetes and systemd stop a service with (notebook 03).

    after_sigterm({"die-on-term": None})  # {"running 3 s after SIGTERM": True, "workers replaced": True}
"""

from __future__ import annotations

import os
import signal
import time

from bench.servers import Uwsgi


def after_sigterm(ini_changes: dict[str, str | None], wait: float = 3) -> dict[str, bool]:
    """Start one-worker uWSGI with `ini_changes` on config/uwsgi.ini, send its master SIGTERM, and say after
    `wait` seconds whether it still runs and whether its worker was replaced (a reload, not a stop)."""
    server = Uwsgi(processes=1, ini_changes=ini_changes).start()
    try:
        before = [p.pid for p in server.processes()[1:]]  # the master first, then its workers
        os.kill(server.proc.pid, signal.SIGTERM)  # our own child, started just now
        time.sleep(wait)
        running = server.proc.poll() is None
        after = [p.pid for p in server.processes()[1:]] if running else []
    finally:
        server.stop()
    return {f"running {wait:g} s after SIGTERM": running, "workers replaced": bool(after) and after != before}
