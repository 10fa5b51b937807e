"""Free loopback ports, and who holds a busy one."""

from __future__ import annotations

import socket

import portpicker
import psutil

from bench.core.errors import PortInUseError
from bench.core.waiting import until

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on now (portpicker checks TCP and UDP)."""
    return portpicker.pick_unused_port()


def in_use(port: int, host: str = HOST) -> bool:
    """True when something accepts connections on host:port, or the port cannot be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def holder(port: int) -> str:
    """A short description of the process listening on `port`, when the OS tells us."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return "another process"
    for c in conns:
        if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN and c.pid:
            try:
                return f"pid {c.pid} ({psutil.Process(c.pid).name()})"
            except psutil.NoSuchProcess:
                break
    return "another process"


def ensure_free(port: int) -> None:
    if in_use(port):
        raise PortInUseError(
            f"port {port} on {HOST} is already in use by {holder(port)}. "
            "Stop that process, or leave out port= and the bench picks a free one."
        )


def wait_free(port: int, timeout: float = 10.0) -> bool:
    return bool(until(lambda: not in_use(port), timeout, interval=0.05))
