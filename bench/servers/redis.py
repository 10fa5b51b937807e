"""redis-server, with the course's config/redis.conf."""

from __future__ import annotations

from pathlib import Path

from bench.core import ports
from bench.core.paths import CONFIG, state_dir
from bench.host import env
from bench.servers.base import Server


class Redis(Server):
    """redis-server with config/redis.conf, on a free loopback port."""

    kind = "redis"
    ready_path = None  # ready when the port accepts connections

    def __init__(self, config: Path = CONFIG / "redis.conf", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.config = config

    @property
    def redis_url(self) -> str:
        return self.database_url(0)

    def database_url(self, number: int) -> str:
        """The URL of database `number` (0–15): experiments that must not see each other's keys use one each."""
        return f"redis://{ports.HOST}:{self.port}/{number}"

    def command(self) -> list[str]:
        return [env.require("redis"), str(self.config), "--port", str(self.port), "--dir", str(state_dir())]

    def info(self) -> dict[str, str]:
        """`INFO stats` and `INFO memory` as a dict (keyspace hits and misses, memory used)."""
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            return {**client.info("stats"), **client.info("memory")}
        finally:
            client.close()
