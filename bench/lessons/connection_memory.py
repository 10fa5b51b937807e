"""What one held connection costs a server in memory: hold a few streams, then many, and divide the difference.

    cost = per_connection(server, count=held_connections())   # {"held": 400, "RSS KB/conn": 18.1, ...}

Why it is measured this way:
- **One worker process** holds every connection, so the difference is that process's own; the server's master
  (gunicorn's, uWSGI's) is left out. When a worker writes to a page it still shares with the master, the page
  becomes private to *both*: the master's unique memory grows with no new memory in use.
- **A warm baseline**: `baseline` streams are opened twice before the measurement, so the code paths, the
  imports and the first buffers a connection needs are already in memory; what grows between `baseline` and
  `count` held streams is the cost of the connections themselves.
- **USS where the system gives it** (Linux): the worker's unique memory counts a page that became private on
  write, which RSS does not (the page was already mapped). Where the system denies USS (macOS, for another
  process), RSS, which undercounts those pages: `memory` names the kind.
- **How many**: as many as the open-file limit allows both ends (this process holds one socket per connection,
  the worker another), raised towards its hard limit first, and at most MAX_HELD (a few seconds of a notebook).
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bench.host import procs
from bench.lessons.streams import Streams

if TYPE_CHECKING:
    from bench.servers import Server

MAX_HELD = 400  # connections per server: enough to see the cost per connection, a second or two to open
BASELINE = 20
SPARE_FILES = 128  # for everything else this process and the server have open (logs, pipes, libraries)
DEFAULT_LISTEN = 128  # a listen queue every system allows (macOS's somaxconn)


def open_files() -> int:
    """This process's open-file limit, raised as far as its hard limit allows (servers started later inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * MAX_HELD + SPARE_FILES
    if soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):
            pass
    return soft


def held_connections() -> int:
    """How many connections one server can be asked to hold here (both ends' sockets within the limit)."""
    return max(BASELINE * 2, min(MAX_HELD, (open_files() - SPARE_FILES) // 2))


def listen_queue(wanted: int) -> int:
    """A listen backlog for `wanted` connections opened at once, no longer than the system allows (uWSGI refuses
    to start with a longer one than Linux's net.core.somaxconn)."""
    try:
        allowed = int(Path("/proc/sys/net/core/somaxconn").read_text())
    except (OSError, ValueError):
        allowed = DEFAULT_LISTEN
    return max(min(wanted, allowed), min(DEFAULT_LISTEN, allowed))


def _worker_memory(server: Server) -> tuple[float, float, str]:
    """RSS and USS (MB, NaN where denied) of the server's worker processes, and which of them `per_connection`
    divides (USS where it can be read)."""
    processes = server.processes()
    table = procs.memory(processes[1:] if len(processes) > 1 else processes)
    return float(table["rss MB"].sum()), procs.unique_mb(table), procs.memory_kind(table)


def per_connection(server: Server, count: int, baseline: int = BASELINE, kind: str = "sse",
                   first_within: float = 10.0) -> dict[str, object]:
    """Hold `baseline` streams, then `count`, against `server` (one worker): how many `count` held, and the
    memory each connection beyond the baseline added, in KB (RSS, USS, and the kind `KB/conn` uses)."""
    for _ in range(2):  # warm: the second baseline is the one measured
        with Streams(server.url, baseline, kind=kind, first_within=first_within):
            time.sleep(0.3)
            rss_small, uss_small, _ = _worker_memory(server)
    with Streams(server.url, count, kind=kind, first_within=first_within) as many:
        time.sleep(0.3)
        rss_big, uss_big, memory_kind = _worker_memory(server)
    extra = count - baseline
    rss = (rss_big - rss_small) * 1024 / extra
    uss = (uss_big - uss_small) * 1024 / extra if not math.isnan(uss_small + uss_big) else math.nan
    return {"held": many.held, "opened": count, "RSS KB/conn": round(rss, 1), "USS KB/conn": round(uss, 1),
            "memory": memory_kind, "KB/conn": round(uss if memory_kind == "USS" else rss, 1)}


def per_connection_on(make: Callable[[], Server], count: int) -> dict[str, object]:
    """Start the server `make()` builds, measure `per_connection(server, count)`, and stop it."""
    with make() as server:
        return per_connection(server, count)
