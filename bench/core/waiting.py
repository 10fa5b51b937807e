"""The bench's one way to wait for something: poll a check until it succeeds (on tenacity).

Every readiness wait in the bench goes through `until`: a server answering, workers back after a kill, a port
freed, dockerd up, a container or a cluster answering. A check succeeds by returning a true value; it is
retried while it returns a false one or raises one of `errors`; any other exception stops the wait at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from tenacity import Retrying, retry_if_exception_type, retry_if_result, stop_after_delay, wait_fixed

T = TypeVar("T")


@dataclass(frozen=True)
class Waited(Generic[T]):
    """What a wait ended with: the check's last value (None when it never succeeded) and the seconds taken."""

    value: T | None
    seconds: float

    def __bool__(self) -> bool:
        return bool(self.value)


def until(check: Callable[[], T], timeout: float, interval: float = 0.1,
          errors: tuple[type[BaseException], ...] = ()) -> Waited[T]:
    """Call `check` every `interval` seconds until it returns a true value, for at most `timeout` seconds."""
    started = time.monotonic()
    retrying = Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(interval),
                        retry=retry_if_exception_type(errors) | retry_if_result(lambda value: not value),
                        retry_error_callback=lambda _state: None)
    value = retrying(check)
    return Waited(value if value else None, time.monotonic() - started)
