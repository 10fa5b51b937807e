"""nginx, run as the current user from its own prefix directory: `Nginx` renders any config under
config/nginx/, and `proxy(...)` puts the course's app config (config/nginx/app.conf: HTTP proxy, or
uwsgi.conf: uwsgi protocol) in front of bench servers, with the upstream filled in."""

from __future__ import annotations

import getpass
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from bench.core import ports
from bench.core.paths import CONFIG, REPO, state_dir
from bench.core.templates import render_file
from bench.host import env
from bench.servers.base import Server
from bench.servers.tls import self_signed


class Nginx(Server):
    """nginx run as the current user from its own prefix directory, never the system service.

    `template` is a file under config/nginx/ (or an absolute path); `values` fill its @PLACEHOLDERS@
    (PORT, PREFIX and STATIC are filled in for you). `edits`: {directive: replacement} for the rendered
    config, to show what a line is for: each line starting with the directive becomes the replacement
    ("" leaves it out).
    """

    kind = "nginx"
    ready_path = "/"

    def __init__(self, template: str = "ceiling.conf", values: dict[str, object] | None = None,
                 ready_path: str = "/", edits: Mapping[str, str] | None = None, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.template, self.values, self.ready_path = CONFIG / "nginx" / template, dict(values or {}), ready_path
        self.edits = dict(edits or {})
        self.prefix: Path | None = None

    def _globals(self) -> str:
        # Settings that belong to how the bench runs nginx, not to the config a learner copies.
        directives = ["daemon off;", "pid nginx.pid;"]
        if os.geteuid() == 0:
            directives.append(f"user {getpass.getuser()};")  # workers run as us, not as 'nobody'
        return " ".join(directives)

    def command(self) -> list[str]:
        self.prefix = state_dir() / f"nginx-{self.port}"
        conf = self.prefix / "nginx.conf"
        return [env.require("nginx"), "-p", str(self.prefix), "-c", str(conf),
                "-e", str(self.prefix / "logs" / "error.log"), "-g", self._globals()]

    def prepare(self) -> None:
        assert self.prefix is not None
        for sub in ("logs", "temp"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        values = {"PORT": self.port, "PREFIX": self.prefix, "STATIC": REPO / "sample_app" / "static", **self.values}
        conf = render_file(self.template, values, self.prefix / "nginx.conf")
        if self.edits:
            conf.write_text("".join(self._edited(line) for line in conf.read_text().splitlines(keepends=True)))

    def _edited(self, line: str) -> str:
        for directive, replacement in self.edits.items():
            if line.strip().startswith(directive):
                indent = line[: len(line) - len(line.lstrip())]
                return f"{indent}{replacement}\n" if replacement else ""
        return line

    def test_config(self) -> subprocess.CompletedProcess[str]:
        """`nginx -t` on the rendered config (renders it first)."""
        if self.port is None:
            self.port = ports.free_port()
        argv = self.command()
        self.prepare()
        return subprocess.run([*argv, "-t"], capture_output=True, text=True, timeout=30)


POLICIES = {"round-robin": "", "least_conn": "least_conn;", "ip_hash": "ip_hash;"}
TEMPLATES = {"http": "app.conf", "uwsgi": "uwsgi.conf"}


# nginx 1.29.7 (mainline) and 1.30 (stable) keep idle connections to every upstream by default (`keepalive 32
# local`) and speak HTTP/1.1 to them (nginx's CHANGES for 1.29.7); before, an upstream without `keepalive` opened a
# connection per request. Only `keepalive 0;` turns it off there, and older releases refuse a 0.
KEEPALIVE_BY_DEFAULT = (1, 29, 7)


@cache
def version() -> tuple[int, ...]:
    """The installed nginx's version, e.g. (1, 22, 1); (0,) when it cannot be read."""
    try:
        out = subprocess.run([env.require("nginx"), "-v"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return (0,)
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out.stderr + out.stdout)
    return tuple(int(part) for part in found.groups()) if found else (0,)


def upstream_block(servers: Sequence[Server], policy: str = "round-robin", keepalive: int = 16,
                   nginx_version: tuple[int, ...] | None = None) -> str:
    """The inside of an `upstream` block: policy, one server line per app server, keepalive (0: none, said
    explicitly where nginx would keep connections anyway)."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {sorted(POLICIES)}, got {policy!r}")
    lines = [POLICIES[policy]] if POLICIES[policy] else []
    lines += [f"server {ports.HOST}:{s.port};" for s in servers]
    if keepalive:
        lines.append(f"keepalive {keepalive};")
    elif (nginx_version or version()) >= KEEPALIVE_BY_DEFAULT:
        lines.append("keepalive 0;")
    return "\n        ".join(lines)


class AppProxy(Nginx):
    """nginx with the course's app config in front of `servers`; HTTPS on `tls_url` (http protocol). Event
    streams and WebSockets go to `streams` (app.conf's `streams` upstream), or to `servers` when none is given."""

    def __init__(self, servers: Sequence[Server], protocol: str = "http", policy: str = "round-robin",
                 keepalive: int = 16, streams: Sequence[Server] = (), **kw: object) -> None:
        if not servers:
            raise ValueError("give nginx at least one app server to proxy to")
        if protocol not in TEMPLATES:
            raise ValueError(f"protocol must be one of {sorted(TEMPLATES)}, got {protocol!r}")
        values = {"UPSTREAM": upstream_block(servers, policy, keepalive),
                  "STREAMS": upstream_block(streams or servers, policy, keepalive)}
        super().__init__(TEMPLATES[protocol], values=values, ready_path="/static/course.css", **kw)
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
          edits: Mapping[str, str] | None = None, streams: Sequence[Server] = ()) -> AppProxy:
    """An nginx (not started) in front of `servers` (and of `streams` for /stream and /ws, as app.conf ships:
    `streams_server()`); `edits` changes or drops directives (see `Nginx`)."""
    return AppProxy(servers, protocol=protocol, policy=policy, keepalive=keepalive, edits=edits, streams=streams)
