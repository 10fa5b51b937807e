"""nginx in front of app servers: fill config/nginx/app.conf's upstream with bench servers."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from bench.servers import Nginx, Server


def upstream_lines(servers: Sequence[Server], options: str = "") -> str:
    """One `server 127.0.0.1:PORT;` line per running app server (options such as `max_fails=1`)."""
    suffix = f" {options}" if options else ""
    return "\n        ".join(f"server {s.url.removeprefix('http://')}{suffix};" for s in servers)


def proxy(*servers: Server, template: str = "app.conf", options: str = "", **values: object) -> Nginx:
    """An nginx (not started) that proxies to `servers` with the course's app config."""
    if not servers:
        raise ValueError("give nginx at least one app server to proxy to")
    return Nginx(template, values={"UPSTREAM": upstream_lines(servers, options), **values},
                 ready_path="/static/course.css")


def get_json_from(url: str, source_ip: str, headers: dict[str, str] | None = None) -> dict[str, object]:
    """GET `url` with the connection's source address bound to `source_ip` (another loopback address
    plays a second machine on Linux, where all of 127.0.0.0/8 is loopback)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5, source_address=(source_ip, 0))
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def can_bind(ip: str) -> bool:
    """True when this machine lets a socket use `ip` (Linux: any 127.x; macOS: 127.0.0.1 only)."""
    with socket.socket() as s:
        try:
            s.bind((ip, 0))
            return True
        except OSError:
            return False
