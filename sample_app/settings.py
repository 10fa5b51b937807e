"""Settings read from environment variables, so the same code runs on a laptop,
in a container and in a Kubernetes pod without edits."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

# APP_CACHE value -> Flask-Caching backend.
CACHE_TYPES = {"none": "NullCache", "simple": "SimpleCache", "redis": "RedisCache"}


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name} must be a whole number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """Everything an operator may change without touching code."""

    # Where the SQLite quotes database is built (one file per machine/container).
    quotes_db: Path
    # Largest request body accepted, in bytes (Flask answers 413 above it).
    max_upload_bytes: int
    # How many proxies in front set X-Forwarded-* headers we may trust (0: trust none).
    trusted_proxies: int
    # Upper bound for ?ms= on /cpu and /io, so one request cannot occupy a worker forever.
    max_work_ms: int
    # Host names the app answers for (Flask 3.1's TRUSTED_HOSTS; a leading dot allows subdomains); any other Host
    # header gets a 400 before a view runs. Empty: every host, as before Flask 3.1. Comma-separated in the env.
    trusted_hosts: tuple[str, ...] = ()
    # Megabytes of read-only data built at start-up (stands for a model or a lookup table);
    # notebook 02b uses it to measure what preload_app saves.
    dataset_mb: int = 0
    # Extra milliseconds added to every request: stands for an instance on a degraded host
    # (notebook 04b uses it to compare load-balancing policies).
    degraded_ms: int = 0
    # Milliseconds /quote spends waiting on its "backend" (stands for a slow query or API call);
    # notebook 07 caches /quote and measures what that saves.
    quote_cost_ms: int = 0
    # Milliseconds of CPU /quote spends on each answer it computes (stands for rendering a heavy answer);
    # notebook 07 varies it to find where a shared cache starts saving CPU.
    quote_cpu_ms: int = 0
    # Response cache for /quote: "none", "simple" (per process, in memory) or "redis" (shared).
    cache: str = "none"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # How long a cached /quote answer is served before the next request computes a fresh one.
    cache_seconds: int = 5
    # Long-lived connections (sample_app/streaming.py): a stream ends after this many seconds (a browser's
    # EventSource reconnects by itself, with Last-Event-ID), and writes a heartbeat comment after this many
    # milliseconds without an event, so that a client that went away is noticed then, not at the next event.
    stream_max_seconds: int = 300
    stream_heartbeat_ms: int = 5000
    # A WebSocket message above this many bytes closes the socket with 1009 (message too big); a socket
    # that sends nothing for this many seconds is closed (1000, "idle").
    ws_max_message_bytes: int = 64 * 1024
    ws_idle_seconds: int = 60

    def __post_init__(self) -> None:
        if self.cache not in CACHE_TYPES:
            raise ValueError(f"APP_CACHE must be one of {', '.join(CACHE_TYPES)}, got {self.cache!r}")
        for name in ("stream_max_seconds", "stream_heartbeat_ms", "ws_max_message_bytes", "ws_idle_seconds"):
            if getattr(self, name) < 1:  # 0 would mean "no limit" to some readers: there is always one here
                raise ValueError(f"APP_{name.upper()} must be 1 or more, got {getattr(self, name)}")
        if self.trusted_proxies < 0:  # ProxyFix would count from the wrong end and trust a client's entry
            raise ValueError(f"APP_TRUSTED_PROXIES must be 0 or more, got {self.trusted_proxies}")

    @classmethod
    def from_env(cls) -> Settings:
        default_db = Path(tempfile.gettempdir()) / f"sample_app-quotes-{os.getuid()}.sqlite3"
        return cls(
            quotes_db=Path(os.environ.get("APP_QUOTES_DB") or default_db),
            max_upload_bytes=_int_env("APP_MAX_UPLOAD_BYTES", 1024 * 1024),
            trusted_proxies=_int_env("APP_TRUSTED_PROXIES", 0),
            trusted_hosts=tuple(h.strip() for h in os.environ.get("APP_TRUSTED_HOSTS", "").split(",") if h.strip()),
            # Below the worker timeout (30 s in gunicorn.conf.py and uwsgi.ini), which is below nginx's read
            # timeout (35 s): a request over the limit gets a clear 400, not a killed worker or a 504.
            max_work_ms=_int_env("APP_MAX_WORK_MS", 25_000),
            dataset_mb=_int_env("APP_DATASET_MB", 0),
            degraded_ms=_int_env("APP_DEGRADED_MS", 0),
            quote_cost_ms=_int_env("APP_QUOTE_COST_MS", 0),
            quote_cpu_ms=_int_env("APP_QUOTE_CPU_MS", 0),
            cache=os.environ.get("APP_CACHE") or "none",
            redis_url=os.environ.get("APP_REDIS_URL") or "redis://127.0.0.1:6379/0",
            cache_seconds=_int_env("APP_CACHE_SECONDS", 5),
            stream_max_seconds=_int_env("APP_STREAM_MAX_SECONDS", 300),
            stream_heartbeat_ms=_int_env("APP_STREAM_HEARTBEAT_MS", 5000),
            ws_max_message_bytes=_int_env("APP_WS_MAX_MESSAGE_BYTES", 64 * 1024),
            ws_idle_seconds=_int_env("APP_WS_IDLE_SECONDS", 60),
        )
