"""Slow clients: connections that send a request a few bytes at a time, like a phone on a bad network.

A sync worker reads a request before it can answer anything else, so each slow client occupies
one worker for as long as it trickles. Loopback only.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import requests

from bench.core.ports import HOST


class SlowClients:
    """`count` connections to 127.0.0.1:`port`, each sending its headers one byte every `interval` s."""

    def __init__(self, port: int, count: int = 2, interval: float = 0.2) -> None:
        self.port, self.count, self.interval = port, count, interval
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.connected = 0

    def _trickle(self) -> None:
        request = b"GET /info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"." * 10_000
        try:
            with socket.create_connection((HOST, self.port), timeout=5) as conn:
                self.connected += 1
                for byte in request:
                    if self._stop.wait(self.interval):
                        return
                    conn.sendall(bytes([byte]))
        except OSError:
            return  # the server closed us (e.g. a worker timeout): that is what we measure

    def __enter__(self) -> SlowClients:
        for _ in range(self.count):
            thread = threading.Thread(target=self._trickle, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            with contextlib.suppress(RuntimeError):
                thread.join(timeout=5)


def time_request(url: str, timeout: float = 3.0) -> float | None:
    """Seconds a normal GET takes to be answered, or None when no answer came within `timeout`."""
    started = time.monotonic()
    try:
        requests.get(url, timeout=timeout)
    except requests.Timeout:
        return None
    return time.monotonic() - started
