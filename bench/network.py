"""Network helpers for notebook 04's lessons: a request from another loopback address (a second client
machine), whether this machine allows that address, and the connections left in TIME_WAIT."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import psutil


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


def time_wait_connections(port: int) -> int:
    """TCP connections to `port` on this machine now in TIME_WAIT: one per recently closed connection."""
    return sum(1 for c in psutil.net_connections(kind="tcp")
               if c.status == psutil.CONN_TIME_WAIT and c.raddr and c.raddr.port == port)
