"""Test-suite plumbing: quiet progress bars, tests marked `last` after everything else, and the time each
notebook took (the `notebook_seconds` fixture)."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

import pytest

os.environ.setdefault("BENCH_PROGRESS", "0")
os.environ.setdefault("COURSE_MODE", "quick")

collect_ignore = ["notebooks/timed"]  # copies an instructor times a read-through in (course/study_time.py)
SESSION_STARTED = time.time()
NOTEBOOK_SECONDS: dict[str, float] = defaultdict(float)


@pytest.fixture
def notebook_seconds() -> dict[str, float]:
    """Seconds each notebook took in this session, by file name (empty when no notebook ran)."""
    return NOTEBOOK_SECONDS


@pytest.fixture
def session_started() -> float:
    """When this test session began (time.time())."""
    return SESSION_STARTED


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `last` run after everything else, notebooks included."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        NOTEBOOK_SECONDS[Path(path).name] += report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if NOTEBOOK_SECONDS:
        terminalreporter.section("time per notebook")
        for name, seconds in sorted(NOTEBOOK_SECONDS.items()):
            terminalreporter.write_line(f"{name:45} {seconds:6.1f} s")
