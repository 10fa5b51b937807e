"""nginx in front of app servers: the course's config/nginx/app.conf (HTTP proxy) or uwsgi.conf
(uwsgi protocol), with the upstream filled in from bench servers."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import psutil

from bench import ports
from bench.servers import Nginx, Server
from bench.tls import self_signed

POLICIES = {"round-robin": "", "least_conn": "least_conn;", "ip_hash": "ip_hash;"}
TEMPLATES = {"http": "app.conf", "uwsgi": "uwsgi.conf"}


def upstream_block(servers: Sequence[Server], policy: str = "round-robin", keepalive: int = 16) -> str:
    """The inside of an `upstream` block: policy, one server line per app server, keepalive."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {sorted(POLICIES)}, got {policy!r}")
    lines = [POLICIES[policy]] if POLICIES[policy] else []
    lines += [f"server {ports.HOST}:{s.port};" for s in servers]
    if keepalive:
        lines.append(f"keepalive {keepalive};")
    return "\n        ".join(lines)


class AppProxy(Nginx):
    """nginx with the course's app config in front of `servers`; HTTPS on `tls_url` (http protocol)."""

    def __init__(self, servers: Sequence[Server], protocol: str = "http", policy: str = "round-robin",
                 keepalive: int = 16, **kw: object) -> None:
        if not servers:
            raise ValueError("give nginx at least one app server to proxy to")
        if protocol not in TEMPLATES:
            raise ValueError(f"protocol must be one of {sorted(TEMPLATES)}, got {protocol!r}")
        super().__init__(TEMPLATES[protocol], values={"UPSTREAM": upstream_block(servers, policy, keepalive)},
                         ready_path="/static/course.css", **kw)
        self.tls_port = ports.free_port() if protocol == "http" else None

    @property
    def tls_url(self) -> str:
        return f"https://{ports.HOST}:{self.tls_port}"

    @property
    def certificate(self) -> str:
        """The self-signed certificate to trust (e.g. requests' verify=)."""
        assert self.prefix is not None
        return str(self.prefix / "tls" / "cert.pem")

    def prepare(self) -> None:
        if self.tls_port is not None:
            assert self.prefix is not None
            cert, key = self_signed(self.prefix / "tls")
            self.values.update({"TLS_PORT": self.tls_port, "CERT": cert, "KEY": key})
        super().prepare()


def proxy(*servers: Server, protocol: str = "http", policy: str = "round-robin", keepalive: int = 16,
          edits: Mapping[str, str] | None = None) -> AppProxy:
    """An nginx (not started) in front of `servers`; `edits` changes or drops directives (see `Nginx`)."""
    return AppProxy(servers, protocol=protocol, policy=policy, keepalive=keepalive, edits=edits)


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
