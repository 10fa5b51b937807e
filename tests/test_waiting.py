"""bench.core.waiting.until: the bench's one readiness helper."""

from __future__ import annotations

import pytest

from bench.core.waiting import until


def test_until_returns_the_first_true_value_and_the_time_it_took() -> None:
    calls = iter([0, None, "ready"])
    waited = until(lambda: next(calls), timeout=5, interval=0.01)
    assert waited and waited.value == "ready" and 0 < waited.seconds < 5


def test_until_gives_up_after_the_timeout() -> None:
    waited = until(lambda: False, timeout=0.2, interval=0.05)
    assert not waited and waited.value is None and 0.2 <= waited.seconds < 1


def test_listed_errors_are_retried_and_others_stop_the_wait() -> None:
    attempts = []

    def flaky() -> bool:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError
        return True

    assert until(flaky, timeout=5, interval=0.01, errors=(ConnectionError,))
    assert len(attempts) == 3
    with pytest.raises(KeyError):
        until(lambda: {}["missing"], timeout=5, interval=0.01, errors=(ConnectionError,))
    assert not until(lambda: 1 / 0, timeout=0.1, interval=0.02, errors=(ZeroDivisionError,))
