"""Network helpers for notebooks 04a's and 04b's lessons: a request from another loopback address (a second
client machine, 04a), whether this machine allows that address, and the connections left in TIME_WAIT (04b)."""

from __future__ import annotations

import http.client
import json
import math
import shutil
import socket
import subprocess
from urllib.parse import urlsplit

import psutil

from bench.host import platforms

SECOND_CLIENT = "127.0.0.2"
NO_SECOND_CLIENT = ("this machine has one loopback address (macOS configures only 127.0.0.1; Linux answers on all "
                    "of 127.0.0.0/8), so the client and the proxy share 127.0.0.1 and cannot be told apart")

NO_TIME_WAIT = ("this system lets neither psutil (macOS: root only) nor `netstat -an` list the machine's TCP "
                "connections, so closed connections in TIME_WAIT cannot be counted")


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
    if platforms.is_macos() and ip.startswith("127.") and ip != "127.0.0.1":
        return False  # what a Mac answers (a simulated one too): the address is not configured
    with socket.socket() as s:
        try:
            s.bind((ip, 0))
            return True
        except OSError:
            return False


def second_client() -> str | None:
    """A loopback address other than 127.0.0.1 to play a second machine from, or None where there is none."""
    return SECOND_CLIENT if can_bind(SECOND_CLIENT) else None


def time_wait_connections(port: int) -> float:
    """TCP connections to `port` on this machine now in TIME_WAIT: one per recently closed connection, on the side
    that closed first (the client's socket when nginx closed it, the server's when the app server did).
    psutil reads them where it may (Linux); macOS allows that to root only, and `netstat -an` answers there;
    NaN when neither can (NO_TIME_WAIT says why)."""
    try:
        return sum(1 for c in psutil.net_connections(kind="tcp") if c.status == psutil.CONN_TIME_WAIT
                   and port in (c.laddr.port if c.laddr else None, c.raddr.port if c.raddr else None))
    except psutil.AccessDenied:
        pass
    netstat = shutil.which("netstat") or shutil.which("netstat", path="/usr/sbin:/sbin")
    if netstat is None:
        return math.nan
    try:
        out = subprocess.run([netstat, "-an"], capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return math.nan
    return count_time_wait(out, port)


def count_time_wait(netstat_output: str, port: int) -> int:
    """TIME_WAIT lines of `netstat -an` whose local or foreign address has `port`: Linux writes 127.0.0.1:8000,
    macOS 127.0.0.1.8000."""
    count = 0
    for line in netstat_output.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[0].startswith("tcp") and fields[-1] == "TIME_WAIT":
            ends = (fields[3], fields[4])  # local, foreign
            if str(port) in (end.replace(":", ".").rsplit(".", 1)[-1] for end in ends):
                count += 1
    return count
