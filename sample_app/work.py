"""Simulated work: CPU-bound and waiting, each for a requested number of milliseconds."""

from __future__ import annotations

import hashlib
import time


def burn_cpu(ms: int) -> int:
    """Spend `ms` milliseconds of this thread's CPU time hashing; return the rounds done.

    CPU time, not wall time: on a busy machine a request still does the same amount of work,
    so adding workers beyond the cores cannot fake extra throughput.
    """
    deadline = time.thread_time() + ms / 1000
    digest = b"flask-in-production"
    rounds = 0
    while time.thread_time() < deadline:
        for _ in range(200):
            digest = hashlib.sha256(digest).digest()
        rounds += 1
    return rounds


def wait(ms: int) -> None:
    """Wait like a database or HTTP call would (gevent makes this cooperative when patched)."""
    time.sleep(ms / 1000)
